"""`POST /$batch`: OData v4.01 JSON batch, as Business Central serves it.

Each sub-request is dispatched in-process through the whole ASGI app (URL forms, API key,
faults, validation and handlers are exactly those of a direct call), in the order given;
``dependsOn`` may name earlier requests or atomicity groups, and a request whose dependency
failed is not run (424). At most 100 requests per batch, BC online's limit.

Atomicity groups and their limit: the writer cannot roll a world change back, so a group may
hold at most one write (POST, PATCH, PUT, DELETE), placed last in the group; reads before it
run first. A failure anywhere in the group stops it before the write (or is the write's own
refusal), so no write of a failed group stays, and every request of the group then reports
failure. A batch with a group of two writes is refused (400) before anything runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulator.erp_server.deps import ServicesDep, UrlsDep, json_response, read_json
from simulator.erp_server.odata.errors import ODataError, error_body

__all__ = ["MAX_REQUESTS", "router"]

router = APIRouter(tags=["service"])
MAX_REQUESTS = 100
METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
FIELDS = frozenset({"id", "method", "url", "headers", "body", "atomicityGroup", "dependsOn"})
# Batch headers a sub-request inherits (BC authenticates the batch once).
INHERITED = frozenset({b"authorization", b"api-key", b"host", b"accept", b"prefer"})
EXAMPLE = {
    "requests": [
        {"id": "1", "method": "GET", "url": "items?$top=2&$select=number"},
        {
            "id": "2",
            "method": "POST",
            "url": "salesOrders",
            "headers": {"Content-Type": "application/json"},
            "body": {
                "customerNumber": "C000001",
                "salesOrderLines": [{"itemNumber": "1000001", "quantity": 1}],
            },
            "dependsOn": ["1"],
        },
    ]
}


def _bad(message: str) -> ODataError:
    return ODataError(400, "invalid_batch", message)


def parse_batch(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The validated sub-requests (400 naming the first problem)."""
    requests = body.get("requests")
    if set(body) != {"requests"} or not isinstance(requests, list):
        raise _bad('a JSON batch body is {"requests": [...]}')
    if not requests:
        raise _bad("the batch has no requests")
    if len(requests) > MAX_REQUESTS:
        raise ODataError(
            400,
            "too_many_requests_in_batch",
            f"a batch may hold at most {MAX_REQUESTS} requests, this one has {len(requests)}",
        )
    seen: set[str] = set()
    groups: list[str] = []
    for n, sub in enumerate(requests, start=1):
        if not isinstance(sub, dict) or set(sub) - FIELDS:
            raise _bad(f"request {n}: an object with {', '.join(sorted(FIELDS))}")
        ident = sub.get("id")
        if not isinstance(ident, str) or not ident or ident in seen:
            raise _bad(f"request {n}: id must be a unique, non-empty text")
        if sub.get("method") not in METHODS:
            raise _bad(f"request {ident}: method must be one of {', '.join(sorted(METHODS))}")
        if not isinstance(sub.get("url"), str) or not sub["url"]:
            raise _bad(f"request {ident}: url is required")
        headers = sub.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise _bad(f"request {ident}: headers must be an object of texts")
        group = sub.get("atomicityGroup")
        if group is not None:
            if not isinstance(group, str) or not group or group in seen:
                raise _bad(f"request {ident}: atomicityGroup must be a text other than an id")
            if group in groups and groups[-1] != group:
                raise _bad(f"atomicity group {group!r}: its requests must be adjacent")
            groups.append(group)
        depends = sub.get("dependsOn", [])
        if not isinstance(depends, list) or not all(
            isinstance(d, str) and (d in seen or (d in groups and d != group)) for d in depends
        ):
            raise _bad(f"request {ident}: dependsOn must name earlier requests or groups")
        seen.add(ident)
    _check_groups(requests)
    return requests


def _check_groups(requests: list[dict[str, Any]]) -> None:
    """At most one write per atomicity group, and it comes last (see the module doc)."""
    members: dict[str, list[dict[str, Any]]] = {}
    for sub in requests:
        if sub.get("atomicityGroup") is not None:
            members.setdefault(sub["atomicityGroup"], []).append(sub)
    for group, subs in members.items():
        writes = [i for i, sub in enumerate(subs) if sub["method"] != "GET"]
        if len(writes) > 1 or (writes and writes[0] != len(subs) - 1):
            raise ODataError(
                400,
                "not_supported",
                f"atomicity group {group!r}: this server can keep a group all-or-nothing only"
                " with at most one write, placed last in the group",
            )


class _Collected:
    """What one in-process sub-request answered."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: dict[str, str] = {}
        self.body = bytearray()

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", []):
                self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def answer(self, ident: str) -> dict[str, Any]:
        headers = {k: v for k, v in self.headers.items() if k != "content-length"}
        answer: dict[str, Any] = {"id": ident, "status": self.status, "headers": headers}
        if self.body:
            if headers.get("content-type", "").startswith("application/json"):
                answer["body"] = orjson.loads(bytes(self.body))
            else:
                answer["body"] = bytes(self.body).decode("utf-8", "replace")
        return answer


def _failed(ident: str, status: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "id": ident,
        "status": status,
        "headers": {"content-type": "application/json; odata.metadata=minimal"},
        "body": orjson.loads(error_body(reason, message, status)),
    }


def _target(url: str, base: str) -> tuple[str, bytes]:
    """(decoded path, raw query) of a sub-request URL: absolute, absolute-path or relative
    to the batch's service root."""
    if "://" in url:
        parts = urlsplit(url)
        path, query = parts.path, parts.query
    else:
        path, _, query = url.partition("?")
        if not path.startswith("/"):
            path = base + path
    return unquote(path), query.replace(" ", "%20").encode()


def _scope(request: Request, sub: dict[str, Any], base: str) -> tuple[dict[str, Any], bytes]:
    path, query = _target(sub["url"], base)
    body = sub.get("body")
    raw = b"" if body is None else body.encode() if isinstance(body, str) else orjson.dumps(body)
    headers = [(k, v) for k, v in request.scope["headers"] if k in INHERITED]
    own = {
        k.lower().encode("latin-1"): v.encode("latin-1") for k, v in sub.get("headers", {}).items()
    }
    headers = [(k, v) for k, v in headers if k not in own] + list(own.items())
    if raw:
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        if b"content-type" not in own:
            headers.append((b"content-type", b"application/json"))
    outer = request.scope
    scope = {
        "type": "http",
        "asgi": outer.get("asgi", {"version": "3.0"}),
        "http_version": outer.get("http_version", "1.1"),
        "method": sub["method"],
        "scheme": outer.get("scheme", "http"),
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": outer.get("client"),
        "server": outer.get("server"),
        "extensions": {},
    }
    return scope, raw


async def _dispatch(request: Request, sub: dict[str, Any], base: str) -> dict[str, Any]:
    scope, raw = _scope(request, sub, base)
    if scope["path"].endswith("/$batch"):
        return _failed(sub["id"], 400, "invalid_batch", "a batch cannot contain a batch")
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    collected = _Collected()
    await request.app(scope, receive, collected.send)
    return collected.answer(sub["id"])


@router.post(
    "/$batch",
    summary="OData JSON batch: up to 100 requests, dependsOn, atomicity groups",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": EXAMPLE}}}},
)
async def batch(request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ODataError(
            400,
            "not_supported",
            "this server takes JSON batches only (Content-Type: application/json)",
        )
    subs = parse_batch(await read_json(request, services.settings.max_body_bytes))
    base = urls.path[: -len("$batch")]
    failed: set[str] = set()  # ids and groups that failed
    answers: dict[str, dict[str, Any]] = {}
    group_of: dict[str, list[str]] = {}
    for sub in subs:
        ident, group = sub["id"], sub.get("atomicityGroup")
        if group is not None:
            group_of.setdefault(group, []).append(ident)
        blocked = [d for d in sub.get("dependsOn", []) if d in failed]
        if group is not None and group in failed:
            blocked.append(group)
        if blocked:
            answers[ident] = _failed(
                ident, 424, "batch_dependency_failed", f"not run: {', '.join(blocked)} failed"
            )
        else:
            answers[ident] = await _dispatch(request, sub, base)
        if answers[ident]["status"] >= 400:
            failed.add(ident)
            if group is not None:
                failed.add(group)
                failed.update(group_of[group])
    for group, members in group_of.items():
        if group in failed:
            for ident in members:
                if answers[ident]["status"] < 400:
                    answers[ident] = _failed(
                        ident, 424, "batch_dependency_failed", f"atomicity group {group} failed"
                    )
    return json_response({"responses": [answers[sub["id"]] for sub in subs]})
