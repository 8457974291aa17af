"""The CLI as a user runs it: real commands, real files, one-line errors with exit code 2."""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.erp.schema import TABLES


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `erpsim ARGS` in-process; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    return caught.value.code or 0, out, err


def assert_one_line_error(code: int, err: str, fragment: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("erpsim: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("erpsim ")


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["generate"],
        ["inspect"],
        ["export"],
        ["merge"],
        ["demo"],
        ["stats"],
        ["simulate"],
        ["compare"],
        ["calibrate"],
        ["sensitivity"],
        ["bass"],
        ["serve", "erp"],
        ["sap-customizing"],
    ],
)
def test_help_on_every_command(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert "Usage: erpsim" in out


def test_generate_json_then_inspect(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "erp.sqlite"
    code, stdout, _ = run(
        capsys, "generate", "--profile", "small", "--seed", "7", "--out", str(out), "--json"
    )
    assert code == 0
    summary = json.loads(stdout)
    assert summary["counts"]["items"] == 800
    assert summary["seed"] == 7
    assert len(summary["digest"]) == 64

    code, stdout, _ = run(capsys, "inspect", str(out), "--json", "--verify")
    assert code == 0
    info = json.loads(stdout)
    assert {"counts", "digest", "profile", "seed"} <= set(info)
    assert info["counts"] == summary["counts"]
    assert info["digest"] == summary["digest"]
    assert info["profile"] == "small"
    assert info["seed"] == 7
    assert info["verified"] is True


def test_generate_prints_counts_elapsed_and_digest(capsys, tmp_path: Path) -> None:
    code, stdout, _ = run(
        capsys, "generate", "--out", str(tmp_path / "e.sqlite"), "--quiet", "--history-months", "0"
    )
    assert code == 0
    assert "price_list_lines" in stdout
    assert "elapsed" in stdout
    assert "digest" in stdout


def test_inspect_verify_fails_on_tampered_data(capsys, small_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tampered.sqlite"
    copy.write_bytes(small_db.read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM contacts WHERE no = 'CT0000001'")
    code, stdout, _ = run(capsys, "inspect", str(copy), "--verify")
    assert code == 1
    assert "False" in stdout


def test_shards_merged_by_cli_match_single_run(capsys, small_run, tmp_path: Path) -> None:
    paths = []
    for i in range(2):
        path = tmp_path / f"shard-{i}.sqlite"
        code, _, _ = run(
            capsys,
            "generate",
            "--shard",
            f"{i}/2",
            "--out",
            str(path),
            "--quiet",
            "--history-months",
            "0",
        )
        assert code == 0
        paths.append(str(path))
    merged = tmp_path / "all.sqlite"
    code, stdout, _ = run(capsys, "merge", *paths, "--out", str(merged))
    assert code == 0
    assert small_run.digest in stdout


def db_rows(db: Path, table: str) -> list[tuple]:
    spec = next(t for t in TABLES if t.name == table)
    with sqlite3.connect(db) as conn:
        return conn.execute(
            f"SELECT {', '.join(spec.columns)} FROM {table} ORDER BY {spec.order_by}"
        ).fetchall()


def typed(value: str, declared: str) -> object:
    if value == "":
        return None if declared == "TEXT?" else ("" if declared == "TEXT" else None)
    return {"INTEGER": int, "REAL": float}.get(declared, str)(value)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_round_trip(capsys, small_db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / fmt
    code, _, _ = run(capsys, "export", "--db", str(small_db), "--format", fmt, "--out", str(out))
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t.name}.{fmt}" for t in TABLES)
    for table in ("price_list_lines", "customers", "items"):
        expected = db_rows(small_db, table)
        assert read_back(out / f"{table}.{fmt}", fmt, small_db, table) == expected


def read_back(path: Path, fmt: str, db: Path, table: str) -> list[tuple]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return [tuple(row.values()) for row in pq.read_table(path).to_pylist()]
    if fmt == "jsonl":
        return [tuple(json.loads(line).values()) for line in path.read_text().splitlines()]
    with sqlite3.connect(db) as conn:
        info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    declared = [("TEXT?" if not row[3] else row[2]) if row[2] == "TEXT" else row[2] for row in info]
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header == [row[1] for row in info]
        return [tuple(typed(v, d) for v, d in zip(row, declared, strict=True)) for row in reader]


def test_export_parquet_without_pyarrow_says_how_to_get_it(
    capsys, monkeypatch: pytest.MonkeyPatch, small_db: Path, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, _, err = run(
        capsys, "export", "--db", str(small_db), "--format", "parquet", "--out", str(tmp_path / "p")
    )
    assert_one_line_error(code, err, "pip install 'erpsim[parquet]'")
    assert not (tmp_path / "p").exists()


def test_export_refuses_existing_directory(capsys, small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = run(capsys, "export", "--db", str(small_db), "--out", str(out))
    assert_one_line_error(code, err, "output directory exists")
    assert (out / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--format", "xml"], "unknown format 'xml'"),
        (["--tables", "items,orders"], "unknown table 'orders'"),
    ],
)
def test_export_bad_options(capsys, small_db: Path, tmp_path: Path, args, fragment) -> None:
    code, _, err = run(capsys, "export", "--db", str(small_db), "--out", str(tmp_path / "x"), *args)
    assert_one_line_error(code, err, fragment)
    assert not (tmp_path / "x").exists()


def test_inspect_rejects_a_file_that_is_not_ours(capsys, tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("not a database")
    code, _, err = run(capsys, "inspect", str(path))
    assert_one_line_error(code, err, "is not an erpsim database")


def test_inspect_missing_file(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "inspect", str(tmp_path / "none.sqlite"))
    assert_one_line_error(code, err, "database not found")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


BAD_GENERATE = [
    ("unknown-profile", ["--profile", "gigantic"], "unknown profile 'gigantic'"),
    ("bad-shard-format", ["--shard", "1-of-2"], "bad --shard '1-of-2'"),
    ("shard-out-of-range", ["--shard", "4/4"], "need 0 <= I < N"),
    ("more-shards-than-customers", ["--shard", "0/500"], "more shards than customers"),
    ("negative-seed", ["--seed", "-1"], "bad --seed -1"),
    ("seed-not-a-number", ["--seed", "many"], "Invalid value for '--seed'"),
    ("unknown-flag", ["--colour", "red"], "--colour"),
]


@pytest.mark.parametrize(
    ("case", "args", "fragment"), BAD_GENERATE, ids=[c[0] for c in BAD_GENERATE]
)
def test_generate_bad_input(
    capsys, tmp_path: Path, case: str, args: list[str], fragment: str
) -> None:
    out = tmp_path / "out" / "erp.sqlite"
    code, _, err = run(capsys, "generate", "--out", str(out), "--quiet", *args)
    assert_one_line_error(code, err, fragment)
    assert leftovers(tmp_path / "out") == []


@pytest.mark.parametrize(
    ("case", "text", "fragment"),
    [
        ("malformed", "[catalog\n", "is not valid TOML"),
        ("out-of-range", "[customers]\ncount = -5\n", "field customers.count"),
        ("unknown-key", "[stock]\nwarehouses = 3\n", "field stock.warehouses: unknown key"),
    ],
)
def test_generate_bad_profile_file(
    capsys, tmp_path: Path, case: str, text: str, fragment: str
) -> None:
    profile = tmp_path / f"{case}.toml"
    profile.write_text(text)
    out = tmp_path / "out" / "erp.sqlite"
    code, _, err = run(capsys, "generate", "--profile", str(profile), "--out", str(out))
    assert_one_line_error(code, err, fragment)
    assert str(profile) in err
    assert leftovers(tmp_path / "out") == []


def test_generate_refuses_to_overwrite_without_force(capsys, tmp_path: Path) -> None:
    out = tmp_path / "erp.sqlite"
    out.write_bytes(b"precious")
    code, _, err = run(capsys, "generate", "--out", str(out), "--quiet")
    assert_one_line_error(code, err, "output file exists")
    assert out.read_bytes() == b"precious"
    code, _, _ = run(
        capsys, "generate", "--out", str(out), "--quiet", "--force", "--history-months", "0"
    )
    assert code == 0
    assert out.read_bytes().startswith(b"SQLite format 3")
    assert leftovers(tmp_path) == ["erp.sqlite"]


def test_generate_unwritable_path(capsys, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run(capsys, "generate", "--out", str(blocker / "erp.sqlite"), "--quiet")
    assert_one_line_error(code, err, "cannot write")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_generate_read_only_directory(capsys, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, _, err = run(capsys, "generate", "--out", str(locked / "erp.sqlite"), "--quiet")
    finally:
        locked.chmod(0o700)
    assert_one_line_error(code, err, "cannot write")


def test_output_path_that_is_a_directory(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "generate", "--out", str(tmp_path), "--quiet", "--force")
    assert_one_line_error(code, err, "is a directory")


def test_merge_bad_inputs(capsys, tmp_path: Path) -> None:
    code, _, err = run(
        capsys, "merge", str(tmp_path / "missing.sqlite"), "--out", str(tmp_path / "all.sqlite")
    )
    assert_one_line_error(code, err, "database not found")
    assert not (tmp_path / "all.sqlite").exists()


def test_demo_runs_end_to_end(capsys, tmp_path: Path) -> None:
    code, stdout, _ = run(capsys, "demo", "--workdir", str(tmp_path / "demo"))
    assert code == 0
    assert "identical" in stdout
    assert "Price an order line" in stdout
    assert "34 CSV files" in stdout
    assert "Forecast web-store adoption" in stdout
    assert "the same order" in stdout
    assert "/quick-order" in stdout  # the store's pages are listed
    assert re.search(r"shipAndInvoice\s+->\s+invoice\s+SI\d+", stdout), stdout
    documented = json.loads(
        (Path(__file__).parents[1] / "conformance" / "bc_v2_properties.json").read_text()
    )["entitySets"]
    sets = [name for name in documented if name != "companies"]
    properties = sum(len(documented[name]["properties"]) for name in sets)
    shown = rf"{len(sets)} standard sets with {properties} of BC.s\s+properties"
    assert re.search(shown, stdout), stdout  # every documented property, and only BC's
    # The SAP connector: the order it sent twice is one order, visible to BC as well.
    sent_twice = r"Repeatability-Request-ID\s+->\s+(SO\d+)\s+and\s+(SO\d+),\s+the\s+same"
    sap = re.search(sent_twice, stdout)
    assert sap is not None, stdout
    assert sap.group(1) == sap.group(2)
    assert re.search(rf"Business\s+Central\s+API:\s+{sap.group(1)}\b", stdout), stdout
    assert (tmp_path / "demo" / "adoption-baseline" / "report.html").exists()
    assert "orders per month" in stdout
    # The load step: a bounded Locust run whose measured experience feeds the forecast.
    assert "virtual users for 4 s against the embedded store on 127.0.0.1" in stdout
    load = json.loads((tmp_path / "demo" / "load" / "summary.json").read_text(encoding="utf-8"))
    assert load["total"]["requests"] > 0
    assert load["run"]["embedded"] is True
    assert load["cx"]["p95_ms"] > 0
    assert load["warmup"]["seconds"] == 1.0  # a quarter of the run: the logins left out
    assert "warm-up: the first 1 s are excluded from the figures and SLOs" in stdout
    forecast = json.loads(
        (tmp_path / "demo" / "adoption-baseline" / "summary.json").read_text(encoding="utf-8")
    )
    assert forecast["cx_from"] is not None
    assert forecast["site"]["p95_ms"] == load["cx"]["p95_ms"]


def test_stats_json(capsys, history_run) -> None:
    code, stdout, _ = run(capsys, "stats", "--db", str(history_run.path), "--json")
    assert code == 0
    figures = json.loads(stdout)
    assert len(figures["orders_per_month"]) == 24
    assert 0 < figures["stock_out_rate"] < 0.2


def test_stats_table(capsys, history_run) -> None:
    code, stdout, _ = run(capsys, "stats", "--db", str(history_run.path))
    assert code == 0
    assert "orders per month" in stdout
    assert "OUT" not in stdout


@pytest.mark.parametrize(
    ("months", "fragment"),
    [("-1", "within 0..120"), ("500", "within 0..120"), ("1", "longer than the 1-month history")],
)
def test_generate_bad_history_months(capsys, tmp_path: Path, months: str, fragment: str) -> None:
    out = tmp_path / "out" / "erp.sqlite"
    code, _, err = run(capsys, "generate", "--out", str(out), "--quiet", "--history-months", months)
    assert_one_line_error(code, err, fragment)
    assert leftovers(tmp_path / "out") == []


def test_profile_with_inconsistent_history_knobs(capsys, tmp_path: Path) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(
        "[history]\nquote_validity_days = 5\nquote_decision_days = { min = 1, max = 9 }\n"
    )
    code, _, err = run(
        capsys, "generate", "--profile", str(profile), "--out", str(tmp_path / "x.sqlite")
    )
    assert_one_line_error(code, err, "quote_decision_days.max exceeds quote_validity_days")


def test_export_parquet_without_the_adbc_driver(
    capsys, monkeypatch: pytest.MonkeyPatch, small_db: Path, tmp_path: Path
) -> None:
    """pyarrow alone still exports (the slower pure-Python path), with the same content."""
    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite", None)
    out = tmp_path / "slow"
    code, _, _ = run(
        capsys,
        "export",
        "--db",
        str(small_db),
        "--format",
        "parquet",
        "--out",
        str(out),
        "--tables",
        "price_list_lines,customers",
    )
    assert code == 0
    for table in ("price_list_lines", "customers"):
        assert read_back(out / f"{table}.parquet", "parquet", small_db, table) == db_rows(
            small_db, table
        )


@pytest.mark.parametrize("cpus", [1, 2, 3])
def test_export_parquet_reads_key_ranges_in_parallel_and_in_order(
    capsys, monkeypatch: pytest.MonkeyPatch, small_db: Path, tmp_path: Path, cpus: int
) -> None:
    """Many small key ranges (several per reader thread) still come out whole and in order;
    on one CPU, one query streams the table."""
    from simulator.erp import export

    monkeypatch.setattr(export, "PARQUET_PART_ROWS", 997)
    monkeypatch.setattr(export, "usable_cpus", lambda: cpus)
    out = tmp_path / "parts"
    code, _, _ = run(
        capsys,
        "export",
        "--db",
        str(small_db),
        "--format",
        "parquet",
        "--out",
        str(out),
        "--tables",
        "price_list_lines,item_units_of_measure,currencies",
    )
    assert code == 0
    for table in ("price_list_lines", "item_units_of_measure", "currencies"):
        assert read_back(out / f"{table}.parquet", "parquet", small_db, table) == db_rows(
            small_db, table
        )


def test_a_path_with_uri_characters_is_read_as_that_file(
    capsys, small_db: Path, tmp_path: Path
) -> None:
    """'#', '?' and '%' in a path are escaped in the read-only SQLite URI, not parsed."""
    odd = tmp_path / "a #b?c%d" / "erp 1.sqlite"
    odd.parent.mkdir()
    odd.write_bytes(small_db.read_bytes())
    code, out, _ = run(capsys, "inspect", str(odd), "--verify", "--json")
    assert code == 0
    assert json.loads(out)["verified"] is True
    code, _, _ = run(
        capsys, "export", "--db", str(odd), "--format", "parquet", "--out", str(tmp_path / "p")
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a #b?c%d", "p"]
