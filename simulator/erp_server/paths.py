"""The public URL forms of the API, and the one internal path the routes serve.

Clients reach the same API by several roads, as they reach Business Central:

- ``/api/v2.0/...`` (on-premises form), ``/v2.0/{tenant}/{environment}/api/v2.0/...``
  (BC online's form; any tenant and environment), each optionally under `--base-path`;
- ``/api/erpsim/commerce/v1.0/...``: the custom API group (``/api/{publisher}/{group}/
  {version}/``, as a BC extension publishes one) for what BC has no standard API for.

`PathRewrite` turns each into the internal ``/api/v2.0/...`` path and records the public
root the client called, so ``@odata.context``, next links and ``Location`` answer in the
client's own form. The custom sets are still served under ``/api/v2.0/`` for one release,
marked ``Deprecation: true`` with a ``Link`` to their successor.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from simulator.erp_server import entities
from simulator.erp_server.odata.errors import error_body
from simulator.erp_server.sap.catalog import SAP_PREFIX, SAP_ROOT

__all__ = [
    "CUSTOM_ROOT",
    "CUSTOM_SETS",
    "PUBLIC_PATH",
    "PUBLIC_ROOT",
    "STANDARD_ROOT",
    "PathRewrite",
    "check_base_path",
    "is_custom_root",
]

STANDARD_ROOT = "/api/v2.0"
CUSTOM_ROOT = "/api/erpsim/commerce/v1.0"
# What Business Central has no standard API for: served by the custom API group (the
# entity sets `entities.CUSTOM_SETS` defines, and these actions).
CUSTOM_SETS = frozenset(
    {*entities.CUSTOM_SETS, "calculatePrice", "calculatePrices", "returnRequests"}
)
# Sets an earlier release served under another name than BC's (deprecated aliases).
RENAMED = {"salespeople": "salespeoplePurchasers"}
# Custom operations on a standard set: (set, method). BC's customerPayments are journal
# lines; paying an invoice online in one call is ours.
CUSTOM_OPERATIONS = frozenset({("customerPayments", "POST")})
CUSTOM_HOSTS = frozenset(name for name, _ in CUSTOM_OPERATIONS)
# Names both roots serve: the service root, metadata, companies, $batch.
SHARED = frozenset({"", "$metadata", "$batch", "companies"})
# Keys in the ASGI scope: the public root ("/bc/v2.0/t/e/api/v2.0") and the public path.
PUBLIC_ROOT = "erpsim.public_root"
PUBLIC_PATH = "erpsim.public_path"
_CLOUD = re.compile(r"^/v2\.0/[^/]+/[^/]+(?=/api/)")
_BASE = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
JSON = b"application/json; odata.metadata=minimal"


def is_custom_root(root: str) -> bool:
    """Whether a public root (see `PUBLIC_ROOT`) is the custom API group's."""
    return root.endswith(CUSTOM_ROOT)


def check_base_path(value: str) -> str:
    """'' or '/segment[/segment...]' without a trailing slash; ValueError otherwise."""
    if value == "":
        return value
    if not _BASE.match(value):
        raise ValueError(
            f"base path {value!r} must look like /segment[/segment] (letters, digits, . _ ~ -),"
            " without a trailing slash"
        )
    return value


def _first_segment(rest: str) -> tuple[str, str]:
    """(the entity set or operation a path below an API root names, the company prefix)."""
    company = ""
    if rest.startswith("/companies("):
        end = rest.find(")/")
        if end >= 0:
            company, rest = rest[: end + 1], rest[end + 1 :]
    name = rest[1:]
    for stop in ("(", "/"):
        cut = name.find(stop)
        if cut >= 0:
            name = name[:cut]
    return name, company


class PathRewrite:
    """Outermost ASGI middleware: public URL forms -> the internal ``/api/v2.0`` path."""

    def __init__(self, app: Any, *, base_path: str = "") -> None:
        self.app = app
        self.base = base_path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if self.base:
            if path.startswith(self.base + "/"):
                path = path[len(self.base) :]
            elif path.startswith(("/api/", "/v2.0/", SAP_PREFIX)) or path in ("/api", "/v2.0"):
                await _not_found(send, scope["path"])
                return
            else:
                await self.app(scope, receive, send)  # /health, /docs, /_admin
                return
            if path.startswith(SAP_PREFIX):  # the SAP facade under the base path
                scope = {
                    **scope,
                    "path": path,
                    "raw_path": path.encode(),
                    PUBLIC_ROOT: self.base + SAP_ROOT,
                    PUBLIC_PATH: scope["path"],
                }
                await self.app(scope, receive, send)
                return
        cloud = _CLOUD.match(path)
        outer = self.base + (cloud.group(0) if cloud else "")
        if cloud:
            path = path[cloud.end() :]
        if path.startswith(CUSTOM_ROOT) and path[len(CUSTOM_ROOT) : len(CUSTOM_ROOT) + 1] in (
            "",
            "/",
        ):
            rest = path[len(CUSTOM_ROOT) :]
            name, _ = _first_segment(rest)
            if name not in CUSTOM_SETS and name not in SHARED and name not in CUSTOM_HOSTS:
                await _not_found(send, scope["path"])
                return
            root = outer + CUSTOM_ROOT
        elif path.startswith(STANDARD_ROOT) and path[
            len(STANDARD_ROOT) : len(STANDARD_ROOT) + 1
        ] in ("", "/"):
            rest = path[len(STANDARD_ROOT) :]
            name, _ = _first_segment(rest)
            root = outer + STANDARD_ROOT
            if name in CUSTOM_SETS or (name, scope["method"]) in CUSTOM_OPERATIONS:
                successor = outer + CUSTOM_ROOT + rest
                send = _deprecated(send, scope, successor)
            elif name in RENAMED:
                rest = rest.replace(name, RENAMED[name], 1)
                send = _deprecated(send, scope, outer + STANDARD_ROOT + rest)
        else:
            await self.app(scope, receive, send)
            return
        internal = STANDARD_ROOT + rest
        scope = {
            **scope,
            "path": internal,
            "raw_path": internal.encode(),
            PUBLIC_ROOT: root,
            PUBLIC_PATH: scope["path"],
        }
        await self.app(scope, receive, send)


def _deprecated(send: Any, scope: dict[str, Any], successor: str) -> Any:
    """Wrap `send` to mark the answer as served by a deprecated path."""
    query = scope.get("query_string", b"")
    host = next((v for k, v in scope["headers"] if k == b"host"), b"127.0.0.1")
    origin = scope.get("scheme", "http").encode() + b"://" + host
    # The path is decoded text: quote it again, a control character is no header value.
    path = quote(successor, safe="/()=',$~!*;:@&+")
    link = origin + path.encode() + (b"?" + query if query else b"")

    async def marked(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [
                *message.get("headers", []),
                (b"deprecation", b"true"),
                (b"link", b"<" + link + b'>; rel="successor-version"'),
            ]
            message = {**message, "headers": headers}
        await send(message)

    return marked


async def _not_found(send: Any, path: str) -> None:
    body = error_body("resource_not_found", f"no such resource: {path}", 404)
    headers = [(b"content-type", JSON), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})
