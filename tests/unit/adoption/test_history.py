"""Observed history CSVs: the shipped sample reads; every mistake names file, line, column."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.adoption.history import read_history
from simulator.errors import UserError

PILOT = Path(__file__).resolve().parents[3] / "fixtures" / "history" / "pilot.csv"
HEADER = "month,invited,registered,ordered_once,regular,key_accounts_invited,key_accounts_ordered\n"


def test_the_sample_pilot_history_reads() -> None:
    history = read_history(PILOT)
    assert len(history.months) >= 6
    rates = history.rates()
    assert set(rates) == {"TR", "TAU", "TDA", "KAAR"}
    assert all(((r >= 0) & (r <= 1)).all() for r in rates.values())
    assert (rates["TDA"] <= rates["TAU"]).all()
    assert (rates["TAU"] <= rates["TR"]).all()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("month,invited,registered\n2027-01,10,5\n", "missing column(s) ordered_once, regular"),
        (HEADER + "2027-01,10,5,2,1,2,1\n2027-03,10,6,2,1,2,1\n",
         "line 3: month 2027-03 does not follow 2027-01"),
        (HEADER + "2027-02,10,5,2,1,2,1\n2027-01,10,6,2,1,2,1\n",
         "line 3: month 2027-01 does not follow"),
        (HEADER + "2027-13,10,5,2,1,2,1\n", "line 2: month '2027-13' is not YYYY-MM"),
        (HEADER + "2027-01,10,12,2,1,2,1\n", "line 2: registered (12) exceeds invited (10)"),
        (HEADER + "2027-01,10,5,7,1,2,1\n", "line 2: ordered_once (7) exceeds registered (5)"),
        (HEADER + "2027-01,10,5,2,1,2,3\n",
         "key_accounts_ordered (3) exceeds key_accounts_invited (2)"),
        (HEADER + "2027-01,10,5.5,2,1,2,1\n", "line 2: registered '5.5' is not a whole number"),
        (HEADER + "2027-01,ten,5,2,1,2,1\n", "line 2: invited 'ten' is not a whole number"),
        (HEADER, "no data rows"),
        ("", "empty file"),
    ],
)  # fmt: skip
def test_bad_histories(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        read_history(path)
    message = str(caught.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_history_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="history file not found"):
        read_history(tmp_path / "nope.csv")
