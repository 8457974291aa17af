"""Same profile + seed => same content; shards join to the single run; digest ignores layout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simulator.erp import digest
from simulator.erp.database import atomic_database, content_digest, insert_rows
from simulator.erp.generate import Shard, generate
from simulator.erp.merge import merge_shards
from simulator.erp.schema import TABLES, create_schema_sql
from simulator.errors import UserError


def test_same_seed_same_digest(small_run, small_profile, tmp_path: Path) -> None:
    again = generate(small_profile, seed=7, out=tmp_path / "again.sqlite", history_months=0)
    assert again.digest == small_run.digest
    assert again.counts == small_run.counts


def test_other_seed_other_data(small_run, small_profile, tmp_path: Path) -> None:
    other = generate(small_profile, seed=8, out=tmp_path / "other.sqlite", history_months=0)
    assert other.digest != small_run.digest


def test_digest_is_recomputed_from_the_data(small_run) -> None:
    with sqlite3.connect(small_run.path) as conn:
        assert content_digest(conn) == small_run.digest


def test_digest_ignores_insertion_order_and_page_layout(small_run, tmp_path: Path) -> None:
    """Copy every table in reverse row order into a file with another page size."""
    target = sqlite3.connect(tmp_path / "reversed.sqlite")
    target.execute("PRAGMA page_size = 1024")
    target.executescript(create_schema_sql())
    source = sqlite3.connect(small_run.path)
    for table in TABLES:
        rows = source.execute(f"SELECT * FROM {table.name}").fetchall()
        insert_rows(target, table.name, reversed(rows))
    source.close()
    assert target.execute("PRAGMA page_size").fetchone()[0] == 1024
    assert content_digest(target) == small_run.digest
    target.close()


def test_digest_sees_a_one_cent_change(small_run, tmp_path: Path) -> None:
    changed = tmp_path / "changed.sqlite"
    changed.write_bytes(small_run.path.read_bytes())
    with sqlite3.connect(changed) as conn:
        conn.execute("UPDATE items SET unit_price = unit_price + 0.01 WHERE no = '1000400'")
        assert content_digest(conn) != small_run.digest


def _python_digest(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> str:
    """The digest read through sqlite3 only (as without the optional pyarrow + ADBC)."""
    with monkeypatch.context() as patch:
        patch.setattr(digest, "_arrow_reader", lambda conn: None)
        return content_digest(conn)


@pytest.mark.parametrize("cpus", [1, 2])
def test_digest_is_the_same_through_arrow_and_sqlite3_in_any_batches(
    small_run, monkeypatch: pytest.MonkeyPatch, cpus: int
) -> None:
    monkeypatch.setattr(digest, "usable_cpus", lambda: cpus)  # tables hashed in 1 or 2 threads
    with sqlite3.connect(small_run.path) as conn:
        assert digest._arrow_reader(conn) is not None  # the test extras install both
        assert _python_digest(conn, monkeypatch) == small_run.digest
        monkeypatch.setattr(digest, "BATCH_ROWS", 100)
        assert content_digest(conn) == _python_digest(conn, monkeypatch) == small_run.digest


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE items SET blocked = 1.5 WHERE no = '1000400'",  # REAL in an INTEGER column
        "UPDATE items SET display_name = 7 WHERE no = '1000400'",  # stored as the text '7'
        "UPDATE price_list_lines SET ending_date = '' WHERE ending_date IS NULL",
        "UPDATE price_list_lines SET ending_date = NULL",
        "UPDATE customers SET name = 'Señor Ñandú' WHERE no = 'C000001'",
    ],
)
def test_both_digest_paths_agree_on_any_content(
    small_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    monkeypatch.setattr(digest, "BATCH_ROWS", 100)  # the change lands past the first batch
    changed = tmp_path / "changed.sqlite"
    changed.write_bytes(small_run.path.read_bytes())
    with sqlite3.connect(changed) as conn:
        conn.execute(change)
        conn.commit()
        through_arrow = content_digest(conn)
        assert through_arrow == _python_digest(conn, monkeypatch)
        assert through_arrow != small_run.digest


@pytest.mark.parametrize("count", [2, 3])
def test_union_of_shards_is_the_single_run(
    small_run, small_profile, tmp_path: Path, count: int
) -> None:
    shards = [
        generate(
            small_profile,
            seed=7,
            out=tmp_path / f"s{i}.sqlite",
            shard=Shard(i, count),
            history_months=0,
        ).path
        for i in range(count)
    ]
    with sqlite3.connect(shards[1]) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 0  # catalog: shard 0
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] > 0
    merged = merge_shards(list(reversed(shards)), tmp_path / "merged.sqlite")
    assert merged.digest == small_run.digest
    assert merged.counts == small_run.counts


def test_merge_refuses_a_missing_shard(small_profile, tmp_path: Path) -> None:
    path = generate(
        small_profile, seed=7, out=tmp_path / "s0.sqlite", shard=Shard(0, 2), history_months=0
    ).path
    with pytest.raises(UserError, match=r"shards must be 0/2 \.\. 1/2 once each; got 0/2"):
        merge_shards([path], tmp_path / "merged.sqlite")
    assert not (tmp_path / "merged.sqlite").exists()


def test_merge_refuses_shards_of_different_seeds(small_profile, tmp_path: Path) -> None:
    a = generate(
        small_profile, seed=7, out=tmp_path / "a.sqlite", shard=Shard(0, 2), history_months=0
    ).path
    b = generate(
        small_profile, seed=9, out=tmp_path / "b.sqlite", shard=Shard(1, 2), history_months=0
    ).path
    with pytest.raises(UserError, match="another profile or seed"):
        merge_shards([a, b], tmp_path / "merged.sqlite")


def test_merge_refuses_the_same_shard_twice(small_profile, tmp_path: Path) -> None:
    a = generate(
        small_profile, seed=7, out=tmp_path / "a.sqlite", shard=Shard(0, 2), history_months=0
    ).path
    b = tmp_path / "b.sqlite"
    b.write_bytes(a.read_bytes())
    with pytest.raises(UserError, match="once each"):
        merge_shards([a, b], tmp_path / "merged.sqlite")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3", "expected I/N"),
        ("a/b", "expected I/N"),
        ("2/2", "need 0 <= I < N"),
        ("0/0", "need 0 <= I < N"),
        ("-1/2", "expected I/N"),
    ],
)
def test_bad_shard_text(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        Shard.parse(text)


def test_shards_partition_the_accounts() -> None:
    ranges = [Shard(i, 7).accounts(1000) for i in range(7)]
    assert [n for r in ranges for n in r] == list(range(1000))


def test_failed_generation_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "erp.sqlite"
    with pytest.raises(RuntimeError), atomic_database(out, force=False):
        raise RuntimeError("crash mid-run")
    assert list(tmp_path.iterdir()) == []


def test_history_needs_the_whole_world(small_profile, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="generate shards with --history-months 0"):
        generate(small_profile, seed=7, out=tmp_path / "s.sqlite", shard=Shard(0, 2))
