"""Reading entity sets from the ERP database and shaping OData JSON payloads.

The hot path: prepared SQL (sqlite3 caches statements per connection), plain tuples, one
`dict(zip(...))` per row, orjson. No ORM and no per-row validation. Each thread gets its own
read-only connection (the event loop thread does the reading: one short indexed query per
request is cheaper than a thread hop).

ETags are a hash of the row's exposed values, so any change to what a client can see changes
the ETag (even within one simulated second, or with the clock frozen) and every worker
process computes the same one.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from simulator.erp.digest import read_only_uri
from simulator.erp.pricing import SqlitePriceData
from simulator.erp_server import bc_sets
from simulator.erp_server.entities import ENTITY_SETS, EntitySet, Navigation
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.odata.query import Limits, Query, encode_skiptoken
from simulator.erp_server.sap import views as sap_views

__all__ = ["Page", "ReadStore", "Shape", "etag_of", "one_row", "open_reader"]

READ_CACHE_KIB = 65536
MMAP_BYTES = 1 << 30


def etag_of(values: Sequence[Any]) -> str:
    return f'W/"{hashlib.blake2b(orjson.dumps(values), digest_size=8).hexdigest()}"'


def open_reader(path: Path, company_id: str) -> sqlite3.Connection:
    """A read-only connection tuned for many small reads, with the BC views."""
    conn = sqlite3.connect(
        read_only_uri(Path(path)), uri=True, check_same_thread=False, cached_statements=512
    )
    conn.execute(f"PRAGMA cache_size=-{READ_CACHE_KIB}")
    conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    bc_sets.install(conn, company_id)
    sap_views.install(conn)
    conn.execute("PRAGMA query_only=1")
    return conn


@dataclass(frozen=True)
class Shape:
    """How rows of one entity set become JSON objects (precomputed once per set)."""

    entity: EntitySet

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.entity.fields)

    @cached_property
    def bool_indexes(self) -> tuple[int, ...]:
        return tuple(i for i, f in enumerate(self.entity.fields) if f.is_bool)

    @cached_property
    def key_indexes(self) -> tuple[int, ...]:
        return tuple(self.names.index(name) for name in self.entity.key)

    def payload(self, row: Sequence[Any], select: tuple[int, ...] | None = None) -> dict[str, Any]:
        width = len(self.names)
        values = row[:width]
        body: dict[str, Any] = {"@odata.etag": etag_of(values)}
        if select is None:
            body.update(zip(self.names, values, strict=True))
            for i in self.bool_indexes:
                body[self.names[i]] = bool(values[i])
        else:
            bools = self.bool_indexes
            for i in select:
                body[self.names[i]] = bool(values[i]) if i in bools else values[i]
        return body


SHAPES: dict[str, Shape] = {name: Shape(entity) for name, entity in ENTITY_SETS.items()}


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    count: int | None
    next_token: str | None
    next_top: int | None


class ReadStore:
    """Read-only access to the ERP database for request handlers."""

    def __init__(self, path: Path, limits: Limits, company_id: str) -> None:
        self.path = path
        self.limits = limits
        self.company_id = company_id
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_reader(self.path, self.company_id)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @property
    def price_data(self) -> SqlitePriceData:
        """The pricing engine's data access over this thread's connection."""
        data = getattr(self._local, "price_data", None)
        if data is None:
            data = SqlitePriceData(self.conn)
            self._local.price_data = data
        return data

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # --- single entities -----------------------------------------------------------------
    def one_row(self, entity: EntitySet, key: tuple[Any, ...]) -> tuple[Any, ...] | None:
        return one_row(self.conn, entity, key)

    def one(self, entity: EntitySet, key: tuple[Any, ...], query: Query) -> dict[str, Any]:
        row = self.one_row(entity, key)
        if row is None:
            raise ODataError(404, "not_found", f"{entity.name}: no entity with key {_shown(key)}")
        body = SHAPES[entity.name].payload(row, _select_indexes(query))
        if query.expand:
            self._expand(entity, [row], [body], query)
        return body

    def lookup(self, table: str, column: str, value: Any, wanted: str) -> Any:
        """One value of one row (for references in request bodies), or None."""
        rows = self.conn.execute(
            f"SELECT {wanted} FROM {table} WHERE {column} = ? LIMIT 1", (value,)
        ).fetchall()
        return rows[0][0] if rows else None

    # --- collections ---------------------------------------------------------------------
    def page(
        self,
        query: Query,
        page_size: int,
        scope: tuple[str, tuple[Any, ...]] | None = None,
    ) -> Page:
        """One page of `query` (at most `page_size` rows, fewer if $top runs out)."""
        entity = query.entity
        shape = SHAPES[entity.name]
        limit = page_size if query.top is None else min(page_size, query.top)
        sql, params = query.page_sql(limit + 1, scope)
        rows = self.conn.execute(sql, params).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        select = _select_indexes(query)
        bodies = [shape.payload(row, select) for row in rows]
        if query.expand:
            self._expand(entity, rows, bodies, query)
        count = None
        if query.count:
            count_sql, count_params = query.count_sql(scope)
            count = self.conn.execute(count_sql, count_params).fetchone()[0]
        next_top = None if query.top is None else query.top - len(rows)
        has_next = more and rows and (next_top is None or next_top > 0)
        token = None
        if has_next:
            width = len(entity.columns)
            token = encode_skiptoken(rows[-1][width:])
        return Page(bodies, count, token, next_top)

    def _expand(
        self, entity: EntitySet, rows: list[Any], bodies: list[dict[str, Any]], query: Query
    ) -> None:
        nested = dict(query.expand_queries)
        for nav in query.expand:
            if nav.name in nested:
                expand_with_options(self.conn, entity, rows, bodies, nav, nested[nav.name])
                continue
            target = ENTITY_SETS[nav.target]
            local = [entity.columns.index(c) for c in nav.local]
            parents = [tuple(row[i] for i in local) for row in rows]
            found: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
            shape = SHAPES[target.name]
            unique = list(dict.fromkeys(parents))
            foreign = [target.columns.index(c) for c in nav.foreign]
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                sql = (
                    f"SELECT {', '.join(target.columns)} FROM {target.table}"
                    f" WHERE {nav.foreign[0]} IN ({marks})"
                    f" ORDER BY {', '.join(target.sort_key)}"
                )
                for row in self.conn.execute(sql, [p[0] for p in chunk]):
                    found[tuple(row[i] for i in foreign)].append(shape.payload(row))
            for body, parent in zip(bodies, parents, strict=True):
                body[nav.name] = _navigated(nav, found.get(parent, []))


def _navigated(nav: Navigation, found: list[dict[str, Any]]) -> Any:
    """A collection navigation's list, or a reference's one entity (null if none)."""
    if nav.single:
        return found[0] if found else None
    return found


def one_row(
    conn: sqlite3.Connection, entity: EntitySet, key: tuple[Any, ...]
) -> tuple[Any, ...] | None:
    """One entity's row by key. A document line's id names its document (see `bc_sets`):
    the lookup goes through the document's indexed id instead of computing every line's."""
    where = " AND ".join(f"{f.column} = ?" for f in entity.key_fields)
    params: tuple[Any, ...] = key
    parts = bc_sets.line_id_parts(str(key[0])) if entity.parent is not None else None
    if parts is not None:
        prefix, line_no = parts
        where = f'"documentId" >= ? AND "documentId" < ? AND "sequence" = ? AND {where}'
        params = (prefix, prefix + "~", line_no, *key)
    rows = conn.execute(
        f"SELECT {', '.join(entity.columns)} FROM {entity.table} WHERE {where}", params
    ).fetchall()
    return rows[0] if rows else None


def expand_with_options(
    conn: sqlite3.Connection,
    entity: EntitySet,
    rows: list[Any],
    bodies: list[dict[str, Any]],
    nav: Navigation,
    nested: Query,
) -> None:
    """``$expand=lines($select=..;$filter=..;$orderby=..;$top=..;$skip=..)``: each parent's
    lines filtered and sorted in SQL (one statement per 500 parents), then `$skip`/`$top`
    per parent."""
    target = nested.entity
    shape = SHAPES[target.name]
    local = [entity.columns.index(c) for c in nav.local]
    parents = [tuple(row[i] for i in local) for row in rows]
    foreign = [target.columns.index(c) for c in nav.foreign]
    where, params = nested.where(with_keyset=False)
    condition = where.replace(" WHERE ", " AND ", 1)
    order = ", ".join(f"{t.expression}{' DESC' if t.descending else ''}" for t in nested.sort)
    select = _select_indexes(nested)
    found: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    unique = list(dict.fromkeys(parents))
    end = None if nested.top is None else nested.skip + nested.top
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        sql = (
            f"SELECT {', '.join(target.columns)} FROM {target.table}"
            f" WHERE {nav.foreign[0]} IN ({marks}){condition}"
            f" ORDER BY {nav.foreign[0]}, {order}"
        )
        grouped: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
        for row in conn.execute(sql, [p[0] for p in chunk] + params):
            grouped[tuple(row[i] for i in foreign)].append(row)
        for parent, lines in grouped.items():
            found[parent] = [shape.payload(row, select) for row in lines[nested.skip : end]]
    for body, parent in zip(bodies, parents, strict=True):
        body[nav.name] = _navigated(nav, found.get(parent, []))


def _select_indexes(query: Query) -> tuple[int, ...] | None:
    if query.select is None:
        return None
    columns = query.entity.columns
    return tuple(columns.index(f.column) for f in query.select)


def _shown(key: tuple[Any, ...]) -> str:
    return ", ".join(repr(v) for v in key)


def dumps(body: Any) -> bytes:
    return orjson.dumps(body)
