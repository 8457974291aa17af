"""The guard in front of every API call: API key, then injected faults, then the lazy clock.

A pure ASGI middleware (no BaseHTTPMiddleware: it would cost a task and a copy per request).
Order: outage (a down server answers nobody, authenticated or not), API key (401), rate limit
(429), injected errors (500/503), latency, then the world catches up with the clock and the
request runs; a slow-drip response is sent in chunks on the way out. `/docs`, `/openapi.json`
and `/health` are open; `/_admin/...` needs the key but is never faulted (so faults can be
switched off during an outage).
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from simulator.erp_server.faults import Decision, Drip, FaultInjector
from simulator.erp_server.gateway import Gateway
from simulator.erp_server.odata.errors import error_body
from simulator.erp_server.sap.auth import SAP_CLIENT, SYSTEM_ID, user_of
from simulator.erp_server.sap.catalog import SAP_PREFIX
from simulator.erp_server.sap.errors import error_body as sap_error_body
from simulator.erp_server.settings import API_ROOT

__all__ = ["GuardMiddleware", "route_class"]

Scope = dict[str, Any]
ASGIApp = Any
JSON = b"application/json; odata.metadata=minimal"


def route_class(method: str, path: str) -> str:
    """read (one entity), query (collections), price, write: the latency classes."""
    if path.endswith(("calculatePrice", "calculatePrices")):
        return "price"
    if method != "GET":
        return "write"
    return "read" if path.endswith(")") else "query"


class GuardMiddleware:
    def __init__(
        self, app: ASGIApp, *, api_key: str, injector: FaultInjector, gateway: Gateway
    ) -> None:
        self.app = app
        self.key = api_key.encode()
        self.bearer = b"Bearer " + self.key
        self.injector = injector
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        sap = path.startswith(SAP_PREFIX)
        is_api = sap or path.startswith(API_ROOT)
        if not is_api and not path.startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        if is_api:
            down = self.injector.down()
            if down is not None:  # refuse mode is the protocol's job; this is the fallback
                await _error(
                    send,
                    503,
                    "service_unavailable",
                    "the ERP is down",
                    retry_after=down.retry_after,
                    sap=sap,
                )
                return
        if sap:
            user = user_of(scope, self.key)
            if user is None:
                await _error(
                    send,
                    401,
                    "/IWFND/CM_CONSUMER/101",
                    "Logon failed: Basic authentication with the API key as password"
                    " (or an APIKey header) is required",
                    extra=[
                        (
                            b"www-authenticate",
                            f'Basic realm="SAP NetWeaver Application Server'
                            f' [{SYSTEM_ID}/{SAP_CLIENT}]"'.encode(),
                        )
                    ],
                    sap=True,
                )
                return
            scope = {**scope, "erpsim.sap_user": user}
        elif not self._authorized(scope):
            await _error(
                send,
                401,
                "unauthorized",
                "a valid API key is required (Authorization: Bearer <key> or api-key: <key>)",
                extra=[(b"www-authenticate", b'Bearer realm="erpsim"')],
            )
            return
        if not is_api:
            await self.app(scope, receive, send)
            return
        decision = self.injector.decide(route_class(scope["method"], path))
        if decision.status is not None:
            await _fail(send, decision, sap=sap)
            return
        if decision.delay:
            await asyncio.sleep(decision.delay)
        await self.gateway.maybe_sync()
        if decision.drip is not None:
            send = _dripping(send, decision.drip)
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization" and hmac.compare_digest(value, self.bearer):
                return True
            if name == b"api-key" and hmac.compare_digest(value, self.key):
                return True
        return False


async def _fail(send: Any, decision: Decision, *, sap: bool = False) -> None:
    status = decision.status or 500
    if status == 429:
        await _error(
            send,
            429,
            "too_many_requests",
            "request rate limit exceeded",
            retry_after=decision.retry_after,
            sap=sap,
        )
    elif status == 503:
        await _error(
            send,
            503,
            "service_unavailable",
            "the ERP is temporarily unavailable",
            retry_after=decision.retry_after,
            sap=sap,
        )
    else:
        await _error(send, status, "internal_error", f"injected fault: HTTP {status}", sap=sap)


async def _error(
    send: Any,
    status: int,
    code: str,
    message: str,
    *,
    retry_after: int | None = None,
    extra: list[tuple[bytes, bytes]] | None = None,
    sap: bool = False,
) -> None:
    if sap:
        body = sap_error_body(code, message)
        kind = b"application/json; charset=utf-8"
    else:
        body = error_body(code, message, status)
        kind = JSON
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _dripping(send: Any, drip: Drip) -> Any:
    """Wrap `send` so the body goes out `drip.chunk` bytes at a time."""

    async def slow_send(message: dict[str, Any]) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        for start in range(0, len(body), drip.chunk):
            last = start + drip.chunk >= len(body)
            await send(
                {
                    "type": "http.response.body",
                    "body": body[start : start + drip.chunk],
                    "more_body": more or not last,
                }
            )
            if not last:
                await asyncio.sleep(drip.interval)
        if not body:
            await send(message)

    return slow_send
