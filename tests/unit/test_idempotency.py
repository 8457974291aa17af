"""Idempotency keys in SQLite: replayed within the TTL (wall time, here a clock we move),
gone after it, refused with another body, kept only by a commit."""

from __future__ import annotations

import sqlite3

import pytest

from simulator.erp_server.idempotency import IDEMPOTENCY_DDL, IdempotencyStore
from simulator.erp_server.odata.errors import ODataError


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(tmp_path, clock: Clock) -> IdempotencyStore:
    conn = sqlite3.connect(tmp_path / "keys.sqlite")
    for statement in IDEMPOTENCY_DDL:
        conn.execute(statement)
    return IdempotencyStore(conn, ttl=60.0, clock=clock)


def test_a_key_replays_until_it_expires(keys: IdempotencyStore, clock: Clock) -> None:
    assert keys.replay("k", "print") is None
    keys.record("k", "print", "salesOrders", "id-1")
    keys.conn.commit()
    assert keys.replay("k", "print") == "id-1"
    assert keys.replay(None, "print") is None
    clock.now += 60.0  # the TTL itself: still there
    assert keys.replay("k", "print") == "id-1"
    clock.now += 0.5
    assert keys.replay("k", "print") is None
    keys.record("k", "print", "salesOrders", "id-2")  # stored again once expired
    keys.conn.commit()
    assert keys.replay("k", "print") == "id-2"
    assert keys.conn.execute("SELECT count(*) FROM erpsim_idempotency").fetchone() == (1,)


def test_expired_keys_are_deleted_with_a_later_write(keys: IdempotencyStore, clock: Clock) -> None:
    keys.record("old", "p", "salesOrders", "id-1")
    clock.now += 3600.0
    keys.record("new", "p", "salesOrders", "id-2")
    keys.conn.commit()
    assert keys.conn.execute("SELECT key FROM erpsim_idempotency").fetchall() == [("new",)]


def test_another_body_is_a_422_and_an_uncommitted_key_is_no_key(
    keys: IdempotencyStore,
) -> None:
    keys.record("k", "print", "salesOrders", "id-1")
    keys.conn.commit()
    with pytest.raises(ODataError) as refused:
        keys.replay("k", "other print")
    assert (refused.value.status, refused.value.code) == (422, "idempotency_key_reused")
    keys.record("lost", "print", "salesOrders", "id-2")
    keys.conn.rollback()  # the document's write failed: its key goes with it
    assert keys.replay("lost", "print") is None
