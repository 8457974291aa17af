"""Business Central best-price resolution for one sales line.

One function, `resolve_price`, is the only place a price is worked out: the mock ERP server
and the web store both call it (never a copy), so a quote in the store and the order line in
the ERP always agree. It follows BC's Sales Price Calc. Mgt. (codeunit 7000):

- FindSalesLineLineDisc runs before FindSalesLinePrice: the best line discount D is found
  first (CalcBestLineDisc) and price lines are compared by their amount after D
  (CalcLineAmount, only for lines that allow line discount).
- A line applies when it is active, dated around the order date (both ends inclusive), in the
  order currency or LCY, in the order unit or blank, and IsInMinQty: a blank-unit line counts
  its minimum quantity in base units.
- A currency-specific line beats any LCY line; otherwise the highest discount and the lowest
  line amount win, the first line in (price list code, line no) order on ties.
- Blank-unit prices are per base unit (ConvertPriceToUoM); LCY prices are converted to the
  order currency at the date's rate (ConvertPriceLCYToFCY); both round to 5 decimals.
- No price line: the item card's unit price, which allows line discount.

Pricing logic reads data only through `PriceData`, so it can be tested with any source;
`SqlitePriceData` is the implementation over the ERP database.
"""

from __future__ import annotations

import functools
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal, NamedTuple, Protocol

from simulator.erp.schema import (
    AMOUNT_DISCOUNT,
    AMOUNT_PRICE,
    ASSET_ITEM,
    ASSET_ITEM_DISC_GROUP,
    SOURCE_ALL_CUSTOMERS,
    SOURCE_CAMPAIGN,
    SOURCE_CUSTOMER,
    SOURCE_DISC_GROUP,
    SOURCE_PRICE_GROUP,
    STATUS_ACTIVE,
)

__all__ = [
    "CustomerTerms",
    "ItemTerms",
    "LineRef",
    "MemoPriceData",
    "PriceContext",
    "PriceData",
    "PriceLine",
    "PriceRequest",
    "PriceResult",
    "PricingError",
    "PricingErrorCode",
    "SqlitePriceData",
    "price_breaks",
    "price_context",
    "price_with_breaks",
    "resolve_in_context",
    "resolve_price",
]

UNIT_AMOUNT_DECIMALS = 5  # BC's Unit-Amount Rounding Precision 0.00001
AMOUNT_DECIMALS = 2  # BC's Amount Rounding Precision 0.01
CUSTOMER_BLOCKED_ALL = "All"  # 'Ship' and 'Invoice' blocks still get prices

PricingErrorCode = Literal[
    "customer_not_found",
    "item_not_found",
    "customer_blocked",
    "item_blocked",
    "unit_not_defined",
    "invalid_quantity",
    "no_exchange_rate",
]


class PricingError(Exception):
    """A request BC would refuse: `code` is stable for API error bodies, the message is for
    people."""

    def __init__(self, code: PricingErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: PricingErrorCode = code


@dataclass(frozen=True, slots=True)
class PriceRequest:
    """One sales line to price: who buys what, how many, in which unit and currency, when."""

    customer_no: str
    item_no: str
    quantity: float  # in unit_of_measure_code
    on: date
    unit_of_measure_code: str = ""  # '' = the item's base unit
    currency_code: str | None = None  # None = the customer's currency; '' = LCY


class LineRef(NamedTuple):
    """Which price list line decided a price or discount (for explanations and audits)."""

    price_list_code: str
    line_no: int
    source_type: str
    source_no: str


class PriceResult(NamedTuple):
    """The quoted sales line: amounts are in `currency_code` per `unit_of_measure_code`.

    Named tuples (as `LineRef` and `PriceLine`): a history prices millions of lines."""

    unit_price: float  # 5 decimals
    line_discount_pct: float
    net_unit_price: float  # unit_price * (1 - line_discount_pct / 100), 5 decimals
    line_amount: float  # quantity * net_unit_price, 2 decimals
    currency_code: str  # '' = LCY
    unit_of_measure_code: str  # the actual unit (the base unit when the request said '')
    qty_per_unit_of_measure: float
    price_source: LineRef | None  # None = the item card's unit price
    discount_source: LineRef | None  # None = no line discount


@dataclass(frozen=True, slots=True)
class CustomerTerms:
    """The customer fields pricing needs; `blocked` is BC's '', 'Ship', 'Invoice' or 'All'."""

    no: str
    currency_code: str
    customer_price_group: str
    customer_disc_group: str
    allow_line_disc: bool
    segment: str
    blocked: str


@dataclass(frozen=True, slots=True)
class ItemTerms:
    """The item fields pricing needs; `unit_price` is in LCY per base unit."""

    no: str
    base_unit_of_measure: str
    unit_price: float
    item_disc_group: str
    blocked: bool


class PriceLine(NamedTuple):
    """A price list line as stored (see PRICE_LIST_LINES in schema.py).

    A named tuple rather than a frozen dataclass: the world makes millions of them, and a
    tuple is built in a tenth of the time (`price_line_from_row`)."""

    price_list_code: str
    line_no: int
    source_type: str
    source_no: str
    asset_type: str
    asset_no: str
    unit_of_measure_code: str
    minimum_quantity: float
    currency_code: str
    starting_date: date | None
    ending_date: date | None
    amount_type: str
    unit_price: float
    line_discount_pct: float
    allow_line_disc: bool
    status: str

    @property
    def ref(self) -> LineRef:
        return LineRef(self.price_list_code, self.line_no, self.source_type, self.source_no)


class PriceData(Protocol):
    """The one access layer pricing reads through: lookups only, no pricing decisions."""

    def customer(self, no: str) -> CustomerTerms | None: ...

    def item(self, no: str) -> ItemTerms | None: ...

    def qty_per_unit(self, item_no: str, unit_code: str) -> float | None: ...

    def active_campaigns(self, segment: str, on: date) -> list[str]:
        """Campaign nos whose dates include `on`, targeting `segment` or every segment ('')."""
        ...

    def exchange_rate(self, currency_code: str, on: date) -> float | None:
        """Units of currency per 1 LCY from the latest rate starting on or before `on`."""
        ...

    def candidate_lines(
        self,
        *,
        item_no: str,
        item_disc_group: str,
        customer_no: str,
        price_group: str,
        disc_group: str,
        campaign_nos: Sequence[str],
    ) -> list[PriceLine]:
        """Lines for the item (or its discount group, if non-blank) whose source is All
        Customers (any source no, as BC), the customer, its price or discount group (if
        non-blank) or one of the campaigns; in (price_list_code, line_no) order and not
        filtered by date, quantity, unit, currency or status."""
        ...


class SqlitePriceData:
    """`PriceData` over an ERP database: one indexed query per lookup and nothing cached, so
    the live world's changes to prices, campaigns and rates show up on the next call."""

    _CUSTOMER_SQL = (
        "SELECT no, currency_code, customer_price_group, customer_disc_group, allow_line_disc,"
        " segment, blocked FROM customers WHERE no = ?"
    )
    _ITEM_SQL = (
        "SELECT no, base_unit_of_measure, unit_price, item_disc_group, blocked"
        " FROM items WHERE no = ?"
    )
    _QTY_PER_UNIT_SQL = (
        "SELECT qty_per_unit_of_measure FROM item_units_of_measure WHERE item_no = ? AND code = ?"
    )
    # The campaigns table is small reference data with no date index: this reads all of it.
    _CAMPAIGNS_SQL = (
        "SELECT no FROM campaigns WHERE starting_date <= ?1 AND ending_date >= ?1"
        " AND target_segment IN ('', ?2) ORDER BY no"
    )
    _RATE_SQL = (
        "SELECT exchange_rate_amount, relational_exch_rate_amount FROM currency_exchange_rates"
        " WHERE currency_code = ? AND starting_date <= ? ORDER BY starting_date DESC LIMIT 1"
    )
    # OR terms, each an equality prefix of index price_list_lines_asset (MULTI-INDEX OR).
    # No ORDER BY: a handful of rows sort faster in Python than the planner's temp B-tree,
    # and it cannot tempt the planner into walking the primary key.
    _LINES_SQL = (
        "SELECT price_list_code, line_no, source_type, source_no, asset_type, asset_no,"
        " unit_of_measure_code, minimum_quantity, currency_code, starting_date, ending_date,"
        " amount_type, unit_price, line_discount_pct, allow_line_disc, status"
        " FROM price_list_lines WHERE "
    )
    _ALL_CUSTOMERS_TERM = "(asset_no = ? AND asset_type = ? AND source_type = ?)"
    _SOURCE_TERM = "(asset_no = ? AND asset_type = ? AND source_type = ? AND source_no = ?)"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _rows(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        cursor = self._conn.cursor()
        cursor.row_factory = None  # plain tuples whatever the connection's factory is
        return cursor.execute(sql, params).fetchall()

    def customer(self, no: str) -> CustomerTerms | None:
        rows = self._rows(self._CUSTOMER_SQL, (no,))
        if not rows:
            return None
        customer_no, currency, price_group, disc_group, allow_disc, segment, blocked = rows[0]
        return CustomerTerms(
            customer_no, currency, price_group, disc_group, bool(allow_disc), segment, blocked
        )

    def item(self, no: str) -> ItemTerms | None:
        rows = self._rows(self._ITEM_SQL, (no,))
        if not rows:
            return None
        item_no, base_unit, unit_price, disc_group, blocked = rows[0]
        return ItemTerms(item_no, base_unit, unit_price, disc_group, bool(blocked))

    def qty_per_unit(self, item_no: str, unit_code: str) -> float | None:
        rows = self._rows(self._QTY_PER_UNIT_SQL, (item_no, unit_code))
        return rows[0][0] if rows else None

    def active_campaigns(self, segment: str, on: date) -> list[str]:
        return [no for (no,) in self._rows(self._CAMPAIGNS_SQL, (on.isoformat(), segment))]

    def exchange_rate(self, currency_code: str, on: date) -> float | None:
        rows = self._rows(self._RATE_SQL, (currency_code, on.isoformat()))
        if not rows:
            return None
        amount, relational_amount = rows[0]
        if amount <= 0 or relational_amount <= 0:
            return None
        return amount / relational_amount

    def candidate_lines(
        self,
        *,
        item_no: str,
        item_disc_group: str,
        customer_no: str,
        price_group: str,
        disc_group: str,
        campaign_nos: Sequence[str],
    ) -> list[PriceLine]:
        sources = [(SOURCE_CUSTOMER, customer_no)]
        if price_group:
            sources.append((SOURCE_PRICE_GROUP, price_group))
        if disc_group:
            sources.append((SOURCE_DISC_GROUP, disc_group))
        sources += [(SOURCE_CAMPAIGN, no) for no in campaign_nos]
        assets = [(ASSET_ITEM, item_no)]
        if item_disc_group:
            assets.append((ASSET_ITEM_DISC_GROUP, item_disc_group))

        terms: list[str] = []
        params: list[object] = []
        for asset_type, asset_no in assets:
            terms.append(self._ALL_CUSTOMERS_TERM)
            params += (asset_no, asset_type, SOURCE_ALL_CUSTOMERS)
            for source_type, source_no in sources:
                terms.append(self._SOURCE_TERM)
                params += (asset_no, asset_type, source_type, source_no)
        rows = self._rows(self._LINES_SQL + " OR ".join(terms), params)
        rows.sort(key=lambda row: (row[0], row[1]))
        return [price_line_from_row(row) for row in rows]


@functools.lru_cache(maxsize=8192)
def iso_date(text: str | None) -> date | None:
    """Validity dates repeat across millions of lines: parse each text once."""
    return date.fromisoformat(text) if text else None


def price_line_from_row(row: tuple[Any, ...]) -> PriceLine:
    """A row of `_LINES_SQL` (columns in PriceLine's field order) as a PriceLine."""
    return price_line_of(
        (*row[:9], iso_date(row[9]), iso_date(row[10]), *row[11:14], bool(row[14]), row[15])
    )


def price_line_of(values: tuple[Any, ...]) -> PriceLine:
    """A PriceLine from its 16 values in field order, without the per-field call handling."""
    return _new_tuple(PriceLine, values)


_new_tuple = tuple.__new__


@dataclass(slots=True)
class _Order:
    """The resolved request the line filters and conversions work against."""

    on: date
    quantity: float
    unit_code: str
    qty_per_unit: float
    currency_code: str
    rate: float  # units of order currency per 1 LCY; 1.0 when the order is in LCY

    def applies(self, line: PriceLine) -> bool:
        """BC's FindSalesPrice/FindSalesLineDisc filters plus IsInMinQty."""
        return bool(self.applicable((line,)))

    def applicable(self, lines: Sequence[PriceLine]) -> list[PriceLine]:
        """The lines that apply (`applies`), in their order: one pass, no call per line."""
        on, quantity, unit_code = self.on, self.quantity, self.unit_code
        base_quantity = self.qty_per_unit * quantity  # blank unit: min qty in base units
        currencies = ("", self.currency_code)
        units = ("", unit_code)
        return [
            line
            for line in lines
            if line.status == STATUS_ACTIVE
            and (line.starting_date is None or line.starting_date <= on)
            and (line.ending_date is None or line.ending_date >= on)
            and line.currency_code in currencies
            and line.unit_of_measure_code in units
            and line.minimum_quantity
            <= (base_quantity if line.unit_of_measure_code == "" else quantity)
        ]

    def convert(self, unit_price: float, unit_code: str, currency_code: str) -> float:
        """A line (or item card) price in order unit and currency: ConvertPriceToUoM, then
        ConvertPriceLCYToFCY, rounded to the unit-amount precision."""
        if unit_code == "":
            unit_price *= self.qty_per_unit
        if currency_code == "":
            unit_price *= self.rate
        return round(unit_price, UNIT_AMOUNT_DECIMALS)


@dataclass(frozen=True, slots=True)
class PriceContext:
    """What every line of one customer's order on one date shares: the customer's terms,
    the order currency, its exchange rate and the campaigns running. Pricing an order's
    lines in one context asks for these once (`price_context`, `resolve_in_context`)."""

    customer: CustomerTerms
    on: date
    currency_code: str  # '' = LCY
    rate: float | None  # per 1 LCY; None = no rate on the date (each line then refuses)
    campaign_nos: tuple[str, ...]


def price_context(
    data: PriceData, customer_no: str, on: date, currency_code: str | None = None
) -> PriceContext:
    """The shared part of pricing `customer_no`'s lines on `on` (`currency_code` as in
    `PriceRequest`). Raises PricingError for an unknown or fully blocked customer; a
    missing exchange rate is refused line by line, after the item checks, as
    `resolve_price` does."""
    customer = data.customer(customer_no)
    if customer is None:
        raise PricingError("customer_not_found", f"no customer {customer_no!r}")
    if customer.blocked == CUSTOMER_BLOCKED_ALL:
        raise PricingError("customer_blocked", f"customer {customer.no!r} is blocked for all")
    currency = customer.currency_code if currency_code is None else currency_code
    rate = data.exchange_rate(currency, on) if currency else 1.0
    campaigns = tuple(data.active_campaigns(customer.segment, on))
    return PriceContext(customer, on, currency, rate, campaigns)


def resolve_price(data: PriceData, request: PriceRequest) -> PriceResult:
    """The unit price and line discount BC would put on this sales line.

    Raises PricingError when BC would refuse the line. A non-LCY order currency needs an
    exchange rate on the date even when a line in that currency makes conversion moot, so
    whether a request prices never depends on which lines happen to exist.
    """
    _check_quantity(request.quantity)
    context = price_context(data, request.customer_no, request.on, request.currency_code)
    return resolve_in_context(
        data, context, request.item_no, request.quantity, request.unit_of_measure_code
    )


def _check_quantity(quantity: float) -> None:
    if not (math.isfinite(quantity) and quantity > 0):
        raise PricingError("invalid_quantity", f"quantity must be positive: {quantity}")


def resolve_in_context(
    data: PriceData, context: PriceContext, item_no: str, quantity: float, unit_code: str = ""
) -> PriceResult:
    """`resolve_price` for one line of an order whose shared part is `context` (from
    `price_context` on the same `data`): the same answer, the same refusals."""
    _check_quantity(quantity)
    customer = context.customer
    item = data.item(item_no)
    if item is None:
        raise PricingError("item_not_found", f"no item {item_no!r}")
    if item.blocked:
        raise PricingError("item_blocked", f"item {item.no!r} is blocked")
    unit_code, qty_per_unit = _unit(data, item, unit_code)
    rate = context.rate
    if rate is None:
        raise PricingError(
            "no_exchange_rate",
            f"no {context.currency_code!r} exchange rate on or before {context.on}",
        )
    order = _Order(context.on, quantity, unit_code, qty_per_unit, context.currency_code, rate)

    lines = data.candidate_lines(
        item_no=item.no,
        item_disc_group=item.item_disc_group,
        customer_no=customer.no,
        price_group=customer.customer_price_group,
        disc_group=customer.customer_disc_group,
        campaign_nos=context.campaign_nos,
    )
    applicable = order.applicable(lines)
    discount = None
    if customer.allow_line_disc:  # otherwise no discount, so prices compete undiscounted
        discount = _best_discount([ln for ln in applicable if ln.amount_type == AMOUNT_DISCOUNT])
    discount_pct = discount.line_discount_pct if discount is not None else 0.0
    price_lines = [ln for ln in applicable if ln.amount_type == AMOUNT_PRICE]
    best = _best_price(price_lines, order, discount_pct)

    if best is None:  # the item card: LCY per base unit, always allows line discount
        price_line = None
        unit_price = order.convert(item.unit_price, "", "")
        allow_line_disc = True
    else:
        price_line, unit_price = best
        allow_line_disc = price_line.allow_line_disc
    if not allow_line_disc or discount_pct == 0:
        discount, discount_pct = None, 0.0
    net_unit_price = round(unit_price * (1 - discount_pct / 100), UNIT_AMOUNT_DECIMALS)
    return PriceResult(
        unit_price=unit_price,
        line_discount_pct=discount_pct,
        net_unit_price=net_unit_price,
        line_amount=round(quantity * net_unit_price, AMOUNT_DECIMALS),
        currency_code=context.currency_code,
        unit_of_measure_code=unit_code,
        qty_per_unit_of_measure=qty_per_unit,
        price_source=price_line.ref if price_line is not None else None,
        discount_source=discount.ref if discount is not None else None,
    )


def _unit(data: PriceData, item: ItemTerms, unit_code: str) -> tuple[str, float]:
    """The actual unit code and its quantity in base units; '' is the base unit."""
    if unit_code == "":
        return item.base_unit_of_measure, 1.0
    qty_per_unit = data.qty_per_unit(item.no, unit_code)
    if qty_per_unit is None or qty_per_unit <= 0:
        raise PricingError("unit_not_defined", f"item {item.no!r} has no unit {unit_code!r}")
    return unit_code, qty_per_unit


def _replaces(best_currency: str, currency: str, better: bool) -> bool:
    """BC's precedence: a currency line replaces an LCY best (or none yet, '') whatever its
    amount; otherwise a better line replaces the best, except an LCY line after a currency
    line was found."""
    if best_currency == "" and currency != "":
        return True
    return better and (best_currency == "" or currency != "")


def _best_discount(lines: Sequence[PriceLine]) -> PriceLine | None:
    """CalcBestLineDisc: the highest discount under the currency precedence. BC starts from
    an empty LCY 0 % record, so a 0 % LCY line never wins (a 0 % currency line does)."""
    best: PriceLine | None = None
    for line in lines:
        best_currency = best.currency_code if best is not None else ""
        best_pct = best.line_discount_pct if best is not None else 0.0
        if _replaces(best_currency, line.currency_code, line.line_discount_pct > best_pct):
            best = line
    return best


def _best_price(
    lines: Sequence[PriceLine], order: _Order, discount_pct: float
) -> tuple[PriceLine, float] | None:
    """CalcBestUnitPrice: the lowest converted price after the best discount (CalcLineAmount,
    only where the line allows it) under the currency precedence; returns the winner and its
    converted unit price. The first applicable line always becomes the best (BC tests for
    a best price of 0 instead, which would let any later line displace a free line)."""
    best: tuple[PriceLine, float] | None = None
    best_amount = 0.0
    for line in lines:
        price = order.convert(line.unit_price, line.unit_of_measure_code, line.currency_code)
        amount = price * (1 - discount_pct / 100) if line.allow_line_disc else price
        best_currency = best[0].currency_code if best is not None else ""
        if _replaces(best_currency, line.currency_code, best is None or amount < best_amount):
            best, best_amount = (line, price), amount
    return best


class MemoPriceData:
    """A `PriceData` that remembers every answer of one underlying source, for one moment
    (a catalog page, a line's quantity breaks): pricing the same customer, or the same item
    at several quantities, asks the database once per lookup."""

    def __init__(self, data: PriceData) -> None:
        self._data = data
        self._cache: dict[tuple[Any, ...], Any] = {}

    def _get(self, key: tuple[Any, ...], compute: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def customer(self, no: str) -> CustomerTerms | None:
        return self._get(("customer", no), lambda: self._data.customer(no))

    def item(self, no: str) -> ItemTerms | None:
        return self._get(("item", no), lambda: self._data.item(no))

    def qty_per_unit(self, item_no: str, unit_code: str) -> float | None:
        return self._get(
            ("unit", item_no, unit_code), lambda: self._data.qty_per_unit(item_no, unit_code)
        )

    def active_campaigns(self, segment: str, on: date) -> list[str]:
        return self._get(
            ("campaigns", segment, on), lambda: self._data.active_campaigns(segment, on)
        )

    def exchange_rate(self, currency_code: str, on: date) -> float | None:
        return self._get(
            ("rate", currency_code, on), lambda: self._data.exchange_rate(currency_code, on)
        )

    def candidate_lines(self, **kwargs: Any) -> list[PriceLine]:
        key = (
            "lines",
            *sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()),
        )
        return self._get(key, lambda: self._data.candidate_lines(**kwargs))


def price_breaks(data: PriceData, request: PriceRequest) -> list[tuple[float, PriceResult]]:
    """The quantity breaks a buyer sees for a line: (minimum quantity in the request's unit,
    the price at that quantity), ascending, one entry per change of net unit price, starting
    at quantity 1. Each entry is `resolve_price` at that quantity, so a break shown is
    exactly what an order of that many would be charged. `request.quantity` is ignored.

    Raises PricingError as `resolve_price` does (at quantity 1)."""
    memo = data if isinstance(data, MemoPriceData) else MemoPriceData(data)
    first = resolve_price(memo, replace(request, quantity=1.0))
    customer = memo.customer(request.customer_no)
    item = memo.item(request.item_no)
    if customer is None or item is None:  # resolve_price has checked both
        raise AssertionError(request)
    lines = memo.candidate_lines(
        item_no=item.no,
        item_disc_group=item.item_disc_group,
        customer_no=customer.no,
        price_group=customer.customer_price_group,
        disc_group=customer.customer_disc_group,
        campaign_nos=memo.active_campaigns(customer.segment, request.on),
    )
    unit_code, per_unit = first.unit_of_measure_code, first.qty_per_unit_of_measure
    thresholds: set[float] = set()
    for line in lines:
        if line.status != STATUS_ACTIVE or line.minimum_quantity <= 1:
            continue
        if (line.starting_date and line.starting_date > request.on) or (
            line.ending_date and line.ending_date < request.on
        ):
            continue
        if line.unit_of_measure_code == "":  # minimum in base units
            thresholds.add(math.ceil(line.minimum_quantity / per_unit - 1e-9))
        elif line.unit_of_measure_code == unit_code:
            thresholds.add(float(line.minimum_quantity))
    breaks = [(1.0, first)]
    for quantity in sorted(q for q in thresholds if q > 1):
        result = resolve_price(memo, replace(request, quantity=float(quantity)))
        if result.net_unit_price != breaks[-1][1].net_unit_price:
            breaks.append((float(quantity), result))
    return breaks


def price_with_breaks(
    data: PriceData, request: PriceRequest
) -> tuple[PriceResult, list[tuple[float, PriceResult]]]:
    """`resolve_price` for the request and its `price_breaks`, sharing one set of lookups
    (what a catalog page or a batch price call shows for a line). Raises PricingError as
    `resolve_price` does for the request."""
    memo = data if isinstance(data, MemoPriceData) else MemoPriceData(data)
    return resolve_price(memo, request), price_breaks(memo, request)
