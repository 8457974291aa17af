"""Quotes: ask the ERP for a quote on a cart, see the account's quotes, turn one into an order.

A quote request and an acceptance are web documents sent through the outbox like orders
(`kind` 'quote' and 'quote_order'); the quotes themselves are read from the ERP, where the
offline ones (asked by phone or e-mail) are too. Accepting makes the order at the quote's
prices (the ERP's ``makeOrder``), and accepting twice makes one order.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import orjson

from simulator.store import ApiError, carts, events
from simulator.store.db import utc_now
from simulator.store.orders import (
    DOCUMENT_COLUMNS,
    ERP_DATE,
    ErpUnavailable,
    _cart,
    audit,
    cart_document_lines,
    check_number,
    check_page,
    closed_cart,
    document_date,
    erp_fields,
    erp_rows,
    erp_today,
    existing_document,
    find_document,
    get_document,
    idempotency_key,
    submit,
)

if TYPE_CHECKING:
    from simulator.store.app import StoreContext
    from simulator.store.auth import Principal

__all__ = ["accept_quote", "list_quotes", "quote_detail", "request_quote"]

QUOTE_FIELDS = (
    "number",
    "documentDate",
    "validUntilDate",
    "status",
    "orderNumber",
    "channel",
    "currencyCode",
    "totalAmountExcludingTax",
)
LINE_FIELDS = (
    "sequence",
    "itemNumber",
    "unitOfMeasureCode",
    "quantity",
    "unitPrice",
    "discountPercent",
    "lineAmount",
)


def request_quote(
    ctx: StoreContext, principal: Principal, cart_id: Any, *, client_key: Any = None
) -> dict[str, Any]:
    """Send the cart to the ERP as a quote request; the cart is then 'quoted'."""
    conn = ctx.conn()
    cart_no, _, status, updated_at = _cart(conn, principal, cart_id)
    key = idempotency_key(principal, "quote", client_key, f"cart:{cart_no}:{updated_at}")
    replay = existing_document(conn, principal, key)
    if replay is not None:
        return {**get_document(ctx, principal, replay), "replayed": True}
    if status != "open":
        return closed_cart(ctx, principal, "quote", cart_no, key)
    lines = cart_document_lines(ctx, principal, cart_no)
    request: dict[str, Any] = {
        "customerNumber": principal.customer_no,
        "cart": cart_no,
        "salesQuoteLines": [
            {"itemNumber": item, "unitOfMeasureCode": unit, "quantity": qty}
            for item, unit, qty in lines
        ],
    }
    if principal.contact_no:
        request["contactNumber"] = principal.contact_no
    today = erp_today(ctx)
    if today is not None:
        request[ERP_DATE] = today.isoformat()

    def claim(conn: Any) -> None:
        carts.claim_cart(conn, principal, cart_no, "quoted")

    try:
        view = submit(ctx, principal, "quote", request, key, claim=claim)
    except carts.CartTaken:  # another request for this cart claimed it meanwhile
        return closed_cart(ctx, principal, "quote", cart_no, key)
    if view["status"] == "rejected":
        with conn:
            conn.execute(
                "UPDATE carts SET status = 'open', updated_at = ? WHERE id = ?",
                (utc_now(), cart_no),
            )
    else:
        events.record(conn, principal, "quote_request", document=view["document"],
                      lines=len(lines))  # fmt: skip
    return {**view, "cart": cart_no}


def list_quotes(
    ctx: StoreContext, principal: Principal, page: Any = 1, page_size: int | None = None
) -> dict[str, Any]:
    """The account's quotes from the ERP (newest first) and the requests still on their
    way; only those, marked stale, when the ERP is unreachable."""
    page = check_page(page)
    size = page_size or ctx.settings.page_size
    customer = check_number(principal.customer_no, "customer")
    conn = ctx.conn()
    waiting = _local_quotes(conn, customer, stale=False)
    try:
        rows, total = erp_rows(
            ctx,
            "salesQuotes",
            filter=f"customerNumber eq '{customer}'",
            orderby="documentDate desc,number desc",
            top=size,
            skip=(page - 1) * size,
            count=True,
        )
    except ErpUnavailable:
        mine = _local_quotes(conn, customer, stale=True)
        events.record(conn, principal, "offline_fallback", view="quotes")
        return {"quotes": mine[(page - 1) * size : page * size], "page": page,
                "pageSize": size, "total": len(mine), "stale": True}  # fmt: skip
    quotes = [{**erp_fields(row, QUOTE_FIELDS), "source": "erp"} for row in rows]
    shown = waiting if page == 1 else []
    audit(conn, principal, "quotes", page=page)
    return {"quotes": shown + quotes, "page": page, "pageSize": size,
            "total": (total or 0) + len(shown), "stale": False}  # fmt: skip


def _local_quotes(conn: Any, customer: str, *, stale: bool) -> list[dict[str, Any]]:
    statuses = ("pending", "accepted", "rejected") if stale else ("pending", "rejected")
    marks = ",".join("?" * len(statuses))
    names = [c.strip() for c in DOCUMENT_COLUMNS.split(",")]
    result = []
    for values in conn.execute(
        f"SELECT {DOCUMENT_COLUMNS} FROM web_documents WHERE customer_no = ? AND kind = 'quote' "
        f"AND status IN ({marks}) ORDER BY id DESC",
        (customer, *statuses),
    ):
        row = dict(zip(names, values, strict=True))
        request = orjson.loads(row["request_json"])
        result.append(
            {
                "number": row["erp_number"],
                "documentDate": document_date(row, request),
                "status": {"pending": "Requested (web)", "rejected": "Rejected"}.get(
                    row["status"], "Sent"
                ),
                "channel": "web",
                "lines": len(request.get("salesQuoteLines", [])),
                "source": "store",
                "document": row["id"],
                "documentStatus": row["status"],
            }
        )
    return result


def quote_detail(ctx: StoreContext, principal: Principal, number: Any) -> dict[str, Any]:
    quote = find_document(
        ctx, principal, "salesQuotes", number, expand="salesQuoteLines", what="quote"
    )
    audit(ctx.conn(), principal, "quote", quote=quote["number"])
    return {
        **erp_fields(quote, QUOTE_FIELDS),
        "contactNumber": quote.get("contactNumber"),
        "lines": [
            {n: line.get(n) for n in LINE_FIELDS} for line in quote.get("salesQuoteLines", [])
        ],
    }


def accept_quote(
    ctx: StoreContext, principal: Principal, number: Any, *, client_key: Any = None
) -> dict[str, Any]:
    """Turn an open, unexpired quote of the account into an order (at the quote's prices)."""
    conn = ctx.conn()
    quote = find_document(ctx, principal, "salesQuotes", number, what="quote")
    number = quote["number"]
    key = idempotency_key(principal, "quote_order", client_key, f"quote:{number}")
    replay = existing_document(conn, principal, key)
    if replay is not None:
        return {**get_document(ctx, principal, replay), "replayed": True}
    if quote.get("lifecycleStatus") != "Open":
        raise ApiError(409, "quote_not_open", f"quote {number} is {quote.get('lifecycleStatus')}")
    today = erp_today(ctx)
    valid_until = str(quote.get("validUntilDate") or "")
    if today is not None and valid_until and dt.date.fromisoformat(valid_until[:10]) < today:
        raise ApiError(409, "quote_expired", f"quote {number} expired on {valid_until}")
    request = {"quoteId": quote["id"], "quoteNumber": number,
               "customerNumber": principal.customer_no}  # fmt: skip
    if today is not None:
        request[ERP_DATE] = today.isoformat()
    view = submit(ctx, principal, "quote_order", request, key)
    if view["status"] != "rejected":
        events.record(conn, principal, "quote_accept", quote=number, document=view["document"])
    return {**view, "quote": number}
