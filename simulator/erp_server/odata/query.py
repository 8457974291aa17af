"""OData system query options, validated against an entity set, and the SQL they become.

`parse_query` turns ``$filter $select $orderby $top $skip $count $expand $skiptoken`` into a
`Query`; `Query.sql` builds one prepared statement. Paging is keyset-based: the
``$skiptoken`` of a next link carries the sort values of the last row sent, so page 1,000 of
a large set costs what page 1 costs (no growing OFFSET), and rows that change between pages
never make a page repeat or skip a row that kept its place.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from simulator.erp_server.entities import ENTITY_SETS, EntitySet, Field, Navigation
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.odata.filter import INT64, SqlFilter, parse_filter

__all__ = [
    "Limits",
    "Query",
    "SortTerm",
    "decode_skiptoken",
    "decode_values",
    "encode_skiptoken",
    "keyset_sql",
    "parse_query",
]

SUPPORTED = frozenset(
    {
        "$filter",
        "$select",
        "$orderby",
        "$top",
        "$skip",
        "$count",
        "$expand",
        "$skiptoken",
        "$format",
    }
)
KNOWN_UNSUPPORTED = frozenset(
    {"$search", "$apply", "$compute", "$levels", "$index", "$schemaversion"}
)
MAX_ORDERBY = 6
MAX_SKIP = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    """Server-side bounds on what one request may ask for."""

    max_page_size: int = 1000
    max_top: int = 100_000


@dataclass(frozen=True, slots=True)
class SortTerm:
    expression: str  # a column, or ifnull(column, '') for nullable ones
    descending: bool


@dataclass(frozen=True)
class Query:
    """Validated query options for one entity set."""

    entity: EntitySet
    filter: SqlFilter | None = None
    select: tuple[Field, ...] | None = None
    orderby: tuple[tuple[Field, bool], ...] = ()
    top: int | None = None
    skip: int = 0
    count: bool = False
    expand: tuple[Navigation, ...] = ()
    skiptoken: tuple[Any, ...] | None = None
    options: tuple[tuple[str, str], ...] = ()  # as given, for next links
    # Options inside $expand=lines($select=..;$filter=..): navigation name -> its query.
    expand_queries: tuple[tuple[str, Query], ...] = ()

    @property
    def sort(self) -> tuple[SortTerm, ...]:
        """$orderby, then the primary key (ascending) so the order is total."""
        terms = [SortTerm(_sort_expression(f), desc) for f, desc in self.orderby]
        ordered = {f.column for f, _ in self.orderby}
        terms += [SortTerm(c, False) for c in self.entity.sort_key if c not in ordered]
        return tuple(terms)

    def where(self, *, with_keyset: bool) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        if self.filter is not None:
            parts.append(self.filter.sql)
            params.extend(self.filter.params)
        if with_keyset and self.skiptoken is not None:
            sql, values = keyset_sql(self.sort, self.skiptoken)
            parts.append(sql)
            params.extend(values)
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def page_sql(
        self, limit: int, extra_where: tuple[str, tuple[Any, ...]] | None = None
    ) -> tuple[str, list[Any]]:
        """SELECT of one page (`limit` rows), plus the sort values of each row at the end."""
        where, params = self.where(with_keyset=True)
        if extra_where is not None:
            where = (where + " AND " if where else " WHERE ") + extra_where[0]
            params = [*params, *extra_where[1]]
        sort = self.sort
        columns = ", ".join(self.entity.columns + tuple(t.expression for t in sort))
        order = ", ".join(f"{t.expression}{' DESC' if t.descending else ''}" for t in sort)
        sql = f"SELECT {columns} FROM {self.entity.table}{where} ORDER BY {order} LIMIT ?"
        params.append(limit)
        if self.skip and self.skiptoken is None:
            sql += " OFFSET ?"
            params.append(self.skip)
        return sql, params

    def count_sql(
        self, extra_where: tuple[str, tuple[Any, ...]] | None = None
    ) -> tuple[str, list[Any]]:
        where, params = self.where(with_keyset=False)
        if extra_where is not None:
            where = (where + " AND " if where else " WHERE ") + extra_where[0]
            params = [*params, *extra_where[1]]
        return f"SELECT count(*) FROM {self.entity.table}{where}", params


def _sort_expression(field: Field) -> str:
    return f"ifnull({field.column}, '')" if field.nullable else field.column


def keyset_sql(sort: tuple[SortTerm, ...], values: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """Rows strictly after `values` in the `sort` order."""
    if len({t.descending for t in sort}) == 1:
        op = "<" if sort[0].descending else ">"
        columns = ", ".join(t.expression for t in sort)
        marks = ", ".join("?" * len(sort))
        if len(sort) == 1:
            return f"{columns} {op} ?", list(values)
        return f"({columns}) {op} ({marks})", list(values)
    alternatives = []
    params: list[Any] = []
    for i, term in enumerate(sort):
        equal = [f"{t.expression} = ?" for t in sort[:i]]
        after = f"{term.expression} {'<' if term.descending else '>'} ?"
        alternatives.append("(" + " AND ".join([*equal, after]) + ")")
        params.extend([*values[:i], values[i]])
    return "(" + " OR ".join(alternatives) + ")", params


def encode_skiptoken(values: Iterable[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


_NOT_A_TOKEN = object()


def _token_json(token: str) -> Any:
    """What `encode_skiptoken` encoded, or `_NOT_A_TOKEN`."""
    try:
        return orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return _NOT_A_TOKEN


def decode_skiptoken(token: str, query: Query) -> tuple[Any, ...]:
    """The sort values a next link carries; 400 if it was not made for this query."""
    values = _token_json(token)
    if values is _NOT_A_TOKEN:
        raise _bad("invalid_skiptoken", "$skiptoken is not one this server issued")
    ok = isinstance(values, list) and len(values) == len(query.sort)
    if not ok or not all(_sort_value(v) for v in values):
        raise _bad("invalid_skiptoken", "$skiptoken does not match this query")
    return tuple(values)


def decode_values(token: str, length: int) -> tuple[Any, ...] | None:
    """The `length` sort values an `encode_skiptoken` token carries, or None if it is not
    such a token (for protocols with their own error shape)."""
    values = _token_json(token)
    if not isinstance(values, list) or len(values) != length:
        return None
    if not all(v is None or _sort_value(v) for v in values):
        return None
    return tuple(values)


def _sort_value(value: Any) -> bool:
    """A value SQLite can bind: text, a float, or an integer in its 64-bit range (orjson
    reads integers up to 2**64 - 1; binding one at or above 2**63 raises OverflowError)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -INT64 <= value < INT64
    return isinstance(value, str | float)


def _bad(code: str, message: str) -> ODataError:
    return ODataError(400, code, message)


def parse_query(
    items: Iterable[tuple[str, str]], entity: EntitySet, limits: Limits, *, collection: bool = True
) -> Query:
    """Validate the query string's system options for `entity` (400 on any problem)."""
    options: dict[str, str] = {}
    for name, value in items:
        if not name.startswith("$"):
            continue  # custom query options are allowed and ignored, as OData says
        if name in KNOWN_UNSUPPORTED:
            raise _bad("not_supported", f"{name} is not supported by this server")
        if name not in SUPPORTED:
            raise _bad("unknown_option", f"unknown query option {name}")
        if name in options:
            raise _bad("duplicate_option", f"{name} is given more than once")
        options[name] = value
    if not collection:
        for name in ("$filter", "$orderby", "$top", "$skip", "$count", "$skiptoken"):
            if name in options:
                raise _bad("not_applicable", f"{name} applies to collections, not one entity")
    fmt = options.get("$format")
    if fmt is not None and fmt.split(";")[0].strip() not in ("json", "application/json"):
        raise _bad("not_supported", f"$format={fmt}: this server speaks JSON only")
    expand, expand_queries = _expand(options.get("$expand"), entity, limits)
    query = Query(
        entity=entity,
        filter=parse_filter(options["$filter"], entity) if options.get("$filter") else None,
        select=_select(options.get("$select"), entity),
        orderby=_orderby(options.get("$orderby"), entity),
        top=_integer("$top", options.get("$top"), limits.max_top),
        skip=_integer("$skip", options.get("$skip"), MAX_SKIP) or 0,
        count=_boolean("$count", options.get("$count")),
        expand=expand,
        options=tuple(options.items()),
        expand_queries=expand_queries,
    )
    token = options.get("$skiptoken")
    if token is not None:
        query = dataclasses.replace(query, skiptoken=decode_skiptoken(token, query))
    return query


def _names(text: str, option: str) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise _bad(f"invalid_{option[1:]}", f"{option}={text!r}: empty item in the list")
    return names


def _field(entity: EntitySet, name: str, option: str) -> Field:
    found = entity.by_name.get(name)
    if found is None:
        raise _bad("unknown_field", f"{option}: {entity.name} has no field {name!r}")
    return found


def _select(text: str | None, entity: EntitySet) -> tuple[Field, ...] | None:
    if text is None or text.strip() == "*":
        return None
    fields = []
    for name in _names(text, "$select"):
        if name in entity.navigation_by_name:
            raise _bad("invalid_select", f"$select: {name} is a navigation property, use $expand")
        fields.append(_field(entity, name, "$select"))
    return tuple(dict.fromkeys(fields))


def _orderby(text: str | None, entity: EntitySet) -> tuple[tuple[Field, bool], ...]:
    if text is None:
        return ()
    terms = []
    for item in _names(text, "$orderby"):
        parts = item.split()
        if len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise _bad("invalid_orderby", f"$orderby: cannot read {item!r} (field [asc|desc])")
        terms.append((_field(entity, parts[0], "$orderby"), len(parts) == 2 and parts[1] == "desc"))
    if len(terms) > MAX_ORDERBY:
        raise _bad("invalid_orderby", f"$orderby takes at most {MAX_ORDERBY} fields")
    if len({f.name for f, _ in terms}) != len(terms):
        raise _bad("invalid_orderby", "$orderby names a field twice")
    return tuple(terms)


def _integer(option: str, text: str | None, maximum: int) -> int | None:
    if text is None:
        return None
    value = text.strip()
    # ASCII digits only: str.isdigit() also takes '²', which int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise _bad(f"invalid_{option[1:]}", f"{option} must be a whole number >= 0, got {text!r}")
    number = int(value)
    if number > maximum:
        raise _bad(f"invalid_{option[1:]}", f"{option}={number} exceeds the maximum {maximum}")
    return number


def _boolean(option: str, text: str | None) -> bool:
    if text is None:
        return False
    if text not in ("true", "false"):
        raise _bad(f"invalid_{option[1:]}", f"{option} must be true or false, got {text!r}")
    return text == "true"


# Options a $expand item may carry (OData 5.1.3: semicolon-separated, in parentheses).
EXPAND_OPTIONS = frozenset({"$select", "$filter", "$orderby", "$top", "$skip"})


def split_top_level(text: str, separator: str, option: str) -> list[str]:
    """`text` split at `separator` outside parentheses and quoted literals."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted  # '' (an escaped quote) toggles twice
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise _bad(f"invalid_{option[1:]}", f"{option}: unbalanced ')' in {text!r}")
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth or quoted:
        raise _bad(f"invalid_{option[1:]}", f"{option}: unbalanced '(' or quote in {text!r}")
    parts.append(text[start:])
    return parts


def _expand(
    text: str | None, entity: EntitySet, limits: Limits
) -> tuple[tuple[Navigation, ...], tuple[tuple[str, Query], ...]]:
    """The navigations of $expand, and the nested query of those that carry options."""
    if text is None:
        return (), ()
    navigations = []
    nested: dict[str, Query] = {}
    for item in (part.strip() for part in split_top_level(text, ",", "$expand")):
        if not item:
            raise _bad("invalid_expand", f"$expand={text!r}: empty item in the list")
        name, paren, inner = item.partition("(")
        name = name.strip()
        nav = entity.navigation_by_name.get(name)
        if nav is None:
            known = ", ".join(entity.navigation_by_name) or "none"
            raise _bad(
                "invalid_expand",
                f"$expand: {entity.name} has no navigation {name!r} (it has: {known})",
            )
        navigations.append(nav)
        if paren:
            if not inner.endswith(")"):
                raise _bad("invalid_expand", f"$expand: {item!r} must end with ')'")
            nested[name] = _expand_query(inner[:-1], nav, limits)
    return tuple(dict.fromkeys(navigations)), tuple(nested.items())


def _expand_query(text: str, nav: Navigation, limits: Limits) -> Query:
    """The options inside ``lines(...)``, validated against the lines' entity set."""
    pairs = []
    for part in split_top_level(text, ";", "$expand"):
        name, equals, value = part.strip().partition("=")
        if not equals or not value.strip():
            raise _bad("invalid_expand", f"$expand {nav.name}: cannot read option {part!r}")
        if name not in EXPAND_OPTIONS:
            raise _bad(
                "not_supported",
                f"$expand {nav.name}: {name} is not supported inside $expand"
                f" (use {', '.join(sorted(EXPAND_OPTIONS))})",
            )
        pairs.append((name, value.strip()))
    return parse_query(pairs, ENTITY_SETS[nav.target], limits)
