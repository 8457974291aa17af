"""Draft sales invoices as Business Central has them, on the writer's side.

A draft (BC's unposted sales invoice) is made by `POST salesInvoices` or a quote's
`makeInvoice`. The world has no use for it until it is posted, so a draft is only rows:
``sales_invoices`` with status ``Draft`` (no order, no shipment) and its lines in
``sales_invoice_lines``, priced by the one pricing engine like every line, its header
extras in ``erpsim_document_extras`` as ``invoice``. `post` ships and invoices it through
the world: an order at the draft's prices (the history ships from orders; it shows in
salesOrders as Invoiced), shipped at once in full (409 when stock is short: nothing is
posted) and invoiced; the posted invoice keeps the draft's id, as BC's API does, and gets
its number from the posted series. `cancel` of a posted, unpaid invoice posts corrective
credit memos (one per line) that put the goods back; the invoice is Canceled.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from typing import TYPE_CHECKING, Any

from simulator.erp.pricing import PricingError
from simulator.erp.world import editing
from simulator.erp.world.editing import LineEntry
from simulator.erp.world.service import cancel_invoice
from simulator.erp_server import bc_sets
from simulator.erp_server.bc_writes import DOCUMENT_SETS, DocumentBody, LineBody, LineChange
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.storage import atomic

if TYPE_CHECKING:
    from simulator.erp.world.core import Account, World
    from simulator.erp_server.idempotency import IdempotencyStore
    from simulator.erp_server.webhooks import WebhookHub

__all__ = ["InvoiceWrites"]

SPEC = DOCUMENT_SETS["invoice"]


def _pricing(exc: PricingError) -> ODataError:
    from simulator.erp_server.live import pricing_error  # noqa: PLC0415

    return pricing_error(exc)


class InvoiceWrites:
    """Draft invoices, `post` and `cancel` (mixed into `LiveErp`; see the module docstring)."""

    conn: sqlite3.Connection
    world: World
    idempotency: IdempotencyStore
    hub: WebhookHub
    clock: Any

    # provided by LiveErp and DocumentWrites
    _account: Any
    _check_date: Any
    _credit_headroom: Any
    _write_extras: Any
    _note_line_no: Any
    _number: Any
    _commit: Any
    disk: Any

    # --- drafts --------------------------------------------------------------------------
    @atomic
    def create_draft(self, body: DocumentBody, key: str | None, print_: str) -> tuple[str, bool]:
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return replayed, True
        self.clock.sync()
        header = body.header
        self._check_date(SPEC, header.document_date)
        account = self._account(header.customer_no)
        entries = [line.entry for line in body.lines]
        from simulator.erp_server.document_ops import _line_numbers  # noqa: PLC0415

        numbers = _line_numbers(body.lines, 0)
        draft_id = self._new_draft(
            account, header.document_date, list(zip(numbers, entries, strict=True))
        )
        number = self._draft_no(draft_id)
        self._write_extras("invoice", number, header.extras)
        if numbers:
            self._note_line_no("invoice", number, numbers[-1])
        self._done(remember=(key, print_, SPEC.name, draft_id))
        return draft_id, False

    def _new_draft(
        self, account: Account, day: str | None, lines: list[tuple[int, LineEntry]]
    ) -> str:
        world = self.world
        try:
            priced = [(n, editing.price_entry(world, account, e)) for n, e in lines]
        except PricingError as exc:
            raise _pricing(exc) from None
        posting = day or world.iso_today
        due = dt.date.fromisoformat(posting) + dt.timedelta(days=account.due_days)
        number, draft_id, stamp = world.number("SI"), world.guid(), world.stamp
        self.conn.execute(
            "INSERT INTO sales_invoices VALUES (?, ?, '', '', ?, ?, ?, ?, 0.0, 0.0, 'Draft', ?)",
            (number, draft_id, account.no, posting, due.isoformat(), account.currency, stamp),
        )
        for line_no, (item, unit, quantity, _, result) in priced:
            self._insert_line(number, line_no, world.item_no[item], unit, quantity, result)
        self._reprice_header(number)
        return draft_id

    def _insert_line(
        self, number: str, line_no: int, item_no: str, unit: str, quantity: float, result: Any
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO sales_invoice_lines VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, '', 0, '', 0, ?)",
            (
                number,
                line_no,
                item_no,
                unit,
                quantity,
                result.unit_price,
                result.line_discount_pct,
                result.line_amount,
                self.world.stamp,
            ),
        )

    def _reprice_header(self, number: str) -> None:
        self.conn.execute(
            "UPDATE sales_invoices SET amount = (SELECT ifnull(round(sum(line_amount), 2), 0.0)"
            " FROM sales_invoice_lines WHERE document_no = ?), last_modified_date_time = ?"
            " WHERE no = ?",
            (number, self.world.stamp, number),
        )

    def _draft_no(self, draft_id: str) -> str:
        return str(self._number("sales_invoices", draft_id, "salesInvoices"))

    def _draft(self, draft_id: str) -> tuple[str, str]:
        """(number, customer) of a draft; 409 once it is posted."""
        number = self._draft_no(draft_id)
        self.clock.sync()
        customer, status = self.conn.execute(
            "SELECT customer_no, status FROM sales_invoices WHERE no = ?", (number,)
        ).fetchone()
        if status != "Draft":
            raise ODataError(
                409, "invoice_not_editable", f"invoice {number} is {status}: it is posted"
            )
        return number, str(customer)

    def _draft_lines(self, number: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(
            "SELECT line_no, item_no, unit_of_measure_code, quantity, unit_price,"
            " line_discount_pct, line_amount FROM sales_invoice_lines WHERE document_no = ?"
            " ORDER BY line_no",
            (number,),
        ).fetchall()

    def _last_draft_line(self, number: str) -> int:
        row = self.conn.execute(
            "SELECT max(last_line_no) FROM (SELECT last_line_no FROM erpsim_line_numbers"
            " WHERE document_type = 'invoice' AND document_no = ? UNION ALL"
            " SELECT max(line_no) FROM sales_invoice_lines WHERE document_no = ?)",
            (number, number),
        ).fetchone()
        return int(row[0] or 0)

    def _done(self, remember: tuple[str | None, str, str, str] | None = None) -> None:
        """Commit what a draft operation wrote, with its idempotency key (`_commit`'s rule)."""
        self.disk.refuse()
        if remember is not None:
            self.idempotency.record(*remember)
        self.conn.commit()
        self.hub.detect(self.conn)

    @atomic
    def draft_add_line(
        self, draft_id: str, line: LineBody, remember: tuple[str | None, str, str] | None = None
    ) -> str:
        from simulator.erp_server.document_ops import _line_numbers  # noqa: PLC0415

        number, customer = self._draft(draft_id)
        (line_no,) = _line_numbers((line,), self._last_draft_line(number))
        try:
            _, unit, quantity, _, result = editing.price_entry(
                self.world, self._account(customer), line.entry
            )
        except PricingError as exc:
            raise _pricing(exc) from None
        self._insert_line(number, line_no, line.entry.item_no, unit, quantity, result)
        self._reprice_header(number)
        self._note_line_no("invoice", number, line_no)
        new_id = bc_sets.line_id(draft_id, line_no)
        self._done(remember=None if remember is None else (*remember, new_id))
        return new_id

    @atomic
    def draft_change_line(self, draft_id: str, line_no: int, change: LineChange) -> None:
        number, customer = self._draft(draft_id)
        current = next((ln for ln in self._draft_lines(number) if ln[0] == line_no), None)
        if current is None:
            raise ODataError(404, "not_found", f"{number} has no line {line_no}")
        _, item_no, unit, quantity, price, discount, _ = current
        repriced = change.quantity is not None or change.unit is not None
        new_price, new_discount = change.unit_price, change.discount_pct
        if not repriced:
            new_price = price if new_price is None else new_price
            new_discount = discount if new_discount is None else new_discount
        entry = LineEntry(
            item_no,
            unit if change.unit is None else change.unit,
            quantity if change.quantity is None else change.quantity,
            new_price,
            new_discount,
        )
        try:
            _, unit, quantity, _, result = editing.price_entry(
                self.world, self._account(customer), entry
            )
        except PricingError as exc:
            raise _pricing(exc) from None
        self._insert_line(number, line_no, item_no, unit, quantity, result)
        self._reprice_header(number)
        self._done()

    @atomic
    def draft_delete_line(self, draft_id: str, line_no: int) -> None:
        number, _ = self._draft(draft_id)
        deleted = self.conn.execute(
            "DELETE FROM sales_invoice_lines WHERE document_no = ? AND line_no = ?",
            (number, line_no),
        ).rowcount
        if not deleted:
            raise ODataError(404, "not_found", f"{number} has no line {line_no}")
        self._note_line_no("invoice", number, line_no)
        self._reprice_header(number)
        self._done()

    @atomic
    def draft_delete(self, draft_id: str) -> None:
        number, _ = self._draft(draft_id)
        self._forget_draft(number)
        self._done()

    def _forget_draft(self, number: str) -> None:
        self.conn.execute("DELETE FROM sales_invoice_lines WHERE document_no = ?", (number,))
        self.conn.execute("DELETE FROM sales_invoices WHERE no = ?", (number,))
        for table in ("erpsim_document_extras", "erpsim_line_numbers"):
            self.conn.execute(
                f"DELETE FROM {table} WHERE document_type = 'invoice' AND document_no = ?",
                (number,),
            )

    # --- actions -------------------------------------------------------------------------
    @atomic
    def make_invoice(self, quote_id: str, key: str | None, print_: str) -> tuple[str, bool]:
        """BC's makeInvoice on a quote: a draft invoice at the quote's prices; the quote is
        done (Accepted, with no order)."""
        replayed = self.idempotency.replay(key, print_)
        if replayed is not None:
            return replayed, True
        quote_no = self._number("sales_quotes", quote_id, "salesQuotes")
        self.clock.sync()
        world = self.world
        quote = world.open_quotes.get(quote_no)
        if quote is None:
            raise ODataError(409, "quote_not_open", f"quote {quote_no} is not open")
        if quote.valid_until < world.iso_today:
            raise ODataError(409, "quote_expired", f"quote {quote_no} expired")
        account = self._account(quote.customer_no)
        lines = [
            (
                ln.line_no,
                LineEntry(ln.item_no, ln.unit, ln.quantity, ln.unit_price, ln.discount_pct),
            )
            for ln in quote.lines
        ]
        draft_id = self._new_draft(account, None, lines)
        number = self._draft_no(draft_id)
        columns = (
            "external_document_number, ship_to_name, ship_to_contact, ship_to_address_line1,"
            " ship_to_address_line2, ship_to_city, ship_to_country, ship_to_state,"
            " ship_to_post_code, phone_number, email, shipment_method_code, partial_shipping"
        )
        self.conn.execute(
            f"INSERT OR REPLACE INTO erpsim_document_extras (document_type, document_no, {columns})"
            f" SELECT 'invoice', ?, {columns} FROM erpsim_document_extras"
            " WHERE document_type = 'quote' AND document_no = ?",
            (number, quote_no),
        )
        del world.open_quotes[quote_no]
        world.quote_lines.pop(quote_no, None)
        quote.status = "Accepted"
        world.touch(world.out.quotes, quote.no, quote)
        self._commit(quote, remember=(key, print_, SPEC.name, draft_id))
        return draft_id, False

    @atomic
    def post_invoice(self, draft_id: str) -> None:
        """Post a draft: shipped in full now and invoiced (409 if stock is short)."""
        number, customer = self._draft(draft_id)
        lines = self._draft_lines(number)
        if not lines:
            raise ODataError(409, "invoice_has_no_lines", f"invoice {number} has no lines")
        world = self.world
        account = self._account(customer)
        entries = [
            LineEntry(item, unit, qty, price, disc) for _, item, unit, qty, price, disc, _ in lines
        ]
        try:
            priced = [editing.price_entry(world, account, entry) for entry in entries]
        except PricingError as exc:
            raise _pricing(exc) from None
        left: dict[int, float] = {}
        for item, _, quantity, _, result in priced:
            stock = left.get(item, float(world.inventory[item, account.location]))
            per_unit = result.qty_per_unit_of_measure
            if math.floor(stock / per_unit + 1e-9) < quantity:
                raise ODataError(
                    409,
                    "insufficient_stock",
                    f"invoice {number}: not enough of item {world.item_no[item]} in stock to"
                    " ship it in full",
                )
            left[item] = stock - quantity * per_unit
        self._credit_headroom(customer, sum(p[4].line_amount for p in priced))
        order = world.enter_order(customer, [], channel="web")
        for (line_no, *_), entry in zip(lines, entries, strict=True):
            editing.add_line(world, order, line_no, entry)
        done = editing.ship_and_invoice(world, order)
        assert done is not None  # stock was checked
        _, invoice = done
        invoice.id = draft_id  # BC's API: the posted invoice keeps the draft's id
        self.conn.execute(
            "UPDATE OR REPLACE erpsim_document_extras SET document_type = 'order',"
            " document_no = ? WHERE document_type = 'invoice' AND document_no = ?",
            (order.no, number),
        )
        self._forget_draft(number)
        world.flush()
        self.hub.detect(self.conn)

    @atomic
    def cancel(self, invoice_id: str) -> None:
        """Cancel a posted, unpaid invoice with corrective credit memos."""
        number = self._number("sales_invoices", invoice_id, "salesInvoices")
        self.clock.sync()
        try:
            cancel_invoice(self.world, number)
        except KeyError:
            (status,) = self.conn.execute(
                "SELECT status FROM sales_invoices WHERE no = ?", (number,)
            ).fetchone()
            raise ODataError(
                409, "invoice_not_open", f"invoice {number} is {status}: it cannot be canceled"
            ) from None
        except ValueError as exc:
            raise ODataError(409, "invoice_partly_paid", str(exc)) from None
        self.world.flush()
        self.hub.detect(self.conn)
