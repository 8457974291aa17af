"""Issue 13 points 4 and 5: levers cost money, and they can start, stop and target."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from simulator.adoption.calendar import build_schedule
from simulator.adoption.costs import monthly_fixed_costs
from simulator.adoption.forecast import Forecast, run_forecast
from simulator.adoption.levers import build_inputs
from simulator.adoption.population import Population
from simulator.adoption.scenario import Scenario

RUNS = 20
JULY = 6  # month index of 2027-07 for a scenario starting 2027-01-04
SWITCH = "2027-07-05"  # a Monday: week 26 starts on it, in July


def forecast(scenario: Scenario, population: Population, *, structural: bool = True) -> Forecast:
    return run_forecast(
        scenario, population, source="test", runs=RUNS, seed=9, workers=1, structural=structural
    )


def test_a_costed_lever_has_a_lower_roi_than_the_same_lever_free(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    training = {"sessions": [{"date": "2027-02-01", "seats": 30, "repeat": 6}]}
    free = make_scenario(training=training, costs={"training_session": 0.0, "campaign": 0.0})
    costed = make_scenario(training=training, costs={"training_session": 5_000.0, "campaign": 0.0})
    a, b = forecast(free, population), forecast(costed, population)
    np.testing.assert_array_equal(a.values["TDA"], b.values["TDA"])  # same behaviour
    assert b.values["roi"][:, -1].mean() < a.values["roi"][:, -1].mean()
    gap = a.values["net_saved_cumulative"][:, -1] - b.values["net_saved_cumulative"][:, -1]
    np.testing.assert_allclose(gap, 6 * 5_000.0)


def test_a_discount_costs_what_it_gives_away(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    result = forecast(make_scenario(incentives={"online_discount": 0.10}), population)
    given = result.cost_summary()["discount_given_median"]
    assert given > 0
    saved = result.values["cost_to_serve_saved_cumulative"][:, -1]
    net = result.values["net_saved_cumulative"][:, -1]
    assert np.all(net < saved - 0.5 * given)


def test_fixed_costs_follow_the_calendar(make_scenario: Callable[..., Scenario]) -> None:
    scenario = make_scenario(
        integration={"mode": "batch", "changes": [{"date": SWITCH, "mode": "realtime"}]},
        campaigns=[{"date": "2027-03-01"}],
        costs={"batch_per_month": 100.0, "realtime_per_month": 1000.0, "campaign": 50.0},
    )
    inputs, _, _ = build_inputs(scenario, _tiny_population())
    schedule = build_schedule(scenario)
    fixed = monthly_fixed_costs(scenario, schedule, inputs.plan)
    assert fixed[0] < 150 < fixed[2] < 250  # a batch month; March adds the campaign
    assert fixed[8] > 900  # realtime from July on
    weeks = len(schedule.week_month)
    expected = 50.0 + (26 * 100.0 + (weeks - 26) * 1000.0) * 12 / 52
    assert sum(fixed) == pytest.approx(expected)


def _tiny_population() -> Population:
    from simulator.adoption.population import synthetic_population

    return synthetic_population(accounts=20, contacts=40, seed=1)


def _equal_before_and_different_after(
    before: Forecast, after: Forecast, metric: str, month: int
) -> None:
    a, b = before.values[metric], after.values[metric]
    np.testing.assert_array_equal(a[:, :month], b[:, :month])
    assert not np.array_equal(a[:, month:], b[:, month:])


def test_a_staged_discount_changes_the_curve_only_from_its_month(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    plain = forecast(make_scenario(), population)
    staged = forecast(
        make_scenario(incentives={"discounts": [{"share": 0.05, "start": SWITCH}]}), population
    )
    _equal_before_and_different_after(plain, staged, "online_order_share", JULY)
    assert staged.values["online_order_share"][:, -1].mean() > (
        plain.values["online_order_share"][:, -1].mean()
    )


def test_order_tracking_live_in_july_tracks_orders_only_from_july(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    result = forecast(
        make_scenario(features={"order_tracking": True, "live_from": {"order_tracking": SWITCH}}),
        population,
    )
    tracked = result.values["orders_tracked_online_share"]
    assert tracked[:, :JULY].max() == 0.0
    assert tracked[:, JULY:].min() > 0.0


def test_batch_to_realtime_in_july_lowers_bad_experiences_from_july(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    batch = forecast(make_scenario(integration={"mode": "batch"}), population)
    moved = forecast(
        make_scenario(integration={"mode": "batch", "changes": [{"date": SWITCH}]}), population
    )
    _equal_before_and_different_after(batch, moved, "bad_online_experiences", JULY)
    late = slice(JULY, None)
    assert moved.values["bad_online_experiences"][:, late].sum() < (
        batch.values["bad_online_experiences"][:, late].sum()
    )


def test_a_discount_for_key_accounts_only_costs_less_than_for_everyone(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    key = forecast(
        make_scenario(
            incentives={"discounts": [{"share": 0.05, "start": "2027-01-04", "accounts": "key"}]}
        ),
        population,
    )
    everyone = forecast(make_scenario(incentives={"online_discount": 0.05}), population)
    assert (
        0
        < key.cost_summary()["discount_given_median"]
        < (everyone.cost_summary()["discount_given_median"])
    )


def test_a_campaign_for_key_accounts_registers_only_their_contacts_first(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    closed = {"invitation_response": 0.0, "awareness_per_week": 0.0, "signup_at_need": 0.0}
    result = forecast(
        make_scenario(
            parameters={**closed, "campaign_response": 1.0},
            campaigns=[{"date": "2027-02-01", "reach": 1.0, "accounts": "key"}],
        ),
        population,
        structural=False,  # the closed registration paths stay closed
    )
    registered = result.values["buyers_registered"][:, -1]
    key_buyers = int(
        np.sum(population.key_account[population.contact_account[: population.buyers]])
    )
    assert np.all(registered == key_buyers)
