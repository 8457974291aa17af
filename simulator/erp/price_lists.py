"""Price lists as Business Central keeps them: headers and lines, each line with its source.

Catalog-level lists (written by shard 0): ``S-ALL`` (every customer: list price, quantity
breaks, pack prices), ``S-ALL-<currency>`` (list prices set in a foreign currency),
``S-PG-<group>`` (customer price groups), ``CMP-<no>`` (campaigns), ``D-<group>`` (line
discounts by customer discount group x item discount group). Account-level lists (written by
the account's shard): ``C-<customer>`` (negotiated prices on the account's own assortment,
with expired and upcoming agreements) and ``CD-<customer>`` (key-account discounts).

Invariants the tests check: quantity breaks lower the price as the quantity rises; a customer
price is never above the all-customers price for the same item and quantity (unless the
profile's ``customer_price_above_list_share`` says otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.config import Profile
from simulator.erp import schema
from simulator.erp import vocabulary as vocab
from simulator.erp.catalog import ITEM_CHUNK, Catalog, price_round
from simulator.erp.customers import AccountDraw, Accounts
from simulator.erp.rng import stream

PACK_DISCOUNT = 0.03  # a pack costs 3 % less than its pieces bought one by one
BREAK_LINE_MIN_QTY = 100.0  # base units for the discount-group quantity break


def exchange_rates(profile: Profile, seed: int) -> dict[str, list[tuple[dt.date, float]]]:
    """Monthly rates (units per 1 LCY) over the two years before ``as_of``, a random walk
    that ends at the vocabulary's snapshot rate."""
    rng = stream(seed, "exchange-rates")
    months = 25
    first = _month_start(profile.as_of, -24)
    rates: dict[str, list[tuple[dt.date, float]]] = {}
    for code, (_, final) in vocab.CURRENCIES.items():
        walk = np.cumsum(rng.normal(0.0, 0.012, months))
        walk -= walk[-1]
        values = np.round(final * np.exp(walk), 4)
        rates[code] = [(_month_start(first, m), float(v)) for m, v in enumerate(values)]
    return rates


def _month_start(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def rate_on(rates: list[tuple[dt.date, float]], day: dt.date) -> float:
    """The rate in force on ``day``: the latest with starting date on or before it."""
    return next(rate for start, rate in reversed(rates) if start <= day)


def currencies_in_use(accounts: Accounts) -> list[str]:
    return sorted({c for c in accounts.currency.tolist() if c})


@dataclass
class LineBuffer:
    """Columns of ``price_list_lines`` being collected for one list or chunk."""

    columns: dict[str, list[Any]] = field(
        default_factory=lambda: {name: [] for name in schema.PRICE_LIST_LINES.columns}
    )

    def add(
        self,
        *,
        list_code: str,
        line_no: np.ndarray,
        source: tuple[str, str],
        asset: tuple[str, np.ndarray | list[str]],
        unit: np.ndarray | list[str] | str,
        minimum: np.ndarray | float,
        currency: str,
        starting: np.ndarray | list[str | None] | str | None,
        ending: np.ndarray | list[str | None] | str | None,
        amount_type: str,
        price: np.ndarray | float = 0.0,
        discount: np.ndarray | float = 0.0,
        allow_line_disc: np.ndarray | int = 1,
        stamp: str,
    ) -> None:
        n = len(line_no)
        if n == 0:
            return

        def spread(value: Any) -> list[Any]:
            if isinstance(value, np.ndarray):
                return value.tolist()
            if isinstance(value, list):
                return value
            return [value] * n

        def numbers(value: Any, kind: type) -> list[Any]:
            """Plain Python floats or ints (numpy scalars would be stored as blobs)."""
            if isinstance(value, np.ndarray | list):
                return np.asarray(value, dtype=kind).tolist()
            return [kind(value)] * n

        cols = self.columns
        cols["price_list_code"] += [list_code] * n
        cols["line_no"] += spread(line_no)
        cols["source_type"] += [source[0]] * n
        cols["source_no"] += [source[1]] * n
        cols["asset_type"] += [asset[0]] * n
        cols["asset_no"] += spread(asset[1])
        cols["unit_of_measure_code"] += spread(unit)
        cols["minimum_quantity"] += numbers(minimum, float)
        cols["currency_code"] += [currency] * n
        cols["starting_date"] += spread(starting)
        cols["ending_date"] += spread(ending)
        cols["amount_type"] += [amount_type] * n
        cols["unit_price"] += numbers(price, float)
        cols["line_discount_pct"] += numbers(discount, float)
        cols["allow_line_disc"] += numbers(allow_line_disc, int)
        cols["status"] += [schema.STATUS_ACTIVE] * n
        cols["last_modified_date_time"] += [stamp] * n

    def __len__(self) -> int:
        return len(self.columns["line_no"])


@dataclass
class HeaderBuffer:
    columns: dict[str, list[Any]] = field(
        default_factory=lambda: {name: [] for name in schema.PRICE_LISTS.columns}
    )

    def add(
        self,
        code: str,
        description: str,
        source: tuple[str, str],
        currency: str,
        amount_type: str,
        stamp: str,
        starting: str | None = None,
        ending: str | None = None,
    ) -> None:
        values = (
            code,
            description,
            source[0],
            source[1],
            currency,
            starting,
            ending,
            amount_type,
            schema.STATUS_ACTIVE,
            stamp,
        )
        for name, value in zip(schema.PRICE_LISTS.columns, values, strict=True):
            self.columns[name].append(value)


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _days(base: dt.date, offsets: np.ndarray) -> list[str]:
    return [(base + dt.timedelta(days=int(d))).isoformat() for d in offsets.tolist()]


def catalog_price_lists(
    profile: Profile,
    seed: int,
    catalog: Catalog,
    accounts: Accounts,
    stamp: str,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Campaigns and every catalog-level price list (shard 0's share of pricing)."""
    as_of = profile.as_of
    list_start = _iso(dt.date(as_of.year, 1, 1))
    rates = exchange_rates(profile, seed)
    headers = HeaderBuffer()

    # S-ALL: the list price per base unit, quantity breaks, pack prices.
    headers.add(
        "S-ALL",
        "List prices, all customers",
        (schema.SOURCE_ALL_CUSTOMERS, ""),
        "",
        schema.AMOUNT_PRICE,
        stamp,
        list_start,
    )
    breaks = np.array(profile.pricing.quantity_breaks)
    break_disc = np.array(profile.pricing.quantity_break_discounts)
    next_line = 1
    for start in range(0, catalog.size, ITEM_CHUNK):
        pos = np.arange(start, min(start + ITEM_CHUNK, catalog.size))
        buf = LineBuffer()
        with_breaks = pos[catalog.has_breaks[pos]]
        packs = pos[catalog.pack_qty[pos] > 0]
        # Order lines item by item: base price, breaks, pack price.
        item_rows = [pos, np.repeat(with_breaks, len(breaks)), packs]
        kinds = [
            np.zeros(len(pos), int),
            np.tile(np.arange(1, len(breaks) + 1), len(with_breaks)),
            np.full(len(packs), len(breaks) + 1),
        ]
        owner = np.concatenate(item_rows)
        kind = np.concatenate(kinds)
        order = np.lexsort((kind, owner))
        owner, kind = owner[order], kind[order]
        lp = catalog.list_price[owner]
        is_break = (kind >= 1) & (kind <= len(breaks))
        is_pack = kind == len(breaks) + 1
        k_idx = np.clip(kind - 1, 0, max(len(breaks) - 1, 0))
        unit_price = lp.copy()
        if len(breaks):
            unit_price[is_break] = lp[is_break] * (1.0 - break_disc[k_idx[is_break]])
        unit_price[is_pack] = lp[is_pack] * catalog.pack_qty[owner[is_pack]] * (1 - PACK_DISCOUNT)
        minimum = np.zeros(len(owner))
        if len(breaks):
            minimum[is_break] = breaks[k_idx[is_break]]
        unit = np.where(is_pack, catalog.pack_unit(owner), "")
        line_no = np.arange(next_line, next_line + len(owner))
        next_line += len(owner)
        buf.add(
            list_code="S-ALL",
            line_no=line_no,
            source=(schema.SOURCE_ALL_CUSTOMERS, ""),
            asset=(schema.ASSET_ITEM, catalog.item_no[owner]),
            unit=unit,
            minimum=minimum,
            currency="",
            starting=list_start,
            ending=None,
            amount_type=schema.AMOUNT_PRICE,
            price=price_round(unit_price),
            allow_line_disc=(~catalog.net_price[owner]).astype(int),
            stamp=stamp,
        )
        yield "price_list_lines", buf.columns

    # S-ALL-<currency>: list prices set in foreign currencies, a little above the converted LCY.
    rng = stream(seed, "currency-prices")
    for currency in currencies_in_use(accounts):
        code = f"S-ALL-{currency}"
        headers.add(
            code,
            f"List prices in {currency}",
            (schema.SOURCE_ALL_CUSTOMERS, ""),
            currency,
            schema.AMOUNT_PRICE,
            stamp,
            list_start,
        )
        chosen = np.flatnonzero(rng.random(catalog.size) < profile.pricing.currency_price_share)
        rate = rate_on(rates[currency], as_of)
        fcy = price_round(catalog.list_price[chosen] * rate * rng.uniform(1.0, 1.05, len(chosen)))
        buf = LineBuffer()
        buf.add(
            list_code=code,
            line_no=np.arange(1, len(chosen) + 1),
            source=(schema.SOURCE_ALL_CUSTOMERS, ""),
            asset=(schema.ASSET_ITEM, catalog.item_no[chosen]),
            unit="",
            minimum=0.0,
            currency=currency,
            starting=list_start,
            ending=None,
            amount_type=schema.AMOUNT_PRICE,
            price=fcy,
            allow_line_disc=(~catalog.net_price[chosen]).astype(int),
            stamp=stamp,
        )
        yield "price_list_lines", buf.columns

    # S-PG-<group>: price group lists on a share of items.
    rng = stream(seed, "price-group-prices")
    band = profile.pricing.price_group_discount
    for group, (description, allow_disc) in vocab.PRICE_GROUPS.items():
        code = f"S-PG-{group}"
        headers.add(
            code,
            f"{description}",
            (schema.SOURCE_PRICE_GROUP, group),
            "",
            schema.AMOUNT_PRICE,
            stamp,
            list_start,
        )
        chosen = np.flatnonzero(rng.random(catalog.size) < profile.pricing.price_group_item_share)
        discount = rng.uniform(band.min, band.max, len(chosen))
        buf = LineBuffer()
        buf.add(
            list_code=code,
            line_no=np.arange(1, len(chosen) + 1),
            source=(schema.SOURCE_PRICE_GROUP, group),
            asset=(schema.ASSET_ITEM, catalog.item_no[chosen]),
            unit="",
            minimum=0.0,
            currency="",
            starting=list_start,
            ending=None,
            amount_type=schema.AMOUNT_PRICE,
            price=price_round(catalog.list_price[chosen] * (1 - discount)),
            allow_line_disc=int(allow_disc),
            stamp=stamp,
        )
        yield "price_list_lines", buf.columns

    # CMP-<no>: campaigns spread over the last two years, one running now, one upcoming.
    yield from _campaigns(profile, seed, catalog, headers, stamp)

    # D-<group>: line discounts by customer discount group x item discount group.
    buf = LineBuffer()
    disc_start = _iso(as_of - dt.timedelta(days=400))
    item_groups = [fam.code for fam in vocab.FAMILIES]
    for group, (description, base_pct) in vocab.DISCOUNT_GROUPS.items():
        code = f"D-{group}"
        headers.add(
            code,
            f"Line discounts, {description.lower()}",
            (schema.SOURCE_DISC_GROUP, group),
            "",
            schema.AMOUNT_DISCOUNT,
            stamp,
            disc_start,
        )
        pct = np.array(
            [max(0.0, base_pct + vocab.ITEM_GROUP_DISCOUNT_OFFSET[g]) for g in item_groups]
        )
        assets = item_groups + item_groups
        buf_one = LineBuffer()
        buf_one.add(
            list_code=code,
            line_no=np.arange(1, 2 * len(item_groups) + 1),
            source=(schema.SOURCE_DISC_GROUP, group),
            asset=(schema.ASSET_ITEM_DISC_GROUP, assets),
            unit="",
            minimum=np.repeat([0.0, BREAK_LINE_MIN_QTY], len(item_groups)),
            currency="",
            starting=disc_start,
            ending=None,
            amount_type=schema.AMOUNT_DISCOUNT,
            discount=np.concatenate([pct, pct + 2.0]),
            stamp=stamp,
        )
        for name, values in buf_one.columns.items():
            buf.columns[name] += values
    yield "price_list_lines", buf.columns
    yield "price_lists", headers.columns


def _campaigns(
    profile: Profile, seed: int, catalog: Catalog, headers: HeaderBuffer, stamp: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    cfg = profile.pricing
    n = cfg.campaigns
    if n == 0:
        yield "campaigns", {name: [] for name in schema.CAMPAIGNS.columns}
        return
    rng = stream(seed, "campaigns")
    as_of = profile.as_of
    starts = [as_of - dt.timedelta(days=720 - round(k * 700 / max(n - 1, 1))) for k in range(n)]
    if n >= 2:
        starts[-2] = as_of - dt.timedelta(days=10)  # running at the snapshot
        starts[-1] = as_of + dt.timedelta(days=21)  # announced, not started yet
    segments = list(profile.customers.segments)
    campaigns: dict[str, list[Any]] = {name: [] for name in schema.CAMPAIGNS.columns}
    weights = catalog.popularity * ~catalog.blocked
    for k, start in enumerate(starts):
        no = f"CMP{k + 1:04d}"
        days = int(rng.integers(int(cfg.campaign_days.min), int(cfg.campaign_days.max) + 1))
        end = start + dt.timedelta(days=days)
        target = "" if rng.random() < 0.5 else segments[int(rng.integers(0, len(segments)))]
        season = ("Spring", "Summer", "Autumn", "Winter")[(start.month - 1) // 3]
        description = f"{season} {start.year} promotion" + (f" ({target})" if target else "")
        for name, value in zip(
            schema.CAMPAIGNS.columns,
            (no, description, _iso(start), _iso(end), target, stamp),
            strict=True,
        ):
            campaigns[name].append(value)
        count = max(1, round(catalog.size * cfg.campaign_item_share))
        count = min(count, int((weights > 0).sum()))
        items = np.sort(
            rng.choice(catalog.size, size=count, replace=False, p=weights / weights.sum())
        )
        discount = rng.uniform(cfg.campaign_discount.min, cfg.campaign_discount.max, count)
        by_discount = k % 2 == 1
        amount = schema.AMOUNT_DISCOUNT if by_discount else schema.AMOUNT_PRICE
        code = f"CMP-{no}"
        headers.add(
            code,
            description,
            (schema.SOURCE_CAMPAIGN, no),
            "",
            amount,
            stamp,
            _iso(start),
            _iso(end),
        )
        buf = LineBuffer()
        buf.add(
            list_code=code,
            line_no=np.arange(1, count + 1),
            source=(schema.SOURCE_CAMPAIGN, no),
            asset=(schema.ASSET_ITEM, catalog.item_no[items]),
            unit="",
            minimum=0.0,
            currency="",
            starting=_iso(start),
            ending=_iso(end),
            amount_type=amount,
            price=0.0 if by_discount else price_round(catalog.list_price[items] * (1 - discount)),
            discount=np.round(discount * 100, 1) if by_discount else 0.0,
            stamp=stamp,
        )
        yield "price_list_lines", buf.columns
    yield "campaigns", campaigns


def customer_price_lists(
    profile: Profile,
    seed: int,
    catalog: Catalog,
    accounts: Accounts,
    draws: list[AccountDraw],
    block: int,
    keep: range,
    stamp: str,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Negotiated prices (and key-account discounts) for one block's accounts in ``keep``."""
    cfg = profile.pricing
    as_of = profile.as_of
    rng = stream(seed, "customer-prices", block)
    rates = exchange_rates(profile, seed)
    breaks = np.array(cfg.quantity_breaks)
    break_disc = np.array(cfg.quantity_break_discounts)
    headers = HeaderBuffer()
    lines = LineBuffer()
    for draw in draws:
        pos = draw.position
        # Draw for every account of the block, keep only the shard's: streams stay aligned.
        n = draw.price_items
        items = draw.items[:n]
        size = accounts.size[pos]
        level = (
            cfg.customer_discount.min
            + (cfg.customer_discount.max - cfg.customer_discount.min) * size
        )
        discount = np.clip(
            rng.normal(level, 0.03, n), cfg.customer_discount.min, cfg.customer_discount.max
        )
        above = rng.random(n) < cfg.customer_price_above_list_share
        base = catalog.list_price[items] * np.where(
            above, 1.0 + rng.uniform(0.01, 0.08, n), 1.0 - discount
        )
        with_breaks = rng.random(n) < cfg.quantity_break_share
        expired = rng.random(n) < cfg.expired_agreement_share
        future = rng.random(n) < cfg.future_agreement_share
        start_offset = rng.integers(0, 721, n)
        expired_len = rng.integers(180, 541, n)
        future_offset = rng.integers(1, 91, n)
        rise = rng.uniform(0.01, 0.04, n)
        key_groups = rng.permutation(len(vocab.FAMILIES))[: int(rng.integers(1, 4))]
        key_extra = rng.uniform(2.0, 5.0, len(key_groups))
        if pos not in keep or (n == 0 and not accounts.key_account[pos]):
            continue
        customer = accounts.no[pos]
        currency = accounts.currency[pos]
        today = np.datetime64(as_of, "D")
        rate = rate_on(rates[currency], as_of) if currency else 1.0
        if n:
            code = f"C-{customer}"
            headers.add(
                code,
                f"Agreement {accounts.name[pos]}",
                (schema.SOURCE_CUSTOMER, customer),
                currency,
                schema.AMOUNT_PRICE,
                stamp,
            )
            _customer_lines(
                lines,
                code=code,
                customer=customer,
                currency=currency,
                rate=rate,
                item_no=catalog.item_no[items],
                list_price=catalog.list_price[items],
                base=base,
                with_breaks=with_breaks,
                breaks=breaks,
                break_disc=break_disc,
                expired=expired,
                future=future,
                start=today - _td(start_offset),
                expired_len=expired_len,
                future_start=today + _td(future_offset),
                rise=rise,
                stamp=stamp,
            )
        if accounts.key_account[pos]:
            code = f"CD-{customer}"
            start = _iso(as_of - dt.timedelta(days=365))
            headers.add(
                code,
                f"Key-account discounts {accounts.name[pos]}",
                (schema.SOURCE_CUSTOMER, customer),
                "",
                schema.AMOUNT_DISCOUNT,
                stamp,
                start,
            )
            base_pct = vocab.DISCOUNT_GROUPS["A"][1]
            groups = [vocab.FAMILIES[g].code for g in key_groups.tolist()]
            pct = [
                round(max(0.0, base_pct + vocab.ITEM_GROUP_DISCOUNT_OFFSET[g] + e), 1)
                for g, e in zip(groups, key_extra.tolist(), strict=True)
            ]
            lines.add(
                list_code=code,
                line_no=np.arange(1, len(groups) + 1),
                source=(schema.SOURCE_CUSTOMER, customer),
                asset=(schema.ASSET_ITEM_DISC_GROUP, groups),
                unit="",
                minimum=0.0,
                currency="",
                starting=start,
                ending=None,
                amount_type=schema.AMOUNT_DISCOUNT,
                discount=np.array(pct),
                stamp=stamp,
            )
    yield "price_lists", headers.columns
    yield "price_list_lines", lines.columns


def _td(days: np.ndarray) -> np.ndarray:
    return days.astype("timedelta64[D]")


def _iso_or_none(days: np.ndarray) -> list[str | None]:
    """ISO dates, None where the day is NaT (an open end)."""
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = None
    return text.tolist()


def _customer_lines(
    lines: LineBuffer,
    *,
    code: str,
    customer: str,
    currency: str,
    rate: float,
    item_no: np.ndarray,
    list_price: np.ndarray,
    base: np.ndarray,
    with_breaks: np.ndarray,
    breaks: np.ndarray,
    break_disc: np.ndarray,
    expired: np.ndarray,
    future: np.ndarray,
    start: np.ndarray,
    expired_len: np.ndarray,
    future_start: np.ndarray,
    rise: np.ndarray,
    stamp: str,
) -> None:
    """Per item: the current agreement (with breaks), an expired one, an upcoming one."""
    n = len(item_no)
    # Rows per item: current base, its breaks, expired base, future base.
    n_breaks = len(breaks) * with_breaks.astype(int)
    counts = 1 + n_breaks + expired + future
    owner = np.repeat(np.arange(n), counts)
    slot = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    is_break = (slot >= 1) & (slot <= n_breaks[owner])
    after_breaks = slot - n_breaks[owner]
    is_expired = (after_breaks == 1) & expired[owner]
    is_future = (after_breaks == 1 + expired[owner].astype(int)) & future[owner] & (slot > 0)
    is_future &= ~is_expired & ~is_break

    start_day = np.asarray(start, dtype="datetime64[D]")
    future_day = np.asarray(future_start, dtype="datetime64[D]")
    lcy = base[owner].copy()
    k_idx = np.clip(slot - 1, 0, max(len(breaks) - 1, 0))
    minimum = np.zeros(len(owner))
    if len(breaks):
        lcy[is_break] = base[owner][is_break] * (1.0 - break_disc[k_idx[is_break]])
        minimum[is_break] = breaks[k_idx[is_break]]
    lcy[is_expired] = base[owner][is_expired] / (1.0 + rise[owner][is_expired])
    lcy[is_future] = np.minimum(
        base[owner][is_future] * (1.0 + rise[owner][is_future]), list_price[owner][is_future]
    )
    price = price_round(lcy * rate)

    begin = start_day[owner].copy()
    finish = np.full(len(owner), np.datetime64("NaT"), dtype="datetime64[D]")
    current = ~is_expired & ~is_future
    finish[current & future[owner]] = future_day[owner][current & future[owner]] - 1
    begin[is_expired] = start_day[owner][is_expired] - _td(expired_len[owner][is_expired])
    finish[is_expired] = start_day[owner][is_expired] - 1
    begin[is_future] = future_day[owner][is_future]
    lines.add(
        list_code=code,
        line_no=np.arange(1, len(owner) + 1),
        source=(schema.SOURCE_CUSTOMER, customer),
        asset=(schema.ASSET_ITEM, item_no[owner]),
        unit="",
        minimum=minimum,
        currency=currency,
        starting=np.datetime_as_string(begin, unit="D").tolist(),
        ending=_iso_or_none(finish),
        amount_type=schema.AMOUNT_PRICE,
        price=price,
        stamp=stamp,
    )
