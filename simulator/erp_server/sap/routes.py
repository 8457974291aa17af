"""The HTTP surface of the SAP facade: ``/sap/opu/odata/sap/<SERVICE>/...``.

One Starlette route parses the resource path itself: the service document, ``$metadata``,
``$batch``, an entity set (and ``/$count``), an entity by key, a property of it, and a
navigation from it. Reads are answered here; writes go to `writes`. Every answer carries
SAP Gateway's headers (``dataserviceversion: 2.0``), a CSRF token when asked for one, and
SAP's error body when something is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.erp_server.paths import PUBLIC_ROOT
from simulator.erp_server.sap import reader
from simulator.erp_server.sap.auth import SAP_CLIENT, SYSTEM_ID, csrf_token
from simulator.erp_server.sap.catalog import SAP_ROOT, SERVICE_NAMES, EntityType, service
from simulator.erp_server.sap.edmx import metadata_xml
from simulator.erp_server.sap.errors import SapError, error_body
from simulator.erp_server.sap.query import SapQuery, parse_key, parse_query
from simulator.erp_server.sap.v2 import format_value

__all__ = ["Call", "routes", "sap_response"]

log = logging.getLogger("erpsim.erp_server.sap")
JSON = "application/json; charset=utf-8"
GATEWAY_HEADERS = {"dataserviceversion": "2.0", "sap-server": "true"}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "MERGE", "DELETE"]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})


@dataclass
class Call:
    """One request, parsed: the service, the resource path's parts and the caller."""

    request: Request
    service: str
    base: str  # .../sap/opu/odata/sap/<SERVICE>/
    user: str
    entity: EntityType | None = None
    key: dict[str, Any] | None = None
    tail: str = ""  # what follows the key: a navigation, a property, $value, $count
    params: list[tuple[str, str]] | None = None

    @property
    def services(self) -> Any:
        return self.request.app.state.services


def sap_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(
        content, status_code=status, media_type=JSON, headers={**GATEWAY_HEADERS, **(headers or {})}
    )


def error_response(exc: SapError, service_name: str = "") -> Response:
    if exc.plain:
        return Response(
            exc.message, exc.status, media_type="text/plain", headers={**GATEWAY_HEADERS,
            **exc.headers},
        )  # fmt: skip
    body = error_body(
        exc.code, exc.message, service=service_name, target=exc.target, details=exc.details
    )
    return sap_response(body, exc.status, exc.headers)


def _base(request: Request, service_name: str) -> str:
    scope = request.scope
    host = request.headers.get("host") or "127.0.0.1"
    root = scope.get(PUBLIC_ROOT, SAP_ROOT)
    return f"{scope.get('scheme', 'http')}://{host}{root}/{service_name}/"


def _split(rest: str) -> tuple[str, str | None, str]:
    """'A_Product(\\'X\\')/to_Description' -> ('A_Product', "'X'", 'to_Description')."""
    paren = rest.find("(")
    slash = rest.find("/")
    if paren < 0 or (0 <= slash < paren):
        name, _, tail = rest.partition("/")
        return name, None, tail
    depth = 0
    in_quote = False
    for i in range(paren, len(rest)):
        char = rest[i]
        if char == "'":
            in_quote = not in_quote
        elif not in_quote and char == "(":
            depth += 1
        elif not in_quote and char == ")":
            depth -= 1
            if depth == 0:
                tail = rest[i + 1 :]
                if tail and not tail.startswith("/"):
                    raise SapError(400, "/IWBEP/CM_MGW_RT/021", f"Malformed resource path {rest}")
                return rest[:paren], rest[paren + 1 : i], tail[1:]
    raise SapError(400, "/IWBEP/CM_MGW_RT/021", f"Malformed resource path {rest}")


async def handle(request: Request) -> Response:
    name = request.path_params["service"]
    try:
        return await _handle(request, name)
    except SapError as exc:
        return error_response(exc, name)
    except Exception:  # SAP answers 500 with its body; log the cause
        log.exception("SAP facade failed on %s %s", request.method, request.url.path)
        return error_response(
            SapError(500, "/IWBEP/CM_MGW_RT/000", "The server failed to handle the request"),
            name,
        )


def _client_check(request: Request) -> None:
    client = request.query_params.get("sap-client") or request.headers.get("sap-client")
    if client is not None and client != SAP_CLIENT:
        raise SapError(
            401,
            "/IWFND/CM_CONSUMER/101",
            f"Logon failed: client {client} does not exist in system {SYSTEM_ID}"
            f" (the client is {SAP_CLIENT})",
        )


SESSION_COOKIE = f"SAP_SESSIONID_{SYSTEM_ID}_{SAP_CLIENT}"


def _csrf_check(request: Request, key: bytes, user: str) -> None:
    """Gateway compares the token with the session the fetch opened: a write must send the
    token and the session cookie back (a client that drops cookies fails here, as on SAP).
    The refusal is ICF's plain-text 403, not an OData error body."""
    token = csrf_token(key, user)
    if request.headers.get("x-csrf-token", "") != token or (
        request.cookies.get(SESSION_COOKIE) != token
    ):
        raise SapError(
            403,
            "/IWFND/CM_BEC/026",
            "CSRF token validation failed",
            headers={"x-csrf-token": "Required"},
            plain=True,
        )


async def _handle(request: Request, name: str) -> Response:
    if name not in SERVICE_NAMES:
        raise SapError(
            404,
            "/IWFND/MED/170",
            f"No service found for namespace '/SAP/', name '{name}', version '0001'",
        )
    _client_check(request)
    user = request.scope.get("erpsim.sap_user", "ERPSIM")
    key = request.app.state.services.settings.api_key.encode()
    headers: dict[str, str] = {}
    if request.headers.get("x-csrf-token", "").lower() == "fetch":
        token = csrf_token(key, user)
        headers["x-csrf-token"] = token
        headers["set-cookie"] = f"{SESSION_COOKIE}={token}; path=/; HttpOnly"
    method = request.method.upper()
    override = request.headers.get("x-http-method", "").upper()
    if method == "POST" and override in ("MERGE", "PATCH", "PUT", "DELETE"):
        method = override
    rest = request.path_params.get("rest", "")
    call = Call(request, name, _base(request, name), user)
    try:
        if method in WRITE_METHODS:
            _csrf_check(request, key, user)
            from simulator.erp_server.sap import writes  # noqa: PLC0415 (writes imports us)

            response = await writes.handle(call, method, rest)
        else:
            response = _read(call, rest, head=method == "HEAD")
    except SapError as exc:
        if not headers:
            raise
        # A token fetch is answered whatever the resource: the SAP Cloud SDK fetches it
        # with HEAD on the URL it will post to (``.../$batch``), which no GET serves.
        response = error_response(exc, name)
    for header, value in headers.items():
        response.headers[header] = value
    return response


def _read(call: Call, rest: str, *, head: bool) -> Response:
    svc = service(call.service)
    rest = rest.strip("/")
    if rest == "":
        if head:
            return sap_response(b"")
        return sap_response({"d": {"EntitySets": list(svc.sets)}})
    if rest == "$metadata":
        return Response(
            metadata_xml(call.service, call.base + "$metadata"),
            media_type="application/xml",
            headers=GATEWAY_HEADERS,
        )
    if rest == "$batch":
        raise SapError(405, "/IWBEP/CM_MGW_RT/051", "A $batch request is a POST")
    set_name, key_text, tail = _split(rest)
    entity = svc.sets.get(set_name)
    if entity is None:
        raise SapError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{set_name}'")
    if head:  # the SAP Cloud SDK's token fetch before each write: headers only, no page read
        return sap_response(b"")
    params = call.params
    if params is None:  # a $batch part brings its own
        params = parse_qsl(call.request.url.query, keep_blank_values=True)
    conn = call.services.store.conn
    page_size = call.services.settings.max_page_size
    if key_text is None:
        if tail == "$count":
            query = parse_query(entity, _only_filter(params))
            return Response(
                str(reader.count(conn, query)), media_type="text/plain", headers=GATEWAY_HEADERS
            )
        if tail:
            raise SapError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{tail}'")
        query = parse_query(entity, params)
        body = reader.page(conn, query, call.base, page_size, next_url=call.base + set_name)
        return sap_response({"d": body})
    key = parse_key(entity, key_text)
    row = reader.fetch_one(conn, entity, key)
    if row is None:
        raise SapError(
            404,
            "/IWBEP/CM_MGW_RT/020",
            f"Resource not found for segment '{entity.name}'",
        )
    if not tail:
        query = parse_query(entity, params)
        return _entity_response(conn, query, row, call.base)
    head_, _, sub = tail.partition("/")
    nav = entity.navigations.get(head_)
    if nav is not None:
        target = svc.sets[nav.target]
        constraint = tuple((t, row[s]) for s, t in nav.pairs)
        if sub == "$count":
            query = parse_query(target, _only_filter(params))
            return Response(
                str(reader.count(conn, query, constraint)),
                media_type="text/plain",
                headers=GATEWAY_HEADERS,
            )
        if sub:
            raise SapError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{sub}'")
        query = parse_query(target, params)
        if nav.many:
            url = call.base + rest
            body = reader.page(
                conn, query, call.base, page_size, constraint=constraint, next_url=url
            )
            return sap_response({"d": body})
        found = reader.page(
            conn, SapQuery(**{**query.__dict__, "top": 1}), call.base, 1, constraint=constraint
        )
        if not found["results"]:
            return sap_response({"d": None})
        return sap_response({"d": found["results"][0]})
    prop = entity.prop(head_)
    if prop is not None:
        value = format_value(prop, row[prop.name])
        if sub == "$value":
            text = "" if value is None else str(value)
            return Response(text, media_type="text/plain", headers=GATEWAY_HEADERS)
        if sub:
            raise SapError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{sub}'")
        return sap_response({"d": {prop.name: value}})
    raise SapError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{head_}'")


def _entity_response(conn: Any, query: SapQuery, row: dict[str, Any], base: str) -> Response:
    from simulator.erp_server.sap.v2 import etag, payload  # noqa: PLC0415

    extra = reader.expand(conn, query.entity, [row], query.expand, base)[0]
    body = payload(query.entity, row, base, select=query.select, expanded=extra)
    tag = etag(query.entity, row)
    return sap_response({"d": body}, headers={"etag": tag} if tag else None)


def _only_filter(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, v) for n, v in params if not n.startswith("$") or n == "$filter"]


def routes() -> list[Route]:
    return [
        Route(SAP_ROOT + "/{service}/{rest:path}", handle, methods=METHODS),
        Route(SAP_ROOT + "/{service}", handle, methods=METHODS),
    ]
