"""The world's view of prices: the pricing engine's `PriceData`, fast enough to price
millions of simulated order lines.

The pricing *rules* stay in `simulator.erp.pricing.resolve_price`; this class only answers
its lookups. Customers, items, units, campaigns and exchange rates live in memory. Price list
lines are cached in the shapes the lookups need: per item its list-price lines (all
customers, price groups), per customer its agreement lines by item, per item discount group
its discount lines, per campaign and item its lines. Caches are bounded (least recently
loaded dropped first) and kept exact: the world's own changes (new lines, ending dates on old
ones) are applied to cached lists and, until written, laid over what comes from SQLite.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections import OrderedDict, defaultdict
from collections.abc import Sequence

from simulator.erp.pricing import (
    CustomerTerms,
    ItemTerms,
    PriceLine,
    SqlitePriceData,
    price_line_from_row,
)
from simulator.erp.schema import (
    ASSET_ITEM,
    ASSET_ITEM_DISC_GROUP,
    SOURCE_ALL_CUSTOMERS,
    SOURCE_CAMPAIGN,
    SOURCE_CUSTOMER,
    SOURCE_DISC_GROUP,
    SOURCE_PRICE_GROUP,
)

ITEM_CACHE = 30_000  # items whose list-price lines stay in memory
AGREEMENT_CACHE = 150_000  # (account, item) pairs whose agreement lines stay in memory


@dataclasses.dataclass(slots=True)
class Campaign:
    no: str
    starting: dt.date
    ending: dt.date
    target_segment: str


def _key(line: PriceLine) -> tuple[str, int]:
    return (line.price_list_code, line.line_no)


class PriceBook(SqlitePriceData):
    """`PriceData` for the simulated world (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn)
        self.customers: dict[str, CustomerTerms] = {
            row[0]: CustomerTerms(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6])
            for row in conn.execute(self._CUSTOMER_SQL.replace(" WHERE no = ?", ""))
        }
        self.items: dict[str, ItemTerms] = {
            row[0]: ItemTerms(row[0], row[1], row[2], row[3], bool(row[4]))
            for row in conn.execute(self._ITEM_SQL.replace(" WHERE no = ?", ""))
        }
        self.units: dict[tuple[str, str], float] = {
            (item, code): qty
            for item, code, qty in conn.execute(
                "SELECT item_no, code, qty_per_unit_of_measure FROM item_units_of_measure"
            )
        }
        self.campaigns: list[Campaign] = [
            Campaign(no, dt.date.fromisoformat(start), dt.date.fromisoformat(end), segment)
            for no, start, end, segment in conn.execute(
                "SELECT no, starting_date, ending_date, target_segment FROM campaigns ORDER BY no"
            )
        ]
        self.rates: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
        for code, start, amount, relational in conn.execute(
            "SELECT currency_code, starting_date, exchange_rate_amount,"
            " relational_exch_rate_amount FROM currency_exchange_rates"
            " ORDER BY currency_code, starting_date"
        ):
            self.rates[code].append((dt.date.fromisoformat(start), amount / relational))
        self.next_line_no: dict[str, int] = dict(
            conn.execute(
                "SELECT price_list_code, max(line_no) + 1 FROM price_list_lines"
                " GROUP BY price_list_code"
            )
        )
        # Changes not yet in the database, laid over every read from it: new lines indexed
        # by item and by source, and ending dates set on stored lines.
        self._pending_by_item: dict[str, dict[tuple[str, int], PriceLine]] = defaultdict(dict)
        self._pending_by_source: dict[tuple[str, str], dict[tuple[str, int], PriceLine]] = (
            defaultdict(dict)
        )
        self.ending_overrides: dict[tuple[str, int], dt.date] = {}
        self.campaign_lines: dict[tuple[str, str], list[PriceLine]] = defaultdict(list)
        # Discount lines on item discount groups, by (group, source type, source no).
        self.group_lines: dict[tuple[str, str, str], list[PriceLine]] = defaultdict(list)
        for line in self._read(self._LINES_SQL + "asset_type = ?", (ASSET_ITEM_DISC_GROUP,)):
            self.group_lines[(line.asset_no, line.source_type, line.source_no)].append(line)
        for line in self._read(
            self._LINES_SQL + "source_type = ? AND asset_type = ?", (SOURCE_CAMPAIGN, ASSET_ITEM)
        ):
            self.campaign_lines[(line.source_no, line.asset_no)].append(line)
        self._item_lines: OrderedDict[str, list[PriceLine]] = OrderedDict()
        self._pruned_on: dt.date | None = None
        self._agreement_lines: OrderedDict[tuple[str, str], list[PriceLine]] = OrderedDict()

    # --- PriceData ---------------------------------------------------------------------
    def customer(self, no: str) -> CustomerTerms | None:
        return self.customers.get(no)

    def item(self, no: str) -> ItemTerms | None:
        return self.items.get(no)

    def qty_per_unit(self, item_no: str, unit_code: str) -> float | None:
        return self.units.get((item_no, unit_code))

    def active_campaigns(self, segment: str, on: dt.date) -> list[str]:
        return [
            c.no
            for c in self.campaigns
            if c.starting <= on <= c.ending and c.target_segment in ("", segment)
        ]

    def exchange_rate(self, currency_code: str, on: dt.date) -> float | None:
        found = None
        for start, rate in self.rates.get(currency_code, ()):
            if start > on:
                break
            found = rate
        return found

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
        lines = [
            ln
            for ln in self.item_lines(item_no)
            if ln.source_type == SOURCE_ALL_CUSTOMERS
            or (price_group and ln.source_no == price_group)
        ]
        lines += self.agreement_lines(customer_no, item_no)
        if item_disc_group:
            groups = self.group_lines
            lines += groups.get((item_disc_group, SOURCE_ALL_CUSTOMERS, ""), ())
            lines += groups.get((item_disc_group, SOURCE_CUSTOMER, customer_no), ())
            if disc_group:
                lines += groups.get((item_disc_group, SOURCE_DISC_GROUP, disc_group), ())
        for no in campaign_nos:
            lines += self.campaign_lines.get((no, item_no), ())
        lines.sort(key=_key)
        return lines

    # --- cached views ------------------------------------------------------------------
    def item_lines(self, item_no: str) -> list[PriceLine]:
        """The item's list-price lines: all customers and price groups."""
        lines = self._item_lines.get(item_no)
        if lines is None:
            lines = self._read(
                self._LINES_SQL + "asset_no = ? AND asset_type = ? AND source_type IN (?, ?)",
                (item_no, ASSET_ITEM, SOURCE_ALL_CUSTOMERS, SOURCE_PRICE_GROUP),
            )
            lines += [
                ln
                for ln in self._pending_by_item.get(item_no, {}).values()
                if ln.asset_type == ASSET_ITEM
                and ln.source_type in (SOURCE_ALL_CUSTOMERS, SOURCE_PRICE_GROUP)
            ]
            self._item_lines[item_no] = lines
            if len(self._item_lines) > ITEM_CACHE:
                self._item_lines.popitem(last=False)
        return lines

    def agreement_lines(self, customer_no: str, item_no: str) -> list[PriceLine]:
        """The account's own lines for one item (an indexed point query when not cached)."""
        key = (customer_no, item_no)
        lines = self._agreement_lines.get(key)
        if lines is None:
            lines = self._read(
                self._LINES_SQL + "asset_no = ? AND asset_type = ? AND source_type = ?"
                " AND source_no = ?",
                (item_no, ASSET_ITEM, SOURCE_CUSTOMER, customer_no),
            )
            lines += [
                ln
                for ln in self._pending_by_item.get(item_no, {}).values()
                if ln.source_type == SOURCE_CUSTOMER and ln.source_no == customer_no
            ]
            self._agreement_lines[key] = lines
            if len(self._agreement_lines) > AGREEMENT_CACHE:
                self._agreement_lines.popitem(last=False)
        return lines

    def agreement(self, customer_no: str) -> dict[str, list[PriceLine]]:
        """All the account's own item lines, by item (for renegotiations; not cached)."""
        by_item: dict[str, list[PriceLine]] = defaultdict(list)
        stored = self._read(
            self._LINES_SQL + "source_type = ? AND source_no = ? AND asset_type = ?",
            (SOURCE_CUSTOMER, customer_no, ASSET_ITEM),
        )
        fresh = [
            ln
            for ln in self._pending_by_source.get((SOURCE_CUSTOMER, customer_no), {}).values()
            if ln.asset_type == ASSET_ITEM
        ]
        for line in stored + fresh:
            by_item[line.asset_no].append(line)
        return by_item

    # --- the world's changes -----------------------------------------------------------
    def add_line(self, line: PriceLine) -> None:
        """A new item price list line (not yet in the database)."""
        self._pending_by_item[line.asset_no][_key(line)] = line
        self._pending_by_source[(line.source_type, line.source_no)][_key(line)] = line
        for cached in self._views(line):
            cached.append(line)

    def end_line(self, line: PriceLine, ending: dt.date) -> PriceLine:
        """Set a line's ending date; returns the changed line."""
        changed = dataclasses.replace(line, ending_date=ending)
        key = _key(line)
        self.ending_overrides[key] = ending
        for index in (
            self._pending_by_item.get(line.asset_no),
            self._pending_by_source.get((line.source_type, line.source_no)),
        ):
            if index is not None and key in index:
                index[key] = changed
        for cached in self._views(line):
            for i, existing in enumerate(cached):
                if _key(existing) == key:
                    cached[i] = changed
        return changed

    def take_line_no(self, list_code: str) -> int:
        line_no = self.next_line_no.get(list_code, 1)
        self.next_line_no[list_code] = line_no + 1
        return line_no

    def written(self, today: dt.date) -> None:
        """The pending changes are in the database now. The world only prices from today
        on, so cached lines that ended before today can go (the database keeps them)."""
        self._pending_by_item.clear()
        self._pending_by_source.clear()
        self.ending_overrides.clear()
        if today == self._pruned_on:  # a live world flushes often; once a day is enough
            return
        self._pruned_on = today

        def current(lines: list[PriceLine]) -> list[PriceLine]:
            return [ln for ln in lines if ln.ending_date is None or ln.ending_date >= today]

        for item, lines in self._item_lines.items():
            self._item_lines[item] = current(lines)
        for key, lines in self._agreement_lines.items():
            self._agreement_lines[key] = current(lines)
        for key, lines in self.campaign_lines.items():
            self.campaign_lines[key] = current(lines)
        for key, lines in self.group_lines.items():
            self.group_lines[key] = current(lines)

    def _views(self, line: PriceLine) -> list[list[PriceLine]]:
        """The cached lists a line belongs to."""
        views = []
        if line.source_type == SOURCE_CAMPAIGN:
            views.append(self.campaign_lines[(line.source_no, line.asset_no)])
        elif line.asset_type == ASSET_ITEM_DISC_GROUP:
            views.append(self.group_lines[(line.asset_no, line.source_type, line.source_no)])
        elif line.source_type == SOURCE_CUSTOMER:
            cached = self._agreement_lines.get((line.source_no, line.asset_no))
            if cached is not None:
                views.append(cached)
        else:
            cached = self._item_lines.get(line.asset_no)
            if cached is not None:
                views.append(cached)
        return views

    def _read(self, sql: str, params: Sequence[object]) -> list[PriceLine]:
        lines = [price_line_from_row(row) for row in self._rows(sql, params)]
        if not self.ending_overrides:
            return lines
        return [
            dataclasses.replace(ln, ending_date=self.ending_overrides[key])
            if (key := _key(ln)) in self.ending_overrides
            else ln
            for ln in lines
        ]
