"""Receivables: one invoice per shipment, paid around its due date by the account's habit.

Invoices are posted in the evening run for the day's shipments, due after the payment terms'
days. Accounts with a cash-discount term often pay inside the discount period; the others pay
at the due date plus their usual lateness (some early, most a little late, a few very late).
Unpaid invoices and open orders make up an account's exposure, which the credit check reads.
"""

from __future__ import annotations

import datetime as dt

from simulator.erp.world.clock import HOUR
from simulator.erp.world.core import COLLECTIONS_HOUR, World
from simulator.erp.world.documents import DocLine, Invoice, Payment, Shipment


def invoice_shipments(world: World) -> None:
    for shipment in world.shipped_today:
        invoice_shipment(world, shipment)
    world.shipped_today = []


def invoice_shipment(world: World, shipment: Shipment) -> Invoice:
    """Post the invoice of one shipment now (and plan its payment)."""
    order = shipment.order
    account = world.accounts[order.customer]
    lines = []
    for ship_line in shipment.lines:
        line = ship_line.order_line
        amount = round(ship_line.quantity * line.net_unit_price, 2)
        lines.append(
            DocLine(
                ship_line.line_no,
                line.item_no,
                line.unit,
                ship_line.quantity,
                line.unit_price,
                line.discount_pct,
                amount,
            )
        )
        line.invoiced += ship_line.quantity
    amount = round(sum(ln.amount for ln in lines), 2)
    today = world.today
    invoice = Invoice(
        no=world.number("SI"),
        id=world.guid(),
        shipment=shipment,
        posting_date=today.isoformat(),
        due_date=(today + dt.timedelta(days=account.due_days)).isoformat(),
        lines=lines,
        amount=amount,
        remaining=amount,
        posted_at=world.stamp,
    )
    shipment.invoice_no = invoice.no
    if all(ln.invoiced >= ln.quantity for ln in order.lines):
        order.status = "Invoiced"
        world.touch_order(order)
    world.open_invoices[invoice.no] = invoice
    world.recent_invoices[invoice.no] = invoice
    world.touch(world.out.invoices, invoice.no, invoice)
    schedule_payment(world, invoice, today)
    rng = world.account_rngs[account.pos]
    if rng.random() < world.cfg.invoice_copy_rate:
        world.schedule(
            world.service_due, world.now + rng.uniform(3.0, 40.0), "invoice_copy", invoice.no
        )
    return invoice


def schedule_payment(world: World, invoice: Invoice, posted: dt.date) -> None:
    """Decide when the customer pays (never in the past) and queue it for collections."""
    pos = invoice.shipment.order.customer
    invoice.pay_at = max(_payment_time(world, pos, posted), world.now + 2 * HOUR)
    world.schedule(world.payments_due, invoice.pay_at, invoice.no)


def _payment_time(world: World, pos: int, posted: dt.date) -> float:
    account = world.accounts[pos]
    rng = world.account_rngs[pos]
    cfg = world.cfg
    posted_at = world.clock.time_of(posted)
    if account.discount_days and rng.random() < cfg.early_payment_share:
        days = rng.uniform(1.0, account.discount_days)
    else:
        days = account.due_days + rng.normal(account.days_late, cfg.payment_days_sigma)
    # Payments post in the morning collections run of the day they arrive.
    return posted_at + max(1.0, round(days)) + (COLLECTIONS_HOUR - 1.0) * HOUR


def collect(world: World) -> None:
    """Post the payments that arrived: each settles its invoice in full."""
    for _, _, invoice_no in world.due(world.payments_due, world.now):
        invoice = world.open_invoices.get(invoice_no)
        if invoice is None:  # already paid in full online
            continue
        _post_payment(world, invoice, invoice.remaining, "bank_transfer")


def pay_invoice(world: World, invoice_no: str, amount: float | None, channel: str) -> Payment:
    """A payment made now from outside (the web store's online payment): the whole
    remaining amount, or part of it; the rest stays due and is collected as planned.
    Raises KeyError when the invoice is not open, ValueError for an impossible amount."""
    invoice = world.open_invoices.get(invoice_no)
    if invoice is None:
        raise KeyError(invoice_no)
    remaining = round(invoice.remaining, 2)
    paid = remaining if amount is None else round(amount, 2)
    if not 0 < paid <= remaining:
        raise ValueError(f"amount must be more than 0 and at most the remaining {remaining:.2f}")
    return _post_payment(world, invoice, paid, channel)


def _post_payment(world: World, invoice: Invoice, amount: float, channel: str) -> Payment:
    """`amount` (2 decimals, at most what remains) paid on an open invoice now: the payment,
    the customer's lower exposure, the invoice's remaining amount; at zero it is Paid and no
    longer open. Remaining amounts are always rounded to cents, so settling in full leaves
    exactly zero."""
    order = invoice.shipment.order
    payment = Payment(
        no=world.number("PAY"),
        id=world.guid(),
        customer_no=order.customer_no,
        invoice_no=invoice.no,
        posting_date=world.iso_today,
        amount=amount,
        channel=channel,
        last_modified=world.stamp,
    )
    world.exposure[order.customer] -= world.to_lcy(amount, order.currency)
    invoice.remaining = round(invoice.remaining - amount, 2)
    if invoice.remaining <= 0:
        invoice.remaining, invoice.status = 0.0, "Paid"
        del world.open_invoices[invoice.no]
    world.touch(world.out.invoices, invoice.no, invoice)
    world.out.payments.append(payment)
    return payment
