"""API_SALES_ORDER_SIMULATION_SRV: a customer's prices from SAP without an order. Prices
are the shared pricing engine's (the BC calculatePrice route calls the same function),
confirmed quantities are bounded by stock, credit is checked, nothing is written."""

from __future__ import annotations

import math
import sqlite3
import xml.etree.ElementTree as ET

import pytest
import requests

from simulator.erp_server.server import ServerThread
from tests.integration.sap.conftest import sap_error
from tests.integration.sap.test_sap_sales_orders import bc_price
from tests.integration.sap.writing import (
    SIMULATION,
    count_orders,
    csrf,
    limited_customer,
    order,
    parties,
)

EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"


def simulate(session: requests.Session, sap: str, body: dict) -> requests.Response:
    return session.post(sap + SIMULATION + "/A_SalesOrderSimulation", json=body)


def test_the_service_has_sap_metadata(sap: str, session: requests.Session) -> None:
    response = session.get(sap + SIMULATION + "/$metadata")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    sets = {s.get("Name") for s in root.iter(f"{EDM}EntitySet")}
    assert {
        "A_SalesOrderSimulation",
        "A_SalesOrderItemSimulation",
        "A_SalesOrderCreditSimulation",
        "A_SalesOrderPricingSimulation",
    } <= sets
    names = {p.get("Name") for p in root.iter(f"{EDM}Property")}
    assert not any(name.startswith("ZZ1_") for name in names)


def test_simulation_prices_like_the_pricing_engine_and_writes_nothing(
    sap: str, sap_server: ServerThread, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    (other,) = sql.execute(
        "SELECT no FROM items WHERE blocked = 0 AND no <> ? ORDER BY unit_price DESC LIMIT 1",
        (item,),
    ).fetchone()
    before = count_orders(sql)
    response = simulate(
        csrf(session, sap, SIMULATION), sap, order(customer, (item, 25), (other, 3))
    )
    assert response.status_code == 201, response.text
    body = response.json()["d"]
    assert count_orders(sql) == before
    assert body["SoldToParty"] == customer
    total = 0.0
    location = sql.execute(
        "SELECT location_code FROM customers WHERE no = ?", (customer,)
    ).fetchone()[0]
    for result, (material, quantity) in zip(
        body["to_Item"]["results"], [(item, 25), (other, 3)], strict=True
    ):
        price = bc_price(sap_server, customer, material, quantity)
        assert result["Material"] == material
        assert float(result["NetAmount"]) == pytest.approx(price["lineAmount"])
        elements = {e["ConditionType"]: e for e in result["to_PricingElement"]["results"]}
        assert float(elements["PPR0"]["ConditionRateValue"]) == pytest.approx(price["unitPrice"])
        if price["discountPercent"]:
            rate = float(elements["K007"]["ConditionRateValue"])
            assert rate == pytest.approx(-price["discountPercent"])
        (stock,) = sql.execute(
            "SELECT inventory FROM item_stock WHERE item_no = ? AND location_code = ?",
            (material, location),
        ).fetchone()
        confirmed = float(result["ConfdDelivQtyInOrderQtyUnit"])
        assert confirmed == pytest.approx(min(quantity, max(stock, 0)), abs=1e-3)
        schedule = result["to_ScheduleLine"]["results"][0]
        assert float(schedule["ConfdOrderQtyByMatlAvailCheck"]) == pytest.approx(confirmed)
        total += price["lineAmount"]
    assert float(body["to_Pricing"]["TotalNetAmount"]) == pytest.approx(total, abs=0.01)
    assert body["to_Credit"]["TotalCreditCheckStatus"] == "A"
    assert [i["SalesOrderItem"] for i in body["to_Item"]["results"]] == ["10", "20"]


def test_simulation_shows_a_credit_block_instead_of_refusing(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, limit = limited_customer(sql)
    _, _, item = parties(sql)
    (price,) = sql.execute("SELECT unit_price FROM items WHERE no = ?", (item,)).fetchone()
    quantity = math.ceil(3 * limit / price) + 1
    response = simulate(csrf(session, sap, SIMULATION), sap, order(customer, (item, quantity)))
    assert response.status_code == 201, response.text
    assert response.json()["d"]["to_Credit"]["TotalCreditCheckStatus"] == "B"


def test_simulation_refusals_are_sap_errors(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    csrf(session, sap, SIMULATION)
    assert sap_error(simulate(session, sap, order("NOSUCH", (item, 1))), 400)["code"] == "V1/302"
    error = sap_error(simulate(session, sap, order(customer, ("NOSUCH-ITEM", 1))), 400)
    assert error["code"] == "V1/392"
    assert sap_error(simulate(session, sap, order(customer)), 400)["code"] == "V1/270"
    (blocked,) = sql.execute("SELECT no FROM items WHERE blocked = 1 LIMIT 1").fetchone()
    assert sap_error(simulate(session, sap, order(customer, (blocked, 1))), 400)["code"] == "V1/028"
