"""The store's secret: random per store database, kept beside it, reused; fixed ones warned."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from loadtests.testdata import load_testdata
from simulator.errors import UserError
from simulator.store.secret import fixed_secret_warning, read_secret, secret_path, store_secret


def test_each_store_database_gets_its_own_random_secret(tmp_path: Path) -> None:
    one, two = tmp_path / "a" / "store.sqlite", tmp_path / "b" / "store.sqlite"
    first = store_secret(one)
    assert first != "erpsim-demo"
    assert len(first) >= 40
    assert store_secret(two) != first
    assert store_secret(one) == first  # reused: the demo logins survive a restart
    assert read_secret(one) == first
    path = secret_path(one)
    assert path == tmp_path / "a" / "store.sqlite.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["store.sqlite.secret"]


def test_a_given_secret_wins_and_is_not_stored(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    assert store_secret(db, "mine") == "mine"
    assert not secret_path(db).exists()
    with pytest.raises(UserError, match="must not be empty"):
        store_secret(db, " ")


def test_an_empty_secret_file_is_an_error(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    secret_path(db).write_text("\n", encoding="utf-8")
    with pytest.raises(UserError, match="is empty"):
        store_secret(db)


@pytest.mark.parametrize(
    ("given", "host", "warned"),
    [
        ("fixed", "0.0.0.0", True),
        ("fixed", "192.168.1.5", True),
        ("fixed", "127.0.0.1", False),
        ("fixed", "::1", False),
        ("fixed", "localhost", False),
        (None, "0.0.0.0", False),
    ],
)
def test_a_fixed_secret_off_loopback_is_warned(given: str | None, host: str, warned) -> None:
    warning = fixed_secret_warning(given, host)
    assert (warning is not None) == warned
    if warning:
        assert warning.startswith("erpsim: warning: ")


def test_load_test_data_need_the_secret(history_run, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="store's secret"):
        load_testdata(history_run.path)


def test_serve_store_warns_of_a_fixed_secret_off_loopback(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "simulator", "serve", "store", "--erp-key", "k",
         "--erp-url", "http://127.0.0.1:9", "--host", "192.0.2.1", "--port", "0",
         "--secret", "fixed", "--db", str(tmp_path / "store.sqlite")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2
    assert lines[0].startswith("erpsim: warning: a fixed --secret served on 192.0.2.1")
    assert lines[-1].startswith("erpsim: error: ")
    assert "Traceback" not in done.stderr
