"""A full disk, on demand: the `disk_full` fault of the writer's connection.

Switched on, the database may not grow: ``PRAGMA max_page_count`` is pinned to its current
page count, so any write that needs a new page (a world batch, most document writes) fails
with SQLite's own SQLITE_FULL. A small write can still fit into free space of existing
pages, which would make a test's outcome depend on where rows land, so every document
write also checks `refuse` first and fails the same way. Switched off, the limit is what
it was before.
"""

from __future__ import annotations

import sqlite3

__all__ = ["DiskFull", "is_full"]

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
