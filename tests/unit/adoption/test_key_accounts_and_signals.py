"""Issue 13 point 8: KAAR as a distribution, inquiries against the same run's counterfactual,
the definition of regular and the seed's denominators."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulator.adoption.forecast import Forecast, run_forecast
from simulator.adoption.population import Population
from simulator.adoption.scenario import Scenario
from simulator.adoption.sensitivity import LEVERS, changed

RUNS = 24


def forecast(scenario: Scenario, population: Population) -> Forecast:
    return run_forecast(scenario, population, source="test", runs=RUNS, seed=6, workers=1)


def test_kaar_is_reported_as_a_distribution_with_its_mean(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    result = forecast(make_scenario(), population)
    kaar = result.summary()["kaar_distribution"]
    counts = kaar["runs_by_key_accounts_ordered"]
    assert sum(counts.values()) == RUNS
    assert kaar["mean_kaar"] == round(float(result.values["KAAR"][:, -1].mean()), 6)
    assert result.summary()["final"]["KAAR"]["mean"] == kaar["mean_kaar"]


def test_offline_inquiries_fall_against_the_same_run_without_a_store(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    nothing = forecast(
        make_scenario(invitations=[{"date": "2027-01-04", "share": 0.0}]), population
    )
    decline = nothing.values["offline_inquiries_decline"]
    assert abs(float(np.median(decline[:, -1]))) < 0.05  # no store: no decline but noise
    served = forecast(
        make_scenario(features={"order_tracking": True, "online_invoices": True}), population
    )
    assert np.median(served.values["offline_inquiries_decline"][:, -1]) > 0.1


def test_tracked_orders_per_key_account_use_key_account_orders(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    result = forecast(make_scenario(features={"order_tracking": True}), population)
    share = result.values["key_account_orders_tracked_share"]
    assert 0 < share[:, -1].mean() <= 1
    assert not np.allclose(share, result.values["orders_tracked_online_share"])


def test_a_looser_definition_of_regular_gives_a_higher_tda(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    lever = next(item for item in LEVERS if item.name.startswith("definition of regular"))
    scenario = make_scenario(features={"quick_reorder": True})
    strict = forecast(changed(scenario, lever.low(scenario)), population)
    loose = forecast(changed(scenario, lever.high(scenario)), population)
    assert np.median(loose.values["TDA"][:, -1]) > np.median(strict.values["TDA"][:, -1])
    np.testing.assert_array_equal(loose.values["TAU"], strict.values["TAU"])
