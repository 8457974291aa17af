"""Exactly-once writes of the mock ERP across what goes wrong around them: a restart (also a
kill -9) between a lost answer and its retry, ids drawn after a restart with the clock
frozen, and a full disk under creates. Real servers on the same SQLite file; what counts is
read back from the file itself."""

from __future__ import annotations

import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings
from tests.integration.polling import poll

KEY = "durable-key"


@pytest.fixture
def db(history_run, tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    shutil.copy(history_run.path, path)
    return path


@pytest.fixture(scope="module")
def parties(history_run) -> tuple[str, str, str]:
    """(customer A, customer B, an item): unblocked, with room under their credit limits."""
    conn = sqlite3.connect(f"file:{history_run.path}?mode=ro", uri=True)
    try:
        customers = [
            no
            for (no,) in conn.execute(
                "SELECT no FROM customers WHERE blocked = '' ORDER BY credit_limit DESC LIMIT 2"
            )
        ]
        (item,) = conn.execute(
            "SELECT no FROM items WHERE blocked = 0 ORDER BY unit_price LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return customers[0], customers[1], item


def serve(db: Path) -> ServerThread:
    return ServerThread(ServerSettings(db=db, api_key=KEY, clock_speed=0.0))


def order_body(customer: str, item: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "customerNumber": customer,
        "salesOrderLines": [{"itemNumber": item, "unitOfMeasureCode": "", "quantity": quantity}],
    }


def post_order(url: str, body: dict[str, Any], key: str | None = None) -> requests.Response:
    headers = {"api-key": KEY} | ({"Idempotency-Key": key} if key else {})
    return requests.post(f"{url}/api/v2.0/salesOrders", json=body, headers=headers, timeout=30)


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def web_orders(db: Path, customer: str) -> int:
    (count,) = rows(
        db, "SELECT count(*) FROM sales_orders WHERE customer_no = ? AND channel = 'web'", customer
    )[0]
    return int(count)


def test_a_retry_after_a_restart_replays_the_order(db: Path, parties) -> None:
    customer, _, item = parties
    before = web_orders(db, customer)
    body = order_body(customer, item, 2)
    with serve(db) as server:
        first = post_order(server.url, body, "restart-1")
        assert first.status_code == 201, first.text
        assert "Idempotent-Replayed" not in first.headers
    with serve(db) as server:  # the answer was "lost": the client retries after a restart
        again = post_order(server.url, body, "restart-1")
        assert again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        other = post_order(server.url, order_body(customer, item, 3), "restart-1")
        assert other.status_code == 422, other.text
        assert other.json()["error"]["details"][0]["code"] == "idempotency_key_reused"
    assert web_orders(db, customer) == before + 1
    assert rows(db, "SELECT key, entity_set, result FROM erpsim_idempotency") == [
        ("restart-1", "salesOrders", first.json()["id"])
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def process_factory() -> Iterator[Any]:
    """Starts `erpsim serve erp` in a subprocess on a db; every process is killed at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(db: Path) -> tuple[str, subprocess.Popen[str]]:
        port = _free_port()
        code = "from simulator.erp_server.cli import serve_app; serve_app()"
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                "--db",
                str(db),
                "--port",
                str(port),
                "--api-key",
                KEY,
                "--clock-speed",
                "0",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        poll(lambda: _healthy(url, process), "the ERP process to serve", timeout=60)
        return url, process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def _healthy(url: str, process: subprocess.Popen[str]) -> bool:
    assert process.poll() is None, process.communicate()[0]
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy starting
        return False


def test_a_retry_after_kill_9_replays_the_order(db: Path, parties, process_factory) -> None:
    customer, _, item = parties
    before = web_orders(db, customer)
    body = order_body(customer, item)
    url, process = process_factory(db)
    first = post_order(url, body, "killed-1")
    assert first.status_code == 201, first.text
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    url, _ = process_factory(db)
    again = post_order(url, body, "killed-1")
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert web_orders(db, customer) == before + 1


def test_ids_drawn_after_a_restart_at_a_frozen_clock_are_new(db: Path, parties) -> None:
    customer_a, customer_b, item = parties
    with serve(db) as server:
        a = post_order(server.url, order_body(customer_a, item))
        assert a.status_code == 201, a.text
    with serve(db) as server:
        b = post_order(server.url, order_body(customer_b, item))
        assert b.status_code == 201, b.text
        again = requests.get(
            f"{server.url}/api/v2.0/salesOrders({a.json()['id']})", headers={"api-key": KEY}
        )
    assert b.json()["id"] != a.json()["id"]
    assert again.status_code == 200, again.text
    assert again.json()["customerNumber"] == customer_a
    assert again.json()["number"] == a.json()["number"]
    ids = [row[0] for row in rows(db, "SELECT id FROM sales_orders")]
    assert len(ids) == len(set(ids))


def test_creates_on_a_full_disk_keep_nothing_and_their_retries_work(db: Path, parties) -> None:
    customer, _, item = parties
    before = web_orders(db, customer)
    keys = [f"full-{n}" for n in range(5)]
    with serve(db) as server:
        admin = f"{server.url}/_admin/faults"
        on = requests.patch(admin, json={"disk_full": True}, headers={"api-key": KEY})
        assert on.status_code == 200, on.text
        assert on.json()["disk_full"] is True
        failed = [post_order(server.url, order_body(customer, item, n + 1), k) for n, k in
                  enumerate(keys)]  # fmt: skip
        assert [r.status_code for r in failed] == [503] * 5, [r.text for r in failed]
        assert {r.json()["error"]["details"][0]["code"] for r in failed} == {"storage_full"}
        assert web_orders(db, customer) == before
        off = requests.patch(admin, json={"disk_full": False}, headers={"api-key": KEY})
        assert off.status_code == 200, off.text
        retried = [post_order(server.url, order_body(customer, item, n + 1), k) for n, k in
                   enumerate(keys)]  # fmt: skip
        assert [r.status_code for r in retried] == [201] * 5, [r.text for r in retried]
        assert not any("Idempotent-Replayed" in r.headers for r in retried)
        replayed = post_order(server.url, order_body(customer, item, 1), keys[0])
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert replayed.json()["id"] == retried[0].json()["id"]
    # After the server's last write (it flushes the world on the way out), still five.
    assert web_orders(db, customer) == before + 5
    quantities = rows(
        db,
        "SELECT l.quantity FROM sales_order_lines l JOIN sales_orders o ON o.no = l.document_no"
        f" WHERE o.id IN ({','.join('?' * 5)}) ORDER BY l.quantity",
        *(r.json()["id"] for r in retried),
    )
    assert [q for (q,) in quantities] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_a_payment_on_a_full_disk_keeps_nothing_and_its_retry_pays(db: Path) -> None:
    (invoice, remaining), *_ = rows(
        db, "SELECT no, remaining_amount FROM sales_invoices WHERE status = 'Open' ORDER BY no"
    )
    paid_before = rows(db, "SELECT no, amount FROM customer_payments WHERE invoice_no = ?", invoice)
    headers = {"api-key": KEY, "Idempotency-Key": "pay-full-1"}
    with serve(db) as server:
        admin = f"{server.url}/_admin/faults"
        pay = f"{server.url}/api/v2.0/customerPayments"
        requests.patch(admin, json={"disk_full": True}, headers={"api-key": KEY})
        failed = requests.post(pay, json={"invoiceNumber": invoice}, headers=headers, timeout=30)
        assert failed.status_code == 503, failed.text
        requests.patch(admin, json={"disk_full": False}, headers={"api-key": KEY})
        paid = requests.post(pay, json={"invoiceNumber": invoice}, headers=headers, timeout=30)
        assert paid.status_code == 201, paid.text
        assert paid.json()["amount"] == pytest.approx(remaining)
    assert rows(
        db, "SELECT status, remaining_amount FROM sales_invoices WHERE no = ?", invoice
    ) == [("Paid", 0.0)]
    payments = rows(db, "SELECT no, amount FROM customer_payments WHERE invoice_no = ?", invoice)
    assert payments == [*paid_before, (paid.json()["number"], pytest.approx(remaining))]
