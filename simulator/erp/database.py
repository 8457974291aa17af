"""Opening, writing and fingerprinting ERP database files.

Output files are written atomically: everything goes into a temporary file beside the target,
which is renamed over it only when complete, so an error or Ctrl-C never leaves a half-written
database. The content digest is defined on the data, not on SQLite's page layout, so a file
generated in one go, a merge of shards and a file rebuilt by another SQLite version agree
(``simulator.erp.digest``).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.atomic import atomic_file
from simulator.erp.digest import content_digest, read_only_uri
from simulator.erp.schema import TABLES, TABLES_BY_NAME, create_schema_sql, index_sql
from simulator.errors import UserError


def open_database(path: str | Path) -> sqlite3.Connection:
    """Open an existing ERP database read-only; a missing or foreign file is a UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"database not found: {path}")
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True)
        conn.execute("SELECT value FROM erpsim_meta LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{path} is not an erpsim database ({exc})") from exc
    return conn


@contextlib.contextmanager
def atomic_database(out: str | Path, *, force: bool) -> Iterator[sqlite3.Connection]:
    """Create a fresh ERP database at ``out``, visible there only if the block completes."""
    with atomic_file(out, force=force) as tmp:
        conn = sqlite3.connect(tmp)
        try:
            _configure_for_bulk_load(conn)
            conn.executescript(create_schema_sql(with_indexes=False))
            yield conn
            conn.executescript(index_sql())
            conn.commit()
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()


def _configure_for_bulk_load(conn: sqlite3.Connection) -> None:
    # Safe only because the file is a private temp file that is discarded on any failure.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache
    conn.execute("PRAGMA temp_store=MEMORY")


def insert_rows(conn: sqlite3.Connection, table: str, rows: Iterable[Sequence[Any]]) -> int:
    """Bulk-insert rows given in the table's canonical column order; returns the count."""
    columns = TABLES_BY_NAME[table].columns
    placeholders = ", ".join("?" * len(columns))
    before = conn.total_changes
    conn.executemany(f"INSERT INTO {table} VALUES ({placeholders})", rows)
    return conn.total_changes - before


def insert_columns(conn: sqlite3.Connection, table: str, columns: Mapping[str, Any]) -> int:
    """Bulk-insert a chunk given column-wise (lists or numpy arrays), in any key order."""
    names = TABLES_BY_NAME[table].columns
    missing = set(names) - set(columns)
    if missing:
        raise KeyError(f"{table}: missing columns {sorted(missing)}")
    data = [_as_list(columns[name]) for name in names]
    return insert_rows(conn, table, zip(*data, strict=True))


def _as_list(values: Any) -> list[Any]:
    """Plain Python values (numpy scalars would be stored as blobs)."""
    tolist = getattr(values, "tolist", None)
    return tolist() if tolist is not None else list(values)


def write_meta(conn: sqlite3.Connection, meta: Mapping[str, Any]) -> None:
    """Store run metadata (values JSON-encoded) in ``erpsim_meta``."""
    conn.executemany(
        "INSERT OR REPLACE INTO erpsim_meta (key, value) VALUES (?, ?)",
        [(key, json.dumps(value, sort_keys=True)) for key, value in meta.items()],
    )


def read_meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return {key: json.loads(value) for key, value in conn.execute("SELECT * FROM erpsim_meta")}


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        table.name: conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
        for table in TABLES
    }


def describe(path: str | Path, *, verify: bool = False) -> dict[str, Any]:
    """What `erpsim inspect` shows: counts, profile, seed, shard, stored (and recomputed)
    digest of an existing database."""
    conn = open_database(path)
    try:
        meta = read_meta(conn)
        info: dict[str, Any] = {
            "path": str(path),
            "counts": row_counts(conn),
            "profile": meta.get("profile"),
            "seed": meta.get("seed"),
            "shard": meta.get("shard"),
            "as_of": meta.get("as_of"),
            "history_months": meta.get("history_months", 0),
            "world_now": meta.get("world_now"),
            "erpsim_version": meta.get("erpsim_version"),
            "digest": meta.get("digest"),
        }
        if verify:
            actual = content_digest(conn)
            info["actual_digest"] = actual
            info["verified"] = actual == info["digest"]
        return info
    finally:
        conn.close()
