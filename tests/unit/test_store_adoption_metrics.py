"""TR, TAU, TDA, KAAR from a scripted store event log: each count is readable off the
script, so every rate below is worked out by hand."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from simulator.adoption.history import read_history
from simulator.adoption.scenario import Regular
from simulator.cli import main
from simulator.store.adoption_metrics import measure
from simulator.store.db import STORE_TABLES

# Users: (id, role, customer, key account, invited, registered or None)
USERS = [
    (1, "buyer", "C1", 1, "2027-01-05T09:00:00Z", "2027-01-06T09:00:00Z"),
    (2, "buyer", "C1", 1, "2027-01-05T09:00:00Z", "2027-02-10T09:00:00Z"),
    (3, "buyer", "C2", 0, "2027-01-05T09:00:00Z", "2027-01-20T09:00:00Z"),
    (4, "buyer", "C3", 1, "2027-02-01T09:00:00Z", None),
    (5, "ap_clerk", "C2", 0, "2027-01-05T09:00:00Z", "2027-01-07T09:00:00Z"),
    (6, "rep", None, 0, "2027-01-01T09:00:00Z", "2027-01-01T09:00:00Z"),
]
# Events: (at, user, customer, rep, type)
EVENTS = [
    ("2027-01-06T10:00:00Z", 1, "C1", None, "login"),
    ("2027-01-06T10:05:00Z", 1, "C1", None, "order"),
    ("2027-01-21T10:00:00Z", 3, "C2", None, "login"),
    ("2027-01-21T10:05:00Z", 3, "C2", None, "track_order"),
    ("2027-02-03T10:00:00Z", 1, "C1", None, "order"),
    ("2027-02-11T10:00:00Z", 2, "C1", None, "quote_accept"),
    ("2027-02-12T10:00:00Z", 6, "C2", 6, "order"),  # a rep on C2's behalf: not C2's adoption
    ("2027-02-15T10:00:00Z", 5, "C2", None, "invoice_pay"),
    ("2027-02-15T10:01:00Z", 5, "C2", None, "invoice_search"),
    ("2027-03-02T10:00:00Z", 3, "C2", None, "order"),
    ("2027-03-03T10:00:00Z", 1, "C1", None, "offline_fallback"),
]


@pytest.fixture
def store_db(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(STORE_TABLES)
    conn.executemany(
        "INSERT INTO users (id, email, name, role, customer_no, key_account, state,"
        " invited_at, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (uid, f"u{uid}@x.example", f"U{uid}", role, customer, key,
             "registered" if registered else "invited", invited, registered)
            for uid, role, customer, key, invited, registered in USERS
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO events (at, user_id, customer_no, key_account, rep_user_id, type)"
        " VALUES (?, ?, ?, 0, ?, ?)",
        EVENTS,
    )
    conn.commit()
    conn.close()
    return path


def test_monthly_rates_follow_the_definitions(store_db: Path) -> None:
    conn = sqlite3.connect(store_db)
    result = measure(conn, period="month", regular=Regular(window_months=2, min_months=2))
    conn.close()
    assert result.periods == ("2027-01", "2027-02", "2027-03")
    c = result.counts
    assert list(c["buyers_invited"]) == [3, 4, 4]  # buyer 4 invited in February
    assert list(c["buyers_registered"]) == [2, 3, 3]
    assert list(c["buyers_ordered"]) == [1, 2, 3]  # 1 in Jan, 2 in Feb, 3 in Mar
    # Buyer 1 ordered in Jan and Feb: regular in Feb (2 of the last 2), not in Mar.
    assert list(c["buyers_regular"]) == [0, 1, 0]
    assert list(c["key_accounts_invited"]) == [1, 2, 2]  # C1, then C3
    assert list(c["key_accounts_ordered"]) == [1, 1, 1]
    r = result.rates
    assert list(r["TR"]) == pytest.approx([2 / 3, 3 / 4, 3 / 4])
    assert list(r["TAU"]) == pytest.approx([1 / 3, 2 / 4, 3 / 4])
    assert list(r["TDA"]) == pytest.approx([0, 1 / 4, 0])
    assert list(r["KAAR"]) == pytest.approx([1, 1 / 2, 1 / 2])
    f = result.flows
    assert list(f["orders_online"]) == [1, 2, 1]
    assert list(f["orders_on_behalf"]) == [0, 1, 0]
    assert list(f["invoices_paid_online"]) == [0, 1, 0]
    assert list(f["orders_tracked_online"]) == [1, 0, 0]
    assert list(f["offline_fallbacks"]) == [0, 0, 1]
    assert list(r["on_behalf_order_share"]) == pytest.approx([0, 1 / 3, 0])
    assert list(r["logins_per_key_account"]) == pytest.approx([1, 0, 0])


def test_cli_json_and_history_round_trip(
    store_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "pilot.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["adoption-metrics", "--store-db", str(store_db), "--json",
              "--history-out", str(history)])  # fmt: skip
    assert exit_info.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["periods"] == ["2027-01", "2027-02", "2027-03"]
    assert out["rates"]["TAU"][-1] == pytest.approx(0.75)
    with history.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[1]["registered"] == "3"
    loaded = read_history(history)  # calibrate reads it as an observed history
    assert loaded.rates()["TR"][0] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store-db", "missing.sqlite"], "not found"),
        (["--period", "year"], "--period"),
        (["--period", "day", "--history-out", "x.csv"], "--history-out"),
    ],
)
def test_bad_input_is_one_line(
    store_db: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--store-db" not in args:
        args = ["--store-db", str(store_db), *args]
    with pytest.raises(SystemExit) as exit_info:
        main(["adoption-metrics", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_not_a_store_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).close()
    with pytest.raises(SystemExit):
        main(["adoption-metrics", "--store-db", str(other)])
    assert "not an erpsim store database" in capsys.readouterr().err


def test_the_default_is_what_erpsim_up_writes(
    store_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["adoption-metrics", "--json"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "no store database at data/erp.store.sqlite (what erpsim up writes)" in err
    (tmp_path / "data").mkdir()
    shutil.copyfile(store_db, tmp_path / "data" / "store.sqlite")  # erpsim serve store's
    sqlite3.connect(tmp_path / "data" / "erp.store.sqlite").close()  # erpsim up's comes first
    with pytest.raises(SystemExit) as exit_info:
        main(["adoption-metrics", "--json"])
    assert "data/erp.store.sqlite is not an erpsim store database" in capsys.readouterr().err
    (tmp_path / "data" / "erp.store.sqlite").unlink()
    shutil.copyfile(store_db, tmp_path / "data" / "erp.store.sqlite")
    with pytest.raises(SystemExit) as exit_info:
        main(["adoption-metrics", "--json"])
    assert exit_info.value.code == 0
    assert json.loads(capsys.readouterr().out)["periods"] == ["2027-01", "2027-02", "2027-03"]
