"""The transactional history: run the world from the snapshot to the dataset's as_of date.

`generate` builds the master data as it stood `months` before as_of (the snapshot), then the
world simulates those months: every order, shipment, invoice, payment, price change and
service contact up to as_of is a consequence of the master data and the seed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.config import Profile
from simulator.erp.world import World
from simulator.erp.world.core import without_cyclic_gc

if TYPE_CHECKING:
    from simulator.erp.generate import Progress

HISTORY_CACHE_KIB = 384 * 1024  # SQLite's page cache during the history (`_page_cache`)


def snapshot_date(as_of: dt.date, months: int) -> dt.date:
    """as_of minus whole months (the day clamped to the shorter month's end)."""
    index = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for day in range(as_of.day, 0, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months after `start` up to `end` (inclusive of `end` itself)."""
    points = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        point = dt.date(year, month, 1)
        if point >= end:
            break
        points.append(point)
    return [*points, end]


@dataclass(frozen=True)
class HistorySummary:
    months: int
    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def run_history(
    conn: sqlite3.Connection,
    profile: Profile,
    *,
    seed: int,
    months: int,
    progress: Progress | None = None,
) -> HistorySummary:
    """Simulate `months` of history on an open database whose master data is at the snapshot."""
    started = time.perf_counter()
    start = snapshot_date(profile.as_of, months)
    with without_cyclic_gc(), _page_cache(conn, HISTORY_CACHE_KIB):
        world = World(conn, profile, seed=seed, start=dt.datetime.combine(start, dt.time()))
        points = month_ends(start, profile.as_of)
        for step, point in enumerate(points, start=1):
            world.hold_open_documents = step < len(points)  # the last write has them all
            world.advance(point)
            if progress is not None:
                progress.advance("history", 1)
        events = world.events
        world.close()
        del world  # freed here, before the collector is back on
    return HistorySummary(months, events, time.perf_counter() - started)


@contextlib.contextmanager
def _page_cache(conn: sqlite3.Connection, kib: int) -> Iterator[None]:
    """A bigger SQLite page cache while the history runs: its writes and price reads hit
    the price list lines all over the file. Measured at `large`: 512 MiB instead of 256
    saved ~6 % of the run but took the peak RSS near its 2 GiB target; 384 MiB keeps it
    at 1.8 GiB."""
    (previous,) = conn.execute("PRAGMA cache_size").fetchone()
    conn.execute(f"PRAGMA cache_size=-{kib}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size={previous}")
