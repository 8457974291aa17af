"""How right is what the store shows? A sampled share of the offers shown to buyers is
checked against the ERP at that moment.

`AccuracySampler.observe` is called with every offers answer the store shows; a seeded
draw keeps each offer with probability `share` and queues it (never blocking the page; a
full queue drops samples and counts them). A background thread takes the queue, asks the
ERP for those lines in one ``POST /calculatePrices`` per customer, and records per offer
whether the shown net unit price and the shown available stock equal the ERP's, into
`accuracy_samples` and the metrics (ratios by mode). Realtime offers were the ERP's a few
milliseconds earlier, so they match unless the ERP changed in between or the offer came
from the stale cache; batch offers are as old as the last sync.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from simulator.erp_server.client import ErpApiError, ErpClient
from simulator.store.metrics import LatencyWindow, Metrics

if TYPE_CHECKING:
    from simulator.store.integration import Offer

__all__ = ["AccuracySampler", "Sample", "same_price", "same_stock"]

log = logging.getLogger("erpsim.store.accuracy")
PRICE_TOLERANCE = 5e-6  # prices carry 5 decimals
MAX_LINES = 500  # calculatePrices' limit


@dataclass(frozen=True, slots=True)
class Sample:
    customer_no: str
    offer: Offer
    seen: float  # time.monotonic() when shown


def same_price(shown: float | None, erp: float | None) -> bool:
    return shown is not None and erp is not None and abs(shown - erp) <= PRICE_TOLERANCE


def same_stock(shown: float | None, erp: float | None) -> bool:
    return shown is not None and erp is not None and abs(shown - erp) <= 1e-9


class AccuracySampler:
    """Background comparison of sampled shown offers with the ERP's answer now."""

    def __init__(
        self,
        *,
        mode: str,
        share: float,
        seed: int,
        erp_factory: Callable[[], ErpClient],
        connect: Callable[[], sqlite3.Connection],
        metrics: Metrics | None = None,
        capacity: int = 10_000,
    ) -> None:
        self.mode = mode
        self.share = share
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._erp_factory = erp_factory
        self._connect = connect
        self._metrics = metrics
        self._queue: queue.Queue[Sample | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._busy = 0  # samples taken from the queue and not yet recorded
        self._busy_lock = threading.Lock()
        self.dropped = 0
        self.checked = 0
        self.lag = LatencyWindow()  # shown → ERP asked, seconds

    @property
    def enabled(self) -> bool:
        return self.share > 0

    def observe(self, customer_no: str, offers: Iterable[Offer]) -> None:
        """Queue a seeded sample of these shown offers (cheap; never blocks)."""
        if self.share <= 0:
            return
        now = time.monotonic()
        with self._rng_lock:
            picked = [o for o in offers if o.error is None and self._rng.random() < self.share]
        for offer in picked:
            try:
                self._queue.put_nowait(Sample(customer_no, offer, now))
            except queue.Full:
                self.dropped += 1

    def start(self) -> None:
        if self.share <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="store-accuracy", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._thread = None

    def wait_idle(self, timeout: float) -> bool:
        """Until every queued sample is checked (tests, the bench); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._busy_lock:
                if self._queue.empty() and self._busy == 0:
                    return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        erp = self._erp_factory()
        conn = self._connect()
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                with self._busy_lock:
                    self._busy += 1
                batch = [first]
                stop = False
                while len(batch) < MAX_LINES:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    batch.append(more)
                with self._busy_lock:
                    self._busy += len(batch) - 1
                try:
                    self._check(erp, conn, batch)
                except Exception:  # a failed check is no sample; the loop goes on
                    log.exception("accuracy check failed")
                finally:
                    with self._busy_lock:
                        self._busy -= len(batch)
                if stop:
                    return
        finally:
            conn.close()
            erp.close()

    def _check(self, erp: ErpClient, conn: sqlite3.Connection, batch: list[Sample]) -> None:
        by_customer: dict[str, list[Sample]] = {}
        for sample in batch:
            by_customer.setdefault(sample.customer_no, []).append(sample)
        rows: list[tuple[Any, ...]] = []
        for customer_no, samples in by_customer.items():
            answers = self._ask(erp, customer_no, samples)
            if answers is None:
                continue
            at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            for sample, answer in zip(samples, answers, strict=True):
                rows.extend(self._compare(at, customer_no, sample.offer, answer))
        if rows:
            with conn:
                conn.executemany(
                    "INSERT INTO accuracy_samples"
                    " (at, mode, kind, customer_no, item_no, shown, erp, matched, stale)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        self.checked += len(batch)

    def _ask(
        self, erp: ErpClient, customer_no: str, samples: list[Sample]
    ) -> list[dict[str, Any]] | None:
        body = {
            "customerNumber": customer_no,
            "lines": [
                {
                    "itemNumber": s.offer.item_no,
                    "unitOfMeasureCode": s.offer.unit_of_measure_code,
                    "quantity": s.offer.quantity,
                }
                for s in samples
            ],
        }
        started = time.perf_counter()
        asked = time.monotonic()
        for sample in samples:
            self.lag.add(asked - sample.seen)
        try:
            response = erp.request("POST", "calculatePrices", json=body)
            value: list[dict[str, Any]] = response.json()["value"]
        except (requests.RequestException, ErpApiError, ValueError, KeyError):
            self._record_call(started, ok=False)
            return None  # the ERP is unreachable now: nothing to compare against
        self._record_call(started, ok=True)
        return value

    def _record_call(self, started: float, *, ok: bool) -> None:
        if self._metrics is not None:
            self._metrics.record_erp("accuracy", time.perf_counter() - started, ok)

    def _compare(
        self, at: str, customer_no: str, offer: Offer, answer: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        erp_price = None if answer.get("error") else answer.get("netUnitPrice")
        erp_stock = answer.get("availableQuantity")
        checks = (
            ("price", offer.net_unit_price, erp_price, same_price(offer.net_unit_price, erp_price)),
            ("stock", offer.available, erp_stock, same_stock(offer.available, erp_stock)),
        )
        rows = []
        for kind, shown, erp_value, matched in checks:
            if self._metrics is not None:
                self._metrics.record_accuracy(self.mode, kind, matched=matched, stale=offer.stale)
            rows.append(
                (at, self.mode, kind, customer_no, offer.item_no, shown, erp_value,
                 int(matched), int(offer.stale))
            )  # fmt: skip
        return rows
