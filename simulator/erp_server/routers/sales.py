"""Writes an integration makes on sales documents: create quotes and orders (deep insert of
lines, `Idempotency-Key`), release an order, make an order from a quote.

Bodies are validated here (types, references, sizes: 400 with the field named); business
rules (unknown or blocked customer or item, unit, credit limit) are the ERP's, decided by
the world and the pricing engine behind the gateway.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulator.erp_server.deps import (
    Services,
    ServicesDep,
    Urls,
    UrlsDep,
    read_json,
    written_response,
)
from simulator.erp_server.entities import ENTITY_SETS
from simulator.erp_server.idempotency import IdempotencyStore, fingerprint
from simulator.erp_server.live import CHANNELS, OrderRequest
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.odata.keys import parse_key
from simulator.erp_server.odata.query import Query

__all__ = ["created_response", "idempotency_key", "router", "text_field"]

router = APIRouter(tags=["sales documents"])
MAX_LINES = 500
HEADER_FIELDS = frozenset(
    {"customerNumber", "customerId", "contactNumber", "requestedDeliveryDate", "channel"}
)
LINE_FIELDS = frozenset({"itemNumber", "itemId", "unitOfMeasureCode", "quantity", "sequence"})
ORDER_EXAMPLE = {
    "customerNumber": "C000001",
    "requestedDeliveryDate": "2026-10-08",
    "salesOrderLines": [{"itemNumber": "1000001", "unitOfMeasureCode": "", "quantity": 4}],
}


def text_field(
    body: dict[str, Any], name: str, *, required: bool = False, limit: int = 50
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ODataError(400, "missing_field", f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ODataError(400, "invalid_value", f"{name} must be a text of at most {limit} chars")
    return value


def _reference(
    services: Services, body: dict[str, Any], number: str, guid: str, table: str, what: str
) -> str:
    """A customer or item given by number or by id, as its number."""
    no = text_field(body, number)
    ident = text_field(body, guid, limit=36)
    if no is None and ident is None:
        raise ODataError(400, "missing_field", f"{number} (or {guid}) is required")
    if ident is not None:
        found = services.store.lookup(table, "id", ident.lower(), "no")
        if found is None:
            raise ODataError(400, f"{what}_not_found", f"no {what} with id {ident!r}")
        if no is not None and no != found:
            raise ODataError(400, "invalid_value", f"{number} and {guid} name different {what}s")
        return str(found)
    assert no is not None
    return no


def parse_document(services: Services, body: dict[str, Any], lines_field: str) -> OrderRequest:
    """Validate a create body (BC field names; lines as a deep insert)."""
    unknown = set(body) - HEADER_FIELDS - {lines_field} - {k for k in body if k.startswith("@")}
    if unknown:
        raise ODataError(400, "unknown_field", f"unknown field {sorted(unknown)[0]!r}")
    customer = _reference(services, body, "customerNumber", "customerId", "customers", "customer")
    contact = text_field(body, "contactNumber") or ""
    if contact and services.store.lookup("contacts", "no", contact, "customer_no") != customer:
        raise ODataError(400, "invalid_contact", f"contact {contact!r} is not one of {customer}'s")
    channel = text_field(body, "channel") or "web"
    if channel not in CHANNELS:
        raise ODataError(400, "invalid_value", f"channel must be one of {', '.join(CHANNELS)}")
    delivery = text_field(body, "requestedDeliveryDate", limit=10)
    if delivery is not None:
        try:
            dt.date.fromisoformat(delivery)
        except ValueError:
            raise ODataError(
                400, "invalid_value", "requestedDeliveryDate must be YYYY-MM-DD"
            ) from None
    raw_lines = body.get(lines_field)
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ODataError(400, "missing_field", f"{lines_field} must be a non-empty list of lines")
    if len(raw_lines) > MAX_LINES:
        raise ODataError(400, "too_many_lines", f"at most {MAX_LINES} lines per document")
    lines = []
    for n, line in enumerate(raw_lines, start=1):
        if not isinstance(line, dict):
            raise ODataError(400, "invalid_value", f"line {n} must be an object")
        extra = set(line) - LINE_FIELDS - {k for k in line if k.startswith("@")}
        if extra:
            raise ODataError(400, "unknown_field", f"line {n}: unknown field {sorted(extra)[0]!r}")
        item = _reference(services, line, "itemNumber", "itemId", "items", "item")
        unit = text_field(line, "unitOfMeasureCode", limit=10) or ""
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int | float):
            raise ODataError(400, "invalid_value", f"line {n}: quantity must be a number")
        if not math.isfinite(quantity) or quantity <= 0 or quantity > 1e9:
            raise ODataError(400, "invalid_quantity", f"line {n}: quantity must be > 0")
        lines.append((item, unit, float(quantity)))
    return OrderRequest(customer, contact, tuple(lines), channel, delivery)


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None:
        IdempotencyStore.check_key(key)
    return key


async def created_response(
    services: Services, urls: Urls, entity_set: str, document_id: str, replayed: bool
) -> Response:
    entity = ENTITY_SETS[entity_set]
    query = Query(entity, expand=tuple(nav for nav in entity.navigation if not nav.single))
    body = services.store.one(entity, (document_id,), query)
    headers = {"Location": urls.entity(entity_set, document_id), "ETag": body["@odata.etag"]}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    context = urls.context(f"{entity_set}/$entity")
    body = {"@odata.context": context, **body}
    return written_response(urls.request, body, 201, headers, headers["Location"])


async def _create(kind: str, request: Request, services: Services, urls: Urls) -> Response:
    entity_set, lines = (
        ("salesOrders", "salesOrderLines")
        if kind == "order"
        else ("salesQuotes", "salesQuoteLines")
    )
    key = idempotency_key(request)
    body = await read_json(request, services.settings.max_body_bytes)
    document = parse_document(services, body, lines)
    print_ = fingerprint(entity_set, body)
    document_id, replayed = await services.gateway.call("create", kind, document, key, print_)
    return await created_response(services, urls, entity_set, document_id, replayed)


@router.post(
    "/salesOrders",
    status_code=201,
    summary="Create a sales order with its lines (Idempotency-Key makes retries safe)",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": ORDER_EXAMPLE}}}},
)
async def create_order(request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    return await _create("order", request, services, urls)


@router.post(
    "/salesQuotes",
    status_code=201,
    summary="Create a sales quote with its lines (salesQuoteLines)",
)
async def create_quote(request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    return await _create("quote", request, services, urls)


@router.post("/salesOrders({key})/Microsoft.NAV.release", status_code=204, summary="Release")
async def release(key: str, services: ServicesDep) -> Response:
    (order_id,) = parse_key(key, ENTITY_SETS["salesOrders"])
    await services.gateway.call("release", order_id)
    return Response(status_code=204, headers={"OData-Version": "4.0"})


@router.post(
    "/salesQuotes({key})/Microsoft.NAV.makeOrder",
    status_code=201,
    summary="Make an order from a quote, at the quote's prices",
)
async def make_order(key: str, request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    (quote_id,) = parse_key(key, ENTITY_SETS["salesQuotes"])
    idem = idempotency_key(request)
    print_ = fingerprint("makeOrder", {"quote": quote_id})
    order_id, replayed = await services.gateway.call("make_order", quote_id, idem, print_)
    return await created_response(services, urls, "salesOrders", order_id, replayed)
