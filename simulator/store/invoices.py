"""Invoices: the account's invoice history and search, online payment, copies and returns.

Invoices are read from the ERP (the account's, whatever channel the order came by). Paying
posts a customer payment, asking for a copy an inquiry, and a return request a return
(the ERP answers with a credit memo): each is a web document sent through the outbox, so
an ERP outage delays them without losing or doubling one.
"""

from __future__ import annotations

import math
import re
import uuid
from typing import TYPE_CHECKING, Any

from simulator.store import ApiError, events
from simulator.store.orders import (
    ErpUnavailable,
    check_date,
    check_number,
    check_page,
    check_quantity,
    erp_rows,
    existing_document,
    find_document,
    get_document,
    idempotency_key,
    submit,
    unavailable,
)

if TYPE_CHECKING:
    from simulator.store.app import StoreContext
    from simulator.store.auth import Principal

__all__ = [
    "copy_invoice",
    "invoice_detail",
    "list_invoices",
    "pay_invoice",
    "request_return",
]

STATUSES = {"open": "Open", "paid": "Paid"}
SEARCH = re.compile(r"[A-Za-z0-9_-]{1,30}")
MAX_REASON = 200
INVOICE_FIELDS = (
    "number",
    "postingDate",
    "dueDate",
    "status",
    "orderNumber",
    "shipmentNumber",
    "currencyCode",
    "totalAmountExcludingTax",
    "remainingAmount",
)
LINE_FIELDS = (
    "sequence",
    "itemNumber",
    "unitOfMeasureCode",
    "quantity",
    "unitPrice",
    "discountPercent",
    "lineAmount",
    "shipmentNumber",
    "shipmentLineNumber",
)


def list_invoices(
    ctx: StoreContext,
    principal: Principal,
    *,
    q: Any = None,
    status: Any = None,
    date_from: Any = None,
    date_to: Any = None,
    page: Any = 1,
    page_size: int | None = None,
) -> dict[str, Any]:
    """The account's invoices, newest first; `q` searches invoice, order and shipment
    numbers, `status` is 'open' or 'paid', `date_from`/`date_to` bound the posting date."""
    page = check_page(page)
    size = page_size or ctx.settings.page_size
    customer = check_number(principal.customer_no, "customer")
    conditions = [f"customerNumber eq '{customer}'"]
    if status is not None and status != "":
        if status not in STATUSES:
            raise ApiError(400, "invalid_status", "status must be 'open' or 'paid'")
        conditions.append(f"status eq '{STATUSES[status]}'")
    if q is not None and q != "":
        if not isinstance(q, str) or not SEARCH.fullmatch(q):
            raise ApiError(400, "invalid_query", "q must be 1-30 letters, digits, - or _")
        conditions.append(
            "(" + " or ".join(
                f"contains({name},'{q}')" for name in ("number", "orderNumber", "shipmentNumber")
            ) + ")"
        )  # fmt: skip
    for value, operator, what in ((date_from, "ge", "from"), (date_to, "le", "to")):
        if value is not None and value != "":
            conditions.append(f"postingDate {operator} {check_date(value, what).isoformat()}")
    try:
        rows, total = erp_rows(
            ctx,
            "salesInvoices",
            filter=" and ".join(conditions),
            orderby="postingDate desc,number desc",
            top=size,
            skip=(page - 1) * size,
            count=True,
        )
    except ErpUnavailable:
        events.record(ctx.conn(), principal, "offline_fallback", view="invoices")
        raise unavailable() from None
    total = total or 0
    if q:
        events.record(ctx.conn(), principal, "invoice_search", q=q, results=total)
    else:
        events.record(ctx.conn(), principal, "invoice_view", status=status or "all", page=page)
    return {
        "invoices": [{n: row.get(n) for n in INVOICE_FIELDS} for row in rows],
        "page": page,
        "pageSize": size,
        "total": total,
        "stale": False,
    }


def invoice_detail(ctx: StoreContext, principal: Principal, number: Any) -> dict[str, Any]:
    """One invoice of the account with its lines, its payments and the payments the store
    is still sending."""
    invoice = find_document(
        ctx, principal, "salesInvoices", number, expand="salesInvoiceLines", what="invoice"
    )
    number = invoice["number"]
    try:
        payments, _ = erp_rows(
            ctx,
            "customerPayments",
            filter=f"invoiceNumber eq '{number}' and customerNumber eq '{principal.customer_no}'",
            orderby="postingDate,number",
        )
    except ErpUnavailable:
        raise unavailable() from None
    conn = ctx.conn()
    pending = _pending_payments(conn, principal, number)
    events.record(conn, principal, "invoice_view", invoice=number)
    return {
        **{n: invoice.get(n) for n in INVOICE_FIELDS},
        "lines": [
            {n: line.get(n) for n in LINE_FIELDS} for line in invoice.get("salesInvoiceLines", [])
        ],
        "payments": [
            {n: p.get(n) for n in ("number", "postingDate", "amount", "channel")} for p in payments
        ],
        "pendingPayments": [{"document": doc, "amount": amount} for doc, amount in pending],
    }


def _pending_payments(conn: Any, principal: Principal, invoice: str) -> list[tuple[int, float]]:
    return [
        (int(doc), float(amount))
        for doc, amount in conn.execute(
            "SELECT id, json_extract(request_json, '$.amount') FROM web_documents "
            "WHERE customer_no = ? AND kind = 'payment' AND status = 'pending' "
            "AND json_extract(request_json, '$.invoiceNumber') = ? ORDER BY id",
            (principal.customer_no, invoice),
        )
    ]


def pay_invoice(
    ctx: StoreContext,
    principal: Principal,
    number: Any,
    *,
    amount: Any = None,
    client_key: Any = None,
) -> dict[str, Any]:
    """Pay (part of) an open invoice online: a customer payment posted to the ERP. The
    amount defaults to what is still open, net of payments the store is still sending."""
    invoice = find_document(ctx, principal, "salesInvoices", number, what="invoice")
    number = invoice["number"]
    conn = ctx.conn()
    remaining = round(float(invoice.get("remainingAmount") or 0.0), 2)
    open_now = round(remaining - sum(a for _, a in _pending_payments(conn, principal, number)), 2)
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise ApiError(400, "invalid_amount", "amount must be a number")
        if not math.isfinite(amount) or amount <= 0 or round(amount, 2) != amount:
            raise ApiError(400, "invalid_amount", "amount must be > 0 with at most 2 decimals")
    default = f"invoice:{number}:{remaining}:{amount}"
    key = idempotency_key(principal, "payment", client_key, default)
    replay = existing_document(conn, principal, key)
    if replay is not None:
        return {**get_document(ctx, principal, replay), "replayed": True}
    if invoice.get("status") == "Paid" or open_now <= 0:
        raise ApiError(409, "already_paid", f"invoice {number} has nothing left to pay")
    pay = open_now if amount is None else float(amount)
    if pay > open_now + 1e-9:
        raise ApiError(409, "amount_too_large", f"at most {open_now:.2f} is open on {number}")
    request = {"invoiceNumber": number, "amount": pay, "customerNumber": principal.customer_no}
    view = submit(ctx, principal, "payment", request, key)
    if view["status"] != "rejected":
        events.record(conn, principal, "invoice_pay", invoice=number, amount=pay,
                      document=view["document"])  # fmt: skip
    return {**view, "invoice": number, "amount": pay}


def copy_invoice(
    ctx: StoreContext, principal: Principal, number: Any, *, client_key: Any = None
) -> dict[str, Any]:
    """Ask the ERP for a copy of an invoice (an inquiry of type 'invoice_copy')."""
    invoice = find_document(ctx, principal, "salesInvoices", number, what="invoice")
    number = invoice["number"]
    key = idempotency_key(principal, "invoice_copy", client_key, uuid.uuid4().hex)
    replay = existing_document(ctx.conn(), principal, key)
    if replay is not None:
        return {**get_document(ctx, principal, replay), "replayed": True}
    request: dict[str, Any] = {
        "customerNumber": principal.customer_no,
        "type": "invoice_copy",
        "invoiceNumber": number,
    }
    if principal.contact_no:
        request["contactNumber"] = principal.contact_no
    view = submit(ctx, principal, "invoice_copy", request, key)
    if view["status"] != "rejected":
        events.record(ctx.conn(), principal, "invoice_copy", invoice=number,
                      document=view["document"])  # fmt: skip
    return {**view, "invoice": number}


def request_return(
    ctx: StoreContext,
    principal: Principal,
    *,
    shipment_number: Any,
    line_sequence: Any,
    quantity: Any,
    reason: Any = None,
    client_key: Any = None,
) -> dict[str, Any]:
    """Ask to return (part of) a shipped line of the account; the ERP answers with a credit
    memo once the shipment is invoiced."""
    if isinstance(line_sequence, bool) or not isinstance(line_sequence, int):
        raise ApiError(400, "invalid_line", "lineSequence must be an integer")
    if not 0 < line_sequence < 2**31:
        raise ApiError(400, "invalid_line", "lineSequence must be positive")
    qty = check_quantity(quantity)
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise ApiError(400, "invalid_reason", f"reason must be a text of at most {MAX_REASON}")
    shipment = find_document(
        ctx, principal, "salesShipments", shipment_number, expand="salesShipmentLines",
        what="shipment",
    )  # fmt: skip
    number = shipment["number"]
    line = next(
        (x for x in shipment.get("salesShipmentLines", []) if x.get("sequence") == line_sequence),
        None,
    )
    if line is None:
        raise ApiError(404, "not_found", f"shipment {number} has no line {line_sequence}")
    if qty > float(line.get("quantity") or 0) + 1e-9:
        raise ApiError(
            409, "quantity_too_large", f"line {line_sequence} shipped {line.get('quantity')}"
        )
    default = uuid.uuid4().hex
    key = idempotency_key(principal, "return", client_key, default)
    replay = existing_document(ctx.conn(), principal, key)
    if replay is not None:
        return {**get_document(ctx, principal, replay), "replayed": True}
    request: dict[str, Any] = {
        "shipmentNumber": number,
        "lineSequence": line_sequence,
        "quantity": qty,
        "customerNumber": principal.customer_no,
    }
    if reason:
        request["reason"] = reason.strip()
    if principal.contact_no:
        request["contactNumber"] = principal.contact_no
    view = submit(ctx, principal, "return", request, key)
    if view["status"] != "rejected":
        events.record(ctx.conn(), principal, "return_request", shipment=number,
                      line=line_sequence, quantity=qty, document=view["document"])  # fmt: skip
    return {**view, "shipment": number}
