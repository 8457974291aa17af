"""Customer service: the offline contacts a web store is meant to absorb.

"Where is my order" calls (more when an order is backordered), invoice-copy requests, and
return requests, which become credit memos with the goods back in stock.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.erp.world.core import World
from simulator.erp.world.documents import CreditMemo, DocLine, Inquiry


def handle(world: World) -> None:
    for _, _, kind, ref in world.due(world.service_due, world.now):
        if kind == "order_status":
            order = world.recent_orders.get(ref)
            if order is not None:
                _log(world, order.customer, order.customer_no, kind, order_no=ref)
        elif kind == "invoice_copy":
            invoice = world.recent_invoices.get(ref)
            if invoice is not None:
                order = invoice.shipment.order
                _log(
                    world,
                    order.customer,
                    order.customer_no,
                    kind,
                    order_no=order.no,
                    invoice_no=ref,
                )
        elif kind == "return":
            _return(world, ref)


def _log(
    world: World, pos: int, customer_no: str, kind: str, *, order_no: str = "", invoice_no: str = ""
) -> Inquiry:
    account = world.accounts[pos]
    rng = world.account_rngs[pos]
    people = account.ap_clerks if kind == "invoice_copy" else account.buyers
    inquiry = Inquiry(
        no=world.number("INQ"),
        customer_no=customer_no,
        contact_no=people[int(rng.integers(len(people)))],
        type=kind,
        channel="phone" if rng.random() < 0.55 else "email",
        created_at=world.stamp,
        order_no=order_no,
        invoice_no=invoice_no,
    )
    world.out.inquiries.append(inquiry)
    return inquiry


def _return(world: World, ref: str) -> None:
    shipment_no, line_no = ref.split(":")
    shipment = world.shipments.get(shipment_no)
    if shipment is None or not shipment.invoice_no:
        return
    ship_line = next(ln for ln in shipment.lines if ln.line_no == int(line_no))
    order = shipment.order
    rng = world.account_rngs[order.customer]
    quantity = max(1.0, float(round(ship_line.quantity * rng.uniform(0.1, 1.0))))
    line = ship_line.order_line
    _log(
        world,
        order.customer,
        order.customer_no,
        "return",
        order_no=order.no,
        invoice_no=shipment.invoice_no,
    )
    reason = ("Damaged", "Wrong item", "Not needed", "Quality")[int(rng.integers(4))]
    returned = ReturnedLine(
        customer_no=order.customer_no,
        order_no=order.no,
        invoice_no=shipment.invoice_no,
        shipment_no=shipment.no,
        shipment_line_no=ship_line.line_no,
        location_code=world.location_codes[order.location],
        item_no=line.item_no,
        unit=line.unit,
        qty_per_unit=line.qty_per_unit,
        unit_price=line.unit_price,
        discount_pct=line.discount_pct,
        net_unit_price=line.net_unit_price,
        currency=order.currency,
    )
    _credit(world, returned, quantity, reason)


def log_inquiry(
    world: World,
    customer_no: str,
    kind: str,
    *,
    contact_no: str,
    order_no: str = "",
    invoice_no: str = "",
    channel: str = "web",
) -> Inquiry:
    """A service request made now from outside (the web store), logged like the offline
    ones so the inquiries table shows the shift between channels."""
    inquiry = Inquiry(
        no=world.number("INQ"),
        customer_no=customer_no,
        contact_no=contact_no,
        type=kind,
        channel=channel,
        created_at=world.stamp,
        order_no=order_no,
        invoice_no=invoice_no,
    )
    world.out.inquiries.append(inquiry)
    return inquiry


def enter_return(
    world: World,
    line: ReturnedLine,
    quantity: float,
    *,
    reason: str,
    contact_no: str,
    channel: str = "web",
) -> tuple[CreditMemo, Inquiry]:
    """A return request accepted now: an inquiry of type 'return' and a credit memo for
    `quantity` (in the shipped line's unit); the goods go back into stock."""
    inquiry = log_inquiry(
        world,
        line.customer_no,
        "return",
        contact_no=contact_no,
        order_no=line.order_no,
        invoice_no=line.invoice_no,
        channel=channel,
    )
    return _credit(world, line, quantity, reason), inquiry


def _credit(world: World, line: ReturnedLine, quantity: float, reason: str) -> CreditMemo:
    """The credit memo for `quantity` returned of a shipped line, at the order line's net
    price: the goods go back into stock and the customer's exposure goes down."""
    amount = round(quantity * line.net_unit_price, 2)
    memo = CreditMemo(
        no=world.number("CM"),
        id=world.guid(),
        customer_no=line.customer_no,
        invoice_no=line.invoice_no,
        posting_date=world.iso_today,
        currency=line.currency,
        reason=reason,
        line=DocLine(
            10000, line.item_no, line.unit, quantity, line.unit_price, line.discount_pct, amount
        ),
        shipment_no=line.shipment_no,
        shipment_line_no=line.shipment_line_no,
        last_modified=world.stamp,
    )
    item = world.item_pos[line.item_no]
    location = world.location_pos.get(line.location_code, 0)
    world.ledger(item, location, "Return", memo.no, quantity * line.qty_per_unit)
    pos = world.account_pos.get(line.customer_no)
    if pos is not None:
        world.exposure[pos] -= world.to_lcy(amount, line.currency)
    world.out.credit_memos.append(memo)
    return memo


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    """What a return needs to know of a shipped, invoiced line (read from the database:
    the shipment may be older than the documents the world keeps in memory)."""

    customer_no: str
    order_no: str
    invoice_no: str
    shipment_no: str
    shipment_line_no: int
    location_code: str
    item_no: str
    unit: str
    qty_per_unit: float
    unit_price: float
    discount_pct: float
    net_unit_price: float
    currency: str


def cancel_invoice(world: World, invoice_no: str) -> list[CreditMemo]:
    """BC's Cancel of a posted, unpaid invoice: a corrective credit memo for each of its
    lines at the invoiced prices (the goods go back into stock, the exposure goes down), and
    the invoice is Canceled: nothing is due any more. KeyError when it is not open,
    ValueError when part of it was paid."""
    invoice = world.open_invoices[invoice_no]
    if round(invoice.remaining, 2) < round(invoice.amount, 2):
        raise ValueError(f"invoice {invoice_no} is partly paid: it cannot be canceled")
    order = invoice.shipment.order
    memos = []
    for invoiced, shipped in zip(invoice.lines, invoice.shipment.lines, strict=True):
        line = shipped.order_line
        returned = ReturnedLine(
            customer_no=order.customer_no,
            order_no=order.no,
            invoice_no=invoice.no,
            shipment_no=invoice.shipment.no,
            shipment_line_no=shipped.line_no,
            location_code=order.location_code,
            item_no=invoiced.item_no,
            unit=invoiced.unit,
            qty_per_unit=line.qty_per_unit,
            unit_price=invoiced.unit_price,
            discount_pct=invoiced.discount_pct,
            net_unit_price=line.net_unit_price,
            currency=order.currency,
        )
        memos.append(_credit(world, returned, invoiced.quantity, "Canceled"))
    invoice.remaining, invoice.status = 0.0, "Canceled"
    del world.open_invoices[invoice.no]
    world.touch(world.out.invoices, invoice.no, invoice)
    return memos
