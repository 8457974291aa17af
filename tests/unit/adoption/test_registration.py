"""Issue 13 point 1: registration is causal. Only registered buyers order online, so what
raises registration (invitations, awareness, reps ordering on behalf) raises ordering."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulator.adoption.forecast import Forecast, run_forecast
from simulator.adoption.population import Population
from simulator.adoption.scenario import Scenario

RUNS = 24


def forecast(scenario: Scenario, population: Population) -> Forecast:
    return run_forecast(
        scenario, population, source="test", runs=RUNS, seed=3, workers=1, structural=False
    )


def final_median(result: Forecast, metric: str) -> float:
    return float(np.median(result.values[metric][:, -1]))


def test_nobody_orders_online_who_cannot_register(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    closed = {"invitation_response": 0.0, "awareness_per_week": 0.0, "signup_at_need": 0.0}
    result = forecast(make_scenario(parameters=closed), population)
    assert result.values["TR"].max() == 0.0
    assert result.values["TAU"].max() == 0.0
    opened = forecast(make_scenario(parameters={**closed, "signup_at_need": 1.0}), population)
    assert final_median(opened, "TAU") > 0.2


def test_more_registration_means_more_online_ordering(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    low = forecast(make_scenario(parameters={"invitation_response": 0.05}), population)
    high = forecast(make_scenario(parameters={"invitation_response": 0.6}), population)
    assert final_median(high, "TR") > final_median(low, "TR") + 0.2
    assert final_median(high, "TAU") > final_median(low, "TAU") + 0.05
    assert final_median(high, "TDA") > final_median(low, "TDA") + 0.01


def test_registration_friction_lowers_ordering(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    easy = forecast(make_scenario(parameters={"signup_at_need": 0.9}), population)
    hard = forecast(make_scenario(parameters={"signup_at_need": 0.05}), population)
    assert final_median(easy, "TAU") > final_median(hard, "TAU") + 0.05
    assert final_median(easy, "TDA") > final_median(hard, "TDA")


def test_reps_ordering_on_behalf_raise_adoption(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    few = forecast(make_scenario(sales={"on_behalf_share": 0.1}), population)
    many = forecast(make_scenario(sales={"on_behalf_share": 0.6}), population)
    assert final_median(many, "TR") > final_median(few, "TR") + 0.05
    assert final_median(many, "TDA") > final_median(few, "TDA")
    assert final_median(many, "TAU") > final_median(few, "TAU")
