"""The writer's side of Business Central's document and master-data writes.

`DocumentWrites` is a part of `LiveErp` (the single writer, on its one thread): create a
quote or order as BC takes it (header extras in the same transaction), add, change and
remove lines while the document is open, delete an open document, ship and invoice an
order at once, create customers, items and contacts. The world owns open documents, so
every change goes through it (`simulator.erp.world.editing`) and is written at once.

Line ids name their document and line number (`bc_sets.line_id_parts`), so a line number
is never given twice in one document: the highest one used is kept in
``erpsim_line_numbers`` and a new line gets the next multiple of 10000 above it, even after
the last line was deleted.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from simulator.erp.pricing import PricingError
from simulator.erp.world import editing, masterdata
from simulator.erp.world.documents import Order, Quote
from simulator.erp.world.editing import LineEntry
from simulator.erp_server import bc_sets
from simulator.erp_server.bc_writes import (
    DOCUMENT_SETS,
    DocumentBody,
    DocumentSet,
    HeaderBody,
    LineBody,
    LineChange,
    MasterBody,
)
from simulator.erp_server.entities import ENTITY_SETS
from simulator.erp_server.invoice_ops import InvoiceWrites
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.reads import etag_of, one_row
from simulator.erp_server.storage import atomic

if TYPE_CHECKING:
    from simulator.erp.world.core import World
    from simulator.erp_server.idempotency import IdempotencyStore
    from simulator.erp_server.webhooks import WebhookHub

__all__ = ["LINE_NUMBERS_DDL", "DocumentWrites", "prepare_documents"]

LINE_STEP = 10000
LINE_NUMBERS_DDL = """CREATE TABLE IF NOT EXISTS erpsim_line_numbers (
    document_type TEXT NOT NULL,
    document_no TEXT NOT NULL,
    last_line_no INTEGER NOT NULL,
    PRIMARY KEY (document_type, document_no)
) WITHOUT ROWID"""
EDITABLE = {"order": ("Open", "Pending Approval"), "quote": ("Open",)}
SERIES = {"customers": "C", "items": "", "contacts": "CT"}
MASTER_TABLES = {"customers": "customers", "items": "items", "contacts": "contacts"}


def prepare_documents(conn: sqlite3.Connection) -> None:
    conn.execute(LINE_NUMBERS_DDL)


class DocumentWrites(InvoiceWrites):
    """BC's writes on the live ERP (mixed into `LiveErp`, which provides the state)."""

    conn: sqlite3.Connection
    world: World
    idempotency: IdempotencyStore
    hub: WebhookHub
    clock: Any

    # provided by LiveErp
    _commit: Any
    _number: Any

    # --- documents -----------------------------------------------------------------------
    @atomic
    def create_document(
        self, kind: str, body: DocumentBody, key: str | None, print_: str
    ) -> tuple[str, bool]:
        """A quote, order or draft invoice from a BC body; returns (document id, replayed)."""
        if kind == "invoice":
            return self.create_draft(body, key, print_)
        spec = DOCUMENT_SETS[kind]
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return replayed, True
        self.clock.sync()
        world = self.world
        header = body.header
        self._check_date(spec, header.document_date)
        account = self._account(header.customer_no)
        numbers = _line_numbers(body.lines, 0)
        try:
            amount = sum(
                editing.price_entry(world, account, line.entry)[4].line_amount
                for line in body.lines
            )
            if kind == "order":
                self._credit_headroom(header.customer_no, amount)
                document: Order | Quote = world.enter_order(
                    header.customer_no, [], contact_no=header.contact_no, channel=header.channel
                )
            else:
                document = world.enter_quote(
                    header.customer_no, [], contact_no=header.contact_no, channel=header.channel
                )
            for line_no, line in zip(numbers, body.lines, strict=True):
                editing.add_line(world, document, line_no, line.entry)
        except PricingError as exc:
            from simulator.erp_server.live import pricing_error  # noqa: PLC0415

            raise pricing_error(exc) from None
        self._apply_header(document, header)
        self._write_extras(kind, document.no, header.extras)
        if numbers:
            self._note_line_no(kind, document.no, numbers[-1])
        self._commit(document, remember=(key, print_, spec.name, document.id))
        return document.id, False

    def _apply_header(self, document: Order | Quote, header: HeaderBody) -> None:
        if isinstance(document, Order):
            if header.document_date is not None:
                document.order_date = header.document_date
            if header.requested_delivery_date is not None:
                document.requested_delivery_date = header.requested_delivery_date
            if header.salesperson:
                document.salesperson_code = header.salesperson
            self.world.touch_order(document)
        elif header.document_date is not None:
            document.document_date = header.document_date
            self.world.touch(self.world.out.quotes, document.no, document)

    def _check_date(self, spec: DocumentSet, day: str | None) -> None:
        """A document is dated today or earlier (prices are today's either way)."""
        if day is not None and day > self.world.iso_today:
            raise ODataError(
                400,
                "invalid_date",
                f"{spec.date_field} {day} is after the ERP's today ({self.world.iso_today})",
            )

    def _account(self, customer_no: str) -> Any:
        pos = self.world.account_pos.get(customer_no)
        if pos is None:
            raise ODataError(400, "customer_not_found", f"no customer {customer_no!r}")
        account = self.world.accounts[pos]
        if account.blocked == "All":
            raise ODataError(422, "customer_blocked", f"customer {customer_no!r} is blocked")
        return account

    def _credit_headroom(self, customer_no: str, amount: float) -> None:
        """409 when `amount` more would take the customer over its credit limit."""
        world = self.world
        account = world.accounts[world.account_pos[customer_no]]
        if account.credit_limit <= 0 or amount <= 0:
            return
        exposure = float(world.exposure[account.pos]) + world.to_lcy(amount, account.currency)
        if exposure > account.credit_limit:
            raise ODataError(
                409,
                "credit_limit_exceeded",
                f"customer {customer_no}: open orders and invoices of {exposure:,.2f} would"
                f" exceed the credit limit of {account.credit_limit:,.2f}",
            )

    def _write_extras(self, kind: str, document_no: str, extras: dict[str, Any]) -> None:
        if not extras:
            return
        columns = ", ".join(extras)
        marks = ", ".join("?" * len(extras))
        self.conn.execute(
            f"INSERT OR REPLACE INTO erpsim_document_extras (document_type, document_no, {columns})"
            f" VALUES (?, ?, {marks})",
            (kind, document_no, *extras.values()),
        )

    def copy_extras(self, quote_no: str, order_no: str) -> None:
        """An order made from a quote keeps the quote's header extras (as BC copies them)."""
        columns = ", ".join(bc_sets.EXTRA_COLUMNS)
        self.conn.execute(
            f"INSERT OR REPLACE INTO erpsim_document_extras (document_type, document_no, {columns})"
            f" SELECT 'order', ?, {columns} FROM erpsim_document_extras"
            " WHERE document_type = 'quote' AND document_no = ?",
            (order_no, quote_no),
        )

    def _note_line_no(self, kind: str, document_no: str, line_no: int) -> None:
        self.conn.execute(
            "INSERT INTO erpsim_line_numbers VALUES (?, ?, ?) ON CONFLICT DO UPDATE"
            " SET last_line_no = max(last_line_no, excluded.last_line_no)",
            (kind, document_no, line_no),
        )

    def _last_line_no(self, kind: str, document: Order | Quote) -> int:
        row = self.conn.execute(
            "SELECT last_line_no FROM erpsim_line_numbers WHERE document_type = ?"
            " AND document_no = ?",
            (kind, document.no),
        ).fetchone()
        return max([row[0] if row else 0, *(line.line_no for line in document.lines)])

    def _open_document(self, kind: str, document_id: str) -> Order | Quote:
        """The document, if it may still be changed (409 once released, shipped, decided)."""
        spec = DOCUMENT_SETS[kind]
        number = self._number(spec.table, document_id, spec.name)
        self.clock.sync()
        if kind == "order":
            document: Order | Quote | None = self.world.open_orders.get(number)
        else:
            document = self.world.open_quotes.get(number)
        if document is None or document.status not in EDITABLE[kind]:
            status = document.status if document is not None else self._status(spec.table, number)
            raise ODataError(
                409,
                f"{kind}_not_editable",
                f"{kind} {number} is {status}: it can no longer be changed",
            )
        return document

    def _status(self, table: str, number: str) -> str:
        row = self.conn.execute(f"SELECT status FROM {table} WHERE no = ?", (number,)).fetchone()
        return str(row[0]) if row else "gone"

    @atomic
    def add_line(
        self, kind: str, document_id: str, line: LineBody, key: str | None, print_: str
    ) -> tuple[str, bool]:
        """A new line on an open document; returns (line id, replayed)."""
        spec = DOCUMENT_SETS[kind]
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return replayed, True
        if kind == "invoice":
            new_id = self.draft_add_line(document_id, line, remember=(key, print_, spec.lines))
            return new_id, False
        document = self._open_document(kind, document_id)
        (line_no,) = _line_numbers((line,), self._last_line_no(kind, document))
        world = self.world
        try:
            account = self._account(document.customer_no)
            if kind == "order":
                amount = editing.price_entry(world, account, line.entry)[4].line_amount
                self._credit_headroom(document.customer_no, amount)
            editing.add_line(world, document, line_no, line.entry)
        except PricingError as exc:
            from simulator.erp_server.live import pricing_error  # noqa: PLC0415

            raise pricing_error(exc) from None
        self._note_line_no(kind, document.no, line_no)
        new_id = bc_sets.line_id(document.id, line_no)
        self._commit(document, remember=(key, print_, spec.lines, new_id))
        return new_id, False

    def line_of(self, kind: str, line_key: str) -> tuple[str, int]:
        """(document id, line number) of a line id; 404 if there is no such line."""
        spec = DOCUMENT_SETS[kind]
        parts = bc_sets.line_id_parts(line_key)
        row = one_row(self.conn, ENTITY_SETS[spec.lines], (line_key,)) if parts else None
        if parts is None or row is None:
            raise ODataError(404, "not_found", f"{spec.lines}: no entity with key {line_key}")
        entity = ENTITY_SETS[spec.lines]
        return str(row[entity.columns.index('"documentId"')]), parts[1]

    def _line_etag(self, kind: str, document_id: str, line_no: int, if_match: str | None) -> None:
        if if_match is None or if_match == "*":
            return
        spec = DOCUMENT_SETS[kind]
        row = one_row(self.conn, ENTITY_SETS[spec.lines], (bc_sets.line_id(document_id, line_no),))
        if row is None or etag_of(row) != if_match:
            raise ODataError(
                412, "precondition_failed", "the line changed since you read it (ETag mismatch)"
            )

    @atomic
    def change_line(
        self, kind: str, document_id: str, line_no: int, change: LineChange, if_match: str
    ) -> None:
        """A PATCH of a line: quantity, unit, price, discount. Changing the quantity or unit
        prices the line again (as BC validates them), unless the PATCH sets the price."""
        self._line_etag(kind, document_id, line_no, if_match)
        if kind == "invoice":
            return self.draft_change_line(document_id, line_no, change)
        document = self._open_document(kind, document_id)
        current = next((ln for ln in document.lines if ln.line_no == line_no), None)
        if current is None:
            raise ODataError(404, "not_found", f"{document.no} has no line {line_no}")
        repriced = change.quantity is not None or change.unit is not None
        price = change.unit_price
        discount = change.discount_pct
        if not repriced:
            price = current.unit_price if price is None else price
            discount = current.discount_pct if discount is None else discount
        entry = LineEntry(
            current.item_no,
            current.unit if change.unit is None else change.unit,
            current.quantity if change.quantity is None else change.quantity,
            price,
            discount,
        )
        world = self.world
        try:
            if isinstance(document, Order):
                priced = editing.price_entry(world, self._account(document.customer_no), entry)
                self._credit_headroom(document.customer_no, priced[4].line_amount - current.amount)
            editing.change_line(world, document, line_no, entry)
        except PricingError as exc:
            from simulator.erp_server.live import pricing_error  # noqa: PLC0415

            raise pricing_error(exc) from None
        self._commit(document)

    @atomic
    def delete_line(self, kind: str, document_id: str, line_no: int, if_match: str | None) -> None:
        self._line_etag(kind, document_id, line_no, if_match)
        if kind == "invoice":
            return self.draft_delete_line(document_id, line_no)
        document = self._open_document(kind, document_id)
        try:
            editing.remove_line(self.world, document, line_no)
        except KeyError:
            raise ODataError(404, "not_found", f"{document.no} has no line {line_no}") from None
        spec = DOCUMENT_SETS[kind]
        self._note_line_no(kind, document.no, line_no)
        self.conn.execute(
            f"DELETE FROM {spec.line_table} WHERE document_no = ? AND line_no = ?",
            (document.no, line_no),
        )
        self._commit(document)

    @atomic
    def delete_document(self, kind: str, document_id: str) -> None:
        """BC's DELETE of a draft quote, order or invoice (409 once released, decided or
        posted)."""
        if kind == "invoice":
            return self.draft_delete(document_id)
        document = self._open_document(kind, document_id)
        editing.delete_document(self.world, document)
        spec = DOCUMENT_SETS[kind]
        for statement in (
            f"DELETE FROM {spec.line_table} WHERE document_no = ?",
            f"DELETE FROM {spec.table} WHERE no = ?",
        ):
            self.conn.execute(statement, (document.no,))
        for table in ("erpsim_document_extras", "erpsim_line_numbers"):
            self.conn.execute(
                f"DELETE FROM {table} WHERE document_type = ? AND document_no = ?",
                (kind, document.no),
            )
        self._commit()

    @atomic
    def ship_and_invoice(self, order_id: str) -> None:
        """BC's shipAndInvoice: what stock allows is shipped and invoiced now; the rest
        stays on the (released) order. 409 when nothing can be shipped."""
        number = self._number("sales_orders", order_id, "salesOrders")
        self.clock.sync()
        world = self.world
        order = world.open_orders.get(number)
        if order is None or order.status == "Pending Approval" or not order.lines:
            status = order.status if order is not None else self._status("sales_orders", number)
            reason = "it has no lines" if order is not None and not order.lines else status
            raise ODataError(409, "order_not_open", f"order {number} cannot be shipped: {reason}")
        done = editing.ship_and_invoice(world, order)
        world.flush()  # shipment, invoice, ledger, stock and the order, in one write
        self.hub.detect(self.conn)
        if done is None:
            raise ODataError(
                409, "nothing_to_ship", f"order {number}: no stock to ship any of its lines now"
            )

    # --- master data ---------------------------------------------------------------------
    @atomic
    def create_master(self, body: MasterBody, key: str | None, print_: str) -> tuple[str, bool]:
        """A new customer, item or contact; returns (id, replayed). A number already
        taken is a 400 entity_exists (BC's Internal_EntityWithSameKeyExists)."""
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return replayed, True
        self.clock.sync()
        table = MASTER_TABLES[body.entity_set]
        number = body.number or self._next_number(table, SERIES[body.entity_set])
        if self.conn.execute(f"SELECT 1 FROM {table} WHERE no = ?", (number,)).fetchone():
            raise ODataError(
                400, "entity_exists", f"{body.entity_set}: an entity with number {number!r} exists"
            )
        world = self.world
        row = {"no": number, "id": world.guid(), **self._defaults(table), **body.columns}
        row["last_modified_date_time"] = world.stamp
        if table == "contacts" and not row.get("email"):
            row["email"] = f"{number.lower()}@contacts.invalid"  # the column is unique
        marks = ", ".join("?" * len(row))
        try:
            self.conn.execute(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", tuple(row.values())
            )
            if table == "items":
                self._stock_rows(row)
        except sqlite3.IntegrityError as exc:
            self.conn.rollback()
            raise ODataError(409, "conflict", f"{body.entity_set}: {exc}") from None
        if table == "customers":
            masterdata.add_account(world, row)
        elif table == "items":
            masterdata.add_item(world, row)
        else:
            masterdata.add_contact(world, row["customer_no"], number, row["role"])
        self._commit(remember=(key, print_, body.entity_set, str(row["id"])))
        return str(row["id"]), False

    def _next_number(self, table: str, prefix: str) -> str:
        """The next number of the series the table's numbers follow (prefix + digits)."""
        pattern = prefix + "[0-9]*"
        (top,) = self.conn.execute(
            f"SELECT max(no) FROM {table} WHERE no GLOB ? AND length(no) ="
            f" (SELECT max(length(no)) FROM {table} WHERE no GLOB ?)",
            (pattern, pattern),
        ).fetchone()
        if top is None:
            return f"{prefix}{1:06d}"
        digits = top[len(prefix) :]
        return f"{prefix}{int(digits) + 1:0{len(digits)}d}"

    def _defaults(self, table: str) -> dict[str, Any]:
        """What a new row gets when the body does not say: blanks, and for codes the most
        common value of the existing rows (as a BC template carries the usual setup)."""

        def usual(column: str) -> Any:
            row = self.conn.execute(
                f"SELECT {column} FROM {table} GROUP BY {column} ORDER BY count(*) DESC, {column}"
                " LIMIT 1"
            ).fetchone()
            return row[0] if row else ""

        if table == "customers":
            return {
                "name": "",
                "address": "",
                "city": "",
                "post_code": "",
                "country_code": usual("country_code"),
                "phone_no": "",
                "email": "",
                "currency_code": "",
                "payment_terms_code": usual("payment_terms_code"),
                "credit_limit": 0.0,
                "customer_price_group": "",
                "customer_disc_group": "",
                "allow_line_disc": 1,
                "salesperson_code": "",
                "location_code": usual("location_code"),
                "key_account": 0,
                "segment": usual("segment"),
                "blocked": "",
                "annual_volume": 0.0,
                "order_interval_days": 30.0,
                "avg_basket_lines": 1.0,
                "payment_days_late": 0.0,
            }
        if table == "items":
            return {
                "display_name": "",
                "item_category_code": usual("item_category_code"),
                "base_unit_of_measure": usual("base_unit_of_measure"),
                "unit_price": 0.0,
                "unit_cost": 0.0,
                "gtin": "",
                "gross_weight": 0.0,
                "item_disc_group": "",
                "blocked": 0,
                "popularity": 0.0,
            }
        return {
            "customer_no": "",
            "first_name": "",
            "surname": "",
            "job_title": "",
            "role": "buyer",
            "email": "",
            "phone_no": "",
        }

    def _stock_rows(self, item: dict[str, Any]) -> None:
        """A new item's unit (its base unit) and empty stock at every location."""
        stamp = item["last_modified_date_time"]
        self.conn.execute(
            "INSERT OR IGNORE INTO item_units_of_measure VALUES (?, ?, 1.0, ?)",
            (item["no"], item["base_unit_of_measure"], stamp),
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO item_stock VALUES (?, ?, 0.0, 0.0, 0.0, 0.0, 7.0, ?)",
            [(item["no"], code, stamp) for code in self.world.location_codes],
        )


def _line_numbers(lines: tuple[LineBody, ...], last: int) -> list[int]:
    """Line numbers for new lines after `last`: a line's own `sequence` when it is higher
    than every number used so far, else the next multiple of 10000."""
    numbers = []
    for line in lines:
        if line.sequence is not None:
            if line.sequence <= last:
                raise ODataError(
                    400,
                    "invalid_value",
                    f"sequence {line.sequence} is taken or was used before (above {last} only)",
                )
            last = line.sequence
        else:
            last = (last // LINE_STEP + 1) * LINE_STEP
        numbers.append(last)
    return numbers
