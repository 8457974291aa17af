"""API_SALES_ORDER_SRV over the live world: our orders read as SAP's (values checked
against SQLite), orders created by deep insert (seen by the BC API too, priced by the one
pricing engine), items added, changed and removed, header changes under If-Match, and
SAP's refusals (nothing written)."""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

import pytest
import requests

from simulator.erp_server.server import ServerThread
from tests.integration.sap.conftest import KEY, csrf_refused, sap_error
from tests.integration.sap.writing import (
    ORDERS,
    count_orders,
    csrf,
    limited_customer,
    order,
    parties,
)


def bc_price(server: ServerThread, customer: str, item: str, quantity: float) -> dict[str, Any]:
    response = requests.post(
        server.url + "/api/v2.0/calculatePrice",
        json={"customerNumber": customer, "itemNumber": item, "quantity": quantity},
        headers={"api-key": KEY},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def create(session: requests.Session, sap: str, body: dict[str, Any]) -> requests.Response:
    return session.post(sap + ORDERS + "/A_SalesOrder", json=body)


def test_an_order_reads_as_sap_shows_it(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    number, amount, customer, salesperson = sql.execute(
        "SELECT no, amount, customer_no, salesperson_code FROM sales_orders"
        " WHERE status = 'Invoiced' AND salesperson_code <> '' ORDER BY no LIMIT 1"
    ).fetchone()
    response = session.get(
        sap + ORDERS + f"/A_SalesOrder('{number}')",
        params={"$expand": "to_Item,to_Partner,to_Item/to_PricingElement"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"].startswith("W/\"datetimeoffset'")
    body = response.json()["d"]
    assert body["SoldToParty"] == customer
    assert (body["SalesOrderType"], body["SalesOrganization"]) == ("OR", "1010")
    assert float(body["TotalNetAmount"]) == pytest.approx(amount)
    assert body["OverallSDProcessStatus"] == "C"
    assert body["OverallTotalDeliveryStatus"] == "C"
    assert body["TotalCreditCheckStatus"] == "A"
    lines = sql.execute(
        "SELECT line_no, item_no, quantity, unit_price, line_discount_pct, line_amount"
        " FROM sales_order_lines WHERE document_no = ? ORDER BY line_no",
        (number,),
    ).fetchall()
    items = body["to_Item"]["results"]
    assert [i["SalesOrderItem"] for i in items] == [str(ln // 1000) for ln, *_ in lines]
    for item, (_, material, quantity, price, discount, line_amount) in zip(
        items, lines, strict=True
    ):
        assert item["Material"] == material
        assert float(item["RequestedQuantity"]) == pytest.approx(quantity)
        assert float(item["NetAmount"]) == pytest.approx(line_amount)
        elements = {e["ConditionType"]: e for e in item["to_PricingElement"]["results"]}
        assert float(elements["PPR0"]["ConditionRateValue"]) == pytest.approx(price)
        if discount:
            assert float(elements["K007"]["ConditionRateValue"]) == pytest.approx(-discount)
    partners = {p["PartnerFunction"]: p for p in body["to_Partner"]["results"]}
    assert {"AG", "WE", "RE", "RG", "VE"} <= set(partners)
    assert partners["WE"]["Customer"] == customer
    codes = [code for (code,) in sql.execute("SELECT code FROM salespeople ORDER BY code")]
    assert partners["VE"]["Personnel"] == str(50000001 + codes.index(salesperson))


def test_an_order_held_for_credit_is_credit_blocked(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    row = sql.execute("SELECT no FROM sales_orders WHERE status = 'Pending Approval'").fetchone()
    if row is None:
        pytest.skip("no order waits for credit approval in this dataset")
    body = session.get(sap + ORDERS + f"/A_SalesOrder('{row[0]}')").json()["d"]
    assert body["TotalCreditCheckStatus"] == "B"
    assert body["DeliveryBlockReason"] == "01"


def test_deep_insert_creates_the_order_the_bc_api_shows(
    sap: str, sap_server: ServerThread, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    (other,) = sql.execute(
        "SELECT no FROM items WHERE blocked = 0 AND no <> ? ORDER BY no LIMIT 1", (item,)
    ).fetchone()
    csrf(session, sap)
    body = order(
        customer,
        (item, 3),
        (other, 12),
        PurchaseOrderByCustomer="PO-SAP-1",
        to_Text={"results": []},
        RequestedDeliveryDate="/Date(1798761600000)/",  # 2027-01-01
    )
    response = create(session, sap, body)
    assert response.status_code == 201, response.text
    created = response.json()["d"]
    number = created["SalesOrder"]
    assert response.headers["location"].endswith(f"/A_SalesOrder('{number}')")
    assert response.headers["etag"] == created["__metadata"]["etag"]
    message = json.loads(response.headers["sap-message"])
    assert (message["code"], message["severity"]) == ("V1/311", "success")
    assert number in message["message"]
    assert created["PurchaseOrderByCustomer"] == "PO-SAP-1"
    assert created["RequestedDeliveryDate"] == "/Date(1798761600000)/"
    items = created["to_Item"]["results"]
    assert [i["SalesOrderItem"] for i in items] == ["10", "20"]
    for sap_item, (material, quantity) in zip(items, [(item, 3), (other, 12)], strict=True):
        price = bc_price(sap_server, customer, material, quantity)
        assert float(sap_item["NetAmount"]) == pytest.approx(price["lineAmount"])
    bc = requests.get(
        sap_server.url + "/api/v2.0/salesOrders",
        params={"$filter": f"number eq '{number}'", "$expand": "salesOrderLines"},
        headers={"api-key": KEY},
        timeout=30,
    ).json()["value"]
    assert len(bc) == 1
    assert bc[0]["customerNumber"] == customer
    assert bc[0]["externalDocumentNumber"] == "PO-SAP-1"
    assert bc[0]["requestedDeliveryDate"] == "2027-01-01"
    assert float(created["TotalNetAmount"]) == pytest.approx(bc[0]["totalAmountExcludingTax"])
    assert [ln["lineObjectNumber"] for ln in bc[0]["salesOrderLines"]] == [item, other]


def test_writes_need_the_csrf_token(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    before = count_orders(sql)
    response = create(session, sap, order(customer, (item, 1)))
    csrf_refused(response)
    assert count_orders(sql) == before


@pytest.mark.parametrize(
    ("change", "code", "target"),
    [
        ({"SoldToParty": "NOSUCH"}, "V1/302", "SoldToParty"),
        ({"SalesOrderType": "ZOR"}, "V1/025", "SalesOrderType"),
        ({"SalesOrganization": "9999"}, "V1/316", "SalesOrganization"),
        ({"material": "NOSUCH-ITEM"}, "V1/392", "Material"),
        ({"quantity": "0"}, "V1/064", "RequestedQuantity"),
        ({"quantity": "many"}, "/IWBEP/CM_MGW_RT/022", "RequestedQuantity"),
        ({"unit": "XYZ"}, "V1/093", "RequestedQuantityUnit"),
        ({"Colour": "red"}, "/IWBEP/CM_MGW_RT/020", "Colour"),
        ({"to_Text": [{"LongText": "x"}]}, "/IWBEP/CM_MGW_RT/020", "to_Text"),
    ],
)
def test_sap_refuses_what_sap_would(
    sap: str,
    session: requests.Session,
    sql: sqlite3.Connection,
    change: dict[str, str],
    code: str,
    target: str,
) -> None:
    customer, _, item = parties(sql)
    body = order(customer, (item, 1))
    line = body["to_Item"]["results"][0]
    if "material" in change:
        line["Material"] = change["material"]
    elif "quantity" in change:
        line["RequestedQuantity"] = change["quantity"]
    elif "unit" in change:
        line["RequestedQuantityUnit"] = change["unit"]
    else:
        body.update(change)
    before = count_orders(sql)
    error = sap_error(create(csrf(session, sap), sap, body), 400)
    assert error["code"] == code
    assert error["innererror"]["errordetails"][0]["target"] == target
    assert count_orders(sql) == before


def test_blocked_customer_and_credit_limit_are_sap_refusals(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    csrf(session, sap)
    _, _, item = parties(sql)
    before = count_orders(sql)
    blocked = sql.execute("SELECT no FROM customers WHERE blocked = 'All' LIMIT 1").fetchone()
    if blocked is not None:
        error = sap_error(create(session, sap, order(blocked[0], (item, 1))), 400)
        assert error["code"] == "V1/462"
    customer, limit = limited_customer(sql)
    (price,) = sql.execute("SELECT unit_price FROM items WHERE no = ?", (item,)).fetchone()
    quantity = math.ceil(3 * limit / price) + 1
    error = sap_error(create(session, sap, order(customer, (item, quantity))), 400)
    assert error["code"] == "V1/154"
    assert "credit limit" in error["message"]["value"]
    assert count_orders(sql) == before


def _open_order(session: requests.Session, sap: str, sql: sqlite3.Connection) -> dict[str, Any]:
    customer, _, item = parties(sql)
    response = create(csrf(session, sap), sap, order(customer, (item, 2), (item, 5)))
    assert response.status_code == 201, response.text
    return dict(response.json()["d"])


def test_items_are_added_changed_and_removed(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    created = _open_order(session, sap, sql)
    number = created["SalesOrder"]
    material = created["to_Item"]["results"][0]["Material"]
    added = session.post(
        sap + ORDERS + f"/A_SalesOrder('{number}')/to_Item",
        json={"Material": material, "RequestedQuantity": "4", "RequestedQuantityUnit": "PC"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["d"]["SalesOrderItem"] == "30"
    direct = session.post(
        sap + ORDERS + "/A_SalesOrderItem",
        json={"SalesOrder": number, "SalesOrderItem": "50", "Material": material,
              "RequestedQuantity": "1"},
    )  # fmt: skip
    assert direct.status_code == 201, direct.text
    assert direct.headers["location"].endswith(
        f"/A_SalesOrderItem(SalesOrder='{number}',SalesOrderItem='50')"
    )
    item_url = sap + ORDERS + f"/A_SalesOrderItem(SalesOrder='{number}',SalesOrderItem='20')"
    changed = session.request("MERGE", item_url, json={"RequestedQuantity": "7"})
    assert changed.status_code == 204, changed.text
    quantity, amount = sql.execute(
        "SELECT quantity, line_amount FROM sales_order_lines WHERE document_no = ?"
        " AND line_no = 20000",
        (number,),
    ).fetchone()
    assert quantity == 7
    item = session.get(item_url).json()["d"]
    assert float(item["NetAmount"]) == pytest.approx(amount)
    assert session.delete(item_url).status_code == 204
    sap_error(session.get(item_url), 404)
    items = session.get(sap + ORDERS + f"/A_SalesOrder('{number}')/to_Item").json()["d"]
    assert [i["SalesOrderItem"] for i in items["results"]] == ["10", "30", "50"]
    bad = session.request("MERGE", item_url.replace("'20'", "'10'"), json={"Material": "X"})
    assert sap_error(bad, 400)["code"] == "V1/555"


def test_header_changes_need_the_etag(
    sap: str, sap_server: ServerThread, session: requests.Session, sql: sqlite3.Connection
) -> None:
    created = _open_order(session, sap, sql)
    url = sap + ORDERS + f"/A_SalesOrder('{created['SalesOrder']}')"
    change = {"PurchaseOrderByCustomer": "PO-CHANGED"}
    error = sap_error(session.request("MERGE", url, json=change), 428)
    assert "If-Match" in error["message"]["value"]
    stale = "W/\"datetimeoffset'2001-01-01T00%3A00%3A00.0000000Z'\""
    sap_error(session.request("MERGE", url, json=change, headers={"If-Match": stale}), 412)
    tag = session.get(url).headers["etag"]
    response = session.request("MERGE", url, json=change, headers={"If-Match": tag})
    assert response.status_code == 204, response.text
    after = session.get(url)
    assert after.json()["d"]["PurchaseOrderByCustomer"] == "PO-CHANGED"
    # the clock stands still (clock_speed 0), yet the change moved the ETag: the first
    # writer's tag is stale now
    assert after.headers["etag"] == response.headers["etag"] != tag
    again = {"PurchaseOrderByCustomer": "PO-LOST-UPDATE"}
    sap_error(session.request("MERGE", url, json=again, headers={"If-Match": tag}), 412)
    bc = requests.get(
        sap_server.url + "/api/v2.0/salesOrders",
        params={"$filter": f"number eq '{created['SalesOrder']}'"},
        headers={"api-key": KEY},
        timeout=30,
    ).json()["value"]
    assert bc[0]["externalDocumentNumber"] == "PO-CHANGED"
    patched = session.patch(
        url,
        json={"RequestedDeliveryDate": "/Date(1799280000000)/"},  # 2027-01-07
        headers={"If-Match": session.get(url).headers["etag"]},
    )
    assert patched.status_code == 204, patched.text
    assert session.get(url).json()["d"]["RequestedDeliveryDate"] == "/Date(1799280000000)/"
    bad = session.request("MERGE", url, json={"SoldToParty": "C1"}, headers={"If-Match": "*"})
    assert sap_error(bad, 400)["code"] == "V1/555"


def test_an_open_order_is_deleted_and_a_shipped_one_is_not(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    created = _open_order(session, sap, sql)
    url = sap + ORDERS + f"/A_SalesOrder('{created['SalesOrder']}')"
    sap_error(session.delete(url), 428)
    tag = session.get(url).headers["etag"]
    assert session.delete(url, headers={"If-Match": tag}).status_code == 204
    sap_error(session.get(url), 404)
    (invoiced,) = sql.execute(
        "SELECT no FROM sales_orders WHERE status = 'Invoiced' LIMIT 1"
    ).fetchone()
    error = sap_error(
        session.delete(sap + ORDERS + f"/A_SalesOrder('{invoiced}')", headers={"If-Match": "*"}),
        400,
    )
    assert error["code"] == "V1/042"


def test_read_only_sets_refuse_writes(sap: str, session: requests.Session) -> None:
    csrf(session, sap, "/API_MATERIAL_STOCK_SRV")
    response = session.post(sap + "/API_MATERIAL_STOCK_SRV/A_MaterialStock", json={})
    error = sap_error(response, 405)
    assert "not creatable" in error["message"]["value"]


def test_items_sort_by_number_as_sap_sorts_them(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    row = sql.execute(
        "SELECT document_no FROM sales_order_lines GROUP BY document_no"
        " HAVING max(line_no) >= 100000 LIMIT 1"
    ).fetchone()
    if row is None:
        pytest.skip("no order with ten items or more in this dataset")
    lines = [n for (n,) in sql.execute(
        "SELECT line_no FROM sales_order_lines WHERE document_no = ? ORDER BY line_no", row
    )]  # fmt: skip
    expected = [str(n // 1000) for n in lines]
    expanded = session.get(
        sap + ORDERS + f"/A_SalesOrder('{row[0]}')", params={"$expand": "to_Item"}
    ).json()["d"]["to_Item"]["results"]
    assert [i["SalesOrderItem"] for i in expanded] == expected
    url = sap + ORDERS + "/A_SalesOrderItem"
    params = {"$filter": f"SalesOrder ge '{row[0]}'", "$select": "SalesOrder,SalesOrderItem"}
    seen: list[tuple[str, int]] = []
    next_url: str | None = None
    for _ in range(4):  # keyset pages (__next) keep SAP's numeric item order
        response = session.get(next_url or url, params=None if next_url else params)
        body = response.json()["d"]
        seen += [(i["SalesOrder"], int(i["SalesOrderItem"])) for i in body["results"]]
        next_url = body.get("__next")
        if next_url is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) > len(expected)
    assert [str(n) for o, n in seen if o == row[0]] == expected


def test_a_full_body_update_changes_only_what_differs(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    created = _open_order(session, sap, sql)
    url = sap + ORDERS + f"/A_SalesOrder('{created['SalesOrder']}')"
    read = session.get(url)
    body = {k: v for k, v in read.json()["d"].items() if not k.startswith("__") and "to_" not in k}
    body["PurchaseOrderByCustomer"] = "PO-PUT"
    response = session.put(url, json=body, headers={"If-Match": read.headers["etag"]})
    assert response.status_code == 204, response.text
    assert session.get(url).json()["d"]["PurchaseOrderByCustomer"] == "PO-PUT"
    body["SoldToParty"] = "C999999"
    refused = session.put(url, json=body, headers={"If-Match": "*"})
    assert sap_error(refused, 400)["innererror"]["errordetails"][0]["target"] == "SoldToParty"
    item_url = sap + ORDERS + f"/A_SalesOrderItem(SalesOrder='{created['SalesOrder']}',"
    item_url += "SalesOrderItem='10')"
    item = {k: v for k, v in session.get(item_url).json()["d"].items() if not k.startswith("_")}
    item = {k: v for k, v in item.items() if not k.startswith("to_")} | {"RequestedQuantity": "9"}
    assert session.put(item_url, json=item).status_code == 204
    assert session.get(item_url).json()["d"]["RequestedQuantity"] == "9.000"


def test_manual_price_and_discount_conditions_are_taken(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    body = order(customer, (item, 4))
    body["to_Item"]["results"][0]["to_PricingElement"] = {
        "results": [
            {"ConditionType": "PPR0", "ConditionRateValue": "12.5"},
            {"ConditionType": "K007", "ConditionRateValue": "-10"},
        ]
    }
    response = create(csrf(session, sap), sap, body)
    assert response.status_code == 201, response.text
    number = response.json()["d"]["SalesOrder"]
    price, discount, amount = sql.execute(
        "SELECT unit_price, line_discount_pct, line_amount FROM sales_order_lines"
        " WHERE document_no = ?",
        (number,),
    ).fetchone()
    assert (price, discount) == (12.5, 10.0)
    assert amount == pytest.approx(45.0)
    wrong = order(customer, (item, 1))
    wrong["to_Item"]["results"][0]["to_PricingElement"] = [{"ConditionType": "ZZZZ"}]
    assert sap_error(create(session, sap, wrong), 400)["code"] == "V1/212"
