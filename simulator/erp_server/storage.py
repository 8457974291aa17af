"""Writes that keep nothing when they fail (`atomic`), and a full disk on demand: the
`disk_full` fault of the writer's connection.

Switched on, the database may not grow: ``PRAGMA max_page_count`` is pinned to its current
page count, so any write that needs a new page (a world batch, most document writes) fails
with SQLite's own SQLITE_FULL. A small write can still fit into free space of existing
pages, which would make a test's outcome depend on where rows land, so every document
write also checks `refuse` first and fails the same way. Switched off, the limit is what
it was before.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar, cast

from simulator.erp_server.odata.errors import ODataError

__all__ = ["DiskFull", "atomic", "is_full"]

FULL_MESSAGE = "database or disk is full"  # SQLite's own text for SQLITE_FULL


class DiskFull:
    """The disk-full switch of one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.on = False
        self._limit: int | None = None  # max_page_count before the switch went on

    def apply(self, on: bool) -> None:
        if on == self.on:
            return
        if on:
            (self._limit,) = self.conn.execute("PRAGMA max_page_count").fetchone()
            (pages,) = self.conn.execute("PRAGMA page_count").fetchone()
            self.conn.execute(f"PRAGMA max_page_count = {int(pages)}")
        elif self._limit is not None:
            self.conn.execute(f"PRAGMA max_page_count = {int(self._limit)}")
        self.on = on

    def refuse(self) -> None:
        """Raise what SQLite raises on a full disk, while the switch is on."""
        if self.on:
            raise sqlite3.OperationalError(FULL_MESSAGE)


def is_full(exc: sqlite3.Error) -> bool:
    """Whether a database error is a full disk (SQLITE_FULL)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or FULL_MESSAGE in str(exc)


F = TypeVar("F", bound=Callable[..., Any])


def atomic(method: F) -> F:
    """A write of the live ERP: if it fails past validation, nothing of it survives. The
    transaction is rolled back and the world, which may already hold the document, is
    resumed from the database (`LiveErp.recover`); a database error answers 503 (the
    client retries; its Idempotency-Key then makes the document once)."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except ODataError:
            raise
        except sqlite3.Error as exc:
            self.recover(exc)
            what = "the disk is full" if is_full(exc) else "the database refused the write"
            code = "storage_full" if is_full(exc) else "write_failed"
            raise ODataError(503, code, f"{what}: nothing was saved, retry later") from None
        except Exception as exc:
            self.recover(exc)
            raise

    return cast(F, run)
