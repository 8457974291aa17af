"""Picking up a world from its database: the documents still in flight and the counters.

A world started on a database that already has history (the mock ERP server starting on a
generated dataset, or on one it advanced before) must continue what is open: orders not yet
invoiced, unpaid invoices, undecided quotes, purchase orders in transit; and it must number
new documents after the existing ones. What the database does not record (when a customer
will pay, when a quote will be decided) is drawn again from the world's own streams, so a
resumed world is deterministic for its database and seed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from simulator.erp.pricing import PriceResult
from simulator.erp.world.clock import HOUR
from simulator.erp.world.documents import (
    DocLine,
    Invoice,
    Order,
    OrderLine,
    PurchaseOrder,
    Quote,
    Shipment,
    ShipmentLine,
)

if TYPE_CHECKING:
    from simulator.erp.world.core import World

SERIES = {
    "SO": "sales_orders",
    "SQ": "sales_quotes",
    "SS": "sales_shipments",
    "SI": "sales_invoices",
    "PAY": "customer_payments",
    "CM": "sales_credit_memos",
    "INQ": "inquiries",
    "PO": "purchase_orders",
}


def resume(world: World) -> None:
    """Load counters and open documents (nothing to do on a database without history)."""
    conn = world.conn
    for series, table in SERIES.items():
        top = conn.execute(f"SELECT max(no) FROM {table}").fetchone()[0]
        if top:
            world.counters.values[series] = int(top[len(series) :])
    orders = _orders(world)
    shipments = _shipments(world, orders)
    _invoices(world, shipments)
    _quotes(world)
    _purchase_orders(world)


def _orders(world: World) -> dict[str, Order]:
    """Orders not fully invoiced, and the orders of unpaid invoices."""
    conn = world.conn
    wanted = """
        SELECT no FROM sales_orders WHERE status != 'Invoiced'
        UNION SELECT order_no FROM sales_invoices WHERE status = 'Open'"""
    lines: dict[str, list[OrderLine]] = defaultdict(list)
    for row in conn.execute(f"""
        SELECT document_no, line_no, item_no, unit_of_measure_code, qty_per_unit_of_measure,
               quantity, unit_price, line_discount_pct, line_amount, price_list_code,
               price_line_no, discount_list_code, discount_line_no, repeat_item,
               quantity_shipped, quantity_invoiced
        FROM sales_order_lines WHERE document_no IN ({wanted}) ORDER BY document_no, line_no"""):
        # price, discount %, amount and the price/discount sources pass through unchanged
        order_no, line_no, item_no, unit, per_unit, qty, *priced, repeat, shipped, invoiced = row
        lines[order_no].append(
            OrderLine(
                line_no,
                item_no,
                world.item_pos[item_no],
                unit,
                per_unit,
                qty,
                *priced,
                bool(repeat),
                shipped,
                invoiced,
                short_at_first_run=shipped < qty,
            )
        )
    orders: dict[str, Order] = {}
    for row in conn.execute(f"""
        SELECT no, id, customer_no, contact_no, order_date, requested_delivery_date, status,
               channel, quote_no, salesperson_code, location_code, currency_code, created_at,
               last_modified_date_time
        FROM sales_orders WHERE no IN ({wanted}) ORDER BY no"""):
        (
            no,
            guid,
            customer,
            contact,
            ordered,
            delivery,
            status,
            channel,
            quote,
            rep,
            location,
            currency,
            created,
            modified,
        ) = row
        pos = world.account_pos[customer]
        order = Order(
            no,
            guid,
            pos,
            customer,
            contact,
            ordered,
            delivery,
            channel,
            quote,
            rep,
            world.location_pos.get(location, 0),
            location,
            currency,
            created,
            lines[no],
            status=status,
            last_modified=modified,
            entered=world.clock.time_of(dt.datetime.fromisoformat(created.rstrip("Z"))),
        )
        orders[no] = order
        if status not in ("Shipped", "Invoiced"):
            world.open_orders[no] = order
            world.recent_orders[no] = order
            if status in ("Released", "Partially Shipped"):
                for line in order.lines:
                    world.backlog[line.item, order.location] += (
                        line.open_quantity * line.qty_per_unit
                    )
        world.exposure[pos] += world.to_lcy(order.uninvoiced_amount, currency)
    return orders


def _shipments(world: World, orders: dict[str, Order]) -> dict[str, Shipment]:
    """Shipments of the loaded orders; those not invoiced yet go to tonight's invoicing."""
    conn = world.conn
    by_order_line = {(o.no, ln.line_no): ln for o in orders.values() for ln in o.lines}
    lines: dict[str, list[ShipmentLine]] = defaultdict(list)
    shipments: dict[str, Shipment] = {}
    if not orders:
        return shipments
    marks = ",".join("?" * len(orders))
    for shipment_no, line_no, order_no, order_line, qty in conn.execute(
        f"SELECT document_no, line_no, order_no, order_line_no, quantity FROM"
        f" sales_shipment_lines WHERE order_no IN ({marks}) ORDER BY document_no, line_no",
        list(orders),
    ):
        lines[shipment_no].append(ShipmentLine(line_no, by_order_line[(order_no, order_line)], qty))
    invoiced = {
        no
        for (no,) in conn.execute(
            f"SELECT shipment_no FROM sales_invoices WHERE order_no IN ({marks})", list(orders)
        )
    }
    for no, guid, order_no, day, modified in conn.execute(
        f"SELECT no, id, order_no, shipment_date, last_modified_date_time FROM"
        f" sales_shipments WHERE order_no IN ({marks}) ORDER BY no",
        list(orders),
    ):
        shipment = Shipment(no, guid, orders[order_no], day, lines[no], last_modified=modified)
        shipments[no] = shipment
        if no not in invoiced:
            world.shipped_today.append(shipment)
    return shipments


def _invoices(world: World, shipments: dict[str, Shipment]) -> None:
    conn = world.conn
    lines: dict[str, list[DocLine]] = defaultdict(list)
    stamps: dict[str, str] = {}
    for no, line_no, item, unit, qty, price, disc, amount, stamp in conn.execute("""
        SELECT l.document_no, l.line_no, l.item_no, l.unit_of_measure_code, l.quantity,
               l.unit_price, l.line_discount_pct, l.line_amount, l.last_modified_date_time
        FROM sales_invoice_lines l JOIN sales_invoices i ON i.no = l.document_no
        WHERE i.status = 'Open' ORDER BY l.document_no, l.line_no"""):
        lines[no].append(DocLine(line_no, item, unit, qty, price, disc, amount))
        stamps[no] = stamp
    from simulator.erp.world.receivables import schedule_payment  # noqa: PLC0415

    for no, guid, shipment_no, posted, due, amount, remaining, modified in conn.execute("""
        SELECT no, id, shipment_no, posting_date, due_date, amount, remaining_amount,
               last_modified_date_time FROM sales_invoices WHERE status = 'Open' ORDER BY no"""):
        shipment = shipments[shipment_no]
        shipment.invoice_no = no
        invoice = Invoice(
            no,
            guid,
            shipment,
            posted,
            due,
            lines[no],
            amount,
            remaining,
            last_modified=modified,
            lines_written=True,
            posted_at=stamps[no],
        )
        world.open_invoices[no] = invoice
        order = shipment.order
        world.exposure[order.customer] += world.to_lcy(remaining, order.currency)
        schedule_payment(world, invoice, dt.date.fromisoformat(posted))


def _quotes(world: World) -> None:
    conn = world.conn
    lines: dict[str, list[DocLine]] = defaultdict(list)
    for no, line_no, item, unit, qty, price, disc, amount in conn.execute("""
        SELECT l.document_no, l.line_no, l.item_no, l.unit_of_measure_code, l.quantity,
               l.unit_price, l.line_discount_pct, l.line_amount
        FROM sales_quote_lines l JOIN sales_quotes q ON q.no = l.document_no
        WHERE q.status = 'Open' ORDER BY 1, 2"""):
        lines[no].append(DocLine(line_no, item, unit, qty, price, disc, amount))
    cfg = world.cfg
    for row in conn.execute("""
        SELECT no, id, customer_no, contact_no, document_date, valid_until, channel,
               currency_code, last_modified_date_time FROM sales_quotes WHERE status = 'Open'
        ORDER BY no"""):
        no, guid, customer, contact, day, valid, channel, currency, modified = row
        quote = Quote(
            no,
            guid,
            customer,
            contact,
            day,
            valid,
            channel,
            currency,
            lines[no],
            last_modified=modified,
        )
        world.open_quotes[no] = quote
        world.quote_lines[no] = [_priced(world, ln, currency) for ln in quote.lines]
        rng = world.account_rngs[world.account_pos[customer]]
        world.schedule(
            world.quote_decisions, world.now + rng.uniform(0.0, cfg.quote_decision_days.max), no
        )


def _priced(world: World, line: DocLine, currency: str) -> tuple:
    """A stored quote line in the shape new orders take (the price sources are not kept
    on quote lines, so an order from a resumed quote records none)."""
    item = world.item_pos[line.item_no]
    per_unit = world.prices.units.get((line.item_no, line.unit), 1.0)
    net = round(line.unit_price * (1 - line.discount_pct / 100), 5)
    result = PriceResult(
        line.unit_price,
        line.discount_pct,
        net,
        line.amount,
        currency,
        line.unit,
        per_unit,
        None,
        None,
    )
    return (item, line.unit, line.quantity, False, result)


def _purchase_orders(world: World) -> None:
    for no, item_no, location, qty, ordered, expected, modified in world.conn.execute("""
        SELECT no, item_no, location_code, quantity, order_date, expected_receipt_date,
               last_modified_date_time FROM purchase_orders WHERE status = 'Open'
        ORDER BY no"""):
        item, loc = world.item_pos[item_no], world.location_pos.get(location, 0)
        arrival = max(world.now, world.clock.time_of(dt.date.fromisoformat(expected))) + HOUR
        po = PurchaseOrder(
            no,
            item,
            item_no,
            loc,
            location,
            qty,
            ordered,
            expected,
            arrival,
            last_modified=modified,
        )
        world.purchase_orders[no] = po
        world.on_order[item, loc] += qty
        world.schedule(world.receipts_due, arrival, no)
