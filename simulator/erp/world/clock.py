"""Simulated time: SimPy's clock counts days (float) since the world's start instant.

Business dates are what documents carry; timestamps (ISO UTC, seconds) are what
`last_modified_date_time` carries, so a delta sync sees changes in the order they happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DAY = 1.0
HOUR = 1.0 / 24.0


@dataclass(frozen=True)
class Clock:
    """Converts between SimPy time (days since `start`) and calendar time."""

    start: dt.datetime  # UTC, naive

    def at(self, t: float) -> dt.datetime:
        return self.start + dt.timedelta(days=t)

    def date(self, t: float) -> dt.date:
        return self.at(t).date()

    def stamp(self, t: float) -> str:
        return self.at(t).strftime("%Y-%m-%dT%H:%M:%SZ")

    def iso_date(self, t: float) -> str:
        return self.at(t).date().isoformat()

    def time_of(self, moment: dt.datetime | dt.date) -> float:
        """SimPy time of a calendar instant (a date means its midnight)."""
        if not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time())
        return (moment - self.start).total_seconds() / 86400.0

    def next_at_hour(self, t: float, hour: float) -> float:
        """The first time >= t that falls at `hour` o'clock."""
        day_start = float(int(t))
        candidate = day_start + hour * HOUR
        return candidate if candidate >= t - 1e-9 else candidate + DAY

    def weekday(self, t: float) -> int:
        return self.at(t).weekday()
