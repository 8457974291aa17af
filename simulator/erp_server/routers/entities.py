"""Reading entity sets: collections (query options, paging), single entities by key,
document lines through their header, and PATCH with If-Match.

Routes are generic over the entity set name (one route per shape, not per set: routing
stays a handful of regex matches per request); `/docs` lists the sets and options. The
collection route comes last: its pattern would also match ``items(<key>)``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound

from simulator.erp_server.deps import (
    Services,
    ServicesDep,
    Urls,
    UrlsDep,
    json_response,
    read_json,
    written_response,
)
from simulator.erp_server.entities import EDM_DATE, ENTITY_SETS, EntitySet
from simulator.erp_server.live import PATCHABLE
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.odata.keys import parse_key
from simulator.erp_server.odata.query import Query, parse_query
from simulator.erp_server.reads import Page

__all__ = ["ReadRoutes", "router"]

router = APIRouter(tags=["entities"])
SETS = ", ".join(["companies", *ENTITY_SETS])
_MAXPAGESIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d{1,9})")
QUERY_DOCS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": text,
    }
    for name, text in (
        ("$filter", "e.g. lastModifiedDateTime gt 2026-10-01T00:00:00Z and blocked eq false"),
        ("$select", "comma-separated fields"),
        ("$orderby", "e.g. unitPrice desc,number"),
        ("$top", "at most this many entities in all (paged)"),
        ("$skip", "skip this many first"),
        ("$count", "true: add @odata.count"),
        ("$expand", "document lines, e.g. salesOrderLines"),
        ("$skiptoken", "from @odata.nextLink"),
    )
]
SET_DOC = f"Entity set: one of {SETS}."
# $count counts what $filter keeps; paging and shaping options do not change it.
COUNT_OPTIONS = frozenset({"$filter"})


def _context(request: Request) -> tuple[Services, Urls]:
    """Services and URLs for the fast (plain Starlette) handlers, company checked."""
    services: Services = request.app.state.services
    company = request.path_params.get("company")
    if company is not None and company.strip("'").lower() != services.company_id:
        raise ODataError(404, "not_found", f"no company {company}")
    return services, Urls(request)


def _entity(name: str) -> EntitySet:
    found = ENTITY_SETS.get(name)
    if found is None:
        raise ODataError(404, "not_found", f"no entity set {name!r} (there are: {SETS})")
    return found


def _page_size(request: Request, maximum: int) -> int:
    prefer = request.headers.get("prefer")
    if prefer:
        match = _MAXPAGESIZE.search(prefer)
        if match:
            return max(1, min(maximum, int(match.group(1))))
    return maximum


def _page_headers(request: Request, size: int) -> dict[str, str] | None:
    """``Preference-Applied`` when the client asked for a page size (OData 8.2.8.3)."""
    prefer = request.headers.get("prefer")
    if prefer and _MAXPAGESIZE.search(prefer):
        return {"Preference-Applied": f"odata.maxpagesize={size}"}
    return None


def _collection_body(
    urls: Urls, query: Query, page: Page, context: str, path: str
) -> dict[str, Any]:
    body: dict[str, Any] = {"@odata.context": context}
    if page.count is not None:
        body["@odata.count"] = page.count
    body["value"] = page.rows
    if page.next_token is not None:
        options = [(k, v) for k, v in query.options if k not in ("$skip", "$top", "$skiptoken")]
        if page.next_top is not None:
            options.append(("$top", str(page.next_top)))
        options.append(("$skiptoken", page.next_token))
        text = "&".join(f"{k}={quote(v, safe=',()')}" for k, v in options)
        body["@odata.nextLink"] = f"{urls.origin}{path}?{text}"
    return body


def _select_suffix(query: Query) -> str:
    if query.select is None:
        return ""
    return "(" + ",".join(f.name for f in query.select) + ")"


async def companies(request: Request) -> Response:
    """The companies (one per dataset)."""
    services, urls = _context(request)
    return json_response({"@odata.context": urls.context("companies"), "value": [services.company]})


async def read_one(request: Request) -> Response:
    """Read one entity by key."""
    services, urls = _context(request)
    entity_set, key = request.path_params["entity_set"], request.path_params["key"]
    if entity_set == "companies":
        if key.strip("'") != services.company_id:
            raise ODataError(404, "not_found", f"no company {key}")
        return json_response(
            {"@odata.context": urls.context("companies/$entity"), **services.company}
        )
    entity = _entity(entity_set)
    query = parse_query(
        request.query_params.multi_items(), entity, services.limits, collection=False
    )
    body = services.store.one(entity, parse_key(key, entity), query)
    context = urls.context(f"{entity.name}{_select_suffix(query)}/$entity")
    return json_response({"@odata.context": context, **body}, headers={"ETag": body["@odata.etag"]})


async def read_lines(request: Request) -> Response:
    """Read the lines of a document."""
    services, urls = _context(request)
    params = request.path_params
    entity_set, key, navigation = params["entity_set"], params["key"], params["navigation"]
    parent = _entity(entity_set)
    nav = parent.navigation_by_name.get(navigation)
    if nav is None:
        raise ODataError(404, "not_found", f"{entity_set} has no navigation {navigation!r}")
    row = services.store.one_row(parent, parse_key(key, parent))
    if row is None:
        raise ODataError(404, "not_found", f"{entity_set}: no entity with key {key}")
    target = ENTITY_SETS[nav.target]
    local = tuple(row[parent.columns.index(c)] for c in nav.local)
    scope = (" AND ".join(f"{c} = ?" for c in nav.foreign), local)
    if nav.single:  # a reference (salesOrders(<id>)/customer): the one entity
        one = parse_query(
            request.query_params.multi_items(), target, services.limits, collection=False
        )
        found = services.store.page(one, 1, scope).rows
        if not found:
            raise ODataError(404, "not_found", f"{entity_set}({key}) has no {navigation}")
        context = urls.context(f"{target.name}{_select_suffix(one)}/$entity")
        return json_response(
            {"@odata.context": context, **found[0]}, headers={"ETag": found[0]["@odata.etag"]}
        )
    query = parse_query(request.query_params.multi_items(), target, services.limits)
    size = _page_size(request, services.limits.max_page_size)
    page = services.store.page(query, size, scope)
    context = urls.context(f"{entity_set}({key})/{navigation}{_select_suffix(query)}")
    body = _collection_body(urls, query, page, context, urls.path)
    return json_response(body, headers=_page_headers(request, size))


async def read_line(request: Request) -> Response:
    """Read one line of a document by its key, through the document."""
    services, urls = _context(request)
    params = request.path_params
    parent = _entity(params["entity_set"])
    nav = parent.navigation_by_name.get(params["navigation"])
    if nav is None:
        raise ODataError(
            404, "not_found", f"{parent.name} has no navigation {params['navigation']!r}"
        )
    row = services.store.one_row(parent, parse_key(params["key"], parent))
    if row is None:
        raise ODataError(404, "not_found", f"{parent.name}: no entity with key {params['key']}")
    target = ENTITY_SETS[nav.target]
    query = parse_query(
        request.query_params.multi_items(), target, services.limits, collection=False
    )
    body = services.store.one(target, parse_key(params["line_key"], target), query)
    local = tuple(row[parent.columns.index(c)] for c in nav.local)
    foreign = tuple(body.get(c.strip('"')) for c in nav.foreign)
    if local != foreign:
        raise ODataError(
            404, "not_found", f"{parent.name}({params['key']}) has no line {params['line_key']}"
        )
    context = urls.context(f"{target.name}{_select_suffix(query)}/$entity")
    return json_response({"@odata.context": context, **body}, headers={"ETag": body["@odata.etag"]})


@router.patch("/{entity_set}({key})", summary="Update an entity (needs If-Match)")
async def patch_one(
    entity_set: str, key: str, request: Request, services: ServicesDep, urls: UrlsDep
) -> Response:
    entity = _entity(entity_set)
    allowed = PATCHABLE.get(entity.name)
    if allowed is None:
        raise ODataError(405, "read_only", f"{entity.name} cannot be changed through this API")
    values = parse_key(key, entity)
    body = await read_json(request, services.settings.max_body_bytes)
    changes = _changes(entity, allowed, body)
    if_match = request.headers.get("if-match")
    if not if_match:
        raise ODataError(428, "precondition_required", "PATCH needs an If-Match header (the ETag)")
    await services.gateway.call("patch", entity.name, values, changes, if_match)
    fresh = services.store.one(entity, values, Query(entity))
    context = urls.context(f"{entity.name}/$entity")
    body = {"@odata.context": context, **fresh}
    headers = {"ETag": fresh["@odata.etag"]}
    return written_response(request, body, 200, headers, urls.entity(entity.name, key))


async def read_collection(request: Request) -> Response:
    """Read a collection (OData query options, server-driven paging)."""
    services, urls = _context(request)
    entity = _entity(request.path_params["entity_set"])
    query = parse_query(request.query_params.multi_items(), entity, services.limits)
    size = _page_size(request, services.limits.max_page_size)
    page = services.store.page(query, size)
    context = urls.context(entity.name + _select_suffix(query))
    body = _collection_body(urls, query, page, context, urls.path)
    return json_response(body, headers=_page_headers(request, size))


async def read_count(request: Request) -> Response:
    """``/{set}/$count`` (or a document's ``/{lines}/$count``): the number of entities that
    match `$filter`, as plain text (OData 11.2.10)."""
    services, _ = _context(request)
    params = request.path_params
    entity = _entity(params["entity_set"])
    scope = None
    if "navigation" in params:
        nav = entity.navigation_by_name.get(params["navigation"])
        if nav is None:
            raise ODataError(404, "not_found", f"{entity.name} has no {params['navigation']!r}")
        row = services.store.one_row(entity, parse_key(params["key"], entity))
        if row is None:
            raise ODataError(404, "not_found", f"{entity.name}: no entity with key {params['key']}")
        local = tuple(row[entity.columns.index(c)] for c in nav.local)
        scope = (" AND ".join(f"{c} = ?" for c in nav.foreign), local)
        entity = ENTITY_SETS[nav.target]
    items = [(k, v) for k, v in request.query_params.multi_items() if k in COUNT_OPTIONS]
    query = parse_query(items, entity, services.limits)
    sql, values = query.count_sql(scope)
    (count,) = services.store.conn.execute(sql, values).fetchone()
    return Response(
        str(count), media_type="text/plain; charset=utf-8", headers={"OData-Version": "4.0"}
    )


def _changes(entity: EntitySet, allowed: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if name not in entity.by_name:
            raise ODataError(400, "unknown_field", f"{entity.name} has no field {name!r}")
        if name not in allowed:
            editable = ", ".join(allowed)
            raise ODataError(400, "read_only_field", f"{name} is read-only (editable: {editable})")
        if not isinstance(value, str) or len(value) > 250:
            raise ODataError(400, "invalid_value", f"{name} must be a text of at most 250 chars")
        if entity.by_name[name].edm == EDM_DATE:
            _check_date(name, value)
        changes[name] = value
    if not changes:
        raise ODataError(400, "invalid_json", "the body changes no field")
    return changes


def _check_date(name: str, value: str) -> None:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ODataError(400, "invalid_value", f"{name} must be a date (YYYY-MM-DD)") from None
    if len(value) != 10:
        raise ODataError(400, "invalid_value", f"{name} must be a date (YYYY-MM-DD)")


# GET reads are served by `ReadRoutes` (see `app.py`: FastAPI's per-request
# dependency solving would cost more than the whole read); FastAPI documents them.
READS = (
    ("/companies", companies, "The companies (one per dataset)", ()),
    ("/{entity_set}/$count", read_count, "The number of entities ($filter), text/plain", ()),
    ("/{entity_set}({key})/{navigation}", read_lines, "Read the lines of a document", QUERY_DOCS),
    ("/{entity_set}({key})", read_one, "Read one entity by key ($select, $expand)", ()),
    ("/{entity_set}", read_collection, "Read a collection (query options, paging)", QUERY_DOCS),
)
for _path, _handler, _summary, _parameters in READS:
    router.add_api_route(
        _path,
        _handler,
        methods=["GET"],
        summary=_summary,
        description=SET_DOC,
        openapi_extra={"parameters": list(_parameters)} if _parameters else None,
    )


class ReadRoutes(BaseRoute):
    """All GET reads under the API root (and its company prefix) as one route that parses
    the path with string operations: cheaper than a regex per shape, and it only claims
    names that are entity sets, so ``$metadata``, ``subscriptions`` and the rest fall
    through to their own routes."""

    def __init__(self, root: str) -> None:
        self.root = root + "/"
        self.company_root = root + "/companies("

    def _parse(self, path: str) -> dict[str, str] | None:
        params: dict[str, str] = {}
        if path.startswith(self.company_root):
            end = path.find(")/", len(self.company_root))
            if end < 0:
                return None
            params["company"] = path[len(self.company_root) : end]
            rest = path[end + 2 :]
        elif path.startswith(self.root):
            rest = path[len(self.root) :]
        else:
            return None
        if rest.endswith("/$count"):
            params["count"] = "true"
            rest = rest[: -len("/$count")]
        paren = rest.find("(")
        name = rest if paren < 0 else rest[:paren]
        if (name not in ENTITY_SETS and name != "companies") or "/" in name:
            return None
        params["entity_set"] = name
        if paren < 0:
            return params
        close = rest.rfind(")")
        if close < paren:
            return None
        params["key"] = rest[paren + 1 : close]
        first = rest.find(")")
        tail = rest[first + 1 :]
        if tail:
            if not tail.startswith("/") or "/" in tail[1:]:
                return None
            params["key"] = rest[paren + 1 : first]
            navigation = tail[1:]
            inner = navigation.find("(")
            if inner >= 0:  # a contained line by its key: salesOrders(<id>)/salesOrderLines(<id>)
                if not navigation.endswith(")"):
                    return None
                params["line_key"] = navigation[inner + 1 : -1]
                navigation = navigation[:inner]
            params["navigation"] = navigation
        elif close != first:
            return None
        return params

    def matches(self, scope: Any) -> tuple[Match, dict[str, Any]]:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        params = self._parse(scope["path"])
        if params is None:
            return Match.NONE, {}
        if "count" in params:
            if "navigation" not in params and "key" in params:
                return Match.NONE, {}
            handler = read_count
        elif "line_key" in params:
            handler = read_line
        elif "navigation" in params:
            handler = read_lines
        elif "key" in params:
            handler = read_one
        elif params["entity_set"] == "companies":
            handler = companies
        else:
            handler = read_collection
        return Match.FULL, {"endpoint": handler, "path_params": params}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        response = await scope["endpoint"](Request(scope, receive))
        await response(scope, receive, send)
