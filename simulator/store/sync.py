"""The store's mirror of ERP data and the delta sync that keeps it current.

The mirror has the ERP's table and column names restricted to what the API shows (hidden
simulation columns such as ``items.popularity`` do not exist here) and the ERP's primary
keys and pricing indexes, so `simulator.erp.pricing.SqlitePriceData` works on the store
database unchanged: batch mode prices with the very engine the ERP uses.

`Synchronizer.run_once` reads each entity set page after page (``$select`` of the mirrored
fields, the biggest page the ERP allows, orjson) and upserts the rows with ``executemany``
in one transaction per entity. The first run reads everything in key order; later runs
ask for ``lastModifiedDateTime ge <watermark>`` (upserts are idempotent, so the rows seen
again cost nothing but bandwidth). The watermark is the ERP's ``advancedTo`` read just
before the run: every row stamped before it was committed before we paged, and whatever the
world (or an API write) stamps from then on is at or after it, so the next run's ``ge``
finds it even if it landed while we were paging. With a frozen clock a delta is just the
rows the API changed. The ERP never deletes mirrored rows (ended price lines get an ending
date), so upserts are enough.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from simulator.erp.schema import TABLES_BY_NAME
from simulator.erp_server.bc_sets import LCY
from simulator.erp_server.client import ErpClient
from simulator.erp_server.entities import ENTITY_SETS, SET_FOR_TABLE, EntitySet, Field

__all__ = [
    "MASTER_TABLES",
    "MIRROR_TABLES",
    "PRICING_TABLES",
    "SyncResult",
    "Synchronizer",
    "create_mirror",
    "mirror_ddl",
    "record_sync",
    "utc_stamp",
]

# What the catalog, provisioning and accounts read (synced in both modes).
MASTER_TABLES: tuple[str, ...] = (
    "currencies",
    "payment_terms",
    "locations",
    "salespeople",
    "item_categories",
    "items",
    "item_units_of_measure",
    "customers",
    "contacts",
    "customer_assortment",
)
# What local pricing and stock need on top (batch mode).
PRICING_TABLES: tuple[str, ...] = (
    "currency_exchange_rates",
    "campaigns",
    "price_list_lines",
    "item_stock",
)
MIRROR_TABLES: tuple[str, ...] = MASTER_TABLES + PRICING_TABLES

SETS_BY_TABLE: dict[str, EntitySet] = SET_FOR_TABLE
# How the API shows a verbatim column, undone for the mirror (the store prices with the
# ERP's own codes: '' is a blank option and the local currency).
DECODE: dict[str, Callable[[Any], Any]] = {
    "blank": lambda value: "" if value == "_x0020_" else value,
    "lcy": lambda value: "" if value == LCY else value,
}


def mirrored_fields(table: str) -> tuple[Field, ...]:
    """The fields of a table's set that show a column verbatim, one per column."""
    seen: dict[str, Field] = {}
    for f in SETS_BY_TABLE[table].fields:
        if f.source is not None and f.source not in seen:
            seen[f.source] = f
    return tuple(seen.values())


_DDL_LINE = re.compile(r"^\s*(\w+)\s+(TEXT|REAL|INTEGER)", re.MULTILINE)
PAGE_SIZE = 20_000  # asked with Prefer; the ERP caps it at its --max-page-size


def mirror_ddl(table: str) -> list[str]:
    """CREATE TABLE (only the API's columns, the ERP's key, WITHOUT ROWID) and its indexes."""
    source = TABLES_BY_NAME[table]
    types = {m.group(1): m.group(2) for m in _DDL_LINE.finditer(source.ddl)}
    columns = [
        f"{f.source} {types[f.source or '']}{'' if f.nullable else ' NOT NULL'}"
        for f in mirrored_fields(table)
    ]
    columns.append(f"PRIMARY KEY ({', '.join(source.primary_key)})")
    body = ",\n    ".join(columns)
    create = f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n) WITHOUT ROWID"
    return [create, *source.indexes]


def create_mirror(conn: sqlite3.Connection) -> None:
    """Create the mirrored tables and sync_state if missing (idempotent)."""
    for table in MIRROR_TABLES:
        for statement in mirror_ddl(table):
            conn.execute(statement)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS sync_state("
        "entity TEXT PRIMARY KEY, watermark TEXT, synced_at TEXT, rows INTEGER)"
    )
    conn.commit()


@dataclass(frozen=True, slots=True)
class SyncResult:
    """One run: rows upserted per table, the ERP's clock at the start, wall seconds."""

    rows: dict[str, int]
    clock: dict[str, Any]
    seconds: float
    finished_at: str  # UTC, wall clock


class Synchronizer:
    """Delta sync of mirrored tables from the ERP into the store database.

    `connect` opens a store connection (closed after each run); `erp` should be a client of
    its own (the sync thread's), with retries: a sync may wait for a flaky ERP."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        erp: ErpClient,
        *,
        tables: Iterable[str] = MIRROR_TABLES,
        page_size: int = PAGE_SIZE,
        on_call: Callable[[str, float, bool], None] | None = None,
    ) -> None:
        self._connect = connect
        self.erp = erp
        self.tables = tuple(_table_name(name) for name in tables)
        self.page_size = page_size
        self._on_call = on_call
        self._lock = threading.Lock()  # one run at a time (startup and the loop may race)
        self.clock: dict[str, Any] = {}
        self.today: dt.date | None = None
        self.last: SyncResult | None = None
        self.generation = 0  # completed runs: whatever was derived from the mirror is older

    def run_once(self, entities: Iterable[str] | None = None) -> dict[str, int]:
        """Sync the given tables (or entity set names; default: `tables`); returns rows
        upserted per table. Also refreshes `clock` and `today`."""
        tables = [_table_name(name) for name in entities] if entities else self.tables
        with self._lock:
            started = time.perf_counter()
            clock = self._timed("clock", self.erp.clock)
            self.clock = clock
            self.today = dt.date.fromisoformat(clock["today"])
            limit = str(clock["advancedTo"])
            conn = self._connect()
            try:
                rows = {table: self._sync_table(conn, table, limit) for table in tables}
            finally:
                conn.close()
            self.last = SyncResult(rows, clock, time.perf_counter() - started, utc_stamp())
            self.generation += 1
            return rows

    def _timed(self, kind: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        ok = False
        try:
            result = call()
            ok = True
            return result
        finally:
            if self._on_call is not None:
                self._on_call(kind, time.perf_counter() - started, ok)

    def _getter(
        self, url: str, params: dict[str, Any] | None, headers: dict[str, str]
    ) -> Callable[[], Any]:
        return lambda: self.erp.request("GET", url, params=params, headers=headers)

    def _sync_table(self, conn: sqlite3.Connection, table: str, limit: str) -> int:
        entity = SETS_BY_TABLE[table]
        fields = mirrored_fields(table)
        names = [f.name for f in fields]
        decoders = [(i, DECODE[f.codec]) for i, f in enumerate(fields) if f.codec]
        columns = ", ".join(str(f.source) for f in fields)
        upsert = (
            f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({', '.join('?' * len(names))})"
        )
        found = conn.execute("SELECT watermark FROM sync_state WHERE entity = ?", (table,))
        row = found.fetchone()
        watermark: str | None = row[0] if row else None
        params: dict[str, Any] = {"$select": ",".join(names)}
        if watermark is not None:
            params["$filter"] = f"lastModifiedDateTime ge {watermark}"
            params["$orderby"] = "lastModifiedDateTime"
        headers = {"Prefer": f"odata.maxpagesize={self.page_size}"}
        count = 0
        url: str | None = entity.name
        conn.execute("BEGIN IMMEDIATE")
        try:
            while url is not None:
                response = self._timed("sync", self._getter(url, params, headers))
                page = orjson.loads(response.content)
                rows = [
                    _decoded([item[name] for name in names], decoders) for item in page["value"]
                ]
                if rows:
                    conn.executemany(upsert, rows)
                    count += len(rows)
                url, params = page.get("@odata.nextLink"), None
            record_sync(conn, table, limit)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return count


def _decoded(
    values: list[Any], decoders: list[tuple[int, Callable[[Any], Any]]]
) -> tuple[Any, ...]:
    for i, decode in decoders:
        values[i] = decode(values[i])
    return tuple(values)


def _table_name(name: str) -> str:
    entity = ENTITY_SETS.get(name)
    table = entity.base_table if entity is not None and entity.base_table else name
    if table not in MIRROR_TABLES:
        raise ValueError(f"not a mirrored table or entity set: {name!r}")
    return table


def record_sync(
    conn: sqlite3.Connection, table: str, watermark: str | None, *, synced_at: str | None = None
) -> None:
    """A mirrored table's ``sync_state`` row: what the next delta starts from, when it was
    synced (default now) and its row count (the catalog tells mirror versions apart by
    the last two). Inside the caller's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO sync_state (entity, watermark, synced_at, rows)"
        " VALUES (?, ?, ?, (SELECT count(*) FROM " + table + "))",
        (table, watermark, synced_at or utc_stamp()),
    )


def utc_stamp() -> str:
    """Wall-clock UTC in whole seconds, as ``sync_state`` keeps it."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
