"""Customer service: the offline contacts a web store is meant to absorb.

"Where is my order" calls (more when an order is backordered), invoice-copy requests, and
return requests, which become credit memos with the goods back in stock.
"""

from __future__ import annotations

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
    amount = round(quantity * line.net_unit_price, 2)
    _log(
        world,
        order.customer,
        order.customer_no,
        "return",
        order_no=order.no,
        invoice_no=shipment.invoice_no,
    )
    memo = CreditMemo(
        no=world.number("CM"),
        id=world.guid(),
        customer_no=order.customer_no,
        invoice_no=shipment.invoice_no,
        posting_date=world.today.isoformat(),
        currency=order.currency,
        reason=("Damaged", "Wrong item", "Not needed", "Quality")[int(rng.integers(4))],
        line=DocLine(
            10000, line.item_no, line.unit, quantity, line.unit_price, line.discount_pct, amount
        ),
        shipment_no=shipment.no,
        shipment_line_no=ship_line.line_no,
        last_modified=world.stamp,
    )
    world.ledger(line.item, order.location, "Return", memo.no, quantity * line.qty_per_unit)
    world.exposure[order.customer] -= world.to_lcy(amount, order.currency)
    world.out.credit_memos.append(memo)
