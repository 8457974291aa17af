"""`erpsim export`: one file per entity in CSV, JSON Lines or Parquet.

Integration developers load these into whatever their connector tests read. Output goes to a
temporary directory that replaces ``out`` only when every file is written. Parquet needs the
optional ``parquet`` extra (pyarrow, plus the ADBC SQLite driver that streams SQLite straight
into Arrow without a Python object per value; without it a slower pure-Python path is used).
Reading SQLite into Arrow costs about a microsecond per 17-column row, most of the export, so
with more than one CPU a table is cut into consecutive primary-key ranges that reader threads
(one per CPU, each on its own connection) turn into Arrow while the writer encodes the ones
before; on one CPU a single query streams the table batch by batch.
"""

from __future__ import annotations

import csv
import sqlite3
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from simulator.atomic import atomic_directory, check_target
from simulator.erp.database import open_database
from simulator.erp.digest import read_only_uri, usable_cpus
from simulator.erp.schema import TABLES, Table
from simulator.errors import UserError

FORMATS = ("csv", "jsonl", "parquet")
FETCH_ROWS = 50_000
PARQUET_PART_ROWS = 131_072  # rows per key range one reader thread turns into Arrow


@dataclass(frozen=True)
class ExportedFile:
    table: str
    path: Path
    rows: int
    seconds: float


def export_database(
    db: str | Path,
    fmt: str,
    out: str | Path,
    *,
    force: bool = False,
    tables: list[str] | None = None,
) -> list[ExportedFile]:
    """Write each table of ``db`` to ``out/<table>.<fmt>``; returns what was written."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    chosen = _choose(tables)
    writer = {"csv": _write_csv, "jsonl": _write_jsonl, "parquet": _parquet_writer(db)}[fmt]
    out = check_target(out, kind="directory", force=force)
    conn = open_database(db)
    try:
        with atomic_directory(out, force=force) as staging:
            written = []
            for table in chosen:
                path = staging / f"{table.name}.{fmt}"
                started = time.perf_counter()
                rows = writer(conn, table, path)
                written.append(
                    ExportedFile(table.name, out / path.name, rows, time.perf_counter() - started)
                )
    finally:
        conn.close()
    return written


def _choose(names: list[str] | None) -> list[Table]:
    if not names:
        return list(TABLES)
    known = {table.name: table for table in TABLES}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UserError(f"unknown table {unknown[0]!r} (tables: {', '.join(known)})")
    return [known[name] for name in names]


def _batches(conn: sqlite3.Connection, table: Table) -> Iterator[list[tuple[Any, ...]]]:
    cursor = conn.execute(
        f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order_by}"
    )
    while batch := cursor.fetchmany(FETCH_ROWS):
        yield batch


def _write_csv(conn: sqlite3.Connection, table: Table, path: Path) -> int:
    """RFC 4180 CSV with a header; NULL is an empty field."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.columns)
        for batch in _batches(conn, table):
            writer.writerows(batch)
            rows += len(batch)
    return rows


def _write_jsonl(conn: sqlite3.Connection, table: Table, path: Path) -> int:
    """One JSON object per line, keys in schema order, NULL as null."""
    rows = 0
    columns = table.columns
    with path.open("wb") as handle:
        for batch in _batches(conn, table):
            handle.write(
                b"".join(
                    orjson.dumps(dict(zip(columns, row, strict=True))) + b"\n" for row in batch
                )
            )
            rows += len(batch)
    return rows


def _parquet_writer(db: str | Path) -> Any:
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional extra
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError as exc:
        raise UserError(
            "parquet export needs the optional pyarrow dependency: pip install 'erpsim[parquet]'"
        ) from exc
    try:
        from adbc_driver_sqlite import dbapi as adbc  # noqa: PLC0415 - optional extra
    except ImportError:
        adbc = None  # type: ignore[assignment]

    def write(conn: sqlite3.Connection, table: Table, path: Path) -> int:
        """Stream parts into the file in key order: memory stays flat however big the table."""
        schema = _arrow_schema(pa, conn, table)
        if adbc is None:
            parts = _python_parts(pa, conn, table, schema)
        elif usable_cpus() == 1:
            parts = _streamed_parts(adbc, Path(db).resolve(), table, schema)
        else:
            parts = _parallel_parts(adbc, Path(db).resolve(), conn, table, schema)
        rows = 0
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for part in parts:
                writer.write(part)
                rows += part.num_rows
        return rows

    return write


def _streamed_parts(adbc: Any, db: Path, table: Table, schema: Any) -> Iterator[Any]:
    """On one CPU: the whole table through one ADBC query, record batch by record batch."""
    query = f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order_by}"
    with adbc.connect(read_only_uri(db)) as fast, fast.cursor() as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "65536"})
        cursor.execute(query)
        for batch in cursor.fetch_record_batch():
            yield batch.cast(schema)


def _parallel_parts(
    adbc: Any, db: Path, conn: sqlite3.Connection, table: Table, schema: Any
) -> Iterator[Any]:
    """Arrow tables of PARQUET_PART_ROWS rows in key order, read by one worker thread per
    CPU, each through its own ADBC connection (SQLite and Arrow release the GIL), a few
    parts ahead of the writer."""
    workers = usable_cpus()
    columns = ", ".join(table.columns)
    key, marks = ", ".join(table.primary_key), ", ".join("?" * len(table.primary_key))

    def read(bounds: tuple[tuple[Any, ...], tuple[Any, ...] | None]) -> Any:
        low, high = bounds
        where = f"({key}) >= ({marks})" + (f" AND ({key}) < ({marks})" if high else "")
        query = f"SELECT {columns} FROM {table.name} WHERE {where} ORDER BY {key}"
        with adbc.connect(read_only_uri(db)) as fast, fast.cursor() as cursor:
            # One batch per part: ADBC infers each column's type from all of its rows.
            options = {"adbc.sqlite.query.batch_rows": str(PARQUET_PART_ROWS)}
            cursor.adbc_statement.set_options(**options)
            cursor.execute(query, (*low, *(high or ())))
            return cursor.fetch_arrow_table().cast(schema)

    with ThreadPoolExecutor(workers, thread_name_prefix="parquet-read") as pool:
        pending: deque[Any] = deque()
        for bounds in _key_ranges(conn, table, PARQUET_PART_ROWS):
            pending.append(pool.submit(read, bounds))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _key_ranges(
    conn: sqlite3.Connection, table: Table, rows: int
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None]]:
    """Consecutive primary-key ranges [low, high) of ``rows`` rows each (the last open-ended),
    found by skipping through the key B-tree, one range at a time."""
    key, marks = ", ".join(table.primary_key), ", ".join("?" * len(table.primary_key))
    low = conn.execute(f"SELECT {key} FROM {table.name} ORDER BY {key} LIMIT 1").fetchone()
    while low is not None:
        high = conn.execute(
            f"SELECT {key} FROM {table.name} WHERE ({key}) >= ({marks}) "
            f"ORDER BY {key} LIMIT 1 OFFSET {rows}",
            low,
        ).fetchone()
        yield tuple(low), None if high is None else tuple(high)
        low = high


def _python_parts(pa: Any, conn: sqlite3.Connection, table: Table, schema: Any) -> Iterator[Any]:
    """Without the ADBC driver: rows through ``sqlite3``, columns through Python lists."""
    for rows in _batches(conn, table):
        yield pa.table(
            [pa.array([row[i] for row in rows], type=field.type) for i, field in enumerate(schema)],
            schema=schema,
        )


def _arrow_schema(pa: Any, conn: sqlite3.Connection, table: Table) -> Any:
    """Arrow types from the declared SQLite types, so an empty or all-NULL column still
    gets its proper type."""
    declared = {row[1]: row[2].upper() for row in conn.execute(f"PRAGMA table_info({table.name})")}
    types = {"INTEGER": pa.int64(), "REAL": pa.float64(), "TEXT": pa.string()}
    return pa.schema([(name, types[declared[name]]) for name in table.columns])
