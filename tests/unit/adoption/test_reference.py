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
            "features": {"order_tracking": True, "online_invoices": True},
            "sales": {"on_behalf_share": 0.2},
            "campaigns": [{"date": "2027-02-01", "reach": 0.8}],
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


@pytest.mark.parametrize("metric", ["TR", "TAU", "TDA", "KAAR", "online_order_share"])
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
