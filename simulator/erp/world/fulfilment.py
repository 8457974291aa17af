"""Fulfilment and replenishment: the warehouse's daily run and the goods-receiving run.

Orders are released after a credit check, shipped first-come first-served from the account's
warehouse in whole units of the ordered unit, partially when stock is short (the rest waits
as a backorder). After shipping, every touched item x location is checked against its reorder
point and topped up to its maximum (plus the backlog) with a purchase order whose receipt
comes after the item's lead time.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.erp.world.core import World
from simulator.erp.world.documents import Order, PurchaseOrder, Shipment, ShipmentLine

CREDIT_HOLD_DAYS = 30.0  # a credit manager releases a held order after this long


def receive(world: World) -> None:
    """Post purchase receipts that have arrived."""
    for _, _, po_no in world.due(world.receipts_due, world.now):
        po = world.purchase_orders.pop(po_no)
        world.ledger(po.item, po.location, "Purchase", po.no, po.quantity)
        world.on_order[po.item, po.location] -= po.quantity
        po.status, po.received_date = "Received", world.iso_today
        world.touch(world.out.purchase_orders, po.no, po)


def warehouse_run(world: World) -> None:
    """Release, then ship first come first served. A backordered order is tried again only
    once stock of an item it waits for has come in (receipts, returns)."""
    for key in sorted(world.restocked):
        for order_no in world.waiting.pop(key, ()):
            order = world.open_orders.get(order_no)
            if order is not None:
                order.needs_attempt = True
    world.restocked.clear()
    touched: set[tuple[int, int]] = set()
    for order in list(world.open_orders.values()):
        if order.status == "Pending Approval":
            _credit_review(world, order)
        if order.status == "Open" and order.lines:  # an empty draft waits for its lines
            order.status = "Released"
            for line in order.lines:
                world.backlog[line.item, order.location] += line.open_quantity * line.qty_per_unit
            world.touch_order(order)
        if order.needs_attempt and order.status in ("Released", "Partially Shipped"):
            _ship(world, order, touched)
    if touched:
        _replenish_touched(world, sorted(touched))


def ship_now(world: World, order: Order) -> Shipment | None:
    """Ship a released order now, as the warehouse would (what stock allows), outside its
    daily run; the new shipment, or None when nothing could be shipped."""
    touched: set[tuple[int, int]] = set()
    before = len(world.shipped_today)
    _ship(world, order, touched)
    if touched:
        _replenish_touched(world, sorted(touched))
    return world.shipped_today[-1] if len(world.shipped_today) > before else None


def _credit_review(world: World, order: Order) -> None:
    account = world.accounts[order.customer]
    held_days = world.now - order.entered
    if world.exposure[account.pos] <= account.credit_limit or held_days >= CREDIT_HOLD_DAYS:
        order.status = "Open"
        world.touch_order(order)


def _ship(world: World, order: Order, touched: set[tuple[int, int]]) -> None:
    location = order.location
    shipped: list[ShipmentLine] = []
    short = False
    order.needs_attempt = False
    for line in order.lines:
        wanted = line.open_quantity
        if wanted <= 0:
            continue
        available_units = math.floor(
            world.inventory[line.item, location] / line.qty_per_unit + 1e-9
        )
        quantity = min(wanted, max(0, available_units))
        if line.short_at_first_run is None:
            line.short_at_first_run = quantity < wanted
            world.lines_tried += 1
            world.first_short_lines += quantity < wanted
        if quantity < wanted:
            short = True
            world.waiting.setdefault((line.item, location), set()).add(order.no)
        if quantity > 0:
            shipped.append(ShipmentLine(len(shipped) * 10000 + 10000, line, quantity))
        touched.add((line.item, location))
    if shipped:
        shipment = Shipment(world.number("SS"), world.guid(), order, world.iso_today, shipped)
        for ship_line in shipped:
            line = ship_line.order_line
            line.shipped += ship_line.quantity
            base = ship_line.quantity_base
            world.backlog[line.item, location] -= base
            world.ledger(line.item, location, "Sale", shipment.no, -base)
        world.shipments[shipment.no] = shipment
        world.shipped_today.append(shipment)
        world.out.shipments.append(shipment)
        shipment.last_modified = world.stamp
        _schedule_returns(world, shipment)
    if all(line.open_quantity <= 0 for line in order.lines):
        order.status = "Shipped"
        del world.open_orders[order.no]
    elif shipped:
        order.status = "Partially Shipped"
    if shipped or short:
        world.touch_order(order)
    if short and not order.status_inquiry_logged:
        order.status_inquiry_logged = True
        rng = world.account_rngs[order.customer]
        if rng.random() < world.cfg.backorder_inquiry_rate:
            world.schedule(
                world.service_due, world.now + rng.uniform(1.0, 3.0), "order_status", order.no
            )


def _schedule_returns(world: World, shipment: Shipment) -> None:
    cfg = world.cfg
    rng = world.account_rngs[shipment.order.customer]
    for line in shipment.lines:
        if rng.random() < cfg.return_rate:
            when = world.now + rng.uniform(cfg.return_days.min, cfg.return_days.max)
            world.schedule(world.service_due, when, "return", f"{shipment.no}:{line.line_no}")


def _replenish_touched(world: World, touched: list[tuple[int, int]]) -> None:
    """Check every touched item x location against its reorder point in one numpy pass,
    then order, in key order, where the stock position has fallen to it."""
    items = np.fromiter((key[0] for key in touched), dtype=np.intp, count=len(touched))
    locations = np.fromiter((key[1] for key in touched), dtype=np.intp, count=len(touched))
    position = world.inventory[items, locations] + world.on_order[items, locations]
    position -= world.backlog[items, locations]
    low = np.flatnonzero(position <= world.reorder_point[items, locations]).tolist()
    for k in low:
        _replenish(world, touched[k][0], touched[k][1], float(position[k]))


def _replenish(world: World, item: int, location: int, position: float) -> None:
    """Top up to the maximum (`position`: stock + on order - backlog, at the reorder
    point or below)."""
    quantity = math.ceil(world.maximum[item, location] - position)
    if quantity <= 0:
        return
    lead = world.lead_time[item, location] * world.rng_warehouse.lognormal(
        0.0, world.cfg.lead_time_sigma
    )
    arrival = world.now + max(1.0, lead)
    po = PurchaseOrder(
        no=world.number("PO"),
        item=item,
        item_no=world.item_no[item],
        location=location,
        location_code=world.location_codes[location],
        quantity=float(quantity),
        order_date=world.iso_today,
        expected_receipt_date=world.clock.iso_date(arrival),
        receipt_at=arrival,
    )
    world.on_order[item, location] += quantity
    world.purchase_orders[po.no] = po
    world.touch(world.out.purchase_orders, po.no, po)
    world.schedule(world.receipts_due, arrival, po.no)
