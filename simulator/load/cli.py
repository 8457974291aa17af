"""`erpsim load`: the B2B load test from the command line (thin: parse, check, run, print).

The lead registers it with ``app.command("load")(load)`` in `simulator.cli`; until then
``python -m simulator.load ...`` runs the same command. Bad usage is a `UserError` (one
line, exit code 2) raised before anything starts.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated

import typer

from simulator.builtin import resolve
from simulator.errors import UserError

__all__ = ["DEFAULT_WARMUP", "load", "parse_rate", "warmup_for"]

SHAPES = ("step", "spike", "adoption")
RATE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:/\s*(s|m|h))?\s*$")
PER = {"s": 1.0, "m": 60.0, "h": 3600.0}
ZERO = re.compile(r"^\s*0+(?:\.0*)?\s*(?:ms|s|m|h)?\s*$")
DEFAULT_WARMUP = 10.0  # seconds; at most a quarter of the run


def warmup_for(text: str | None, duration: float) -> float:
    """Seconds of warm-up: ``--warmup`` as given (shorter than the run; 0 = none), or by
    default 10 s, at most a quarter of the run (a short run keeps most of its figures)."""
    from simulator.store.cli import parse_duration  # noqa: PLC0415

    if text is None:
        return min(DEFAULT_WARMUP, duration / 4)
    if ZERO.match(text):
        return 0.0
    seconds = parse_duration(text, "--warmup")
    if seconds >= duration:
        raise UserError(
            f"--warmup {text} is not shorter than the run (--duration {duration:g} s): "
            "nothing would be measured"
        )
    return seconds


def parse_rate(text: str) -> float:
    """'20/s', '600/m', '20' -> sessions per second (> 0)."""
    match = RATE.match(text)
    if match is None:
        raise UserError(f"--rate {text!r}: expected sessions per time, e.g. 20/s or 600/m")
    rate = float(match.group(1)) / PER[match.group(2) or "s"]
    if rate <= 0:
        raise UserError("--rate must be more than 0")
    return rate


def load(
    host: Annotated[
        str | None, typer.Option(help="A running store (default: start the ERP and the store).")
    ] = None,
    profile: Annotated[str, typer.Option(help="Dataset profile when --db is not given.")] = (
        "small"
    ),
    db: Annotated[
        Path | None,
        typer.Option(help="ERP dataset (default: data/load-<profile>.sqlite, generated once)."),
    ] = None,
    users: Annotated[int | None, typer.Option(help="Peak users (closed model).")] = None,
    rate: Annotated[
        str | None, typer.Option(help="Peak sessions started per second, e.g. 20/s (open model).")
    ] = None,
    duration: Annotated[str, typer.Option(help="Run time, e.g. 2m, 90s.")] = "1m",
    warmup: Annotated[
        str | None,
        typer.Option(
            help="Seconds at the start (the login ramp) left out of the figures and SLOs, "
            "e.g. 10s; 0: none. Default: 10 s, at most a quarter of the run."
        ),
    ] = None,
    shape: Annotated[
        str | None, typer.Option(help="step, spike or adoption (default: constant).")
    ] = None,
    scenario: Annotated[
        Path | None, typer.Option(help="Adoption shape: the adoption scenario to forecast.")
    ] = None,
    month: Annotated[
        str | None, typer.Option(help="Adoption shape: forecast month (1-based or YYYY-MM).")
    ] = None,
    forecast: Annotated[
        Path | None, typer.Option(help="Adoption shape: an `erpsim simulate --out` directory.")
    ] = None,
    forecast_runs: Annotated[
        int, typer.Option(help="Adoption shape: Monte Carlo runs of the forecast.")
    ] = 50,
    mix: Annotated[
        Path | None,
        typer.Option(
            help="Load mix: persona weights, think times (a TOML file, or default, month-end, "
            "ordering-rush)."
        ),
    ] = None,
    persona: Annotated[
        list[str] | None, typer.Option(help="Run only these personas (repeatable).")
    ] = None,
    slo: Annotated[
        list[str] | None,
        typer.Option(help="SLO gate (repeatable): 'p95<300ms', 'fail_ratio<0.5%', 'rps>100'."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Report directory (default: reports/load-<timestamp>/).")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Locust worker processes (0: one process, no master).")
    ] = 0,
    integration: Annotated[
        str, typer.Option(help="Embedded store: realtime or batch integration.")
    ] = "realtime",
    clock_speed: Annotated[
        float, typer.Option(help="Embedded ERP: simulated seconds per wall second.")
    ] = 60.0,
    store_db: Annotated[
        Path | None, typer.Option(help="With --host: the store's database (its logins).")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            help="The store's secret (derives the demo passwords). Default: embedded, a random "
            "one; with --host, the one kept beside --store-db."
        ),
    ] = None,
    erp_url: Annotated[
        str | None, typer.Option(help="With --host: the ERP API (ErpIntegrationClient).")
    ] = None,
    erp_key: Annotated[str | None, typer.Option(help="With --host: the ERP API key.")] = None,
    erp_flavor: Annotated[
        str,
        typer.Option(
            help="The ERP API of the embedded store and of ErpIntegrationClient: bc (Business "
            "Central) or sap (SAP S/4HANA OData V2)."
        ),
    ] = "bc",
    seed: Annotated[int, typer.Option(help="Seed of the logins' order and the choices.")] = 0,
) -> None:
    """Load-test the B2B store with realistic buyer personas; SLO gates set the exit code.

    Example: erpsim load --users 50 --duration 2m --slo "p95<300ms" --slo "fail_ratio<0.5%"
    """
    from loadtests.mix import PERSONAS, load_mix  # noqa: PLC0415 - plain Python, no Locust
    from loadtests.slo import parse_slos  # noqa: PLC0415
    from simulator.load.runner import LoadSettings, run_load  # noqa: PLC0415
    from simulator.store.cli import check_flavor, parse_duration  # noqa: PLC0415

    check_flavor(erp_flavor, integration)
    seconds = parse_duration(duration, "--duration")
    warmup_seconds = warmup_for(warmup, seconds)
    slos = list(slo or [])
    parse_slos(slos)
    if shape is not None and shape not in SHAPES:
        raise UserError(f"unknown --shape {shape!r}: choose step, spike or adoption")
    for name in persona or []:
        if name not in PERSONAS:
            raise UserError(f"unknown --persona {name!r}: choose {', '.join(PERSONAS)}")
    if users is not None and rate is not None:
        raise UserError("use either --users or --rate, not both")
    if users is not None and users < 1:
        raise UserError("--users must be at least 1")
    sessions = parse_rate(rate) if rate is not None else None
    weights = load_mix(mix).personas.weights()  # a bad file fails now
    chosen = list(persona or PERSONAS)
    if host is not None and not (erp_url and erp_key):
        weights["ErpIntegrationClient"] = 0  # needs the ERP's URL and key
    if not any(weights[name] for name in chosen):
        raise UserError(
            f"no persona to run: {', '.join(chosen)} ha{'s' if len(chosen) == 1 else 've'} "
            "weight 0 in the load mix (or, with --host, the ERP client lacks --erp-url/--erp-key)"
        )
    if shape == "adoption":
        if users is not None or rate is not None:
            raise UserError("the adoption shape sets the rate itself: drop --users / --rate")
        if scenario is None and forecast is None:
            raise UserError("--shape adoption needs --scenario FILE (or --forecast DIR)")
        if month is None:
            raise UserError("--shape adoption needs --month M")
        if scenario is not None:
            scenario = resolve("scenario", scenario)  # a file or a built-in name
        if forecast_runs < 1:
            raise UserError("--forecast-runs must be at least 1")
    elif scenario is not None or month is not None or forecast is not None:
        raise UserError("--scenario, --month and --forecast belong to --shape adoption")
    if integration not in ("realtime", "batch"):
        raise UserError(f"--integration must be realtime or batch, not {integration!r}")
    if workers < 0 or workers > 64:
        raise UserError("--workers must be between 0 and 64")
    if host is not None and (db is None and not Path("data/erp.sqlite").is_file()):
        raise UserError("with --host, give --db: the dataset the store serves (its buyers)")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = out or Path("reports") / f"load-{stamp}"
    if target.exists():
        raise UserError(f"--out {target} exists; choose another directory")
    settings = LoadSettings(
        out=target,
        duration=seconds,
        warmup=warmup_seconds,
        users=None if sessions is not None or shape == "adoption" else (users or 10),
        rate=sessions,
        shape=shape,
        host=host,
        db=db if db is not None or host is None else Path("data/erp.sqlite"),
        profile=profile,
        store_db=store_db,
        secret=secret,
        erp_url=erp_url,
        erp_key=erp_key,
        mix=mix,
        personas=tuple(persona or ()),
        slos=tuple(slos),
        scenario=scenario,
        month=month,
        forecast=forecast,
        forecast_runs=forecast_runs,
        workers=workers,
        integration=integration,
        erp_flavor=erp_flavor,
        clock_speed=clock_speed,
        seed=seed,
    )
    result = run_load(settings)
    total = result.summary.get("total", {})
    store = result.summary.get("store", {})
    typer.echo(
        f"{total.get('requests', 0)} requests, {total.get('failures', 0)} failed, "
        f"{total.get('rps', 0):.1f} req/s; store p95 {store.get('p95_ms')} ms"
    )
    for line in result.messages:
        typer.echo(line, err=line.startswith(("SLO FAIL", "integrity", "adoption shape", "  ")))
    typer.echo(f"wrote {result.out}/{{summary.json, report.html, locust_stats.csv, ...}}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)
