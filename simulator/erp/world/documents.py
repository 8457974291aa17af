"""The world's documents as small mutable records, each able to give its database row.

Rows follow the column order of the matching table in `simulator.erp.schema`; a test checks
the lengths agree. `last_modified` is set by the world whenever a document changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class DocLine:
    """A priced line: the part quotes, orders, invoices and credit memos share."""

    line_no: int
    item_no: str
    unit: str
    quantity: float
    unit_price: float
    discount_pct: float
    amount: float


@dataclass(slots=True)
class Quote:
    no: str
    id: str
    customer_no: str
    contact_no: str
    document_date: str
    valid_until: str
    channel: str
    currency: str
    lines: list[DocLine]
    status: str = "Open"
    order_no: str = ""
    last_modified: str = ""

    @property
    def amount(self) -> float:
        return round(sum(line.amount for line in self.lines), 2)

    def row(self) -> tuple:
        return (
            self.no,
            self.id,
            self.customer_no,
            self.contact_no,
            self.document_date,
            self.valid_until,
            self.status,
            self.order_no,
            self.channel,
            self.currency,
            self.amount,
            self.last_modified,
        )

    def line_rows(self) -> list[tuple]:
        return [
            (
                self.no,
                ln.line_no,
                ln.item_no,
                ln.unit,
                ln.quantity,
                ln.unit_price,
                ln.discount_pct,
                ln.amount,
                self.last_modified,
            )
            for ln in self.lines
        ]


@dataclass(slots=True)
class OrderLine:
    line_no: int
    item_no: str
    item: int  # catalog position
    unit: str
    qty_per_unit: float
    quantity: float
    unit_price: float
    discount_pct: float
    amount: float
    price_list_code: str
    price_line_no: int
    discount_list_code: str
    discount_line_no: int
    repeat_item: bool
    shipped: float = 0.0
    invoiced: float = 0.0
    short_at_first_run: bool | None = None  # None until the warehouse first tries it

    @property
    def net_unit_price(self) -> float:
        return round(self.unit_price * (1 - self.discount_pct / 100), 5)

    @property
    def open_quantity(self) -> float:
        return self.quantity - self.shipped


@dataclass(slots=True)
class Order:
    no: str
    id: str
    customer: int  # account position
    customer_no: str
    contact_no: str
    order_date: str
    requested_delivery_date: str
    channel: str
    quote_no: str
    salesperson_code: str
    location: int
    location_code: str
    currency: str
    created_at: str
    lines: list[OrderLine]
    status: str = "Open"
    last_modified: str = ""
    status_inquiry_logged: bool = False
    entered: float = 0.0  # simulation time the order was entered
    needs_attempt: bool = True  # the warehouse should try to ship it at its next run

    @property
    def amount(self) -> float:
        return round(sum(line.amount for line in self.lines), 2)

    @property
    def uninvoiced_amount(self) -> float:
        return sum(ln.net_unit_price * (ln.quantity - ln.invoiced) for ln in self.lines)

    def row(self) -> tuple:
        return (
            self.no,
            self.id,
            self.customer_no,
            self.contact_no,
            self.order_date,
            self.requested_delivery_date,
            self.status,
            self.channel,
            self.quote_no,
            self.salesperson_code,
            self.location_code,
            self.currency,
            self.amount,
            self.created_at,
            self.last_modified,
        )

    def line_rows(self) -> list[tuple]:
        return [
            (
                self.no,
                ln.line_no,
                ln.item_no,
                ln.unit,
                ln.quantity,
                ln.unit_price,
                ln.discount_pct,
                ln.amount,
                ln.qty_per_unit,
                ln.shipped,
                ln.invoiced,
                ln.price_list_code,
                ln.price_line_no,
                ln.discount_list_code,
                ln.discount_line_no,
                int(ln.repeat_item),
                self.last_modified,
            )
            for ln in self.lines
        ]


@dataclass(slots=True)
class ShipmentLine:
    line_no: int
    order_line: OrderLine
    quantity: float  # in the order line's unit

    @property
    def quantity_base(self) -> float:
        return self.quantity * self.order_line.qty_per_unit


@dataclass(slots=True)
class Shipment:
    no: str
    id: str
    order: Order
    shipment_date: str
    lines: list[ShipmentLine]
    last_modified: str = ""
    invoice_no: str = ""

    def row(self) -> tuple:
        return (
            self.no,
            self.id,
            self.order.no,
            self.order.customer_no,
            self.shipment_date,
            self.order.location_code,
            self.last_modified,
        )

    def line_rows(self) -> list[tuple]:
        return [
            (
                self.no,
                ln.line_no,
                self.order.no,
                ln.order_line.line_no,
                ln.order_line.item_no,
                ln.order_line.unit,
                ln.quantity,
                ln.quantity_base,
                self.last_modified,
            )
            for ln in self.lines
        ]


@dataclass(slots=True)
class Invoice:
    no: str
    id: str
    shipment: Shipment
    posting_date: str
    due_date: str
    lines: list[DocLine]
    amount: float
    remaining: float
    status: str = "Open"
    last_modified: str = ""
    pay_at: float = 0.0  # when the customer will pay (simulation time)
    lines_written: bool = False
    posted_at: str = ""  # the lines never change after posting: they keep this stamp

    @property
    def customer_no(self) -> str:
        return self.shipment.order.customer_no

    def row(self) -> tuple:
        order = self.shipment.order
        return (
            self.no,
            self.id,
            order.no,
            self.shipment.no,
            order.customer_no,
            self.posting_date,
            self.due_date,
            order.currency,
            self.amount,
            round(self.remaining, 2),
            self.status,
            self.last_modified,
        )

    def line_rows(self) -> list[tuple]:
        rows = []
        for ln, shipped in zip(self.lines, self.shipment.lines, strict=True):
            rows.append(
                (
                    self.no,
                    ln.line_no,
                    ln.item_no,
                    ln.unit,
                    ln.quantity,
                    ln.unit_price,
                    ln.discount_pct,
                    ln.amount,
                    self.shipment.no,
                    shipped.line_no,
                    self.shipment.order.no,
                    shipped.order_line.line_no,
                    self.posted_at,
                )
            )
        return rows


@dataclass(slots=True)
class Payment:
    no: str
    id: str
    customer_no: str
    invoice_no: str
    posting_date: str
    amount: float
    channel: str
    last_modified: str

    def row(self) -> tuple:
        return (
            self.no,
            self.id,
            self.customer_no,
            self.invoice_no,
            self.posting_date,
            self.amount,
            self.channel,
            self.last_modified,
        )


@dataclass(slots=True)
class CreditMemo:
    no: str
    id: str
    customer_no: str
    invoice_no: str
    posting_date: str
    currency: str
    reason: str
    line: DocLine
    shipment_no: str
    shipment_line_no: int
    last_modified: str

    def row(self) -> tuple:
        return (
            self.no,
            self.id,
            self.customer_no,
            self.invoice_no,
            self.posting_date,
            self.currency,
            self.line.amount,
            self.reason,
            self.last_modified,
        )

    def line_rows(self) -> list[tuple]:
        ln = self.line
        return [
            (
                self.no,
                ln.line_no,
                ln.item_no,
                ln.unit,
                ln.quantity,
                ln.unit_price,
                ln.discount_pct,
                ln.amount,
                self.shipment_no,
                self.shipment_line_no,
                self.last_modified,
            )
        ]


@dataclass(slots=True)
class Inquiry:
    no: str
    customer_no: str
    contact_no: str
    type: str
    channel: str
    created_at: str
    order_no: str
    invoice_no: str

    def row(self) -> tuple:
        return (
            self.no,
            self.customer_no,
            self.contact_no,
            self.type,
            self.channel,
            self.created_at,
            self.order_no,
            self.invoice_no,
            self.created_at,
        )


@dataclass(slots=True)
class PurchaseOrder:
    no: str
    item: int
    item_no: str
    location: int
    location_code: str
    quantity: float
    order_date: str
    expected_receipt_date: str
    receipt_at: float
    received_date: str | None = None
    status: str = "Open"
    last_modified: str = ""

    def row(self) -> tuple:
        return (
            self.no,
            self.item_no,
            self.location_code,
            self.quantity,
            self.order_date,
            self.expected_receipt_date,
            self.received_date,
            self.status,
            self.last_modified,
        )


@dataclass(slots=True)
class Counters:
    """Next document numbers; part of the saved world state."""

    values: dict[str, int] = field(default_factory=dict)

    def next(self, series: str) -> int:
        value = self.values.get(series, 0) + 1
        self.values[series] = value
        return value
