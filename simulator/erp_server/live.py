"""The live ERP: the single writer of the database.

One `LiveErp` per server (in the server process with one worker, in the supervisor with
several) owns the World and its clock, the write connection, idempotency keys, webhook
subscriptions and the current fault settings. Every method runs on one thread (the
gateway's), so world changes, ETag checks and idempotency lookups never race. Request
handlers validate input before calling in, and read back results through their own
read-only connections.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.erp.pricing import PricingError
from simulator.erp.schema import TABLES, TABLES_BY_NAME
from simulator.erp.world.documents import Order, Quote
from simulator.erp.world.service import ReturnedLine
from simulator.erp_server import bc_sets
from simulator.erp_server.clock import ClockMapping, LiveClock, resume_world
from simulator.erp_server.document_ops import DocumentWrites, prepare_documents
from simulator.erp_server.entities import ENTITY_SETS
from simulator.erp_server.faults import FaultSettings
from simulator.erp_server.idempotency import IDEMPOTENCY_DDL, IdempotencyStore
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.reads import etag_of, one_row
from simulator.erp_server.sap.writer import SapWrites
from simulator.erp_server.settings import ServerSettings
from simulator.erp_server.storage import DiskFull, atomic
from simulator.erp_server.webhooks import WebhookHub

__all__ = ["API_INDEXES", "LiveErp", "prepare_database", "pricing_error"]

log = logging.getLogger("erpsim.erp_server")

# Indexes the API needs beyond schema.py's: delta reads by lastModifiedDateTime on every
# exposed table, lookups by SystemId (`items(<id>)`, a line's document), and the joins the
# BC views make (a shipment's invoice).
_TABLES = dict.fromkeys(s.base_table for s in ENTITY_SETS.values() if s.base_table is not None)
_WITH_ID = {t.name for t in TABLES if "id" in t.columns}
API_INDEXES = (
    *(
        f"CREATE INDEX IF NOT EXISTS api_{table}_modified ON {table} (last_modified_date_time)"
        for table in _TABLES
    ),
    *(
        f"CREATE INDEX IF NOT EXISTS api_{table}_id ON {table} (id)"
        for table in _TABLES
        if table in _WITH_ID
    ),
    "CREATE INDEX IF NOT EXISTS api_sales_invoices_shipment ON sales_invoices (shipment_no)",
    "CREATE INDEX IF NOT EXISTS api_sales_invoices_order ON sales_invoices (order_no)",
    "CREATE INDEX IF NOT EXISTS api_sales_invoices_customer ON sales_invoices (customer_no)",
)
PRICING_STATUS = {
    "customer_not_found": 400,
    "item_not_found": 400,
    "invalid_quantity": 400,
    "customer_blocked": 422,
    "item_blocked": 422,
    "unit_not_defined": 422,
    "no_exchange_rate": 422,
}
# Fields a PATCH may change: (entity set, API field) -> column. Customer and contact details
# are not held by the world, so they are updated in place; an order's requested delivery
# date and contact go through the world, which owns open orders.
PATCHABLE: dict[str, dict[str, str]] = {
    "customers": {
        "displayName": "name",
        "addressLine1": "address",
        "city": "city",
        "postalCode": "post_code",
        "phoneNumber": "phone_no",
        "email": "email",
    },
    "contacts": {
        "firstName": "first_name",
        "surname": "surname",
        "jobTitle": "job_title",
        "email": "email",
        "phoneNumber": "phone_no",
    },
    "salesOrders": {
        "requestedDeliveryDate": "requested_delivery_date",
        "contactNumber": "contact_no",
    },
}
EDITABLE_ORDER_STATUSES = ("Open", "Pending Approval")


DOCUMENT_TABLES: dict[type, tuple[str, str]] = {
    Order: ("sales_orders", "sales_order_lines"),
    Quote: ("sales_quotes", "sales_quote_lines"),
}


def _upsert(conn: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" * len(TABLES_BY_NAME[table].columns))
    conn.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", rows)


def pricing_error(exc: PricingError) -> ODataError:
    return ODataError(PRICING_STATUS.get(exc.code, 422), exc.code, str(exc))


def prepare_database(conn: sqlite3.Connection) -> None:
    """WAL (readers never wait for the writer), the API's indexes and the idempotency keys'
    table, created once."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    known = {t.name for t in TABLES}
    bc_sets.prepare(conn)
    prepare_documents(conn)
    for statement in API_INDEXES:
        table = statement.split(" ON ")[1].split(" ")[0]
        if table in known:
            conn.execute(statement)
    for statement in IDEMPOTENCY_DDL:
        conn.execute(statement)
    conn.commit()


Remember = tuple[str | None, str, str, str]  # (key, fingerprint, entity set, result)


@dataclass(frozen=True, slots=True)
class InquiryRequest:
    """A validated service request (invoice copy or order status)."""

    customer_no: str
    type: str
    contact_no: str | None = None
    order_no: str = ""
    invoice_no: str = ""


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    """A validated return request for one shipped line (quantity in the line's unit)."""

    shipment_no: str
    line_no: int
    quantity: float
    reason: str
    contact_no: str | None = None
    customer_no: str | None = None  # when given, the shipment must be this customer's


class LiveErp(DocumentWrites, SapWrites):
    """The single writer (see the module docstring); BC's document and master-data
    writes are in `DocumentWrites`, the SAP facade's additions in `SapWrites`."""

    def __init__(self, settings: ServerSettings, path: Path, company_id: str) -> None:
        self.settings = settings
        self.conn = sqlite3.connect(path, check_same_thread=False)
        prepare_database(self.conn)
        bc_sets.install(self.conn, company_id)
        self.world = resume_world(self.conn)
        self.hub = WebhookHub(
            company_id=company_id,
            attempts=settings.webhook_attempts,
            backoff=settings.webhook_backoff,
            timeout=settings.webhook_timeout,
        )
        self.clock = LiveClock(
            self.world,
            settings.clock_speed,
            min_interval=settings.sync_interval,
            on_advance=lambda: self.hub.detect(self.conn),
        )
        self.clock.sync(force=True)
        self.idempotency = IdempotencyStore(self.conn, ttl=settings.idempotency_ttl)
        self.disk = DiskFull(self.conn)
        self.disk.apply(settings.faults.disk_full)
        self.faults = settings.faults
        self.faults_version = 0
        self.faults_at = time.time()
        self.hub.start()

    def close(self) -> None:
        self.hub.close()
        try:
            self.clock.sync(force=True)
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:  # another process still reading: stay in WAL mode
            log.warning("could not leave WAL mode: %s", exc)
        self.conn.close()

    # --- clock ---------------------------------------------------------------------------
    def mapping(self) -> ClockMapping:
        mapping: ClockMapping = self.clock.mapping
        return mapping

    def sync(self) -> int:
        """Advance if due; returns the fault settings version (workers refresh on change).
        A world batch that cannot be written is dropped (the world resumes from the
        database) and tried again from there on a later sync."""
        try:
            self.clock.sync()
        except sqlite3.Error as exc:
            self.recover(exc)
        return self.faults_version

    def clock_state(self) -> dict[str, Any]:
        self.sync()
        state: dict[str, Any] = self.clock.state()
        return state

    def recover(self, exc: BaseException) -> None:
        """After a failed write: roll back, and resume the world from the database, which
        holds exactly what was committed (the world may hold a document whose rows were
        not). Costs one world start-up (0.3 s at `small`), on failures only."""
        log.warning("a write failed (%s): resuming the world from the database", exc)
        try:
            self.conn.rollback()
        except sqlite3.Error as rollback:
            log.warning("rollback failed: %s", rollback)
        stale = self.world
        self.world = resume_world(self.conn)
        self.clock.world = self.world  # the same time mapping: workers keep theirs
        stale.close()

    # --- faults --------------------------------------------------------------------------
    def get_faults(self) -> tuple[FaultSettings, float, int]:
        return self.faults, self.faults_at, self.faults_version

    def set_faults(self, faults: FaultSettings) -> tuple[FaultSettings, float, int]:
        self.disk.apply(faults.disk_full)
        self.faults, self.faults_at = faults, time.time()
        self.faults_version += 1
        return self.get_faults()

    # --- documents -----------------------------------------------------------------------
    @atomic
    def make_order(self, quote_id: str, key: str | None, print_: str) -> tuple[str, bool]:
        """BC's makeOrder on a quote: the order at the quote's prices."""
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return replayed, True
        quote_no = self._number("sales_quotes", quote_id, "salesQuotes")
        self.clock.sync()
        try:
            order = self.world.accept_quote(quote_no)
        except KeyError:
            raise ODataError(409, "quote_not_open", f"quote {quote_no} is not open") from None
        except ValueError as exc:
            raise ODataError(409, "quote_expired", str(exc)) from None
        self.copy_extras(quote_no, order.no)
        self._commit(
            order, self.world.out.quotes[quote_no], remember=(key, print_, "salesOrders", order.id)
        )
        return order.id, False

    @atomic
    def release(self, order_id: str) -> None:
        order_no = self._number("sales_orders", order_id, "salesOrders")
        self.clock.sync()
        try:
            order = self.world.release_order(order_no)
        except KeyError:
            status = self._value("sales_orders", "status", "no", order_no)
            if status in ("Released", "Partially Shipped", "Shipped", "Invoiced"):
                return  # releasing a released order changes nothing, as in BC
            raise ODataError(
                409, "order_not_open", f"order {order_no} ({status}) cannot be released here"
            ) from None
        except ValueError as exc:
            raise ODataError(409, "order_has_no_lines", str(exc)) from None
        self._commit(order)

    @atomic
    def patch(
        self, entity_set: str, key: tuple[Any, ...], changes: dict[str, Any], if_match: str
    ) -> None:
        """Update fields of one entity if its ETag still matches `if_match` (412 if not)."""
        entity = ENTITY_SETS[entity_set]
        self.clock.sync()
        row = one_row(self.conn, entity, key)
        if row is None:
            raise ODataError(404, "not_found", f"{entity_set}: no entity with this key")
        if if_match != "*" and if_match != etag_of(row):
            raise ODataError(
                412, "precondition_failed", "the entity changed since you read it (ETag mismatch)"
            )
        columns = {PATCHABLE[entity_set][name]: value for name, value in changes.items()}
        if entity_set == "salesOrders":
            self._patch_order(row[entity.columns.index('"number"')], columns)
        else:
            assignments = ", ".join(f"{c} = ?" for c in columns)
            self.disk.refuse()
            try:
                self.conn.execute(
                    f"UPDATE {entity.base_table} SET {assignments}, last_modified_date_time = ?"
                    " WHERE id = ?",
                    (*columns.values(), self.world.stamp, key[0]),
                )
            except sqlite3.IntegrityError as exc:
                self.conn.rollback()
                raise ODataError(409, "conflict", f"{entity_set}: {exc}") from None
            self.conn.commit()
        self.hub.detect(self.conn)

    def _patch_order(self, order_no: str, columns: dict[str, Any]) -> None:
        order = self.world.open_orders.get(order_no)
        if order is None or order.status not in EDITABLE_ORDER_STATUSES:
            status = (
                order.status
                if order is not None
                else self._value("sales_orders", "status", "no", order_no)
            )
            raise ODataError(
                409, "order_not_editable", f"order {order_no} is {status}: it cannot be changed"
            )
        if "contact_no" in columns:
            owner = self._value("contacts", "customer_no", "no", columns["contact_no"])
            if owner != order.customer_no:
                raise ODataError(
                    400,
                    "invalid_contact",
                    f"contact {columns['contact_no']!r} is not one of "
                    f"customer {order.customer_no}'s",
                )
            order.contact_no = columns["contact_no"]
        if "requested_delivery_date" in columns:
            order.requested_delivery_date = columns["requested_delivery_date"]
        self.world.touch_order(order)
        self._commit(order)

    # --- receivables and service ---------------------------------------------------------
    @atomic
    def pay(
        self, invoice_no: str, amount: float | None, key: str | None, print_: str
    ) -> tuple[str, bool]:
        """An online payment of an open invoice; returns (payment id, replayed)."""
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return replayed, True
        self.clock.sync()
        invoice = self.world.open_invoices.get(invoice_no)
        if invoice is None:
            status = self._value("sales_invoices", "status", "no", invoice_no)
            if status is None:
                raise ODataError(404, "not_found", f"no invoice {invoice_no!r}")
            raise ODataError(409, "invoice_not_open", f"invoice {invoice_no} is {status}")
        try:
            payment = self.world.pay_invoice(invoice_no, amount, "web")
        except ValueError as exc:
            raise ODataError(400, "invalid_amount", str(exc)) from None
        _upsert(self.conn, "customer_payments", [payment.row()])
        _upsert(self.conn, "sales_invoices", [invoice.row()])
        self._commit(remember=(key, print_, "customerPayments", payment.id))
        return payment.id, False

    @atomic
    def inquire(self, request: InquiryRequest, key: str | None, print_: str) -> tuple[str, bool]:
        """A service request from outside (invoice copy, order status); returns (number,
        replayed). The order or invoice must be the customer's."""
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return replayed, True
        self._check_customer(request.customer_no)
        contact = self._contact(request.customer_no, request.contact_no)
        for table, number in (
            ("sales_orders", request.order_no),
            ("sales_invoices", request.invoice_no),
        ):
            if number and self._value(table, "customer_no", "no", number) != request.customer_no:
                raise ODataError(
                    400, "invalid_reference", f"{number} is not a document of {request.customer_no}"
                )
        self.clock.sync()
        inquiry = self.world.log_inquiry(
            request.customer_no,
            request.type,
            contact_no=contact,
            order_no=request.order_no,
            invoice_no=request.invoice_no,
            channel="web",
        )
        _upsert(self.conn, "inquiries", [inquiry.row()])
        self._commit(remember=(key, print_, "inquiries", inquiry.no))
        return inquiry.no, False

    @atomic
    def return_goods(self, request: ReturnRequest, key: str | None, print_: str) -> dict[str, Any]:
        """A return request for a shipped, invoiced line: accepted at once as a credit memo
        (the goods go back into stock). 409 when the line is not invoiced yet or more is
        returned than was shipped."""
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return {**self._return_result(replayed), "replayed": True}
        row = self.conn.execute(
            "SELECT s.customer_no, s.order_no, s.location_code, sl.item_no,"
            " sl.unit_of_measure_code, sl.quantity, ol.qty_per_unit_of_measure,"
            " ol.unit_price, ol.line_discount_pct"
            " FROM sales_shipment_lines sl JOIN sales_shipments s ON s.no = sl.document_no"
            " JOIN sales_order_lines ol ON ol.document_no = sl.order_no"
            " AND ol.line_no = sl.order_line_no"
            " WHERE sl.document_no = ? AND sl.line_no = ?",
            (request.shipment_no, request.line_no),
        ).fetchone()
        if row is None:
            raise ODataError(
                404, "not_found", f"no line {request.line_no} on shipment {request.shipment_no!r}"
            )
        customer_no, order_no, location, item_no, unit, shipped, per_unit, price, disc = row
        if request.customer_no is not None and request.customer_no != customer_no:
            raise ODataError(
                404, "not_found", f"no shipment {request.shipment_no!r} of this customer"
            )
        invoice = self.conn.execute(
            "SELECT no, currency_code FROM sales_invoices WHERE shipment_no = ?",
            (request.shipment_no,),
        ).fetchone()
        if invoice is None:
            raise ODataError(
                409, "not_invoiced", f"shipment {request.shipment_no} is not invoiced yet"
            )
        (returned,) = self.conn.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM sales_credit_memo_lines"
            " WHERE shipment_no = ? AND shipment_line_no = ?",
            (request.shipment_no, request.line_no),
        ).fetchone()
        if request.quantity > shipped - returned + 1e-9:
            raise ODataError(
                409,
                "return_exceeds_shipped",
                f"{shipped - returned:g} of {shipped:g} shipped can still be returned",
            )
        contact = self._contact(customer_no, request.contact_no)
        self.clock.sync()
        net = round(price * (1 - disc / 100), 5)
        line = ReturnedLine(
            customer_no,
            order_no,
            invoice[0],
            request.shipment_no,
            request.line_no,
            location,
            item_no,
            unit,
            per_unit,
            price,
            disc,
            net,
            invoice[1],
        )
        memo, inquiry = self.world.enter_return(
            line, request.quantity, reason=request.reason, contact_no=contact
        )
        _upsert(self.conn, "sales_credit_memos", [memo.row()])
        _upsert(self.conn, "sales_credit_memo_lines", memo.line_rows())
        _upsert(self.conn, "inquiries", [inquiry.row()])
        remembered = f"{memo.id} {inquiry.no}"
        self._commit(remember=(key, print_, "salesCreditMemos", remembered))
        return {**self._return_result(remembered), "replayed": False}

    def _return_result(self, remembered: str) -> dict[str, Any]:
        """The answer to a return request, from what the idempotency store remembers:
        '<credit memo id> <inquiry number>'."""
        memo_id, inquiry_no = remembered.split(" ")
        number, amount, currency = self.conn.execute(
            "SELECT no, amount, currency_code FROM sales_credit_memos WHERE id = ?", (memo_id,)
        ).fetchone()
        return {
            "creditMemoNumber": number,
            "creditMemoId": memo_id,
            "amount": amount,
            "currencyCode": currency,
            "inquiryNumber": inquiry_no,
        }

    def _check_customer(self, customer_no: str) -> None:
        if customer_no not in self.world.account_pos:
            raise ODataError(400, "customer_not_found", f"no customer {customer_no!r}")

    def _contact(self, customer_no: str, contact_no: str | None) -> str:
        """The given contact (it must be the customer's) or the customer's first one."""
        if contact_no:
            if self._value("contacts", "customer_no", "no", contact_no) != customer_no:
                raise ODataError(
                    400, "invalid_contact", f"contact {contact_no!r} is not one of {customer_no}'s"
                )
            return contact_no
        found = self._value("contacts", "no", "customer_no", customer_no)
        return str(found) if found is not None else ""

    # --- subscriptions -------------------------------------------------------------------
    def subscribe(self, url: str, resource: str, client_state: str) -> dict[str, Any]:
        return self.hub.add(self.conn, url, resource, client_state)

    def subscription(
        self, op: str, subscription_id: str, changes: dict[str, str] | None = None
    ) -> Any:
        if op == "get":
            return self.hub.get(subscription_id)
        if op == "renew":
            return self.hub.renew(subscription_id, changes or {})
        if op == "delete":
            return self.hub.delete(subscription_id)
        return self.hub.list()

    def webhook_stats(self) -> dict[str, int]:
        return dict(self.hub.stats)

    # --- helpers -------------------------------------------------------------------------
    def _commit(self, *documents: Order | Quote, remember: Remember | None = None) -> None:
        """Write the documents an API call changed, now, so the caller reads them back, and
        the call's idempotency key in the same transaction (rows the caller upserted before
        are in it too).

        Only these rows: a whole world batch costs tens of milliseconds on `large` whatever
        its size; the world writes the same rows again (or newer versions) in its next batch.
        """
        self.disk.refuse()
        if remember is not None:
            self.idempotency.record(*remember)
        for document in documents:
            header, lines = DOCUMENT_TABLES[type(document)]
            _upsert(self.conn, header, [document.row()])
            _upsert(self.conn, lines, document.line_rows())
        if self.holding:  # inside an SAP changeset: it commits once, at its end
            return
        self.conn.commit()
        self.hub.detect(self.conn)

    def _number(self, table: str, document_id: str, entity_set: str) -> str:
        number = self._value(table, "no", "id", document_id)
        if number is None:
            raise ODataError(404, "not_found", f"{entity_set}: no entity with key {document_id!r}")
        return str(number)

    def _value(self, table: str, wanted: str, column: str, value: Any) -> Any:
        row = self.conn.execute(
            f"SELECT {wanted} FROM {table} WHERE {column} = ? LIMIT 1", (value,)
        ).fetchone()
        return row[0] if row else None
