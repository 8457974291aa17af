"""SAP's Repeatability-Request-ID makes a create exactly-once: a repeat answers the first
create's order and makes nothing, also after the server restarts between the two (the
key is committed with the order, in the idempotency store BC's Idempotency-Key uses)."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests

from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings
from tests.integration.sap.conftest import KEY, sap_error
from tests.integration.sap.writing import ORDERS, count_orders, csrf, order, parties

FIRST_SENT = "Thu, 03 Dec 2026 10:00:00 GMT"


def repeatable(request_id: str) -> dict[str, str]:
    return {"Repeatability-Request-ID": request_id, "Repeatability-First-Sent": FIRST_SENT}


def post(session: requests.Session, sap: str, body: dict, request_id: str) -> requests.Response:
    return session.post(sap + ORDERS + "/A_SalesOrder", json=body, headers=repeatable(request_id))


def test_a_repeated_create_answers_the_first_order(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    body = order(customer, (item, 2))
    request_id = uuid.uuid4().hex
    csrf(session, sap)
    first = post(session, sap, body, request_id)
    assert first.status_code == 201, first.text
    assert first.headers["repeatability-result"] == "accepted"
    after_first = count_orders(sql)
    again = post(session, sap, body, request_id)
    assert again.status_code == 201, again.text
    assert again.json()["d"]["SalesOrder"] == first.json()["d"]["SalesOrder"]
    assert count_orders(sql) == after_first
    other = dict(body, PurchaseOrderByCustomer="ANOTHER")
    assert sap_error(post(session, sap, other, request_id), 422)
    assert count_orders(sql) == after_first


def test_sap_gateways_own_headers_make_it_exactly_once_too(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    body = order(customer, (item, 1))
    headers = {"RequestID": uuid.uuid4().hex.upper(), "RepeatabilityCreation": FIRST_SENT}
    csrf(session, sap)
    first = session.post(sap + ORDERS + "/A_SalesOrder", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.headers["repeatabilityresult"] == "accepted"
    after_first = count_orders(sql)
    again = session.post(sap + ORDERS + "/A_SalesOrder", json=body, headers=headers)
    assert again.json()["d"]["SalesOrder"] == first.json()["d"]["SalesOrder"]
    assert count_orders(sql) == after_first


def test_bad_repeatability_headers_are_refused(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    before = count_orders(sql)
    csrf(session, sap)
    response = session.post(
        sap + ORDERS + "/A_SalesOrder",
        json=order(customer, (item, 1)),
        headers={"Repeatability-Request-ID": "x", "Repeatability-First-Sent": "yesterday"},
    )
    sap_error(response, 400)
    assert count_orders(sql) == before


@pytest.fixture
def own_db(history_run, tmp_path: Path) -> Path:
    path = tmp_path / "erp.sqlite"
    shutil.copy(history_run.path, path)
    return path


def test_the_repeat_after_a_restart_makes_no_second_order(own_db: Path) -> None:
    settings = ServerSettings(db=own_db, api_key=KEY, clock_speed=0)
    conn = sqlite3.connect(f"file:{own_db}?mode=ro", uri=True)
    try:
        customer, _, item = parties(conn)
    finally:
        conn.close()
    body = order(customer, (item, 4), PurchaseOrderByCustomer="PO-ONCE")
    request_id = uuid.uuid4().hex
    numbers = []
    for _ in range(2):  # the answer to the first is "lost"; the client retries later
        with ServerThread(settings) as server, requests.Session() as session:
            session.auth = ("CONNECTOR", KEY)
            sap = server.url + "/sap/opu/odata/sap"
            response = post(csrf(session, sap), sap, body, request_id)
            assert response.status_code == 201, response.text
            numbers.append(response.json()["d"]["SalesOrder"])
    assert numbers[0] == numbers[1]
    conn = sqlite3.connect(own_db)
    try:
        made = conn.execute(
            "SELECT count(*) FROM erpsim_document_extras WHERE external_document_number = ?",
            ("PO-ONCE",),
        ).fetchone()[0]
        (orders,) = conn.execute(
            "SELECT count(*) FROM sales_orders WHERE no = ?", (numbers[0],)
        ).fetchone()
    finally:
        conn.close()
    assert (made, orders) == (1, 1)
