"""Demand: each account orders at its own rhythm, mostly its repeat basket, offline.

Gaps between orders are Gamma-distributed around the account's mean interval and shortened
in busy months (the profile's monthly seasonality); orders land in business hours, rarely at
weekends. Some orders start as quotes that the customer accepts or lets expire. Every line is
priced by the one pricing engine at the order's date.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from simulator.erp.pricing import (
    PriceRequest,
    PricingError,
    price_context,
    resolve_in_context,
    resolve_price,
)
from simulator.erp.world.clock import HOUR
from simulator.erp.world.core import Account, World
from simulator.erp.world.documents import DocLine, Order, OrderLine, Quote


def first_order_time(world: World, account: Account) -> float:
    rng = world.account_rngs[account.pos]
    return business_time(world, rng, world.now + rng.uniform(0.0, account.interval))


def business_time(world: World, rng: np.random.Generator, t: float) -> float:
    """Move a raw time into business hours (08-18, morning-heavy); weekends mostly move to
    Monday. Always strictly after now."""
    cfg = world.cfg
    day = math.floor(t)
    weekday = world.clock.weekday(day)
    if weekday == 5 and rng.random() >= cfg.saturday_share:
        day += 2
    elif weekday == 6 and rng.random() >= cfg.sunday_share:
        day += 1
    moment = day + (8.0 + 10.0 * rng.beta(2.0, 3.0)) * HOUR
    if moment <= world.now:
        moment = world.now + (0.25 + rng.random()) * HOUR
    return moment


def next_gap(world: World, account: Account, rng: np.random.Generator) -> float:
    shape = world.cfg.order_gap_shape
    month = world.clock.at(world.now).month
    return rng.gamma(shape, account.interval / shape) / world.cfg.monthly_seasonality[month - 1]


def place(world: World, account: Account) -> None:
    """The account's order event: a quote or an order, then its next order time."""
    rng = world.account_rngs[account.pos]
    contact = account.buyers[int(rng.integers(len(account.buyers)))]
    channel = _channel(world, account, rng)
    lines = _priced_lines(world, account, rng)
    as_quote = rng.random() < world.cfg.quote_share
    if lines:
        if as_quote:
            _new_quote(world, account, rng, contact, channel, lines)
        else:
            order = new_order(world, account, contact, channel, lines, quote_no="")
            _maybe_status_call(world, rng, order)
    world.next_order_at[account.pos] = business_time(
        world, rng, world.now + next_gap(world, account, rng)
    )


def _channel(world: World, account: Account, rng: np.random.Generator) -> str:
    pilot = account.web_from is not None and world.now >= account.web_from
    if pilot and rng.random() < world.cfg.web_pilot_order_share:
        return "web"
    return account.channels[int(np.searchsorted(account.channel_weights, rng.random()))]


PricedLine = tuple[int, str, float, bool, object]  # item, unit, quantity, repeat, PriceResult


def _priced_lines(world: World, account: Account, rng: np.random.Generator) -> list[PricedLine]:
    cfg = world.cfg
    count = 1 + int(rng.poisson(max(account.basket - 1.0, 0.0)))
    new = int(rng.binomial(count, cfg.new_item_share)) if account.subfamilies else 0
    picks: list[tuple[int, str, float, bool]] = []
    basket = account.basket_weights
    if len(basket):
        draws = np.searchsorted(basket, rng.random(2 * (count - new) + 2) * basket[-1])
        # the first count - new distinct lines drawn, in the order drawn
        chosen = list(dict.fromkeys(draws.tolist()))[: count - new]
        if chosen:
            # Plain floats for a handful of lines (numpy's per-call cost would dominate):
            # the same products, round half to even, floor of one as np.maximum/np.round.
            factors = rng.lognormal(0.0, cfg.quantity_sigma, len(chosen)).tolist()
            items, units, usual = account.basket_items, account.basket_units, account.basket_qty
            for k, factor in zip(chosen, factors, strict=True):
                picks.append((items[k], units[k], max(1.0, round(usual[k] * factor, 0)), True))
    for _ in range(new):
        sub = account.subfamilies[int(rng.integers(len(account.subfamilies)))]
        members, cumulative = world.subfamily_items.get(sub, (None, None))
        if members is None or not len(members):
            continue
        item = int(
            members[
                min(
                    int(np.searchsorted(cumulative, rng.random() * cumulative[-1])),
                    len(members) - 1,
                )
            ]
        )
        price = world.prices.items[world.item_no[item]].unit_price
        qty = max(1.0, round(account.line_value / max(price, 0.01) * rng.lognormal(0.0, 0.5)))
        picks.append((item, world.item_base_unit[item], qty, False))
    if not picks:
        return []
    book = world.prices
    try:  # the customer's terms, currency rate and campaigns: once for all the lines
        context = price_context(book, account.no, world.today)
    except PricingError:
        return []
    priced = []
    item_no = world.item_no
    for item, unit, qty, repeat in picks:
        try:
            result = resolve_in_context(book, context, item_no[item], qty, unit)
        except PricingError:
            continue  # blocked since, or a unit no longer defined: the buyer drops the line
        priced.append((item, unit, qty, repeat, result))
    return priced


def new_order(
    world: World,
    account: Account,
    contact: str,
    channel: str,
    lines: list[PricedLine],
    *,
    quote_no: str,
) -> Order:
    """Enter an order (credit-checked) and queue it for the warehouse."""
    cfg = world.cfg
    rng = world.account_rngs[account.pos]
    today = world.today
    delivery = today + dt.timedelta(
        days=int(
            rng.integers(
                int(cfg.requested_delivery_days.min), int(cfg.requested_delivery_days.max) + 1
            )
        )
    )
    order_lines = [order_line(world, n * 10000, line) for n, line in enumerate(lines, start=1)]
    order = Order(
        no=world.number("SO"),
        id=world.guid(),
        customer=account.pos,
        customer_no=account.no,
        contact_no=contact,
        order_date=today.isoformat(),
        requested_delivery_date=delivery.isoformat(),
        channel=channel,
        quote_no=quote_no,
        salesperson_code=account.salesperson,
        location=account.location,
        location_code=world.location_codes[account.location],
        currency=account.currency,
        created_at=world.stamp,
        lines=order_lines,
        entered=world.now,
    )
    amount = world.to_lcy(order.amount, account.currency)
    over = account.credit_limit > 0 and world.exposure[account.pos] + amount > account.credit_limit
    order.status = "Pending Approval" if over else "Open"
    world.exposure[account.pos] += amount
    world.open_orders[order.no] = order
    world.recent_orders[order.no] = order
    world.touch_order(order)
    return order


def order_line(world: World, line_no: int, line: PricedLine) -> OrderLine:
    """An order line from a priced line (its price and discount sources kept)."""
    item, unit, qty, repeat, result = line
    price_src = result.price_source
    disc_src = result.discount_source
    return OrderLine(
        line_no=line_no,
        item_no=world.item_no[item],
        item=item,
        unit=unit,
        qty_per_unit=result.qty_per_unit_of_measure,
        quantity=qty,
        unit_price=result.unit_price,
        discount_pct=result.line_discount_pct,
        amount=result.line_amount,
        price_list_code=price_src.price_list_code if price_src else "",
        price_line_no=price_src.line_no if price_src else 0,
        discount_list_code=disc_src.price_list_code if disc_src else "",
        discount_line_no=disc_src.line_no if disc_src else 0,
        repeat_item=repeat,
    )


def quote_line(world: World, line_no: int, line: PricedLine) -> DocLine:
    item, unit, qty, _, result = line
    return DocLine(
        line_no,
        world.item_no[item],
        unit,
        qty,
        result.unit_price,
        result.line_discount_pct,
        result.line_amount,
    )


def _maybe_status_call(world: World, rng: np.random.Generator, order: Order) -> None:
    """Some buyers call to ask where their order is a few days after placing it."""
    if rng.random() < world.cfg.order_status_inquiry_rate:
        world.schedule(
            world.service_due, world.now + rng.uniform(1.0, 5.0), "order_status", order.no
        )


def _new_quote(
    world: World,
    account: Account,
    rng: np.random.Generator,
    contact: str,
    channel: str,
    lines: list[PricedLine],
) -> None:
    cfg = world.cfg
    quote = open_quote(world, account, contact, channel, lines)
    days = rng.uniform(cfg.quote_decision_days.min, cfg.quote_decision_days.max)
    world.schedule(world.quote_decisions, world.now + days, quote.no)


def open_quote(
    world: World, account: Account, contact: str, channel: str, lines: list[PricedLine]
) -> Quote:
    """A new open quote at the lines' prices, valid for the profile's validity days."""
    today = world.today
    quote = Quote(
        no=world.number("SQ"),
        id=world.guid(),
        customer_no=account.no,
        contact_no=contact,
        document_date=today.isoformat(),
        valid_until=(today + dt.timedelta(days=world.cfg.quote_validity_days)).isoformat(),
        channel=channel,
        currency=account.currency,
        lines=[quote_line(world, n * 10000, line) for n, line in enumerate(lines, start=1)],
    )
    world.quote_lines[quote.no] = lines
    world.open_quotes[quote.no] = quote
    world.touch(world.out.quotes, quote.no, quote)
    return quote


def decide_quotes(world: World) -> None:
    """The sales office's daily run: quotes whose customer has decided become orders."""
    for _, _, quote_no in world.due(world.quote_decisions, world.now):
        if quote_no not in world.open_quotes:  # deleted or made an order through the API
            continue
        quote = world.open_quotes.pop(quote_no)
        lines = world.quote_lines.pop(quote_no)
        account = world.accounts[world.account_pos[quote.customer_no]]
        rng = world.account_rngs[account.pos]
        accepted = rng.random() < world.cfg.quote_conversion
        if accepted:
            order = new_order(
                world, account, quote.contact_no, quote.channel, lines, quote_no=quote.no
            )
            quote.status, quote.order_no = "Accepted", order.no
        else:
            quote.status = "Expired"
        world.touch(world.out.quotes, quote.no, quote)


def price_external_lines(
    world: World, account: Account, lines: list[tuple[str, str, float]]
) -> list[PricedLine]:
    """Price lines that come from outside the simulation; any problem raises PricingError
    (unknown or blocked customer or item, unit not defined, quantity not positive)."""
    priced = []
    for item_no, unit, quantity in lines:
        result = resolve_price(
            world.prices, PriceRequest(account.no, item_no, quantity, world.today, unit)
        )
        item = world.item_pos[item_no]
        basket = set(account.basket_items)
        priced.append(
            (
                item,
                result.unit_of_measure_code if unit else world.item_base_unit[item],
                quantity,
                item in basket,
                result,
            )
        )
    return priced


def enter_external_order(
    world: World,
    customer_no: str,
    lines: list[tuple[str, str, float]],
    *,
    contact_no: str = "",
    channel: str = "web",
) -> Order:
    account = _external_account(world, customer_no)
    priced = price_external_lines(world, account, lines)
    return new_order(
        world, account, contact_no or next(iter(account.buyers), ""), channel, priced, quote_no=""
    )


def enter_external_quote(
    world: World,
    customer_no: str,
    lines: list[tuple[str, str, float]],
    *,
    contact_no: str = "",
    channel: str = "web",
) -> Quote:
    """A quote requested from outside; it waits for `accept_quote` (no simulated decision)."""
    account = _external_account(world, customer_no)
    return open_quote(
        world,
        account,
        contact_no or next(iter(account.buyers), ""),
        channel,
        price_external_lines(world, account, lines),
    )


def accept_quote(world: World, quote_no: str) -> Order:
    """Turn an open quote into an order at the quote's prices (BC's Make Order)."""
    quote = world.open_quotes.get(quote_no)
    if quote is None:
        raise KeyError(f"no open quote {quote_no!r}")
    if quote.valid_until < world.iso_today:
        raise ValueError(f"quote {quote_no} expired on {quote.valid_until}")
    del world.open_quotes[quote_no]
    account = world.accounts[world.account_pos[quote.customer_no]]
    order = new_order(
        world,
        account,
        quote.contact_no,
        quote.channel,
        world.quote_lines.pop(quote_no),
        quote_no=quote.no,
    )
    quote.status, quote.order_no = "Accepted", order.no
    world.touch(world.out.quotes, quote.no, quote)
    return order


def _external_account(world: World, customer_no: str) -> Account:
    pos = world.account_pos.get(customer_no)
    if pos is None:
        raise PricingError("customer_not_found", f"no customer {customer_no!r}")
    return world.accounts[pos]
