"""The fast path is guarded by the event-per-need reference model: same monthly medians
within Monte Carlo error on `small`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.adoption.calendar import build_schedule
from simulator.adoption.levers import build_inputs
from simulator.adoption.metrics import MetricContext, compute_metrics
from simulator.adoption.montecarlo import run_monte_carlo
from simulator.adoption.population import Population
from simulator.adoption.scenario import scenario_from_dict

FAST_RUNS, REFERENCE_RUNS = 120, 40


@pytest.fixture(scope="module")
def both(population: Population) -> tuple[dict, dict]:
    scenario = scenario_from_dict(
        {
            "name": "guard",
            "start": "2027-01-04",
            "horizon_months": 9,
            # Staged and targeted levers too (issue 13): both models read them per week.
            "integration": {"mode": "batch", "changes": [{"date": "2027-05-03"}]},
            "features": {
                "order_tracking": True,
                "online_invoices": True,
                "live_from": {"online_invoices": "2027-04-05"},
            },
            "incentives": {
                "discounts": [{"share": 0.05, "start": "2027-03-01", "accounts": "key"}]
            },
            "sales": {"on_behalf_share": 0.2},
            "campaigns": [
                {"date": "2027-02-01", "reach": 0.8},
                {"date": "2027-03-01", "reach": 0.9, "accounts": "key"},
            ],
            "training": {"sessions": [{"date": "2027-02-10", "seats": 30, "repeat": 3}]},
            "incidents": [{"kind": "outage", "start": "2027-03-01", "days": 5}],
        }
    )
    # Point parameters: the guard compares the two models' behaviour, and parameter draws
    # would only widen its tolerance (test_same_parameter_draws_in_both_models covers them).
    inputs, _, _ = build_inputs(scenario, population, structural=False)
    schedule = build_schedule(scenario)
    fast = run_monte_carlo(inputs, schedule, runs=FAST_RUNS, seed=11, workers=1)
    reference = run_monte_carlo(
        inputs, schedule, runs=REFERENCE_RUNS, seed=12, workers=1, model="reference"
    )
    return compute_metrics(fast, MetricContext()), compute_metrics(reference, MetricContext())


@pytest.mark.parametrize(
    "metric",
    ["TR", "TAU", "TDA", "KAAR", "online_order_share", "invoices_paid_online_share"],
)
def test_monthly_medians_agree_within_monte_carlo_error(
    both: tuple[dict, dict], metric: str
) -> None:
    fast, reference = (values[metric] for values in both)
    # Standard error of a median ~ 1.2533 sd / sqrt(n); allow 4 combined standard errors
    # plus half a percentage point for the weekly discretisation of the fast path.
    se = 1.2533 * np.sqrt(
        fast.std(axis=0) ** 2 / FAST_RUNS + reference.std(axis=0) ** 2 / REFERENCE_RUNS
    )
    gap = np.abs(np.median(fast, axis=0) - np.median(reference, axis=0))
    assert np.all(gap <= 4 * se + 0.005), (gap, se)
    assert math.isfinite(float(gap.max()))


def test_both_models_agree_with_parameter_draws_too(population: Population) -> None:
    """With structural uncertainty on, run i of either model draws the same parameters
    (the draws come from the run's own parameter stream), so the first runs pair up and
    their medians still agree within Monte Carlo error."""
    scenario = scenario_from_dict(
        {"name": "guard", "start": "2027-01-04", "horizon_months": 9,
         "features": {"quick_reorder": True}, "sales": {"on_behalf_share": 0.2}}
    )  # fmt: skip
    inputs, _, _ = build_inputs(scenario, population, structural=True)
    seeds = np.random.SeedSequence(21).spawn(3)
    assert inputs.run_tables(seeds).params == inputs.run_tables(seeds).params
    schedule = build_schedule(scenario)
    runs = 40
    values = [
        compute_metrics(
            run_monte_carlo(inputs, schedule, runs=runs, seed=21, workers=1, model=model),
            MetricContext(),
        )
        for model in ("fast", "reference")
    ]
    for metric in ("TR", "TAU", "TDA"):
        fast, reference = (item[metric] for item in values)
        se = 1.2533 * np.sqrt((fast.std(axis=0) ** 2 + reference.std(axis=0) ** 2) / runs)
        gap = np.abs(np.median(fast, axis=0) - np.median(reference, axis=0))
        assert np.all(gap <= 4 * se + 0.005), (metric, gap, se)
