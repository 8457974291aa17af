"""The planner's commands: simulate, compare, calibrate, sensitivity, bass.

Thin layers: parse, call the library, print. `register(app)` adds them to the `erpsim` app.
User errors are UserError (one line, exit code 2 through `simulator.cli.main`); every output
directory is checked before any work and written atomically.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from simulator.errors import UserError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from simulator.adoption.calibrate import Calibration

PRIMARY = ("TR", "TAU", "TDA", "KAAR")  # the seed guide's rates (metrics.PRIMARY, lazily)
MAX_BOOTSTRAP = 1000

ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario TOML, or a built-in name (baseline, realtime-erp, ...).")
]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="erpsim SQLite dataset to read the buyers from.")
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile", help="Generate this profile (seed 7) instead of --db; default small."
    ),
]
RunsOption = Annotated[int, typer.Option("--runs", help="Monte Carlo runs.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of every random choice.")]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Worker processes (default: every core).")
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing --out.")]
CxOption = Annotated[
    Path | None,
    typer.Option("--cx-from", help="Load-test summary.json whose 'cx' values override levers."),
]
StructuralOption = Annotated[
    bool,
    typer.Option(
        "--structural-uncertainty/--no-structural-uncertainty",
        help="Draw every behavioural parameter from its range per run (docs/adoption.md).",
    ),
]
ModelOption = Annotated[
    str, typer.Option("--model", help="fast (vectorised) or reference (one event per need).")
]


def _console() -> Console:
    from simulator.adoption.display import console  # noqa: PLC0415

    return console()


def _table(title: str) -> Table:
    from rich.table import Table  # noqa: PLC0415

    return Table(title=title, title_justify="left")


FIT_PROGRESS_EVERY = 10  # simulations of the fit between two progress lines


class _Counting(Executor):
    """Runs the fit's Monte Carlo batches on `pool` (inline without one, as the model
    does with one worker: the same chunks, the same results) and counts them: each
    simulation of the fit is one `map`; every `every` of them, `report(count)`."""

    def __init__(self, pool: Executor | None, every: int, report: Any) -> None:
        self.pool, self.every, self.report, self.done = pool, every, report, 0

    def map(
        self, fn: Any, *iterables: Any, timeout: float | None = None, chunksize: int = 1
    ) -> Any:
        self.done += 1
        if self.done % self.every == 0:
            self.report(self.done)
        if self.pool is None:
            return map(fn, *iterables)
        return self.pool.map(fn, *iterables, timeout=timeout, chunksize=chunksize)


class _Stages:
    """A line per stage on stderr with the time the previous one took (stdout keeps the
    results), so a long command shows where it is."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.started = self.last = time.monotonic()

    def __call__(self, text: str) -> None:
        now = time.monotonic()
        took = f" [{now - self.last:.0f} s]" if now - self.started >= 1 else ""
        self.last = now
        typer.echo(f"{self.command}: {text} ...{took}", err=True)

    def count(self, simulations: int) -> None:
        took = time.monotonic() - self.last
        typer.echo(f"{self.command}:   {simulations} simulations, {took:.0f} s in", err=True)

    def done(self) -> None:
        typer.echo(f"{self.command}: done in {time.monotonic() - self.started:.0f} s", err=True)


def _percent(value: float) -> str:
    from simulator.adoption.display import percent  # noqa: PLC0415

    return percent(value)


@contextlib.contextmanager
def _pool(workers: int | None, enabled: bool) -> Iterator[Executor | None]:
    """One process pool for commands that run many forecasts."""
    from simulator.adoption.montecarlo import default_workers, make_executor  # noqa: PLC0415

    count = workers or default_workers()
    if not enabled or count == 1:
        yield None
        return
    with make_executor(count) as pool:
        yield pool


def simulate(
    scenario: ScenarioArg,
    db: DbOption = None,
    profile: ProfileOption = None,
    runs: RunsOption = 200,
    seed: SeedOption = 1,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default: reports/<scenario file name>)."),
    ] = None,
    force: ForceOption = False,
    workers: WorkersOption = None,
    cx_from: CxOption = None,
    model: ModelOption = "fast",
    structural: StructuralOption = True,
) -> None:
    """Forecast adoption under one scenario: bands per month and the target's probability.

    Example: erpsim simulate scenarios/baseline.toml --db data/erp.sqlite --out reports/baseline
    """
    from simulator.adoption import display  # noqa: PLC0415
    from simulator.adoption.cx import read_cx  # noqa: PLC0415
    from simulator.adoption.forecast import run_forecast  # noqa: PLC0415
    from simulator.adoption.montecarlo import check_runs, simulator_for  # noqa: PLC0415
    from simulator.adoption.outputs import (  # noqa: PLC0415
        atomic_directory,
        check_output,
        write_forecast_files,
    )
    from simulator.adoption.population import dataset, load_population  # noqa: PLC0415
    from simulator.adoption.scenario import load_scenario  # noqa: PLC0415

    chosen = load_scenario(scenario)
    out = out or Path("reports") / scenario.stem
    check_output(out, force=force)
    check_runs(runs, workers)
    simulator_for(model)  # type: ignore[arg-type]
    cx = read_cx(cx_from) if cx_from else None
    started = time.perf_counter()
    with dataset(db, profile) as data:
        population = load_population(data.path, chosen.population, label=data.label)
    forecast = run_forecast(
        chosen,
        population,
        source=str(scenario),
        runs=runs,
        seed=seed,
        workers=workers,
        model=model,
        cx=cx,  # type: ignore[arg-type]
        structural=structural,
        with_noise_only=True,
    )
    summary = forecast.summary()
    with atomic_directory(out, force=force) as directory:
        write_forecast_files(directory, forecast, summary=summary)
    console = _console()
    console.print(display.final_table(summary))
    console.print(display.target_line(summary))
    console.print(
        f"{runs} runs in {time.perf_counter() - started:.1f} s; wrote {out}/"
        "{metrics.csv, summary.json, adoption.png, report.html}"
    )


def compare(
    scenarios: Annotated[list[Path], typer.Argument(help="Two or more scenario TOML files.")],
    db: DbOption = None,
    profile: ProfileOption = None,
    runs: RunsOption = 200,
    seed: SeedOption = 1,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("reports/compare"),
    force: ForceOption = False,
    workers: WorkersOption = None,
    cx_from: CxOption = None,
    structural: StructuralOption = True,
) -> None:
    """Forecast several scenarios with the same seeds; one chart and one table.

    Example: erpsim compare scenarios/baseline.toml scenarios/realtime-erp.toml --runs 200
    """
    from simulator.adoption import display  # noqa: PLC0415
    from simulator.adoption.compare import check_names, write_comparison  # noqa: PLC0415
    from simulator.adoption.cx import read_cx  # noqa: PLC0415
    from simulator.adoption.forecast import run_forecast  # noqa: PLC0415
    from simulator.adoption.montecarlo import check_runs  # noqa: PLC0415
    from simulator.adoption.outputs import atomic_directory, check_output  # noqa: PLC0415
    from simulator.adoption.population import dataset, load_population  # noqa: PLC0415
    from simulator.adoption.scenario import load_scenario  # noqa: PLC0415

    if len(scenarios) < 2:
        raise UserError("compare needs at least two scenario files")
    chosen = [load_scenario(path) for path in scenarios]
    check_names([item.name for item in chosen])
    check_output(out, force=force)
    check_runs(runs, workers)
    cx = read_cx(cx_from) if cx_from else None
    forecasts = []
    with dataset(db, profile) as data, _pool(workers, True) as pool:
        for item, source in zip(chosen, scenarios, strict=True):
            population = load_population(data.path, item.population, label=data.label)
            forecasts.append(
                run_forecast(
                    item,
                    population,
                    source=str(source),
                    runs=runs,
                    seed=seed,
                    workers=workers,
                    cx=cx,
                    executor=pool,
                    structural=structural,
                )
            )
    with atomic_directory(out, force=force) as directory:
        write_comparison(directory, forecasts)
    console = _console()
    table = _table(f"{runs} runs per scenario, seed {seed}")
    table.add_column("scenario")
    for name in PRIMARY:
        table.add_column(f"{name} median", justify="right")
    table.add_column("KAAR mean", justify="right")
    table.add_column("net saved", justify="right")
    table.add_column("target probability", justify="right")
    for forecast in forecasts:
        summary = forecast.summary()
        target = summary["target"]
        table.add_row(
            forecast.scenario.name,
            *(_percent(summary["final"][name]["p50"]) for name in PRIMARY),
            _percent(summary["final"]["KAAR"]["mean"]),
            f"{summary['final']['net_saved_cumulative']['p50']:,.0f}",
            f"{display.probability(target['probability'])} ({target['verdict']})"
            if target
            else "-",
        )
    console.print(table)
    console.print(f"wrote {out}/{{metrics.csv, summary.json, comparison.png, report.html}}")


def calibrate(
    scenario: ScenarioArg,
    history: Annotated[Path, typer.Option("--history", help="Observed monthly history CSV.")],
    db: DbOption = None,
    profile: ProfileOption = None,
    runs: Annotated[int, typer.Option("--runs", help="Runs of the calibrated forecast.")] = 200,
    fit_runs: Annotated[
        int, typer.Option("--fit-runs", help="Runs per evaluation while fitting.")
    ] = 24,
    max_evaluations: Annotated[
        int, typer.Option("--max-evaluations", help="Budget of the optimiser.")
    ] = 120,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            help="Seeded bootstrap refits for standard errors and intervals (0: none).",
        ),
    ] = 10,
    seed: SeedOption = 1,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path(
        "reports/calibrated"
    ),
    force: ForceOption = False,
    workers: WorkersOption = None,
    structural: StructuralOption = True,
) -> None:
    """Fit the free parameters to an observed history, then forecast with them.

    Example: erpsim calibrate scenarios/baseline.toml --history fixtures/history/pilot.csv
    """
    from simulator.adoption import display  # noqa: PLC0415
    from simulator.adoption.calibrate import calibrate as fit  # noqa: PLC0415
    from simulator.adoption.calibration_report import write_calibration  # noqa: PLC0415
    from simulator.adoption.forecast import run_forecast  # noqa: PLC0415
    from simulator.adoption.history import read_history  # noqa: PLC0415
    from simulator.adoption.montecarlo import check_runs  # noqa: PLC0415
    from simulator.adoption.outputs import atomic_directory, check_output  # noqa: PLC0415
    from simulator.adoption.population import dataset, load_population  # noqa: PLC0415
    from simulator.adoption.scenario import load_scenario  # noqa: PLC0415

    chosen = load_scenario(scenario)
    observed = read_history(history)
    check_output(out, force=force)
    check_runs(runs, workers)
    check_runs(fit_runs, workers)
    if max_evaluations < 1:
        raise UserError(f"bad --max-evaluations {max_evaluations}: must be at least 1")
    if not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise UserError(f"bad --bootstrap {bootstrap}: must be 0 (none) to {MAX_BOOTSTRAP}")
    if bootstrap == 1:
        raise UserError("bad --bootstrap 1: a spread needs at least 2 refits (or 0 for none)")
    from simulator.adoption.calendar import build_schedule  # noqa: PLC0415
    from simulator.adoption.calibrate import history_month_indexes  # noqa: PLC0415

    # What the user can get wrong fails first, as one line, before the progress lines.
    history_month_indexes(chosen, observed, build_schedule(chosen).month_labels)
    with dataset(db, profile) as data:
        population = load_population(data.path, chosen.population, label=data.label)
    stage = _Stages("calibrate")
    with _pool(workers, True) as pool:
        stage(
            f"fitting to {history} ({len(observed.months)} months): up to {max_evaluations} "
            f"evaluations of {fit_runs} runs each, then {bootstrap} bootstrap refits; the slow"
            " part"
        )
        result = fit(
            chosen,
            population,
            observed,
            fit_runs=fit_runs,
            seed=seed,
            workers=workers,
            max_evaluations=max_evaluations,
            executor=_Counting(pool, FIT_PROGRESS_EVERY, stage.count),
            bootstrap=bootstrap,
        )
        stage(
            f"fitted after {result.evaluations} evaluations (fit error {result.rmse * 100:.2f} "
            f"pp, {result.rmse_before * 100:.2f} before); forecasting {runs} runs with the "
            "fitted parameters"
        )
        forecast = run_forecast(
            result.scenario,
            population,
            source=str(scenario),
            runs=runs,
            seed=seed,
            workers=workers,
            executor=pool,
            structural=structural,
        )
    stage(f"writing {out}")
    with atomic_directory(out, force=force) as directory:
        write_calibration(directory, forecast, result)
    stage.done()
    console = _console()
    console.print(_calibration_table(result, str(history)))
    for line in _calibration_notes(result):
        console.print(line)
    console.print(
        f"fit error (RMSE over TR, TAU, TDA, KAAR): {result.rmse * 100:.2f} pp "
        f"(before: {result.rmse_before * 100:.2f} pp), {result.evaluations} evaluations"
    )
    if result.bass:
        bass = result.bass
        console.print(
            f"Bass baseline on ordered_once: m={bass.m:,.1f} (se {bass.se_m:,.1f}), "
            f"p={bass.p:.4f} (se {bass.se_p:.4f}), q={bass.q:.4f} (se {bass.se_q:.4f})"
        )
    console.print(display.target_line(forecast.summary()))
    console.print(
        f"wrote {out}/{{metrics.csv, summary.json, calibration.json, parameters.toml, "
        "adoption.png, report.html}"
    )


def _calibration_table(result: Calibration, history: str) -> Table:
    """Parameters before and after, with the least-squares and bootstrap errors."""
    table = _table(f"calibrated on {history}")
    spread, boot = result.fit_uncertainty, result.bootstrap
    columns = ["parameter", "before", "after", "s.e. (least squares)"]
    if boot is not None:
        columns += [f"s.e. (bootstrap, {boot.replicates})", "95 % interval (bootstrap)"]
    else:
        columns += ["95 % interval (least squares)"]
    for column in columns:
        table.add_column(column, justify="left" if column == "parameter" else "right")
    for name in result.before:
        row = [name, f"{result.before[name]:.4g}", f"{result.after[name]:.4g}"]
        row.append(f"{spread.se[name]:.3g}" if spread else "-")
        if boot is not None:
            row += [f"{boot.se[name]:.3g}", "{:.4g} - {:.4g}".format(*boot.ci95[name])]
        else:
            row.append("{:.4g} - {:.4g}".format(*spread.ci95[name]) if spread else "-")
        table.add_row(*row)
    return table


def _calibration_notes(result: Calibration) -> list[str]:
    """The estimates' correlations, identifiability warnings, and a hint when no bootstrap."""
    lines = []
    spread = result.fit_uncertainty
    if spread is not None:
        pairs = [
            f"{a} ~ {b} {spread.correlation[i, j]:+.2f}"
            for i, a in enumerate(spread.names)
            for j, b in enumerate(spread.names)
            if j > i
        ]
        lines.append("correlation of the estimates (least squares): " + ", ".join(pairs))
    boot = result.bootstrap
    if boot is not None and boot.replicates > 2:
        pairs = [
            f"{a} ~ {b} {boot.correlation[i, j]:+.2f}"
            for i, a in enumerate(boot.names)
            for j, b in enumerate(boot.names)
            if j > i
        ]
        lines.append(
            f"correlation of the {boot.replicates} bootstrap refits "
            f"({boot.evaluations} evaluations): " + ", ".join(pairs)
        )
    lines += [f"identifiability: {warning}" for warning in result.warnings()]
    if boot is None:
        lines.append(
            "the least-squares errors leave out the fit seed's noise; --bootstrap N refits "
            "with N seeds for errors that include it"
        )
    return lines


def sensitivity(
    scenario: ScenarioArg,
    db: DbOption = None,
    profile: ProfileOption = None,
    runs: RunsOption = 100,
    seed: SeedOption = 1,
    metric: Annotated[
        str | None, typer.Option("--metric", help="TR, TAU, TDA or KAAR (default: target's).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path(
        "reports/sensitivity"
    ),
    force: ForceOption = False,
    workers: WorkersOption = None,
    structural: StructuralOption = True,
) -> None:
    """Rank levers by their effect on the target metric (tornado chart).

    Example: erpsim sensitivity scenarios/baseline.toml --runs 100 --out reports/sensitivity
    """
    from simulator.adoption.montecarlo import check_runs  # noqa: PLC0415
    from simulator.adoption.outputs import (  # noqa: PLC0415
        atomic_directory,
        check_output,
        write_json,
    )
    from simulator.adoption.population import dataset, load_population  # noqa: PLC0415
    from simulator.adoption.scenario import load_scenario  # noqa: PLC0415
    from simulator.adoption.sensitivity import sensitivity as rank  # noqa: PLC0415
    from simulator.report import charts, pages  # noqa: PLC0415

    if metric is not None and metric not in PRIMARY:
        raise UserError(f"bad --metric {metric!r}: choose {', '.join(PRIMARY)}")
    chosen = load_scenario(scenario)
    check_output(out, force=force)
    check_runs(runs, workers)
    with dataset(db, profile) as data:
        population = load_population(data.path, chosen.population, label=data.label)
    with _pool(workers, True) as pool:
        summary = rank(
            chosen,
            population,
            source=str(scenario),
            runs=runs,
            seed=seed,
            metric=metric,
            workers=workers,
            executor=pool,
            structural=structural,
        )
    levers = summary["levers"]
    goal = chosen.target
    if goal is not None and goal.metric == summary["metric"]:  # the line the bars must cross
        summary["target"] = {"metric": goal.metric, "value": goal.value, "date": str(goal.date)}
    png = charts.tornado_chart(
        [item["lever"] for item in levers],
        [item["low"] for item in levers],
        [item["high"] for item in levers],
        summary["base"],
        metric=summary["metric"],
        title=f"{summary['scenario']}: median {charts.spelled(summary['metric'])} in "
        f"{summary['month']}",
        target=summary["target"]["value"] if "target" in summary else None,
    )
    with atomic_directory(out, force=force) as directory:
        write_json(directory / "summary.json", summary)
        (directory / "tornado.png").write_bytes(png)
        (directory / "report.html").write_text(
            pages.sensitivity_page(summary, png), encoding="utf-8"
        )
    console = _console()
    base = _percent(summary["base"])
    table = _table(f"median {summary['metric']} in {summary['month']}: base {base}")
    for column in ("lever", "unfavourable", "favourable", "swing"):
        table.add_column(column, justify="right" if column == "swing" else "left")
    for item in levers:
        table.add_row(
            item["lever"],
            f"{item['unfavourable']}: {_percent(item['low'])}",
            f"{item['favourable']}: {_percent(item['high'])}",
            f"{item['swing'] * 100:+.1f} pp",
        )
    console.print(table)
    console.print(f"wrote {out}/{{summary.json, tornado.png, report.html}}")


def bass(
    history: Annotated[Path, typer.Argument(help="CSV whose rows are consecutive periods.")],
    column: Annotated[str, typer.Option("--column", help="Column with the adoptions.")],
    cumulative: Annotated[
        bool, typer.Option("--cumulative", help="The column holds running totals.")
    ] = False,
    form: Annotated[
        str, typer.Option("--form", help="interval (F(t)-F(t-1)) or instantaneous (f(t)).")
    ] = "interval",
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimates as JSON.")] = False,
) -> None:
    """Fit the Bass diffusion model (m, p, q) by nonlinear least squares.

    Example: erpsim bass fixtures/history/pilot.csv --column ordered_once --cumulative
    """
    from simulator.adoption.bass import FORMS, fit_bass  # noqa: PLC0415
    from simulator.adoption.history import read_periods  # noqa: PLC0415

    if form not in FORMS:
        raise UserError(f"bad --form {form!r}: choose interval or instantaneous")
    adoptions = read_periods(history, column, cumulative=cumulative)
    fit = fit_bass(adoptions, form)
    if as_json:
        typer.echo(json.dumps(fit.as_dict()))
        return
    console = _console()
    table = _table(f"Bass fit of {column} in {history} ({fit.periods} periods, {fit.form} form)")
    for name in ("parameter", "estimate", "std. error"):
        table.add_column(name, justify="left" if name == "parameter" else "right")
    table.add_row("m (market potential)", f"{fit.m:,.4g}", f"{fit.se_m:,.4g}")
    table.add_row("p (innovation)", f"{fit.p:.5f}", f"{fit.se_p:.5f}")
    table.add_row("q (imitation)", f"{fit.q:.5f}", f"{fit.se_q:.5f}")
    console.print(table)
    console.print(f"residual standard error {fit.residual_se:.4g}")


def register(app: typer.Typer) -> None:
    """Add the adoption commands to ``app`` (the `erpsim` typer app)."""
    app.command("simulate")(simulate)
    app.command("compare")(compare)
    app.command("calibrate")(calibrate)
    app.command("sensitivity")(sensitivity)
    app.command("bass")(bass)
