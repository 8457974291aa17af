"""OData V2 ``$batch`` (multipart/mixed) as SAP Gateway serves it.

A batch holds reads (one ``application/http`` part each) and changesets (a nested
``multipart/mixed`` of writes). The answer is 202 with one part per read and, per
changeset, either one response per write or, when any write was refused, the one error
and nothing written: the changeset's writes run in one writer transaction
(`writer.SapWrites.sap_changeset`). Reads are answered as a direct GET would be; writes are
planned by `writes.plan` as direct writes are. A changeset may add items to an order an
earlier create of it makes, by that create's Content-ID (``POST $1/to_Item``); other
Content-ID references are refused (400).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.datastructures import Headers
from starlette.responses import Response

from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.sap.errors import SapError
from simulator.erp_server.sap.routes import Call, _read, error_response
from simulator.erp_server.sap.writer import CHANGESET_METHODS
from simulator.erp_server.sap.writes import Planned, plan, plan_referenced_item, run, sap_error

__all__ = ["MAX_PARTS", "handle_batch", "parse_multipart"]

MAX_PARTS = 1000
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_REFERENCE = re.compile(r"^\$([^/?]+)(/[^?]*)?$")
_REQUEST_LINE = re.compile(r"^([A-Z]+) (\S+)(?: HTTP/1\.[01])?$")


@dataclass
class Part:
    """One request of a batch, with its MIME part headers (Content-ID)."""

    method: str
    url: str
    headers: Headers
    body: bytes
    content_id: str | None = None


@dataclass
class Changeset:
    parts: list[Part] = field(default_factory=list)


def _bad(message: str) -> SapError:
    return SapError(400, "/IWBEP/CM_MGW_RT/004", f"Malformed batch request: {message}")


def boundary_of(content_type: str) -> str:
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    found = _BOUNDARY.search(content_type)
    if media != "multipart/mixed" or found is None:
        raise _bad("the Content-Type must be multipart/mixed with a boundary")
    return found.group(1)


def _split_parts(body: bytes, boundary: str) -> list[bytes]:
    """The parts between ``--boundary`` lines, up to ``--boundary--`` (CRLF or LF)."""
    text = b"\n" + body.replace(b"\r\n", b"\n")
    pieces = text.split(b"\n--" + boundary.encode("latin-1"))
    parts: list[bytes] = []
    for piece in pieces[1:]:  # pieces[0] is the preamble
        if piece.startswith(b"--"):
            return parts
        parts.append(piece.split(b"\n", 1)[1] if b"\n" in piece else b"")
    raise _bad(f"the closing --{boundary}-- is missing")


def _head(block: bytes) -> tuple[Headers, bytes]:
    """(headers, rest) of a block of header lines, a blank line and a rest."""
    head, _, rest = block.partition(b"\n\n")
    pairs = []
    for line in head.decode("latin-1").split("\n"):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _bad(f"header line {line!r} has no ':'")
        pairs.append((name.strip().lower().encode("latin-1"), value.strip().encode("latin-1")))
    return Headers(raw=pairs), rest


def _request(block: bytes, content_id: str | None) -> Part:
    line, _, rest = block.lstrip(b"\n").partition(b"\n")
    found = _REQUEST_LINE.match(line.decode("latin-1").strip())
    if found is None:
        raise _bad(f"{line[:80]!r} is not a request line (METHOD url HTTP/1.1)")
    if rest.startswith(b"\n"):  # no headers at all
        headers, body = Headers(), rest[1:]
    else:
        headers, body = _head(rest)
    return Part(found.group(1), found.group(2), headers, body.rstrip(b"\n"), content_id)


def parse_multipart(body: bytes, content_type: str) -> list[Part | Changeset]:
    """The batch's reads and changesets, in order (400 for what is not a V2 batch)."""
    items: list[Part | Changeset] = []
    for raw in _split_parts(body, boundary_of(content_type)):
        headers, rest = _head(raw)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            changeset = Changeset()
            for inner in _split_parts(rest, boundary_of(kind)):
                inner_headers, inner_rest = _head(inner)
                if not inner_headers.get("content-type", "").lower().startswith("application/http"):
                    raise _bad("a changeset part must be application/http")
                part = _request(inner_rest, inner_headers.get("content-id"))
                if part.method == "GET":
                    raise _bad("a changeset may not contain a GET")
                changeset.parts.append(part)
            items.append(changeset)
        elif kind.lower().startswith("application/http"):
            part = _request(rest, headers.get("content-id"))
            if part.method != "GET":
                raise _bad(f"{part.method} {part.url} must be inside a changeset")
            items.append(part)
        else:
            raise _bad(f"a batch part must be application/http or multipart/mixed, not {kind!r}")
    if sum(len(i.parts) if isinstance(i, Changeset) else 1 for i in items) > MAX_PARTS:
        raise _bad(f"a batch may hold at most {MAX_PARTS} requests")
    return items


def _target(call: Call, url: str) -> tuple[str, list[tuple[str, str]]]:
    """(resource path below the service root, query parameters) of an inner URL."""
    if re.match(r"\$\d", url):
        raise SapError(
            400,
            "/IWBEP/CM_MGW_RT/004",
            "Content-ID references ($1/...) work inside a changeset only",
        )
    parts = urlsplit(url)
    path = unquote(parts.path)
    root = urlsplit(call.base).path
    if path.startswith("/"):
        if not path.startswith(root):
            raise _bad(f"{url} is not a resource of {call.service}")
        path = path[len(root) :]
    return path.strip("/"), parse_qsl(parts.query, keep_blank_values=True)


def _http(response: Response, content_id: str | None = None) -> bytes:
    """One response as an application/http part."""
    status = response.status_code
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    inner = [f"HTTP/1.1 {status} {reason}"]
    body = bytes(response.body)
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "date", "server"):
            inner.append(f"{name}: {value}")
    inner.append(f"content-length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n" + "\r\n".join(inner) + "\r\n\r\n"
    return head.encode("latin-1") + body + b"\r\n"


def _multipart(parts: list[bytes], boundary: str) -> bytes:
    out = b"".join(b"--" + boundary.encode() + b"\r\n" + part for part in parts)
    return out + b"--" + boundary.encode() + b"--\r\n"


async def _get(call: Call, part: Part) -> Response:
    try:
        rest, params = _target(call, part.url)
        inner = Call(call.request, call.service, call.base, call.user, params=params)
        return _read(inner, rest, head=False)
    except SapError as exc:
        return error_response(exc, call.service)


async def _changeset(call: Call, changeset: Changeset) -> bytes:
    """The changeset's answer: its responses as a nested multipart, or its one error."""
    try:
        planned = [_plan(call, changeset, n) for n in range(len(changeset.parts))]
        responses = await _run_all(call, planned)
    except SapError as exc:
        return _http(error_response(exc, call.service))
    ids = [part.content_id for part in changeset.parts]
    boundary = "changeset_" + uuid.uuid4().hex
    inner = _multipart([_http(r, i) for r, i in zip(responses, ids, strict=True)], boundary)
    head = f"Content-Type: multipart/mixed; boundary={boundary}\r\n"
    return head.encode() + f"Content-Length: {len(inner)}\r\n\r\n".encode() + inner + b"\r\n"


def _plan(call: Call, changeset: Changeset, position: int) -> Planned:
    """One write of a changeset, planned; ``$<id>/to_Item`` names an order an earlier
    create of the changeset makes (its Content-ID)."""
    part = changeset.parts[position]
    method = part.method.upper()
    override = part.headers.get("x-http-method", "").upper()
    if method == "POST" and override in ("MERGE", "PATCH", "PUT", "DELETE"):
        method = override
    found = _REFERENCE.match(part.url)
    if found is None:
        rest, _ = _target(call, part.url)
        return plan(call, method, rest, part.body, part.headers)
    earlier = [p.content_id for p in changeset.parts[:position]]
    target = earlier.index(found.group(1)) if found.group(1) in earlier else None
    creates = target is not None and _is_order_create(call, changeset.parts[target])
    if target is None or not creates or (method, found.group(2)) != ("POST", "/to_Item"):
        raise SapError(
            400,
            "/IWBEP/CM_MGW_RT/004",
            f"Content-ID reference {part.url}: this system takes POST $<id>/to_Item, where"
            " <id> is an earlier sales order create of the same changeset",
        )
    assert target is not None
    return plan_referenced_item(call, target, part.body, part.headers)


def _is_order_create(call: Call, part: Part) -> bool:
    if part.method.upper() != "POST" or _REFERENCE.match(part.url):
        return False
    rest, _ = _target(call, part.url)
    return call.service == "API_SALES_ORDER_SRV" and rest == "A_SalesOrder"


async def _run_all(call: Call, planned: list[Planned]) -> list[Response]:
    calls = [p.call for p in planned]
    if len(planned) == 1 or not all(c is not None and c[0] in CHANGESET_METHODS for c in calls):
        if len(planned) > 1:
            raise SapError(
                400,
                "/IWBEP/CM_MGW_RT/004",
                "An order simulation must be alone in its changeset",
            )
        return [await run(call, planned[0])]
    try:
        outcome: Any = await call.services.gateway.call(
            "sap_changeset", [c for c in calls if c is not None]
        )
    except ODataError as exc:
        raise sap_error(exc) from None
    if outcome.error is not None:
        raise sap_error(outcome.error)
    return [await p.respond(result) for p, result in zip(planned, outcome.results, strict=True)]


async def handle_batch(call: Call) -> Response:
    body = await call.request.body()
    if len(body) > call.services.settings.max_body_bytes:
        raise SapError(413, "/IWBEP/CM_MGW_RT/006", "The batch request is too large")
    items = parse_multipart(body, call.request.headers.get("content-type", ""))
    answers = []
    for item in items:
        if isinstance(item, Changeset):
            answers.append(await _changeset(call, item))
        else:
            answers.append(_http(await _get(call, item), item.content_id))
    boundary = "batch_" + uuid.uuid4().hex
    return Response(
        _multipart(answers, boundary),
        status_code=202,
        media_type=f"multipart/mixed; boundary={boundary}",
        headers={"dataserviceversion": "2.0"},
    )
