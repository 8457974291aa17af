"""OData error responses: ``{"error": {"code", "message", "details"}}`` with an HTTP status.

Everything a client can get wrong raises `ODataError`; the app turns it into this body, so bad
input never becomes a 500 or a traceback.
"""

from __future__ import annotations

from simulator.erp_server.odata.bc_errors import bc_error_body

__all__ = ["ODataError", "error_body"]


class ODataError(Exception):
    """A request the API refuses: HTTP status, a stable machine code, a message for people.

    Picklable (its args are its constructor's), so it crosses the worker/owner pipe."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def error_body(code: str, message: str, status: int = 400) -> bytes:
    """The body of an error: Business Central's code, our reason in ``details``."""
    return bc_error_body(code, message, status)


def bad_request(code: str, message: str) -> ODataError:
    return ODataError(400, code, message)
