"""Scenario files: every shipped one loads; every kind of mistake is one clear error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from simulator.adoption.scenario import Scenario, add_months, load_scenario, scenario_from_dict
from simulator.errors import UserError

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
# Adoption scenarios; load-*.toml are the load suite's mixes (tests/unit/test_load_mix.py).
SHIPPED = sorted(p for p in SCENARIOS.glob("*.toml") if not p.name.startswith("load-"))


def test_the_issue_scenarios_are_shipped() -> None:
    names = {path.stem for path in SHIPPED}
    assert {
        "baseline",
        "training-and-incentives",
        "realtime-erp",
        "sales-advocacy",
        "phased-rollout",
        "best-case",
    } <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_shipped_scenario_loads_and_says_what_it_answers(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.question
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith(f"# {path.stem}:")


def test_no_waves_means_everyone_at_launch() -> None:
    scenario = scenario_from_dict({"name": "x", "start": "2027-03-15"})
    assert [(w.date, w.share, w.accounts.is_all) for w in scenario.waves] == [
        (dt.date(2027, 3, 15), 1.0, True)
    ]
    assert scenario.end == dt.date(2029, 3, 1)
    assert scenario.last_day == dt.date(2029, 2, 28)


def test_add_months_clamps_to_month_length() -> None:
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 11, 1), 2) == dt.date(2028, 1, 1)


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message
    assert "\n" not in message
    return message


HEAD = "start = 2027-01-04\nhorizon_months = 12\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (HEAD + "colour = 'red'\n", ["field colour", "unknown key"]),
        (HEAD + "[features]\nquik_reorder = true\n", ["features.quik_reorder", "unknown key"]),
        ("start = 2027-01-04\nhorizon_months = 'two'\n", ["field horizon_months", "integer"]),
        (HEAD + "[site]\np95_ms = 'fast'\n", ["field site.p95_ms", "number"]),
        (HEAD + "[[invitations]]\ndate = 2027-01-04\nshare = 1.5\n", ["invitations.0.share"]),
        (HEAD + "[training]\nsignup = -0.1\n", ["training.signup"]),
        (
            HEAD + "[[invitations]]\ndate = 2027-03-01\n[[invitations]]\ndate = 2027-02-01\n",
            ["invitations.1.date", "before invitations.0.date", "in order"],
        ),
        (
            HEAD + "[[campaigns]]\ndate = 2027-05-01\n[[campaigns]]\ndate = 2027-04-01\n",
            ["campaigns.1.date", "in order"],
        ),
        (
            HEAD + "[[sales.programmes]]\nstart = 2027-05-01\nend = 2027-04-01\n",
            ["sales.programmes.0.end", "not after its start"],
        ),
        (
            HEAD + "[target]\nvalue = 0.4\ndate = 2028-06-30\n",
            ["field target.date", "beyond the horizon end 2027-12-31"],
        ),
        (HEAD + "[target]\nvalue = 1.4\ndate = 2027-06-30\n", ["field target.value"]),
        (
            HEAD + "[[campaigns]]\ndate = 2026-12-01\n",
            ["campaigns.0.date", "before the scenario start"],
        ),
        (
            HEAD + "[[invitations]]\ndate = 2027-01-04\nshare = 0.7\n"
            "[[invitations]]\ndate = 2027-02-01\nshare = 0.6\n",
            ["field invitations", "add up to 1.3"],
        ),
        (HEAD + "[regular]\nwindow_months = 2\nmin_months = 3\n", ["regular.min_months"]),
        (HEAD + "[parameters]\ntrust_wieght = 2\n", ["parameters.trust_wieght", "unknown key"]),
        ("start = 2027-01-04\n[integration\n", ["not valid TOML"]),
    ],
)
def test_bad_scenarios_name_file_field_and_problem(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    message = _error(tmp_path, text)
    for fragment in fragments:
        assert fragment in message, message


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_scenarios_are_frozen() -> None:
    scenario = scenario_from_dict({"name": "x", "start": "2027-01-04"})
    with pytest.raises(ValueError, match="frozen"):
        scenario.horizon_months = 3  # type: ignore[misc]
    assert isinstance(scenario, Scenario)
