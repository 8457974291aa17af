"""`erpsim load`, the library part: prepare, start what is needed, run Locust, check, report.

Order of work, so that bad input fails before anything starts and a failed run leaves no
half-written report:

1. everything the user gave is checked (SLOs, shape, personas, the load mix, the adoption
   month against its forecast, an unreachable ``--host``);
2. reports are written into a hidden temporary directory beside ``--out``, renamed to
   ``--out`` only when the run completed (an error removes it);
3. without ``--host``: the dataset is generated (or reused), the mock ERP serves a private
   copy of it and the store a fresh database of its own, both on free loopback ports, in
   this process (`ServerThread`, `StoreThread`);
4. Locust runs headless as a subprocess (with ``--workers N``: a master and N worker
   processes on loopback), the suite's options passed to every process; every process is
   stopped again whatever happens;
5. embedded store: its outbox is drained and the integrity check runs
   (`simulator.load.integrity`); its result goes into ``summary.json``.

Locust itself is never imported here (its import patches the process with gevent).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.atomic import atomic_directory, write_text
from simulator.errors import UserError

__all__ = ["LoadResult", "LoadSettings", "check_host", "find_locustfile", "run_load"]

STARTUP_SLACK = 90.0  # seconds Locust may take beyond the run (start, stop, reports)
STOP_TIMEOUT = 5  # seconds users may finish their journey after the end (--stop-timeout)
PROFILE_SEED = 7


@dataclass(frozen=True)
class LoadSettings:
    """Everything `run_load` needs, checked by `simulator.load.cli`."""

    out: Path
    duration: float
    warmup: float = 0.0  # seconds at the start left out of the figures (see `warmup_for`)
    users: int | None = 10
    rate: float | None = None
    shape: str | None = None
    host: str | None = None
    db: Path | None = None
    profile: str = "small"
    store_db: Path | None = None
    secret: str | None = None  # None: the embedded store's random one, or --store-db's
    erp_url: str | None = None
    erp_key: str | None = None
    mix: Path | None = None
    personas: tuple[str, ...] = ()
    slos: tuple[str, ...] = ()
    scenario: Path | None = None
    month: str | None = None
    forecast: Path | None = None
    forecast_runs: int = 50
    workers: int = 0
    integration: str = "realtime"
    erp_flavor: str = "bc"  # the embedded store's ERP API and ErpIntegrationClient's
    clock_speed: float = 60.0
    seed: int = 0
    force: bool = False  # replace an existing ``out`` (the demo's)


@dataclass
class LoadResult:
    exit_code: int
    out: Path
    summary: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def find_locustfile() -> Path:
    """`loadtests/locustfile.py`, found through the installed (or importable) package."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.find_spec("loadtests")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the loadtests package is not installed (pip install -e .)")
    path = Path(next(iter(spec.submodule_search_locations))) / "locustfile.py"
    if not path.is_file():
        raise UserError(f"no locustfile at {path}")
    return path


def check_host(url: str, timeout: float = 5.0) -> None:
    """Any HTTP answer means reachable; a refused or timed-out connection is a UserError."""
    if not url.startswith(("http://", "https://")):
        raise UserError(f"--host {url!r} must be an http:// or https:// URL")
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/metrics", timeout=timeout):
            return
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"cannot reach --host {url}: {reason}") from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dataset_path(settings: LoadSettings) -> Path:
    """``--db``, else ``data/load-<profile>.sqlite``, generated the first time."""
    if settings.db is not None:
        if not settings.db.is_file():
            raise UserError(f"no dataset at {settings.db} (erpsim generate --out {settings.db})")
        return settings.db
    path = Path("data") / f"load-{settings.profile}.sqlite"
    if not path.is_file():
        from simulator.config import load_profile  # noqa: PLC0415
        from simulator.erp.generate import generate  # noqa: PLC0415

        profile = load_profile(settings.profile)
        say(
            f"generating the {profile.name} dataset into {path} first (once: later runs "
            "reuse it) ..."
        )
        done = generate(profile, seed=PROFILE_SEED, out=path, progress=LineProgress())
        say(f"dataset ready: {sum(done.counts.values()):,} rows in {done.seconds:.0f} s")
    return path


def say(line: str) -> None:
    """A progress line on stderr (stdout keeps the results)."""
    print(f"erpsim load: {line}", file=sys.stderr, flush=True)  # noqa: T201


class LineProgress:
    """Generation progress as a few lines on stderr (a step each, the history by quarter):
    enough to see that something is happening before the load starts."""

    def __init__(self) -> None:
        self.months = 0
        self.done = 0

    def step(self, name: str, chunks: int) -> None:
        if name == "history":
            self.months, self.done = chunks, 0
            say(f"  history: {chunks - 1} months of orders, shipments, invoices, payments")
        else:
            say(f"  {name}")

    def advance(self, table: str, rows: int) -> None:
        if table != "history":
            return
        self.done += rows
        if self.done % 3 == 0 or self.done == self.months:
            say(f"  history: month {self.done} of {self.months}")


def prepare_forecast(settings: LoadSettings, db: Path, directory: Path) -> Path:
    """The adoption forecast to replay: ``--forecast`` as given, or `erpsim simulate` of
    ``--scenario`` on the dataset, written into ``directory`` (part of the report)."""
    if settings.forecast is not None:
        return settings.forecast
    from simulator.adoption.forecast import run_forecast  # noqa: PLC0415
    from simulator.adoption.outputs import write_forecast_files  # noqa: PLC0415
    from simulator.adoption.population import load_population  # noqa: PLC0415
    from simulator.adoption.scenario import load_scenario  # noqa: PLC0415

    assert settings.scenario is not None
    scenario = load_scenario(settings.scenario)
    population = load_population(db, scenario.population, label=str(db))
    forecast = run_forecast(
        scenario,
        population,
        source=str(settings.scenario),
        runs=settings.forecast_runs,
        seed=1,
        workers=1,
    )
    directory.mkdir(parents=True)
    write_forecast_files(directory, forecast, summary=forecast.summary())
    return directory


def adoption_facts(settings: LoadSettings, forecast_dir: Path) -> dict[str, Any]:
    """The derivation of the adoption shape's rate (also checks ``--month``)."""
    from loadtests.forecast import (  # noqa: PLC0415 - plain Python, no Locust
        activity,
        arrival_rate,
        peak_hour_sessions,
        read_forecast,
    )
    from loadtests.mix import load_mix  # noqa: PLC0415

    knobs = load_mix(settings.mix).adoption
    table = read_forecast(forecast_dir)
    month = activity(table, settings.month or "1", knobs)
    rate = arrival_rate(month, knobs, settings.duration)
    return {
        "forecast": str(forecast_dir),
        "scenario": table.scenario,
        "month": month.month,
        "activity_per_month": month.as_dict(),
        "knobs": knobs.model_dump(),
        "peak_hour_sessions": round(peak_hour_sessions(month, knobs), 3),
        "sessions_per_second": round(rate, 6),
        "peak_users": max(1, math.ceil(rate * load_mix(settings.mix).pacing - 1e-9)),
    }


@dataclass
class Embedded:
    """The mock ERP and the store of a run without ``--host``."""

    erp_url: str
    erp_key: str
    erp_db: Path
    store_url: str
    store_db: Path
    store: Any
    secret: str


@contextlib.contextmanager
def embedded(settings: LoadSettings, db: Path, workdir: Path) -> Iterator[Embedded]:
    from simulator.erp_server.server import ServerThread, working_database  # noqa: PLC0415
    from simulator.erp_server.settings import ServerSettings  # noqa: PLC0415
    from simulator.store.secret import store_secret  # noqa: PLC0415
    from simulator.store.server import StoreThread  # noqa: PLC0415
    from simulator.store.settings import StoreSettings  # noqa: PLC0415
    from simulator.store.up import customizing_for  # noqa: PLC0415

    key = secrets.token_urlsafe(16)
    erp_settings = ServerSettings(
        db=db, api_key=key, clock_speed=settings.clock_speed, scratch=True
    )
    with working_database(erp_settings) as served, ServerThread(served) as erp:
        store_db = workdir / "store.sqlite"
        secret = store_secret(store_db, settings.secret)
        sap = settings.erp_flavor == "sap"  # its customizing: the world's, as `erpsim up` does
        store_settings = StoreSettings(
            db=store_db,
            erp_url=erp.url,
            erp_key=key,
            integration=settings.integration,  # type: ignore[arg-type]
            erp_flavor=settings.erp_flavor,  # type: ignore[arg-type]
            sap_customizing=customizing_for(served.db, store_db, None) if sap else None,
            secret=secret,
            login_attempts=1000,  # every virtual user logs in at once
            seed=settings.seed,
        )
        with StoreThread(store_settings) as store:
            yield Embedded(erp.url, key, served.db, store.url, store_db, store, secret)


def external_secret(settings: LoadSettings) -> str:
    """With ``--host``: ``--secret``, else the one kept beside ``--store-db``."""
    from simulator.store.secret import read_secret, secret_path  # noqa: PLC0415

    if settings.secret is not None:
        return settings.secret
    found = read_secret(settings.store_db) if settings.store_db is not None else None
    if found is None:
        where = f" ({secret_path(settings.store_db)} not found)" if settings.store_db else ""
        raise UserError(f"with --host, give --secret or --store-db: the store's secret{where}")
    return found


def locust_options(
    settings: LoadSettings,
    *,
    host: str,
    db: Path,
    store_db: Path | None,
    secret: str,
    erp_url: str | None,
    erp_key: str | None,
    forecast: Path | None,
    summary: Path,
) -> list[str]:
    """The ``--erpsim-*`` options, the same for the master and every worker.

    Each as ``--flag=value``: a value may start with ``-`` (one random API key in 64 does),
    and Locust's argparse would take ``--flag -value`` for a missing value.
    """
    pairs: list[tuple[str, object]] = [
        ("--host", host),
        ("--erpsim-shape", settings.shape or "constant"),
        ("--erpsim-duration", settings.duration),
        ("--erpsim-warmup", settings.warmup),
        ("--erpsim-db", db),
        ("--erpsim-secret", secret),
        ("--erpsim-seed", settings.seed),
        ("--erpsim-workers", max(1, settings.workers)),
        ("--erpsim-summary", summary),
        ("--erpsim-erp-flavor", settings.erp_flavor),
    ]
    if settings.rate is not None:
        pairs.append(("--erpsim-rate", settings.rate))
    elif settings.users is not None:
        pairs.append(("--erpsim-users", settings.users))
    if store_db is not None:
        pairs.append(("--erpsim-store-db", store_db))
    if settings.mix is not None:
        pairs.append(("--erpsim-mix", settings.mix))
    if erp_url and erp_key:
        pairs += [("--erpsim-erp-url", erp_url), ("--erpsim-erp-key", erp_key)]
    if forecast is not None:
        pairs += [("--erpsim-forecast", forecast), ("--erpsim-month", settings.month or "1")]
    pairs += [("--erpsim-slo", slo) for slo in settings.slos]
    return [f"{flag}={value}" for flag, value in pairs]


class Processes:
    """Locust's processes of one run; `stop()` leaves none behind."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.running: list[subprocess.Popen[bytes]] = []
        self.logs: list[Any] = []

    def start(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / log_name).open("wb")
        self.logs.append(log)
        env = dict(os.environ)
        root = str(find_locustfile().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        process = subprocess.Popen(
            [sys.executable, "-m", "locust", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.running.append(process)
        return process

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()


def run_locust(settings: LoadSettings, options: list[str], workdir: Path) -> int:
    """Locust headless (and its workers); its exit code."""
    locustfile = str(find_locustfile())
    common = ["-f", locustfile, "--loglevel", "WARNING", *options]
    reports = [
        "--headless",
        "--csv", str(workdir / "locust"),
        "--html", str(workdir / "report.html"),
        "--stop-timeout", str(STOP_TIMEOUT),
        "--only-summary",
        "--exit-code-on-error", "0",  # failed requests are what the SLOs judge
    ]  # fmt: skip
    personas = list(settings.personas)
    processes = Processes(workdir)
    try:
        if settings.workers:
            port = free_port()
            master = processes.start(
                [*common, *reports, "--master", "--master-bind-host", "127.0.0.1",
                 "--master-bind-port", str(port), "--expect-workers", str(settings.workers),
                 *personas],
                "locust-master.log",
            )  # fmt: skip
            for index in range(settings.workers):
                processes.start(
                    [*common, "--worker", "--master-host", "127.0.0.1", "--master-port",
                     str(port), *personas],
                    f"locust-worker-{index}.log",
                )  # fmt: skip
        else:
            master = processes.start([*common, *reports, *personas], "locust.log")
        try:
            return master.wait(timeout=settings.duration + STOP_TIMEOUT + STARTUP_SLACK)
        except subprocess.TimeoutExpired:
            raise UserError(f"Locust did not finish in time; see {workdir}/locust*.log") from None
    finally:
        processes.stop()


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def run_load(settings: LoadSettings) -> LoadResult:
    """One load run (see the module docstring); the result's exit code: 0 every SLO held
    and the data are intact, 1 otherwise."""
    from simulator.load.integrity import check_integrity, web_order_numbers  # noqa: PLC0415

    if settings.host is not None:
        check_host(settings.host)
    messages: list[str] = []
    started = dt.datetime.now(dt.UTC)
    with atomic_directory(settings.out, force=settings.force) as workdir:
        db = dataset_path(settings)
        forecast = None
        facts: dict[str, Any] | None = None
        if settings.shape == "adoption":
            forecast = prepare_forecast(settings, db, workdir / "forecast")
            facts = adoption_facts(settings, forecast)
            if settings.forecast is None:  # written into the report
                facts["forecast"] = str(settings.out / "forecast")
        summary_path = workdir / "summary.json"
        integrity: dict[str, Any] | None = None
        with contextlib.ExitStack() as stack:
            servers: Embedded | None
            store_db: Path | None
            if settings.host is None:
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="erpsim-load-")))
                servers = stack.enter_context(embedded(settings, db, tmp))
                host, store_db = servers.store_url, servers.store_db
                erp_url: str | None = servers.erp_url
                erp_key: str | None = servers.erp_key
                secret = servers.secret
                baseline = web_order_numbers(servers.erp_db)
            else:
                servers, host, store_db = None, settings.host, settings.store_db
                erp_url, erp_key = settings.erp_url, settings.erp_key
                secret = external_secret(settings)
            options = locust_options(
                settings, host=host, db=db, store_db=store_db, secret=secret, erp_url=erp_url,
                erp_key=erp_key, forecast=forecast, summary=summary_path,
            )  # fmt: skip
            clock = time.monotonic()
            code = run_locust(settings, options, workdir)
            elapsed = time.monotonic() - clock
            if code not in (0, 1) or not summary_path.is_file():
                log = next(iter(sorted(workdir.glob("locust*.log"))), workdir / "locust.log")
                raise UserError(f"Locust failed (exit code {code}): {_tail(log)}")
            if servers is not None:
                outbox = servers.store.ctx.outbox
                pending = outbox.drain(timeout=60.0) if outbox is not None else 0
                report = check_integrity(
                    workdir / "placed.json", servers.store_db, servers.erp_db, baseline
                )
                integrity = {**report.as_dict(), "outbox_pending_after_drain": pending}
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        summary["run"] = {
            "started_at": started.isoformat(timespec="seconds"),
            "wall_seconds": round(elapsed, 1),
            "embedded": settings.host is None,
            "dataset": str(db),
            "integration": settings.integration if settings.host is None else None,
            "workers": settings.workers,
            "personas": list(settings.personas) or "all",
        }
        if facts is not None:
            summary["adoption"] = facts
        summary.setdefault("data_checks", {})["integrity"] = integrity
        _write_json(summary_path, summary)
        failed = [v for v in summary["slo"]["verdicts"] if not v["passed"]]
        messages = outcome_lines(summary)
        trivial = trivial_load_line(facts)
        _add_verdicts_to_report(workdir / "report.html", summary, [trivial] if trivial else [])
        exit_code = 1 if failed or (integrity is not None and not integrity["ok"]) else 0
    return LoadResult(exit_code, settings.out, summary, messages)


def outcome_lines(summary: dict[str, Any]) -> list[str]:
    """What the run concluded, a line each: the warm-up left out, a trivial adoption load,
    the SLO verdicts, the ERP's refusals, integrity violations (indented lines: details)."""
    from loadtests.warmup import warmup_line  # noqa: PLC0415 - plain Python, no Locust
    from simulator.adoption.display import share  # noqa: PLC0415
    from simulator.report.load import measured_text  # noqa: PLC0415

    lines: list[str] = []
    warm = warmup_line(summary.get("warmup"))
    if warm:
        lines.append(warm)
    trivial = trivial_load_line(summary.get("adoption"))
    if trivial:
        lines.append(trivial)
    for verdict in summary["slo"]["verdicts"]:
        status = "PASS" if verdict["passed"] else "FAIL"
        lines.append(f"SLO {status}  {verdict['slo']}  (measured {measured_text(verdict)})")
    integrity = (summary.get("data_checks") or {}).get("integrity")
    if integrity is not None and integrity["refused_orders"]:
        reasons = ", ".join(f"{r} {n}" for r, n in integrity["refusals_by_reason"].items())
        lines.append(
            f"refused by the ERP: {integrity['refused_orders']} of "
            f"{integrity['placed_orders']} orders ({share(integrity['refusal_rate'])}): {reasons}"
        )
    if integrity is not None and not integrity["ok"]:
        lines.append(f"integrity VIOLATED: {integrity['violation_count']} problem(s)")
        lines.extend(f"  {line}" for line in integrity["violations"][:10])
    return lines


def trivial_load_line(facts: dict[str, Any] | None) -> str | None:
    """A warning when the adoption shape's month amounts to a single paced user."""
    if not facts or facts.get("peak_users", 2) > 1:
        return None
    sessions = facts["peak_hour_sessions"]
    return (
        f"adoption shape: month {facts['month']}'s peak hour has only {sessions:g} sessions "
        f"({facts['sessions_per_second']:g}/s): a single paced user, a trivial load. For a "
        "real peak take a later month (more adopters), a larger --profile, or a shorter "
        "--duration (compress = true replays the hour within the run)"
    )


def _add_verdicts_to_report(path: Path, summary: dict[str, Any], notes: list[str]) -> None:
    """The SLO verdicts, warm-up, integrity and CX figures at the top of report.html."""
    from simulator.report.load import add_to_report, load_section  # noqa: PLC0415

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        text = ""
    write_text(path, add_to_report(text, load_section(summary, notes)))


def _write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")
