"""Writing the world's changes: one batch per table per flush, newest version of each row.

Documents that change (quotes, orders, invoices, purchase orders) are upserted whole with
their lines; append-only records (shipments, payments, ledger entries, inquiries, new price
lines) are inserted; stock, item prices and ended price lines are updated in place.

A history run (`World.hold_open_documents`) keeps documents that will change again (open
quotes and orders, unpaid invoices, purchase orders not received) for a later write instead
of writing them now and again then: the final write has every document's last version, so
the file is the same, with a third fewer document rows written at `large`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from simulator.erp.schema import TABLES_BY_NAME
from simulator.erp.world.core import Outbox, World
from simulator.erp.world.documents import Invoice, Order, PurchaseOrder, Quote

# The last states of each document kind: a document in one will not change again.
_SETTLED: dict[type, frozenset[str]] = {
    Quote: frozenset({"Accepted", "Expired"}),
    Order: frozenset({"Invoiced"}),
    Invoice: frozenset({"Paid"}),
    PurchaseOrder: frozenset({"Received"}),
}


def _open(document: Quote | Order | Invoice | PurchaseOrder) -> bool:
    return document.status not in _SETTLED[type(document)]


def hold_open(out: Outbox) -> Outbox:
    """Take the documents that will change again out of `out`; they are returned in a new
    outbox, to be written later (with their later changes)."""
    held = Outbox()
    for name in ("quotes", "orders", "invoices", "purchase_orders"):
        documents: dict = getattr(out, name)
        keep = {key: doc for key, doc in documents.items() if _open(doc)}
        if keep:
            setattr(out, name, {k: d for k, d in documents.items() if k not in keep})
            setattr(held, name, keep)
    return held


def _upsert(conn: sqlite3.Connection, table: str, rows: Iterable[tuple]) -> None:
    width = len(TABLES_BY_NAME[table].columns)
    conn.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * width)})", rows)


def write_changes(world: World) -> None:
    out = world.out
    conn = world.conn
    _upsert(conn, "sales_quotes", (q.row() for q in out.quotes.values()))
    _upsert(conn, "sales_quote_lines", (r for q in out.quotes.values() for r in q.line_rows()))
    _upsert(conn, "sales_orders", (o.row() for o in out.orders.values()))
    _upsert(conn, "sales_order_lines", (r for o in out.orders.values() for r in o.line_rows()))
    _upsert(conn, "sales_shipments", (s.row() for s in out.shipments))
    _upsert(conn, "sales_shipment_lines", (r for s in out.shipments for r in s.line_rows()))
    _upsert(conn, "sales_invoices", (i.row() for i in out.invoices.values()))
    new_invoices = [i for i in out.invoices.values() if not i.lines_written]
    _upsert(conn, "sales_invoice_lines", (r for i in new_invoices for r in i.line_rows()))
    for invoice in new_invoices:
        invoice.lines_written = True
    _upsert(conn, "customer_payments", (p.row() for p in out.payments))
    _upsert(conn, "sales_credit_memos", (m.row() for m in out.credit_memos))
    _upsert(conn, "sales_credit_memo_lines", (r for m in out.credit_memos for r in m.line_rows()))
    _upsert(conn, "inquiries", (i.row() for i in out.inquiries))
    _upsert(conn, "purchase_orders", (p.row() for p in out.purchase_orders.values()))
    _upsert(conn, "item_ledger_entries", out.ledger)
    conn.executemany(
        "UPDATE item_stock SET inventory = ?, last_modified_date_time = ?"
        " WHERE item_no = ? AND location_code = ?",
        [
            (float(world.inventory[i, j]), changed, world.item_no[i], world.location_codes[j])
            for (i, j), changed in sorted(out.stock.items())
        ],
    )
    conn.executemany(
        "UPDATE items SET unit_price = ?, last_modified_date_time = ? WHERE no = ?",
        [
            (world.prices.items[world.item_no[i]].unit_price, changed, world.item_no[i])
            for i, changed in sorted(out.items.items())
        ],
    )
    # New lines first: a line added and ended within one flush is ended by the update.
    _upsert(conn, "price_list_lines", out.price_lines)
    conn.executemany(
        "UPDATE price_list_lines SET ending_date = ?, last_modified_date_time = ?"
        " WHERE price_list_code = ? AND line_no = ?",
        [(ending, changed, code, line) for ending, code, line, changed in out.ended_lines],
    )
    _upsert(conn, "price_lists", out.price_lists)
    _upsert(conn, "campaigns", out.campaigns)
    _upsert(conn, "currency_exchange_rates", out.rates)
    conn.commit()
