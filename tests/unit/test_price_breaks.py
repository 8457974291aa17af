"""Quantity breaks shown to a buyer are exactly what an order of that size is charged."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from simulator.erp.pricing import (
    PriceRequest,
    PricingError,
    SqlitePriceData,
    price_breaks,
    resolve_price,
)


def _cases(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(customer, item, unit) of customer-price lines with quantity breaks, plus the
    all-customers breaks seen by an ordinary customer."""
    rows = conn.execute(
        "SELECT DISTINCT l.source_no, l.asset_no, l.unit_of_measure_code"
        " FROM price_list_lines l WHERE l.source_type = 'Customer' AND l.minimum_quantity > 1"
        " AND l.asset_type = 'Item' ORDER BY 1, 2 LIMIT 40"
    ).fetchall()
    customer = conn.execute("SELECT no FROM customers ORDER BY no LIMIT 1").fetchone()[0]
    rows += [
        (customer, item, unit)
        for item, unit in conn.execute(
            "SELECT DISTINCT asset_no, unit_of_measure_code FROM price_list_lines"
            " WHERE source_type = 'All Customers' AND minimum_quantity > 1"
            " AND asset_type = 'Item' ORDER BY 1 LIMIT 40"
        )
    ]
    return rows


def test_breaks_match_resolve_price(conn: sqlite3.Connection) -> None:
    data = SqlitePriceData(conn)
    (as_of,) = conn.execute("SELECT value FROM erpsim_meta WHERE key = 'as_of'").fetchone()
    on = date.fromisoformat(json.loads(as_of))
    cases = _cases(conn)
    assert len(cases) > 20
    with_breaks = 0
    for customer, item, unit in cases:
        request = PriceRequest(customer, item, 1.0, on, unit)
        breaks = price_breaks(data, request)
        assert breaks[0][0] == 1.0
        quantities = [quantity for quantity, _ in breaks]
        assert quantities == sorted(set(quantities))
        with_breaks += len(breaks) > 1
        for (quantity, shown), following in zip(breaks, [*breaks[1:], None], strict=True):
            charged = resolve_price(data, PriceRequest(customer, item, quantity, on, unit))
            assert shown.net_unit_price == charged.net_unit_price
            # Just below the next break the buyer still pays this break's price.
            if following is not None:
                below = following[0] - 0.5
                if below >= quantity:
                    at_below = resolve_price(data, PriceRequest(customer, item, below, on, unit))
                    assert at_below.net_unit_price == shown.net_unit_price
                assert following[1].net_unit_price != shown.net_unit_price
    assert with_breaks > 0


def test_breaks_refuse_what_pricing_refuses(conn: sqlite3.Connection) -> None:
    customer = conn.execute("SELECT no FROM customers LIMIT 1").fetchone()[0]
    with pytest.raises(PricingError):
        price_breaks(
            SqlitePriceData(conn), PriceRequest(customer, "no-such-item", 1, date(2026, 1, 1))
        )
