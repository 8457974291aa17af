"""Prices over time: yearly list-price reviews, campaigns, renegotiated agreements, rates.

Every change is a new price list line with its own validity dates and the old line gets an
ending date, as in Business Central: history is preserved, so an order can always be
re-priced as of its date. Product families are reviewed in different quarters (suppliers
raise prices at different times); a new campaign is announced every few months; accounts
renegotiate part of their agreement now and then; exchange rates move monthly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from simulator.erp import schema
from simulator.erp import vocabulary as vocab
from simulator.erp.catalog import price_round
from simulator.erp.pricing import PriceLine
from simulator.erp.world.core import World
from simulator.erp.world.pricebook import Campaign

CAMPAIGN_NOTICE_DAYS = 21
FAMILY_REVIEW_MONTH = {fam.code: 1 + (3 * i) % 12 for i, fam in enumerate(vocab.FAMILIES)}


def schedule(world: World) -> None:
    interval = world.cfg.campaign_interval_days
    world.next_campaign_at = world.now + world.rng_prices.uniform(0.0, interval)
    world.counters.values.setdefault(
        "CMP", world.conn.execute("SELECT count(*) FROM campaigns").fetchone()[0]
    )
    world.agreement_accounts = sorted(
        code[2:] for code in world.prices.next_line_no if code.startswith("C-")
    )


def line_row(line: PriceLine, stamp: str) -> tuple:
    """A price line as its table row: the line's fields in column order (dates as ISO text,
    the flag as 0/1), then the stamp."""
    starting, ending = line.starting_date, line.ending_date
    return (
        *line[:9],
        starting.isoformat() if starting else None,
        ending.isoformat() if ending else None,
        *line[11:14],
        int(line.allow_line_disc),
        line.status,
        stamp,
    )


def monthly_rates(world: World) -> None:
    today = world.today
    if today.day != 1:
        return
    for code in sorted(world.prices.rates):
        history = world.prices.rates[code]
        if history and history[-1][0] >= today:
            continue
        last = history[-1][1] if history else vocab.CURRENCIES[code][1]
        rate = round(
            last * float(np.exp(world.rng_prices.normal(0.0, world.cfg.exchange_rate_volatility))),
            4,
        )
        world.prices.add_rate(code, today, rate)
        world.out.rates.append((code, today.isoformat(), rate, 1.0, world.stamp))


def price_calendar(world: World) -> None:
    today = world.today
    if today.day == 1:
        for family, month in FAMILY_REVIEW_MONTH.items():
            if month == today.month:
                _review(world, family)
    if world.now >= world.next_campaign_at:
        _new_campaign(world)
        world.next_campaign_at += world.cfg.campaign_interval_days
    if world.agreement_accounts:
        rate = world.cfg.renegotiations_per_year * len(world.agreement_accounts) / 365.0
        for _ in range(int(world.rng_prices.poisson(rate))):
            pick = int(world.rng_prices.integers(len(world.agreement_accounts)))
            _renegotiate(world, world.agreement_accounts[pick])


def _replace(world: World, line: PriceLine, price: float, starting: dt.date) -> None:
    """End `line` the day before `starting` and add its successor at `price`."""
    _replace_all(world, [(line, price)], starting)


def _replace_all(world: World, changes: list[tuple[PriceLine, float]], starting: dt.date) -> None:
    """`_replace` for many lines starting on the same day (a review changes a whole
    family's): what the lines share is worked out once."""
    book = world.prices
    ending = starting - dt.timedelta(days=1)
    stamp = world.stamp
    ending_text = ending.isoformat()
    ended, rows = world.out.ended_lines, world.out.price_lines
    for line, price in changes:
        code = line.price_list_code
        book.end_line(line, ending)
        ended.append((ending_text, code, line.line_no, stamp))
        successor = PriceLine(
            code,
            book.take_line_no(code),
            line.source_type,
            line.source_no,
            line.asset_type,
            line.asset_no,
            line.unit_of_measure_code,
            line.minimum_quantity,
            line.currency_code,
            starting,
            None,
            line.amount_type,
            price,
            line.line_discount_pct,
            line.allow_line_disc,
            line.status,
        )
        book.add_line(successor)
        rows.append(line_row(successor, stamp))


def _price_round(value: float) -> float:
    """`catalog.price_round` for one price, without numpy's per-call cost: the same
    arithmetic (scale, round half to even, unscale), so the same result."""
    scale = 100.0 if value >= 1.0 else 10000.0
    return round(value * scale) / scale


def _order(line: PriceLine) -> tuple[str, int]:
    """Lines are always changed in key order, so new line numbers never depend on how a
    cached list happened to be built."""
    return (line.price_list_code, line.line_no)


def _valid(line: PriceLine, day: dt.date) -> bool:
    return (line.starting_date is None or line.starting_date <= day) and (
        line.ending_date is None or line.ending_date >= day
    )


def _review(world: World, family: str) -> None:
    """The family's yearly list-price review: a share of its items get a new list price on
    every all-customers and price-group line, and on the item card."""
    cfg = world.cfg
    rng = world.rng_prices
    today = world.today
    increase = rng.uniform(cfg.list_price_increase.min, cfg.list_price_increase.max)
    book = world.prices
    reviewed: list[tuple[int, float]] = []
    for item in np.flatnonzero(world.item_family == family).tolist():
        if world.item_blocked[item] or rng.random() >= cfg.list_price_review_share:
            continue
        reviewed.append((item, 1.0 + increase + rng.normal(0.0, 0.004)))
    lines_of = book.many_item_lines([world.item_no[item] for item, _ in reviewed])
    for item, factor in reviewed:
        item_no = world.item_no[item]
        _replace_all(
            world,
            [
                (line, _price_round(line.unit_price * factor))
                for line in sorted(lines_of[item_no], key=_order)
                if line.amount_type == schema.AMOUNT_PRICE
                and _valid(line, today)
                and (line.starting_date or today) < today
            ],
            today,
        )
        terms = book.items[item_no]
        book.items[item_no] = dataclasses.replace(
            terms, unit_price=_price_round(terms.unit_price * factor)
        )
        world.out.items[item] = world.stamp


def _new_campaign(world: World) -> None:
    cfg = world.profile.pricing
    rng = world.rng_prices
    number = world.counters.next("CMP")
    no = f"CMP{number:04d}"
    start = world.today + dt.timedelta(days=CAMPAIGN_NOTICE_DAYS)
    end = start + dt.timedelta(
        days=int(rng.integers(int(cfg.campaign_days.min), int(cfg.campaign_days.max) + 1))
    )
    segments = list(world.profile.customers.segments)
    target = "" if rng.random() < 0.5 else segments[int(rng.integers(len(segments)))]
    season = ("Spring", "Summer", "Autumn", "Winter")[(start.month - 1) // 3]
    description = f"{season} {start.year} promotion" + (f" ({target})" if target else "")
    by_discount = number % 2 == 0
    amount_type = schema.AMOUNT_DISCOUNT if by_discount else schema.AMOUNT_PRICE
    code = f"CMP-{no}"
    stamp = world.stamp
    world.out.campaigns.append((no, description, start.isoformat(), end.isoformat(), target, stamp))
    world.out.price_lists.append(
        (
            code,
            description,
            schema.SOURCE_CAMPAIGN,
            no,
            "",
            start.isoformat(),
            end.isoformat(),
            amount_type,
            schema.STATUS_ACTIVE,
            stamp,
        )
    )
    weights = world.popularity * ~world.item_blocked
    count = min(
        max(1, round(len(world.item_no) * cfg.campaign_item_share)), int((weights > 0).sum())
    )
    items = np.sort(
        rng.choice(len(world.item_no), size=count, replace=False, p=weights / weights.sum())
    )
    book = world.prices
    for line_no, item in enumerate(items.tolist(), start=1):
        item_no = world.item_no[item]
        discount = rng.uniform(cfg.campaign_discount.min, cfg.campaign_discount.max)
        line = PriceLine(
            code,
            line_no,
            schema.SOURCE_CAMPAIGN,
            no,
            schema.ASSET_ITEM,
            item_no,
            "",
            0.0,
            "",
            start,
            end,
            amount_type,
            0.0
            if by_discount
            else float(price_round(book.items[item_no].unit_price * (1 - discount))),
            round(discount * 100, 1) if by_discount else 0.0,
            True,
            schema.STATUS_ACTIVE,
        )
        book.add_line(line)
        world.out.price_lines.append(line_row(line, stamp))
    book.next_line_no[code] = count + 1
    book.campaigns.append(Campaign(no, start, end, target))


def _renegotiate(world: World, customer_no: str) -> None:
    """Part of an account's agreement gets new prices from tomorrow, never above the
    all-customers price for the same quantity."""
    cfg = world.cfg
    rng = world.rng_prices
    book = world.prices
    today = world.today
    tomorrow = today + dt.timedelta(days=1)
    by_item = book.agreement(customer_no)  # price lines only
    account = world.accounts[world.account_pos[customer_no]]
    rate = world.prices.exchange_rate(account.currency, today) if account.currency else 1.0
    # Draw first (the same draws in the same order), then read the list prices of every
    # item drawn in a few statements rather than one point query each.
    drawn: list[tuple[str, list[PriceLine], float]] = []
    for item_no in sorted(by_item):
        if rng.random() >= cfg.renegotiation_item_share:
            continue
        item_lines = by_item[item_no]
        if not item_lines or any(
            ln.starting_date and ln.starting_date > today for ln in item_lines
        ):
            continue  # a new agreement is already on its way
        change = rng.uniform(cfg.renegotiation_change.min, cfg.renegotiation_change.max)
        drawn.append((item_no, item_lines, change))
    lines_of = book.many_item_lines([item_no for item_no, _, _ in drawn])
    for item_no, item_lines, change in drawn:
        list_lines = [
            ln
            for ln in lines_of[item_no]
            if ln.price_list_code == "S-ALL"
            and ln.unit_of_measure_code == ""
            and _valid(ln, tomorrow)
        ]
        for line in sorted(item_lines, key=lambda ln: (ln.minimum_quantity, *_order(ln))):
            if not _valid(line, today) or not _valid(line, tomorrow):
                continue
            ceiling = min(
                (
                    ln.unit_price
                    for ln in list_lines
                    if ln.minimum_quantity <= line.minimum_quantity
                ),
                default=None,
            )
            price = line.unit_price * (1.0 + change)
            if ceiling is not None:
                price = min(price, ceiling * (rate or 1.0))
            _replace(world, line, _price_round(price), tomorrow)
