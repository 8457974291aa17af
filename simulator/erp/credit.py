"""Credit headroom read from an ERP dataset: how much more each account may order.

The ERP refuses an order (409 ``credit_limit_exceeded``) when the account's open orders and
unpaid invoices plus the new order would exceed its credit limit. Demo logins (`erpsim up`,
the store demo) and the load test data prefer accounts with room, as a real order mix is
mostly accepted. This is the same exposure the live world starts from (open orders'
uninvoiced amounts and open invoices' remaining amounts, in local currency), read with plain
SQL so callers need no world.
"""

from __future__ import annotations

import math
import sqlite3


def rate_sql(customer: str = "c") -> str:
    """SQL: local currency per unit of the customer row's currency, at its latest rate
    (1 for the local currency)."""
    return f"""COALESCE((SELECT r.relational_exch_rate_amount / r.exchange_rate_amount
             FROM currency_exchange_rates r
             WHERE r.currency_code = {customer}.currency_code AND r.exchange_rate_amount > 0
             ORDER BY r.starting_date DESC LIMIT 1), 1.0)"""


def exposure_sql(customer: str = "c") -> str:
    """SQL: what the customer row `customer` owes and has on order, in local currency: its
    open invoices' remaining amounts plus its open orders' uninvoiced amounts, at the
    latest exchange rate of its currency (the credit check's exposure)."""
    return f"""(
  (COALESCE((SELECT SUM(i.remaining_amount) FROM sales_invoices i
             WHERE i.customer_no = {customer}.no AND i.status = 'Open'), 0)
 + COALESCE((SELECT SUM(l.line_amount * (l.quantity - l.quantity_invoiced) / l.quantity)
             FROM sales_order_lines l JOIN sales_orders o ON o.no = l.document_no
             WHERE o.customer_no = {customer}.no AND o.status NOT IN ('Shipped', 'Invoiced')
               AND l.quantity > 0), 0))
 * {rate_sql(customer)})"""


def headroom_sql(customer: str = "c", *, own_currency: bool = False) -> str:
    """SQL: the room under the credit limit of the customer row `customer` (negative when
    over it), NULL when it has no limit; in local currency, or with `own_currency` in the
    customer's (what its buyers' carts are priced in). The one definition, read by
    `credit_headroom` and served by the mock ERP (``creditHeadroom``)."""
    room = f"({customer}.credit_limit - {exposure_sql(customer)})"
    if own_currency:
        room = f"({room} / {rate_sql(customer)})"
    return f"CASE WHEN {customer}.credit_limit > 0 THEN {room} END"


def credit_headroom(conn: sqlite3.Connection) -> dict[str, float]:
    """Unblocked customer number → room under its credit limit in local currency
    (``inf`` when it has no limit; negative when it is already over)."""
    query = f"SELECT c.no, {headroom_sql('c')} FROM customers c WHERE c.blocked = ''"
    return {no: math.inf if room is None else float(room) for no, room in conn.execute(query)}
