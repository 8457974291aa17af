"""The live side of the mock ERP: the clock moves the world (delta reads see it), orders
entered through the API flow through the lifecycle, and webhook subscribers are notified
(with retries). Polls with deadlines, never fixed sleeps."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from simulator.erp_server.client import ErpClient
from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings
from tests.integration.polling import poll

KEY = "live-key"
SPEED = 4 * 86400.0  # four simulated days per wall second


@pytest.fixture(scope="module")
def server(history_run, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    path = tmp_path_factory.mktemp("erp-live") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    settings = ServerSettings(
        db=path, api_key=KEY, clock_speed=SPEED, webhook_backoff=0.05, webhook_timeout=2.0
    )
    with ServerThread(settings) as running:
        yield running


@pytest.fixture
def erp(server: ServerThread) -> Iterator[ErpClient]:
    with ErpClient(server.url, api_key=KEY) as client:
        yield client


def _customer_and_item(erp: ErpClient) -> tuple[str, str]:
    customers = erp.iter("customers", filter="blocked eq ''", orderby="creditLimit desc", top=1)
    customer = next(customers)["number"]
    item = next(erp.iter("items", filter="blocked eq false", orderby="unitPrice", top=1))
    return customer, item["number"]


def test_delta_after_the_clock_moves(erp: ErpClient) -> None:
    start = erp.clock()
    customer, item = _customer_and_item(erp)
    order = erp.create_order(customer, [(item, "", 1)])
    created = order["lastModifiedDateTime"]
    assert created >= start["advancedTo"]
    orders = erp.delta("salesOrders", start["advancedTo"])
    first = {row["number"] for row in orders.changes()}
    assert order["number"] in first
    assert orders.watermark is not None
    assert orders.watermark >= created
    # A few simulated days later the warehouse has shipped it and stock has moved.
    poll(lambda: erp.clock()["advancedTo"][:10] > start["advancedTo"][:10], "a new day")
    poll(
        lambda: erp.get("salesOrders", order["id"])["lifecycleStatus"] in ("Shipped", "Invoiced"),
        "the API order to ship",
    )
    later = {row["number"]: row for row in erp.delta("salesOrders", created).changes()}
    assert later[order["number"]]["lifecycleStatus"] in ("Shipped", "Invoiced")
    assert all(row["lastModifiedDateTime"] >= created for row in later.values())
    stock = list(erp.delta("itemStock", start["advancedTo"]).changes())
    assert any(row["itemNumber"] == item for row in stock)
    clock = erp.clock()
    assert clock["clockSpeed"] == SPEED
    assert clock["now"] >= clock["advancedTo"] > start["advancedTo"]


class _Receiver:
    """A webhook receiver: answers BC's handshake, fails the first `failures` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.notifications: list[dict[str, Any]] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if "validationToken" in query:
                    self._answer(200, query["validationToken"][0].encode())
                    return
                receiver.attempts += 1
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self._answer(500, b"not now")
                    return
                receiver.notifications += orjson.loads(body)["value"]
                self._answer(202, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def test_webhooks_notify_with_retries(erp: ErpClient, server: ServerThread) -> None:
    receiver = _Receiver(failures=2)
    try:
        company = erp.get_json("companies")["value"][0]["id"]
        resource = f"/api/v2.0/companies({company})/salesOrders"
        created = erp.request(
            "POST",
            "subscriptions",
            json={"notificationUrl": receiver.url, "resource": resource, "clientState": "s3"},
        ).json()
        assert created["resource"] == resource
        listed = erp.get_json("subscriptions")["value"]
        assert [s["subscriptionId"] for s in listed] == [created["subscriptionId"]]
        customer, item = _customer_and_item(erp)
        order = erp.create_order(customer, [(item, "", 2)])
        wanted = f"{resource}({order['id']})"
        poll(
            lambda: any(n["resource"] == wanted for n in receiver.notifications),
            "a notification for the new order",
        )
        note = next(n for n in receiver.notifications if n["resource"] == wanted)
        assert note["clientState"] == "s3"
        assert note["subscriptionId"] == created["subscriptionId"]
        assert note["changeType"] == "updated"
        assert receiver.attempts >= 3  # two failures, then delivered
        stats = erp.get_json(server.url + "/_admin/webhooks")
        assert stats["failed_attempts"] >= 2
        assert stats["delivered"] >= 1
        erp.request("DELETE", f"subscriptions('{created['subscriptionId']}')")
        assert erp.get_json("subscriptions")["value"] == []
    finally:
        receiver.close()


def test_a_subscription_needs_the_handshake(erp: ErpClient) -> None:
    from simulator.erp_server.client import ErpApiError

    with pytest.raises(ErpApiError) as caught:
        erp.request(
            "POST",
            "subscriptions",
            json={"notificationUrl": "http://127.0.0.1:9/nobody", "resource": "items"},
        )
    assert (caught.value.status, caught.value.reason) == (400, "handshake_failed")
    with pytest.raises(ErpApiError) as caught:
        erp.request(
            "POST",
            "subscriptions",
            json={"notificationUrl": "http://127.0.0.1:9/x", "resource": "nothing"},
        )
    assert caught.value.reason == "invalid_resource"


def test_the_live_file_remembers_its_clock(server: ServerThread) -> None:
    import sqlite3

    conn = sqlite3.connect(f"file:{Path(server.settings.db)}?mode=ro", uri=True)
    try:
        stored = conn.execute(
            "SELECT value FROM erpsim_meta WHERE key = 'erp_server_clock'"
        ).fetchone()
    finally:
        conn.close()
    assert stored is not None


def test_held_orders_are_released_as_in_the_history(server: ServerThread, erp: ErpClient) -> None:
    """Orders on credit hold ('Pending Approval', BC's In Review) at the dataset's end are
    released by the live world's warehouse run once payments make room or 30 days pass,
    as the generated history releases them, and then ship and invoice."""
    import sqlite3

    conn = sqlite3.connect(f"file:{Path(server.settings.db)}?mode=ro", uri=True)
    try:
        held = [
            no
            for (no,) in conn.execute(
                "SELECT no FROM sales_orders WHERE status = 'Pending Approval' ORDER BY no"
            )
        ]
    finally:
        conn.close()
    assert held, "the small history ends with orders on credit hold"

    def still_held() -> list[str]:
        return [
            no
            for no in held
            if next(erp.iter("salesOrders", filter=f"number eq '{no}'"))["status"]
            == "In_x0020_Review"
        ]

    poll(lambda: not still_held(), "every held order released (30 simulated days)", 90.0)
    conn = sqlite3.connect(f"file:{Path(server.settings.db)}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(held))
        statuses = {
            status
            for (status,) in conn.execute(
                f"SELECT status FROM sales_orders WHERE no IN ({marks})", held
            )
        }
    finally:
        conn.close()
    assert "Pending Approval" not in statuses
    assert statuses <= {"Released", "Partially Shipped", "Shipped", "Invoiced"}
