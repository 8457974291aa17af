"""erpsim's B2B load test: `locust -f loadtests/locustfile.py --host http://127.0.0.1:8200`.

Personas (`loadtests.personas`) log in as distinct real buyers of the dataset
(``--erpsim-db``, default ``data/erp.sqlite`` as `erpsim up` serves it). The ``--erpsim-*``
options (see ``locust --help``) add a load shape, the load mix, SLO gates and a
``summary.json``; without them this is a plain locustfile (Locust's UI, -u, -r, --headless,
--csv, --html, --master/--worker all work). See docs/load.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

try:
    import loadtests  # noqa: F401 - installed, or run from the repository root
except ImportError:  # `locust -f loadtests/locustfile.py` puts only loadtests/ on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from loadtests import options as erpsim_options
from loadtests.personas import (  # noqa: F401 - Locust collects the User classes from here
    PERSONA_CLASSES,
    CatalogBrowser,
    ErpIntegrationClient,
    InvoicePayer,
    OrderTracker,
    QuoteRequester,
    Reorderer,
    SalesRep,
    runtime,
)
from loadtests.plan import Pacing, pacing_stats
from loadtests.warmup import DROPPED_MESSAGE, WARMUP_MESSAGE, Warmup
from simulator.errors import UserError

if erpsim_options.wants_shape():
    from loadtests.shapes import ErpsimShape  # noqa: F401 - Locust picks it up

# What the master gathers from the workers' reports (and the local runner from itself).
collected: dict[str, Any] = {"placed": [], "counts": {}, "pacing": {}, "checks": {}, "logins": []}
warmup: dict[str, Any] = {}  # "timer": the pending end; "it": the Warmup


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    erpsim_options.add_arguments(parser)


@events.init.add_listener
def _init(environment: Any, **_: Any) -> None:
    options = environment.parsed_options
    if options is None:  # Locust as a library: the caller configures `runtime` itself
        return
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(WARMUP_MESSAGE, _hand_over_unreported)
    elif isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(DROPPED_MESSAGE, _add_dropped)
    try:
        _configure(environment, options)
    except UserError as exc:
        print(f"erpsim: error: {exc}", file=sys.stderr)  # noqa: T201 - one line, exit 2
        sys.exit(2)


def _configure(environment: Any, options: Any) -> None:
    from loadtests.slo import parse_slos  # noqa: PLC0415
    from loadtests.testdata import load_testdata  # noqa: PLC0415

    mix = erpsim_options.mix_of(options)
    runtime.mix = mix
    runtime.seed = options.erpsim_seed
    runtime.workers = max(1, options.erpsim_workers)
    runtime.erp_url, runtime.erp_key = options.erpsim_erp_url, options.erpsim_erp_key
    runtime.erp_flavor = options.erpsim_erp_flavor
    environment.erpsim_slos = parse_slos(options.erpsim_slo or [])
    if options.erpsim_adapter:
        runtime.client_factory = _adapter(options.erpsim_adapter)
    weights = mix.personas.weights()
    if not (runtime.erp_url and runtime.erp_key):
        weights["ErpIntegrationClient"] = 0  # nothing to hit without the ERP's URL and key
    for name, cls in PERSONA_CLASSES.items():
        cls.weight = weights[name]
    kept = [cls for cls in environment.user_classes if getattr(cls, "weight", 1) > 0]
    if kept:
        environment.user_classes = kept
    open_model = options.erpsim_shape == "adoption" or options.erpsim_rate is not None
    runtime.pacing = Pacing(mix.pacing) if open_model else None
    if not isinstance(environment.runner, MasterRunner):
        runtime.worker = getattr(environment.runner, "worker_index", 0) or 0
        runtime.data = load_testdata(
            options.erpsim_db,
            store_db=options.erpsim_store_db,
            secret=options.erpsim_secret,
            registered_share=options.erpsim_registered_share,
            seed=options.erpsim_seed,
            quantity_factor=mix.journeys.quantity_factor,
        )


def _hand_over_unreported(environment: Any, msg: Any, **_: Any) -> None:
    """A worker at the end of the warm-up: what it has not reported yet belongs to the
    warm-up; sent to the master (serializing resets the entries), then reset."""
    runner = environment.runner
    stats = runner.stats
    dropped = {"entries": stats.serialize_stats(), "total": stats.total.get_stripped_report()}
    stats.reset_all()
    runner.send_message(DROPPED_MESSAGE, dropped)


def _add_dropped(environment: Any, msg: Any, **_: Any) -> None:
    it = warmup.get("it")
    if it is not None:
        it.add(msg.data["entries"], msg.data["total"])


@events.test_start.add_listener
def _start_warmup(environment: Any, **_: Any) -> None:
    options = environment.parsed_options
    if options is None or isinstance(environment.runner, WorkerRunner) or "timer" in warmup:
        return
    seconds = float(getattr(options, "erpsim_warmup", 0.0) or 0.0)
    if seconds > 0:
        warmup["it"] = Warmup(seconds)
        warmup["timer"] = gevent.spawn_later(seconds, _end_warmup, environment)


def _end_warmup(environment: Any) -> None:
    runner = environment.runner
    warmup["it"].end(runner.stats)
    if isinstance(runner, MasterRunner):
        runner.send_message(WARMUP_MESSAGE)


def _warmup_facts(options: Any) -> dict[str, Any] | None:
    it: Warmup | None = warmup.get("it")
    if it is None:
        seconds = float(getattr(options, "erpsim_warmup", 0.0) or 0.0)
        return Warmup(seconds).facts() if seconds > 0 else None
    timer = warmup.get("timer")
    if it.excluded is None and timer is not None:
        timer.kill(block=False)
    return it.facts()


def _adapter(spec: str) -> Any:
    import importlib  # noqa: PLC0415

    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UserError(f"--erpsim-adapter {spec!r}: {exc}") from None


def _report() -> dict[str, Any]:
    report = runtime.take_report()
    report["pacing"] = pacing_stats.take()
    report["checks"] = runtime.data.checks() if runtime.data else {}
    return report


def _gather(report: dict[str, Any], source: str) -> None:
    collected["placed"].extend(report.get("placed", []))
    collected["logins"].extend(report.get("logins", []))
    for name, n in report.get("counts", {}).items():
        collected["counts"][name] = collected["counts"].get(name, 0) + n
    pacing = collected["pacing"]
    for name, value in report.get("pacing", {}).items():
        pacing[name] = (
            max(pacing.get(name, 0), value) if name == "max_lag" else (pacing.get(name, 0) + value)
        )
    if report.get("checks"):
        collected["checks"][source] = report["checks"]


@events.report_to_master.add_listener
def _to_master(client_id: str, data: dict[str, Any]) -> None:
    data["erpsim"] = _report()


@events.worker_report.add_listener
def _from_worker(client_id: str, data: dict[str, Any]) -> None:
    if "erpsim" in data:
        _gather(data["erpsim"], client_id)


@events.test_stop.add_listener
def _flush(environment: Any, **_: Any) -> None:
    """A worker sends its last figures as soon as its users stopped: the master builds the
    summary when it quits, before the workers' own final report would arrive."""
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner._send_stats()  # private, but Locust's own reporting path, sent early


@events.quitting.add_listener
def _quitting(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or environment.parsed_options is None:
        return
    options = environment.parsed_options
    if not isinstance(environment.runner, MasterRunner):
        _gather(_report(), "local")
    slos = getattr(environment, "erpsim_slos", [])
    if not slos and not options.erpsim_summary:
        return
    from loadtests.summary import build_summary, store_accuracy, write_json  # noqa: PLC0415

    host = environment.host or options.host
    checks = collected["checks"]
    totals: dict[str, int] = {}
    for figures in checks.values():
        for name, value in figures.items():
            if name.endswith("_logins"):
                totals[name] = max(totals.get(name, 0), value)
            else:
                totals[name] = totals.get(name, 0) + value
    logins = collected["logins"]
    totals["users_logged_in"] = len(logins)
    totals["distinct_logins"] = len(set(logins))
    extra = {
        "shape": _shape_facts(environment),
        "mix": runtime.mix.name,
        "warmup": _warmup_facts(options),
        "pacing": collected["pacing"] or None,
        "data_checks": {"logins": totals, "documents": collected["counts"],
                        "orders_placed": sum(1 for p in collected["placed"]
                                             if p["kind"] in ("order", "quote_order"))},
    }  # fmt: skip
    summary, verdicts = build_summary(
        environment.stats, slos, host=host, extra=extra, accuracy=store_accuracy(host)
    )
    for verdict in verdicts:
        print(verdict.line(), file=sys.stderr)  # noqa: T201 - the gate's report
    if options.erpsim_summary:
        path = Path(options.erpsim_summary)
        write_json(path.with_name("placed.json"), collected["placed"])
        write_json(path, summary)
    if not summary["slo"]["passed"]:
        environment.process_exit_code = 1


def _shape_facts(environment: Any) -> dict[str, Any] | None:
    shape = environment.shape_class
    plan = getattr(shape, "plan", None)
    if plan is None:
        return None
    facts: dict[str, Any] = {
        "name": environment.parsed_options.erpsim_shape or "constant",
        "duration_s": plan.duration,
        "stages": [list(stage) for stage in plan.stages],
        "peak_users": plan.peak_users,
        "peak_rate_per_s": plan.rate,
        "pacing_s": plan.pacing if plan.rate is not None else None,
    }
    return facts
