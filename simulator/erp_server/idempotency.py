"""Idempotency keys: a retried create returns the original document, never a second one.

The store lives with the single writer (the world's owner), and lookups and creates happen
under the owner's lock, so N concurrent retries of one key make exactly one document. A key
reused with a different request body is refused (422), as Stripe and BC-style APIs do.
Failed requests are not remembered: a retry re-runs them. Keys live in memory for `ttl`
seconds (default a day); a restart forgets them.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

import orjson

from simulator.erp_server.odata.errors import ODataError

__all__ = ["IdempotencyStore", "Remembered", "fingerprint"]

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Remembered:
    fingerprint: str
    entity_set: str
    key: str  # the created document's id
    at: float


def fingerprint(operation: str, payload: object) -> str:
    """What identifies a request: the operation and its canonical JSON body."""
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(operation.encode() + b"\0" + body).hexdigest()


class IdempotencyStore:
    """Key -> the document a request created (bounded, oldest forgotten first)."""

    def __init__(self, *, ttl: float = 86400.0, capacity: int = 100_000) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._items: OrderedDict[str, Remembered] = OrderedDict()

    @staticmethod
    def check_key(key: str) -> None:
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ODataError(
                400,
                "invalid_idempotency_key",
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
            )

    def get(self, key: str, print_: str) -> Remembered | None:
        """The remembered result for `key`; 422 if the key came with another request."""
        self._expire()
        found = self._items.get(key)
        if found is None:
            return None
        if found.fingerprint != print_:
            raise ODataError(
                422,
                "idempotency_key_reused",
                f"Idempotency-Key {key!r} was used for a different request",
            )
        return found

    def replay(self, key: str | None, print_: str) -> str | None:
        """The document id a request with this key already created; None without a key or
        when the key is new (then the request runs, and `remember` records it)."""
        if key is None:
            return None
        found = self.get(key, print_)
        return None if found is None else found.key

    def remember(self, key: str | None, print_: str, entity_set: str, document_id: str) -> None:
        """Record what a keyed request created (nothing without a key)."""
        if key is not None:
            self.put(key, print_, entity_set, document_id)

    def put(self, key: str, print_: str, entity_set: str, document_id: str) -> None:
        self._items[key] = Remembered(print_, entity_set, document_id, time.monotonic())
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def _expire(self) -> None:
        limit = time.monotonic() - self.ttl
        while self._items:
            first = next(iter(self._items.values()))
            if first.at >= limit:
                break
            self._items.popitem(last=False)
