"""The buyer's documents in the store, end to end against the real mock ERP (clock frozen)
and the real store: checkout through the outbox (also across an ERP outage), order history
with offline orders, tracking, reorder with its notices, quote to order, invoices (search,
pay, copy) and return requests. What the ERP ends up holding is read back from the ERP."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import requests

from simulator.erp_server.client import ErpClient
from simulator.store import catalog, orders
from simulator.store.server import StoreThread
from tests.integration.polling import poll

if TYPE_CHECKING:
    from tests.integration.store_fixtures import DemoUsers, StoreSession

pytest_plugins = ["tests.integration.store_fixtures"]


@pytest.fixture(scope="module")
def users(store: StoreThread, demo_users: Any) -> DemoUsers:
    return demo_users(store)  # type: ignore[no-any-return]


@pytest.fixture
def buyer(store: StoreThread, users: DemoUsers, login: Any) -> Iterator[StoreSession]:
    session = login(store, users.buyer.email, users.buyer.password)
    yield session
    session.close()


@pytest.fixture(scope="module")
def today(erp_client: ErpClient) -> dt.date:
    return dt.date.fromisoformat(erp_client.clock()["today"])


@contextlib.contextmanager
def store_db(store: StoreThread) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(store.settings.db)
    try:
        yield conn
    finally:
        conn.close()


def events(store: StoreThread, type_: str, customer: str) -> list[dict[str, Any]]:
    with store_db(store) as conn:
        rows = conn.execute(
            "SELECT detail FROM events WHERE type = ? AND customer_no = ? ORDER BY id",
            (type_, customer),
        ).fetchall()
    return [orjson.loads(detail) for (detail,) in rows]


def error(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert set(body) == {"code", "message"}
    return str(body["code"])


def cheap_items(session: StoreSession, count: int, *, stock: float = 10) -> list[dict[str, Any]]:
    """The account's cheapest orderable items with some stock (small orders stay far
    below the credit limit)."""
    page = session.get("/api/items", params={"pageSize": 100})
    assert page.status_code == 200, page.text
    items = [
        item
        for item in page.json()["items"]
        if item["offer"] and not item["offer"].get("error") and item["offer"]["available"] >= stock
    ]
    items.sort(key=lambda item: (item["offer"]["netUnitPrice"], item["number"]))
    assert len(items) >= count
    return items[:count]


def fill_cart(session: StoreSession, lines: list[tuple[str, float]], name: str = "test") -> int:
    created = session.post("/api/carts", json={"name": name})
    assert created.status_code == 201, created.text
    cart_id = int(created.json()["id"])
    for item, quantity in lines:
        answer = session.put(
            f"/api/carts/{cart_id}/lines", json={"itemNumber": item, "quantity": quantity}
        )
        assert answer.status_code == 200, answer.text
    return cart_id


def erp_order(erp: ErpClient, number: str) -> dict[str, Any]:
    (order,) = erp.iter("salesOrders", filter=f"number eq '{number}'", expand="salesOrderLines")
    return order


def test_checkout_creates_the_erp_order_once(
    store: StoreThread, buyer: StoreSession, users: DemoUsers, erp_client: ErpClient, today: dt.date
) -> None:
    customer = users.buyer.customer_no
    items = cheap_items(buyer, 2)
    cart_id = fill_cart(buyer, [(items[0]["number"], 2), (items[1]["number"], 3)])
    before = erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'")
    body = {"requestedDeliveryDate": (today + dt.timedelta(days=3)).isoformat()}
    answer = buyer.post(f"/api/carts/{cart_id}/checkout", json=body)
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    assert placed["status"] == "accepted"
    order = erp_order(erp_client, placed["erpNumber"])
    assert order["customerNumber"] == customer
    assert order["channel"] == "web"
    assert order["contactNumber"] == users.buyer.contact_no
    assert order["requestedDeliveryDate"] == body["requestedDeliveryDate"]
    lines = sorted((x["itemNumber"], x["quantity"]) for x in order["salesOrderLines"])
    assert lines == sorted([(items[0]["number"], 2.0), (items[1]["number"], 3.0)])
    # A second click answers the same document; the ERP has the order once.
    again = buyer.post(f"/api/carts/{cart_id}/checkout", json=body)
    assert again.status_code == 201, again.text
    assert again.json()["document"] == placed["document"]
    assert again.json()["replayed"] is True
    after = erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'")
    assert after == before + 1
    assert buyer.get(f"/api/carts/{cart_id}").json()["status"] == "ordered"
    assert {"document": placed["document"], "lines": 2, "reorder": False} in events(
        store, "order", customer
    )
    document = buyer.get(f"/api/documents/{placed['document']}")
    assert document.json()["erpNumber"] == placed["erpNumber"]


def test_checkout_with_a_client_key_is_idempotent(
    buyer: StoreSession, erp_client: ErpClient, today: dt.date
) -> None:
    items = cheap_items(buyer, 1)
    cart_id = fill_cart(buyer, [(items[0]["number"], 1)])
    body = {
        "requestedDeliveryDate": (today + dt.timedelta(days=1)).isoformat(),
        "idempotencyKey": "checkout-key-0001",
    }
    first = buyer.post(f"/api/carts/{cart_id}/checkout", json=body).json()
    second = buyer.post(f"/api/carts/{cart_id}/checkout", json=body).json()
    assert first["document"] == second["document"]
    assert first["erpNumber"] == second["erpNumber"]
    assert erp_client.count("salesOrders", filter=f"number eq '{first['erpNumber']}'") == 1


def test_concurrent_checkouts_of_one_cart_make_one_order(
    store: StoreThread, buyer: StoreSession, users: DemoUsers, erp_client: ErpClient, today: dt.date
) -> None:
    """Ten checkouts of one cart at once, each with its own key: the cart is claimed once,
    so the ERP gets one order and every checkout answers with that document."""
    customer = users.buyer.customer_no
    items = cheap_items(buyer, 1)
    cart_id = fill_cart(buyer, [(items[0]["number"], 1)])
    before = erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'")
    start = threading.Barrier(10)
    url = f"{store.url}/api/carts/{cart_id}/checkout"
    headers = dict(buyer.headers)

    def checkout(n: int) -> requests.Response:
        body = {"requestedDeliveryDate": today.isoformat(), "idempotencyKey": f"race-{n:04d}-key"}
        start.wait(timeout=30)
        return requests.post(url, json=body, headers=headers, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(checkout, range(10)))
    assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers]
    documents = {a.json()["document"] for a in answers}
    assert len(documents) == 1
    assert sorted(a.json().get("replayed", False) for a in answers) == [False] + [True] * 9
    with store_db(store) as conn:
        (made,) = conn.execute(
            "SELECT count(*) FROM web_documents WHERE json_extract(request_json, '$.cart') = ?",
            (cart_id,),
        ).fetchone()
    assert made == 1
    (document,) = documents
    poll(
        lambda: buyer.get(f"/api/documents/{document}").json()["status"] == "accepted",
        "the order to reach the ERP",
    )
    after = erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'")
    assert after == before + 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"requestedDeliveryDate": "DAYS-1"}, "invalid_date"),
        ({"requestedDeliveryDate": "DAYS400"}, "invalid_date"),
        ({"requestedDeliveryDate": "2026-13-01"}, "invalid_date"),
        ({"requestedDeliveryDate": "tomorrow"}, "invalid_request"),
        ({}, "invalid_request"),
        ({"requestedDeliveryDate": "DAYS2", "recurrence": {"everyDays": 3}}, "invalid_request"),
        ({"requestedDeliveryDate": "DAYS2", "recurrence": {"everyDays": 400}}, "invalid_request"),
        ({"requestedDeliveryDate": "DAYS2", "idempotencyKey": "short"}, "invalid_request"),
        ({"requestedDeliveryDate": "DAYS2", "extra": 1}, "invalid_request"),
    ],
)
def test_checkout_rejects_bad_input(
    buyer: StoreSession, today: dt.date, body: dict[str, Any], code: str
) -> None:
    cart_id = fill_cart(buyer, [(cheap_items(buyer, 1)[0]["number"], 1)])
    date = body.get("requestedDeliveryDate", "")
    if date.startswith("DAYS"):
        body = {
            **body,
            "requestedDeliveryDate": (today + dt.timedelta(days=int(date[4:]))).isoformat(),
        }
    answer = buyer.post(f"/api/carts/{cart_id}/checkout", json=body)
    assert error(answer, 400) == code
    assert buyer.get(f"/api/carts/{cart_id}").json()["status"] == "open"


def test_checkout_of_missing_or_empty_carts(buyer: StoreSession, today: dt.date) -> None:
    body = {"requestedDeliveryDate": today.isoformat()}
    assert error(buyer.post("/api/carts/999999/checkout", json=body), 404) == "not_found"
    assert error(buyer.post("/api/carts/0/checkout", json=body), 400) == "invalid_request"
    empty = buyer.post("/api/carts", json={"name": "empty"}).json()["id"]
    assert error(buyer.post(f"/api/carts/{empty}/checkout", json=body), 409) == "cart_empty"


def test_recurring_order_schedules_the_next_one(
    store: StoreThread, buyer: StoreSession, erp_client: ErpClient, today: dt.date
) -> None:
    item = cheap_items(buyer, 1)[0]["number"]
    cart_id = fill_cart(buyer, [(item, 1)])
    first_date = today + dt.timedelta(days=2)
    body = {"requestedDeliveryDate": first_date.isoformat(), "recurrence": {"everyDays": 14}}
    placed = buyer.post(f"/api/carts/{cart_id}/checkout", json=body).json()
    assert placed["status"] == "accepted"
    assert placed["recurrence"] == {"everyDays": 14}
    next_date = first_date + dt.timedelta(days=14)
    with store_db(store) as conn:
        schedule = conn.execute(
            "SELECT every_days, next_date, active FROM recurring_orders WHERE document_id = ?",
            (placed["document"],),
        ).fetchone()
    assert schedule == (14, next_date.isoformat(), 1)
    created = orders.place_due_recurring(store.ctx, next_date)
    assert len(created) == 1
    assert store.ctx.outbox.drain(timeout=30) == 0
    document = buyer.get(f"/api/documents/{created[0]}").json()
    assert document["status"] == "accepted"
    order = erp_order(erp_client, document["erpNumber"])
    assert order["requestedDeliveryDate"] == next_date.isoformat()
    assert [x["itemNumber"] for x in order["salesOrderLines"]] == [item]
    assert orders.place_due_recurring(store.ctx, next_date) == []  # moved on


def test_history_includes_offline_orders(
    buyer: StoreSession, users: DemoUsers, erp_client: ErpClient, today: dt.date
) -> None:
    customer = users.buyer.customer_no
    cart_id = fill_cart(buyer, [(cheap_items(buyer, 1)[0]["number"], 1)])
    placed = buyer.post(
        f"/api/carts/{cart_id}/checkout", json={"requestedDeliveryDate": today.isoformat()}
    ).json()
    assert placed["status"] == "accepted"
    in_erp = {
        o["number"]: o["channel"]
        for o in erp_client.iter("salesOrders", filter=f"customerNumber eq '{customer}'")
    }
    seen: dict[str, str] = {}
    page = 1
    while True:
        answer = buyer.get("/api/orders", params={"page": page})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["stale"] is False
        assert body["total"] == len(in_erp)
        seen |= {o["number"]: o["channel"] for o in body["orders"]}
        if page * body["pageSize"] >= body["total"]:
            break
        page += 1
    assert seen == in_erp
    assert seen[placed["erpNumber"]] == "web"
    assert set(seen.values()) - {"web"}  # phone, e-mail, EDI, rep orders too


def test_tracking_shows_lines_shipments_and_invoices(
    store: StoreThread, buyer: StoreSession, users: DemoUsers, erp_client: ErpClient
) -> None:
    customer = users.buyer.customer_no
    (order,) = erp_client.iter(
        "salesOrders",
        filter=f"customerNumber eq '{customer}' and lifecycleStatus eq 'Invoiced'",
        orderby="orderDate desc",
        top=1,
    )
    number = order["number"]
    answer = buyer.get(f"/api/orders/{number}")
    assert answer.status_code == 200, answer.text
    tracked = answer.json()
    shipments = list(erp_client.iter("salesShipments", filter=f"orderNumber eq '{number}'"))
    invoices = list(erp_client.iter("salesInvoices", filter=f"orderNumber eq '{number}'"))
    assert tracked["status"] == "Invoiced"
    assert len(tracked["lines"]) == len(erp_order(erp_client, number)["salesOrderLines"])
    assert {s["number"] for s in tracked["shipments"]} == {s["number"] for s in shipments}
    assert all(s["lines"] for s in tracked["shipments"])
    assert {i["number"] for i in tracked["invoices"]} == {i["number"] for i in invoices}
    assert {"order": number} in events(store, "track_order", customer)
    assert error(buyer.get("/api/orders/SO9999999"), 404) == "not_found"


def test_reorder_reprices_with_notices_for_changed_prices(
    store: StoreThread, buyer: StoreSession, users: DemoUsers, erp_client: ErpClient
) -> None:
    customer = users.buyer.customer_no
    assert customer is not None
    history = erp_client.iter(
        "salesOrders", filter=f"customerNumber eq '{customer}'", orderby="orderDate",
        expand="salesOrderLines",
    )  # fmt: skip
    for order in history:  # the oldest order with a price the ERP quotes differently today
        changed = set()
        for line in order["salesOrderLines"]:
            today = erp_client.calculate_price(
                customer, line["itemNumber"], line["quantity"], unit=line["unitOfMeasureCode"]
            )
            before = line["unitPrice"] * (1 - line["discountPercent"] / 100)
            if abs(today["netUnitPrice"] - before) > orders.PRICE_TOLERANCE:
                changed.add(line["itemNumber"])
        if changed:
            break
    else:
        pytest.fail("no order of the account has a changed price")
    answer = buyer.post(f"/api/orders/{order['number']}/reorder")
    assert answer.status_code == 201, answer.text
    result = answer.json()
    notices = {n["itemNumber"] for n in result["notices"] if n["code"] == "price_changed"}
    assert notices == changed
    cart = buyer.get(f"/api/carts/{result['cart']}").json()
    assert cart["status"] == "open"
    assert {line["itemNumber"] for line in cart["lines"]} == {
        line["itemNumber"] for line in order["salesOrderLines"]
    }
    assert events(store, "reorder", customer)[-1]["order"] == order["number"]


def test_reorder_notices_short_stock_blocked_and_assortment(
    store: StoreThread,
    buyer: StoreSession,
    users: DemoUsers,
    erp_client: ErpClient,
    today: dt.date,
) -> None:
    customer = users.buyer.customer_no
    assert customer is not None
    # The least stocked of the cheap items: ordering more than its stock stays a small order.
    candidates = cheap_items(buyer, 10)
    low = min(candidates, key=lambda i: (i["offer"]["available"], i["number"]))
    short, available = low["number"], low["offer"]["available"]
    blocked = next(i["number"] for i in candidates if i["number"] != short)
    with store_db(store) as conn:
        outside = next(
            no
            for no, category in conn.execute(
                "SELECT no, item_category_code FROM items WHERE blocked = 0 ORDER BY no"
            )
            if not catalog.in_assortment(store.ctx, customer, category)
        )
    assert error(buyer.get(f"/api/items/{outside}"), 404) == "not_found"
    lines = [(short, "", available + 5), (blocked, "", 1), (outside, "", 1)]
    order = erp_client.create_order(customer, lines, requestedDeliveryDate=today.isoformat())
    with store_db(store) as conn, conn:  # the ERP blocks the item; a sync brings it here
        conn.execute("UPDATE items SET blocked = 1 WHERE no = ?", (blocked,))
    try:
        answer = buyer.post(f"/api/orders/{order['number']}/reorder", json={"name": "again"})
    finally:
        with store_db(store) as conn, conn:
            conn.execute("UPDATE items SET blocked = 0 WHERE no = ?", (blocked,))
    assert answer.status_code == 201, answer.text
    result = answer.json()
    codes = {(n["itemNumber"], n["code"]) for n in result["notices"]}
    assert codes == {(short, "stock_short"), (blocked, "blocked"), (outside, "not_in_assortment")}
    stock = next(n for n in result["notices"] if n["code"] == "stock_short")
    assert (stock["available"], stock["needed"]) == (available, available + 5)
    cart = buyer.get(f"/api/carts/{result['cart']}").json()
    assert cart["name"] == "again"
    assert [(x["itemNumber"], x["quantity"]) for x in cart["lines"]] == [(short, available + 5)]
    # Ordering the reorder cart counts as a reorder.
    buyer.put(f"/api/carts/{result['cart']}/lines", json={"itemNumber": short, "quantity": 1})
    placed = buyer.post(
        f"/api/carts/{result['cart']}/checkout", json={"requestedDeliveryDate": today.isoformat()}
    ).json()
    assert placed["status"] == "accepted"
    assert {"document": placed["document"], "lines": 1, "reorder": True} in events(
        store, "order", customer
    )


def test_quote_from_cart_then_order(
    store: StoreThread, buyer: StoreSession, users: DemoUsers, erp_client: ErpClient
) -> None:
    customer = users.buyer.customer_no
    items = cheap_items(buyer, 2)
    cart_id = fill_cart(buyer, [(items[0]["number"], 4), (items[1]["number"], 6)])
    asked = buyer.post(f"/api/carts/{cart_id}/quote")
    assert asked.status_code == 201, asked.text
    quote_no = asked.json()["erpNumber"]
    assert asked.json()["status"] == "accepted"
    assert buyer.get(f"/api/carts/{cart_id}").json()["status"] == "quoted"
    listed = buyer.get("/api/quotes").json()
    assert listed["quotes"][0]["number"] == quote_no
    detail = buyer.get(f"/api/quotes/{quote_no}").json()
    assert detail["status"] == "Open"
    assert sorted((x["itemNumber"], x["quantity"]) for x in detail["lines"]) == sorted(
        [(items[0]["number"], 4.0), (items[1]["number"], 6.0)]
    )
    accepted = buyer.post(f"/api/quotes/{quote_no}/accept")
    assert accepted.status_code == 201, accepted.text
    order_no = accepted.json()["erpNumber"]
    order = erp_order(erp_client, order_no)
    assert (order["customerNumber"], order["quoteNumber"]) == (customer, quote_no)
    (quote,) = erp_client.iter("salesQuotes", filter=f"number eq '{quote_no}'")
    assert (quote["status"], quote["orderNumber"]) == ("Accepted", order_no)
    again = buyer.post(f"/api/quotes/{quote_no}/accept").json()  # one order, however often
    assert again["document"] == accepted.json()["document"]
    assert [e["quote"] for e in events(store, "quote_accept", customer)] == [quote_no]
    assert events(store, "quote_request", customer)[-1]["lines"] == 2
    old = next(
        q["number"] for q in listed["quotes"] if q["status"] in ("Expired", "Accepted")
        and q["number"] != quote_no
    )  # fmt: skip
    assert error(buyer.post(f"/api/quotes/{old}/accept"), 409) == "quote_not_open"


def test_invoice_search_pay_and_copy(
    store: StoreThread, buyer: StoreSession, users: DemoUsers, erp_client: ErpClient
) -> None:
    customer = users.buyer.customer_no
    open_ = buyer.get("/api/invoices", params={"status": "open"}).json()
    assert open_["total"] == erp_client.count(
        "salesInvoices", filter=f"customerNumber eq '{customer}' and status eq 'Open'"
    )
    assert open_["invoices"]
    assert all(i["status"] == "Open" for i in open_["invoices"])
    invoice = open_["invoices"][0]
    number = invoice["number"]
    found = buyer.get("/api/invoices", params={"q": number[-4:]}).json()
    assert number in {i["number"] for i in found["invoices"]}
    assert {"q": number[-4:], "results": found["total"]} in events(
        store, "invoice_search", customer
    )
    detail = buyer.get(f"/api/invoices/{number}").json()
    assert detail["lines"]
    assert detail["payments"] == []
    # Part, then the rest; then there is nothing left to pay.
    part = buyer.post(f"/api/invoices/{number}/pay", json={"amount": 10.0})
    assert part.status_code == 201, part.text
    assert part.json()["status"] == "accepted"
    rest = buyer.post(f"/api/invoices/{number}/pay").json()
    assert rest["amount"] == round(invoice["remainingAmount"] - 10.0, 2)
    (paid,) = erp_client.iter("salesInvoices", filter=f"number eq '{number}'")
    assert (paid["status"], paid["remainingAmount"]) == ("Paid", 0.0)
    payments = list(erp_client.iter("customerPayments", filter=f"invoiceNumber eq '{number}'"))
    assert sorted(p["amount"] for p in payments) == sorted([10.0, rest["amount"]])
    assert {p["channel"] for p in payments} == {"web"}
    assert error(buyer.post(f"/api/invoices/{number}/pay"), 409) == "already_paid"
    assert [e["amount"] for e in events(store, "invoice_pay", customer)] == [10.0, rest["amount"]]
    # A copy is an inquiry in the ERP.
    copy = buyer.post(f"/api/invoices/{number}/copy")
    assert copy.status_code == 201, copy.text
    (inquiry,) = erp_client.iter("inquiries", filter=f"number eq '{copy.json()['erpNumber']}'")
    assert (inquiry["type"], inquiry["channel"], inquiry["invoiceNumber"]) == (
        "invoice_copy",
        "web",
        number,
    )
    assert events(store, "invoice_copy", customer)[-1]["invoice"] == number


def test_pay_rejects_bad_amounts(buyer: StoreSession, users: DemoUsers) -> None:
    invoices = buyer.get("/api/invoices", params={"status": "open"}).json()["invoices"]
    number = invoices[0]["number"]
    too_much = invoices[0]["remainingAmount"] + 1
    assert error(buyer.post(f"/api/invoices/{number}/pay", json={"amount": too_much}), 409) == (
        "amount_too_large"
    )
    for amount in (-1, 0, "ten", 1.234):
        answer = buyer.post(f"/api/invoices/{number}/pay", json={"amount": amount})
        assert error(answer, 400) in ("invalid_request", "invalid_amount")


def test_return_request_becomes_a_credit_memo(
    store: StoreThread, buyer: StoreSession, users: DemoUsers, erp_client: ErpClient
) -> None:
    customer = users.buyer.customer_no
    (shipment,) = erp_client.iter(
        "salesShipments", filter=f"customerNumber eq '{customer}'", orderby="shipmentDate desc",
        expand="salesShipmentLines", top=1,
    )  # fmt: skip
    line = shipment["salesShipmentLines"][0]
    body = {
        "shipmentNumber": shipment["number"],
        "lineSequence": line["sequence"],
        "quantity": 1,
        "reason": "damaged in transit",
    }
    answer = buyer.post("/api/returns", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "accepted"
    (memo,) = erp_client.iter(
        "salesCreditMemos", filter=f"number eq '{answer.json()['erpNumber']}'"
    )
    assert memo["customerNumber"] == customer
    assert events(store, "return_request", customer)[-1]["shipment"] == shipment["number"]
    too_many = {**body, "quantity": line["quantity"] + 1}
    assert error(buyer.post("/api/returns", json=too_many), 409) == "quantity_too_large"
    no_line = {**body, "lineSequence": 999_999}
    assert error(buyer.post("/api/returns", json=no_line), 404) == "not_found"


def test_erp_outage_gives_an_accepted_pending_order_delivered_once(
    store: StoreThread,
    buyer: StoreSession,
    users: DemoUsers,
    erp_client: ErpClient,
    erp_server: Any,
    today: dt.date,
) -> None:
    customer = users.buyer.customer_no
    cart_id = fill_cart(buyer, [(cheap_items(buyer, 1)[0]["number"], 1)])
    before = erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'")
    faults = f"{erp_server.url}/_admin/faults"
    outage = {"outages": [{"after": "0s", "duration": "600s", "mode": "503"}]}
    erp_client.request("PUT", faults, json=outage)
    try:
        answer = buyer.post(
            f"/api/carts/{cart_id}/checkout",
            json={"requestedDeliveryDate": (today + dt.timedelta(days=1)).isoformat()},
        )
        assert answer.status_code == 201, answer.text
        pending = answer.json()
        assert pending["status"] == "pending"
        history = buyer.get("/api/orders").json()
        assert history["stale"] is True
        assert pending["document"] in {o["document"] for o in history["orders"]}
        assert error(buyer.get("/api/invoices"), 503) == "erp_unavailable"
    finally:
        erp_client.request("PUT", faults, json={})
    assert {"document": pending["document"], "kind": "order"} in events(
        store, "offline_fallback", customer
    )
    assert store.ctx.outbox.drain(timeout=30) == 0
    delivered = buyer.get(f"/api/documents/{pending['document']}").json()
    assert delivered["status"] == "accepted"
    assert erp_order(erp_client, delivered["erpNumber"])["channel"] == "web"
    after = erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'")
    assert after == before + 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/orders/SO'1", None),
        ("GET", "/api/orders/" + "9" * 31, None),
        ("GET", "/api/orders?page=0", None),
        ("GET", "/api/orders?page=abc", None),
        ("POST", "/api/orders/SO%20X/reorder", None),
        ("POST", "/api/orders/SO0000001/reorder", {"name": ""}),
        ("GET", "/api/quotes/a.b", None),
        ("GET", "/api/invoices?status=late", None),
        ("GET", "/api/invoices?q=x'or'1", None),
        ("GET", "/api/invoices?from=2026-13-01", None),
        ("GET", "/api/documents/0", None),
        ("GET", "/api/documents/abc", None),
        ("POST", "/api/invoices/SI0000001/pay", '{"amount": 1e400}'),
        ("POST", "/api/returns", {"shipmentNumber": "SS1", "lineSequence": 1, "quantity": -1}),
        ("POST", "/api/returns", {"shipmentNumber": "SS1", "lineSequence": "a", "quantity": 1}),
        ("POST", "/api/returns", {"shipmentNumber": "S'1", "lineSequence": 1, "quantity": 1}),
        ("POST", "/api/returns", {"shipmentNumber": "SS1", "lineSequence": 1, "quantity": 1e9}),
        ("POST", "/api/returns", {"shipmentNumber": "SS1", "lineSequence": 1}),
        ("POST", "/api/returns", "not json"),
    ],
)
def test_bad_input_is_a_clear_4xx(buyer: StoreSession, method: str, path: str, body: Any) -> None:
    if isinstance(body, str):
        answer = buyer.request(
            method, path, data=body, headers={"Content-Type": "application/json"}
        )
    else:
        answer = buyer.request(method, path, json=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert set(answer.json()["error"]) == {"code", "message"}


def test_an_order_the_erp_refuses_reopens_the_cart(
    store: StoreThread, buyer: StoreSession, users: DemoUsers, today: dt.date
) -> None:
    """Over the credit limit: the ERP says no (409), the buyer sees why and keeps the cart."""
    item = cheap_items(buyer, 1)[0]["number"]
    cart_id = fill_cart(buyer, [(item, 90_000)])
    before = buyer.get(f"/api/carts/{cart_id}").json()
    credit = before["credit"]  # the store says so before the buyer presses "order"
    assert credit["known"] is True
    assert credit["fits"] is False
    assert credit["headroom"] < before["totals"]["amount"]
    assert credit["message"].startswith(f"This cart ({before['totals']['amount']:,.2f}")
    assert "is over your available credit of" in credit["message"]
    answer = buyer.post(
        f"/api/carts/{cart_id}/checkout", json={"requestedDeliveryDate": today.isoformat()}
    )
    assert answer.status_code == 201, answer.text
    refused = answer.json()
    assert refused["status"] == "rejected"
    assert refused["reason"] == "credit_limit_exceeded"
    assert refused["message"].startswith(
        "the ERP refused it: this order would take your account over its credit limit "
        "(open orders and invoices would come to "
    )
    assert "Pay an open invoice or order less" in refused["message"]
    assert "credit_limit_exceeded" not in refused["message"]
    assert "CorrelationId" not in refused["message"]
    assert refused["erpNumber"] is None
    assert buyer.get(f"/api/carts/{cart_id}").json()["status"] == "open"
    assert refused["document"] not in {
        e["document"] for e in events(store, "order", str(users.buyer.customer_no))
    }


def test_reorder_in_realtime_mode(
    store_factory: Any, users: DemoUsers, login: Any, erp_client: ErpClient
) -> None:
    """Realtime prices come from the ERP (one batched call): the reorder is priced, fresh."""
    customer = users.buyer.customer_no
    (order,) = erp_client.iter(
        "salesOrders", filter=f"customerNumber eq '{customer}'", orderby="orderDate desc", top=1
    )
    with store_factory("realtime") as realtime:
        session = login(realtime, users.buyer.email, users.buyer.password)
        try:
            answer = session.post(f"/api/orders/{order['number']}/reorder")
        finally:
            session.close()
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["stale"] is False
    assert result["lines"]
    assert all(line["offer"] and not line["offer"]["stale"] for line in result["lines"])


def test_the_cart_shows_the_credit_headroom_the_erp_checks(
    buyer: StoreSession, users: DemoUsers, erp_client: ErpClient
) -> None:
    """Before checkout the cart carries the account's room under its credit limit, the
    ERP's own figure (customerFinancialDetails.creditHeadroom, the credit check's exposure);
    a small cart fits."""
    item = cheap_items(buyer, 1)[0]["number"]
    cart_id = fill_cart(buyer, [(item, 1)])
    cart = buyer.get(f"/api/carts/{cart_id}").json()
    credit = cart["credit"]
    (erp,) = erp_client.iter(
        "customerFinancialDetails", filter=f"number eq '{users.buyer.customer_no}'"
    )
    assert credit["known"] is True
    assert credit["headroom"] == erp["creditHeadroom"]
    assert credit["limit"] == erp["creditLimit"]
    assert credit["currencyCode"] == cart["totals"]["currencyCode"]
    assert credit["fits"] is (
        erp["creditHeadroom"] is None or cart["totals"]["amount"] <= erp["creditHeadroom"]
    )
    if credit["fits"] and credit["headroom"] is not None:
        assert credit["message"].startswith(f"Credit available: {credit['headroom']:,.2f}")
    lines = buyer.put(f"/api/carts/{cart_id}/lines", json={"itemNumber": item, "quantity": 2})
    assert "credit" not in lines.json()  # only the cart view asks the ERP
