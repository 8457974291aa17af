"""Keys-first paging (A_SalesOrderItemPrElement: keys sorted first, rows computed for the
page only) gives the same elements, in SAP's key order, as the lines they come from."""

from __future__ import annotations

import sqlite3

import requests

from simulator.erp_server.sap.codes import sap_item
from tests.integration.sap.conftest import PAGE


def test_paging_the_item_pricing_elements_follows_the_lines(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    last = sql.execute("SELECT no FROM sales_orders ORDER BY no LIMIT 1 OFFSET 30").fetchone()[0]
    expected = []
    for document, line, discount in sql.execute(
        "SELECT document_no, line_no, line_discount_pct FROM sales_order_lines"
        " WHERE document_no <= ? ORDER BY document_no, line_no",
        (last,),
    ):
        item = sap_item(line)
        expected.append((document, item, "PPR0"))
        if discount > 0:
            expected.append((document, item, "K007"))
    url: str | None = sap + "/API_SALES_ORDER_SRV/A_SalesOrderItemPrElement"
    params: dict[str, str] | None = {"$filter": f"SalesOrder le '{last}'"}
    seen = []
    pages = 0
    while url:
        body = session.get(url, params=params).json()["d"]
        seen += [
            (r["SalesOrder"], r["SalesOrderItem"], r["ConditionType"]) for r in body["results"]
        ]
        url, params = body.get("__next"), None
        pages += 1
    assert len(expected) > PAGE  # more than one page
    assert pages == -(-len(expected) // PAGE)
    ordered = sorted(expected, key=lambda e: (e[0], int(e[1]), e[2] != "PPR0"))
    assert seen == ordered
