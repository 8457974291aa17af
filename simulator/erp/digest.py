"""The content digest: a sha256 fingerprint of a database's data, not of its file.

Same profile + seed ⇒ same digest; a merge of shards, a file with another page size or
insertion order, or one rebuilt by another SQLite version agree, because the digest is
defined on the values read back in primary-key order. It is computed column by column, so
that it can be read through Arrow without a Python object per value (``pyarrow`` and the
ADBC SQLite driver, the optional ``parquet`` extra) or, without them, through ``sqlite3``;
both paths hash the same bytes.

Canonical dump (version 2). Tables in ``schema.TABLES`` order, rows in primary-key order,
row ``i`` counted from 0. Each column feeds three sha256 streams:

- ``values``: INTEGER columns: each value as a little-endian int64; REAL columns: each value
  as a little-endian IEEE 754 binary64; TEXT columns: the value's UTF-8 bytes (a BLOB's own
  bytes). A NULL adds 8 zero bytes to a numeric column and nothing to a TEXT column;
- ``sizes``: TEXT columns only: the byte length of each value as a little-endian int64 (0 for
  NULL), so that the concatenated values can be split again;
- ``nulls``: the row numbers of the column's NULLs, each a little-endian int64.

A column holding a value of another storage class than its declared type (SQLite allows an
INTEGER column to hold 1.5) is hashed as ``mixed`` instead: the ``repr`` of each value,
newline-terminated, in ``values``. The table's hash is the sha256 of one line per column,
``<column>\\t<INTEGER|REAL|TEXT|mixed>\\t<values>\\t<sizes>\\t<nulls>`` (hex digests), and the
digest is the sha256 of the lines ``<table>\\t<row count>\\t<table hash>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from simulator.erp.schema import TABLES, Table

BATCH_ROWS = 65_536
MIXED = "mixed"
_NUMPY_TYPE = {"INTEGER": "<i8", "REAL": "<f8"}
_PYTHON_TYPE: dict[str, tuple[type, ...]] = {
    "INTEGER": (int,),
    "REAL": (float,),
    "TEXT": (str, bytes),
}


class _ColumnHash:
    """The three streams of one column."""

    def __init__(self, name: str, declared: str) -> None:
        self.name = name
        self.kind = declared
        self.values = hashlib.sha256()
        self.sizes = hashlib.sha256()
        self.nulls = hashlib.sha256()

    def line(self) -> str:
        streams = (self.values, self.sizes, self.nulls)
        return "\t".join([self.name, self.kind, *(s.hexdigest() for s in streams)]) + "\n"

    # -- from Python values (sqlite3) ----------------------------------------------------

    def add_values(self, values: Sequence[Any], first_row: int) -> bool:
        """Hash a batch; False (nothing hashed) if a value has another storage class."""
        if self.kind == MIXED:
            self.values.update("".join(f"{v!r}\n" for v in values).encode())
            return True
        # The common case first: no NULLs, every value of the declared class.
        if self.kind == "TEXT":
            with contextlib.suppress(TypeError):
                self._add_text(list(map(str.encode, values)))
                return True
        else:
            numbers = np.array(values)
            if numbers.dtype == _NUMPY_TYPE[self.kind]:
                self.values.update(numbers.tobytes())
                return True
        types = set(map(type, values))
        if not types <= {*_PYTHON_TYPE[self.kind], type(None)}:
            return False
        nulls = [i for i, v in enumerate(values) if v is None]
        self.nulls.update((np.array(nulls, dtype="<i8") + first_row).tobytes())
        if self.kind == "TEXT":
            self._add_text(
                [b"" if v is None else v if type(v) is bytes else v.encode() for v in values]
            )
        else:
            plain = [0 if v is None else v for v in values]
            self.values.update(np.array(plain, dtype=_NUMPY_TYPE[self.kind]).tobytes())
        return True

    def _add_text(self, encoded: list[bytes]) -> None:
        self.sizes.update(np.fromiter(map(len, encoded), "<i8", len(encoded)).tobytes())
        self.values.update(b"".join(encoded))

    # -- from an Arrow array (ADBC) ------------------------------------------------------

    def add_arrow(self, array: Any, first_row: int) -> None:
        valid = array.is_valid().to_numpy(zero_copy_only=False) if array.null_count else None
        if valid is not None:
            self.nulls.update((np.flatnonzero(~valid) + first_row).astype("<i8").tobytes())
        if array.null_count == len(array):  # all NULL: whatever type ADBC guessed
            if self.kind == "TEXT":
                self.sizes.update(bytes(8 * len(array)))
            else:
                self.values.update(bytes(8 * len(array)))
            return
        if self.kind == "TEXT":
            # A NULL slot may hold bytes (ADBC fills it while inferring types): drop them.
            sizes = np.diff(_offsets(array)).astype("<i8")
            if valid is not None:
                sizes[~valid] = 0
                array = array.drop_null()
            self.sizes.update(sizes.tobytes())
            offsets = _offsets(array)
            data = array.buffers()[2]
            if data is not None:
                self.values.update(memoryview(data)[offsets[0] : offsets[-1]])
        else:
            if array.null_count:
                array = array.fill_null(0)
            numbers = array.to_numpy(zero_copy_only=True)
            self.values.update(numbers.astype(_NUMPY_TYPE[self.kind], copy=False))


def _offsets(array: Any) -> np.ndarray:
    """The int32 value offsets of an Arrow string array (honouring a slice's offset)."""
    offsets = np.frombuffer(array.buffers()[1], dtype="<i4")
    return offsets[array.offset : array.offset + len(array) + 1]


def content_digest(conn: sqlite3.Connection) -> str:
    """sha256 over the canonical dump of every table (see the module docstring).

    Reads through Arrow when pyarrow and the ADBC driver are installed and ``conn`` is a
    file with no uncommitted changes (another connection must see what ``conn`` sees);
    otherwise through ``conn`` itself. Both give the same digest. Through Arrow, tables are
    hashed in one thread per CPU this process may use, biggest first."""
    declared = {table.name: _declared_types(conn, table) for table in TABLES}
    arrow = _arrow_reader(conn)
    through_arrow: dict[str, tuple[int, str] | None] = {}
    if arrow is not None:
        workers = usable_cpus()
        if workers > 1:
            biggest_first = sorted(TABLES, key=lambda t: -_row_count(conn, t))
            with ThreadPoolExecutor(workers, thread_name_prefix="digest") as pool:
                hashes = pool.map(lambda t: arrow(t, declared[t.name]), biggest_first)
                through_arrow = dict(zip((t.name for t in biggest_first), hashes, strict=True))
        else:
            through_arrow = {t.name: arrow(t, declared[t.name]) for t in TABLES}
    overall = hashlib.sha256()
    for table in TABLES:
        result = through_arrow.get(table.name) or _python_table_hash(
            conn, table, declared[table.name]
        )
        count, table_hash = result
        overall.update(f"{table.name}\t{count}\t{table_hash}\n".encode())
    return overall.hexdigest()


def usable_cpus() -> int:
    """CPUs this process may run on (all of them where the OS cannot say)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def read_only_uri(path: Path) -> str:
    """The SQLite URI that opens ``path`` read-only (any character in the path escaped)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _row_count(conn: sqlite3.Connection, table: Table) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0])


def _select(table: Table) -> str:
    return f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order_by}"


def _declared_types(conn: sqlite3.Connection, table: Table) -> list[str]:
    declared = {row[1]: row[2].upper() for row in conn.execute(f"PRAGMA table_info({table.name})")}
    return [declared[name] for name in table.columns]


def _finish(columns: Iterable[_ColumnHash]) -> str:
    return hashlib.sha256("".join(c.line() for c in columns).encode()).hexdigest()


def _python_table_hash(
    conn: sqlite3.Connection, table: Table, declared: list[str]
) -> tuple[int, str]:
    mixed: set[int] = set()
    while True:  # a column found mixed half-way is hashed again from its first row
        kinds = [MIXED if i in mixed else d for i, d in enumerate(declared)]
        columns = [_ColumnHash(n, k) for n, k in zip(table.columns, kinds, strict=True)]
        count = 0
        cursor = conn.execute(_select(table))
        while batch := cursor.fetchmany(BATCH_ROWS):
            by_column = zip(*batch, strict=True)
            found = {
                i
                for i, (column, values) in enumerate(zip(columns, by_column, strict=True))
                if not column.add_values(values, count)
            }
            if found:
                mixed |= found
                break
            count += len(batch)
        else:
            return count, _finish(columns)
        cursor.close()


def _arrow_reader(conn: sqlite3.Connection) -> Any:
    """A function (table, declared column types) -> (count, hash) or None, reading through
    ADBC on a connection of its own (so threads may share it); None when unavailable."""
    if conn.in_transaction:
        return None
    path = _database_file(conn)
    if path is None:
        return None
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional extra
        from adbc_driver_sqlite import dbapi as adbc  # noqa: PLC0415
    except ImportError:
        return None

    def table_hash(table: Table, declared: list[str]) -> tuple[int, str] | None:
        expected = {"INTEGER": pa.int64(), "REAL": pa.float64(), "TEXT": pa.string()}
        columns = [_ColumnHash(n, d) for n, d in zip(table.columns, declared, strict=True)]
        count = 0
        try:
            for batch in _arrow_batches(adbc, path, _select(table)):
                for column, array in zip(columns, batch.columns, strict=True):
                    if array.type != expected[column.kind] and array.null_count != len(array):
                        return None  # another storage class: the reference path decides
                    column.add_arrow(array, count)
                count += batch.num_rows
        except (adbc.Error, OSError, pa.ArrowException):
            return None  # ADBC met a value of another type than it had inferred
        return count, _finish(columns)

    return table_hash


def _arrow_batches(adbc: Any, path: Path, query: str) -> Iterator[Any]:
    with adbc.connect(read_only_uri(path)) as connection, connection.cursor() as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
        cursor.execute(query)
        yield from cursor.fetch_record_batch()


def _database_file(conn: sqlite3.Connection) -> Path | None:
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return Path(file) if file else None
    return None
