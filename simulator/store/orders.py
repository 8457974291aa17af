"""Checkout, order history, tracking and reorder: the buyer's orders, wherever they came from.

Orders live in the ERP; the store keeps only what it asked for (`web_documents`) until the
ERP has it. Checkout commits the order locally first and hands it to the outbox, which
delivers it with an idempotency key: when the ERP is down the buyer gets an
accepted-pending order instead of an error. History merges the ERP's orders of the account
(every channel: phone, EDI and the rest too) with the store's own orders still waiting for
the ERP, and falls back to those alone, marked stale, when the ERP cannot be reached.

The helpers at the top (`erp_rows`, `find_document`, `submit`, validation) are shared with
`quotes.py` and `invoices.py`: one way to read an ERP document of the account (another
account's is a 404, never its data) and one way to send a web document through the outbox.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
import requests

from simulator.erp_server.client import ErpApiError
from simulator.store import ApiError, carts, catalog, events, outbox, sap_orders
from simulator.store.credit import refusal_reason, refusal_sentence
from simulator.store.db import utc_now

if TYPE_CHECKING:
    from simulator.store.app import StoreContext
    from simulator.store.auth import Principal
    from simulator.store.sap_client import SapClient

T = TypeVar("T")

__all__ = [
    "DELIVERY_WAIT",
    "ERP_DATE",
    "ORDER_HEADER_FIELDS",
    "ErpUnavailable",
    "audit",
    "check_order_header",
    "checkout",
    "closed_cart",
    "document_date",
    "document_view",
    "erp_get",
    "erp_rows",
    "erp_today",
    "find_document",
    "get_document",
    "list_orders",
    "order_detail",
    "place_due_recurring",
    "reorder",
    "submit",
]

READ_TIMEOUT = 3.0  # seconds for one ERP read a buyer waits for
DELIVERY_WAIT = 2.0  # seconds the buyer waits for the ERP before getting accepted-pending
MAX_PAGE = 10_000
MAX_CART_LINES = 200
MAX_AHEAD_DAYS = 366  # a requested delivery date at most a year ahead
EVERY_DAYS = (7, 365)  # recurrence bounds
PRICE_TOLERANCE = 0.005
NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,29}")
CLIENT_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
WEB_ORDER_KINDS = ("order", "quote_order")
MESSAGES = {
    "accepted": "the ERP has it as {number}",
    "pending": (
        "saved: the ERP is not reachable right now, the store sends it as soon as it is "
        "(exactly once)"
    ),
    "rejected": "the ERP refused it: {refusal}",
}


# What a buyer may add to an order's header at checkout (`outbox.ORDER_HEADER_FIELDS`: the
# PO number and a ship-to address other than the account's). A ship-to address needs its
# street, post code and city (the ERP would fill a missing one from the account's address:
# half of one address, half of another).
ORDER_HEADER_FIELDS = outbox.ORDER_HEADER_FIELDS
SHIP_TO_REQUIRED = ("shipToAddressLine1", "shipToPostCode", "shipToCity")
FIELD_LABELS = {
    "externalDocumentNumber": "PO number",
    "shipToName": "ship-to name",
    "shipToAddressLine1": "ship-to address",
    "shipToAddressLine2": "ship-to address line 2",
    "shipToPostCode": "ship-to post code",
    "shipToCity": "ship-to city",
}


class ErpUnavailable(Exception):
    """The ERP did not answer (connection refused, timeout, 5xx, 429) after the retries."""


# --- validation ---------------------------------------------------------------------------


def check_number(value: Any, what: str = "number") -> str:
    """An ERP document number as a user may send it (also safe inside an OData literal)."""
    if not isinstance(value, str) or not NUMBER.fullmatch(value):
        raise ApiError(400, "invalid_number", f"{what} must be 1-30 letters, digits, - or _")
    return value


def check_page(page: Any) -> int:
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise ApiError(400, "invalid_page", f"page must be an integer 1..{MAX_PAGE}")
    return page


def check_quantity(value: Any, what: str = "quantity", limit: float = 100_000) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, "invalid_quantity", f"{what} must be a number")
    if not math.isfinite(value) or value <= 0 or value > limit:
        raise ApiError(400, "invalid_quantity", f"{what} must be > 0 and at most {limit:g}")
    return float(value)


def check_date(value: Any, what: str) -> dt.date:
    if not isinstance(value, str) or len(value) != 10:
        raise ApiError(400, "invalid_date", f"{what} must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "invalid_date", f"{what} must be a date YYYY-MM-DD") from None


def check_order_header(values: Any) -> dict[str, str]:
    """The PO number and ship-to fields of a checkout, trimmed; blank ones left out. 400
    for an unknown field, a value that is not text, too long, or holds control characters,
    and for a ship-to address without its street, post code or city."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ApiError(400, "invalid_header", "the order header must be an object")
    header: dict[str, str] = {}
    for name, value in values.items():
        if name not in ORDER_HEADER_FIELDS:
            raise ApiError(400, "invalid_header", f"unknown order field {name!r}")
        label = FIELD_LABELS[name]
        if value is None:
            continue
        if not isinstance(value, str):
            raise ApiError(400, "invalid_header", f"{label} must be text")
        text = value.strip()
        if len(text) > ORDER_HEADER_FIELDS[name]:
            raise ApiError(
                400, "invalid_header", f"{label} has at most {ORDER_HEADER_FIELDS[name]} characters"
            )
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise ApiError(400, "invalid_header", f"{label} must be one line of text")
        if text:
            header[name] = text
    if any(name.startswith("shipTo") for name in header):
        missing = [FIELD_LABELS[name] for name in SHIP_TO_REQUIRED if name not in header]
        if missing:
            raise ApiError(400, "invalid_ship_to", "a ship-to address needs " + ", ".join(missing))
    return header


def idempotency_key(
    principal: Principal, scope: str, client_key: Any, default: str | None = None
) -> str:
    """The outbox key: the client's own (scoped to the user, so two users' keys never
    collide), else `default` (a natural key: a double click makes one document), else new."""
    if client_key is not None:
        if not isinstance(client_key, str) or not CLIENT_KEY.fullmatch(client_key):
            raise ApiError(
                400, "invalid_idempotency_key", "idempotencyKey must be 8-100 chars [A-Za-z0-9_.:-]"
            )
        return f"{scope}:{principal.customer_no}:{principal.user_id}:{client_key}"
    return f"{scope}:{principal.customer_no}:{default or uuid.uuid4().hex}"


# --- reading the ERP --------------------------------------------------------------------


def erp_get(ctx: StoreContext, path: str, params: dict[str, Any] | None = None) -> Any:
    """One GET on the ERP, once: a buyer waiting for a page is better served by a quick
    "unavailable" than by retries that honour a long Retry-After (the shared client's
    policy, right for the background jobs). ErpUnavailable when it does not answer."""
    url = ctx.erp.url_for("GET", path)
    try:
        response = ctx.erp.session.get(url, params=params, timeout=READ_TIMEOUT)
    except requests.RequestException as exc:
        raise ErpUnavailable(type(exc).__name__) from None
    with response:
        if response.status_code == 429 or response.status_code >= 500:
            raise ErpUnavailable(str(response.status_code))
        if response.status_code >= 400:
            said = response.text[:200] or "no body"
            raise ApiError(
                503, "erp_error", f"the ERP refused the query ({response.status_code}): {said}"
            )
        try:
            return response.json()
        except ValueError:
            raise ErpUnavailable("not JSON") from None


def sap_read(call: Callable[[], T]) -> T:
    """One read through SAP's services (the session makes one attempt with the buyer's
    timeout): ErpUnavailable when the ERP does not answer, 503 erp_error when it refuses."""
    try:
        return call()
    except requests.RequestException as exc:
        raise ErpUnavailable(type(exc).__name__) from None
    except (ValueError, KeyError):
        raise ErpUnavailable("not an OData V2 answer") from None
    except ErpApiError as exc:
        if exc.status == 429 or exc.status >= 500:
            raise ErpUnavailable(str(exc.status)) from None
        raise ApiError(503, "erp_error", f"the ERP refused the query: {exc}") from None


def erp_rows(
    ctx: StoreContext,
    entity_set: str,
    *,
    filter: str,
    orderby: str | None = None,
    expand: str | None = None,
    top: int | None = None,
    skip: int | None = None,
    count: bool = False,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of an ERP collection (and `@odata.count` when asked). Callers build
    `filter` from validated values only."""
    params: dict[str, Any] = {"$filter": filter}
    for name, value in (("orderby", orderby), ("expand", expand), ("top", top), ("skip", skip)):
        if value is not None:
            params[f"${name}"] = value
    if count:
        params["$count"] = "true"
    page = erp_get(ctx, entity_set, params)
    total = page.get("@odata.count") if count else None
    return list(page.get("value", [])), None if total is None else int(total)


def unavailable() -> ApiError:
    return ApiError(
        503,
        "erp_unavailable",
        "the ERP is not reachable right now; try again in a moment",
        {"Retry-After": "5"},
    )


def find_document(
    ctx: StoreContext,
    principal: Principal,
    entity_set: str,
    number: str,
    *,
    expand: str | None = None,
    what: str = "document",
) -> dict[str, Any]:
    """The account's ERP document with this number; another account's (or none) is a 404."""
    number = check_number(number, f"{what} number")
    try:
        rows, _ = erp_rows(ctx, entity_set, filter=f"number eq '{number}'", expand=expand, top=1)
    except ErpUnavailable:
        raise unavailable() from None
    if not rows or rows[0].get("customerNumber") != principal.customer_no:
        raise ApiError(404, "not_found", f"no {what} {number}")
    return rows[0]


def erp_today(ctx: StoreContext) -> dt.date | None:
    """The ERP's business date (its clock, not ours): asked now, else as of the last sync;
    None when neither is known."""
    try:
        return dt.date.fromisoformat(str(erp_get(ctx, "$clock")["today"])[:10])
    except (ErpUnavailable, ApiError, KeyError, TypeError, ValueError):
        pass
    synchronizer = getattr(ctx.integration, "synchronizer", None)
    known = getattr(synchronizer, "today", None)
    return known if isinstance(known, dt.date) else None


# --- web documents through the outbox ---------------------------------------------------

# The store's note in a document's request: the ERP's business date when it was made (what
# the store shows as its date until the ERP has the document; not sent to the ERP).
ERP_DATE = "erpDate"


def document_date(row: dict[str, Any], request: dict[str, Any]) -> str:
    """A web document's date on the ERP's calendar (the wall-clock day only for documents
    made while the ERP's date was unknown)."""
    return str(request.get(ERP_DATE) or row["created_at"][:10])


DOCUMENT_COLUMNS = (
    "id, kind, customer_no, user_id, rep_user_id, status, request_json, erp_id, erp_number, "
    "error, created_at, updated_at"
)


def _document_row(conn: sqlite3.Connection, document_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {DOCUMENT_COLUMNS} FROM web_documents WHERE id = ?", (document_id,)
    ).fetchone()
    if row is None:
        return None
    names = [c.strip() for c in DOCUMENT_COLUMNS.split(",")]
    return dict(zip(names, row, strict=True))


def document_view(row: dict[str, Any]) -> dict[str, Any]:
    """What a buyer sees of a web document: its state and a sentence saying it."""
    status = row["status"]
    refusal = refusal_sentence(row["error"]) if status == "rejected" else ""
    message = MESSAGES[status].format(number=row["erp_number"], refusal=refusal)
    return {
        "document": row["id"],
        "kind": row["kind"],
        "status": status,
        "erpNumber": row["erp_number"],
        "message": message,
        "reason": refusal_reason(row["error"]) or None if status == "rejected" else None,
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "request": orjson.loads(row["request_json"]),
    }


def cart_document(
    conn: sqlite3.Connection, principal: Principal, kind: str, cart_id: int
) -> int | None:
    """The latest document of `kind` made from this cart (a second click on a closed cart
    answers the first click's document)."""
    row = conn.execute(
        "SELECT id FROM web_documents WHERE customer_no = ? AND user_id = ? AND kind = ? "
        "AND json_extract(request_json, '$.cart') = ? ORDER BY id DESC LIMIT 1",
        (principal.customer_no, principal.user_id, kind, cart_id),
    ).fetchone()
    return None if row is None else int(row[0])


def existing_document(conn: sqlite3.Connection, principal: Principal, key: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM web_documents WHERE idempotency_key = ? AND customer_no = ?",
        (key, principal.customer_no),
    ).fetchone()
    return None if row is None else int(row[0])


def submit(
    ctx: StoreContext,
    principal: Principal,
    kind: str,
    request: dict[str, Any],
    key: str,
    *,
    claim: Any = None,
    after_commit: Any = None,
) -> dict[str, Any]:
    """Commit the document and its outbox row locally, then give the ERP `DELIVERY_WAIT`
    seconds: accepted, rejected, or pending (the outbox keeps trying). `claim(conn)` runs in
    the document's transaction (take the cart; raising writes nothing); `after_commit(conn,
    document_id)` runs once the document exists."""
    if ctx.outbox is None:
        raise ApiError(503, "outbox_unavailable", "the store cannot take documents right now")
    conn = ctx.conn()
    document_id = outbox.submit(
        conn,
        kind=kind,
        customer_no=principal.customer_no,
        user_id=principal.user_id,
        rep_user_id=principal.rep_user_id,
        request=request,
        idempotency_key=key,
        claim=claim,
    )
    if after_commit is not None:
        after_commit(conn, document_id)
    ctx.outbox.deliver_now(document_id, timeout=DELIVERY_WAIT)
    row = _document_row(conn, document_id)
    assert row is not None
    if row["status"] == "pending":
        events.record(conn, principal, "offline_fallback", document=document_id, kind=kind)
    return document_view(row)


def audit(conn: sqlite3.Connection, principal: Principal, action: str, **detail: Any) -> None:
    """Reads without an event type of their own are still audited while a rep acts (actions
    with an event are audited by `events.record`)."""
    if principal.rep_user_id is None or principal.customer_no is None:
        return
    text = orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode()
    with conn:
        conn.execute(
            "INSERT INTO audit(at, rep_user_id, customer_no, action, detail) VALUES (?,?,?,?,?)",
            (utc_now(), principal.rep_user_id, principal.customer_no, action, text),
        )


def get_document(ctx: StoreContext, principal: Principal, document_id: int) -> dict[str, Any]:
    """One of the account's web documents (how an accepted-pending order is followed)."""
    row = _document_row(ctx.conn(), document_id)
    if row is None or row["customer_no"] != principal.customer_no:
        raise ApiError(404, "not_found", f"no web document {document_id}")
    return document_view(row)


# --- checkout -----------------------------------------------------------------------------


def _cart(conn: sqlite3.Connection, principal: Principal, cart_id: Any) -> tuple[Any, ...]:
    """(id, name, status, updated_at) of the principal's cart; anyone else's: 404."""
    if isinstance(cart_id, bool) or not isinstance(cart_id, int) or not 0 < cart_id < 2**62:
        raise ApiError(400, "invalid_cart", "cart id must be a positive integer")
    row = conn.execute(
        "SELECT id, name, status, updated_at FROM carts "
        "WHERE id = ? AND user_id = ? AND customer_no = ?",
        (cart_id, principal.user_id, principal.customer_no),
    ).fetchone()
    if row is None:
        raise ApiError(404, "not_found", f"no cart {cart_id}")
    return tuple(row)


def cart_document_lines(
    ctx: StoreContext, principal: Principal, cart_id: int
) -> list[tuple[str, str, float]]:
    """The cart's lines, checked against the mirror (orderable now, in the assortment)."""
    conn = ctx.conn()
    lines = [
        (line.item_no, line.unit_of_measure_code, line.quantity)
        for line in carts.cart_lines(conn, principal, cart_id)
    ]
    if not lines:
        raise ApiError(409, "cart_empty", "the cart has no lines")
    if len(lines) > MAX_CART_LINES:
        raise ApiError(409, "cart_too_large", f"at most {MAX_CART_LINES} lines per order")
    status = item_status(ctx, principal.customer_no or "", [item for item, _, _ in lines])
    bad = [f"{item} ({status[item]})" for item, _, _ in lines if status[item] != "ok"]
    if bad:
        raise ApiError(409, "cart_invalid", "cannot be ordered: " + ", ".join(bad[:10]))
    return lines


def item_status(ctx: StoreContext, customer_no: str, items: Iterable[str]) -> dict[str, str]:
    """Per item: 'ok', 'blocked', 'not_in_assortment' or 'unknown' (from the mirror)."""
    conn = ctx.conn()
    wanted = sorted(set(items))
    result = dict.fromkeys(wanted, "unknown")
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for no, category, blocked in conn.execute(
            f"SELECT no, item_category_code, blocked FROM items WHERE no IN ({marks})", chunk
        ):
            if not catalog.in_assortment(ctx, customer_no, category):
                result[no] = "not_in_assortment"
            else:
                result[no] = "blocked" if blocked else "ok"
    return result


def _recurrence(value: Any) -> int | None:
    if value is None:
        return None
    every = value.get("everyDays") if isinstance(value, dict) else None
    low, high = EVERY_DAYS
    if isinstance(every, bool) or not isinstance(every, int) or not low <= every <= high:
        raise ApiError(400, "invalid_recurrence", f"recurrence.everyDays must be {low}..{high}")
    if set(value) - {"everyDays"}:
        raise ApiError(400, "invalid_recurrence", "recurrence has only everyDays")
    return every


def check_delivery_date(value: Any, today: dt.date | None) -> dt.date:
    """Not before the ERP's today, at most a year ahead (the ERP's calendar, not ours;
    `today` from `erp_today`, None when unknown: then only the format is checked)."""
    wanted = check_date(value, "requestedDeliveryDate")
    if today is not None:
        if wanted < today:
            raise ApiError(
                400, "invalid_date", f"requestedDeliveryDate is before today ({today.isoformat()})"
            )
        if wanted > today + dt.timedelta(days=MAX_AHEAD_DAYS):
            raise ApiError(400, "invalid_date", "requestedDeliveryDate is more than a year ahead")
    return wanted


def order_request(
    principal: Principal, lines: Sequence[tuple[str, str, float]], delivery: dt.date
) -> dict[str, Any]:
    """The ERP's sales order body (what the outbox posts)."""
    request: dict[str, Any] = {
        "customerNumber": principal.customer_no,
        "requestedDeliveryDate": delivery.isoformat(),
        "channel": "web",
        "salesOrderLines": [
            {"itemNumber": item, "unitOfMeasureCode": unit, "quantity": qty}
            for item, unit, qty in lines
        ],
    }
    if principal.contact_no:
        request["contactNumber"] = principal.contact_no
    return request


def checkout(
    ctx: StoreContext,
    principal: Principal,
    cart_id: Any,
    *,
    requested_delivery_date: Any,
    recurrence: Any = None,
    header: Any = None,
    client_key: Any = None,
) -> dict[str, Any]:
    """Order the cart: committed locally, then delivered through the outbox. Asking again
    with the same key (a double click, a retried request) answers the same document.
    `header`: the PO number and ship-to fields (`check_order_header`)."""
    conn = ctx.conn()
    cart_no, _, status, updated_at = _cart(conn, principal, cart_id)
    key = idempotency_key(principal, "order", client_key, f"cart:{cart_no}:{updated_at}")
    replay = existing_document(conn, principal, key)
    if replay is not None:
        return {**get_document(ctx, principal, replay), "replayed": True}
    every = _recurrence(recurrence)
    extras = check_order_header(header)
    today = erp_today(ctx)
    delivery = check_delivery_date(requested_delivery_date, today)
    if status != "open":
        return closed_cart(ctx, principal, "order", cart_no, key)
    lines = cart_document_lines(ctx, principal, cart_no)
    request = {**order_request(principal, lines, delivery), **extras, "cart": cart_no}
    if today is not None:
        request[ERP_DATE] = today.isoformat()

    def claim(conn: sqlite3.Connection) -> None:
        carts.claim_cart(conn, principal, cart_no, "ordered")

    def schedule(conn: sqlite3.Connection, document_id: int) -> None:
        if every is not None:
            with conn:
                conn.execute(
                    "INSERT INTO recurring_orders(document_id, every_days, next_date) "
                    "VALUES (?, ?, ?)",
                    (document_id, every, (delivery + dt.timedelta(days=every)).isoformat()),
                )

    try:
        view = submit(ctx, principal, "order", request, key, claim=claim, after_commit=schedule)
    except carts.CartTaken:  # another checkout of this cart claimed it meanwhile
        return closed_cart(ctx, principal, "order", cart_no, key)
    if view["status"] == "rejected":  # the buyer fixes the cart and orders again
        with conn:
            conn.execute(
                "UPDATE carts SET status = 'open', updated_at = ? WHERE id = ?",
                (utc_now(), cart_no),
            )
            conn.execute("UPDATE recurring_orders SET active = 0 WHERE document_id = ?",
                         (view["document"],))  # fmt: skip
    else:
        events.record(
            conn,
            principal,
            "order",
            document=view["document"],
            lines=len(lines),
            reorder=_is_reorder_cart(conn, principal, cart_no),
        )
    recurring = None if every is None else {"everyDays": every}
    return {**view, "cart": cart_no, "recurrence": recurring}


CLOSED_BY = {"order": "ordered", "quote": "quoted"}  # a cart's status after each kind


def closed_cart(
    ctx: StoreContext, principal: Principal, kind: str, cart_no: int, key: str
) -> dict[str, Any]:
    """The answer to a checkout (`kind` 'order') or quote request ('quote') of a cart that
    is no longer open: the document that closed it (this request's own key first, then the
    cart's latest document of `kind`), marked replayed; 409 if no such document exists (the
    cart was closed the other way). So N concurrent checkouts of one cart make one order,
    and every one of them answers with it."""
    conn = ctx.conn()
    (status,) = conn.execute("SELECT status FROM carts WHERE id = ?", (cart_no,)).fetchone()
    first = existing_document(conn, principal, key)
    if first is None and status == CLOSED_BY[kind]:
        first = cart_document(conn, principal, kind, cart_no)
    if first is None:
        raise ApiError(409, "cart_not_open", f"cart {cart_no} is already {status}")
    return {**get_document(ctx, principal, first), "cart": cart_no, "replayed": True}


def _is_reorder_cart(conn: sqlite3.Connection, principal: Principal, cart_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM events WHERE type = 'reorder' AND customer_no = ? "
        "AND json_extract(detail, '$.cart') = ? LIMIT 1",
        (principal.customer_no, cart_id),
    ).fetchone()
    return row is not None


def place_due_recurring(ctx: StoreContext, today: dt.date) -> list[int]:
    """Submit the next order of every active recurring schedule due by `today` (the ERP's
    date) through the outbox, and move each schedule on. Returns the new document ids.
    (A background loop or a CLI command calls it; the buyer's first order made the
    schedule.)"""
    conn = ctx.conn()
    created: list[int] = []
    due = conn.execute(
        "SELECT r.id, r.every_days, r.next_date, d.customer_no, d.user_id, d.rep_user_id, "
        "d.request_json FROM recurring_orders r JOIN web_documents d ON d.id = r.document_id "
        "WHERE r.active = 1 AND r.next_date <= ? ORDER BY r.id",
        (today.isoformat(),),
    ).fetchall()
    for schedule, every, next_date, customer, user, rep, request_json in due:
        request = orjson.loads(request_json)
        request["requestedDeliveryDate"] = next_date
        request[ERP_DATE] = today.isoformat()
        key = f"recurring:{schedule}:{next_date}"
        document_id = outbox.submit(
            conn,
            kind="order",
            customer_no=customer,
            user_id=user,
            rep_user_id=rep,
            request=request,
            idempotency_key=key,
        )
        following = dt.date.fromisoformat(next_date) + dt.timedelta(days=every)
        with conn:
            conn.execute(
                "UPDATE recurring_orders SET next_date = ? WHERE id = ?",
                (following.isoformat(), schedule),
            )
        created.append(document_id)
    return created


# --- history and tracking -----------------------------------------------------------------

ORDER_FIELDS = (
    "number",
    "orderDate",
    "requestedDeliveryDate",
    "status",
    "channel",
    "quoteNumber",
    "currencyCode",
    "totalAmountExcludingTax",
)
# What tracking shows on top: the PO number and where the order goes.
ORDER_DETAIL_FIELDS = (
    "externalDocumentNumber",
    "shipToName",
    "shipToAddressLine1",
    "shipToAddressLine2",
    "shipToPostCode",
    "shipToCity",
    "shipToCountry",
)


# The store shows the order's lifecycle (Released, Shipped...), which the ERP keeps beside
# BC's three API statuses.
ERP_NAMES = {"status": "lifecycleStatus"}


def erp_fields(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """`names` of an ERP document as the store shows them."""
    return {name: row.get(ERP_NAMES.get(name, name)) for name in names}


def _order_summary(row: dict[str, Any], documents: dict[str, int]) -> dict[str, Any]:
    summary = erp_fields(row, ORDER_FIELDS)
    summary["source"] = "erp"
    summary["document"] = documents.get(str(row.get("number")))
    return summary


def local_orders(
    conn: sqlite3.Connection, customer_no: str, statuses: Sequence[str]
) -> list[dict[str, Any]]:
    """The account's web orders the store holds in the given states, newest first."""
    marks = ",".join("?" * len(statuses))
    rows = conn.execute(
        f"SELECT {DOCUMENT_COLUMNS} FROM web_documents WHERE customer_no = ? "
        f"AND kind IN ('order', 'quote_order') AND status IN ({marks}) ORDER BY id DESC",
        (customer_no, *statuses),
    ).fetchall()
    names = [c.strip() for c in DOCUMENT_COLUMNS.split(",")]
    result = []
    for values in rows:
        row = dict(zip(names, values, strict=True))
        request = orjson.loads(row["request_json"])
        result.append(
            {
                "number": row["erp_number"],
                "orderDate": document_date(row, request),
                "requestedDeliveryDate": request.get("requestedDeliveryDate"),
                "status": {"pending": "Pending (web)", "rejected": "Rejected"}.get(
                    row["status"], "Sent"
                ),
                "channel": "web",
                "quoteNumber": request.get("quoteNumber"),
                "currencyCode": None,
                "totalAmountExcludingTax": None,
                "lines": len(request.get("salesOrderLines", [])),
                "source": "store",
                "document": row["id"],
                "documentStatus": row["status"],
            }
        )
    return result


def list_orders(
    ctx: StoreContext, principal: Principal, page: Any = 1, page_size: int | None = None
) -> dict[str, Any]:
    """The account's orders, newest first: the ERP's (all channels) plus the web orders
    still on their way; only the store's own, marked stale, when the ERP is unreachable."""
    page = check_page(page)
    size = page_size or ctx.settings.page_size
    customer = principal.customer_no or ""
    conn = ctx.conn()
    try:
        if ctx.sap is not None:
            sap = ctx.sap
            rows, total = sap_read(
                lambda: sap_orders.orders_page(sap, customer, top=size, skip=(page - 1) * size)
            )
        else:
            rows, total = erp_rows(
                ctx,
                "salesOrders",
                filter=f"customerNumber eq '{check_number(customer, 'customer')}'",
                orderby="orderDate desc,number desc",
                top=size,
                skip=(page - 1) * size,
                count=True,
            )
    except ErpUnavailable:
        mine = local_orders(conn, customer, ("pending", "accepted", "rejected"))
        events.record(conn, principal, "offline_fallback", view="orders")
        chunk = mine[(page - 1) * size : page * size]
        return {"orders": chunk, "page": page, "pageSize": size, "total": len(mine),
                "stale": True}  # fmt: skip
    documents = dict(
        conn.execute(
            "SELECT erp_number, id FROM web_documents WHERE customer_no = ? AND kind IN "
            "('order', 'quote_order') AND erp_number IS NOT NULL",
            (customer,),
        ).fetchall()
    )
    orders = [_order_summary(row, documents) for row in rows]
    audit(conn, principal, "orders", page=page)
    waiting = local_orders(conn, customer, ("pending", "rejected")) if page == 1 else []
    return {
        "orders": waiting + orders,
        "page": page,
        "pageSize": size,
        "total": (total or 0) + len(waiting),
        "stale": False,
    }


def order_detail(ctx: StoreContext, principal: Principal, number: Any) -> dict[str, Any]:
    """Tracking: the order with its lines, its shipments (with lines) and its invoices."""
    if ctx.sap is not None:
        order, shipments, invoices = _sap_order(ctx.sap, principal, number)
    else:
        order = find_document(
            ctx, principal, "salesOrders", number, expand="salesOrderLines", what="order"
        )
        customer = principal.customer_no
        where = f"orderNumber eq '{order['number']}' and customerNumber eq '{customer}'"
        try:
            shipments, _ = erp_rows(
                ctx, "salesShipments", filter=where, expand="salesShipmentLines",
                orderby="shipmentDate,number",
            )  # fmt: skip
            invoices, _ = erp_rows(ctx, "salesInvoices", filter=where, orderby="postingDate,number")
        except ErpUnavailable:
            raise unavailable() from None
    number = order["number"]
    lines = [_order_line(line) for line in order.get("salesOrderLines", [])]
    events.record(ctx.conn(), principal, "track_order", order=number)
    return {
        **erp_fields(order, ORDER_FIELDS),
        **erp_fields(order, ORDER_DETAIL_FIELDS),
        "contactNumber": order.get("contactNumber"),
        "lines": lines,
        "shipments": [
            {
                "number": s["number"],
                "shipmentDate": s.get("shipmentDate"),
                "locationCode": s.get("locationCode"),
                "lines": [
                    {
                        "sequence": line.get("sequence"),
                        "orderSequence": line.get("orderSequence"),
                        "itemNumber": line.get("itemNumber"),
                        "unitOfMeasureCode": line.get("unitOfMeasureCode"),
                        "quantity": line.get("quantity"),
                    }
                    for line in s.get("salesShipmentLines", [])
                ],
            }
            for s in shipments
        ],
        "invoices": [
            {
                name: inv.get(name)
                for name in (
                    "number",
                    "postingDate",
                    "dueDate",
                    "status",
                    "totalAmountExcludingTax",
                    "remainingAmount",
                    "shipmentNumber",
                )
            }
            for inv in invoices
        ],
    }


def _sap_order(
    sap: SapClient, principal: Principal, number: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The account's order from SAP with its deliveries and billing documents."""
    number = check_number(number, "order number")
    try:
        order, shipments, invoices = sap_read(lambda: sap_orders.order_detail(sap, number))
    except ErpUnavailable:
        raise unavailable() from None
    if order is None or order.get("customerNumber") != principal.customer_no:
        raise ApiError(404, "not_found", f"no order {number}")
    return order, shipments, invoices


def _order_line(line: dict[str, Any]) -> dict[str, Any]:
    return {
        name: line.get(name)
        for name in (
            "sequence",
            "itemNumber",
            "unitOfMeasureCode",
            "quantity",
            "unitPrice",
            "discountPercent",
            "lineAmount",
            "shippedQuantity",
            "invoicedQuantity",
        )
    }


# --- reorder ------------------------------------------------------------------------------

NOTICE_TEXT = {
    "price_changed": "the price changed since this order",
    "stock_short": "not enough stock for the full quantity right now",
    "blocked": "this item can no longer be ordered (blocked); left out",
    "item_blocked": "this item can no longer be ordered (blocked)",
    "not_in_assortment": "this item is no longer in your assortment; left out",
    "unknown": "this item no longer exists; left out",
    "unit_unavailable": "this unit of measure is no longer sold for the item; left out",
    "duplicate_item": "the item is already in the cart in another unit; left out",
    "no_price": "no price available right now (price on request)",
}


def _net(unit_price: float, discount: float) -> float:
    return round(unit_price * (1 - discount / 100.0), 5)


def _units(conn: sqlite3.Connection, items: Iterable[str]) -> dict[tuple[str, str], float]:
    """(item, unit) -> quantity per unit, '' standing for the item's base unit."""
    wanted = sorted(set(items))
    result: dict[tuple[str, str], float] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for item, code, per in conn.execute(
            f"SELECT item_no, code, qty_per_unit_of_measure FROM item_units_of_measure "
            f"WHERE item_no IN ({marks})",
            chunk,
        ):
            result[(item, code)] = float(per)
        for (item,) in conn.execute(f"SELECT no FROM items WHERE no IN ({marks})", chunk):
            result[(item, "")] = 1.0
    return result


def _notice(item: str, unit: str, code: str, **detail: Any) -> dict[str, Any]:
    message = NOTICE_TEXT.get(code, code.replace("_", " "))
    return {"itemNumber": item, "unitOfMeasureCode": unit, "code": code, "message": message,
            **detail}  # fmt: skip


def reorder(
    ctx: StoreContext, principal: Principal, number: Any, name: Any = None
) -> dict[str, Any]:
    """A new cart with a past order's lines at today's prices (one offers call), and a
    notice per line whose price changed, whose stock is short, or that cannot be ordered
    any more (those are left out of the cart)."""
    order = find_document(
        ctx, principal, "salesOrders", number, expand="salesOrderLines", what="order"
    )
    number = order["number"]
    name = f"Reorder {number}" if name is None else name
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 60:
        raise ApiError(400, "invalid_name", "name must be 1..60 characters")
    customer = principal.customer_no or ""
    conn = ctx.conn()
    wanted: dict[str, dict[str, Any]] = {}  # a cart holds one line per item
    notices: list[dict[str, Any]] = []
    for line in order.get("salesOrderLines", []):
        item, unit = str(line.get("itemNumber") or ""), str(line.get("unitOfMeasureCode") or "")
        qty = float(line.get("quantity") or 0)
        if not item or qty <= 0:
            continue
        previous = _net(float(line.get("unitPrice") or 0), float(line.get("discountPercent") or 0))
        entry = wanted.setdefault(item, {"unit": unit, "quantity": 0.0, "previous": previous})
        if entry["unit"] != unit:
            notices.append(_notice(item, unit, "duplicate_item"))
            continue
        entry["quantity"] += qty
    status = item_status(ctx, customer, wanted)
    units = _units(conn, wanted)
    lines: list[tuple[str, str, float]] = []
    for item, entry in wanted.items():
        state = status[item]
        if state == "ok" and (item, entry["unit"]) not in units:
            state = "unit_unavailable"
        if state == "ok":
            lines.append((item, entry["unit"], entry["quantity"]))
        else:
            notices.append(_notice(item, entry["unit"], state))
    lines = lines[:MAX_CART_LINES]
    offers, stale = catalog.priced_offers(ctx, principal, lines, "reorder")
    shown = []
    for item, unit, qty in lines:
        previous = wanted[item]["previous"]
        offer = offers.get(item)
        shown.append(
            {
                "itemNumber": item,
                "unitOfMeasureCode": unit,
                "quantity": qty,
                "previousNetUnitPrice": previous,
                "offer": catalog.offer_json(offer),
            }
        )
        if offer is None:
            notices.append(_notice(item, unit, "no_price"))
            continue
        if offer.error:
            notices.append(_notice(item, unit, str(offer.error)))
        elif abs(offer.net_unit_price - previous) > PRICE_TOLERANCE:
            notices.append(
                _notice(item, unit, "price_changed", previous=previous,
                        current=offer.net_unit_price)
            )  # fmt: skip
        needed = qty * units.get((item, unit), 1.0)
        if offer.available < needed:
            notices.append(
                _notice(item, unit, "stock_short", available=offer.available, needed=needed)
            )
    cart_id = carts.create_cart(conn, principal, name, lines)
    events.record(
        conn, principal, "reorder", order=number, cart=cart_id, lines=len(lines),
        notices=len(notices),
    )  # fmt: skip
    return {"cart": cart_id, "name": name.strip(), "order": number, "lines": shown,
            "notices": notices, "stale": stale}  # fmt: skip
