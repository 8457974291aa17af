"""Writes an integration makes on sales documents: create quotes and orders (BC's header
properties, lines as a deep insert or none, `Idempotency-Key`), release an order, make an
order from a quote. Line edits, deletes and the other actions are in `documents`.

Bodies are validated by `bc_writes` (types, references, sizes: 400 with the field named);
business rules (blocked customer or item, unit, credit limit) are the ERP's, decided by
the world and the pricing engine behind the gateway.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulator.erp_server import bc_writes
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
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.odata.keys import parse_key
from simulator.erp_server.odata.query import Query

__all__ = ["created_response", "idempotency_key", "router", "text_field"]

router = APIRouter(tags=["sales documents"])
ORDER_EXAMPLE = {
    "customerNumber": "C000001",
    "externalDocumentNumber": "PO-4711",
    "requestedDeliveryDate": "2026-10-08",
    "shipToName": "Warehouse 2",
    "salesOrderLines": [{"lineType": "Item", "lineObjectNumber": "1000001", "quantity": 4}],
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
    entity_set = bc_writes.DOCUMENT_SETS[kind].name
    key = idempotency_key(request)
    body = await read_json(request, services.settings.max_body_bytes)
    document = bc_writes.parse_document(services.store, kind, body)
    print_ = fingerprint(entity_set, body)
    document_id, replayed = await services.gateway.call(
        "create_document", kind, document, key, print_
    )
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
    status_code=204,
    summary="Make an order from a quote, at the quote's prices (204 as BC; the order with"
    " Prefer: return=representation)",
)
async def make_order(key: str, request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    """BC answers 204 and the order is found by its quote (`salesOrders?$filter=quoteNumber eq
    '...'`); `Location` names it too. A client that asks for the order with `Prefer:
    return=representation` gets it (201), as this server answered before."""
    (quote_id,) = parse_key(key, ENTITY_SETS["salesQuotes"])
    idem = idempotency_key(request)
    print_ = fingerprint("makeOrder", {"quote": quote_id})
    order_id, replayed = await services.gateway.call("make_order", quote_id, idem, print_)
    if "return=representation" in request.headers.get("prefer", ""):
        return await created_response(services, urls, "salesOrders", order_id, replayed)
    headers = {"OData-Version": "4.0", "Location": urls.entity("salesOrders", order_id)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(status_code=204, headers=headers)
