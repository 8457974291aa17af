"""Input a user can get wrong, or make up: each is one UserError naming the field, never a
traceback or a silently accepted value."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from simulator.adoption.history import read_history, read_periods
from simulator.adoption.scenario import load_scenario
from simulator.atomic import atomic_file
from simulator.config import load_profile
from simulator.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
BASELINE = (ROOT / "scenarios/baseline.toml").read_text(encoding="utf-8")
PILOT = ROOT / "fixtures/history/pilot.csv"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[catalog]\nitems = inf\n", "catalog.items: Input should be a finite number"),
        ("[catalog]\nitems = true\n", "catalog.items: Value error, expected a number, not true"),
        ("[catalog]\nlist_price = { median = nan, sigma = 1.0 }\n", "finite number"),
        ("[catalog]\nlist_price = { median = 1e308, sigma = 1.0 }\n", "less than or equal"),
        ("[catalog]\nmargin = { min = 0.1, max = inf }\n", "catalog.margin.max"),
        ("[stock]\nlead_time_days = { min = 1, max = 1e308 }\n", "stock.lead_time_days.max"),
        ("[history.channel_mix]\n", "history.channel_mix: Dictionary should have at least 1"),
        ("[history.channel_mix]\nphone = true\n", "history.channel_mix"),
        ("[customers.segments]\n", "customers.segments"),
        ("as_of = 9999-12-31\n", "as_of: Value error, date 9999-12-31 is outside 1970..2199"),
    ],
)
def test_hostile_profiles(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text('name = "x"\n' + body, encoding="utf-8")
    with pytest.raises(UserError, match=r"profile .*p\.toml: field ") as caught:
        load_profile(str(path))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("p95_ms = 1200", "p95_ms = inf", "site.p95_ms: Input should be a finite number"),
        ("p95_ms = 1200", "p95_ms = 1e308", "site.p95_ms: Input should be less than"),
        ("offline_order = 15.0", "offline_order = nan", "costs.offline_order"),
        ("start = 2027-01-04", "start = 9999-01-04", "start: Value error, date 9999-01-04"),
        ("date = 2028-06-30", "date = 9999-06-30", "target.date"),
        ("horizon_months = 24", "horizon_months = true", "horizon_months: Value error"),
        ("reach = 0.7", "reach = true", "campaigns.0.reach"),
        ("customer_prices = true", "customer_prices = 1", "expected true or false"),
    ],
)
def test_hostile_scenarios(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in BASELINE
    path = tmp_path / "s.toml"
    path.write_text(BASELINE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_scenario(path)
    assert message in str(caught.value)


def _pilot_rows(count: int) -> list[list[str]]:
    with PILOT.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[: count + 1]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_bass_refuses_more_registered_than_invited(tmp_path: Path) -> None:
    rows = _pilot_rows(8)
    rows[3][2] = str(int(rows[3][1]) + 1)
    with pytest.raises(UserError, match=r"line 4: registered \(\d+\) exceeds invited"):
        read_periods(_write(tmp_path / "h.csv", rows), "ordered_once", cumulative=True)


def test_bass_refuses_a_repeated_month(tmp_path: Path) -> None:
    rows = _pilot_rows(8)
    rows[3][0] = rows[2][0]
    with pytest.raises(UserError, match="does not follow"):
        read_periods(_write(tmp_path / "h.csv", rows), "ordered_once", cumulative=True)
    other = [["month", "n"], ["2027-01", "1"], ["2027-01", "2"], ["2027-02", "3"], ["x", "4"]]
    with pytest.raises(UserError, match="does not follow"):
        read_periods(_write(tmp_path / "o.csv", other), "n", cumulative=False)


@pytest.mark.parametrize("months", [1, 2])
def test_calibration_needs_three_months(tmp_path: Path, months: int) -> None:
    path = _write(tmp_path / "h.csv", _pilot_rows(months))
    with pytest.raises(UserError, match=f"{months} month\\(s\\); a calibration needs at least 3"):
        read_history(path)
    assert len(read_history(_write(tmp_path / "ok.csv", _pilot_rows(3))).months) == 3


def test_a_full_disk_while_writing_a_database_is_one_error(tmp_path: Path) -> None:
    out = tmp_path / "erp.sqlite"

    def fill_the_disk() -> None:
        with atomic_file(out, force=False):
            raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(UserError, match=r"cannot write .*erp\.sqlite: database or disk is full"):
        fill_the_disk()
    assert list(tmp_path.iterdir()) == []
