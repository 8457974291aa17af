"""The seed guide's adoption rates measured from a real store's event log.

The forecaster counts, per month, buyers invited, registered, with an online order, and
regular, and key accounts invited and with an online order; `simulator.adoption.metrics`
turns those counts into TR, TAU, TDA and KAAR. This module produces the same counts from
the store's `users` and `events` tables, period by period, so a pilot run of the store (or
a load test, with short periods) is measured exactly as the forecast is, and its counts
can be written as a history CSV for `erpsim calibrate`.

Definitions (the forecaster's, restated on the log):

- buyers are users with role 'buyer' (AP clerks and reps are not); invited at `invited_at`,
  registered at `registered_at`;
- an online order is an `order` or `quote_accept` event the buyer made itself (no
  `rep_user_id`); orders a rep placed on the account's behalf are counted apart;
- regular: online orders in at least `regular.min_months` of the buyer's last
  `regular.window_months` periods. The forecaster counts only periods with a purchase need;
  a store log does not know a buyer's needs, so every period since the buyer registered
  counts (a buyer with nothing to buy in a period is not credited for it);
- key accounts: accounts flagged key account with at least one invited user.
"""

from __future__ import annotations

import bisect
import datetime as dt
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from simulator.adoption.metrics import ratio
from simulator.adoption.scenario import Regular
from simulator.erp.digest import read_only_uri
from simulator.errors import UserError

__all__ = ["PERIODS", "StoreAdoption", "measure", "open_store_db"]

Period = Literal["month", "week", "day", "hour"]
PERIODS: tuple[Period, ...] = ("month", "week", "day", "hour")
ONLINE_ORDER_EVENTS = ("order", "quote_accept")
# Flow signals: event type -> the name shown (counted per period).
SIGNAL_EVENTS = {
    "login": "logins",
    "search": "searches",
    "reorder": "reorders",
    "quote_request": "quote_requests",
    "track_order": "orders_tracked_online",
    "invoice_pay": "invoices_paid_online",
    "invoice_search": "invoice_history_searches",
    "invoice_copy": "invoice_copies_online",
    "return_request": "return_requests_online",
    "offline_fallback": "offline_fallbacks",
}
SNAPSHOT_NAMES = (
    "buyers_invited",
    "buyers_registered",
    "buyers_ordered",
    "buyers_regular",
    "key_accounts_invited",
    "key_accounts_ordered",
)


@dataclass(frozen=True)
class StoreAdoption:
    """Counts and rates per period (arrays aligned with `periods`)."""

    period: Period
    periods: tuple[str, ...]
    counts: dict[str, np.ndarray]  # SNAPSHOT_NAMES at each period's end
    flows: dict[str, np.ndarray]  # orders_online, orders_on_behalf, SIGNAL_EVENTS values
    rates: dict[str, np.ndarray]  # TR, TAU, TDA, KAAR and the secondary shares

    def as_dict(self) -> dict[str, object]:
        return {
            "period": self.period,
            "periods": list(self.periods),
            "rates": {k: [round(float(x), 6) for x in v] for k, v in self.rates.items()},
            "counts": {k: [int(x) for x in v] for k, v in self.counts.items()},
            "flows": {k: [int(x) for x in v] for k, v in self.flows.items()},
        }

    def history_rows(self) -> list[dict[str, object]]:
        """Rows of a history CSV `erpsim calibrate --history` reads (month periods)."""
        c = self.counts
        return [
            {
                "month": label,
                "invited": int(c["buyers_invited"][i]),
                "registered": int(c["buyers_registered"][i]),
                "ordered_once": int(c["buyers_ordered"][i]),
                "regular": int(c["buyers_regular"][i]),
                "key_accounts_invited": int(c["key_accounts_invited"][i]),
                "key_accounts_ordered": int(c["key_accounts_ordered"][i]),
            }
            for i, label in enumerate(self.periods)
        ]


def open_store_db(path: Path) -> sqlite3.Connection:
    """A read-only connection to a store database, or one clear UserError."""
    if not path.is_file():
        raise UserError(f"store database not found: {path}")
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise UserError(f"{path} is not a SQLite database: {exc}") from None
    if not {"users", "events"} <= tables:
        conn.close()
        raise UserError(f"{path} is not an erpsim store database (no users/events tables)")
    return conn


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=None)


def _start(moment: dt.datetime, period: Period) -> dt.datetime:
    if period == "month":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - dt.timedelta(days=day.weekday())
    if period == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=0, second=0, microsecond=0)


def _next(start: dt.datetime, period: Period) -> dt.datetime:
    if period == "month":
        return (start + dt.timedelta(days=32)).replace(day=1)
    step = {"week": dt.timedelta(weeks=1), "day": dt.timedelta(days=1)}
    return start + step.get(period, dt.timedelta(hours=1))


def _label(start: dt.datetime, period: Period) -> str:
    if period == "month":
        return start.strftime("%Y-%m")
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "day":
        return start.strftime("%Y-%m-%d")
    return start.strftime("%Y-%m-%dT%H")


def measure(
    conn: sqlite3.Connection, *, period: Period = "month", regular: Regular | None = None
) -> StoreAdoption:
    """Counts and rates per period, from the first invitation to the last event."""
    if period not in PERIODS:
        raise UserError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    regular = regular or Regular()
    users = conn.execute(
        "SELECT id, role, customer_no, key_account, invited_at, registered_at FROM users"
        " WHERE state != 'disabled' OR registered_at IS NOT NULL"
    ).fetchall()
    events = conn.execute(
        "SELECT at, user_id, customer_no, rep_user_id, type FROM events ORDER BY at, id"
    ).fetchall()
    stamps = [_parse(u[4]) for u in users] + [_parse(e[0]) for e in events]
    if not stamps:
        raise UserError("the store database has no users and no events yet: nothing to measure")
    starts = [_start(min(stamps), period)]
    last = max(stamps)
    while _next(starts[-1], period) <= last:
        starts.append(_next(starts[-1], period))
    n = len(starts)

    def index(moment: dt.datetime) -> int:
        return max(bisect.bisect_right(starts, moment) - 1, 0)

    buyers = {u[0]: u for u in users if u[1] == "buyer"}
    counts = {name: np.zeros(n) for name in SNAPSHOT_NAMES}
    flows = {name: np.zeros(n) for name in ("orders_online", "orders_on_behalf")}
    flows |= {name: np.zeros(n) for name in SIGNAL_EVENTS.values()}

    key_invited_at: dict[str, int] = {}
    for _, _, customer, key, invited, _registered in users:
        if key and customer:
            at = index(_parse(invited))
            key_invited_at[customer] = min(at, key_invited_at.get(customer, n))
    for _, _, _, _, invited, registered in buyers.values():
        counts["buyers_invited"][index(_parse(invited)) :] += 1
        if registered:
            counts["buyers_registered"][index(_parse(registered)) :] += 1
    for at in key_invited_at.values():
        counts["key_accounts_invited"][at:] += 1

    online: dict[int, set[int]] = defaultdict(set)  # buyer -> periods with an own order
    first_key_order: dict[str, int] = {}
    key_accounts = {u[2] for u in users if u[3] and u[2]}
    active_key_contacts: list[set[int]] = [set() for _ in range(n)]
    for stamp, user_id, customer, rep_user_id, kind in events:
        i = index(_parse(stamp))
        if kind in SIGNAL_EVENTS:
            flows[SIGNAL_EVENTS[kind]][i] += 1
        if kind == "login" and customer in key_accounts and rep_user_id is None:
            active_key_contacts[i].add(user_id)
        if kind not in ONLINE_ORDER_EVENTS:
            continue
        if rep_user_id is not None:
            flows["orders_on_behalf"][i] += 1
            continue
        flows["orders_online"][i] += 1
        if user_id in buyers:
            online[user_id].add(i)
            if customer in key_accounts:
                first_key_order[customer] = min(i, first_key_order.get(customer, n))
    for periods in online.values():
        counts["buyers_ordered"][min(periods) :] += 1
    for at in first_key_order.values():
        counts["key_accounts_ordered"][at:] += 1
    for user_id, periods in online.items():
        registered = buyers[user_id][5]
        since = index(_parse(registered)) if registered else 0
        for i in range(n):
            window = range(max(since, i - regular.window_months + 1), i + 1)
            if sum(p in periods for p in window) >= regular.min_months:
                counts["buyers_regular"][i] += 1

    c = counts
    web_orders = flows["orders_online"] + flows["orders_on_behalf"]
    rates = {
        "TR": ratio(c["buyers_registered"], c["buyers_invited"]),
        "TAU": ratio(c["buyers_ordered"], c["buyers_invited"]),
        "TDA": ratio(c["buyers_regular"], c["buyers_invited"]),
        "KAAR": ratio(c["key_accounts_ordered"], c["key_accounts_invited"]),
        "logins_per_key_account": ratio(
            np.array([len(s) for s in active_key_contacts], dtype=float), c["key_accounts_invited"]
        ),
        "on_behalf_order_share": ratio(flows["orders_on_behalf"], web_orders),
    }
    labels = tuple(_label(s, period) for s in starts)
    return StoreAdoption(period, labels, counts, flows, rates)
