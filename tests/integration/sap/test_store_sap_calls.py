"""The store's SAP calls (`simulator.store.sap_prices`, `sap_orders`) against the real
facade: simulated prices equal the ERP's best-price function, an item SAP refuses marks
only its own line, a refused customer fails the page in one call, stock of many materials
equals the ERP's, an order created twice under one key is one sales order, and it reads
back as the store shows orders."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from simulator.erp.pricing import PriceRequest, SqlitePriceData, price_with_breaks
from simulator.erp_server.client import ErpApiError, ErpClient
from simulator.store import sap_orders, sap_prices
from simulator.store.sap_client import SapClient
from tests.integration.sap.conftest import KEY


@pytest.fixture(scope="module")
def picks(sap_server, sap_db) -> tuple[str, list[str], str, dt.date]:
    """(a customer without blocks, three orderable items, a blocked item, the ERP's today)."""
    conn = sqlite3.connect(f"file:{sap_db}?mode=ro", uri=True)
    try:
        (customer,) = conn.execute(
            "SELECT no FROM customers WHERE blocked = '' ORDER BY no LIMIT 1"
        ).fetchone()
        items = [no for (no,) in conn.execute(
            "SELECT no FROM items WHERE blocked = 0 ORDER BY unit_price LIMIT 3"
        )]  # fmt: skip
        (blocked,) = conn.execute("SELECT no FROM items WHERE blocked = 1 LIMIT 1").fetchone()
    finally:
        conn.close()
    with ErpClient(sap_server.url, api_key=KEY) as erp:
        today = dt.date.fromisoformat(erp.clock()["today"])
    return customer, items, blocked, today


def test_simulated_prices_equal_the_best_price_and_refusals_stay_per_line(
    sap_server, sql: sqlite3.Connection, picks
) -> None:
    customer, items, blocked, on = picks
    wanted = [(items[0], "", 1.0), (blocked, "", 2.0), (items[1], "", 12.0)]
    with SapClient(sap_server.url, api_key=KEY, max_attempts=1) as sap:
        lines = sap_prices.price_lines(sap, customer, wanted, None)
    assert [line["itemNumber"] for line in lines] == [items[0], blocked, items[1]]
    assert lines[1]["error"]["code"] == "item_blocked"  # SAP's V1 message, its line only
    data = SqlitePriceData(sql)
    for line, (item, _, quantity) in zip(lines, wanted, strict=True):
        if item == blocked:
            continue
        expected, _ = price_with_breaks(data, PriceRequest(customer, item, quantity, on))
        assert line["error"] is None
        assert line["unitPrice"] == pytest.approx(expected.unit_price, abs=1e-9)
        assert line["discountPercent"] == pytest.approx(expected.line_discount_pct, abs=1e-9)
        assert line["netUnitPrice"] == pytest.approx(expected.net_unit_price, abs=1e-9)
        assert line["currencyCode"] == expected.currency_code


def test_an_order_created_twice_under_one_key_is_one_sales_order(
    sap_server, sql: sqlite3.Connection, picks
) -> None:
    customer, items, _, today = picks
    request = {
        "customerNumber": customer,
        "requestedDeliveryDate": (today + dt.timedelta(days=5)).isoformat(),
        "salesOrderLines": [
            {"itemNumber": items[0], "unitOfMeasureCode": "", "quantity": 2},
            {"itemNumber": items[2], "unitOfMeasureCode": "", "quantity": 1},
        ],
    }
    (before,) = sql.execute(
        "SELECT count(*) FROM sales_orders WHERE customer_no = ?", (customer,)
    ).fetchone()
    with SapClient(sap_server.url, api_key=KEY, max_attempts=1) as sap:
        first = sap_orders.create_order(sap, customer, request, "order:test:once", 1.0e9)
        again = sap_orders.create_order(sap, customer, request, "order:test:once", 1.0e9)
        other = sap_orders.create_order(sap, customer, request, "order:test:other", 1.0e9)
        order, deliveries, invoices = sap_orders.order_detail(sap, first["number"])
        rows, total = sap_orders.orders_page(sap, customer, top=200, skip=0)
        missing = sap_orders.order_detail(sap, "SO9999999")
    assert again == first
    assert other["number"] != first["number"]
    (after,) = sql.execute(
        "SELECT count(*) FROM sales_orders WHERE customer_no = ?", (customer,)
    ).fetchone()
    assert after == before + 2
    channel, requested = sql.execute(
        "SELECT channel, requested_delivery_date FROM sales_orders WHERE no = ?",
        (first["number"],),
    ).fetchone()
    assert (channel, requested) == ("web", request["requestedDeliveryDate"])
    assert order is not None
    assert order["customerNumber"] == customer
    assert order["requestedDeliveryDate"] == request["requestedDeliveryDate"]
    assert order["lifecycleStatus"] == "Open"
    assert order["channel"] == "web"
    assert [(x["itemNumber"], x["quantity"]) for x in order["salesOrderLines"]] == [
        (items[0], 2.0),
        (items[2], 1.0),
    ]
    assert (deliveries, invoices) == ([], [])
    assert total == after
    assert first["number"] in {row["number"] for row in rows}
    assert missing == (None, [], [])


def test_a_refused_customer_fails_the_whole_page_in_one_call(
    sap_server, sql: sqlite3.Connection, picks
) -> None:
    _, items, _, _ = picks
    (blocked,) = sql.execute("SELECT no FROM customers WHERE blocked = 'All' LIMIT 1").fetchone()
    wanted = [(item, "", 1.0) for item in items]
    posts: list[str] = []
    with SapClient(sap_server.url, api_key=KEY, max_attempts=1) as sap:
        sap.session.hooks["response"].append(
            lambda response, *args, **kwargs: posts.append(response.request.method)
        )
        with pytest.raises(ErpApiError) as refused:
            sap_prices.price_lines(sap, blocked, wanted, None)
    assert refused.value.status == 400
    assert refused.value.reason == "customer_blocked"
    assert posts.count("POST") == 1  # one simulation, not one more per item


def test_stock_of_many_materials_equals_the_erp_stock(sap_server, sql: sqlite3.Connection) -> None:
    """250 materials: long ``Material eq ... or`` lists (in chunks of 100) the facade takes."""
    (location,) = sql.execute("SELECT min(code) FROM locations").fetchone()
    items = [no for (no,) in sql.execute("SELECT no FROM items ORDER BY no LIMIT 250")]
    expected = dict(
        sql.execute(
            "SELECT item_no, inventory FROM item_stock WHERE location_code = ?", (location,)
        ).fetchall()
    )
    with SapClient(sap_server.url, api_key=KEY, max_attempts=1) as sap:
        plants = {
            row["Plant"]
            for row in sap.iter("API_MATERIAL_STOCK_SRV", "A_MatlStkInAcctMod", select="Plant")
        }
        plant = min(plants)  # the first location's plant (1010)
        found = sap_prices.stock(sap, items, plant)
    assert {item: found.get(item, 0.0) for item in items} == {
        item: expected.get(item, 0.0) for item in items
    }
