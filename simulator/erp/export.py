"""`erpsim export`: one file per entity in CSV, JSON Lines or Parquet.

Integration developers load these into whatever their connector tests read. Output goes to a
temporary directory that replaces ``out`` only when every file is written. Parquet needs the
optional ``parquet`` extra (pyarrow, plus the ADBC SQLite driver that streams SQLite straight
into Arrow at millions of rows per second; without it a slower pure-Python path is used).
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from simulator.erp.database import open_database
from simulator.erp.schema import TABLES, Table
from simulator.errors import UserError

FORMATS = ("csv", "jsonl", "parquet")
FETCH_ROWS = 50_000


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
    out = Path(out)
    if out.exists() and not force:
        raise UserError(f"output directory exists: {out} (use --force to replace it)")
    if out.exists() and not out.is_dir():
        raise UserError(f"output path is a file: {out}")
    conn = open_database(db)
    try:
        parent = out.parent if str(out.parent) else Path(".")
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as exc:
        conn.close()
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc
    try:
        written = []
        for table in chosen:
            path = staging / f"{table.name}.{fmt}"
            started = time.perf_counter()
            rows = writer(conn, table, path)
            written.append(
                ExportedFile(table.name, out / path.name, rows, time.perf_counter() - started)
            )
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
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
        adbc = None

    def write(conn: sqlite3.Connection, table: Table, path: Path) -> int:
        """Stream batches into the file: memory stays flat however big the table."""
        query = f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order_by}"
        schema = _arrow_schema(pa, conn, table)
        rows = 0
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in _arrow_batches(conn, query, schema):
                writer.write_batch(batch)
                rows += batch.num_rows
        return rows

    def _arrow_batches(conn: sqlite3.Connection, query: str, schema: Any) -> Iterator[Any]:
        if adbc is not None:
            with adbc.connect(str(Path(db).resolve())) as fast, fast.cursor() as cursor:
                cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "65536"})
                cursor.execute(query)
                for batch in cursor.fetch_record_batch():
                    yield batch.cast(schema)
            return
        cursor = conn.execute(query)
        while rows := cursor.fetchmany(FETCH_ROWS):
            yield pa.record_batch(
                [
                    pa.array([row[i] for row in rows], type=field.type)
                    for i, field in enumerate(schema)
                ],
                schema=schema,
            )

    return write


def _arrow_schema(pa: Any, conn: sqlite3.Connection, table: Table) -> Any:
    """Arrow types from the declared SQLite types, so an empty or all-NULL column still
    gets its proper type."""
    declared = {row[1]: row[2].upper() for row in conn.execute(f"PRAGMA table_info({table.name})")}
    types = {"INTEGER": pa.int64(), "REAL": pa.float64(), "TEXT": pa.string()}
    return pa.schema([(name, types[declared[name]]) for name in table.columns])
