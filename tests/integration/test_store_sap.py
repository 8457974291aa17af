"""The store on SAP (``erp_flavor="sap"``) against the real mock ERP and the real store: a
buyer's catalog prices come from SAP's order simulation and equal the ERP's best-price
function, stock the ERP's stock at the account's location; a checkout reaches the ERP as
one SAP sales order (also seen through the Business Central API), a repeated delivery of
the same document makes no second one, and the order shows in the buyer's history and
tracking, read from SAP. Orders submitted during an SAP outage, and one whose answer came
too late, are each delivered once; realtime offers fall back to stale ones while SAP is
down."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.erp.credit import credit_headroom
from simulator.erp.pricing import PriceRequest, PricingError, SqlitePriceData, price_with_breaks
from simulator.erp_server.client import ErpClient
from simulator.erp_server.sap.codes import Codes
from simulator.store import outbox, sap_orders
from simulator.store.sap_client import SapClient
from simulator.store.server import StoreThread
from tests.integration.polling import poll

pytest_plugins = ["tests.integration.store_fixtures"]

PAGE = 30


@pytest.fixture(scope="module")
def sap_store(store_factory: Any) -> Iterator[StoreThread]:
    with store_factory("realtime", erp_flavor="sap", outbox_backoff=0.05) as store:
        yield store


@pytest.fixture(scope="module")
def erp_db(erp_server: Any) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{erp_server.settings.db}?mode=ro", uri=True)
    yield conn
    conn.close()


def best_price(conn: sqlite3.Connection, customer: str, item: str, on: dt.date) -> Any:
    try:
        result, _ = price_with_breaks(SqlitePriceData(conn), PriceRequest(customer, item, 1, on))
    except PricingError as exc:
        return exc.code
    return result


def test_catalog_prices_come_from_sap_and_equal_the_best_price(
    sap_store: StoreThread, erp_client: ErpClient, erp_db: sqlite3.Connection, login, demo_users
) -> None:
    buyer = demo_users(sap_store).buyer
    with login(sap_store, buyer.email, buyer.password) as session:
        answer = session.get("/api/items", params={"pageSize": PAGE})
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["stale"] is False
    today = dt.date.fromisoformat(erp_client.clock()["today"])
    (location,) = erp_db.execute(
        "SELECT location_code FROM customers WHERE no = ?", (buyer.customer_no,)
    ).fetchone()
    stock = dict(
        erp_db.execute(
            "SELECT item_no, inventory FROM item_stock WHERE location_code = ?", (location,)
        ).fetchall()
    )
    priced = 0
    for item in page["items"]:
        offer = item["offer"]
        expected = best_price(erp_db, buyer.customer_no, item["number"], today)
        if isinstance(expected, str):  # the ERP cannot price it: no price shown
            assert offer is None or offer.get("error"), item["number"]
            continue
        assert offer["stale"] is False
        assert offer["unitPrice"] == pytest.approx(expected.unit_price, abs=1e-9)
        assert offer["discountPercent"] == pytest.approx(expected.line_discount_pct, abs=1e-9)
        assert offer["netUnitPrice"] == pytest.approx(expected.net_unit_price, abs=1e-9)
        assert offer["currencyCode"] == expected.currency_code
        assert offer["available"] == stock.get(item["number"], 0.0)
        priced += 1
    assert priced >= PAGE - 2
    status = sap_store.ctx.integration.status()
    assert (status["mode"], status["erpFlavor"]) == ("realtime", "sap")
    # SAP's simulation prices the quantity asked: no quantity breaks (BC's call has them)
    assert all(item["offer"]["breaks"] == [] for item in page["items"] if item["offer"])


def test_the_catalog_on_sap_is_the_catalog_on_bc_in_sap_keys(
    sap_store: StoreThread, store_factory, erp_db: sqlite3.Connection, login, demo_users
) -> None:
    """Master data from SAP (products by product hierarchy node, assortments from the
    customizing's listings) gives a buyer the tree and items the BC-synced store gives,
    with the customizing's texts; the sales employees are rep logins."""
    codes = Codes(erp_db)
    buyer = demo_users(sap_store).buyer
    with login(sap_store, buyer.email, buyer.password) as session:
        on_sap = session.get("/api/categories").json()["categories"]
        sap_items = session.get("/api/items", params={"pageSize": 100}).json()
    with (
        store_factory("realtime") as bc_store,
        login(bc_store, buyer.email, buyer.password) as session,
    ):
        on_bc = session.get("/api/categories").json()["categories"]
        bc_items = session.get("/api/items", params={"pageSize": 100}).json()

    def in_sap_keys(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                **node,
                "code": codes.to_sap("product_hierarchy", node["code"]),
                **({"children": in_sap_keys(node["children"])} if "children" in node else {}),
            }
            for node in tree
        ]

    assert on_bc
    assert on_sap == in_sap_keys(on_bc)
    assert [i["number"] for i in sap_items["items"]] == [i["number"] for i in bc_items["items"]]
    assert sap_items["total"] == bc_items["total"]
    reps = sap_store.ctx.conn().execute("SELECT count(*) FROM users WHERE role = 'rep'")
    (expected,) = erp_db.execute("SELECT count(*) FROM salespeople").fetchone()
    assert reps.fetchone()[0] == expected


def test_checkout_reaches_the_erp_once_and_shows_in_history(
    sap_store: StoreThread, erp_client: ErpClient, erp_db: sqlite3.Connection, login, demo_users
) -> None:
    buyer = demo_users(sap_store).buyer
    customer = buyer.customer_no
    today = dt.date.fromisoformat(erp_client.clock()["today"])
    before = erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'")
    with login(sap_store, buyer.email, buyer.password) as session:
        items = [
            item
            for item in session.get("/api/items", params={"pageSize": PAGE}).json()["items"]
            if item["offer"] and not item["offer"].get("error")
        ]
        items.sort(key=lambda item: (item["offer"]["netUnitPrice"], item["number"]))
        chosen = [(items[0]["number"], 2.0), (items[1]["number"], 3.0)]
        cart = session.post("/api/carts", json={"name": "sap"}).json()["id"]
        for number, quantity in chosen:
            put = session.put(
                f"/api/carts/{cart}/lines", json={"itemNumber": number, "quantity": quantity}
            )
            assert put.status_code == 200, put.text
        wanted = (today + dt.timedelta(days=4)).isoformat()
        answer = session.post(f"/api/carts/{cart}/checkout", json={"requestedDeliveryDate": wanted})
        assert answer.status_code == 201, answer.text
        document = answer.json()["document"]

        def accepted() -> Any:
            found = session.get(f"/api/documents/{document}").json()
            return found if found["status"] == "accepted" else None

        placed = poll(accepted, "the SAP order accepted")
        number = placed["erpNumber"]
        # seen through the Business Central API: one new order of the account, as asked
        (order,) = erp_client.iter(
            "salesOrders", filter=f"number eq '{number}'", expand="salesOrderLines"
        )
        assert order["customerNumber"] == customer
        assert order["channel"] == "web"
        assert order["contactNumber"] == buyer.contact_no
        assert order["requestedDeliveryDate"] == wanted
        lines = sorted((x["itemNumber"], x["quantity"]) for x in order["salesOrderLines"])
        assert lines == sorted(chosen)
        assert erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'") == (
            before + 1
        )
        # the outbox delivering the same document again (an answer lost) makes no second
        (key, request) = (
            sap_store.ctx.conn()
            .execute(
                "SELECT idempotency_key, request_json FROM web_documents WHERE id = ?", (document,)
            )
            .fetchone()
        )
        with SapClient(sap_store.settings.erp_url, api_key=sap_store.settings.erp_key) as sap:
            again = sap_orders.create_order(sap, customer, json.loads(request), key)
        assert again["number"] == number
        assert erp_client.count("salesOrders", filter=f"customerNumber eq '{customer}'") == (
            before + 1
        )
        # history (read from SAP) lists it with the account's other orders; tracking too
        history = session.get("/api/orders").json()
        assert history["stale"] is False
        assert history["total"] == before + 1
        listed = {o["number"]: o for o in history["orders"]}
        assert listed[number]["document"] == document
        assert listed[number]["requestedDeliveryDate"] == wanted
        assert listed[number]["channel"] == "web"
        assert listed[number]["source"] == "erp"
        tracked = session.get(f"/api/orders/{number}")
        assert tracked.status_code == 200, tracked.text
        shown = sorted((x["itemNumber"], x["quantity"]) for x in tracked.json()["lines"])
        assert shown == sorted(chosen)
        assert session.get("/api/orders/SO9999999").status_code == 404


def test_tracking_reads_deliveries_and_billing_documents_from_sap(
    sap_store: StoreThread, erp_client: ErpClient, login, demo_users
) -> None:
    buyer = demo_users(sap_store).buyer
    (order,) = erp_client.iter(
        "salesOrders",
        filter=f"customerNumber eq '{buyer.customer_no}' and lifecycleStatus eq 'Invoiced'",
        orderby="orderDate desc",
        expand="salesOrderLines",
        top=1,
    )
    number = order["number"]
    shipments = list(erp_client.iter("salesShipments", filter=f"orderNumber eq '{number}'"))
    invoices = list(erp_client.iter("salesInvoices", filter=f"orderNumber eq '{number}'"))
    with login(sap_store, buyer.email, buyer.password) as session:
        answer = session.get(f"/api/orders/{number}")
        other = session.get("/api/orders", params={"page": 1}).json()
    assert answer.status_code == 200, answer.text
    tracked = answer.json()
    assert tracked["status"] == "Invoiced"
    assert len(tracked["lines"]) == len(order["salesOrderLines"])
    assert {s["number"] for s in tracked["shipments"]} == {s["number"] for s in shipments}
    assert all(s["lines"] for s in tracked["shipments"])
    assert {i["number"] for i in tracked["invoices"]} == {i["number"] for i in invoices}
    by_number = {i["number"]: i for i in invoices}
    for shown in tracked["invoices"]:
        assert shown["totalAmountExcludingTax"] == pytest.approx(
            by_number[shown["number"]]["totalAmountExcludingTax"]
        )
        assert shown["shipmentNumber"] == by_number[shown["number"]]["shipmentNumber"]
    assert other["stale"] is False


FAST = {"outbox_backoff": 0.05, "outbox_backoff_max": 0.3}
OUTBOX_WAIT = 60.0
OUTAGE_503 = {"outages": [{"after": "0s", "duration": "600s", "mode": "503"}]}


def _account(erp_client: ErpClient) -> tuple[str, list[str]]:
    (customer,) = erp_client.iter("customers", filter="blocked eq ''", select="number", top=1)
    items = [
        row["number"]
        for row in erp_client.iter(
            "items", filter="blocked eq false", select="number", orderby="unitPrice", top=3
        )
    ]
    return customer["number"], items


def _web_orders(erp_client: ErpClient, customer: str) -> set[str]:
    where = f"customerNumber eq '{customer}' and channel eq 'web'"
    return {row["number"] for row in erp_client.iter("salesOrders", filter=where)}


def _submit(store: StoreThread, customer: str, items: list[str], key: str) -> int:
    request = {
        "customerNumber": customer,
        "salesOrderLines": [
            {"itemNumber": item, "unitOfMeasureCode": "", "quantity": 1} for item in items
        ],
    }
    return outbox.submit(
        store.ctx.conn(), kind="order", customer_no=customer, user_id=1, rep_user_id=None,
        request=request, idempotency_key=key,
    )  # fmt: skip


def _documents(store: StoreThread, ids: list[int]) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(store.settings.db)
    try:
        marks = ", ".join("?" * len(ids))
        return conn.execute(
            f"SELECT d.id, d.status, d.erp_number, o.attempts FROM web_documents d"
            f" JOIN outbox o ON o.document_id = d.id WHERE d.id IN ({marks}) ORDER BY d.id",
            ids,
        ).fetchall()
    finally:
        conn.close()


def test_sap_orders_are_delivered_exactly_once_across_an_outage_and_a_lost_answer(
    store_factory, erp_client: ErpClient, faults
) -> None:
    customer, items = _account(erp_client)
    before = _web_orders(erp_client, customer)
    with store_factory("realtime", erp_flavor="sap", **FAST) as store:
        faults(OUTAGE_503)
        ids = [_submit(store, customer, items[: n + 1], f"sap-outage-{n}") for n in range(3)]
        for document in ids:
            assert store.ctx.outbox.deliver_now(document, timeout=0.5) == "pending"
        poll(
            lambda: all(row[3] >= 2 for row in _documents(store, ids)),
            "the worker retrying during the outage",
            timeout=OUTBOX_WAIT,
        )
        faults({"latency": {"write": "1.5s"}})  # SAP takes the orders, answers too late
        late = _submit(store, customer, items[:1], "sap-late-answer")
        assert store.ctx.outbox.deliver_now(late, timeout=0.3) == "pending"
        ids.append(late)
        poll(
            lambda: len(_web_orders(erp_client, customer) - before) >= 1,
            "an order taken during the slow answers",
            timeout=OUTBOX_WAIT,
        )
        faults({})
        poll(
            lambda: store.ctx.outbox.stats()["pending"] == 0,
            "delivery after the outage",
            timeout=OUTBOX_WAIT,
        )
        rows = _documents(store, ids)
    assert [row[1] for row in rows] == ["accepted"] * 4
    new = _web_orders(erp_client, customer) - before
    assert new == {row[2] for row in rows}  # four documents, four orders: none twice
    assert rows[-1][3] >= 2  # the late one was sent again and answered with its order


def test_realtime_on_sap_shows_stale_offers_while_sap_is_down(
    store_factory, erp_client: ErpClient, faults, login, demo_users
) -> None:
    with store_factory("realtime", erp_flavor="sap", breaker_failures=2) as store:
        buyer = demo_users(store).buyer
        with login(store, buyer.email, buyer.password) as session:
            fresh = session.get("/api/items", params={"pageSize": 10}).json()
            assert fresh["stale"] is False
            faults(OUTAGE_503)
            for _ in range(3):
                down = session.get("/api/items", params={"pageSize": 10}).json()
            faults({})
    assert down["stale"] is True
    shown = {i["number"]: i["offer"] for i in fresh["items"] if i["offer"]}
    cached = {i["number"]: i["offer"] for i in down["items"] if i["offer"]}
    assert cached
    assert all(offer["stale"] for offer in cached.values())
    assert all(cached[n]["netUnitPrice"] == shown[n]["netUnitPrice"] for n in cached)
    assert store.ctx.integration.breaker.snapshot()["state"] in ("open", "half_open")


def test_an_order_sap_refuses_is_rejected_with_the_reason_and_not_retried(
    store_factory, erp_client: ErpClient, erp_db: sqlite3.Connection
) -> None:
    headroom = credit_headroom(erp_db)
    blocked = {no for (no,) in erp_db.execute("SELECT no FROM customers WHERE blocked <> ''")}
    customer = min(no for no, room in headroom.items() if room < 0 and no not in blocked)
    _, items = _account(erp_client)
    before = _web_orders(erp_client, customer)
    with store_factory("realtime", erp_flavor="sap", **FAST) as store:
        document = _submit(store, customer, items[:2], "sap-over-the-limit")
        assert store.ctx.outbox.deliver_now(document, timeout=5.0) == "rejected"
        ((_, status, number, attempts),) = _documents(store, [document])
        (error,) = (
            store.ctx.conn()
            .execute("SELECT error FROM web_documents WHERE id = ?", (document,))
            .fetchone()
        )
    assert (status, number, attempts) == ("rejected", None, 1)
    assert error.startswith("credit_limit_exceeded: ")
    assert _web_orders(erp_client, customer) == before
