"""One scenario, forecast: population + levers + calendar -> Monte Carlo -> metrics and bands.

This is what `erpsim simulate` computes and `compare`, `calibrate` and `sensitivity` reuse.
Everything in ``summary()`` depends only on the inputs and the seed (no clock, no worker
count), so the files written from it are identical for the same seed.
"""

from __future__ import annotations

import functools
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from simulator.adoption.accuracy import Accuracy
from simulator.adoption.calendar import Schedule, build_schedule
from simulator.adoption.costs import monthly_fixed_costs
from simulator.adoption.cx import CxInputs
from simulator.adoption.levers import SiteLevers, build_inputs, describe_levers
from simulator.adoption.metrics import (
    METRICS,
    PRIMARY,
    Band,
    MetricContext,
    TargetOutcome,
    bands,
    compute_metrics,
    seed_band,
    target_outcome,
    wilson,
)
from simulator.adoption.montecarlo import Model, run_monte_carlo
from simulator.adoption.population import Population
from simulator.adoption.scenario import Scenario
from simulator.adoption.targets import matches


@dataclass(frozen=True)
class Forecast:
    """A scenario's Monte Carlo result and what it was computed from."""

    scenario: Scenario
    source: str
    population: Population
    accuracy: Accuracy
    site: SiteLevers
    cx: CxInputs | None
    schedule: Schedule
    runs: int
    seed: int
    model: str
    values: dict[str, np.ndarray]  # metric -> (runs, months)
    structural: bool = True
    fixed_costs: tuple[float, ...] = ()
    noise_only: Forecast | None = None  # the same runs without parameter uncertainty

    @functools.cached_property
    def bands(self) -> dict[str, list[Band]]:
        return {name: bands(values) for name, values in self.values.items()}

    @property
    def months(self) -> tuple[str, ...]:
        return self.schedule.month_labels

    def median(self, metric: str) -> np.ndarray:
        return np.array([band.p50 for band in self.bands[metric]])

    @functools.cached_property
    def target(self) -> TargetOutcome | None:
        target = self.scenario.target
        if target is None:
            return None
        month = self.schedule.month_of(target.date)
        return target_outcome(
            self.values[target.metric], month, self.months[month], target.metric, target.value
        )

    def smart_sentence(self) -> str | None:
        """The seed guide's SMART template, filled in."""
        target = self.scenario.target
        if target is None:
            return None
        start = "" if target.current is None else f" from {target.current:.0%}"
        return f"Raise {target.metric}{start} to {target.value:.0%} by {target.date}."

    def summary(self) -> dict[str, object]:
        """What summary.json holds (and the report shows)."""
        scenario, final = self.scenario, len(self.months) - 1
        tda = self.bands["TDA"][final].p50
        summary: dict[str, object] = {
            "scenario": scenario.name,
            "scenario_file": self.source,
            "question": scenario.question,
            "runs": self.runs,
            "seed": self.seed,
            "model": self.model,
            "structural_uncertainty": self.structural,
            "currency": scenario.costs.currency,
            "horizon": {
                "start": scenario.start.isoformat(),
                "end": scenario.last_day.isoformat(),
                "months": scenario.horizon_months,
                "first_month": self.months[0],
                "last_month": self.months[-1],
            },
            "population": self.population.describe(),
            "data_accuracy": self.accuracy.as_dict(self.population.basket_lines),
            "site": {
                "p95_ms": self.site.p95_ms,
                "error_ratio": self.site.error_ratio,
                "source": self.site.source,
            },
            "cx_from": self.cx.as_dict() if self.cx else None,
            "levers": describe_levers(scenario, self.site, self.accuracy),
            "calendar": [f"{event.day}: {event.text}" for event in self.schedule.events],
            "targets": self.targets(),
            "parameters_overridden": scenario.parameters.model_dump(exclude_defaults=True),
            "final_month": self.months[final],
            "final": {name: self.bands[name][final].as_dict() for name in self.values},
            "tda_median_final": round(tda, 6),
            "tda_band": seed_band(tda),
            "target": self._target_summary(),
            "kaar_distribution": self.kaar_distribution(),
            "costs": self.cost_summary(),
        }
        if self.noise_only is not None:
            summary["monte_carlo_only"] = {
                "final": {name: self.noise_only.bands[name][final].as_dict() for name in PRIMARY},
                "target": self.noise_only._target_summary(),
            }
        return summary

    def kaar_distribution(self) -> dict[str, object]:
        """Key accounts with an online order at the horizon: how many runs end with each
        count (with 20 key accounts the median is one of 21 values; the mean is not)."""
        final = len(self.months) - 1
        ordered = self.values["key_accounts_ordered"][:, final].astype(int)
        invited = self.values["key_accounts_invited"][:, final]
        counts = np.bincount(ordered)
        return {
            "key_accounts_invited_median": float(np.median(invited)),
            "mean_kaar": round(float(self.values["KAAR"][:, final].mean()), 6),
            "runs_by_key_accounts_ordered": {
                str(k): int(n) for k, n in enumerate(counts.tolist()) if n
            },
        }

    def cost_summary(self) -> dict[str, object]:
        """Lever costs and the net saving at the horizon (medians and p10-p90)."""
        final = len(self.months) - 1
        out: dict[str, object] = {
            "fixed_lever_costs_total": round(float(sum(self.fixed_costs)), 2),
        }
        for name in (
            "cost_to_serve_saved_cumulative",
            "lever_costs_cumulative",
            "net_saved_cumulative",
            "roi",
        ):
            out[name] = self.bands[name][final].as_dict(2 if name != "roi" else 4)
        discount = np.cumsum(self.values["lever_costs"], axis=1)[:, final] - sum(self.fixed_costs)
        out["discount_given_median"] = round(float(np.median(discount)), 2)
        return out

    def _target_summary(self) -> dict[str, object] | None:
        outcome, target = self.target, self.scenario.target
        if outcome is None or target is None:
            return None
        low, high = wilson(outcome.reached, outcome.runs)
        return {
            "metric": outcome.metric,
            "value": outcome.value,
            "date": target.date.isoformat(),
            "month": outcome.month,
            "current": target.current,
            "probability": round(outcome.probability, 6),
            "probability_ci95": [round(low, 6), round(high, 6)],
            "probability_any_time": round(outcome.reached_any_time / outcome.runs, 6),
            "median_at_date": round(outcome.median_at_date, 6),
            "runs_reaching": outcome.reached,
            "verdict": outcome.verdict,
            "smart": self.smart_sentence(),
        }

    def targets(self) -> list[dict[str, object]]:
        """The accounts each targeted lever selects, counted in this population."""
        out: list[dict[str, object]] = []
        for target in self.schedule.selectors[1:]:
            chosen = matches(target, self.population)
            out.append(
                {
                    "accounts": target.describe(),
                    "count": int(chosen.sum()),
                    "key_accounts": int((chosen & self.population.key_account).sum()),
                }
            )
        return out

    def metric_rows(self) -> list[dict[str, object]]:
        """metrics.csv rows: one per month per metric, in month then metric order."""
        rows: list[dict[str, object]] = []
        for month, label in enumerate(self.months):
            for metric in METRICS:
                band = self.bands[metric.name][month]
                rows.append({"month": label, "metric": metric.name, **vars(band)})
        return rows

    def primary_medians(self) -> dict[str, list[float]]:
        return {name: self.median(name).tolist() for name in PRIMARY}


def run_forecast(
    scenario: Scenario,
    population: Population,
    *,
    source: str,
    runs: int,
    seed: int,
    workers: int | None = None,
    model: Model = "fast",
    cx: CxInputs | None = None,
    executor: Executor | None = None,
    structural: bool = True,
    with_noise_only: bool = False,
) -> Forecast:
    """Simulate ``runs`` seeded runs of ``scenario`` on ``population``.

    ``structural`` draws every run's parameters from their ranges (uncertainty.py);
    ``with_noise_only`` also runs the same seeds at the point parameters, so the report can
    show how much of the spread is parameter uncertainty and how much chance."""
    noise_only = None
    if structural and with_noise_only:
        noise_only = run_forecast(
            scenario, population, source=source, runs=runs, seed=seed, workers=workers,
            model=model, cx=cx, executor=executor, structural=False,
        )  # fmt: skip
    inputs, accuracy, site = build_inputs(scenario, population, cx, structural=structural)
    schedule = build_schedule(scenario)
    tally = run_monte_carlo(
        inputs, schedule, runs=runs, seed=seed, workers=workers, model=model, executor=executor
    )
    fixed = monthly_fixed_costs(scenario, schedule, inputs.plan)
    context = MetricContext(scenario.costs.offline_order, scenario.costs.online_order, fixed)
    return Forecast(
        scenario=scenario,
        source=source,
        population=population,
        accuracy=accuracy,
        site=site,
        cx=cx,
        schedule=schedule,
        runs=runs,
        seed=seed,
        model=model,
        values=compute_metrics(tally, context),
        structural=structural,
        fixed_costs=fixed,
        noise_only=noise_only,
    )
