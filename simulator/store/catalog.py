"""What a buyer may see and buy: the account's assortment, item pages with offers.

An account's assortment is a set of level-2 item categories; items hang below them (on the
`small`-style datasets at level 3). `CatalogIndex` holds the category tree and the number of
orderable items per category, built from the mirror once per sync (a version read from
``sync_state`` tells when); `Catalog` keeps it and each account's leaf categories.

A catalog page is then two indexed queries at most: the page's rows by
``(item_category_code, blocked, no)`` (ordered by category, then item number, so no sort),
and, only for a search, the count. Totals of category pages come from the index. Offers for
the page are one `integration.offers` call.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.store import ApiError, events
from simulator.store.auth import Principal

__all__ = [
    "Catalog",
    "CatalogIndex",
    "ItemRow",
    "categories",
    "item_detail",
    "item_names",
    "item_page",
    "offer_json",
    "priced_offers",
]

log = logging.getLogger("erpsim.store.catalog")

VERSION_QUERY = (
    "SELECT group_concat(entity || '@' || coalesce(synced_at, '') || '#' || coalesce(rows, ''),"
    " ',') FROM (SELECT * FROM sync_state WHERE entity IN "
    "('items', 'item_categories', 'customer_assortment') ORDER BY entity)"
)
ITEM_COLUMNS = "no, display_name, item_category_code, base_unit_of_measure, gtin"


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    display_name: str
    parent_code: str
    level: int


@dataclass(frozen=True, slots=True)
class ItemRow:
    number: str
    display_name: str
    category_code: str
    base_unit: str
    gtin: str


class CatalogIndex:
    """The category tree and orderable-item counts per category (one mirror version)."""

    def __init__(self, conn: sqlite3.Connection, version: str) -> None:
        self.version = version
        self.categories = {
            row[0]: Category(*row)
            for row in conn.execute(
                "SELECT code, display_name, parent_code, level FROM item_categories"
            )
        }
        self.children: dict[str, list[str]] = {}
        for category in sorted(self.categories.values(), key=lambda c: c.code):
            self.children.setdefault(category.parent_code, []).append(category.code)
        self.item_counts: dict[str, int] = dict(
            conn.execute(
                "SELECT item_category_code, count(*) FROM items WHERE blocked = 0 "
                "GROUP BY item_category_code"
            ).fetchall()
        )

    def subtree(self, code: str) -> list[str]:
        """`code` and every category below it."""
        found, todo = [], [code]
        while todo:
            current = todo.pop()
            found.append(current)
            todo.extend(self.children.get(current, ()))
        return found

    def count(self, codes: Iterable[str]) -> int:
        return sum(self.item_counts.get(code, 0) for code in codes)


class Catalog:
    """The current `CatalogIndex` and each account's item categories, rebuilt after a sync
    changed items, categories or assortments."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: CatalogIndex | None = None
        self._accounts: dict[str, tuple[str, ...]] = {}

    def index(self, conn: sqlite3.Connection) -> CatalogIndex:
        version = str(conn.execute(VERSION_QUERY).fetchone()[0])
        index = self._index
        if index is not None and index.version == version:
            return index
        with self._lock:
            if self._index is None or self._index.version != version:
                self._index = CatalogIndex(conn, version)
                self._accounts = {}
            return self._index

    def account_categories(
        self, conn: sqlite3.Connection, index: CatalogIndex, customer_no: str
    ) -> tuple[str, ...]:
        """Every category (at any level) the account's assortment covers, sorted."""
        found = self._accounts.get(customer_no)
        if found is not None and self._index is index:
            return found
        codes: set[str] = set()
        for (code,) in conn.execute(
            "SELECT item_category_code FROM customer_assortment WHERE customer_no = ?",
            (customer_no,),
        ):
            if code in index.categories:
                codes.update(index.subtree(code))
        result = tuple(sorted(codes))
        with self._lock:
            if self._index is index:
                self._accounts[customer_no] = result
        return result

    def item_categories(
        self, conn: sqlite3.Connection, customer_no: str, category: str | None = None
    ) -> tuple[CatalogIndex, tuple[str, ...]]:
        """The account's categories holding items, restricted to `category`'s subtree;
        an unknown category or one outside the assortment: 404."""
        index = self.index(conn)
        codes = self.account_categories(conn, index, customer_no)
        if category is not None:
            wanted = set(index.subtree(category)) if category in index.categories else set()
            codes = tuple(code for code in codes if code in wanted)
            if not codes:
                raise ApiError(404, "not_found", f"no category {category} in your assortment")
        return index, tuple(code for code in codes if index.item_counts.get(code))


def offer_json(offer: Any) -> dict[str, Any] | None:
    if offer is None:
        return None
    body: dict[str, Any] = {
        "unitOfMeasureCode": offer.unit_of_measure_code,
        "quantity": offer.quantity,
        "unitPrice": offer.unit_price,
        "discountPercent": offer.discount_percent,
        "netUnitPrice": offer.net_unit_price,
        "currencyCode": offer.currency_code,
        "breaks": [{"minimumQuantity": q, "netUnitPrice": p} for q, p in offer.breaks],
        "available": offer.available,
        "stale": offer.stale,
    }
    if offer.error is not None:
        body["error"] = offer.error
    return body


def priced_offers(
    ctx: Any, principal: Principal, wanted: Sequence[tuple[str, str, float]], where: str
) -> tuple[dict[str, Any], bool]:
    """One `integration.offers` call: (offers by item number, stale). Stale offers (the
    ERP did not answer) are logged as an ``offline_fallback`` event."""
    if not wanted or principal.customer_no is None:
        return {}, False
    try:
        offers = ctx.integration.offers(principal.customer_no, wanted)
    except Exception as exc:  # never fail a page for want of prices
        log.warning("offers failed for %s: %r", principal.customer_no, exc)
        offers, stale = {}, True
    else:
        stale = bool(getattr(offers, "stale", False)) or any(o.stale for o in offers.values())
    if stale:
        events.record(ctx.conn(), principal, "offline_fallback", where=where)
    return offers, stale


def _item_json(row: ItemRow, offer: Any) -> dict[str, Any]:
    return {
        "number": row.number,
        "displayName": row.display_name,
        "categoryCode": row.category_code,
        "baseUnitOfMeasure": row.base_unit,
        "gtin": row.gtin,
        "offer": offer_json(offer),
    }


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def item_page(
    ctx: Any,
    principal: Principal,
    *,
    category: str | None,
    q: str | None,
    page: int,
    page_size: int,
) -> dict[str, Any]:
    """One page of the account's orderable items (by category, search text, or all), with
    offers; logs ``browse`` or ``search``."""
    assert principal.customer_no is not None
    conn = ctx.conn()
    index, codes = ctx.catalog.item_categories(conn, principal.customer_no, category)
    offset = (page - 1) * page_size
    rows: list[ItemRow] = []
    total = 0
    if codes:
        where = f"item_category_code IN ({_marks(len(codes))}) AND blocked = 0"
        params: list[Any] = list(codes)
        if q:
            where += (
                " AND (no LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\'"
                " OR gtin LIKE ? ESCAPE '\\')"
            )
            params += [_like(q)] * 3
            total = conn.execute(f"SELECT count(*) FROM items WHERE {where}", params).fetchone()[0]
        else:
            total = index.count(codes)
        if offset < total:
            rows = [
                ItemRow(*row)
                for row in conn.execute(
                    f"SELECT {ITEM_COLUMNS} FROM items WHERE {where} "
                    "ORDER BY item_category_code, no LIMIT ? OFFSET ?",
                    [*params, page_size, offset],
                )
            ]
    offers, stale = priced_offers(ctx, principal, [(r.number, "", 1.0) for r in rows], "catalog")
    if q:
        events.record(conn, principal, "search", q=q, category=category, results=total)
    else:
        events.record(conn, principal, "browse", category=category, page=page)
    return {
        "items": [_item_json(row, offers.get(row.number)) for row in rows],
        "page": page,
        "pageSize": page_size,
        "total": total,
        "stale": stale,
    }


def categories(ctx: Any, principal: Principal) -> dict[str, Any]:
    """The account's category tree: top-level parents of its assortment categories, and
    below them the assortment categories, each with its orderable item count."""
    assert principal.customer_no is not None
    conn = ctx.conn()
    index = ctx.catalog.index(conn)
    covered = set(ctx.catalog.account_categories(conn, index, principal.customer_no))
    assortment = sorted(
        code
        for (code,) in conn.execute(
            "SELECT item_category_code FROM customer_assortment WHERE customer_no = ?",
            (principal.customer_no,),
        )
        if code in index.categories
    )
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for code in assortment:
        node = index.categories[code]
        count = index.count(c for c in index.subtree(code) if c in covered)
        entry = {"code": code, "displayName": node.display_name, "itemCount": count}
        by_parent.setdefault(node.parent_code, []).append(entry)
    tree = []
    for parent, children in sorted(by_parent.items()):
        if parent in index.categories:
            tree.append(
                {
                    "code": parent,
                    "displayName": index.categories[parent].display_name,
                    "itemCount": sum(c["itemCount"] for c in children),
                    "children": children,
                }
            )
        else:  # an assortment category at the top level
            tree.extend({**child, "children": []} for child in children)
    return {"categories": tree}


def item_detail(ctx: Any, principal: Principal, number: str) -> dict[str, Any]:
    """One item of the account's assortment with its units and offer; 404 otherwise.
    Logs ``view_item``."""
    assert principal.customer_no is not None
    conn = ctx.conn()
    row = conn.execute(
        f"SELECT {ITEM_COLUMNS}, blocked, gross_weight FROM items WHERE no = ?", (number,)
    ).fetchone()
    index = ctx.catalog.index(conn)
    if row is None or row[2] not in ctx.catalog.account_categories(
        conn, index, principal.customer_no
    ):
        raise ApiError(404, "not_found", f"no item {number} in your assortment")
    item = ItemRow(*row[:5])
    units = [
        {"code": code, "quantityPerUnitOfMeasure": qty}
        for code, qty in conn.execute(
            "SELECT code, qty_per_unit_of_measure FROM item_units_of_measure "
            "WHERE item_no = ? ORDER BY qty_per_unit_of_measure, code",
            (number,),
        )
    ]
    offers, stale = priced_offers(ctx, principal, [(number, "", 1.0)], "item")
    events.record(conn, principal, "view_item", item=number)
    category = index.categories.get(item.category_code)
    return {
        **_item_json(item, offers.get(number)),
        "categoryName": category.display_name if category else None,
        "blocked": bool(row[5]),
        "grossWeight": row[6],
        "unitsOfMeasure": units,
        "stale": stale,
    }


def in_assortment(ctx: Any, customer_no: str, category_code: str) -> bool:
    conn = ctx.conn()
    index = ctx.catalog.index(conn)
    return category_code in ctx.catalog.account_categories(conn, index, customer_no)


def item_names(conn: sqlite3.Connection, numbers: Iterable[Any]) -> dict[str, str]:
    """Item number -> name from the mirror, for document lines that carry only numbers
    (an item the mirror lacks is left out)."""
    wanted = sorted({str(n) for n in numbers if n})
    names: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        names.update(
            conn.execute(
                f"SELECT no, display_name FROM items WHERE no IN ({_marks(len(chunk))})", chunk
            ).fetchall()
        )
    return names
