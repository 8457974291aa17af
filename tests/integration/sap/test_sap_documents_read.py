"""The follow-up document services read our shipments and invoices as SAP outbound
deliveries and billing documents; every value is checked against the dataset."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import requests

from simulator.erp_server.sap.codes import Codes, sap_unit

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
        elements = {e["PricingProcedureStep"]: e for e in served["to_PricingElement"]["results"]}
        price, tax = elements["010"], elements["900"]
        assert (price["ConditionType"], tax["ConditionType"]) == ("PPR0", "TTX1")
        assert float(price["ConditionRateValue"]) == pytest.approx(unit_price)
        assert float(tax["ConditionAmount"]) == pytest.approx(round(net * 0.21, 2))
        if pct > 0:
            discount = elements["030"]
            assert float(discount["ConditionRateValue"]) == pytest.approx(-pct)
            total = float(price["ConditionAmount"]) + float(discount["ConditionAmount"])
            assert total == pytest.approx(net, abs=0.011)
            records.append((discount, -pct))
        else:
            assert "030" not in elements
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
    body = _d(
        session.get(
            f"{sap}{BILLING}/A_BillingDocument",
            params={"$filter": f"SoldToParty eq '{customer}'", "$inlinecount": "allpages"},
        )
    )
    assert body["__count"] == str(invoices)


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
