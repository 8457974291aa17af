"""Issue 13 point 5: levers targeted at key accounts, segments, reps and territories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.adoption.buyers import _Batch
from simulator.adoption.calendar import build_schedule
from simulator.adoption.forecast import Forecast, run_forecast
from simulator.adoption.levers import build_inputs
from simulator.adoption.population import Population
from simulator.adoption.scenario import Scenario, load_scenario
from simulator.adoption.targets import account_groups, matches
from simulator.errors import UserError

RUNS = 30
START = "2027-01-04"
# Only a campaign registers anyone: the other registration paths are closed.
CLOSED = {
    "invitation_response": 0.0,
    "awareness_per_week": 0.0,
    "signup_at_need": 0.0,
    "campaign_response": 1.0,
}


def forecast(scenario: Scenario, population: Population, *, structural: bool = True) -> Forecast:
    return run_forecast(
        scenario, population, source="test", runs=RUNS, seed=4, workers=1, structural=structural
    )


def discount(accounts: Any) -> dict[str, Any]:
    return {"discounts": [{"share": 0.10, "start": START, "accounts": accounts}]}


def final_mean(result: Forecast, metric: str) -> float:
    return float(result.values[metric][:, -1].mean())


def test_a_discount_for_key_accounts_moves_kaar_more_than_for_the_others(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    plain = forecast(make_scenario(), population)
    key = forecast(make_scenario(incentives=discount("key")), population)
    other = forecast(make_scenario(incentives=discount("other")), population)
    key_gain = final_mean(key, "KAAR") - final_mean(plain, "KAAR")
    other_gain = final_mean(other, "KAAR") - final_mean(plain, "KAAR")
    assert key_gain > 0.1  # 0.63 -> 0.87 on small, 30 runs
    assert key_gain > other_gain + 0.1
    # The key accounts' buyers never see the others' discount: only noise moves their KAAR
    # (their random draws shift when other buyers choose differently).
    assert abs(other_gain) < 0.08


def test_untargeted_accounts_keep_the_untargeted_lever_tables(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    """Contacts outside a discount's target get exactly the utility of no discount."""
    target = {"segments": ["public"], "key": False}
    plain, _, _ = build_inputs(make_scenario(), population, structural=False)
    aimed, _, _ = build_inputs(
        make_scenario(incentives=discount(target)), population, structural=False
    )
    seeds = np.random.SeedSequence(1).spawn(1)
    before = plain.run_tables(seeds).utility[0]  # (W, 1): one group without targets
    after = aimed.run_tables(seeds).utility[0]  # (W, 2)
    chosen = matches(aimed.groups.selectors[1], population)
    assert chosen.sum() == np.sum(~population.key_account & (population.segment == "public"))
    inside = aimed.groups.group[chosen]
    outside = aimed.groups.group[~chosen]
    np.testing.assert_array_equal(after[:, outside], before[:, np.zeros_like(outside)])
    assert np.all(after[:, inside] > before[:, np.zeros_like(inside)])
    assert np.all(aimed.plan.discount[:, outside] == 0.0)


@pytest.mark.parametrize(
    "target",
    [
        {"segments": ["construction", "public"]},
        {"salespeople": ["SP003"]},
        {"countries": ["ES"], "key": True},
    ],
    ids=["segments", "salesperson", "territory-key"],
)
def test_a_targeted_campaign_registers_its_accounts_and_nobody_else(
    population: Population, make_scenario: Callable[..., Scenario], target: dict[str, Any]
) -> None:
    result = forecast(
        make_scenario(
            parameters=CLOSED, campaigns=[{"date": "2027-02-01", "reach": 1.0, "accounts": target}]
        ),
        population,
        structural=False,  # the closed registration paths stay closed
    )
    chosen = matches(load_target(make_scenario, target), population)
    buyers = population.contact_account[: population.buyers]
    assert 0 < chosen[buyers].sum() < population.buyers
    registered = result.values["buyers_registered"]
    assert np.all(registered[:, 0] == 0)  # January: before the campaign, nobody
    assert np.all(registered[:, -1] == chosen[buyers].sum())


def load_target(make_scenario: Callable[..., Scenario], target: dict[str, Any]) -> Any:
    scenario = make_scenario(campaigns=[{"date": "2027-02-01", "accounts": target}])
    return scenario.campaigns[0].accounts


def test_a_wave_for_one_reps_accounts_invites_only_them_first(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    rep = {"salespeople": ["SP004"]}
    result = forecast(
        make_scenario(invitations=[{"date": START, "accounts": rep}, {"date": "2027-04-05"}]),
        population,
    )
    buyers = population.contact_account[: population.buyers]
    theirs = int(matches(load_target(make_scenario, rep), population)[buyers].sum())
    invited = result.values["buyers_invited"]
    assert np.all(invited[:, :3] == theirs)  # January to March
    assert np.all(invited[:, -1] == population.buyers)


def test_equal_targets_written_differently_are_one_group(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    scenario = make_scenario(
        incentives={
            "discounts": [
                {"share": 0.02, "start": START, "accounts": {"segments": ["public", "reseller"]}}
            ]
        },
        campaigns=[{"date": "2027-02-01", "accounts": {"segments": ["reseller", "public"]}}],
    )
    groups = account_groups(scenario, population)
    assert len(groups.selectors) == 2  # every account, and the one target
    assert groups.count == 2


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ({"segments": ["pubic"]}, "incentives.discounts.0.accounts.segments: no segment 'pubic'"),
        ({"salespeople": ["SP999"]}, "no salesperson 'SP999' among the accounts"),
        ({"countries": ["XX"]}, "countries: DE, ES, FR, GB, PT, US"),
    ],
)
def test_a_target_the_dataset_lacks_is_one_error(
    population: Population,
    make_scenario: Callable[..., Scenario],
    accounts: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(UserError, match=message):
        build_inputs(make_scenario(incentives=discount(accounts)), population)


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ("kye", "field campaigns.0.accounts: .*unknown group 'kye'"),
        ({"segmnts": ["public"]}, "accounts.segmnts: unknown key \\(did you mean segments\\?\\)"),
        ({"key": 1}, "field campaigns.0.accounts.key"),
        ({"segments": "public"}, "field campaigns.0.accounts.segments"),
    ],
)
def test_a_malformed_target_is_one_error(
    make_scenario: Callable[..., Scenario], accounts: object, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        make_scenario(campaigns=[{"date": "2027-02-01", "accounts": accounts}])


def test_the_targeted_rollout_scenario_runs(population: Population) -> None:
    path = Path(__file__).resolve().parents[3] / "scenarios" / "targeted-rollout.toml"
    result = run_forecast(
        load_scenario(path), population, source=str(path), runs=4, seed=1, workers=1
    )
    targets = result.summary()["targets"]
    assert [item["accounts"] for item in targets] == [
        "accounts of salespeople SP003, SP004",
        "key accounts of segment public",
    ]
    assert all(item["count"] > 0 for item in targets)


def test_a_programme_for_one_reps_accounts_changes_only_their_advocacy(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    rep = {"salespeople": ["SP003"]}
    scenario = make_scenario(
        sales={
            "advocacy": -0.5,
            "on_behalf_share": 0.0,
            "programmes": [
                {"start": "2027-01-11", "end": "2027-01-25", "advocacy": 1.0,
                 "on_behalf_share": 0.4, "accounts": rep},
            ],
        }
    )  # fmt: skip
    inputs, _, _ = build_inputs(scenario, population)
    schedule = build_schedule(scenario)
    advocacy, on_behalf = schedule.sales_by_group(inputs.groups)
    theirs = inputs.groups.group[matches(scenario.sales.programmes[0].accounts, population)][0]
    others = 1 - theirs
    np.testing.assert_allclose(advocacy[:4, theirs], [-0.5, 1.0, 1.0, -0.5])
    np.testing.assert_allclose(on_behalf[:4, theirs], [0.0, 0.4, 0.4, 0.0])
    assert np.all(advocacy[:, others] == -0.5)
    assert np.all(on_behalf[:, others] == 0.0)
    assert schedule.advocacy[:4].tolist() == [-0.5] * 4  # what untargeted accounts see


def test_a_rep_advocating_registers_more_of_their_buyers(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    """Only the awareness hazard registers anyone; the programme raises it for one rep's
    accounts, so their buyers register more than the others'."""
    rep = {"salespeople": ["SP004"]}
    params = {**CLOSED, "campaign_response": 0.0, "awareness_per_week": 0.01}
    programme = {"start": START, "end": "2027-12-27", "advocacy": 1.0, "on_behalf_share": 0.0}
    scenario = make_scenario(
        parameters=params,
        sales={"advocacy": -1.0, "programmes": [{**programme, "accounts": rep}]},
    )
    # Registered share of the rep's buyers vs the others', from runs of the fast model.
    inputs, _, _ = build_inputs(scenario, population, structural=False)
    schedule = build_schedule(scenario)
    model = _Batch(inputs, schedule, np.random.SeedSequence(5).spawn(RUNS))
    model.run()
    buyers = population.contact_account[: population.buyers]
    theirs = matches(scenario.sales.programmes[0].accounts, population)[buyers]
    registered = model.registered[:, : population.buyers]
    assert registered[:, theirs].mean() > 2 * registered[:, ~theirs].mean() > 0
