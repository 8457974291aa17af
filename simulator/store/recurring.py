"""The background job that places recurring orders when they fall due (by the ERP's date,
which can run faster than ours). Each placement goes through the outbox like a checkout,
keyed by schedule and date, so a restart or a second store process never doubles it."""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = ["RecurringOrders"]

log = logging.getLogger("erpsim.store")


class RecurringOrders:
    """Checks every `interval` seconds (and once at start) for due schedules."""

    def __init__(self, ctx: Any, interval: float = 30.0) -> None:
        self._ctx = ctx
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.placed = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="store-recurring", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def run_once(self) -> list[int]:
        from simulator.store import orders  # noqa: PLC0415 - orders imports the app's parts

        today = orders.erp_today(self._ctx)
        if today is None:
            return []
        created = orders.place_due_recurring(self._ctx, today)
        self.placed += len(created)
        return created

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a failed check is retried at the next tick
                log.exception("recurring orders check failed")
            self._stop.wait(self._interval)
