"""Load plans: step, spike and adoption, as stage tables whose `tick()` depends only on the
elapsed time (unit-testable without sleeping); `loadtests.shapes.ErpsimShape` is the Locust
`LoadTestShape` that follows one. Plain Python: no Locust import.

Every shape is a `Plan`: a load *level* over time (a fraction of the peak) times a peak that
is either a user count (closed model: ``--users``) or a session arrival rate (open model:
``--rate`` and the adoption shape). In the open model each virtual user starts one session
every ``pacing`` seconds on a fixed schedule (`Pacing`), so the users needed are
``rate x pacing``, and a slow response delays that user's next session instead of silently
lowering the load: a user behind its schedule starts the overdue session at once, and the
lateness is counted and reported (`summary.json` ``pacing``), which keeps coordinated
omission visible.

    step      4 equal steps: 25 %, 50 %, 75 %, 100 % of the peak
    spike     20 % for the first 40 % of the run, 100 % for the next 20 %, 20 % to the end
    constant  100 % for the whole run (no --shape)
    adoption  constant, the peak being the forecast month's peak-hour session rate
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass

__all__ = ["SHAPES", "Pacing", "Plan", "make_plan", "pacing_stats"]

SHAPES = ("step", "spike", "adoption")


@dataclass(frozen=True)
class Plan:
    """``stages``: (until second, level) ascending; peak ``users`` or ``rate`` (sessions/s)."""

    stages: tuple[tuple[float, float], ...]
    users: int | None = None
    rate: float | None = None
    pacing: float = 10.0
    spawn_rate: float | None = None

    @property
    def duration(self) -> float:
        return self.stages[-1][0]

    @property
    def peak_users(self) -> int:
        return self.users_for(1.0)

    def level_at(self, elapsed: float) -> float | None:
        for until, level in self.stages:
            if elapsed < until:
                return level
        return None

    def users_for(self, level: float) -> int:
        if self.rate is not None:
            return max(1, math.ceil(self.rate * level * self.pacing - 1e-9))
        assert self.users is not None
        return max(1, math.ceil(self.users * level - 1e-9))

    def rate_at(self, elapsed: float) -> float | None:
        """Sessions started per second at `elapsed` (open model), else None."""
        level = self.level_at(elapsed)
        if level is None or self.rate is None:
            return None
        return self.users_for(level) / self.pacing

    def tick(self, elapsed: float) -> tuple[int, float] | None:
        level = self.level_at(elapsed)
        if level is None:
            return None
        # Reach any stage within about 2 % of the run (at least 1 user/s).
        spawn = self.spawn_rate or max(1.0, self.peak_users / max(1.0, 0.02 * self.duration))
        return self.users_for(level), spawn


def make_plan(
    shape: str | None,
    duration: float,
    *,
    users: int | None = None,
    rate: float | None = None,
    pacing: float = 10.0,
    spawn_rate: float | None = None,
) -> Plan:
    """The plan of a shape name (None: constant) over `duration` seconds."""
    d = float(duration)
    if shape == "step":
        stages = tuple((d * (i + 1) / 4, (i + 1) / 4) for i in range(4))
    elif shape == "spike":
        stages = ((0.4 * d, 0.2), (0.6 * d, 1.0), (d, 0.2))
    elif shape in (None, "adoption"):
        stages = ((d, 1.0),)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return Plan(stages, users=users, rate=rate, pacing=pacing, spawn_rate=spawn_rate)


class _PacingStats:
    """Sessions started by paced users in this process, and how late (for the summary)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.sessions = 0
        self.late = 0
        self.max_lag = 0.0
        self.lag_total = 0.0

    def record(self, lag: float) -> None:
        with self.lock:
            self.sessions += 1
            if lag > 0.0:
                self.late += 1
                self.lag_total += lag
                self.max_lag = max(self.max_lag, lag)

    def take(self) -> dict[str, float]:
        """The counts since the last take (workers report increments to the master)."""
        with self.lock:
            data = {
                "sessions": self.sessions,
                "late": self.late,
                "max_lag": self.max_lag,
                "lag_total": self.lag_total,
            }
            self.reset()
        return data


pacing_stats = _PacingStats()
LATE = 0.05  # seconds behind schedule that count as a late session start


class Pacing:
    """An open-model `wait_time`: one session every `seconds`, on a fixed schedule.

    The first session starts at a random phase in [0, seconds) (spreads the arrivals); each
    next one at the previous *scheduled* start + `seconds`. A user behind schedule starts at
    once and the lag is recorded; sessions are never skipped, so the offered load catches up
    rather than shrinking with slow responses."""

    def __init__(self, seconds: float, rng: random.Random | None = None) -> None:
        self.seconds = seconds
        self.rng = rng or random.Random()

    def first(self, user: object) -> float:
        """Seconds to wait before the user's first session (its random phase)."""
        delay = self.rng.uniform(0.0, self.seconds)
        user._erpsim_due = time.monotonic() + delay  # type: ignore[attr-defined]
        return delay

    def __call__(self, user: object) -> float:
        """Locust's wait after a session: until the next scheduled start (0 when late)."""
        now = time.monotonic()
        due = getattr(user, "_erpsim_due", None)
        due = now if due is None else due + self.seconds
        user._erpsim_due = due  # type: ignore[attr-defined]
        return max(0.0, due - now)

    def started(self, user: object) -> None:
        """Called by a persona when a session starts: its lag behind the schedule."""
        due: float | None = getattr(user, "_erpsim_due", None)
        if due is None:
            return
        lag = time.monotonic() - due
        pacing_stats.record(lag if lag > LATE else 0.0)
