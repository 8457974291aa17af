"""After a load run against the embedded store: did every order arrive in the ERP, once?

Inputs: the documents the personas were told were placed (``placed.json``: kind, store
document id, the client's idempotency key, state, ERP number), the store's database (its
``web_documents`` and ``outbox``) once the outbox is drained, and the ERP's database.

Checks (each violation is listed with the document it concerns):

1. every order the personas placed (kinds ``order`` and ``quote_order``) is a web document
   of the store, under the key the client sent, and is ``accepted`` with an ERP number
   (``pending`` after the drain: undelivered; missing: lost by the store), or ``rejected``:
   the ERP *refused* it (credit limit, blocked item or customer). A refusal is an answer,
   not a loss: it is counted (``refused_orders``, ``refusal_rate``, ``refusals_by_reason``,
   the reason being the ERP's, e.g. ``credit_limit_exceeded``) and is a violation only if
   the document nevertheless carries an ERP number;
2. that ERP number is a sales order in the ERP with channel ``web`` for the same customer
   (missing: lost between store and ERP);
3. no idempotency key appears twice among the store's documents, no ERP number belongs to
   two documents, the ERP holds no new web order (not from a quote) that no store document
   delivered (a duplicate delivery creates a second order), and no quote became two orders;
4. no outbox row claims ``delivered`` for a document that is not accepted with an ERP number;
5. the sales orders the ERP connector created itself (kind ``connector_order``, SAP mode:
   not store documents) are web orders of their customer in the ERP, each under its own
   number; they are not counted as orders no store document delivered.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.erp.digest import read_only_uri

__all__ = ["IntegrityReport", "check_integrity", "refusal_reason", "web_order_numbers"]

ORDER_KINDS = ("order", "quote_order")
CONNECTOR_KIND = "connector_order"


@dataclass
class IntegrityReport:
    placed_orders: int = 0
    store_documents: int = 0
    erp_orders_found: int = 0
    erp_new_web_orders: int = 0
    refused_orders: int = 0
    connector_orders: int = 0
    refusals_by_reason: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def refusal_rate(self) -> float:
        """Refused orders per order placed (0 when none were placed)."""
        return self.refused_orders / self.placed_orders if self.placed_orders else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "placed_orders": self.placed_orders,
            "store_order_documents": self.store_documents,
            "erp_orders_found": self.erp_orders_found,
            "erp_new_web_orders": self.erp_new_web_orders,
            "refused_orders": self.refused_orders,
            "connector_orders": self.connector_orders,
            "refusal_rate": round(self.refusal_rate, 4),
            "refusals_by_reason": dict(self.refusals_by_reason.most_common()),
            "violations": self.violations[:100],
            "violation_count": len(self.violations),
        }


def refusal_reason(error: str | None) -> str:
    """The ERP's reason of a refused document (its error is ``reason: message``)."""
    reason = (error or "").partition(":")[0].strip()
    return reason if reason and " " not in reason else "unknown"


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(Path(path)), uri=True)


def web_order_numbers(erp_db: Path) -> set[str]:
    """The ERP's web-channel sales order numbers (taken before the run as the baseline)."""
    conn = _ro(erp_db)
    try:
        return {row[0] for row in conn.execute("SELECT no FROM sales_orders WHERE channel = 'web'")}
    finally:
        conn.close()


def check_integrity(
    placed: list[dict[str, Any]] | Path,
    store_db: Path,
    erp_db: Path,
    baseline_web_orders: set[str],
) -> IntegrityReport:
    if isinstance(placed, Path):
        placed = json.loads(placed.read_text(encoding="utf-8")) if placed.is_file() else []
    report = IntegrityReport()
    orders = [p for p in placed if p.get("kind") in ORDER_KINDS]
    report.placed_orders = len(orders)
    store = _ro(store_db)
    try:
        documents = {
            row[0]: row
            for row in store.execute(
                "SELECT id, kind, customer_no, idempotency_key, status, erp_number, error "
                "FROM web_documents WHERE kind IN ('order', 'quote_order')"
            )
        }
        keys = Counter(row[0] for row in store.execute("SELECT idempotency_key FROM web_documents"))
        delivered_wrongly = store.execute(
            "SELECT o.document_id FROM outbox o JOIN web_documents d ON d.id = o.document_id "
            "WHERE o.status = 'delivered' AND (d.status <> 'accepted' OR d.erp_number IS NULL)"
        ).fetchall()
    finally:
        store.close()
    report.store_documents = len(documents)
    erp = _ro(erp_db)
    try:
        rows = erp.execute(
            "SELECT no, customer_no, quote_no FROM sales_orders WHERE channel = 'web'"
        ).fetchall()
    finally:
        erp.close()
    erp_web = {no: customer for no, customer, _ in rows}
    v = report.violations
    for quote, n in Counter(quote for _, _, quote in rows if quote).items():
        if n > 1:
            v.append(f"ERP quote {quote} was turned into {n} web orders")
    for key, n in keys.items():
        if n > 1:
            v.append(f"idempotency key {key} used by {n} store documents")
    for (document_id,) in delivered_wrongly:
        v.append(f"outbox row of document {document_id} is 'delivered' but the document is not")
    numbers = Counter(row[5] for row in documents.values() if row[5])
    for number, n in numbers.items():
        if n > 1:
            v.append(f"ERP number {number} belongs to {n} store documents")
    for entry in orders:
        document = str(entry["document"])  # ASCII digits: int() refuses '²', isdigit() not
        row = documents.get(int(document)) if document.isascii() and document.isdigit() else None
        label = f"{entry['kind']} document {entry['document']} (key {entry['key']})"
        if row is None or not str(row[3]).endswith(f":{entry['key']}"):
            v.append(f"{label}: placed, but the store has no such document")
            continue
        if row[4] == "rejected":
            if row[5]:
                v.append(f"{label}: refused by the ERP, yet it has ERP number {row[5]}")
                continue
            report.refused_orders += 1
            report.refusals_by_reason[refusal_reason(row[6])] += 1
            continue
        if row[4] != "accepted" or not row[5]:
            v.append(f"{label}: still {row[4]} in the store after the outbox drained")
            continue
        if row[5] not in erp_web:
            v.append(f"{label}: ERP order {row[5]} is missing from the ERP (channel web)")
            continue
        if erp_web[row[5]] != row[2]:
            v.append(f"{label}: ERP order {row[5]} belongs to {erp_web[row[5]]}, not {row[2]}")
            continue
        report.erp_orders_found += 1
    new_web = set(erp_web) - baseline_web_orders
    report.erp_new_web_orders = len(new_web)
    delivered = {row[5] for row in documents.values() if row[4] == "accepted" and row[5]}
    connector = [p for p in placed if p.get("kind") == CONNECTOR_KIND]
    report.connector_orders = len(connector)
    for number, n in Counter(str(p.get("erp_number")) for p in connector).items():
        if n > 1:
            v.append(f"connector order {number} was reported created {n} times")
    for entry in connector:
        number = str(entry.get("erp_number"))
        if erp_web.get(number) != entry.get("customer"):
            v.append(f"connector order {number} (key {entry.get('key')}) is not a web order"
                     f" of {entry.get('customer')} in the ERP")  # fmt: skip
    delivered |= {str(p.get("erp_number")) for p in connector}
    # Orders from a quote may come from the ERP's own world accepting a web quote; a
    # duplicate of those is caught per quote above.
    direct = {no for no, _, quote in rows if not quote}
    extra = sorted((new_web & direct) - delivered)
    if extra:
        v.append(
            f"{len(extra)} new web order(s) in the ERP that no store document delivered "
            f"(duplicates?): {', '.join(extra[:10])}"
        )
    return report
