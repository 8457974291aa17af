"""Sales reps: see the assigned accounts, act as one of them, stop acting.

A rep's session carries the account chosen with act-as (`sessions.acting_customer_no`);
from then on every store action runs for that account with the rep's identity beside it
(`Principal.rep_user_id`): events carry it and `events.record` writes the audit row. Only
accounts whose ERP salesperson is the rep's may be chosen; any other is a 404, as if it did
not exist. Acting is re-checked on every request of the document routes (`require_assigned`),
so an account reassigned in the ERP meanwhile stops working at once.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from typing import TYPE_CHECKING, Any

from simulator.store import ApiError, events
from simulator.store.orders import audit, check_number, check_page

if TYPE_CHECKING:
    from simulator.store.app import StoreContext
    from simulator.store.auth import Principal

__all__ = ["act_as", "list_accounts", "require_assigned", "stop_acting"]

SEARCH = re.compile(r"[\w .&'-]{1,40}")
# The mirror keeps the ERP's column names: the API's displayName is `name`.
ACCOUNT_COLUMNS = "no, name, city, country_code, key_account, blocked, segment, location_code"


def _rep_code(principal: Principal) -> str:
    if principal.role != "rep" or not principal.salesperson_code:
        raise ApiError(403, "not_a_rep", "only sales reps act for accounts")
    return principal.salesperson_code


def _account_json(row: tuple[Any, ...]) -> dict[str, Any]:
    no, name, city, country, key_account, blocked, segment, location = row
    return {
        "number": no,
        "displayName": name,
        "city": city,
        "country": country,
        "keyAccount": bool(key_account),
        "blocked": blocked,
        "segment": segment,
        "locationCode": location,
    }


def _columns(conn: sqlite3.Connection) -> str:
    """The account columns the mirror has (`country_code`, `segment` may not be mirrored)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(customers)")}
    return ", ".join(
        name if name in have else f"NULL AS {name}"
        for name in (c.strip() for c in ACCOUNT_COLUMNS.split(","))
    )


def list_accounts(
    ctx: StoreContext, principal: Principal, *, q: Any = None, page: Any = 1
) -> dict[str, Any]:
    """The rep's assigned accounts (the mirror's customers with the rep's salesperson code),
    by name; `q` filters on number or name."""
    code = _rep_code(principal)
    page = check_page(page)
    size = ctx.settings.page_size
    where, params = "salesperson_code = ?", [code]
    if q is not None and q != "":
        if not isinstance(q, str) or not SEARCH.fullmatch(q):
            raise ApiError(400, "invalid_query", "q must be 1-40 letters, digits or spaces")
        pattern = "%" + q.replace("\\", "").replace("%", "").replace("_", "") + "%"
        where += " AND (no LIKE ? OR name LIKE ?)"
        params += [pattern, pattern]
    conn = ctx.conn()
    (total,) = conn.execute(f"SELECT count(*) FROM customers WHERE {where}", params).fetchone()
    rows = conn.execute(
        f"SELECT {_columns(conn)} FROM customers WHERE {where} ORDER BY name, no LIMIT ? OFFSET ?",
        (*params, size, (page - 1) * size),
    ).fetchall()
    acting = principal.customer_no if principal.rep_user_id is not None else None
    return {
        "accounts": [_account_json(tuple(row)) for row in rows],
        "page": page,
        "pageSize": size,
        "total": int(total),
        "actingAs": acting,
    }


def _assigned(conn: sqlite3.Connection, code: str, customer_no: str) -> tuple[Any, ...] | None:
    row = conn.execute(
        f"SELECT {_columns(conn)} FROM customers WHERE no = ? AND salesperson_code = ?",
        (customer_no, code),
    ).fetchone()
    return None if row is None else tuple(row)


def act_as(ctx: StoreContext, principal: Principal, customer_no: Any) -> dict[str, Any]:
    """Act for one of the rep's accounts (404 for any other); logs ``act_as`` (audited)."""
    code = _rep_code(principal)
    customer_no = check_number(customer_no, "customerNumber")
    conn = ctx.conn()
    row = _assigned(conn, code, customer_no)
    if row is None:
        raise ApiError(404, "not_found", f"no account {customer_no} among yours")
    with conn:
        conn.execute(
            "UPDATE sessions SET acting_customer_no = ? WHERE token_hash = ?",
            (customer_no, principal.token_hash),
        )
    account = _account_json(row)
    acting = dataclasses.replace(
        principal,
        customer_no=customer_no,
        key_account=account["keyAccount"],
        rep_user_id=principal.user_id,
        contact_no=None,
    )
    events.record(conn, acting, "act_as", customer=customer_no)
    return {"actingAs": customer_no, "account": account}


def stop_acting(ctx: StoreContext, principal: Principal) -> dict[str, Any]:
    """Back to the rep's own view (no account); the end is audited too."""
    _rep_code(principal)
    conn = ctx.conn()
    audit(conn, principal, "act_as_end")
    with conn:
        conn.execute(
            "UPDATE sessions SET acting_customer_no = NULL WHERE token_hash = ?",
            (principal.token_hash,),
        )
    return {"actingAs": None}


def require_assigned(ctx: StoreContext, principal: Principal) -> Principal:
    """A rep's principal is valid only while the account is still theirs (404 otherwise);
    a buyer's passes unchanged."""
    if principal.rep_user_id is None or principal.customer_no is None:
        return principal
    code = principal.salesperson_code or ""
    if _assigned(ctx.conn(), code, principal.customer_no) is None:
        raise ApiError(404, "not_found", f"no account {principal.customer_no} among yours")
    return principal
