"""The live clock: wall time x clock speed -> simulated time, and the World it drives.

`ClockMapping` is the pure arithmetic (any process can evaluate it: worker processes use it
for "today" in price calculations). `LiveClock` owns a `World` and advances it lazily: on a
request, if at least `min_interval` wall seconds passed since the last advance, the world
runs up to the mapped simulated now and writes what changed. Speed 0 freezes time.

`resume_world` is the one place that builds a World over an existing dataset. The world
resumes the open documents and the number series itself (world/resume.py); what is left
here is the seed, which decides the world's GUID stream: it must not repeat the ids of any
document already in the database (see `live_seed`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.config import profile_from_dict
from simulator.erp.database import read_meta
from simulator.erp.world import World
from simulator.erp.world.resume import SERIES
from simulator.errors import UserError

__all__ = ["CLOCK_META_KEY", "ClockMapping", "LiveClock", "resume_world"]

CLOCK_META_KEY = "erp_server_clock"  # the simulated now the server last reached


@dataclass(frozen=True, slots=True)
class ClockMapping:
    """Simulated time as a function of the monotonic clock (same in every process)."""

    sim_start: dt.datetime  # naive UTC
    mono_start: float  # time.monotonic() at sim_start
    speed: float  # simulated seconds per wall second

    def at(self, mono: float) -> dt.datetime:
        return self.sim_start + dt.timedelta(seconds=max(0.0, mono - self.mono_start) * self.speed)

    def now(self) -> dt.datetime:
        return self.at(time.monotonic())


def live_seed(seed: int, start: dt.datetime, marks: Sequence[str] = ()) -> int:
    """The live world's seed (128 bits): derived from the dataset's, so it never replays the
    history's random streams (its GUIDs above all), from the start, and from `marks`, the
    last document number of every series. A world that gave a document an id committed
    that document, which moved its series: so the next world resumed on the database has
    other marks, hence another GUID stream, even at the same start (a restart with the
    clock frozen). Fixed for a given database: the same file resumes the same world."""
    text = f"erp-server:{seed}:{start.isoformat()}:{','.join(marks)}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def document_marks(conn: sqlite3.Connection) -> list[str]:
    """The highest number of each document series (one index lookup each)."""
    return [
        str(conn.execute(f"SELECT max(no) FROM {table}").fetchone()[0] or "")
        for table in SERIES.values()
    ]


def resume_world(conn: sqlite3.Connection) -> World:
    """A World that continues the dataset in `conn` from where it stands."""
    meta = read_meta(conn)
    try:
        profile = profile_from_dict(meta["profile_settings"], source="erpsim_meta")
        seed = int(meta["seed"])
        as_of = dt.date.fromisoformat(meta["as_of"])
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"the database has no usable run metadata ({exc})") from exc
    start = dt.datetime.combine(as_of, dt.time())
    stored = meta.get(CLOCK_META_KEY)
    if stored:
        start = max(start, dt.datetime.fromisoformat(stored))
    # The World resumes the open documents and continues the number series itself.
    live = live_seed(seed, start, document_marks(conn))
    return World(conn, profile, seed=live, start=start)


class LiveClock:
    """Owns the World; advances it to the mapped now, at most every `min_interval` seconds.

    Not thread-safe by itself: the owner calls it from one thread (see `live.LiveErp`)."""

    def __init__(
        self,
        world: World,
        speed: float,
        *,
        min_interval: float = 0.05,
        on_advance: Callable[[], None] | None = None,
    ) -> None:
        self.world = world
        self.mapping = ClockMapping(world.clock.at(world.now), time.monotonic(), speed)
        self.min_interval = min_interval
        self.on_advance = on_advance
        self._last = -1e9
        self._remembered: dt.datetime | None = None

    @property
    def advanced_to(self) -> dt.datetime:
        return self.world.clock.at(self.world.now)

    def due(self, mono: float | None = None) -> bool:
        mono = time.monotonic() if mono is None else mono
        return self.mapping.speed > 0 and mono - self._last >= self.min_interval

    def sync(self, *, force: bool = False) -> bool:
        """Advance the world to now if due (or `force`); True if it ran."""
        mono = time.monotonic()
        if not force and not self.due(mono):
            return False
        self._last = mono
        target = self.mapping.at(mono)
        if target > self.advanced_to or force:
            self.world.advance(max(target, self.advanced_to))
            self._remember()
            if self.on_advance is not None:
                self.on_advance()
        return True

    def _remember(self) -> None:
        if self.advanced_to == self._remembered:
            return
        self._remembered = self.advanced_to
        conn = self.world.conn
        conn.execute(
            "INSERT OR REPLACE INTO erpsim_meta (key, value) VALUES (?, ?)",
            (CLOCK_META_KEY, json.dumps(self.advanced_to.isoformat())),
        )
        conn.commit()

    def state(self) -> dict[str, Any]:
        return {
            "now": _stamp(self.mapping.now()),
            "advancedTo": _stamp(self.advanced_to),
            "start": _stamp(self.mapping.sim_start),
            "clockSpeed": self.mapping.speed,
            "today": self.mapping.now().date().isoformat(),
        }


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
