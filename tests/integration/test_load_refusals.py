"""An order the ERP refused (credit limit) is a counted refusal, not a lost order."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from simulator.erp.generate import GenerationSummary
from simulator.load.integrity import check_integrity, refusal_reason, web_order_numbers
from simulator.store.db import create_schema

REFUSAL = (
    "credit_limit_exceeded: customer C000002: open orders and invoices of 7,646.38 would "
    "exceed the credit limit of 2,000.00"
)


def _store(path: Path, rows: list[tuple[int, str, str, str, str | None, str | None]]) -> None:
    conn = sqlite3.connect(path)
    create_schema(conn)
    with conn:
        for doc_id, customer, key, status, number, error in rows:
            conn.execute(
                "INSERT INTO web_documents(id, kind, customer_no, user_id, idempotency_key,"
                " status, request_json, erp_number, error, created_at, updated_at)"
                " VALUES (?, 'order', ?, 1, ?, ?, '{}', ?, ?, 'now', 'now')",
                (doc_id, customer, f"u1:{key}", status, number, error),
            )
            outbox = {"accepted": "delivered"}.get(status, status)
            conn.execute(
                "INSERT INTO outbox(document_id, next_attempt_at, status) VALUES (?, 0, ?)",
                (doc_id, outbox),
            )
    conn.close()


def test_a_refused_order_is_counted_not_lost(
    tmp_path: Path, history_run: GenerationSummary
) -> None:
    erp_db = tmp_path / "erp.sqlite"
    shutil.copyfile(history_run.path, erp_db)
    erp = sqlite3.connect(erp_db)
    with erp:  # the accepted one: an order the store delivered over the web channel
        number, customer = erp.execute(
            "SELECT no, customer_no FROM sales_orders ORDER BY no LIMIT 1"
        ).fetchone()
        erp.execute("UPDATE sales_orders SET channel = 'web' WHERE no = ?", (number,))
    erp.close()
    store_db = tmp_path / "store.sqlite"
    _store(
        store_db,
        [
            (1, customer, "k1", "accepted", number, None),
            (2, "C000002", "k2", "rejected", None, REFUSAL),
            (3, "C000003", "k3", "rejected", None, REFUSAL),
        ],
    )
    placed = [
        {"kind": "order", "document": str(i), "key": f"k{i}", "state": "x"} for i in (1, 2, 3)
    ]
    report = check_integrity(placed, store_db, erp_db, web_order_numbers(erp_db))
    assert report.ok, report.violations
    assert report.erp_orders_found == 1
    summary = report.as_dict()
    assert summary["refused_orders"] == 2
    assert summary["refusal_rate"] == round(2 / 3, 4)
    assert summary["refusals_by_reason"] == {"credit_limit_exceeded": 2}

    # A "refused" document that nevertheless has an ERP order is not a refusal.
    conn = sqlite3.connect(store_db)
    with conn:
        conn.execute("UPDATE web_documents SET erp_number = 'SO-X' WHERE id = 3")
    conn.close()
    report = check_integrity(placed, store_db, erp_db, web_order_numbers(erp_db))
    assert report.refused_orders == 1
    assert any("refused by the ERP, yet it has ERP number SO-X" in v for v in report.violations)


def test_refusal_reason() -> None:
    assert refusal_reason(REFUSAL) == "credit_limit_exceeded"
    assert refusal_reason(None) == "unknown"
    assert refusal_reason("no reason given here") == "unknown"
