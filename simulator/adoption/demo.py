"""The adoption section of `erpsim demo`: a short forecast and its SMART target verdict."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from simulator.adoption.cx import read_cx
from simulator.adoption.display import final_table, probability, target_line
from simulator.adoption.forecast import run_forecast
from simulator.adoption.outputs import atomic_directory, write_forecast_files
from simulator.adoption.population import load_population
from simulator.adoption.scenario import load_scenario

DEMO_RUNS = 40
DEMO_SEED = 1


def demo_section(db: Path, workdir: Path, console: Console, *, cx_from: Path | None = None) -> None:
    """Forecast the baseline on ``db`` (40 runs), write its report under ``workdir``, and
    contrast its target probability with the training-and-incentives plan; with ``cx_from``
    (a load-test summary) the site's measured experience replaces the scenario's."""
    cx = read_cx(cx_from) if cx_from is not None else None
    baseline = load_scenario("baseline")
    population = load_population(db, baseline.population)
    forecast = run_forecast(
        baseline,
        population,
        source="scenarios/baseline.toml",
        runs=DEMO_RUNS,
        seed=DEMO_SEED,
        cx=cx,
    )
    out = workdir / "adoption-baseline"
    summary = forecast.summary()
    with atomic_directory(out, force=True) as directory:
        write_forecast_files(directory, forecast, summary=summary)
    console.print(final_table(summary))
    console.print(target_line(summary))
    plan = load_scenario("training-and-incentives")
    better = run_forecast(
        plan,
        load_population(db, plan.population),
        source="scenarios/training-and-incentives.toml",
        runs=DEMO_RUNS,
        seed=DEMO_SEED,
        cx=cx,
    )
    if better.target is not None:
        console.print(
            f"with training and incentives: probability "
            f"{probability(better.target.probability)} ({better.target.verdict})"
        )
    console.print(f"report: {out / 'report.html'}")
    console.print(
        "Next: erpsim compare baseline training-and-incentives realtime-erp --db " + str(db)
    )
