"""The SimPy calendar: waves, campaigns, trainers as a Resource, programmes, incidents."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulator.adoption.calendar import assign_invite_weeks, build_schedule
from simulator.adoption.scenario import Scenario
from simulator.adoption.targets import AccountGroups


def test_month_layout(make_scenario: Callable[..., Scenario]) -> None:
    schedule = build_schedule(make_scenario())
    assert schedule.months == 12
    assert (schedule.month_labels[0], schedule.month_labels[-1]) == ("2027-01", "2027-12")
    assert schedule.weeks == 52
    assert schedule.weeks_in_month().sum() == 52
    assert set(schedule.weeks_in_month()) <= {4, 5}
    assert list(schedule.month_end_weeks()[:3]) == [3, 7, 12]


def test_campaigns_in_one_week_combine(make_scenario: Callable[..., Scenario]) -> None:
    schedule = build_schedule(
        make_scenario(
            campaigns=[{"date": "2027-02-01", "reach": 0.5}, {"date": "2027-02-02", "reach": 0.5}]
        )
    )
    week = schedule.week_of(schedule.start.replace(month=2, day=1))
    assert schedule.campaign_reach[week].tolist() == [0.75]  # one target: every account
    assert schedule.campaign_reach.sum() == 0.75


def test_a_campaign_for_key_accounts_reaches_only_them(
    make_scenario: Callable[..., Scenario],
) -> None:
    schedule = build_schedule(
        make_scenario(campaigns=[{"date": "2027-02-01", "reach": 0.5, "accounts": "key"}])
    )
    week = schedule.week_of(schedule.start.replace(month=2, day=1))
    assert schedule.selectors[1].describe() == "key accounts"
    assert schedule.campaign_reach[week].tolist() == [0.0, 0.5]  # all accounts, key accounts
    assert schedule.campaign_reach.sum() == 0.5


def test_a_busy_trainer_postpones_the_second_session(
    make_scenario: Callable[..., Scenario],
) -> None:
    scenario = make_scenario(
        training={
            "trainers": 1,
            "sessions": [
                {"date": "2027-02-01", "seats": 10, "duration_days": 7},
                {"date": "2027-02-01", "seats": 15, "duration_days": 7},
            ],
        }
    )
    schedule = build_schedule(scenario)
    weeks = np.flatnonzero(schedule.training_seats)
    assert list(schedule.training_seats[weeks]) == [10, 15]
    assert weeks[1] == weeks[0] + 1
    assert any("postponed from 2027-02-01" in event.text for event in schedule.events)
    two = build_schedule(make_scenario(training={**scenario.training.model_dump(), "trainers": 2}))
    assert list(two.training_seats[np.flatnonzero(two.training_seats)]) == [25]


def test_programmes_and_incidents_are_weekly_averages(
    make_scenario: Callable[..., Scenario],
) -> None:
    schedule = build_schedule(
        make_scenario(
            sales={
                "advocacy": -0.5,
                "programmes": [{"start": "2027-01-11", "end": "2027-01-25", "advocacy": 1.0}],
            },
            incidents=[{"kind": "outage", "start": "2027-03-01", "days": 3}],
        )
    )
    assert list(schedule.advocacy[:4]) == [-0.5, 1.0, 1.0, -0.5]
    outage_week = schedule.week_of(schedule.start.replace(month=3, day=1))
    assert schedule.outage[outage_week] == 3 / 7
    assert schedule.outage.sum() == 3 / 7


def test_waves_invite_shares_of_their_group(make_scenario: Callable[..., Scenario]) -> None:
    schedule = build_schedule(
        make_scenario(
            invitations=[
                {"date": "2027-01-04", "share": 1.0, "accounts": "key"},
                {"date": "2027-02-01", "share": 0.5, "accounts": "other"},
                {"date": "2027-03-01", "share": 1.0, "accounts": "all"},
            ]
        )
    )
    key = np.array([True] * 10 + [False] * 90)
    # Targets: all, key, other; group 0 the other accounts, group 1 the key accounts.
    groups = AccountGroups(
        schedule.selectors, key.astype(np.int64), np.array([[1, 0, 1], [1, 1, 0]], dtype=bool)
    )
    week = assign_invite_weeks(np.random.default_rng(1), groups, schedule)
    assert np.all(week[:10] == 0)
    assert np.sum(week[10:] == 4) == 45
    assert np.sum(week[10:] == 8) == 45
    assert [event.text for event in schedule.events][:3] == [
        "invitation wave 1: 100% of key accounts",
        "invitation wave 2: 50% of other accounts",
        "invitation wave 3: 100% of all accounts",
    ]
