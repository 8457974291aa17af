"""Sanity the model must show on `small` (few runs, fixed seeds)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from simulator.adoption.calendar import build_schedule
from simulator.adoption.forecast import Forecast, run_forecast
from simulator.adoption.levers import build_inputs
from simulator.adoption.metrics import COUNTER_INDEX, median_ci_indices
from simulator.adoption.montecarlo import run_monte_carlo
from simulator.adoption.population import Population
from simulator.adoption.scenario import FEATURES, Scenario

RUNS = 24


def forecast(scenario: Scenario, population: Population, runs: int = RUNS) -> Forecast:
    return run_forecast(scenario, population, source="test", runs=runs, seed=5, workers=1)


@pytest.fixture(scope="module")
def busy(population: Population) -> Forecast:
    """A scenario that exercises every lever of the calendar."""
    from simulator.adoption.scenario import scenario_from_dict

    scenario = scenario_from_dict(
        {
            "name": "busy",
            "start": "2027-01-04",
            "horizon_months": 12,
            "invitations": [
                {"date": "2027-03-01", "share": 1.0, "accounts": "key"},
                {"date": "2027-05-03", "share": 0.5, "accounts": "other"},
                {"date": "2027-07-05", "share": 0.5, "accounts": "other"},
            ],
            "features": {name: True for name in FEATURES},
            "sales": {
                "on_behalf_share": 0.1,
                "programmes": [{"start": "2027-04-01", "end": "2027-08-01"}],
            },
            "training": {"sessions": [{"date": "2027-03-08", "seats": 20, "repeat": 4}]},
            "campaigns": [{"date": "2027-03-15"}, {"date": "2027-05-10"}],
            "incidents": [
                {"kind": "outage", "start": "2027-06-01", "days": 7},
                {"kind": "price_error", "start": "2027-09-01", "days": 14},
            ],
        }
    )
    return forecast(scenario, population)


def test_rates_are_ordered_and_bounded_every_month_of_every_run(busy: Forecast) -> None:
    tr, tau, tda, kaar = (busy.values[name] for name in ("TR", "TAU", "TDA", "KAAR"))
    assert np.all(tda <= tau + 1e-12)
    assert np.all(tau <= tr + 1e-12)
    assert np.all(tr <= 1.0)
    assert np.all(tda >= 0.0)
    assert np.all((kaar >= 0.0) & (kaar <= 1.0))
    assert tda[:, -1].max() > 0  # it is not trivially all zero


def test_nothing_happens_before_the_first_invitation(busy: Forecast) -> None:
    before = [busy.months.index("2027-01"), busy.months.index("2027-02")]
    for name in ("TR", "TAU", "TDA", "KAAR", "online_order_share", "buyers_invited"):
        assert np.all(busy.values[name][:, before] == 0), name
    assert np.all(busy.values["offline_inquiries"][:, before] > 0)  # life goes on offline
    assert np.all(busy.values["buyers_invited"][:, busy.months.index("2027-03")] > 0)


def test_registered_buyers_never_decrease(busy: Forecast) -> None:
    assert np.all(np.diff(busy.values["buyers_registered"], axis=1) >= 0)
    assert np.all(np.diff(busy.values["buyers_ordered_once"], axis=1) >= 0)


def test_tr_is_non_decreasing_when_everyone_is_invited_at_launch(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    result = forecast(make_scenario(), population)
    assert np.all(np.diff(result.values["TR"], axis=1) >= 0)
    assert np.all(np.diff(result.values["TAU"], axis=1) >= 0)


def _tda(scenario: Scenario, population: Population) -> float:
    return float(forecast(scenario, population).median("TDA")[-1])


@pytest.mark.parametrize(
    ("lever", "favourable", "unfavourable"),
    [
        ("integration", {"mode": "realtime"}, {"mode": "batch", "sync_interval_hours": 24}),
        (
            "training",
            {"sessions": [{"date": "2027-01-11", "seats": 40, "repeat": 8, "every_days": 14}]},
            {"sessions": []},
        ),
        ("features", dict.fromkeys(FEATURES, True), dict.fromkeys(FEATURES, False)),
        ("site", {"p95_ms": 1200}, {"p95_ms": 2500}),
    ],
)
def test_favourable_levers_do_not_lower_median_tda(
    population: Population,
    make_scenario: Callable[..., Scenario],
    lever: str,
    favourable: dict,
    unfavourable: dict,
) -> None:
    good = _tda(make_scenario(**{lever: favourable}), population)
    bad = _tda(make_scenario(**{lever: unfavourable}), population)
    assert good >= bad


def test_more_runs_narrow_the_monte_carlo_error(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    scenario = make_scenario(horizon_months=6)
    few = forecast(scenario, population, runs=10).bands["TDA"][-1]
    many = forecast(scenario, population, runs=160).bands["TDA"][-1]
    assert many.p50_high - many.p50_low < few.p50_high - few.p50_low
    assert median_ci_indices(160)[1] - median_ci_indices(160)[0] < 160 * 0.2


def test_same_seed_same_counts_however_the_runs_are_batched(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    scenario = make_scenario(horizon_months=4, features={"order_tracking": True})
    inputs, _, _ = build_inputs(scenario, population)
    schedule = build_schedule(scenario)
    together = run_monte_carlo(inputs, schedule, runs=6, seed=3, workers=1)
    again = run_monte_carlo(inputs, schedule, runs=6, seed=3, workers=1)
    np.testing.assert_array_equal(together, again)
    first_two = run_monte_carlo(inputs, schedule, runs=2, seed=3, workers=1)
    np.testing.assert_array_equal(together[:2], first_two)
    other = run_monte_carlo(inputs, schedule, runs=6, seed=4, workers=1)
    assert not np.array_equal(together, other)


def test_rep_orders_on_behalf_only_with_a_programme(busy: Forecast) -> None:
    behalf = busy.values["on_behalf_order_share"]
    assert behalf[:, busy.months.index("2027-06")].mean() > 0


def test_an_outage_fails_online_orders_only_in_its_week(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    scenario = make_scenario(
        horizon_months=4, incidents=[{"kind": "outage", "start": "2027-03-08", "days": 7}]
    )
    inputs, _, _ = build_inputs(scenario, population)
    tally = run_monte_carlo(inputs, build_schedule(scenario), runs=8, seed=2, workers=1)
    failed = tally[:, :, COUNTER_INDEX["online_attempts_failed"]].sum(axis=0)
    assert failed[2] > 0
    assert failed[[0, 1, 3]].sum() == 0


def test_counter_index_covers_every_counter() -> None:
    assert sorted(COUNTER_INDEX.values()) == list(range(len(COUNTER_INDEX)))
