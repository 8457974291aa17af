"""Carts: several named carts per buyer and account, priced when read.

A cart belongs to the user and the account it was filled for (a rep acting for an account
has carts of their own there); anyone else asking for it gets 404. It holds at most one
line per item: setting an item in another unit replaces the line. A cart is read with one
`integration.offers` call for all its lines; checkout and quotes (orders.py, quotes.py) take
its lines with `cart_lines` and close it with `claim_cart`, in the transaction that writes
the document: of concurrent checkouts of one cart exactly one claims it.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import Any

from simulator.store import ApiError, events
from simulator.store.auth import Principal
from simulator.store.catalog import in_assortment, offer_json, priced_offers
from simulator.store.db import utc_now

__all__ = [
    "DEFAULT_NAME",
    "MAX_LINES",
    "MAX_QUANTITY",
    "CartLine",
    "CartTaken",
    "add_quantity",
    "cart_json",
    "cart_lines",
    "claim_cart",
    "create_cart",
    "default_cart",
    "delete_cart",
    "list_carts",
    "remove_line",
    "set_line",
]

DEFAULT_NAME = "Cart"
MAX_LINES = 200
MAX_QUANTITY = 100_000.0
MAX_NAME = 60


@dataclass(frozen=True, slots=True)
class CartLine:
    item_no: str
    unit_of_measure_code: str
    quantity: float
    display_name: str


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ApiError(400, "invalid_name", f"a cart name has 1 to {MAX_NAME} characters")
    return name


def _owned(conn: sqlite3.Connection, principal: Principal, cart_id: int) -> tuple[str, str]:
    """(name, status) of the principal's cart; anyone else's or a missing one: 404."""
    row = conn.execute(
        "SELECT name, status FROM carts WHERE id = ? AND user_id = ? AND customer_no = ?",
        (cart_id, principal.user_id, principal.customer_no),
    ).fetchone()
    if row is None:
        raise ApiError(404, "not_found", f"no cart {cart_id}")
    return row[0], row[1]


def _open(conn: sqlite3.Connection, principal: Principal, cart_id: int) -> str:
    name, status = _owned(conn, principal, cart_id)
    if status != "open":
        raise ApiError(409, "cart_closed", f"cart {cart_id} is {status}; it can no longer change")
    return name


def create_cart(
    conn: sqlite3.Connection,
    principal: Principal,
    name: str,
    lines: list[tuple[str, str, float]] | None = None,
) -> int:
    """A new open cart (optionally filled with validated-elsewhere lines, e.g. a reorder)."""
    name = _check_name(name)
    now = utc_now()
    with conn:
        cart_id = conn.execute(
            "INSERT INTO carts(user_id, customer_no, name, status, created_at, updated_at) "
            "VALUES (?, ?, ?, 'open', ?, ?)",
            (principal.user_id, principal.customer_no, name, now, now),
        ).lastrowid
        if lines:
            conn.executemany(
                "INSERT INTO cart_lines(cart_id, item_no, unit_of_measure_code, quantity, "
                "added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "quantity = quantity + excluded.quantity",
                [(cart_id, item, unit, qty, now) for item, unit, qty in lines[:MAX_LINES]],
            )
    assert cart_id is not None
    return cart_id


def default_cart(conn: sqlite3.Connection, principal: Principal) -> int:
    """The principal's most recently changed open cart; a first one named 'Cart' if none."""
    row = conn.execute(
        "SELECT id FROM carts WHERE user_id = ? AND customer_no = ? AND status = 'open' "
        "ORDER BY updated_at DESC, id DESC LIMIT 1",
        (principal.user_id, principal.customer_no),
    ).fetchone()
    return int(row[0]) if row is not None else create_cart(conn, principal, DEFAULT_NAME)


def list_carts(conn: sqlite3.Connection, principal: Principal) -> list[dict[str, Any]]:
    """The principal's carts for the account, open ones first (creating the first one)."""
    default_cart(conn, principal)
    return [
        {"id": cart_id, "name": name, "status": status, "lineCount": count,
         "createdAt": created, "updatedAt": updated}
        for cart_id, name, status, count, created, updated in conn.execute(
            "SELECT c.id, c.name, c.status, count(l.item_no), c.created_at, c.updated_at "
            "FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id "
            "WHERE c.user_id = ? AND c.customer_no = ? GROUP BY c.id "
            "ORDER BY c.status <> 'open', c.updated_at DESC, c.id DESC",
            (principal.user_id, principal.customer_no),
        )
    ]  # fmt: skip


def cart_lines(conn: sqlite3.Connection, principal: Principal, cart_id: int) -> list[CartLine]:
    """The lines of the principal's cart (404 for anyone else's), in the order added."""
    _owned(conn, principal, cart_id)
    return [
        CartLine(*row)
        for row in conn.execute(
            "SELECT l.item_no, l.unit_of_measure_code, l.quantity, coalesce(i.display_name, '') "
            "FROM cart_lines l LEFT JOIN items i ON i.no = l.item_no "
            "WHERE l.cart_id = ? ORDER BY l.added_at, l.item_no",
            (cart_id,),
        )
    ]


def cart_json(
    ctx: Any, principal: Principal, cart_id: int, *, credit: bool = False
) -> dict[str, Any]:
    """The cart with its lines priced by one offers call, and totals; with `credit`, the
    account's credit headroom too (one more ERP call: the cart view before checkout)."""
    conn = ctx.conn()
    name, status = _owned(conn, principal, cart_id)
    lines = cart_lines(conn, principal, cart_id)
    offers, stale = priced_offers(
        ctx, principal, [(x.item_no, x.unit_of_measure_code, x.quantity) for x in lines], "cart"
    )
    body_lines = []
    amount = 0.0
    currency = ""
    complete = True
    for line in lines:
        offer = offers.get(line.item_no)
        line_amount = None
        if offer is not None and offer.error is None:
            line_amount = round(offer.net_unit_price * line.quantity, 2)
            amount += line_amount
            currency = offer.currency_code
        else:
            complete = False
        body_lines.append(
            {
                "itemNumber": line.item_no,
                "displayName": line.display_name,
                "unitOfMeasureCode": line.unit_of_measure_code,
                "quantity": line.quantity,
                "offer": offer_json(offer),
                "lineAmount": line_amount,
            }
        )
    body: dict[str, Any] = {
        "id": cart_id,
        "name": name,
        "status": status,
        "lines": body_lines,
        "totals": {
            "lineCount": len(lines),
            "amount": round(amount, 2),
            "currencyCode": currency,
            "complete": complete,
        },
        "stale": stale,
    }
    if credit and principal.customer_no is not None:
        from simulator.store.credit import credit_json  # noqa: PLC0415

        room = ctx.integration.credit(principal.customer_no)
        body["credit"] = credit_json(room, round(amount, 2), currency)
    return body


def _check_item(
    ctx: Any, conn: sqlite3.Connection, principal: Principal, item_no: str, unit: str
) -> str:
    """The unit to store (the base unit for ''); 400 for what the account cannot order."""
    assert principal.customer_no is not None
    row = conn.execute(
        "SELECT item_category_code, blocked, base_unit_of_measure FROM items WHERE no = ?",
        (item_no,),
    ).fetchone()
    if row is None or not in_assortment(ctx, principal.customer_no, row[0]):
        raise ApiError(400, "unknown_item", f"no item {item_no} in your assortment")
    if row[1]:
        raise ApiError(400, "item_blocked", f"item {item_no} cannot be ordered (blocked)")
    unit = unit or row[2]
    defined = conn.execute(
        "SELECT 1 FROM item_units_of_measure WHERE item_no = ? AND code = ?", (item_no, unit)
    ).fetchone()
    if defined is None:
        raise ApiError(400, "unknown_unit", f"item {item_no} has no unit of measure {unit}")
    return unit


def set_line(
    ctx: Any, principal: Principal, cart_id: int, item_no: str, unit: str, quantity: float
) -> None:
    """Set an item's quantity (0 removes it; another unit replaces the line). Logs
    ``add_to_cart`` when the quantity grows."""
    if not (math.isfinite(quantity) and 0 <= quantity <= MAX_QUANTITY):
        raise ApiError(400, "invalid_quantity", f"quantity must be 0 to {MAX_QUANTITY:g}")
    conn = ctx.conn()
    _open(conn, principal, cart_id)
    if quantity == 0:
        remove_line(ctx, principal, cart_id, item_no, missing_ok=True)
        return
    unit = _check_item(ctx, conn, principal, item_no, unit)
    now = utc_now()
    with conn:
        old = conn.execute(
            "SELECT unit_of_measure_code, quantity, added_at FROM cart_lines "
            "WHERE cart_id = ? AND item_no = ?",
            (cart_id, item_no),
        ).fetchone()
        if old is None:
            count = conn.execute(
                "SELECT count(*) FROM cart_lines WHERE cart_id = ?", (cart_id,)
            ).fetchone()[0]
            if count >= MAX_LINES:
                raise ApiError(409, "cart_full", f"a cart holds at most {MAX_LINES} lines")
        conn.execute("DELETE FROM cart_lines WHERE cart_id = ? AND item_no = ?", (cart_id, item_no))
        conn.execute(
            "INSERT INTO cart_lines(cart_id, item_no, unit_of_measure_code, quantity, added_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (cart_id, item_no, unit, quantity, old[2] if old else now),
        )
        conn.execute("UPDATE carts SET updated_at = ? WHERE id = ?", (now, cart_id))
    grew = old is None or old[0] != unit or quantity > old[1]
    if grew:
        events.record(
            conn, principal, "add_to_cart", cart=cart_id, item=item_no, unit=unit,
            quantity=quantity,
        )  # fmt: skip


def add_quantity(
    ctx: Any, principal: Principal, cart_id: int, item_no: str, unit: str, quantity: float
) -> float:
    """Add `quantity` of an item on top of what the cart holds in that unit ('' = the
    line's unit, else the base unit); another unit replaces the line. The new quantity."""
    if not (math.isfinite(quantity) and 0 < quantity <= MAX_QUANTITY):
        raise ApiError(
            400, "invalid_quantity", f"quantity must be above 0, at most {MAX_QUANTITY:g}"
        )
    have = next(
        (x for x in cart_lines(ctx.conn(), principal, cart_id) if x.item_no == item_no), None
    )
    same_unit = have is not None and (not unit or have.unit_of_measure_code == unit)
    total = quantity + (have.quantity if same_unit and have is not None else 0.0)
    if have is not None and same_unit and not unit:
        unit = have.unit_of_measure_code
    set_line(ctx, principal, cart_id, item_no, unit, total)
    return total


def remove_line(
    ctx: Any, principal: Principal, cart_id: int, item_no: str, *, missing_ok: bool = False
) -> None:
    conn = ctx.conn()
    _open(conn, principal, cart_id)
    with conn:
        removed = conn.execute(
            "DELETE FROM cart_lines WHERE cart_id = ? AND item_no = ?", (cart_id, item_no)
        ).rowcount
        conn.execute("UPDATE carts SET updated_at = ? WHERE id = ?", (utc_now(), cart_id))
    if not removed and not missing_ok:
        raise ApiError(404, "not_found", f"no item {item_no} in cart {cart_id}")


def rename_cart(conn: sqlite3.Connection, principal: Principal, cart_id: int, name: str) -> None:
    _owned(conn, principal, cart_id)
    with conn:
        conn.execute(
            "UPDATE carts SET name = ?, updated_at = ? WHERE id = ?",
            (_check_name(name), utc_now(), cart_id),
        )


def delete_cart(conn: sqlite3.Connection, principal: Principal, cart_id: int) -> None:
    """Delete an open cart (ordered or quoted carts stay: their documents refer to them)."""
    _open(conn, principal, cart_id)
    with conn:
        conn.execute("DELETE FROM carts WHERE id = ?", (cart_id,))


class CartTaken(Exception):
    """The cart was no longer open when a checkout or quote request came to claim it."""


def claim_cart(conn: sqlite3.Connection, principal: Principal, cart_id: int, status: str) -> None:
    """Mark the principal's open cart 'ordered' or 'quoted' inside the caller's transaction
    (the one that writes the document): a conditional UPDATE, so of concurrent claims one
    changes the row and the others raise `CartTaken` (and write nothing)."""
    if status not in ("ordered", "quoted"):
        raise ValueError(f"not a closing status: {status!r}")
    claimed = conn.execute(
        "UPDATE carts SET status = ?, updated_at = ?"
        " WHERE id = ? AND user_id = ? AND customer_no = ? AND status = 'open'",
        (status, utc_now(), cart_id, principal.user_id, principal.customer_no),
    ).rowcount
    if claimed != 1:
        raise CartTaken(cart_id)
