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

_EXPOSURE = """
SELECT c.no, c.credit_limit, c.currency_code,
       COALESCE((SELECT SUM(i.remaining_amount) FROM sales_invoices i
                 WHERE i.customer_no = c.no AND i.status = 'Open'), 0)
     + COALESCE((SELECT SUM(l.line_amount * (l.quantity - l.quantity_invoiced) / l.quantity)
                 FROM sales_order_lines l JOIN sales_orders o ON o.no = l.document_no
                 WHERE o.customer_no = c.no AND o.status NOT IN ('Shipped', 'Invoiced')
                   AND l.quantity > 0), 0)
FROM customers c WHERE c.blocked = ''
"""


def credit_headroom(conn: sqlite3.Connection) -> dict[str, float]:
    """Unblocked customer number → room under its credit limit in local currency
    (``inf`` when it has no limit; negative when it is already over)."""
    rates = _latest_rates(conn)
    room: dict[str, float] = {}
    for no, limit, currency, exposure in conn.execute(_EXPOSURE):
        if not limit or limit <= 0:
            room[no] = math.inf
        else:
            room[no] = float(limit) - float(exposure) * rates.get(currency, 1.0)
    return room


def _latest_rates(conn: sqlite3.Connection) -> dict[str, float]:
    """Currency → local currency per unit, at its latest rate."""
    rates: dict[str, float] = {}
    for code, amount, relational in conn.execute(
        "SELECT currency_code, exchange_rate_amount, relational_exch_rate_amount "
        "FROM currency_exchange_rates ORDER BY currency_code, starting_date"
    ):
        if amount:
            rates[code] = float(relational) / float(amount)
    return rates
