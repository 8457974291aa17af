"""Benchmark of the adoption forecaster: wall time, throughput, peak RSS, speed-up.

    .venv/bin/python bench/adoption.py [--runs 200] [--workers 2] [--skip-reference]

Every measured case runs in a fresh child process (this script with ``--child``) so its peak
RSS is its own (the child's and its worker processes'); the child prints one JSON line and
the parent prints the figures. Figures, never assertions. What is measured, against the
targets of issue 8:

- ``large``: `simulate` of scenarios/baseline.toml (24 months) for 20,000 accounts / 60,000
  contacts (a synthetic population, three quarters buyers), 200 runs on both cores, files
  written: target <= 60 s (about 10M contact-weeks per second per core), peak RSS <= 4 GiB;
- linearity: the same with half the contacts, half the months and a quarter of the runs,
  in nanoseconds per contact-week (should stay flat);
- ``small``: runs per second on the small profile's dataset (generated once, seed 7);
- the event-per-need reference model on a 1 % sample of the large population (200 accounts),
  same months and runs, and the fast model on the same sample: the speed-up is the ratio
  of nanoseconds per contact-week, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from simulator.adoption.forecast import run_forecast
from simulator.adoption.outputs import atomic_directory, write_forecast_files
from simulator.adoption.population import (
    dataset,
    load_population,
    sample_population,
    synthetic_population,
)
from simulator.adoption.scenario import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
TARGET_SECONDS = 60.0
TARGET_RSS_KIB = 4 * 1024 * 1024
LARGE = (20_000, 60_000)


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def child(case: dict[str, Any]) -> dict[str, Any]:
    """Run one case in this process; returns its figures."""
    scenario = load_scenario(BASELINE)
    if case["months"] != scenario.horizon_months:
        data = scenario.model_dump()
        data["horizon_months"] = case["months"]
        data["target"] = None
        scenario = scenario_from_dict(data)
    setup = time.perf_counter()
    if case["population"] == "small":
        with dataset(None, "small") as data:
            population = load_population(data.path, scenario.population, label=data.label)
    else:
        accounts, contacts = case["population"]
        population = synthetic_population(accounts, contacts, seed=1)
        if case.get("sample"):
            population = sample_population(population, case["sample"], seed=1)
    setup = time.perf_counter() - setup
    started, cpu = time.perf_counter(), cpu_seconds()
    forecast = run_forecast(
        scenario,
        population,
        source=str(BASELINE),
        runs=case["runs"],
        seed=1,
        workers=case["workers"],
        model=case["model"],
    )
    simulated = time.perf_counter() - started
    simulated_cpu = cpu_seconds() - cpu
    with (
        tempfile.TemporaryDirectory() as tmp,
        atomic_directory(Path(tmp) / "out", force=False) as directory,
    ):
        write_forecast_files(directory, forecast)
    total = time.perf_counter() - started
    weeks = forecast.schedule.weeks
    contact_weeks = population.contacts * weeks * case["runs"]
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "accounts": population.accounts,
        "contacts": population.contacts,
        "weeks": weeks,
        "runs": case["runs"],
        "workers": case["workers"],
        "model": case["model"],
        "setup_s": setup,
        "simulate_s": simulated,
        "simulate_cpu_s": simulated_cpu,
        "total_s": total,
        "contact_weeks": contact_weeks,
        "ns_per_contact_week": simulated / contact_weeks * 1e9,
        "peak_rss_kib": max(self_rss, children_rss),
        "tda_median_final": forecast.summary()["tda_median_final"],
    }


def measure(case: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(case)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def line(name: str, figures: dict[str, Any]) -> str:
    per_core = 1e9 / figures["ns_per_contact_week"] / figures["workers"]
    return (
        f"{name:<34} {figures['contacts']:>7,} contacts x {figures['weeks']} weeks x "
        f"{figures['runs']:>3} runs, {figures['model']:<9} {figures['workers']} worker(s): "
        f"simulate {figures['simulate_s']:7.2f} s (with files {figures['total_s']:7.2f} s), "
        f"{figures['ns_per_contact_week']:8.1f} ns/contact-week, "
        f"{per_core / 1e6:6.2f}M contact-weeks/s/core (per CPU-second "
        f"{figures['contact_weeks'] / figures['simulate_cpu_s'] / 1e6:5.2f}M), peak RSS "
        f"{figures['peak_rss_kib'] / 1024:,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    runs, workers = args.runs, args.workers
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"cpus {os.cpu_count()}, python {sys.version.split()[0]}, runs {runs}, "
        f"workers {workers}, load average before: {load}"
    )
    fast = {"model": "fast", "workers": workers}
    large = measure({"population": list(LARGE), "months": 24, "runs": runs, **fast})
    print(line("large (target <= 60 s, <= 4 GiB)", large))
    verdict_time = "meets" if large["total_s"] <= TARGET_SECONDS else "MISSES"
    verdict_rss = "meets" if large["peak_rss_kib"] <= TARGET_RSS_KIB else "MISSES"
    print(f"  -> {verdict_time} the 60 s target, {verdict_rss} the 4 GiB target")

    quarter = max(1, runs // 4)
    half_contacts = measure(
        {"population": [LARGE[0] // 2, LARGE[1] // 2], "months": 24, "runs": quarter, **fast}
    )
    half_months = measure({"population": list(LARGE), "months": 12, "runs": quarter, **fast})
    quarter_runs = measure({"population": list(LARGE), "months": 24, "runs": quarter, **fast})
    print(line("linearity: half the contacts", half_contacts))
    print(line("linearity: half the months", half_months))
    print(line("linearity: a quarter of the runs", quarter_runs))

    small = measure({"population": "small", "months": 24, "runs": runs, **fast})
    print(line("small profile", small))
    print(f"  -> {small['runs'] / small['simulate_s']:,.0f} runs/s on small "
          f"({small['runs'] / small['total_s']:,.0f} runs/s with the files)")  # fmt: skip

    if args.skip_reference:
        return
    sample = {"population": list(LARGE), "sample": 0.01, "months": 24, "runs": runs}
    reference = measure({**sample, "model": "reference", "workers": workers})
    fast_sample = measure({**sample, **fast})
    print(line("reference model, 1 % sample", reference))
    print(line("fast model, same 1 % sample", fast_sample))
    ratio = reference["ns_per_contact_week"] / large["ns_per_contact_week"]
    same_sample = reference["ns_per_contact_week"] / fast_sample["ns_per_contact_week"]
    print(f"  -> speed-up per contact-week: {ratio:,.0f}x (reference on the 1 % sample vs fast "
          f"on the large case), {same_sample:,.0f}x on the same 1 % sample")  # fmt: skip
    minutes = reference["ns_per_contact_week"] * large["contact_weeks"] / 1e9 / 60
    print(f"  -> the large case with the reference model would take about {minutes:,.0f} min")


if __name__ == "__main__":
    main()
