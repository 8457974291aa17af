"""`erpsim sap-customizing` and the --sap-customizing flags as a user runs them: the file
written (and read back), bad input as one line with exit code 2 and nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app, main
from simulator.errors import UserError
from simulator.store.sap_customizing import FORMAT, load


def one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("erpsim: error: ")
    assert "Traceback" not in err
    return err


def test_writes_the_file_the_store_loads(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "sap-customizing.json"
    result = CliRunner().invoke(app, ["sap-customizing", "--db", str(small_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{out}: 66 hierarchy nodes, 8 sales employees, 2395 listings" in result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["format"] == FORMAT
    loaded = load(out)
    assert (len(loaded.hierarchy), len(loaded.employees), len(loaded.listings)) == (66, 8, 2395)
    assert [p.name for p in tmp_path.iterdir()] == ["sap-customizing.json"]  # no temp left

    again = CliRunner().invoke(app, ["sap-customizing", "--db", str(small_db), "--out", str(out)])
    assert isinstance(again.exception, UserError)
    assert "use --force" in str(again.exception)
    forced = CliRunner().invoke(
        app, ["sap-customizing", "--db", str(small_db), "--out", str(out), "--force"]
    )
    assert forced.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == document  # deterministic


@pytest.mark.parametrize("kind", ["missing", "text", "foreign sqlite"])
def test_a_bad_db_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    db = tmp_path / "world.sqlite"
    if kind == "text":
        db.write_text("not a database at all, but long enough to be read " * 20)
    elif kind == "foreign sqlite":
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE t (x)")
        conn.close()
    out = tmp_path / "out" / "sap-customizing.json"
    err = one_line_error(capsys, "sap-customizing", "--db", str(db), "--out", str(out))
    if kind == "missing":
        assert f"database not found: {db}" in err
    else:
        assert f"{db} is not an erpsim database" in err
    assert not out.exists()
    assert not out.parent.exists() or not list(out.parent.iterdir())


def test_store_flags_check_the_file_before_anything_starts(
    small_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_db = tmp_path / "store.sqlite"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    err = one_line_error(
        capsys, "serve", "store", "--erp-key", "k", "--db", str(store_db),
        "--erp-flavor", "sap", "--sap-customizing", str(bad),
    )  # fmt: skip
    assert f"{bad}: has no key 'salesArea'" in err
    err = one_line_error(
        capsys, "serve", "store", "--erp-key", "k", "--db", str(store_db),
        "--sap-customizing", str(bad),
    )  # fmt: skip
    assert "--sap-customizing: only with --erp-flavor sap" in err
    err = one_line_error(
        capsys, "up", "--db", str(small_db), "--store-db", str(store_db),
        "--sap-customizing", str(bad),
    )  # fmt: skip
    assert "--sap-customizing: only with --erp-flavor sap" in err
    err = one_line_error(
        capsys, "up", "--db", str(small_db), "--store-db", str(store_db),
        "--erp-flavor", "sap", "--sap-customizing", str(tmp_path / "none.json"),
    )  # fmt: skip
    assert "none.json: no such file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]  # no store db, no secret
