"""Documents changed after they were entered, from outside the simulation (the mock ERP
API): lines added, changed or removed while an order or quote is still open, documents
deleted, an order shipped and invoiced at once.

Every line is priced by the one pricing engine at the world's today; a price or discount
the caller sets replaces the engine's (as a salesperson overrides a line in BC) and the
line amount is worked out from it the engine's way. An order's exposure follows its
amount, so the credit check sees every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.erp.pricing import (
    AMOUNT_DECIMALS,
    UNIT_AMOUNT_DECIMALS,
    PriceRequest,
    PriceResult,
    resolve_price,
)
from simulator.erp.world.demand import PricedLine, order_line, quote_line

if TYPE_CHECKING:
    from simulator.erp.world.core import Account, World
    from simulator.erp.world.documents import Invoice, Order, Quote, Shipment

__all__ = [
    "LineEntry",
    "add_line",
    "change_line",
    "delete_document",
    "price_entry",
    "remove_line",
    "ship_and_invoice",
]


@dataclass(frozen=True, slots=True)
class LineEntry:
    """A line as a caller gives it: item, unit ('' = the base unit), quantity, and
    optionally the unit price and line discount % that replace the engine's."""

    item_no: str
    unit: str
    quantity: float
    unit_price: float | None = None
    discount_pct: float | None = None


def price_entry(world: World, account: Account, entry: LineEntry) -> PricedLine:
    """The line priced at today (raises PricingError as an order would)."""
    result = resolve_price(
        world.prices,
        PriceRequest(account.no, entry.item_no, entry.quantity, world.today, entry.unit),
    )
    if entry.unit_price is not None or entry.discount_pct is not None:
        price = result.unit_price if entry.unit_price is None else entry.unit_price
        discount = result.line_discount_pct if entry.discount_pct is None else entry.discount_pct
        net = round(price * (1 - discount / 100), UNIT_AMOUNT_DECIMALS)
        result = PriceResult(
            unit_price=price,
            line_discount_pct=discount,
            net_unit_price=net,
            line_amount=round(entry.quantity * net, AMOUNT_DECIMALS),
            currency_code=result.currency_code,
            unit_of_measure_code=result.unit_of_measure_code,
            qty_per_unit_of_measure=result.qty_per_unit_of_measure,
            price_source=result.price_source if entry.unit_price is None else None,
            discount_source=result.discount_source if entry.discount_pct is None else None,
        )
    item = world.item_pos[entry.item_no]
    return (item, result.unit_of_measure_code, entry.quantity, item in account.basket_items, result)


def _account(world: World, document: Order | Quote) -> Account:
    return world.accounts[world.account_pos[document.customer_no]]


def _exposure(world: World, document: Order | Quote, before: float) -> None:
    """An order's amount changed from `before`: the account's exposure follows."""
    from simulator.erp.world.documents import Order  # noqa: PLC0415

    if isinstance(document, Order):
        delta = document.amount - before
        world.exposure[document.customer] += world.to_lcy(delta, document.currency)


def _touch(world: World, document: Order | Quote) -> None:
    from simulator.erp.world.documents import Order  # noqa: PLC0415

    if isinstance(document, Order):
        world.touch_order(document)
    else:
        world.touch(world.out.quotes, document.no, document)


def add_line(world: World, document: Order | Quote, line_no: int, entry: LineEntry) -> None:
    """A new line `line_no` on an open order or quote."""
    from simulator.erp.world.documents import Order  # noqa: PLC0415

    priced = price_entry(world, _account(world, document), entry)
    before = document.amount
    if isinstance(document, Order):
        document.lines.append(order_line(world, line_no, priced))
        document.needs_attempt = True
    else:
        document.lines.append(quote_line(world, line_no, priced))
        world.quote_lines.setdefault(document.no, []).append(priced)
    _exposure(world, document, before)
    _touch(world, document)


def change_line(world: World, document: Order | Quote, line_no: int, entry: LineEntry) -> None:
    """Line `line_no` priced again for `entry` (KeyError if there is no such line)."""
    from simulator.erp.world.documents import Order  # noqa: PLC0415

    index = _index(document, line_no)
    priced = price_entry(world, _account(world, document), entry)
    before = document.amount
    if isinstance(document, Order):
        document.lines[index] = order_line(world, line_no, priced)
    else:
        document.lines[index] = quote_line(world, line_no, priced)
        world.quote_lines[document.no][index] = priced
    _exposure(world, document, before)
    _touch(world, document)


def remove_line(world: World, document: Order | Quote, line_no: int) -> None:
    index = _index(document, line_no)
    before = document.amount
    del document.lines[index]
    if document.no in world.quote_lines:
        del world.quote_lines[document.no][index]
    _exposure(world, document, before)
    _touch(world, document)


def _index(document: Order | Quote, line_no: int) -> int:
    for index, line in enumerate(document.lines):
        if line.line_no == line_no:
            return index
    raise KeyError(f"{document.no} has no line {line_no}")


def delete_document(world: World, document: Order | Quote) -> None:
    """An open order or quote deleted: the world forgets it (the caller deletes its rows)."""
    from simulator.erp.world.documents import Order  # noqa: PLC0415

    if isinstance(document, Order):
        world.exposure[document.customer] -= world.to_lcy(document.amount, document.currency)
        for bucket in (world.open_orders, world.recent_orders, world.out.orders):
            bucket.pop(document.no, None)
    else:
        for bucket in (world.open_quotes, world.quote_lines, world.out.quotes):
            bucket.pop(document.no, None)


def ship_and_invoice(world: World, order: Order) -> tuple[Shipment, Invoice] | None:
    """BC's Ship and Invoice: release the order, ship what stock allows now and post its
    invoice at once, through the warehouse's and invoicing's own code. None when nothing
    could be shipped (the order stays released, waiting for stock)."""
    from simulator.erp.world.fulfilment import ship_now  # noqa: PLC0415
    from simulator.erp.world.receivables import invoice_shipment  # noqa: PLC0415

    world.release_order(order.no)
    shipment = ship_now(world, order)
    if shipment is None:
        return None
    world.shipped_today.remove(shipment)
    return shipment, invoice_shipment(world, shipment)
