"""Exactly-once writes of the mock ERP across what goes wrong around them: ids drawn after a
restart with the clock frozen. Real servers on the same SQLite file; what counts is
read back from the file itself."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

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
