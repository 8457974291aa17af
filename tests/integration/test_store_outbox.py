"""The durable outbox against the real mock ERP: documents committed while the ERP is down
(503 outage, then refused connections) are delivered once it is back, each exactly once
(counted through the ERP's API); an answer lost to a client timeout is not a second order;
a refused request (blocked item) is rejected without retries; pending documents survive a
store restart. Outages are switched on and off through the ERP's `/_admin/faults`."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest
import requests

from simulator.erp_server.client import ErpClient
from simulator.store import outbox
from simulator.store.server import StoreThread
from tests.integration.polling import poll

pytest_plugins = ["tests.integration.store_fixtures"]

FAST = {"outbox_backoff": 0.05, "outbox_backoff_max": 0.3}
OUTBOX_WAIT = 60.0  # seconds a delivery may take (backoff across outages)
OUTAGE_503 = {"outages": [{"after": "0s", "duration": "600s", "mode": "503"}]}


@pytest.fixture(scope="module")
def account(erp_client: ErpClient) -> tuple[str, list[str], str]:
    """(a customer without blocks, a few orderable items, a blocked item)."""
    customer = next(erp_client.iter("customers", filter="blocked eq ''", select="number", top=1))[
        "number"
    ]
    items = [
        row["number"]
        for row in erp_client.iter(
            "items", filter="blocked eq false", select="number", orderby="unitPrice", top=5
        )
    ]
    blocked = next(erp_client.iter("items", filter="blocked eq true", select="number", top=1))
    return customer, items, blocked["number"]


def web_orders(erp: ErpClient, customer: str) -> list[dict[str, Any]]:
    return list(
        erp.iter(
            "salesOrders",
            filter=f"customerNumber eq '{customer}' and channel eq 'web'",
            select="id,number",
        )
    )


def order_request(customer: str, items: list[str]) -> dict[str, Any]:
    return {
        "customerNumber": customer,
        "channel": "web",
        "salesOrderLines": [
            {"itemNumber": item, "unitOfMeasureCode": "", "quantity": 1} for item in items
        ],
        "storeNote": "not an ERP field: left out of the delivery",
    }


def submit(store: StoreThread, customer: str, request: dict[str, Any], key: str) -> int:
    conn = store.ctx.conn()
    return outbox.submit(
        conn,
        kind="order",
        customer_no=customer,
        user_id=1,
        rep_user_id=None,
        request=request,
        idempotency_key=key,
    )


def documents(store: StoreThread, ids: list[int]) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(store.settings.db)
    try:
        marks = ", ".join("?" * len(ids))
        return conn.execute(
            f"SELECT d.id, d.status, d.erp_id, d.erp_number, o.status, o.attempts"
            f" FROM web_documents d JOIN outbox o ON o.document_id = d.id"
            f" WHERE d.id IN ({marks}) ORDER BY d.id",
            ids,
        ).fetchall()
    finally:
        conn.close()


def pending(store: StoreThread) -> int:
    return int(store.ctx.outbox.stats()["pending"])


def test_exactly_once_across_outages(store_factory, erp_client, faults, account) -> None:
    customer, items, _ = account
    before = {row["number"] for row in web_orders(erp_client, customer)}
    with store_factory("batch", **FAST) as store:
        faults(OUTAGE_503)
        ids = []
        for n in range(4):
            key = f"outage-{uuid.uuid4()}"
            document = submit(store, customer, order_request(customer, items[: n + 1]), key)
            assert submit(store, customer, order_request(customer, items), key) == document
            assert store.ctx.outbox.deliver_now(document, timeout=0.5) == "pending"
            ids.append(document)
        poll(
            lambda: all(row[5] >= 2 for row in documents(store, ids)),
            "the worker retrying during the outage",
            timeout=OUTBOX_WAIT,
        )
        assert pending(store) == 4
        # then connections refused for a moment (the admin endpoint too: it ends by itself)
        faults({"outages": [{"after": "0s", "duration": "1s", "mode": "refuse"}]})
        poll(lambda: pending(store) == 0, "delivery after the outage", timeout=OUTBOX_WAIT)
        rows = documents(store, ids)
        snapshot = requests.get(f"{store.url}/api/metrics", timeout=10).json()
    assert [row[1] for row in rows] == ["accepted"] * 4
    assert [row[4] for row in rows] == ["delivered"] * 4
    after = web_orders(erp_client, customer)
    new = [row for row in after if row["number"] not in before]
    assert sorted(row["number"] for row in new) == sorted(row[3] for row in rows)
    assert {row["id"] for row in new} == {row[2] for row in rows}
    lines = [
        len(erp_client.get("salesOrders", row[2], expand="salesOrderLines")["salesOrderLines"])
        for row in rows
    ]
    assert lines == [1, 2, 3, 4]
    assert snapshot["erp"]["outbox"]["errors"] >= 8
    assert snapshot["gauges"]["outbox"]["pending"] == 0


def test_a_lost_answer_is_not_a_second_order(store_factory, erp_client, faults, account) -> None:
    customer, items, _ = account
    before = len(web_orders(erp_client, customer))
    with store_factory("batch", **FAST) as store:
        faults({"latency": {"write": "1.5s"}})  # the ERP takes the order, answers late
        document = submit(store, customer, order_request(customer, items[:1]), "late-answer")
        assert store.ctx.outbox.deliver_now(document, timeout=0.3) == "pending"
        poll(
            lambda: len(web_orders(erp_client, customer)) == before + 1,
            "the order",
            timeout=OUTBOX_WAIT,
        )
        faults({})
        poll(lambda: pending(store) == 0, "the retry to be answered", timeout=OUTBOX_WAIT)
        ((_, status, erp_id, number, _, attempts),) = documents(store, [document])
    assert status == "accepted"
    assert attempts >= 2
    orders = web_orders(erp_client, customer)
    assert len(orders) == before + 1  # the retry replayed the same order
    assert {"id": erp_id, "number": number} in [
        {"id": o["id"], "number": o["number"]} for o in orders
    ]


def test_a_refused_request_is_rejected_without_retries(store_factory, account) -> None:
    customer, _, blocked = account
    with store_factory("batch", **FAST) as store:
        document = submit(store, customer, order_request(customer, [blocked]), "blocked-item")
        assert store.ctx.outbox.deliver_now(document, timeout=5.0) == "rejected"
        ((_, status, erp_id, _, box, attempts),) = documents(store, [document])
        conn = sqlite3.connect(store.settings.db)
        try:
            (error,) = conn.execute(
                "SELECT error FROM web_documents WHERE id = ?", (document,)
            ).fetchone()
        finally:
            conn.close()
    assert (status, erp_id, box, attempts) == ("rejected", None, "rejected", 1)
    assert error.startswith("item_blocked")


def test_pending_documents_survive_a_store_restart(
    store_factory, erp_client, faults, account
) -> None:
    customer, items, _ = account
    before = len(web_orders(erp_client, customer))
    with store_factory("batch", **FAST) as first:
        faults(OUTAGE_503)
        settings = first.settings
        document = submit(first, customer, order_request(customer, items[:2]), "restart")
        assert first.ctx.outbox.deliver_now(document, timeout=0.5) == "pending"
    faults({})
    with StoreThread(settings) as second:  # the same database file
        poll(lambda: pending(second) == 0, "the restarted store to deliver", timeout=OUTBOX_WAIT)
        ((_, status, _, number, _, _),) = documents(second, [document])
    assert status == "accepted"
    orders = web_orders(erp_client, customer)
    assert len(orders) == before + 1
    assert number in {o["number"] for o in orders}


def test_the_worker_survives_a_failing_round(store_factory, erp_client, account) -> None:
    """The outbox table is away for a moment (every round fails on it); once it is back, a
    document submitted then is still delivered by the worker's own loop."""
    customer, items, _ = account
    with store_factory("batch", **FAST) as store:
        worker = store.ctx.outbox
        conn = sqlite3.connect(store.settings.db)
        try:
            with conn:
                conn.execute("ALTER TABLE outbox RENAME TO outbox_away")
            poll(lambda: worker.loop_errors >= 2, "outbox rounds failing", timeout=OUTBOX_WAIT)
            with conn:
                conn.execute("ALTER TABLE outbox_away RENAME TO outbox")
        finally:
            conn.close()
        document = submit(
            store, customer, order_request(customer, items[:1]), f"later-{uuid.uuid4()}"
        )
        poll(
            lambda: documents(store, [document])[0][1] == "accepted",
            "the worker to deliver after the failed rounds",
            timeout=OUTBOX_WAIT,
        )
        (row,) = documents(store, [document])
    assert row[4] == "delivered"
    assert erp_client.get("salesOrders", row[2])["number"] == row[3]
