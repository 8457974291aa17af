"""The event log of buyer actions (what adoption metrics are computed from) and the audit
trail of what reps do on an account's behalf.

Event types are exact strings the lead's adoption metrics read (see `EVENT_TYPES`). Every
row carries the acting buyer's contact and account; when a rep acts, ``rep_user_id`` is
the rep and the action is also written to ``audit``.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import orjson

from simulator.store.db import utc_now

if TYPE_CHECKING:
    from simulator.store.auth import Principal

__all__ = ["EVENT_TYPES", "record"]

EVENT_TYPES = frozenset(
    {
        "register",
        "login",
        "logout",
        "search",
        "browse",
        "view_item",
        "add_to_cart",
        "order",
        "reorder",
        "quote_request",
        "quote_accept",
        "track_order",
        "invoice_view",
        "invoice_search",
        "invoice_pay",
        "invoice_copy",
        "return_request",
        "offline_fallback",
        "act_as",
    }
)

INSERT_EVENT = (
    "INSERT INTO events(at, user_id, contact_no, customer_no, key_account, rep_user_id, type, "
    "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_AUDIT = (
    "INSERT INTO audit(at, rep_user_id, customer_no, action, detail) VALUES (?, ?, ?, ?, ?)"
)


def record(conn: sqlite3.Connection, principal: Principal, type: str, **detail: Any) -> None:
    """Append one event (and, while a rep acts for an account, an audit row), committed."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    at = utc_now()
    text = orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode() if detail else "{}"
    with conn:
        conn.execute(
            INSERT_EVENT,
            (
                at,
                principal.user_id,
                principal.contact_no,
                principal.customer_no,
                int(principal.key_account),
                principal.rep_user_id,
                type,
                text,
            ),
        )
        if principal.rep_user_id is not None and principal.customer_no is not None:
            conn.execute(
                INSERT_AUDIT, (at, principal.rep_user_id, principal.customer_no, type, text)
            )
