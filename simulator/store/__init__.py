"""The reference B2B web store: a FastAPI app over its own SQLite database, integrated with
the mock ERP in real time or by batch sync.

`ApiError` is the one exception service functions raise for a user-caused problem; the
app turns it into ``{"error": {"code", "message"}}`` with its status (never a traceback).
"""

from __future__ import annotations

from simulator.store.settings import StoreSettings

__all__ = ["ApiError", "StoreSettings"]


class ApiError(Exception):
    """A 4xx (or 503) answer: HTTP status, a stable code and a message for the user."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
