"""The follow-up document services read our shipments, invoices and credit memos as SAP
outbound deliveries and billing documents; every value is checked against the dataset."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import requests

from simulator.erp_server.reads import open_reader
from simulator.erp_server.sap import catalog
from simulator.erp_server.sap.codes import Codes, sap_unit
from simulator.erp_server.sap.query import parse_query
from simulator.erp_server.sap.reader import page
from tests.integration.sap.conftest import PAGE

DELIVERY = "/API_OUTBOUND_DELIVERY_SRV"
BILLING = "/API_BILLING_DOCUMENT_SRV"
PRICING = "/API_SLSPRICINGCONDITIONRECORD_SRV"


def _date(day: str) -> str:
    moment = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
    return f"/Date({int(moment.timestamp()) * 1000})/"


def _d(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["d"]


def test_delivery_items_are_the_shipment_lines(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    no, order, customer, location, day = sql.execute(
        "SELECT s.no, s.order_no, s.customer_no, s.location_code, s.shipment_date"
        " FROM sales_shipments s WHERE (SELECT count(*) FROM sales_shipment_lines l"
        " WHERE l.document_no = s.no) > 1 ORDER BY s.no LIMIT 1"
    ).fetchone()
    body = _d(
        session.get(
            f"{sap}{DELIVERY}/A_OutbDeliveryHeader('{no}')",
            params={"$expand": "to_DeliveryDocumentItem,to_DeliveryDocumentPartner"},
        )
    )
    plant = Codes(sql).to_sap("plant", location)
    assert (body["SoldToParty"], body["ShipToParty"], body["ShippingPoint"]) == (
        customer,
        customer,
        plant,
    )
    assert body["OverallGoodsMovementStatus"] == "C"
    assert body["DeliveryDocumentType"] == "LF"
    assert body["ActualGoodsMovementDate"] == body["DeliveryDate"] == _date(day)
    lines = sql.execute(
        "SELECT line_no, order_line_no, item_no, unit_of_measure_code, quantity, quantity_base"
        " FROM sales_shipment_lines WHERE document_no = ?",
        (no,),
    ).fetchall()
    items = {i["DeliveryDocumentItem"]: i for i in body["to_DeliveryDocumentItem"]["results"]}
    assert len(items) == len(lines)
    for line_no, order_line, item, unit, quantity, base in lines:
        served = items[str(line_no // 1000)]
        assert served["Material"] == item
        assert served["ReferenceSDDocument"] == order
        assert served["ReferenceSDDocumentItem"] == str(order_line // 1000)
        assert float(served["ActualDeliveryQuantity"]) == quantity
        assert float(served["ActualDeliveredQtyInBaseUnit"]) == base
        assert served["DeliveryQuantityUnit"] == sap_unit(unit)
        assert served["Plant"] == plant
    partners = {p["PartnerFunction"]: p for p in body["to_DeliveryDocumentPartner"]["results"]}
    assert partners["AG"]["Customer"] == partners["WE"]["Customer"] == customer


def test_deliveries_filter_by_sold_to_party(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, shipments = sql.execute(
        "SELECT customer_no, count(*) FROM sales_shipments GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    body = _d(
        session.get(
            f"{sap}{DELIVERY}/A_OutbDeliveryHeader",
            params={
                "$filter": f"SoldToParty eq '{customer}'",
                "$inlinecount": "allpages",
                "$select": "DeliveryDocument",
            },
        )
    )
    assert body["__count"] == str(shipments)


def test_invoice_totals_items_and_pricing_elements(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    no, customer, amount, order, shipment = sql.execute(
        "SELECT no, customer_no, amount, order_no, shipment_no FROM sales_invoices"
        " WHERE EXISTS (SELECT 1 FROM sales_invoice_lines l WHERE l.document_no = no"
        " AND l.line_discount_pct > 0) ORDER BY no LIMIT 1"
    ).fetchone()
    body = _d(
        session.get(
            f"{sap}{BILLING}/A_BillingDocument('{no}')",
            params={"$expand": "to_Item/to_PricingElement,to_Partner"},
        )
    )
    assert (body["BillingDocumentType"], body["SoldToParty"], body["PayerParty"]) == (
        "F2",
        customer,
        customer,
    )
    assert float(body["TotalNetAmount"]) == pytest.approx(amount)
    assert float(body["TaxAmount"]) == pytest.approx(round(amount * 0.21, 2))
    assert float(body["TotalGrossAmount"]) == pytest.approx(
        float(body["TotalNetAmount"]) + float(body["TaxAmount"])
    )
    assert body["AccountingPostingStatus"] == "C"
    items = body["to_Item"]["results"]
    lines = sql.execute(
        "SELECT line_no, item_no, quantity, unit_price, line_discount_pct, line_amount,"
        " order_line_no FROM sales_invoice_lines WHERE document_no = ?",
        (no,),
    ).fetchall()
    assert len(items) == len(lines)
    assert sum(float(i["NetAmount"]) for i in items) == pytest.approx(amount, abs=0.01)
    by_item = {i["BillingDocumentItem"]: i for i in items}
    records: list[tuple[dict, float]] = []
    for line_no, item, quantity, unit_price, pct, net, order_line in lines:
        served = by_item[str(line_no // 1000)]
        assert served["Material"] == item
        assert float(served["BillingQuantity"]) == quantity
        assert (served["SalesDocument"], served["SalesDocumentItem"]) == (
            order,
            str(order_line // 1000),
        )
        assert served["ReferenceSDDocument"] == shipment
        price, discount = _billing_elements(served, unit_price, pct, net)
        records.extend([(discount, -pct)] if discount else [])
        records.append((price, unit_price))
    # each element names the condition record that priced it, with its type and rate
    for element, rate in records[:2]:
        record = _d(
            session.get(
                f"{sap}{PRICING}/A_SlsPrcgConditionRecord('{element['ConditionRecord']}')",
                params={"$expand": "to_SlsPrcgCndnRecordScale"},
            )
        )
        assert record["ConditionType"] == element["ConditionType"]
        rates = [record["ConditionRateValue"]] + [
            scale["ConditionRateValue"] for scale in record["to_SlsPrcgCndnRecordScale"]["results"]
        ]
        assert any(float(r) == pytest.approx(rate, abs=5e-4) for r in rates)
    partners = {p["PartnerFunction"]: p["Customer"] for p in body["to_Partner"]["results"]}
    assert {partners[f] for f in ("AG", "RE", "RG", "WE")} == {customer}


def _billing_elements(
    served: dict, unit_price: float, pct: float, net: float
) -> tuple[dict, dict | None]:
    """A billing item's pricing elements checked against its line: the price (PPR0, step
    010), the tax (TTX1, 900) and, with a discount, the discount (030) that brings the price
    to the line's net amount. Returns the price and the discount (None without one)."""
    elements = {e["PricingProcedureStep"]: e for e in served["to_PricingElement"]["results"]}
    price, tax = elements["010"], elements["900"]
    assert (price["ConditionType"], tax["ConditionType"]) == ("PPR0", "TTX1")
    assert float(price["ConditionRateValue"]) == pytest.approx(unit_price)
    assert float(tax["ConditionAmount"]) == pytest.approx(round(net * 0.21, 2))
    if pct <= 0:
        assert "030" not in elements
        return price, None
    discount = elements["030"]
    assert float(discount["ConditionRateValue"]) == pytest.approx(-pct)
    total = float(price["ConditionAmount"]) + float(discount["ConditionAmount"])
    assert total == pytest.approx(net, abs=0.011)
    return price, discount


def test_clearing_status_follows_payments(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    open_invoices = sql.execute(
        "SELECT count(*) FROM sales_invoices WHERE remaining_amount >= amount"
    ).fetchone()[0]
    assert open_invoices
    count = session.get(
        f"{sap}{BILLING}/A_BillingDocument/$count",
        params={"$filter": "InvoiceClearingStatus eq 'A'"},
    )
    assert int(count.text) == open_invoices
    customer, invoices = sql.execute(
        "SELECT customer_no, count(*) FROM sales_invoices GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    memos = sql.execute(
        "SELECT count(*) FROM sales_credit_memos WHERE customer_no = ?", (customer,)
    ).fetchone()[0]
    body = _d(
        session.get(
            f"{sap}{BILLING}/A_BillingDocument",
            params={"$filter": f"SoldToParty eq '{customer}'", "$inlinecount": "allpages"},
        )
    )
    assert body["__count"] == str(invoices + memos)


def test_credit_memos_are_g2_documents_that_refer_to_the_invoice(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    """A credit memo is a G2 billing document (category O) with positive amounts; each item
    refers to the invoice item it corrects (category M) and names no sales document, so
    the order's billing documents, read by reference to the order, are its invoices."""
    no, customer, amount, invoice, posted = sql.execute(
        "SELECT no, customer_no, amount, invoice_no, posting_date FROM sales_credit_memos"
        " WHERE EXISTS (SELECT 1 FROM sales_credit_memo_lines l WHERE l.document_no = no"
        " AND l.line_discount_pct > 0) ORDER BY no LIMIT 1"
    ).fetchone()
    order, salesperson = sql.execute(
        "SELECT o.no, o.salesperson_code FROM sales_invoices v"
        " JOIN sales_orders o ON o.no = v.order_no WHERE v.no = ?",
        (invoice,),
    ).fetchone()
    body = _d(
        session.get(
            f"{sap}{BILLING}/A_BillingDocument('{no}')",
            params={"$expand": "to_Item/to_PricingElement,to_Partner"},
        )
    )
    assert (
        body["BillingDocumentType"],
        body["SDDocumentCategory"],
        body["BillingDocumentCategory"],
        body["SoldToParty"],
        body["PayerParty"],
        body["BillingDocumentDate"],
        body["InvoiceClearingStatus"],
    ) == ("G2", "O", "A", customer, customer, _date(posted), "C")
    assert amount > 0
    assert float(body["TotalNetAmount"]) == pytest.approx(amount)
    assert float(body["TaxAmount"]) == pytest.approx(round(amount * 0.21, 2))
    assert float(body["TotalGrossAmount"]) == pytest.approx(
        float(body["TotalNetAmount"]) + float(body["TaxAmount"])
    )
    lines = sql.execute(
        "SELECT l.line_no, l.item_no, l.quantity, l.unit_price, l.line_discount_pct,"
        " l.line_amount, v.line_no FROM sales_credit_memo_lines l"
        " JOIN sales_invoice_lines v ON v.document_no = ? AND v.shipment_no = l.shipment_no"
        " AND v.shipment_line_no = l.shipment_line_no WHERE l.document_no = ?",
        (invoice, no),
    ).fetchall()
    items = body["to_Item"]["results"]
    assert len(items) == len(lines) > 0
    by_item = {i["BillingDocumentItem"]: i for i in items}
    for line_no, item, quantity, unit_price, pct, net, invoice_line in lines:
        served = by_item[str(line_no // 1000)]
        assert (served["Material"], float(served["BillingQuantity"])) == (item, quantity)
        assert net > 0
        assert float(served["NetAmount"]) == pytest.approx(net)
        assert (
            served["ReferenceSDDocument"],
            served["ReferenceSDDocumentItem"],
            served["ReferenceSDDocumentCategory"],
            served["SalesDocument"],
        ) == (invoice, str(invoice_line // 1000), "M", "")
        _billing_elements(served, unit_price, pct, net)
    partners = {p["PartnerFunction"]: p for p in body["to_Partner"]["results"]}
    assert {partners[f]["Customer"] for f in ("AG", "RE", "RG", "WE")} == {customer}
    assert ("VE" in partners) == bool(salesperson)
    # what the store reads as the order's invoices: its F2 documents only
    billed = _d(
        session.get(
            f"{sap}{BILLING}/A_BillingDocumentItem",
            params={"$filter": f"SalesDocument eq '{order}'", "$select": "BillingDocument"},
        )
    )["results"]
    invoices = {
        r[0] for r in sql.execute("SELECT no FROM sales_invoices WHERE order_no = ?", (order,))
    }
    assert {r["BillingDocument"] for r in billed} == invoices


def test_billing_documents_are_the_invoices_and_the_credit_memos(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    """As many F2 (category M) documents as invoices, G2 (category O) as credit memos, and
    their items as the tables' lines."""

    def count(entity_set: str, where: str) -> int:
        response = session.get(f"{sap}{BILLING}/{entity_set}/$count", params={"$filter": where})
        assert response.status_code == 200, response.text
        return int(response.text)

    def rows(sql_text: str) -> int:
        return int(sql.execute(sql_text).fetchone()[0])

    invoices, memos = (
        rows("SELECT count(*) FROM sales_invoices"),
        rows("SELECT count(*) FROM sales_credit_memos"),
    )
    assert memos > 0
    document = "A_BillingDocument"
    assert count(document, "BillingDocumentType eq 'F2' and SDDocumentCategory eq 'M'") == invoices
    assert count(document, "BillingDocumentType eq 'G2' and SDDocumentCategory eq 'O'") == memos
    assert count(document, "BillingDocumentType ne 'F2' and BillingDocumentType ne 'G2'") == 0
    assert count("A_BillingDocumentItem", "ReferenceSDDocumentCategory eq 'J'") == rows(
        "SELECT count(*) FROM sales_invoice_lines"
    )
    assert count("A_BillingDocumentItem", "ReferenceSDDocumentCategory eq 'M'") == rows(
        "SELECT count(*) FROM sales_credit_memo_lines"
    )
    # every credit memo shows its sold-to, bill-to, payer and ship-to
    first, last = sql.execute("SELECT min(no), max(no) FROM sales_credit_memos").fetchone()
    memo_partners = count(
        "A_BillingDocumentPartner",
        f"BillingDocument ge '{first}' and BillingDocument le '{last}' and PartnerFunction ne 'VE'",
    )
    assert memo_partners == 4 * memos


def _plans(sap_db: Path, entity_set: str, options: list[tuple[str, str]]) -> list[list[str]]:
    """The query plan of each statement the facade's reader runs for one request."""
    conn = open_reader(sap_db, "00000000-0000-0000-0000-000000000000")
    statements: list[str] = []
    try:
        query = parse_query(catalog.service(BILLING[1:]).sets[entity_set], options)
        conn.set_trace_callback(statements.append)
        page(conn, query, "/", PAGE)
        conn.set_trace_callback(None)
        return [[row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")] for sql in statements]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "entity_set",
    [
        "A_BillingDocument",
        "A_BillingDocumentItem",
        "A_BillingDocumentItemPrcgElmnt",
        "A_BillingDocumentPartner",
    ],
)
def test_billing_pages_merge_invoices_and_credit_memos_in_key_order(
    sap_db: Path, entity_set: str
) -> None:
    """An ordered page reads invoices and credit memos each in its table's key order and
    merges them (SQLite flattened the union), never sorting the whole set."""
    (plan,) = _plans(sap_db, entity_set, [])
    assert "MERGE (UNION ALL)" in plan, plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.mark.parametrize("document", ["CM0000001", "SI0000001"])
def test_a_billing_document_and_its_children_are_found_by_key(sap_db: Path, document: str) -> None:
    """A filter on the document and the navigations to its items, their pricing elements
    and its partners read both tables by key, never scanning one."""
    plans = _plans(
        sap_db,
        "A_BillingDocument",
        [
            ("$filter", f"BillingDocument eq '{document}'"),
            ("$expand", "to_Item/to_PricingElement,to_Partner"),
        ],
    )
    assert len(plans) == 4  # the document, its items, their elements, its partners
    for plan in plans:
        assert "SCAN t" not in plan, plan  # headers
        assert "SCAN l" not in plan, plan  # lines


def test_pricing_elements_name_condition_records_that_exist(
    sap: str, session: requests.Session
) -> None:
    """An order's and a billing document's pricing elements name the condition record that
    priced them, numbered as API_SLSPRICINGCONDITIONRECORD_SRV numbers it: each one named
    exists there, a price element's record is a price (PPR0)."""
    checked = 0
    for service, entity_set in (
        ("API_SALES_ORDER_SRV", "A_SalesOrderItemPrElement"),
        ("API_BILLING_DOCUMENT_SRV", "A_BillingDocumentItemPrcgElmnt"),
    ):
        response = session.get(
            f"{sap}/{service}/{entity_set}",
            params={"$filter": "ConditionRecord ne ''", "$top": "25",
                    "$select": "ConditionRecord,ConditionType"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        elements = response.json()["d"]["results"]
        assert elements, entity_set
        for element in elements:
            found = session.get(
                f"{sap}/API_SLSPRICINGCONDITIONRECORD_SRV"
                f"/A_SlsPrcgConditionRecord('{element['ConditionRecord']}')"
            )
            assert found.status_code == 200, (entity_set, element)
            record_type = found.json()["d"]["ConditionType"]
            assert (record_type == "PPR0") == (element["ConditionType"] == "PPR0"), element
            checked += 1
    assert checked == 50
