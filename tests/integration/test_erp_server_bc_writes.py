"""Writes as Business Central takes them, on a real server over a copy of the small dataset
(clock frozen): BC's header and line properties on create, header first then lines, line
PATCH/DELETE, document DELETE, shipAndInvoice, makeOrder's 204, new customers, items and
contacts, Idempotency-Key on every create."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp_server.bc_sets import stable_guid
from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "test-key"


@pytest.fixture(scope="module")
def db(history_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("erp-bc-writes") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    return path


@pytest.fixture(scope="module")
def api(db: Path) -> Iterator[str]:
    settings = ServerSettings(db=db, api_key=KEY, clock_speed=0)
    with ServerThread(settings) as running:
        yield running.url + "/api/v2.0"


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["api-key"] = KEY
        yield session


@pytest.fixture
def sql(db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    yield conn
    conn.close()


def error_of(response: requests.Response, status: int) -> str:
    """Our precise reason (BC's own code is `error.code`, checked where it matters)."""
    assert response.status_code == status, response.text
    return str(response.json()["error"]["details"][0]["code"])


def created(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def buyable(sql: sqlite3.Connection, offset: int = 0) -> tuple[str, str]:
    """A customer with a high credit limit and an item it buys, with stock where it ships."""
    row = sql.execute(
        "SELECT p.customer_no, p.item_no FROM customer_preferred_items p"
        " JOIN customers c ON c.no = p.customer_no JOIN items i ON i.no = p.item_no"
        " JOIN item_stock s ON s.item_no = p.item_no AND s.location_code = c.location_code"
        " WHERE c.blocked = '' AND i.blocked = 0 AND s.inventory >= 50"
        " AND p.unit_of_measure_code = i.base_unit_of_measure"
        " ORDER BY c.credit_limit DESC, p.customer_no, p.rank LIMIT 1 OFFSET ?",
        (offset,),
    ).fetchone()
    return str(row[0]), str(row[1])


def today(api: str, http: requests.Session) -> str:
    return str(http.get(f"{api}/$clock").json()["today"])


# --- 1. create with BC's field names ------------------------------------------------------
def test_create_order_with_bc_header_and_line_properties(
    api: str, http: requests.Session, sql
) -> None:
    customer, item = buyable(sql)
    currency, terms = sql.execute(
        "SELECT currency_code, payment_terms_code FROM customers WHERE no = ?", (customer,)
    ).fetchone()
    body = {
        "customerNumber": customer,
        "externalDocumentNumber": "PO-4711",
        "orderDate": today(api, http),
        "requestedDeliveryDate": "2030-01-15",
        "currencyCode": currency or "EUR",
        "paymentTermsId": stable_guid("paymentTerm", terms),
        "shipmentMethodId": stable_guid("shipmentMethod", "DAP"),
        "shipToName": "Almacén Norte",
        "shipToContact": "Ana Ruiz",
        "shipToAddressLine1": "Calle Mayor 1",
        "shipToAddressLine2": "Nave 3",
        "shipToCity": "Bilbao",
        "shipToCountry": "ES",
        "shipToState": "BI",
        "shipToPostCode": "48001",
        "phoneNumber": "+34 944 000 000",
        "email": "compras@example.com",
        "partialShipping": False,
        "salesOrderLines": [
            {
                "lineType": "Item",
                "lineObjectNumber": item,
                "quantity": 4,
                "unitPrice": 12.5,
                "discountPercent": 10,
                "sequence": 10000,
            }
        ],
    }
    order = created(http.post(f"{api}/salesOrders", json=body))
    for name, value in body.items():
        if name not in ("salesOrderLines", "currencyCode"):
            assert order[name] == value, name
    assert order["status"] == "Draft"
    (line,) = order["salesOrderLines"]
    assert (line["lineObjectNumber"], line["quantity"], line["sequence"]) == (item, 4.0, 10000)
    assert (line["unitPrice"], line["discountPercent"]) == (12.5, 10.0)
    assert line["amountExcludingTax"] == round(4 * 12.5 * 0.9, 2)
    assert order["totalAmountExcludingTax"] == line["amountExcludingTax"]
    extras = sql.execute(
        "SELECT external_document_number, ship_to_city, partial_shipping, shipment_method_code"
        " FROM erpsim_document_extras WHERE document_type = 'order' AND document_no = ?",
        (order["number"],),
    ).fetchone()
    assert extras == ("PO-4711", "Bilbao", 0, "DAP")


def test_create_refuses_what_bc_refuses(api: str, http: requests.Session, sql) -> None:
    customer, item = buyable(sql)
    line = {"lineObjectNumber": item, "quantity": 1}

    def post(**fields: Any) -> requests.Response:
        return http.post(
            f"{api}/salesOrders",
            json={"customerNumber": customer, "salesOrderLines": [line], **fields},
        )

    assert error_of(post(number="SO9999999"), 400) == "read_only_field"
    assert error_of(post(pricesIncludeTax=True), 400) == "invalid_value"
    assert post(pricesIncludeTax=False).status_code == 201
    assert error_of(post(status="Open"), 400) == "read_only_field"
    assert error_of(post(totalAmountIncludingTax=5), 400) == "read_only_field"
    assert error_of(post(colour="red"), 400) == "unknown_field"
    assert error_of(post(currencyCode="JPY"), 400) == "currency_mismatch"
    assert error_of(post(paymentTermsId=str(uuid.uuid4())), 400) == "payment_terms_mismatch"
    assert error_of(post(orderDate="2999-01-01"), 400) == "invalid_date"
    comment = {"customerNumber": customer, "salesOrderLines": [{"lineType": "Comment"}]}
    response = http.post(f"{api}/salesOrders", json=comment)
    assert error_of(response, 400) == "unsupported_line_type"
    bad_line = {"customerNumber": customer, "salesOrderLines": [{**line, "lineAmount": 3}]}
    assert error_of(http.post(f"{api}/salesOrders", json=bad_line), 400) == "read_only_field"


# --- 2. header first, then lines -----------------------------------------------------------
def test_header_first_then_lines_patch_and_delete(api: str, http: requests.Session, sql) -> None:
    customer, item = buyable(sql, 1)
    order = created(http.post(f"{api}/salesOrders", json={"customerNumber": customer}))
    assert (order["status"], order["salesOrderLines"]) == ("Draft", [])
    release = f"{api}/salesOrders({order['id']})/Microsoft.NAV.release"
    assert error_of(http.post(release), 409) == "order_has_no_lines"
    lines = f"{api}/salesOrders({order['id']})/salesOrderLines"
    first = created(http.post(lines, json={"itemId": _item_id(sql, item), "quantity": 2}))
    assert first["sequence"] == 10000
    assert first["id"] == order["id"][:24] + f"{10000:012x}"
    second = created(http.post(lines, json={"lineObjectNumber": item, "quantity": 1}))
    assert second["sequence"] == 20000
    price = http.post(
        f"{api}/calculatePrice",
        json={"customerNumber": customer, "itemNumber": item, "quantity": 6},
    ).json()

    url = f"{lines}({first['id']})"
    assert error_of(http.patch(url, json={"quantity": 6}), 428) == "precondition_required"
    changed = http.patch(url, json={"quantity": 6}, headers={"If-Match": first["@odata.etag"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["quantity"] == 6.0
    assert changed.json()["amountExcludingTax"] == price["lineAmount"]
    stale = http.patch(url, json={"quantity": 7}, headers={"If-Match": first["@odata.etag"]})
    assert error_of(stale, 412) == "precondition_failed"
    top = f"{api}/salesOrderLines({first['id']})"
    priced = http.patch(
        top, json={"unitPrice": 3.0}, headers={"If-Match": changed.json()["@odata.etag"]}
    )
    assert priced.status_code == 200, priced.text
    assert priced.json()["unitPrice"] == 3.0

    assert http.delete(f"{lines}({second['id']})").status_code == 204
    assert http.get(f"{lines}({second['id']})").status_code == 404
    third = created(http.post(lines, json={"lineObjectNumber": item, "quantity": 1}))
    assert third["sequence"] == 30000  # 20000 is never handed out again
    header = http.get(f"{api}/salesOrders({order['id']})?$expand=salesOrderLines").json()
    assert [ln["sequence"] for ln in header["salesOrderLines"]] == [10000, 30000]
    assert header["totalAmountExcludingTax"] == round(
        sum(ln["amountExcludingTax"] for ln in header["salesOrderLines"]), 2
    )

    assert http.post(release).status_code == 204
    more = http.post(lines, json={"lineObjectNumber": item, "quantity": 1})
    assert error_of(more, 409) == "order_not_editable"
    assert error_of(http.delete(f"{lines}({third['id']})"), 409) == "order_not_editable"
    assert error_of(http.delete(f"{api}/salesOrders({order['id']})"), 409) == "order_not_editable"


def _item_id(sql: sqlite3.Connection, item: str) -> str:
    return str(sql.execute("SELECT id FROM items WHERE no = ?", (item,)).fetchone()[0])


def test_quote_lines_and_delete(api: str, http: requests.Session, sql) -> None:
    customer, item = buyable(sql, 2)
    quote = created(
        http.post(
            f"{api}/salesQuotes",
            json={"customerNumber": customer, "externalDocumentNumber": "RFQ-1"},
        )
    )
    lines = f"{api}/salesQuotes({quote['id']})/salesQuoteLines"
    line = created(http.post(lines, json={"lineObjectNumber": item, "quantity": 3}))
    changed = http.patch(
        f"{api}/salesQuoteLines({line['id']})",
        json={"quantity": 5},
        headers={"If-Match": line["@odata.etag"]},
    )
    assert changed.status_code == 200, changed.text
    fresh = http.get(f"{api}/salesQuotes({quote['id']})").json()
    assert fresh["totalAmountExcludingTax"] == changed.json()["amountExcludingTax"]
    assert http.delete(f"{api}/salesQuotes({quote['id']})").status_code == 204
    assert error_of(http.get(f"{api}/salesQuotes({quote['id']})"), 404) == "not_found"
    assert sql.execute(
        "SELECT count(*) FROM sales_quote_lines WHERE document_no = ?", (quote["number"],)
    ).fetchone() == (0,)


# --- 3. delete an open order ---------------------------------------------------------------
def test_delete_an_open_order(api: str, http: requests.Session, sql) -> None:
    customer, item = buyable(sql, 3)
    body = {"customerNumber": customer, "salesOrderLines": [{"itemNumber": item, "quantity": 1}]}
    order = created(http.post(f"{api}/salesOrders", json=body))
    assert http.delete(f"{api}/salesOrders({order['id']})").status_code == 204
    assert error_of(http.get(f"{api}/salesOrders({order['id']})"), 404) == "not_found"
    assert error_of(http.delete(f"{api}/salesOrders({order['id']})"), 404) == "not_found"


# --- 4. bound actions ---------------------------------------------------------------------
def test_make_order_answers_204_and_the_order_is_found_by_its_quote(
    api: str, http: requests.Session, sql
) -> None:
    customer, item = buyable(sql, 4)
    quote = created(
        http.post(
            f"{api}/salesQuotes",
            json={
                "customerNumber": customer,
                "externalDocumentNumber": "RFQ-77",
                "salesQuoteLines": [{"lineObjectNumber": item, "quantity": 2}],
            },
        )
    )
    response = http.post(f"{api}/salesQuotes({quote['id']})/Microsoft.NAV.makeOrder")
    assert response.status_code == 204, response.text
    found = http.get(f"{api}/salesOrders?$filter=quoteNumber eq '{quote['number']}'").json()
    (order,) = found["value"]
    assert response.headers["Location"].endswith(f"salesOrders({order['id']})")
    assert order["externalDocumentNumber"] == "RFQ-77"


def test_ship_and_invoice(api: str, http: requests.Session, sql) -> None:
    customer, item = buyable(sql, 5)
    body = {"customerNumber": customer, "salesOrderLines": [{"itemNumber": item, "quantity": 2}]}
    order = created(http.post(f"{api}/salesOrders", json=body))
    stock_before = http.get(f"{api}/items({_item_id(sql, item)})").json()["inventory"]
    action = f"{api}/salesOrders({order['id']})/Microsoft.NAV.shipAndInvoice"
    assert http.post(action).status_code == 204
    fresh = http.get(f"{api}/salesOrders({order['id']})").json()
    assert fresh["lifecycleStatus"] == "Invoiced"
    assert fresh["fullyShipped"] is True
    invoices = http.get(f"{api}/salesInvoices?$filter=orderNumber eq '{order['number']}'").json()
    (invoice,) = invoices["value"]
    assert invoice["totalAmountExcludingTax"] == order["totalAmountExcludingTax"]
    assert invoice["status"] == "Open"
    assert http.get(f"{api}/items({_item_id(sql, item)})").json()["inventory"] == stock_before - 2
    assert error_of(http.post(action), 409) == "order_not_open"
    empty = created(http.post(f"{api}/salesOrders", json={"customerNumber": customer}))
    nothing = http.post(f"{api}/salesOrders({empty['id']})/Microsoft.NAV.shipAndInvoice")
    assert error_of(nothing, 409) == "order_not_open"


def test_metadata_declares_the_actions(api: str, http: requests.Session) -> None:
    text = http.get(f"{api}/$metadata").text
    for action, bound in (("shipAndInvoice", "salesOrder"), ("makeOrder", "salesQuote")):
        start = text.index(f'<Action Name="{action}" IsBound="true">')
        assert f'Type="Microsoft.NAV.{bound}"' in text[start : text.index("</Action>", start)]


# --- 5. master data -----------------------------------------------------------------------
def test_create_customer_item_contact_and_order_for_them(
    api: str, http: requests.Session, sql
) -> None:
    top = sql.execute("SELECT max(no) FROM customers").fetchone()[0]
    customer = created(http.post(f"{api}/customers", json={"displayName": "Nuevo Cliente SL"}))
    assert customer["number"] > top
    assert customer["displayName"] == "Nuevo Cliente SL"
    again = http.post(
        f"{api}/customers", json={"number": customer["number"], "displayName": "Otra"}
    )
    assert error_of(again, 400) == "entity_exists"
    item = created(
        http.post(f"{api}/items", json={"displayName": "Tornillo nuevo", "unitPrice": 10.0})
    )
    assert (item["unitPrice"], item["inventory"]) == (10.0, 0.0)
    assert error_of(http.post(f"{api}/items", json={"unitPrice": 1}), 400) == "missing_field"
    contact = created(
        http.post(
            f"{api}/contacts",
            json={"displayName": "Lucía Gómez", "customerNumber": customer["number"]},
        )
    )
    assert (contact["firstName"], contact["surname"]) == ("Lucía", "Gómez")
    order = created(
        http.post(
            f"{api}/salesOrders",
            json={
                "customerId": customer["id"],
                "contactNumber": contact["number"],
                "salesOrderLines": [{"itemId": item["id"], "quantity": 3}],
            },
        )
    )
    (line,) = order["salesOrderLines"]
    assert (line["unitPrice"], line["amountExcludingTax"]) == (10.0, 30.0)


# --- 6. idempotency -----------------------------------------------------------------------
def test_idempotency_key_on_every_create(api: str, http: requests.Session, sql) -> None:
    customer, item = buyable(sql, 6)
    order = created(http.post(f"{api}/salesOrders", json={"customerNumber": customer}))
    lines = f"{api}/salesOrders({order['id']})/salesOrderLines"
    body = {"lineObjectNumber": item, "quantity": 1}
    first = created(http.post(lines, json=body, headers={"Idempotency-Key": "line-1"}))
    again = http.post(lines, json=body, headers={"Idempotency-Key": "line-1"})
    assert created(again)["id"] == first["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = http.post(lines, json={**body, "quantity": 2}, headers={"Idempotency-Key": "line-1"})
    assert error_of(other, 422) == "idempotency_key_reused"
    new = {"displayName": "Cliente Idempotente"}
    one = created(http.post(f"{api}/customers", json=new, headers={"Idempotency-Key": "cu-1"}))
    two = created(http.post(f"{api}/customers", json=new, headers={"Idempotency-Key": "cu-1"}))
    assert one["id"] == two["id"]


# --- 4. draft invoices: create, makeInvoice, post, cancel ---------------------------------
def test_draft_invoice_header_first_then_post(api: str, http: requests.Session, sql) -> None:
    customer, item = buyable(sql, 7)
    draft = created(
        http.post(
            f"{api}/salesInvoices",
            json={"customerNumber": customer, "externalDocumentNumber": "INV-REF-1"},
        )
    )
    assert (draft["status"], draft["externalDocumentNumber"]) == ("Draft", "INV-REF-1")
    lines = f"{api}/salesInvoices({draft['id']})/salesInvoiceLines"
    line = created(http.post(lines, json={"lineObjectNumber": item, "quantity": 2}))
    extra = created(http.post(lines, json={"lineObjectNumber": item, "quantity": 9}))
    assert http.delete(f"{lines}({extra['id']})").status_code == 204
    fresh = http.get(f"{api}/salesInvoices({draft['id']})").json()
    assert fresh["totalAmountExcludingTax"] == line["amountExcludingTax"]
    stock_before = http.get(f"{api}/items({_item_id(sql, item)})").json()["inventory"]

    assert http.post(f"{api}/salesInvoices({draft['id']})/Microsoft.NAV.post").status_code == 204
    posted = http.get(f"{api}/salesInvoices({draft['id']})?$expand=salesInvoiceLines").json()
    assert posted["status"] == "Open"
    assert posted["number"] != draft["number"]
    assert posted["totalAmountExcludingTax"] == line["amountExcludingTax"]
    assert posted["externalDocumentNumber"] == "INV-REF-1"
    assert [ln["quantity"] for ln in posted["salesInvoiceLines"]] == [2.0]
    assert http.get(f"{api}/items({_item_id(sql, item)})").json()["inventory"] == stock_before - 2
    again = http.post(f"{api}/salesInvoices({draft['id']})/Microsoft.NAV.post")
    assert error_of(again, 409) == "invoice_not_editable"

    cancel = f"{api}/salesInvoices({draft['id']})/Microsoft.NAV.cancel"
    assert http.post(cancel).status_code == 204
    canceled = http.get(f"{api}/salesInvoices({draft['id']})").json()
    assert (canceled["status"], canceled["remainingAmount"]) == ("Canceled", 0.0)
    memos = http.get(
        f"{api}/salesCreditMemos?$filter=invoiceNumber eq '{posted['number']}'"
    ).json()["value"]
    assert sum(m["totalAmountExcludingTax"] for m in memos) == posted["totalAmountExcludingTax"]
    assert http.get(f"{api}/items({_item_id(sql, item)})").json()["inventory"] == stock_before
    assert error_of(http.post(cancel), 409) == "invoice_not_open"


def test_make_invoice_from_a_quote_and_delete_the_draft(
    api: str, http: requests.Session, sql
) -> None:
    customer, item = buyable(sql, 8)
    quote = created(
        http.post(
            f"{api}/salesQuotes",
            json={
                "customerNumber": customer,
                "salesQuoteLines": [{"lineObjectNumber": item, "quantity": 3, "unitPrice": 7.0}],
            },
        )
    )
    response = http.post(f"{api}/salesQuotes({quote['id']})/Microsoft.NAV.makeInvoice")
    assert response.status_code == 204, response.text
    draft = http.get(response.headers["Location"] + "?$expand=salesInvoiceLines").json()
    assert draft["status"] == "Draft"
    assert [(ln["quantity"], ln["unitPrice"]) for ln in draft["salesInvoiceLines"]] == [(3.0, 7.0)]
    assert http.get(f"{api}/salesQuotes({quote['id']})").json()["status"] == "Accepted"
    again = http.post(f"{api}/salesQuotes({quote['id']})/Microsoft.NAV.makeInvoice")
    assert error_of(again, 409) == "quote_not_open"
    assert http.delete(f"{api}/salesInvoices({draft['id']})").status_code == 204
    assert error_of(http.get(f"{api}/salesInvoices({draft['id']})"), 404) == "not_found"


def test_metadata_declares_the_invoice_actions(api: str, http: requests.Session) -> None:
    text = http.get(f"{api}/$metadata").text
    for action, bound in (
        ("makeInvoice", "salesQuote"),
        ("post", "salesInvoice"),
        ("cancel", "salesInvoice"),
    ):
        start = text.index(f'<Action Name="{action}" IsBound="true">')
        assert f'Type="Microsoft.NAV.{bound}"' in text[start : text.index("</Action>", start)]


def test_a_restarted_server_keeps_line_numbers_and_new_master_data(
    history_run, tmp_path: Path
) -> None:
    path = tmp_path / "erp.sqlite"
    shutil.copy(history_run.path, path)
    settings = ServerSettings(db=path, api_key=KEY, clock_speed=0)
    with sqlite3.connect(path) as conn:
        customer, item = buyable(conn)
    with requests.Session() as http:
        http.headers["api-key"] = KEY
        with ServerThread(settings) as running:
            api = running.url + "/api/v2.0"
            order = created(http.post(f"{api}/salesOrders", json={"customerNumber": customer}))
            lines = f"{api}/salesOrders({order['id']})/salesOrderLines"
            line = created(http.post(lines, json={"lineObjectNumber": item, "quantity": 1}))
            assert http.delete(f"{lines}({line['id']})").status_code == 204
            new = created(http.post(f"{api}/customers", json={"displayName": "Tras Reinicio SL"}))
        with ServerThread(settings) as running:
            api = running.url + "/api/v2.0"
            lines = f"{api}/salesOrders({order['id']})/salesOrderLines"
            again = created(http.post(lines, json={"lineObjectNumber": item, "quantity": 1}))
            assert again["sequence"] == 20000
            body = {"customerNumber": new["number"], "salesOrderLines": [line_of(item)]}
            created(http.post(f"{api}/salesOrders", json=body))


def line_of(item: str) -> dict[str, Any]:
    return {"lineObjectNumber": item, "quantity": 1}
