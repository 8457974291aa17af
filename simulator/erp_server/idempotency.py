"""Idempotency keys: a retried create returns the original document, never a second one.

Keys live in the ERP database (`erpsim_idempotency`), and a key is inserted in the same
transaction as the rows of the document it made: either both are committed or neither is.
So a restart between a lost answer and its retry still replays, and a create that failed
to commit leaves no key behind (its retry runs again). Lookups and inserts happen on the
single writer's thread, so N concurrent retries of one key make exactly one document. A key
reused with a different request body is refused (422), as Stripe and BC-style APIs do.

Keys expire `ttl` seconds of *wall* time after they were stored (default a day): clients
retry on wall-clock schedules, and simulated time may run 86,400 times faster or stand
still. Expired rows are ignored at once and deleted with a later write.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable

import orjson

from simulator.erp_server.odata.errors import ODataError

__all__ = ["IDEMPOTENCY_DDL", "IdempotencyStore", "fingerprint"]

MAX_KEY_LENGTH = 255
PURGE_EVERY = 60.0  # wall seconds between deletions of expired keys
IDEMPOTENCY_DDL = (
    "CREATE TABLE IF NOT EXISTS erpsim_idempotency ("
    " key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, entity_set TEXT NOT NULL,"
    " result TEXT NOT NULL, created_at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS erpsim_idempotency_created ON erpsim_idempotency (created_at)",
)


def fingerprint(operation: str, payload: object) -> str:
    """What identifies a request: the operation and its canonical JSON body."""
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(operation.encode() + b"\0" + body).hexdigest()


class IdempotencyStore:
    """Key -> what a request created, in the writer's connection (see the module docstring).

    `replay` reads; `record` only executes its INSERT: the caller commits it with the
    document's rows."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        ttl: float = 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn = conn
        self.ttl = ttl
        self.clock = clock
        self._purged = 0.0

    @staticmethod
    def check_key(key: str) -> None:
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ODataError(
                400,
                "invalid_idempotency_key",
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
            )

    def replay(self, key: str | None, print_: str) -> str | None:
        """What a request with this key already created (a document id, or the result text
        the caller stored); None without a key or when the key is new or expired. 422 if the
        key came with another request."""
        if key is None:
            return None
        row = self.conn.execute(
            "SELECT fingerprint, result FROM erpsim_idempotency WHERE key = ? AND created_at >= ?",
            (key, self.clock() - self.ttl),
        ).fetchone()
        if row is None:
            return None
        if row[0] != print_:
            raise ODataError(
                422,
                "idempotency_key_reused",
                f"Idempotency-Key {key!r} was used for a different request",
            )
        return str(row[1])

    def record(self, key: str | None, print_: str, entity_set: str, result: str) -> None:
        """Store what a keyed request created, in the open transaction (nothing without a
        key); expired keys are deleted along with it now and then."""
        if key is None:
            return
        now = self.clock()
        if now - self._purged >= PURGE_EVERY:
            self.conn.execute(
                "DELETE FROM erpsim_idempotency WHERE created_at < ?", (now - self.ttl,)
            )
            self._purged = now
        self.conn.execute(
            "INSERT OR REPLACE INTO erpsim_idempotency"
            " (key, fingerprint, entity_set, result, created_at) VALUES (?, ?, ?, ?, ?)",
            (key, print_, entity_set, result, now),
        )
