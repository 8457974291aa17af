"""The writes a store makes besides orders: batch pricing with breaks and stock, online
payments, service requests and returns — on a real server over a copy of the small
dataset with history, results checked in the ERP's own tables."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp.pricing import PriceRequest, SqlitePriceData, price_breaks, resolve_price
from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "test-key"


@pytest.fixture(scope="module")
def db(history_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("erp-receivables") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    return path


@pytest.fixture(scope="module")
def api(db: Path) -> Iterator[str]:
    with ServerThread(ServerSettings(db=db, api_key=KEY, clock_speed=0)) as running:
        yield running.url + "/api/v2.0"


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["api-key"] = KEY
        yield session


@pytest.fixture
def sql(db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(db)
    yield conn
    conn.close()


def _today(http: requests.Session, api: str) -> date:
    return date.fromisoformat(http.get(api + "/$clock").json()["today"])


def test_calculate_prices_matches_engine_and_stock(
    api: str, http: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, location = sql.execute(
        "SELECT no, location_code FROM customers WHERE blocked = '' ORDER BY no LIMIT 1"
    ).fetchone()
    items = [
        row[0] for row in sql.execute("SELECT no FROM items WHERE blocked = 0 ORDER BY no LIMIT 30")
    ]
    lines = [{"itemNumber": no, "quantity": 1 + i % 7} for i, no in enumerate(items)]
    lines.append({"itemNumber": "NO-SUCH", "quantity": 1})
    response = http.post(
        api + "/calculatePrices", json={"customerNumber": customer, "lines": lines}
    )
    assert response.status_code == 200
    value = response.json()["value"]
    assert [v["itemNumber"] for v in value] == [line["itemNumber"] for line in lines]
    assert value[-1]["error"]["code"] == "item_not_found"
    data = SqlitePriceData(sql)
    today = _today(http, api)
    for line, got in zip(lines[:-1], value[:-1], strict=True):
        request = PriceRequest(customer, line["itemNumber"], line["quantity"], today)
        expected = resolve_price(data, request)
        assert got["netUnitPrice"] == expected.net_unit_price
        assert got["lineAmount"] == expected.line_amount
        assert [(b["minimumQuantity"], b["netUnitPrice"]) for b in got["quantityBreaks"]] == [
            (q, r.net_unit_price) for q, r in price_breaks(data, request)
        ]
        (stock,) = sql.execute(
            "SELECT inventory FROM item_stock WHERE item_no = ? AND location_code = ?",
            (line["itemNumber"], location),
        ).fetchone()
        assert got["availableQuantity"] == stock


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"customerNumber": "C000001", "lines": []}, 400, "invalid_value"),
        (
            {"customerNumber": "C000001", "lines": [{"itemNumber": "1", "quantity": 1}] * 501},
            400,
            "invalid_value",
        ),
        (
            {"customerNumber": "C000001", "lines": [{"itemNumber": "1", "qty": 1}]},
            400,
            "unknown_field",
        ),
        ({"customerNumber": "C000001", "lines": ["x"]}, 400, "invalid_value"),
        (
            {"customerNumber": "NOPE", "lines": [{"itemNumber": "1", "quantity": 1}]},
            400,
            "customer_not_found",
        ),
        ({"lines": [{"itemNumber": "1", "quantity": 1}]}, 400, "invalid_value"),
    ],
)
def test_calculate_prices_bad_input(
    api: str, http: requests.Session, body: dict[str, Any], status: int, code: str
) -> None:
    response = http.post(api + "/calculatePrices", json=body)
    assert response.status_code == status
    assert response.json()["error"]["details"][0]["code"] == code


def _open_invoice(sql: sqlite3.Connection, offset: int = 0) -> tuple[str, str, float]:
    return sql.execute(
        "SELECT no, customer_no, remaining_amount FROM sales_invoices WHERE status = 'Open'"
        " AND remaining_amount > 10 ORDER BY no LIMIT 1 OFFSET ?",
        (offset,),
    ).fetchone()


def test_pay_invoice_in_parts_then_in_full(
    api: str, http: requests.Session, sql: sqlite3.Connection
) -> None:
    invoice, _, remaining = _open_invoice(sql)
    first = http.post(
        api + "/customerPayments",
        json={"invoiceNumber": invoice, "amount": 5},
        headers={"Idempotency-Key": f"pay-{invoice}-1"},
    )
    assert first.status_code == 201
    assert first.json()["channel"] == "web"
    retried = http.post(
        api + "/customerPayments",
        json={"invoiceNumber": invoice, "amount": 5},
        headers={"Idempotency-Key": f"pay-{invoice}-1"},
    )
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["number"] == first.json()["number"]
    rest = http.post(api + "/customerPayments", json={"invoiceNumber": invoice})
    assert rest.json()["amount"] == pytest.approx(remaining - 5)
    status, left = sql.execute(
        "SELECT status, remaining_amount FROM sales_invoices WHERE no = ?", (invoice,)
    ).fetchone()
    assert (status, left) == ("Paid", 0.0)
    (paid,) = sql.execute(
        "SELECT SUM(amount) FROM customer_payments WHERE invoice_no = ? AND channel = 'web'",
        (invoice,),
    ).fetchone()
    assert paid == pytest.approx(remaining)
    again = http.post(api + "/customerPayments", json={"invoiceNumber": invoice})
    assert again.status_code == 409
    assert again.json()["error"]["details"][0]["code"] == "invoice_not_open"


def test_payment_refusals(api: str, http: requests.Session, sql: sqlite3.Connection) -> None:
    invoice, customer, remaining = _open_invoice(sql, offset=1)
    too_much = http.post(
        api + "/customerPayments", json={"invoiceNumber": invoice, "amount": remaining + 1}
    )
    assert too_much.status_code == 400
    other = sql.execute("SELECT no FROM customers WHERE no != ? LIMIT 1", (customer,)).fetchone()[0]
    foreign = http.post(
        api + "/customerPayments", json={"invoiceNumber": invoice, "customerNumber": other}
    )
    assert foreign.status_code == 404
    missing = http.post(api + "/customerPayments", json={"invoiceNumber": "SI9999999"})
    assert missing.status_code == 404
    negative = http.post(api + "/customerPayments", json={"invoiceNumber": invoice, "amount": -1})
    assert negative.status_code == 400


def test_inquiries_are_logged_with_channel_web(
    api: str, http: requests.Session, sql: sqlite3.Connection
) -> None:
    invoice, customer, _ = _open_invoice(sql, offset=2)
    created = http.post(
        api + "/inquiries",
        json={"customerNumber": customer, "type": "invoice_copy", "invoiceNumber": invoice},
    )
    assert created.status_code == 201
    number = created.json()["number"]
    row = sql.execute(
        "SELECT customer_no, type, channel, invoice_no FROM inquiries WHERE no = ?", (number,)
    ).fetchone()
    assert row == (customer, "invoice_copy", "web", invoice)
    assert http.get(api + f"/inquiries('{number}')").json()["type"] == "invoice_copy"
    other = sql.execute("SELECT no FROM customers WHERE no != ? LIMIT 1", (customer,)).fetchone()[0]
    foreign = http.post(
        api + "/inquiries",
        json={"customerNumber": other, "type": "invoice_copy", "invoiceNumber": invoice},
    )
    assert foreign.status_code == 400
    bad_type = http.post(api + "/inquiries", json={"customerNumber": customer, "type": "x"})
    assert bad_type.status_code == 400


def test_return_request_makes_a_credit_memo_and_restocks(
    api: str, http: requests.Session, sql: sqlite3.Connection
) -> None:
    shipment, line_no, item, shipped, customer = sql.execute(
        "SELECT sl.document_no, sl.line_no, sl.item_no, sl.quantity,"
        " s.customer_no FROM sales_shipment_lines sl"
        " JOIN sales_shipments s ON s.no = sl.document_no"
        " JOIN sales_invoices i ON i.shipment_no = s.no"
        " WHERE sl.quantity >= 2 AND NOT EXISTS (SELECT 1 FROM sales_credit_memo_lines m"
        "  WHERE m.shipment_no = sl.document_no AND m.shipment_line_no = sl.line_no)"
        " ORDER BY sl.document_no DESC LIMIT 1"
    ).fetchone()
    body = {
        "shipmentNumber": shipment,
        "lineSequence": line_no,
        "quantity": 1,
        "customerNumber": customer,
        "reason": "Damaged",
    }
    created = http.post(api + "/returnRequests", json=body, headers={"Idempotency-Key": "ret-1"})
    assert created.status_code == 201
    memo = created.json()["creditMemoNumber"]
    replay = http.post(api + "/returnRequests", json=body, headers={"Idempotency-Key": "ret-1"})
    assert replay.json()["creditMemoNumber"] == memo
    row = sql.execute(
        "SELECT m.customer_no, l.item_no, l.quantity, l.shipment_no, m.reason"
        " FROM sales_credit_memos m JOIN sales_credit_memo_lines l ON l.document_no = m.no"
        " WHERE m.no = ?",
        (memo,),
    ).fetchone()
    assert row == (customer, item, 1.0, shipment, "Damaged")
    inquiry = sql.execute(
        "SELECT type, channel FROM inquiries WHERE no = ?", (created.json()["inquiryNumber"],)
    ).fetchone()
    assert inquiry == ("return", "web")
    too_many = http.post(api + "/returnRequests", json={**body, "quantity": shipped})
    assert too_many.status_code == 409
    assert too_many.json()["error"]["details"][0]["code"] == "return_exceeds_shipped"
    other = sql.execute("SELECT no FROM customers WHERE no != ? LIMIT 1", (customer,)).fetchone()[0]
    foreign = http.post(api + "/returnRequests", json={**body, "customerNumber": other})
    assert foreign.status_code == 404
    missing = http.post(api + "/returnRequests", json={**body, "lineSequence": 99999999})
    assert missing.status_code == 404
