"""Writes a store makes on receivables and customer service: pay an invoice online, ask for
an invoice copy or an order's status, return goods from a shipped line. Each is what the
world's offline channels do (collections, the service desk), entered now with channel
'web', so the ERP's own tables show the shift from phone and e-mail to the store.

Bodies are validated here (400 naming the field); business rules (invoice already paid,
return larger than shipped, line not yet invoiced) are the ERP's (409).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulator.erp_server.deps import ServicesDep, UrlsDep, json_response, read_json
from simulator.erp_server.idempotency import fingerprint
from simulator.erp_server.live import InquiryRequest, ReturnRequest
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.routers.sales import created_response, idempotency_key, text_field

__all__ = ["router"]

router = APIRouter(tags=["receivables and service"])
INQUIRY_TYPES = ("invoice_copy", "order_status")
MAX_AMOUNT = 1e12


def _only(body: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise ODataError(400, "unknown_field", f"unknown field {sorted(unknown)[0]!r}")


def _number(body: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ODataError(400, "invalid_value", f"{name} must be a number")
    if not math.isfinite(value) or not 0 < value <= MAX_AMOUNT:
        raise ODataError(400, "invalid_value", f"{name} must be more than 0")
    return float(value)


@router.post(
    "/customerPayments",
    status_code=201,
    summary="Pay an open invoice online (all of the remaining amount unless `amount` is given)",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"example": {"invoiceNumber": "SI0000001"}}}
        }
    },
)
async def pay(request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    body = await read_json(request, services.settings.max_body_bytes)
    _only(body, frozenset({"invoiceNumber", "amount", "customerNumber"}))
    invoice_no = text_field(body, "invoiceNumber", required=True) or ""
    customer_no = text_field(body, "customerNumber")
    if customer_no is not None:
        owner = services.store.lookup("sales_invoices", "no", invoice_no, "customer_no")
        if owner is not None and owner != customer_no:
            raise ODataError(404, "not_found", f"no invoice {invoice_no!r} of {customer_no}")
    amount = _number(body, "amount", required=False)
    key = idempotency_key(request)
    print_ = fingerprint("customerPayments", body)
    payment_id, replayed = await services.gateway.call("pay", invoice_no, amount, key, print_)
    return await created_response(services, urls, "customerPayments", payment_id, replayed)


@router.post(
    "/inquiries",
    status_code=201,
    summary="Log a service request from the store (invoice copy, order status)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "customerNumber": "C000001",
                        "type": "invoice_copy",
                        "invoiceNumber": "SI0000001",
                    }
                }
            }
        }
    },
)
async def inquire(request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    body = await read_json(request, services.settings.max_body_bytes)
    _only(
        body,
        frozenset({"customerNumber", "contactNumber", "type", "orderNumber", "invoiceNumber"}),
    )
    kind = text_field(body, "type", required=True)
    if kind not in INQUIRY_TYPES:
        raise ODataError(400, "invalid_value", f"type must be one of {', '.join(INQUIRY_TYPES)}")
    inquiry = InquiryRequest(
        customer_no=text_field(body, "customerNumber", required=True) or "",
        type=kind,
        contact_no=text_field(body, "contactNumber"),
        order_no=text_field(body, "orderNumber") or "",
        invoice_no=text_field(body, "invoiceNumber") or "",
    )
    if kind == "invoice_copy" and not inquiry.invoice_no:
        raise ODataError(400, "missing_field", "invoiceNumber is required for an invoice copy")
    if kind == "order_status" and not inquiry.order_no:
        raise ODataError(400, "missing_field", "orderNumber is required for an order status")
    key = idempotency_key(request)
    number, replayed = await services.gateway.call(
        "inquire", inquiry, key, fingerprint("inquiries", body)
    )
    return await created_response(services, urls, "inquiries", number, replayed)


@router.post(
    "/returnRequests",
    status_code=201,
    summary="Return goods from a shipped, invoiced line (accepted at once as a credit memo)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "shipmentNumber": "SH0000001",
                        "lineSequence": 10000,
                        "quantity": 1,
                        "reason": "Damaged",
                    }
                }
            }
        }
    },
)
async def return_goods(request: Request, services: ServicesDep) -> Response:
    body = await read_json(request, services.settings.max_body_bytes)
    _only(
        body,
        frozenset(
            {
                "shipmentNumber",
                "lineSequence",
                "quantity",
                "reason",
                "contactNumber",
                "customerNumber",
            }
        ),
    )
    line_no = body.get("lineSequence")
    if isinstance(line_no, bool) or not isinstance(line_no, int) or not 0 < line_no < 1 << 31:
        raise ODataError(400, "invalid_value", "lineSequence must be a positive integer")
    returned = ReturnRequest(
        shipment_no=text_field(body, "shipmentNumber", required=True) or "",
        line_no=line_no,
        quantity=_number(body, "quantity", required=True) or 0.0,
        reason=text_field(body, "reason") or "Not needed",
        contact_no=text_field(body, "contactNumber"),
        customer_no=text_field(body, "customerNumber"),
    )
    key = idempotency_key(request)
    result = await services.gateway.call(
        "return_goods", returned, key, fingerprint("returnRequests", body)
    )
    headers = {"Idempotent-Replayed": "true"} if result.pop("replayed") else {}
    return json_response(result, 201, headers)
