"""Reading SAP entity sets from their views: pages, single entities, expansions, counts.

One prepared statement per page; expansions fetch the children of a whole page in one
query per navigation (``IN (VALUES ...)``), never one query per parent row.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from simulator.erp_server.odata.query import SortTerm, keyset_sql
from simulator.erp_server.sap.catalog import EntityType, service
from simulator.erp_server.sap.query import Expansion, SapQuery, encode_skiptoken
from simulator.erp_server.sap.v2 import payload
from simulator.erp_server.sap.views import keys_first, view_name

__all__ = ["Constraint", "count", "fetch_one", "page"]

Constraint = tuple[tuple[str, Any], ...]  # (property, value) pairs a navigation fixes
CHUNK = 400
NULLABLE_SORT = ("Edm.DateTime", "Edm.DateTimeOffset", "Edm.Time", "Edm.Guid")


def _sort_sql(entity: EntityType, name: str) -> str:
    """What a property sorts by: a NUMC field SAP shows without leading zeros
    (display-format NonNegative: item '10', '20', ..., '100') sorts as its number does."""
    prop = entity.by_name[name]
    if prop.edm in NULLABLE_SORT:
        return f"ifnull(\"{name}\", '')"
    if prop.attrs.get("sap:display-format") == "NonNegative" and prop.max_length:
        return f"printf('%0{prop.max_length}d', \"{name}\")"
    return f'"{name}"'


def _where(query: SapQuery, constraint: Constraint, *, keyset: bool) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    for name, value in constraint:
        parts.append(f'"{name}" = ?')
        params.append(value)
    if query.where:
        parts.append(query.where)
        params.extend(query.params)
    if keyset and query.skiptoken is not None:
        terms = tuple(SortTerm(_sort_sql(query.entity, n), d) for n, d in query.sort)
        sql, values = keyset_sql(terms, query.skiptoken)
        parts.append(sql)
        params.extend(values)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def count(conn: sqlite3.Connection, query: SapQuery, constraint: Constraint = ()) -> int:
    where, params = _where(query, constraint, keyset=False)
    sql = f'SELECT count(*) FROM "{view_name(query.entity)}"{where}'
    return int(conn.execute(sql, params).fetchone()[0])


def page(
    conn: sqlite3.Connection,
    query: SapQuery,
    base: str,
    page_size: int,
    *,
    constraint: Constraint = (),
    next_url: str | None = None,
) -> dict[str, Any]:
    """One page of `query` as the ``d`` of a V2 collection response."""
    entity = query.entity
    limit = page_size if query.top is None else min(query.top, page_size)
    where, params = _where(query, constraint, keyset=True)
    sort = query.sort
    sort_sql = [_sort_sql(entity, name) for name, _ in sort]
    order = ", ".join(
        f"{s}{' DESC' if d else ''}" for s, (_, d) in zip(sort_sql, sort, strict=True)
    )
    names = [p.name for p in entity.properties]
    selected = ", ".join(f'"{k}"' for k in entity.key) if keys_first(entity) else "*"
    sql = (
        f'SELECT {selected}, {", ".join(sort_sql)} FROM "{view_name(entity)}"{where}'
        f" ORDER BY {order} LIMIT ?"
    )
    params.append(limit + 1)
    if query.skip and query.skiptoken is None:
        sql += " OFFSET ?"
        params.append(query.skip)
    fetched = conn.execute(sql, params).fetchall()
    if keys_first(entity):
        fetched = _rows_of_keys(conn, entity, sort_sql, fetched)
    more = len(fetched) > limit
    fetched = fetched[:limit]
    width = len(names)
    rows = [dict(zip(names, row[:width], strict=True)) for row in fetched]
    expanded = expand(conn, entity, rows, query.expand, base)
    body: dict[str, Any] = {}
    if query.inlinecount:
        body["__count"] = str(count(conn, query, constraint))
    body["results"] = [
        payload(entity, row, base, select=query.select, expanded=extra)
        for row, extra in zip(rows, expanded, strict=True)
    ]
    remaining_top = None if query.top is None else query.top - len(rows)
    if more and fetched and next_url is not None and (remaining_top is None or remaining_top > 0):
        token = encode_skiptoken(fetched[-1][width:])
        options = [(n, v) for n, v in query.options if n not in ("$skip", "$top", "$inlinecount")]
        if remaining_top is not None:
            options.append(("$top", str(remaining_top)))
        options.append(("$skiptoken", token))
        from urllib.parse import urlencode  # noqa: PLC0415

        body["__next"] = f"{next_url}?{urlencode(options, safe='$,()/')}"
    return body


def _rows_of_keys(
    conn: sqlite3.Connection,
    entity: EntityType,
    sort_sql: list[str],
    found: list[tuple[Any, ...]],
) -> list[tuple[Any, ...]]:
    """The full rows (and sort values) of the keys a keys-first page found, in its order."""
    if not found:
        return []
    width = len(sort_sql)
    keys = [tuple(row[: len(entity.key)]) for row in found]
    columns = ", ".join(f'"{k}"' for k in entity.key)
    firsts = sorted({key[0] for key in keys}, key=repr)
    marks = "(" + ", ".join("?" * len(entity.key)) + ")"
    sql = (
        f'SELECT *, {", ".join(sort_sql)}, {columns} FROM "{view_name(entity)}"'
        f' WHERE "{entity.key[0]}" IN ({", ".join("?" * len(firsts))})'
        f" AND ({columns}) IN (VALUES {', '.join([marks] * len(keys))})"
    )
    params = [*firsts, *(value for key in keys for value in key)]
    count = len(entity.properties) + width
    by_key = {tuple(row[count:]): row[:count] for row in conn.execute(sql, params)}
    return [by_key[key] for key in keys if key in by_key]


def fetch_one(
    conn: sqlite3.Connection, entity: EntityType, key: dict[str, Any]
) -> dict[str, Any] | None:
    names = [p.name for p in entity.properties]
    where = " AND ".join(
        f'julianday("{name}") = julianday(?)'
        if entity.by_name[name].edm in ("Edm.DateTime", "Edm.DateTimeOffset")
        else f'"{name}" = ?'
        for name in key
    )
    row = conn.execute(
        f'SELECT * FROM "{view_name(entity)}" WHERE {where} LIMIT 1', list(key.values())
    ).fetchone()
    return None if row is None else dict(zip(names, row, strict=True))


def expand(
    conn: sqlite3.Connection,
    entity: EntityType,
    rows: list[dict[str, Any]],
    expansions: tuple[Expansion, ...],
    base: str,
) -> list[dict[str, Any]]:
    """For each row, its expanded navigation properties, formatted."""
    result: list[dict[str, Any]] = [{} for _ in rows]
    if not rows:
        return result
    for expansion in expansions:
        nav = entity.navigations[expansion.name]
        target = service(entity.service).sets[nav.target]
        pairs = nav.pairs
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        keys = sorted({tuple(row[s] for s, _ in pairs) for row in rows}, key=repr)
        target_names = [p.name for p in target.properties]
        order = ", ".join(_sort_sql(target, k) for k in target.key)
        children: list[dict[str, Any]] = []
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            if not pairs:
                break
            columns = ", ".join(f'"{t}"' for _, t in pairs)
            marks = ", ".join("(" + ", ".join("?" * len(pairs)) + ")" for _ in chunk)
            # The first column's plain IN list comes first: SQLite pushes it into each branch
            # of a UNION ALL view and finds the rows by index; a row-value IN alone it does
            # not push down (a page of items expanding their pricing elements read the
            # whole set: 97 s on medium instead of milliseconds).
            firsts = sorted({key[0] for key in chunk}, key=repr)
            sql = (
                f'SELECT * FROM "{view_name(target)}" WHERE "{pairs[0][1]}" IN'
                f" ({', '.join('?' * len(firsts))})"
            )
            params = list(firsts)
            if len(pairs) > 1:
                sql += f" AND ({columns}) IN (VALUES {marks})"
                params += [value for key in chunk for value in key]
            sql += f" ORDER BY {order}"
            children.extend(
                dict(zip(target_names, row, strict=True)) for row in conn.execute(sql, params)
            )
        nested = expand(conn, target, children, expansion.children, base)
        for child, extra in zip(children, nested, strict=True):
            groups[tuple(child[t] for _, t in pairs)].append(
                payload(target, child, base, select=expansion.select, expanded=extra)
            )
        for row, out in zip(rows, result, strict=True):
            found = groups.get(tuple(row[s] for s, _ in pairs), [])
            out[expansion.name] = {"results": found} if nav.many else (found[0] if found else None)
    return result
