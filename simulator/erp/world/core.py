"""The ERP world over time: one SimPy environment, the state it acts on, and `advance`.

Meaningful events only: each account's next order is one timeout; warehouse, invoicing,
collections and customer service are daily runs (as real back offices work), and prices
change on calendar dates. Work scheduled for later (quote decisions, payments, returns,
inquiries, purchase receipts) sits in heaps those runs drain, so the whole state is data.

Randomness: each account draws from its own stream (orders, quotes, payments, returns), each
back-office process from its own; events never share a time (fixed distinct hours for the
daily runs, continuous times for orders), so the run is deterministic for a seed and
`advance(t1); advance(t2)` equals `advance(t2)`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import heapq
import json
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from simulator.config import HistoryProfile, Profile
from simulator.erp.customers import basket_weights
from simulator.erp.rng import guids, stream
from simulator.erp.world.clock import Clock
from simulator.erp.world.documents import (
    Counters,
    CreditMemo,
    Inquiry,
    Invoice,
    Order,
    Payment,
    PurchaseOrder,
    Quote,
    Shipment,
)
from simulator.erp.world.pricebook import PriceBook
from simulator.erp.world.resume import resume

# Hours of the daily runs: distinct, so no two events ever share a time.
RATES_HOUR = 0.05
PRICES_HOUR = 0.1
RECEIVING_HOUR = 7.0
COLLECTIONS_HOUR = 9.0
SALES_OFFICE_HOUR = 11.0
SERVICE_HOUR = 12.5
WAREHOUSE_HOUR = 16.0
INVOICING_HOUR = 18.0
WORKDAYS = frozenset(range(5))
# Days a document stays in memory after it was created: longer than any later reference
# (status calls within 5 days, invoice copies within 40, returns within 30 of shipping).
MEMORY_DAYS = 70.0
GUID_BATCH = 4096
EVERY_DAY = frozenset(range(7))


@dataclass(slots=True)
class Account:
    """What the world needs to know about one customer account (static during a run)."""

    pos: int
    no: str
    currency: str
    due_days: int
    discount_days: int
    credit_limit: float
    segment: str
    key_account: bool
    blocked: str
    salesperson: str
    location: int
    interval: float
    basket: float
    line_value: float  # average order-line value, local currency
    days_late: float
    buyers: list[str]
    ap_clerks: list[str]
    basket_items: list[int]  # catalog positions of the repeat basket, most frequent first
    basket_units: list[str]
    basket_qty: list[float]
    basket_weights: np.ndarray  # cumulative, for choosing basket lines
    subfamilies: list[str]
    channels: list[str]
    channel_weights: np.ndarray  # cumulative
    web_from: float | None  # pilot accounts order on the web from this time on


@dataclass
class Outbox:
    """Everything changed since the last write, by kind, newest version of each document."""

    quotes: dict[str, Quote] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    shipments: list[Shipment] = field(default_factory=list)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: list[Payment] = field(default_factory=list)
    credit_memos: list[CreditMemo] = field(default_factory=list)
    inquiries: list[Inquiry] = field(default_factory=list)
    purchase_orders: dict[str, PurchaseOrder] = field(default_factory=dict)
    ledger: list[tuple] = field(default_factory=list)
    stock: dict[tuple[int, int], str] = field(default_factory=dict)  # -> when it changed
    items: dict[int, str] = field(default_factory=dict)  # list price changed -> when
    price_lines: list[tuple] = field(default_factory=list)
    # (new ending date, price list code, line no, when)
    ended_lines: list[tuple[str, str, int, str]] = field(default_factory=list)
    price_lists: list[tuple] = field(default_factory=list)
    campaigns: list[tuple] = field(default_factory=list)
    rates: list[tuple] = field(default_factory=list)


class World:
    """A live ERP: load it from a database, `advance` it, and it writes what changed."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        profile: Profile,
        *,
        seed: int,
        start: dt.datetime,
    ) -> None:
        self.conn = conn
        self.profile = profile
        self.cfg: HistoryProfile = profile.history
        self.seed = seed
        # SimPy time counts days from the start day's midnight (daily runs fall on the hour).
        self.clock = Clock(dt.datetime.combine(start.date(), dt.time()))
        # Streams are keyed by the start day too: a world resumed later does not replay the
        # random draws of the one that wrote the history.
        self.epoch = start.toordinal()
        self.env = simpy.Environment(initial_time=self.clock.time_of(start))
        self.prices = PriceBook(conn)
        self.prices.preload(start.date())
        self.counters = Counters()
        self.out = Outbox()
        # A history run sets this but for its last step: documents that will change again
        # wait for a later write (writer.hold_open). A live world writes everything at once.
        self.hold_open_documents = False
        self.events = 0
        # `now` as calendar values, worked out once per simulated instant (see `_moment`).
        self._moment_at = -1.0
        self._stamp, self._today, self._iso_today = "", start.date(), ""
        self._guids: list[str] = []
        self.next_campaign_at = 0.0
        self.agreement_accounts: list[str] = []
        self._load_catalog()
        self._load_accounts()
        self.rng_warehouse = stream(seed, "world:warehouse", self.epoch)
        self.rng_prices = stream(seed, "world:prices", self.epoch)
        self.rng_ids = stream(seed, "world:ids", self.epoch)
        # Work scheduled for later: (time, sequence, payload); sequence keeps order stable.
        self.quote_decisions: list[tuple[float, int, str]] = []
        self.payments_due: list[tuple[float, int, str]] = []
        self.service_due: list[tuple[float, int, str, str]] = []  # (t, seq, kind, ref)
        self.receipts_due: list[tuple[float, int, str]] = []
        self.open_quotes: dict[str, Quote] = {}
        self.quote_lines: dict[str, list[Any]] = {}  # priced lines, reused by the order
        self.open_orders: dict[str, Order] = {}  # not yet fully shipped, in order of entry
        self.shipped_today: list[Shipment] = []
        self.open_invoices: dict[str, Invoice] = {}
        self.purchase_orders: dict[str, PurchaseOrder] = {}
        # Recent documents stay in memory while service may still refer to them.
        self.shipments: dict[str, Shipment] = {}
        self.recent_orders: dict[str, Order] = {}
        self.recent_invoices: dict[str, Invoice] = {}
        self.exposure = np.zeros(len(self.accounts))  # open orders + unpaid invoices (LCY-ish)
        self.first_short_lines = 0
        self.lines_tried = 0
        self._sequence = 0
        resume(self)
        self._start_processes()

    # --- loading -----------------------------------------------------------------------
    def _load_catalog(self) -> None:
        conn = self.conn
        rows = conn.execute(
            "SELECT i.no, i.base_unit_of_measure, i.blocked, i.popularity, c.parent_code"
            " FROM items i JOIN item_categories c ON c.code = i.item_category_code ORDER BY i.no"
        ).fetchall()
        self.item_no = [sys.intern(r[0]) for r in rows]  # shared with the PriceBook's
        self.item_pos = {no: i for i, no in enumerate(self.item_no)}
        self.item_base_unit = [sys.intern(r[1]) for r in rows]
        blocked = np.array([r[2] for r in rows], dtype=bool)
        popularity = np.array([r[3] for r in rows], dtype=float)
        self.item_blocked = blocked
        self.popularity = popularity
        self.item_family = np.array(
            [self.prices.items[r[0]].item_disc_group for r in rows], dtype=object
        )
        subfamily = [r[4] for r in rows]
        self.subfamily_items: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        by_sub: dict[str, list[int]] = defaultdict(list)
        for i, sub in enumerate(subfamily):
            if not blocked[i]:
                by_sub[sub].append(i)
        for sub, members in by_sub.items():
            idx = np.array(members)
            self.subfamily_items[sub] = (idx, np.cumsum(popularity[idx]))
        self.location_codes = [r[0] for r in conn.execute("SELECT code FROM locations")]
        location_order = {code: i for i, code in enumerate(self.location_codes)}
        self.location_pos = location_order
        shape = (len(self.item_no), len(self.location_codes))
        self.inventory = np.zeros(shape)
        self.reorder_point = np.zeros(shape)
        self.maximum = np.zeros(shape)
        self.lead_time = np.zeros(shape)
        stock = conn.execute(
            "SELECT item_no, location_code, inventory, reorder_point, maximum_inventory,"
            " lead_time_days FROM item_stock"
        ).fetchall()
        if stock:  # one numpy assignment per column (millions of rows at `large`)
            rows = np.array([self.item_pos[r[0]] for r in stock], dtype=np.intp)
            columns = np.array([location_order[r[1]] for r in stock], dtype=np.intp)
            values = np.array([r[2:] for r in stock], dtype=float)
            self.inventory[rows, columns] = values[:, 0]
            self.reorder_point[rows, columns] = values[:, 1]
            self.maximum[rows, columns] = values[:, 2]
            self.lead_time[rows, columns] = values[:, 3]
            del stock, rows, columns, values
        self.on_order = np.zeros(shape)
        # Backordered orders by the (item, location) they wait for; stock that came in.
        self.waiting: dict[tuple[int, int], set[str]] = {}
        self.restocked: set[tuple[int, int]] = set()
        self.backlog = np.zeros(shape)  # released, unshipped demand in base units
        self.ledger_next = (
            1
            + (
                conn.execute(
                    "SELECT coalesce(max(entry_no), 0) FROM item_ledger_entries"
                ).fetchone()[0]
            )
        )

    def _load_accounts(self) -> None:
        conn = self.conn
        terms: dict[str, tuple[int, int]] = {}
        for code, due, disc in conn.execute(
            "SELECT code, due_days, discount_days FROM payment_terms"
        ):
            terms[code] = (due, disc)
        contacts: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
        for no, customer, role in conn.execute(
            "SELECT no, customer_no, role FROM contacts ORDER BY no"
        ):
            contacts[customer][0 if role == "buyer" else 1].append(no)
        baskets: dict[str, list[tuple[int, str, float]]] = defaultdict(list)
        for customer, item, unit, qty in conn.execute(
            "SELECT customer_no, item_no, unit_of_measure_code, typical_quantity"
            " FROM customer_preferred_items ORDER BY customer_no, rank"
        ):
            baskets[customer].append((self.item_pos[item], sys.intern(unit), qty))
        assortment: dict[str, list[str]] = defaultdict(list)
        for customer, category in conn.execute(
            "SELECT customer_no, item_category_code FROM customer_assortment ORDER BY 1, 2"
        ):
            assortment[customer].append(category)
        cfg = self.cfg
        channels = list(cfg.channel_mix)
        self.accounts: list[Account] = []
        pilot_rng = stream(self.seed, "world:web-pilot", self.epoch)
        horizon = self.clock.time_of(self.profile.as_of)
        web_from = horizon - cfg.web_pilot_months * 30.4
        for pos, row in enumerate(
            conn.execute(
                "SELECT no, currency_code, payment_terms_code, credit_limit, segment, key_account,"
                " blocked, salesperson_code, location_code, order_interval_days, avg_basket_lines,"
                " payment_days_late, annual_volume FROM customers ORDER BY no"
            )
        ):
            (
                no,
                currency,
                term,
                limit,
                segment,
                key,
                blocked,
                rep,
                location,
                interval,
                basket,
                late,
                volume,
            ) = row
            buyers, clerks = contacts[no]
            lines = baskets[no]
            weights = basket_weights(len(lines))
            mix = np.array([cfg.channel_mix[c] for c in channels])
            if key and "edi" in channels:
                mix = mix * (1 - cfg.key_account_edi_share) / mix.sum()
                mix[channels.index("edi")] += cfg.key_account_edi_share
            in_pilot = pilot_rng.random() < cfg.web_pilot_share
            self.accounts.append(
                Account(
                    pos=pos,
                    no=no,
                    currency=currency,
                    due_days=terms[term][0],
                    discount_days=terms[term][1],
                    credit_limit=limit,
                    segment=segment,
                    key_account=bool(key),
                    blocked=blocked,
                    salesperson=rep,
                    location=self.location_pos.get(location, 0),
                    interval=interval,
                    basket=basket,
                    line_value=volume / (365.0 / interval * basket),
                    days_late=late,
                    buyers=buyers or clerks,
                    ap_clerks=clerks or buyers,
                    basket_items=[int(b[0]) for b in lines],
                    basket_units=[b[1] for b in lines],
                    basket_qty=[float(b[2]) for b in lines],
                    basket_weights=np.cumsum(weights) if len(lines) else weights,
                    subfamilies=assortment[no],
                    channels=channels,
                    channel_weights=np.cumsum(mix / mix.sum()),
                    web_from=web_from if in_pilot and cfg.web_pilot_order_share > 0 else None,
                )
            )
        self.account_pos = {a.no: a.pos for a in self.accounts}
        self.account_rngs = [
            stream(self.seed, "world:account", a.pos, self.epoch) for a in self.accounts
        ]
        self.next_order_at = np.full(len(self.accounts), np.inf)

    # --- processes ---------------------------------------------------------------------
    def _start_processes(self) -> None:
        from simulator.erp.world import (  # noqa: PLC0415 - behaviour modules import core
            demand,
            fulfilment,
            prices,
            receivables,
            service,
        )

        for account in self.accounts:
            if account.blocked != "All" and len(account.basket_items):
                self.next_order_at[account.pos] = demand.first_order_time(self, account)
                self.env.process(self._account_process(account, demand.place))
        self._daily(RATES_HOUR, EVERY_DAY, prices.monthly_rates)
        self._daily(PRICES_HOUR, EVERY_DAY, prices.price_calendar)
        self._daily(RECEIVING_HOUR, WORKDAYS, fulfilment.receive)
        self._daily(COLLECTIONS_HOUR, WORKDAYS, receivables.collect)
        self._daily(SALES_OFFICE_HOUR, WORKDAYS, demand.decide_quotes)
        self._daily(SERVICE_HOUR, EVERY_DAY, service.handle)
        self._daily(WAREHOUSE_HOUR, WORKDAYS, fulfilment.warehouse_run)
        self._daily(INVOICING_HOUR, WORKDAYS, receivables.invoice_shipments)
        prices.schedule(self)

    def _account_process(self, account: Account, place: Any) -> Any:
        while True:
            yield self.env.timeout(max(0.0, self.next_order_at[account.pos] - self.env.now))
            self.events += 1
            place(self, account)

    def _daily(self, hour: float, days: frozenset[int], run: Any) -> None:
        def process() -> Any:
            t = self.clock.next_at_hour(self.env.now, hour)
            while True:
                yield self.env.timeout(t - self.env.now)
                if self.clock.weekday(t) in days:
                    self.events += 1
                    run(self)
                t += 1.0

        self.env.process(process())

    # --- helpers the behaviour modules share ---------------------------------------------
    @property
    def now(self) -> float:
        return self.env.now

    def _moment(self) -> None:
        """Work out `now` as a timestamp, a date and an ISO date, once per instant: the
        world asks for them on every document and ledger entry."""
        now = self.env.now
        moment = self.clock.at(now)
        self._moment_at = now
        self._stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        today = moment.date()
        if today != self._today or not self._iso_today:
            self._today, self._iso_today = today, today.isoformat()

    @property
    def stamp(self) -> str:
        """`now` as a lastModifiedDateTime."""
        if self._moment_at != self.env.now:
            self._moment()
        return self._stamp

    @property
    def today(self) -> dt.date:
        if self._moment_at != self.env.now:
            self._moment()
        return self._today

    @property
    def iso_today(self) -> str:
        """`today` as an ISO date (the form documents carry)."""
        if self._moment_at != self.env.now:
            self._moment()
        return self._iso_today

    def number(self, series: str, width: int = 7) -> str:
        return f"{series}{self.counters.next(series):0{width}d}"

    def guid(self) -> str:
        """A new SystemId, from the world's own stream (drawn in batches: cheaper)."""
        if not self._guids:
            self._guids = guids(self.rng_ids, GUID_BATCH)
            self._guids.reverse()
        return self._guids.pop()

    def schedule(self, heap: list, when: float, *payload: Any) -> None:
        self._sequence += 1
        heapq.heappush(heap, (when, self._sequence, *payload))

    def due(self, heap: list, until: float) -> list[tuple]:
        taken = []
        while heap and heap[0][0] <= until:
            taken.append(heapq.heappop(heap))
        return taken

    def to_lcy(self, amount: float, currency: str) -> float:
        if not currency:
            return amount
        rate = self.prices.exchange_rate(currency, self.today)
        return amount / rate if rate else amount

    def touch(self, bucket: dict[str, Any], key: str, document: Any) -> None:
        """Mark a document changed now: it is written at the next flush."""
        document.last_modified = self.stamp
        bucket[key] = document

    def touch_order(self, order: Order) -> None:
        self.touch(self.out.orders, order.no, order)

    def ledger(self, item: int, location: int, entry_type: str, document: str, qty: float) -> None:
        self.inventory[item, location] += qty
        stamp = self.stamp
        self.out.ledger.append(
            (
                self.ledger_next,
                self.item_no[item],
                self.location_codes[location],
                self._iso_today,
                entry_type,
                document,
                qty,
                stamp,
            )
        )
        self.ledger_next += 1
        self.out.stock[item, location] = stamp
        if qty > 0:
            self.restocked.add((item, location))

    @classmethod
    def open(cls, conn: sqlite3.Connection, *, seed: int | None = None) -> World:
        """The world of an erpsim database, resumed where it stopped: at the last instant a
        world wrote (`world_now`), else the dataset's as_of date; the dataset's profile and
        (unless given) seed."""
        from simulator.config import profile_from_dict  # noqa: PLC0415
        from simulator.erp.database import read_meta  # noqa: PLC0415

        meta = read_meta(conn)
        profile = profile_from_dict(meta["profile_settings"], source="the database")
        profile = profile.model_copy(update={"as_of": dt.date.fromisoformat(meta["as_of"])})
        if "world_now" in meta:
            start = dt.datetime.fromisoformat(meta["world_now"].rstrip("Z"))
        else:
            start = dt.datetime.combine(profile.as_of, dt.time())
        return cls(conn, profile, seed=meta["seed"] if seed is None else seed, start=start)

    # --- documents from outside (the mock ERP API, the web store) ------------------------
    def enter_order(
        self,
        customer_no: str,
        lines: list[tuple[str, str, float]],
        *,
        contact_no: str = "",
        channel: str = "web",
    ) -> Order:
        """An order placed now from outside the simulation: (item no, unit ('' = base),
        quantity) lines priced by the engine at today's date, credit-checked, then released,
        shipped, invoiced and paid by the same processes as every simulated order.
        Raises `PricingError` for what an ERP would refuse."""
        from simulator.erp.world.demand import enter_external_order  # noqa: PLC0415

        return enter_external_order(
            self, customer_no, lines, contact_no=contact_no, channel=channel
        )

    def enter_quote(
        self,
        customer_no: str,
        lines: list[tuple[str, str, float]],
        *,
        contact_no: str = "",
        channel: str = "web",
    ) -> Quote:
        """A quote requested now from outside; it stays open until `accept_quote`."""
        from simulator.erp.world.demand import enter_external_quote  # noqa: PLC0415

        return enter_external_quote(
            self, customer_no, lines, contact_no=contact_no, channel=channel
        )

    def accept_quote(self, quote_no: str) -> Order:
        from simulator.erp.world.demand import accept_quote  # noqa: PLC0415

        return accept_quote(self, quote_no)

    def release_order(self, order_no: str) -> Order:
        """BC's Release action: an open order is released now instead of at the next
        warehouse run (an order on credit hold stays held)."""
        order = self.open_orders.get(order_no)
        if order is None:
            raise KeyError(f"no open order {order_no!r}")
        if not order.lines:
            raise ValueError(f"order {order_no} has no lines")
        if order.status == "Open":
            order.status = "Released"
            for line in order.lines:
                self.backlog[line.item, order.location] += line.open_quantity * line.qty_per_unit
            self.touch_order(order)
        return order

    def pay_invoice(
        self, invoice_no: str, amount: float | None = None, channel: str = "web"
    ) -> Payment:
        """A payment received now (all of the remaining amount when `amount` is None).
        Raises KeyError when the invoice is not open, ValueError for a bad amount."""
        from simulator.erp.world.receivables import pay_invoice  # noqa: PLC0415

        return pay_invoice(self, invoice_no, amount, channel)

    def log_inquiry(self, customer_no: str, kind: str, **refs: str) -> Inquiry:
        """A service request made now ('invoice_copy', 'order_status'); `refs`: contact_no,
        order_no, invoice_no, channel."""
        from simulator.erp.world.service import log_inquiry  # noqa: PLC0415

        return log_inquiry(self, customer_no, kind, **refs)

    def enter_return(
        self, line: Any, quantity: float, *, reason: str, contact_no: str
    ) -> tuple[CreditMemo, Inquiry]:
        """A return request accepted now: (credit memo, inquiry); see service.enter_return."""
        from simulator.erp.world.service import enter_return  # noqa: PLC0415

        return enter_return(self, line, quantity, reason=reason, contact_no=contact_no)

    # --- running -----------------------------------------------------------------------
    def advance(self, until: dt.datetime | dt.date) -> None:
        """Run the world up to `until` (calendar time) and write what changed."""
        target = self.clock.time_of(until)
        if target < self.env.now:
            raise ValueError(f"cannot go back in time to {until}")
        with without_cyclic_gc():
            if target > self.env.now:
                self.env.run(until=target)
            self.flush()

    def close(self) -> None:
        """End a world for good (a finished history). Its pending simulation events hold its
        processes, whose generators hold the world: dropping them lets reference counting
        free everything now, instead of a cyclic collection over millions of objects once
        the collector is back on (seconds at `large`)."""
        queue = self.env._queue  # SimPy has no public way to drop its schedule
        for *_, event in queue:
            event.callbacks = []  # the waiting process, which waits on the event in turn
        queue.clear()

    def flush(self) -> None:
        from simulator.erp.world.writer import hold_open, write_changes  # noqa: PLC0415

        held = hold_open(self.out) if self.hold_open_documents else Outbox()
        write_changes(self)
        self.conn.execute(
            "INSERT OR REPLACE INTO erpsim_meta (key, value) VALUES ('world_now', ?)",
            (json.dumps(self.clock.stamp(self.env.now)),),
        )
        self.conn.commit()
        self.out = held
        self.prices.written(self.today)
        self._forget_old_documents()

    def _forget_old_documents(self) -> None:
        """Drop documents no process can refer to any more (they are in the database)."""
        horizon = self.now - MEMORY_DAYS
        for documents in (self.recent_orders, self.shipments, self.recent_invoices):
            stale = []  # oldest first: stop at the first one still in memory's reach
            for key, document in documents.items():
                if _document_time(self, document) >= horizon:
                    break
                stale.append(key)
            for key in stale:
                del documents[key]


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """The world holds millions of small acyclic objects; the cyclic collector would scan
    them all again and again (half the run time at `medium`). Reference counting frees
    them anyway, so pause it while the world runs and restore it after. A long run
    (the history) holds it paused across all its steps: each re-enable would soon cost a
    full collection over everything the world holds."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _document_time(world: World, document: Any) -> float:
    if isinstance(document, Order):
        return document.entered
    day = document.shipment_date if isinstance(document, Shipment) else document.posting_date
    return world.clock.time_of(dt.date.fromisoformat(day))
