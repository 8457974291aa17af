"""The world's view of prices: the pricing engine's `PriceData`, fast enough to price
millions of simulated order lines.

The pricing *rules* stay in `simulator.erp.pricing.resolve_price`; this class only answers
its lookups. Customers, items, units, campaigns and exchange rates live in memory. Price list
lines are cached in the shapes the lookups need: per item its list-price lines (all
customers, price groups), per customer its agreement lines by item, per item discount group
its discount lines, per campaign and item its lines. What the repeat baskets need is read
in bulk when the world starts (`preload`) and held; other lines are cached on first use,
bounded (least recently used dropped first). All of it is kept exact: the world's own
changes (new lines, ending dates on old ones) are applied to cached lists and, until
written, laid over what comes from SQLite. Lines that ended before the last write's day
are dropped (the world never prices before its today), and cached lines share their texts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import sys
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from operator import itemgetter

from simulator.erp.pricing import (
    CustomerTerms,
    ItemTerms,
    PriceLine,
    SqlitePriceData,
    iso_date,
    price_line_from_row,
    price_line_of,
)
from simulator.erp.schema import (
    AMOUNT_PRICE,
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
READ_CHUNK = 500  # items per statement when many are read at once


@dataclasses.dataclass(slots=True)
class Campaign:
    no: str
    starting: dt.date
    ending: dt.date
    target_segment: str


def _key(line: PriceLine) -> tuple[str, int]:
    return (line.price_list_code, line.line_no)


_sort_key = itemgetter(0, 1)  # `_key` (price list code, line no), without a Python call per line
_intern = sys.intern


def _compact(row: tuple) -> PriceLine:
    """A price line row as a PriceLine (`price_line_from_row`), its repeated texts shared
    (sqlite gives every row its own copies, and the world caches many lines) and zero
    amounts as the one 0.0."""
    (code, line_no, source_type, source_no, asset_type, asset_no, unit, minimum, currency,
     starting, ending, amount_type, price, discount, allow, status) = row  # fmt: skip
    return price_line_of(
        (
            _intern(code),
            line_no,
            _intern(source_type),
            _intern(source_no),
            _intern(asset_type),
            _intern(asset_no),
            _intern(unit),
            minimum or 0.0,
            _intern(currency),
            iso_date(starting),
            iso_date(ending),
            _intern(amount_type),
            price or 0.0,
            discount or 0.0,
            bool(allow),
            _intern(status),
        ),
    )


def _ended(line: PriceLine, ending: dt.date) -> PriceLine:
    """`line` with a new ending date."""
    return price_line_of((*line[:10], ending, *line[11:]))


class PriceBook(SqlitePriceData):
    """`PriceData` for the simulated world (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn)
        self._pruned_on: dt.date | None = None  # the day of the last write
        self.customers: dict[str, CustomerTerms] = {
            row[0]: CustomerTerms(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6])
            for row in conn.execute(self._CUSTOMER_SQL.replace(" WHERE no = ?", ""))
        }
        # Item numbers and codes are shared texts (sys.intern): hundreds of thousands of
        # items at `large`, referred to from many places.
        self.items: dict[str, ItemTerms] = {}
        for row in conn.execute(self._ITEM_SQL.replace(" WHERE no = ?", "")):
            no = _intern(row[0])
            self.items[no] = ItemTerms(no, _intern(row[1]), row[2], _intern(row[3]), bool(row[4]))
        self.units: dict[tuple[str, str], float] = {
            (_intern(item), _intern(code)): qty
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
        # Each list's next line number, by two index seeks per list (a loose index scan)
        # rather than a GROUP BY over millions of lines.
        self.next_line_no: dict[str, int] = dict(
            conn.execute(
                "WITH RECURSIVE codes(code) AS ("
                " SELECT min(price_list_code) FROM price_list_lines"
                " UNION ALL SELECT (SELECT min(price_list_code) FROM price_list_lines"
                " WHERE price_list_code > code) FROM codes WHERE code IS NOT NULL)"
                " SELECT code, (SELECT max(line_no) FROM price_list_lines"
                " WHERE price_list_code = code) + 1 FROM codes WHERE code IS NOT NULL"
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
        for line in self._read(  # the groups items are in: what pricing can ask for
            self._LINES_SQL + "asset_no IN (SELECT DISTINCT item_disc_group FROM items)"
            " AND asset_type = ?",
            (ASSET_ITEM_DISC_GROUP,),
        ):
            self.group_lines[(line.asset_no, line.source_type, line.source_no)].append(line)
        for line in self._read(
            self._LINES_SQL + "source_type = ? AND asset_type = ?", (SOURCE_CAMPAIGN, ASSET_ITEM)
        ):
            self.campaign_lines[(line.source_no, line.asset_no)].append(line)
        self._item_lines: OrderedDict[str, list[PriceLine]] = OrderedDict()
        self._agreement_lines: OrderedDict[tuple[str, str], list[PriceLine]] = OrderedDict()
        # Cached lists that hold a line with an ending date: the only ones `written` prunes.
        self._ending_items: set[str] = set()
        self._ending_agreements: set[tuple[str, str]] = set()
        self._rate_on: dict[tuple[str, dt.date], float | None] = {}
        # What the world prices most, read in bulk by `preload` and never dropped: the
        # list-price lines of every item in some repeat basket, and each account's own
        # lines for its basket items (by account, then item; () where it has none).
        self._held_items: dict[str, list[PriceLine]] = {}
        self._held_agreements: dict[str, dict[str, list[PriceLine] | tuple[()]]] = {}

    def preload(self, today: dt.date) -> None:
        """Read the repeat baskets' lines (see `_held_items`) in two statements: point
        queries as orders come in would cost more than the pricing itself at `large`.
        Lines that ended before `today` are left out (the world never prices before)."""
        self._pruned_on = today
        items = self._held_items
        for (item_no,) in self._conn.execute(
            "SELECT DISTINCT item_no FROM customer_preferred_items"
        ):
            items[_intern(item_no)] = []
        for line in self._read(
            self._LINES_SQL + "asset_type = ? AND source_type IN (?, ?) AND asset_no IN"
            " (SELECT item_no FROM customer_preferred_items)",
            (ASSET_ITEM, SOURCE_ALL_CUSTOMERS, SOURCE_PRICE_GROUP),
            stream=True,
        ):
            items[line.asset_no].append(line)
            if line.ending_date is not None:
                self._ending_items.add(line.asset_no)
        agreements = self._held_agreements
        for customer_no, item_no in self._conn.execute(
            "SELECT customer_no, item_no FROM customer_preferred_items"
        ):
            agreements.setdefault(_intern(customer_no), {})[_intern(item_no)] = ()
        # CROSS JOIN keeps the planner on one index search per basket line.
        columns = self._LINES_SQL[len("SELECT ") : self._LINES_SQL.index(" FROM ")]
        for line in self._read(
            "SELECT "
            + ", ".join(f"l.{column}" for column in columns.split(", "))
            + " FROM customer_preferred_items p CROSS JOIN price_list_lines l"
            " ON l.asset_no = p.item_no AND l.asset_type = ? AND l.source_type = ?"
            " AND l.source_no = p.customer_no",
            (ASSET_ITEM, SOURCE_CUSTOMER),
            stream=True,
        ):
            held = agreements[line.source_no]
            lines = held[line.asset_no]
            if not isinstance(lines, list):
                lines = held[line.asset_no] = []
            lines.append(line)
            if line.ending_date is not None:
                self._ending_agreements.add((line.source_no, line.asset_no))

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
        key = (currency_code, on)
        if key in self._rate_on:
            return self._rate_on[key]
        found = None
        for start, rate in self.rates.get(currency_code, ()):
            if start > on:
                break
            found = rate
        self._rate_on[key] = found
        return found

    def add_rate(self, currency_code: str, starting: dt.date, rate: float) -> None:
        """A new exchange rate from `starting` on (later than every rate of the currency)."""
        self.rates[currency_code].append((starting, rate))
        self._rate_on.clear()

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
        lines.sort(key=_sort_key)
        return lines

    # --- cached views ------------------------------------------------------------------
    def item_lines(self, item_no: str, *, keep: bool = True) -> list[PriceLine]:
        """The item's list-price lines: all customers and price groups. `keep=False`: a
        one-off read (a price review walks whole families) that displaces nothing."""
        lines = self._held_items.get(item_no)
        if lines is not None:
            return lines
        lines = self._item_lines.get(item_no)
        if lines is not None:
            self._item_lines.move_to_end(item_no)  # least recently used go first
        else:
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
            if not keep:
                return lines
            self._item_lines[item_no] = lines
            if _any_ending(lines):
                self._ending_items.add(item_no)
            if len(self._item_lines) > ITEM_CACHE:
                dropped, _ = self._item_lines.popitem(last=False)
                self._ending_items.discard(dropped)
        return lines

    def many_item_lines(self, item_nos: Sequence[str]) -> dict[str, list[PriceLine]]:
        """`item_lines(no, keep=False)` of many items (a price review walks a family of
        tens of thousands): those in memory as they are, the others read in chunks."""
        found: dict[str, list[PriceLine]] = {}
        missing = []
        for no in item_nos:
            lines = self._held_items.get(no)
            if lines is None:
                lines = self._item_lines.get(no)
            if lines is None:
                missing.append(no)
            else:
                found[no] = lines
        for start in range(0, len(missing), READ_CHUNK):
            chunk = missing[start : start + READ_CHUNK]
            for no in chunk:
                found[no] = [
                    ln
                    for ln in self._pending_by_item.get(no, {}).values()
                    if ln.asset_type == ASSET_ITEM
                    and ln.source_type in (SOURCE_ALL_CUSTOMERS, SOURCE_PRICE_GROUP)
                ]
            for line in self._read(
                self._LINES_SQL + f"asset_no IN ({', '.join('?' * len(chunk))})"
                " AND asset_type = ? AND source_type IN (?, ?)",
                (*chunk, ASSET_ITEM, SOURCE_ALL_CUSTOMERS, SOURCE_PRICE_GROUP),
            ):
                found[line.asset_no].append(line)
        return found

    def agreement_lines(self, customer_no: str, item_no: str) -> Sequence[PriceLine]:
        """The account's own lines for one item (an indexed point query when not cached)."""
        held = self._held_agreements.get(customer_no)
        if held is not None:
            found = held.get(item_no)
            if found is not None:
                return found
        key = (customer_no, item_no)
        lines = self._agreement_lines.get(key)
        if lines is not None:
            self._agreement_lines.move_to_end(key)
        else:
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
            if _any_ending(lines):
                self._ending_agreements.add(key)
            if len(self._agreement_lines) > AGREEMENT_CACHE:
                dropped, _ = self._agreement_lines.popitem(last=False)
                self._ending_agreements.discard(dropped)
        return lines

    def agreement(self, customer_no: str) -> dict[str, list[PriceLine]]:
        """The account's own item price lines, by item: every item it has any own line
        for is a key, maybe with no price line (for renegotiations; not cached, and only
        the price lines are made into PriceLines: an agreement has hundreds of lines)."""
        by_item: dict[str, list[PriceLine]] = defaultdict(list)
        overrides, pruned_on = self.ending_overrides, self._pruned_on
        for row in self._rows(
            self._LINES_SQL + "source_type = ? AND source_no = ? AND asset_type = ?",
            (SOURCE_CUSTOMER, customer_no, ASSET_ITEM),
        ):
            lines = by_item[row[5]]
            if row[11] != AMOUNT_PRICE:
                continue
            line = price_line_from_row(row)
            if overrides and (key := _key(line)) in overrides:
                line = _ended(line, overrides[key])
            if pruned_on is None or line.ending_date is None or line.ending_date >= pruned_on:
                lines.append(line)
        for line in self._pending_by_source.get((SOURCE_CUSTOMER, customer_no), {}).values():
            if line.asset_type == ASSET_ITEM:
                lines = by_item[line.asset_no]
                if line.amount_type == AMOUNT_PRICE:
                    lines.append(line)
        return by_item

    # --- the world's changes -----------------------------------------------------------
    def add_line(self, line: PriceLine) -> None:
        """A new item price list line (not yet in the database)."""
        key = _key(line)
        self._pending_by_item[line.asset_no][key] = line
        if line.source_type == SOURCE_CUSTOMER:  # only `agreement` reads by source
            self._pending_by_source[(line.source_type, line.source_no)][key] = line
        for cached in self._views(line):
            cached.append(line)

    def end_line(self, line: PriceLine, ending: dt.date) -> None:
        """Set a line's ending date."""
        key = _key(line)
        self.ending_overrides[key] = ending
        changed = None
        indexes = [self._pending_by_item.get(line.asset_no)]
        if line.source_type == SOURCE_CUSTOMER:  # the only lines indexed by source
            indexes.append(self._pending_by_source.get((line.source_type, line.source_no)))
        for index in indexes:
            if index is not None and key in index:
                changed = changed or _ended(line, ending)
                index[key] = changed
        for cached in self._views(line, ending=True):
            for i, existing in enumerate(cached):
                if existing.line_no == line.line_no and existing.price_list_code == key[0]:
                    changed = changed or _ended(line, ending)
                    cached[i] = changed

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
        for item_no in list(self._ending_items):
            table = self._held_items if item_no in self._held_items else self._item_lines
            _prune(self._ending_items, item_no, table, item_no, today)
        for key in list(self._ending_agreements):
            customer_no, item_no = key
            held = self._held_agreements.get(customer_no)
            if held is not None and item_no in held:
                _prune(self._ending_agreements, key, held, item_no, today)
            else:
                _prune(self._ending_agreements, key, self._agreement_lines, key, today)
        for group in (self.campaign_lines, self.group_lines):
            for key, lines in group.items():
                if _any_ending(lines):
                    group[key] = _current(lines, today)

    def _views(self, line: PriceLine, *, ending: bool = False) -> list[list[PriceLine]]:
        """The cached lists a line belongs to (`ending`: noting that it gets an ending
        date, so `written` prunes them)."""
        views = []
        if line.source_type == SOURCE_CAMPAIGN:
            views.append(self.campaign_lines[(line.source_no, line.asset_no)])
        elif line.asset_type == ASSET_ITEM_DISC_GROUP:
            views.append(self.group_lines[(line.asset_no, line.source_type, line.source_no)])
        elif line.source_type == SOURCE_CUSTOMER:
            key = (line.source_no, line.asset_no)
            held = self._held_agreements.get(line.source_no)
            if held is not None and line.asset_no in held:
                lines = held[line.asset_no]
                if not isinstance(lines, list):  # the shared "none" becomes its own list
                    lines = held[line.asset_no] = []
                cached = lines
            else:
                cached = self._agreement_lines.get(key)
            if cached is not None:
                views.append(cached)
                if ending or line.ending_date is not None:
                    self._ending_agreements.add(key)
        else:
            cached = self._held_items.get(line.asset_no)
            if cached is None:
                cached = self._item_lines.get(line.asset_no)
            if cached is not None:
                views.append(cached)
                if ending or line.ending_date is not None:
                    self._ending_items.add(line.asset_no)
        return views

    def _read(self, sql: str, params: Sequence[object], *, stream: bool = False) -> list[PriceLine]:
        """Lines from the database as the world sees them now: with the ending dates set
        since the last write, without those that ended before the last write's day (the
        world never prices before it), their texts shared (`_compact`). `stream`: row by
        row (a bulk read would otherwise hold all its rows twice for a moment)."""
        pruned_on = self._pruned_on
        if pruned_on is not None:  # lines ended in the database stay there (flattened)
            sql = f"SELECT * FROM ({sql}) WHERE ending_date IS NULL OR ending_date >= ?"
            params = (*params, pruned_on.isoformat())
        if stream:
            cursor = self._conn.cursor()
            cursor.row_factory = None
            rows: Iterable[tuple] = cursor.execute(sql, params)
        else:
            rows = self._rows(sql, params)
        overrides = self.ending_overrides
        lines = []
        for row in rows:
            line = _compact(row)
            if overrides and (key := _key(line)) in overrides:
                line = _ended(line, overrides[key])
                if pruned_on is not None and line.ending_date < pruned_on:
                    continue  # ended since the last write (the SQL saw no ending date)
            lines.append(line)
        return lines


def _any_ending(lines: Iterable[PriceLine]) -> bool:
    return any(line.ending_date is not None for line in lines)


def _current(lines: Sequence[PriceLine], today: dt.date) -> list[PriceLine]:
    return [ln for ln in lines if ln.ending_date is None or ln.ending_date >= today]


def _prune(marks: set, mark: object, table: dict, key: object, today: dt.date) -> None:
    """Drop the lines of `table[key]` that ended before today; forget `mark` once none of
    its lines has an ending date."""
    lines = table.get(key)
    if lines is None:
        marks.discard(mark)
        return
    kept = _current(lines, today)
    table[key] = kept
    if not _any_ending(kept):
        marks.discard(mark)
