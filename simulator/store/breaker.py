"""A circuit breaker for calls to the ERP: stop asking a server that keeps failing.

Closed: calls go through; `failures` consecutive failures open it. Open: calls are refused
at once (the store serves its cache) until `reset` seconds have passed; then it is half-open
and lets exactly one trial call through: success closes it, failure opens it again for
another `reset` seconds. Without it every page would wait the full timeout while the ERP is
down. Thread-safe; the clock is injectable so tests need no sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Counts consecutive failures; `allow()` before a call, `success()`/`failure()` after."""

    def __init__(
        self,
        failures: int = 5,
        reset: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be at least 1")
        self.failures = failures
        self.reset = reset
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._consecutive = 0
        self._opened_at = 0.0
        self._trial_running = False
        self.opened = 0  # how many times it opened (metrics)
        self.refused = 0  # calls refused while open (metrics)

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current()

    def _current(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self.reset:
            self._state = "half_open"
            self._trial_running = False
        return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one trial at a time."""
        with self._lock:
            state = self._current()
            if state == "closed":
                return True
            if state == "half_open" and not self._trial_running:
                self._trial_running = True
                return True
            self.refused += 1
            return False

    def success(self) -> None:
        with self._lock:
            self._state = "closed"
            self._consecutive = 0
            self._trial_running = False

    def failure(self) -> None:
        with self._lock:
            state = self._current()
            self._consecutive += 1
            if state == "half_open" or self._consecutive >= self.failures:
                if state != "open":
                    self.opened += 1
                self._state = "open"
                self._opened_at = self._clock()
                self._trial_running = False

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "state": self._current(),
                "consecutiveFailures": self._consecutive,
                "opened": self.opened,
                "refused": self.refused,
            }
