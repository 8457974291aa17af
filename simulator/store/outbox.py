"""The durable outbox: what a buyer submits is committed locally first, then delivered to
the ERP, exactly once, however often the ERP fails in between.

`submit` writes the web document (status ``pending``) and its outbox row in one
transaction; the same idempotency key again returns the same document (a double-clicked
checkout makes one order). `OutboxWorker.deliver_now` tries at once while the buyer waits
(at most `timeout`); whatever is still pending is retried by the worker's thread with
exponential backoff (``outbox_backoff`` doubling up to ``outbox_backoff_max``, times a seeded
jitter in [0.75, 1.25)). Every attempt of a document carries the document's
``Idempotency-Key``, so a delivery the ERP took but whose answer was lost is answered again
with the same ERP document on the next attempt, never a second one. A 4xx answer is the
ERP refusing the request (blocked item, credit limit, already paid): the document becomes
``rejected`` with the ERP's message and is not retried. 5xx, 429, timeouts and connection
errors are retried. Pending rows live in the database, so a restarted store picks them up.

`request` holds the ERP request body of the kind, in the ERP API's field names; fields the
ERP does not know for that kind are left out, so the store may keep its own notes there:

- order: POST salesOrders with customerNumber (default: the document's), contactNumber,
  requestedDeliveryDate, the PO number (externalDocumentNumber) and ship-to fields when
  given, channel 'web', and `lines` as salesOrderLines;
- quote: POST salesQuotes, the same with salesQuoteLines;
- quote_order: POST salesQuotes({quoteId})/Microsoft.NAV.makeOrder (`quoteId`: the ERP id);
- payment: POST customerPayments with invoiceNumber, amount (optional);
- invoice_copy: POST inquiries with customerNumber, contactNumber, invoiceNumber, type
  'invoice_copy';
- return: POST returnRequests with shipmentNumber, lineSequence, quantity, reason,
  contactNumber.

Lines are ``{"itemNumber", "unitOfMeasureCode", "quantity"}``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from simulator.erp_server.client import ErpApiError, ErpClient
from simulator.store import sap_orders
from simulator.store.metrics import Metrics
from simulator.store.sap_client import SapClient
from simulator.store.settings import StoreSettings

__all__ = ["KINDS", "ORDER_HEADER_FIELDS", "Delivery", "OutboxWorker", "erp_call", "submit"]

log = logging.getLogger("erpsim.store.outbox")
KINDS = ("order", "quote", "quote_order", "payment", "invoice_copy", "return")
LINE_FIELDS = ("itemNumber", "unitOfMeasureCode", "quantity")
# Order header fields a buyer may add at checkout, with the ERP's lengths (orders.py checks
# them): the PO number (BC's externalDocumentNumber) and a ship-to address.
ORDER_HEADER_FIELDS = {
    "externalDocumentNumber": 35,
    "shipToName": 100,
    "shipToAddressLine1": 100,
    "shipToAddressLine2": 50,
    "shipToPostCode": 20,
    "shipToCity": 30,
}
BATCH = 20  # due rows taken per round
IDLE_WAIT = 1.0  # seconds between looks when nothing is due soon
BACKGROUND_TIMEOUT = 10.0  # the worker's own per-call timeout (nobody is waiting)
# Kinds the 'sap' flavor delivers through SAP's A2X services (the others have no A2X
# counterpart among the served services and go to the Business Central API of the same ERP).
SAP_KINDS = frozenset({"order"})
LOOP_BACKOFF = 0.05  # seconds after a failed round, doubling (capped by outbox_backoff_max)


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def submit(
    conn: sqlite3.Connection,
    *,
    kind: str,
    customer_no: str,
    user_id: int,
    rep_user_id: int | None,
    request: dict[str, Any],
    idempotency_key: str,
    claim: Callable[[sqlite3.Connection], None] | None = None,
) -> int:
    """Commit a web document and its outbox row (one transaction); returns the document id.
    The same `idempotency_key` again returns the first document's id. `claim(conn)` runs
    first in that transaction (a checkout takes its cart there); if it raises, nothing is
    written and the exception propagates."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    now = _now_text()
    with conn:
        if claim is not None:
            claim(conn)
        cursor = conn.execute(
            "INSERT INTO web_documents (kind, customer_no, user_id, rep_user_id,"
            " idempotency_key, status, request_json, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            (kind, customer_no, user_id, rep_user_id, idempotency_key, json.dumps(request),
             now, now),
        )  # fmt: skip
        if cursor.rowcount == 1:
            document_id = int(cursor.lastrowid or 0)
            conn.execute(
                "INSERT INTO outbox (document_id, attempts, next_attempt_at, status)"
                " VALUES (?, 0, ?, 'pending')",
                (document_id, time.time()),
            )
            return document_id
    (document_id,) = conn.execute(
        "SELECT id FROM web_documents WHERE idempotency_key = ?", (idempotency_key,)
    ).fetchone()
    return int(document_id)


@dataclass(frozen=True, slots=True)
class Delivery:
    """An ERP call for a document: method, path, JSON body (None: no body)."""

    path: str
    body: dict[str, Any] | None


def erp_call(kind: str, customer_no: str, request: dict[str, Any]) -> Delivery:
    """The ERP call that delivers a document of `kind` (see the module docstring)."""

    def pick(*names: str) -> dict[str, Any]:
        return {name: request[name] for name in names if request.get(name) is not None}

    def lines() -> list[dict[str, Any]]:
        source = request.get("lines") or request.get("salesOrderLines") or []
        source = source or request.get("salesQuoteLines") or []
        return [{k: line[k] for k in LINE_FIELDS if k in line} for line in source]

    header = {"customerNumber": request.get("customerNumber") or customer_no}
    header |= pick("contactNumber", "requestedDeliveryDate")
    if kind == "order":
        header |= pick(*ORDER_HEADER_FIELDS)
        return Delivery("salesOrders", {**header, "channel": "web", "salesOrderLines": lines()})
    if kind == "quote":
        return Delivery("salesQuotes", {**header, "channel": "web", "salesQuoteLines": lines()})
    if kind == "quote_order":
        return Delivery(f"salesQuotes({request['quoteId']})/Microsoft.NAV.makeOrder", None)
    if kind == "payment":
        return Delivery("customerPayments", pick("invoiceNumber", "amount"))
    if kind == "invoice_copy":
        body = {"customerNumber": header["customerNumber"], "type": "invoice_copy"}
        return Delivery("inquiries", body | pick("contactNumber", "invoiceNumber"))
    if kind == "return":
        fields = ("shipmentNumber", "lineSequence", "quantity", "reason", "contactNumber")
        return Delivery("returnRequests", pick(*fields))
    raise ValueError(f"unknown document kind {kind!r}")


def _erp_identity(answer: dict[str, Any]) -> tuple[str | None, str | None]:
    """(erp id, erp number) of a created document; a return answers with its credit memo."""
    number = answer.get("number") or answer.get("creditMemoNumber")
    ident = answer.get("id")
    return (str(ident) if ident else None), (str(number) if number else None)


class OutboxWorker:
    """Delivers pending web documents to the ERP; `start`/`stop` its thread."""

    def __init__(
        self,
        settings: StoreSettings,
        *,
        db_path: Path | str,
        metrics: Metrics | None = None,
        connect: Callable[[], sqlite3.Connection] | None = None,
    ) -> None:
        self.settings = settings
        self._db_path = db_path
        self._connect = connect or self._default_connect
        self.metrics = metrics
        self._rng = random.Random(settings.seed)
        self._rng_lock = threading.Lock()
        self._in_flight: set[int] = set()
        self._local = threading.local()
        self._sessions: list[SapClient] = []
        self._flight_lock = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.rejected = 0
        self.failures = 0
        self.loop_errors = 0  # rounds of the delivery loop that failed (and were retried)
        if metrics is not None:
            metrics.gauge("outbox", self.stats)

    def _default_connect(self) -> sqlite3.Connection:
        from simulator.store import db  # noqa: PLC0415 - keeps this module light to import

        return db.connect(self._db_path)

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the delivery thread; rows left pending by an earlier run are due at once."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="store-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
        with self._flight_lock:
            sessions, self._sessions = self._sessions, []
        self._local = threading.local()
        for session in sessions:
            session.close()

    # --- API -------------------------------------------------------------------------------
    def deliver_now(self, document_id: int, timeout: float) -> str:
        """Try to deliver this document at once (the caller waits at most about `timeout`);
        returns its status. On failure it stays pending for the background retries."""
        with ErpClient(
            self.settings.erp_url, api_key=self.settings.erp_key, timeout=timeout,
            max_attempts=1,
        ) as erp:  # fmt: skip
            conn = self._connect()
            try:
                self._attempt(conn, erp, document_id, wait=timeout)
                return self._status(conn, document_id)
            finally:
                conn.close()

    def drain(self, timeout: float) -> int:
        """Deliver everything due until nothing is pending or `timeout` passed (tests,
        shutdown); returns how many documents are still pending. Backoff waits are skipped."""
        deadline = time.monotonic() + timeout
        conn = self._connect()
        try:
            with self._client() as erp:
                while True:
                    pending = [
                        row[0]
                        for row in conn.execute(
                            "SELECT document_id FROM outbox WHERE status = 'pending'"
                            " ORDER BY next_attempt_at"
                        )
                    ]
                    if not pending or time.monotonic() >= deadline:
                        return len(pending)
                    for document_id in pending:
                        self._attempt(conn, erp, document_id)
                    if self._pending(conn) and time.monotonic() < deadline:
                        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        finally:
            conn.close()

    def stats(self) -> dict[str, int]:
        conn = self._connect()
        try:
            counts = dict(conn.execute("SELECT status, count(*) FROM outbox GROUP BY status"))
        finally:
            conn.close()
        return {
            "pending": counts.get("pending", 0),
            "delivered": counts.get("delivered", 0),
            "rejected": counts.get("rejected", 0),
            "failedAttempts": self.failures,
        }

    # --- the loop --------------------------------------------------------------------------
    def _client(self) -> ErpClient:
        return ErpClient(
            self.settings.erp_url,
            api_key=self.settings.erp_key,
            timeout=BACKGROUND_TIMEOUT,
            max_attempts=1,
        )

    def _run(self) -> None:
        """Rounds until stopped. A round that fails (a locked or damaged database, anything
        unexpected) is logged and the next one comes after a backoff, on a new connection:
        one bad moment must not stop deliveries until the store restarts."""
        conn: sqlite3.Connection | None = None
        erp = self._client()
        failed = 0
        try:
            while not self._stop.is_set():
                try:
                    conn = conn or self._connect()
                    wait = self._round(conn, erp)
                    failed = 0
                except Exception:
                    failed += 1
                    self.loop_errors += 1
                    log.exception("outbox round failed (%d in a row); retrying", failed)
                    wait = min(self.settings.outbox_backoff_max, LOOP_BACKOFF * 2 ** (failed - 1))
                    if conn is not None:
                        conn.close()
                    conn = None
                if wait > 0:
                    self._wake.wait(wait)
                    self._wake.clear()
        finally:
            erp.close()
            if conn is not None:
                conn.close()

    def _round(self, conn: sqlite3.Connection, erp: ErpClient) -> float:
        """Attempt the due documents; returns how long to wait before the next round (0:
        go on at once, more may be due)."""
        due = conn.execute(
            "SELECT document_id FROM outbox WHERE status = 'pending'"
            " AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
            (time.time(), BATCH),
        ).fetchall()
        for (document_id,) in due:
            if self._stop.is_set():
                break
            self._attempt(conn, erp, document_id)
        if due:
            return 0.0
        (next_at,) = conn.execute(
            "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'"
        ).fetchone()
        return IDLE_WAIT if next_at is None else min(IDLE_WAIT, max(0.005, next_at - time.time()))

    def _pending(self, conn: sqlite3.Connection) -> bool:
        found = conn.execute("SELECT 1 FROM outbox WHERE status = 'pending' LIMIT 1")
        return found.fetchone() is not None

    def _status(self, conn: sqlite3.Connection, document_id: int) -> str:
        row = conn.execute("SELECT status FROM web_documents WHERE id = ?", (document_id,))
        found = row.fetchone()
        return str(found[0]) if found else "unknown"

    def _claim(self, document_id: int, wait: float) -> bool:
        """Own this document's delivery; if another thread is delivering it, wait up to
        `wait` seconds for that attempt to end, then own it (it may be settled by then)."""
        with self._flight_lock:
            deadline = time.monotonic() + wait
            while document_id in self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._flight_lock.wait(left)
            self._in_flight.add(document_id)
            return True

    def _release(self, document_id: int) -> None:
        with self._flight_lock:
            self._in_flight.discard(document_id)
            self._flight_lock.notify_all()

    def _attempt(
        self, conn: sqlite3.Connection, erp: ErpClient, document_id: int, wait: float = 0.0
    ) -> None:
        """One delivery attempt of a pending document (skipped if another thread of this
        store is delivering it right now; a second store would be harmless too: same key)."""
        if not self._claim(document_id, wait):
            return
        try:
            row = conn.execute(
                "SELECT d.kind, d.customer_no, d.request_json, d.idempotency_key, o.attempts,"
                " d.created_at FROM outbox o JOIN web_documents d ON d.id = o.document_id"
                " WHERE o.document_id = ? AND o.status = 'pending'",
                (document_id,),
            ).fetchone()
            if row is None:
                return
            kind, customer_no, request_json, key, attempts, created_at = row
            started = time.perf_counter()
            try:
                if kind in SAP_KINDS and self.settings.erp_flavor == "sap":
                    answer = sap_orders.create_order(
                        self._sap(erp.timeout), customer_no, json.loads(request_json), key,
                        _epoch(created_at),
                    )  # fmt: skip
                else:
                    call = erp_call(kind, customer_no, json.loads(request_json))
                    # makeOrder answers 204 as BC does unless the order is asked for
                    headers = {"Idempotency-Key": key, "Prefer": "return=representation"}
                    response = erp.request("POST", call.path, json=call.body, headers=headers)
                    answer = response.json()
            except ErpApiError as exc:
                self._record(started, ok=exc.status < 500 and exc.status != 429)
                if exc.status >= 500 or exc.status in (408, 429):
                    self._retry(conn, document_id, attempts, f"{exc.status} {exc.reason}")
                else:
                    self._reject(conn, document_id, f"{exc.reason}: {exc.message}")
                return
            except (requests.RequestException, ValueError) as exc:
                self._record(started, ok=False)
                self._retry(conn, document_id, attempts, type(exc).__name__)
                return
            except (KeyError, TypeError) as exc:  # a request the store stored wrongly
                self._reject(conn, document_id, f"invalid_request: missing {exc}")
                return
            self._record(started, ok=True)
            self._accept(conn, document_id, answer)
        finally:
            self._release(document_id)

    def _sap(self, timeout: float) -> SapClient:
        """This thread's SAP session (its CSRF token is fetched once), with `timeout`."""
        sap: SapClient | None = getattr(self._local, "sap", None)
        if sap is None:
            sap = SapClient(self.settings.erp_url, api_key=self.settings.erp_key, max_attempts=1)
            self._local.sap = sap
            with self._flight_lock:
                self._sessions.append(sap)
        sap.timeout = timeout
        return sap

    def _record(self, started: float, *, ok: bool) -> None:
        if self.metrics is not None:
            self.metrics.record_erp("outbox", time.perf_counter() - started, ok)

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1` (attempts made so far >= 1)."""
        delay = min(
            self.settings.outbox_backoff_max,
            self.settings.outbox_backoff * 2 ** max(0, attempts - 1),
        )
        with self._rng_lock:
            return float(delay * (0.75 + self._rng.random() / 2))

    def _retry(self, conn: sqlite3.Connection, document_id: int, attempts: int, error: str) -> None:
        self.failures += 1
        delay = self.backoff(attempts + 1)
        with conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE document_id = ? AND status = 'pending'",
                (time.time() + delay, error, document_id),
            )
        self._wake.set()

    def _reject(self, conn: sqlite3.Connection, document_id: int, error: str) -> None:
        self.rejected += 1
        with conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, status = 'rejected', last_error = ?"
                " WHERE document_id = ?",
                (error, document_id),
            )
            conn.execute(
                "UPDATE web_documents SET status = 'rejected', error = ?, updated_at = ?"
                " WHERE id = ?",
                (error, _now_text(), document_id),
            )

    def _accept(self, conn: sqlite3.Connection, document_id: int, answer: Any) -> None:
        self.delivered += 1
        ident, number = _erp_identity(answer if isinstance(answer, dict) else {})
        with conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, status = 'delivered',"
                " delivered_at = ?, last_error = NULL WHERE document_id = ?",
                (time.time(), document_id),
            )
            conn.execute(
                "UPDATE web_documents SET status = 'accepted', erp_id = ?, erp_number = ?,"
                " error = NULL, updated_at = ? WHERE id = ?",
                (ident, number, _now_text(), document_id),
            )
