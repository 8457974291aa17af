"""Business Central's writes on documents after the create, and on master data: lines
added, changed and removed (`salesOrders({id})/salesOrderLines`, `salesOrderLines({id})`,
the same for quotes), open documents deleted, `Microsoft.NAV.shipAndInvoice`, and new
customers, items and contacts.

Bodies are parsed by `bc_writes` (400s name the field); the writer decides the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulator.erp_server.bc_sets import line_id
from simulator.erp_server.bc_writes import (
    DOCUMENT_SETS,
    DocumentSet,
    parse_document,
    parse_line,
    parse_line_change,
    parse_master,
)
from simulator.erp_server.deps import Services, ServicesDep, Urls, UrlsDep, json_response, read_json
from simulator.erp_server.entities import ENTITY_SETS
from simulator.erp_server.idempotency import fingerprint
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.odata.keys import parse_key
from simulator.erp_server.odata.query import Query
from simulator.erp_server.routers.sales import idempotency_key

__all__ = ["router"]

router = APIRouter(tags=["sales documents"])
NO_CONTENT_HEADERS = {"OData-Version": "4.0"}


def _no_content() -> Response:
    return Response(status_code=204, headers=NO_CONTENT_HEADERS)


def _entity_response(
    services: Services, urls: Urls, entity_set: str, key: str, status: int, replayed: bool = False
) -> Response:
    entity = ENTITY_SETS[entity_set]
    body = services.store.one(entity, (key,), Query(entity))
    headers = {"ETag": body["@odata.etag"]}
    if status == 201:
        headers["Location"] = urls.entity(entity_set, key)
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    context = urls.context(f"{entity_set}/$entity")
    return json_response({"@odata.context": context, **body}, status, headers)


def _document_id(spec: DocumentSet, key: str) -> str:
    (document_id,) = parse_key(key, ENTITY_SETS[spec.name])
    return str(document_id)


async def _line(
    spec: DocumentSet, services: Services, line_key: str, document_key: str | None
) -> tuple[str, int]:
    """(document id, line number) of a line key, checked against its document's key."""
    (line_id,) = parse_key(line_key, ENTITY_SETS[spec.lines])
    document_id, line_no = await services.gateway.call("line_of", spec.kind, str(line_id))
    if document_key is not None and _document_id(spec, document_key) != document_id:
        raise ODataError(404, "not_found", f"{spec.name}({document_key}) has no line {line_key}")
    return document_id, line_no


def _if_match(request: Request, *, required: bool) -> str | None:
    value = request.headers.get("if-match")
    if required and not value:
        raise ODataError(428, "precondition_required", "PATCH needs an If-Match header (the ETag)")
    return value


def _routes(spec: DocumentSet) -> None:
    """The line and delete routes of one document kind."""

    async def add_line(
        key: str, request: Request, services: ServicesDep, urls: UrlsDep
    ) -> Response:
        document_id = _document_id(spec, key)
        idem = idempotency_key(request)
        body = await read_json(request, services.settings.max_body_bytes)
        line = parse_line(services.store, spec.kind, body)
        print_ = fingerprint(f"{spec.name}({document_id})/{spec.lines}", body)
        line_id, replayed = await services.gateway.call(
            "add_line", spec.kind, document_id, line, idem, print_
        )
        return _entity_response(services, urls, spec.lines, line_id, 201, replayed)

    async def change(
        request: Request, services: Services, urls: Urls, line_key: str, key: str | None
    ) -> Response:
        document_id, line_no = await _line(spec, services, line_key, key)
        if_match = _if_match(request, required=True)
        body = await read_json(request, services.settings.max_body_bytes)
        row = services.store.conn.execute(
            f"SELECT l.item_no FROM {spec.line_table} l JOIN {spec.table} h ON h.no = l.document_no"
            " WHERE h.id = ? AND l.line_no = ?",
            (document_id, line_no),
        ).fetchone()
        item_no = row[0] if row else ""
        change_ = parse_line_change(services.store, spec.kind, item_no, body)
        await services.gateway.call(
            "change_line", spec.kind, document_id, line_no, change_, if_match
        )
        return _entity_response(services, urls, spec.lines, line_id(document_id, line_no), 200)

    async def remove(
        request: Request, services: Services, line_key: str, key: str | None
    ) -> Response:
        document_id, line_no = await _line(spec, services, line_key, key)
        if_match = _if_match(request, required=False)
        await services.gateway.call("delete_line", spec.kind, document_id, line_no, if_match)
        return _no_content()

    async def change_nested(
        key: str, line_key: str, request: Request, services: ServicesDep, urls: UrlsDep
    ) -> Response:
        return await change(request, services, urls, line_key, key)

    async def change_top(
        line_key: str, request: Request, services: ServicesDep, urls: UrlsDep
    ) -> Response:
        return await change(request, services, urls, line_key, None)

    async def remove_nested(
        key: str, line_key: str, request: Request, services: ServicesDep
    ) -> Response:
        return await remove(request, services, line_key, key)

    async def remove_top(line_key: str, request: Request, services: ServicesDep) -> Response:
        return await remove(request, services, line_key, None)

    async def delete_document(key: str, services: ServicesDep) -> Response:
        await services.gateway.call("delete_document", spec.kind, _document_id(spec, key))
        return _no_content()

    nested = f"/{spec.name}({{key}})/{spec.lines}"
    routes: list[tuple[str, str, Callable[..., Awaitable[Response]], str, int]] = [
        ("POST", nested, add_line, f"Add a line to an open {spec.kind}", 201),
        ("PATCH", nested + "({line_key})", change_nested, "Change a line (If-Match)", 200),
        ("DELETE", nested + "({line_key})", remove_nested, "Remove a line", 204),
        ("PATCH", f"/{spec.lines}({{line_key}})", change_top, "Change a line (If-Match)", 200),
        ("DELETE", f"/{spec.lines}({{line_key}})", remove_top, "Remove a line", 204),
        ("DELETE", f"/{spec.name}({{key}})", delete_document, f"Delete an open {spec.kind}", 204),
    ]
    for method, path, endpoint, summary, status in routes:
        router.add_api_route(path, endpoint, methods=[method], summary=summary, status_code=status)


for _spec in DOCUMENT_SETS.values():
    _routes(_spec)


@router.post(
    "/salesOrders({key})/Microsoft.NAV.shipAndInvoice",
    status_code=204,
    summary="Ship what stock allows and invoice it at once",
)
async def ship_and_invoice(key: str, services: ServicesDep) -> Response:
    (order_id,) = parse_key(key, ENTITY_SETS["salesOrders"])
    await services.gateway.call("ship_and_invoice", order_id)
    return _no_content()


@router.post(
    "/salesInvoices",
    status_code=201,
    summary="Create a draft sales invoice (lines as salesInvoiceLines, or added later)",
)
async def create_invoice(request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    idem = idempotency_key(request)
    body = await read_json(request, services.settings.max_body_bytes)
    document = parse_document(services.store, "invoice", body)
    print_ = fingerprint("salesInvoices", body)
    draft_id, replayed = await services.gateway.call(
        "create_document", "invoice", document, idem, print_
    )
    return _entity_response(services, urls, "salesInvoices", draft_id, 201, replayed)


@router.post(
    "/salesQuotes({key})/Microsoft.NAV.makeInvoice",
    status_code=204,
    summary="Make a draft invoice from a quote, at the quote's prices",
)
async def make_invoice(
    key: str, request: Request, services: ServicesDep, urls: UrlsDep
) -> Response:
    (quote_id,) = parse_key(key, ENTITY_SETS["salesQuotes"])
    idem = idempotency_key(request)
    print_ = fingerprint("makeInvoice", {"quote": quote_id})
    draft_id, replayed = await services.gateway.call("make_invoice", quote_id, idem, print_)
    if "return=representation" in request.headers.get("prefer", ""):
        return _entity_response(services, urls, "salesInvoices", draft_id, 201, replayed)
    headers = {**NO_CONTENT_HEADERS, "Location": urls.entity("salesInvoices", draft_id)}
    return Response(status_code=204, headers=headers)


@router.post(
    "/salesInvoices({key})/Microsoft.NAV.post",
    status_code=204,
    summary="Post a draft invoice: shipped in full and invoiced now",
)
async def post_invoice(key: str, services: ServicesDep) -> Response:
    (invoice_id,) = parse_key(key, ENTITY_SETS["salesInvoices"])
    await services.gateway.call("post_invoice", invoice_id)
    return _no_content()


@router.post(
    "/salesInvoices({key})/Microsoft.NAV.cancel",
    status_code=204,
    summary="Cancel a posted, unpaid invoice with corrective credit memos",
)
async def cancel_invoice(key: str, services: ServicesDep) -> Response:
    (invoice_id,) = parse_key(key, ENTITY_SETS["salesInvoices"])
    await services.gateway.call("cancel", invoice_id)
    return _no_content()


def _master_route(entity_set: str) -> None:
    async def create(request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
        idem = idempotency_key(request)
        body: dict[str, Any] = await read_json(request, services.settings.max_body_bytes)
        master = parse_master(services.store, entity_set, body)
        print_ = fingerprint(entity_set, body)
        new_id, replayed = await services.gateway.call("create_master", master, idem, print_)
        return _entity_response(services, urls, entity_set, new_id, 201, replayed)

    router.add_api_route(
        f"/{entity_set}",
        create,
        methods=["POST"],
        status_code=201,
        summary=f"Create one of the {entity_set} (number optional: the next of the series)",
    )


for _name in ("customers", "items", "contacts"):
    _master_route(_name)
