"""What request handlers share, as `Annotated` dependencies, and small response helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response

from simulator.erp_server.faults import FaultInjector
from simulator.erp_server.gateway import Gateway
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.odata.query import Limits
from simulator.erp_server.paths import PUBLIC_PATH, PUBLIC_ROOT
from simulator.erp_server.reads import ReadStore
from simulator.erp_server.settings import API_ROOT, ServerSettings

__all__ = [
    "JSON_TYPE",
    "Services",
    "ServicesDep",
    "Urls",
    "UrlsDep",
    "company_id_for",
    "json_response",
    "read_json",
    "return_preference",
    "written_response",
]

JSON_TYPE = "application/json; odata.metadata=minimal"
ODATA_HEADERS = {"OData-Version": "4.0"}


@dataclass
class Services:
    """Built once by `create_app`; handlers reach it through `ServicesDep`."""

    settings: ServerSettings
    store: ReadStore
    gateway: Gateway
    injector: FaultInjector
    limits: Limits
    company: dict[str, Any]
    metadata: bytes

    @property
    def company_id(self) -> str:
        return str(self.company["id"])


def company_id_for(seed: int, profile: str) -> str:
    """The company's SystemId: fixed for a dataset, the same in every worker."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"erpsim:company:{profile}:{seed}"))


async def _services(request: Request) -> Services:
    # async: FastAPI would run a plain function in its thread pool, on every request
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(_services)]


class Urls:
    """The request's service root and the path prefix of its entity sets (for
    `@odata.context` and next links), in the URL form the client called (see `paths`)."""

    __slots__ = ("origin", "path", "prefix", "request", "root")

    def __init__(self, request: Request) -> None:
        self.request = request
        scope = request.scope
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if host is None:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        self.origin = f"{scope.get('scheme', 'http')}://{host}"
        self.root = self.origin + scope.get(PUBLIC_ROOT, API_ROOT)
        path: str = scope["path"]
        self.path: str = scope.get(PUBLIC_PATH, path)
        start = len(API_ROOT) + 1
        if path.startswith("companies(", start):
            self.prefix = path[start : path.index(")", start) + 2]
        else:
            self.prefix = ""

    def context(self, fragment: str) -> str:
        return f"{self.root}/$metadata#{self.prefix}{fragment}"

    def entity(self, entity_set: str, key: str) -> str:
        return f"{self.root}/{self.prefix}{entity_set}({key})"


async def _urls(request: Request) -> Urls:
    return Urls(request)


UrlsDep = Annotated[Urls, Depends(_urls)]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    merged = {**ODATA_HEADERS, **headers} if headers else ODATA_HEADERS
    return Response(content, status_code=status, media_type=JSON_TYPE, headers=merged)


def return_preference(request: Request) -> str | None:
    """``minimal`` or ``representation`` when the client sent ``Prefer: return=...``."""
    prefer = request.headers.get("prefer", "")
    for part in prefer.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip() == "return" and value.strip() in ("minimal", "representation"):
            return value.strip()
    return None


def written_response(
    request: Request, body: dict[str, Any], status: int, headers: dict[str, str], entity_url: str
) -> Response:
    """The answer to a write: the entity (``return=representation``, the default) or, with
    ``Prefer: return=minimal``, 204 with ``OData-EntityId`` and ``Preference-Applied``."""
    preference = return_preference(request)
    if preference == "minimal":
        minimal = {
            **ODATA_HEADERS,
            **headers,
            "OData-EntityId": entity_url,
            "Preference-Applied": "return=minimal",
        }
        return Response(status_code=204, headers=minimal)
    if preference == "representation":
        headers = {**headers, "Preference-Applied": "return=representation"}
    return json_response(body, status, headers)


async def read_json(request: Request, max_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object; 400 for oversize, malformed or non-object bodies."""
    declared = request.headers.get("content-length")
    if declared is not None and (
        not (declared.isascii() and declared.isdigit()) or int(declared) > max_bytes
    ):
        raise ODataError(400, "body_too_large", f"the request body exceeds {max_bytes} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ODataError(400, "body_too_large", f"the request body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise ODataError(400, "invalid_json", "the request needs a JSON body")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ODataError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ODataError(400, "invalid_json", "the body must be a JSON object")
    return body
