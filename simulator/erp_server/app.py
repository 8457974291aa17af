"""`create_app(settings)`: the mock ERP's FastAPI application.

The factory wires the read store, the gateway to the single writer, fault injection and the
routers; nothing is built at import time and nothing reads the environment. Entity routes
are mounted twice, as in Business Central: under ``/api/v2.0/companies(<id>)/`` and, for the
one company of a dataset, at ``/api/v2.0/`` itself.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from simulator import __version__
from simulator.erp.database import open_database, read_meta
from simulator.erp_server.deps import JSON_TYPE, Services, company_id_for
from simulator.erp_server.faults import FaultInjector
from simulator.erp_server.gateway import Gateway, LocalGateway
from simulator.erp_server.live import LiveErp
from simulator.erp_server.middleware import GuardMiddleware
from simulator.erp_server.odata.errors import ODataError, error_body
from simulator.erp_server.odata.metadata import csdl
from simulator.erp_server.odata.query import Limits
from simulator.erp_server.openapi import install as install_openapi
from simulator.erp_server.paths import PathRewrite
from simulator.erp_server.reads import ReadStore
from simulator.erp_server.routers import (
    admin,
    batch,
    documents,
    entities,
    pricing,
    receivables,
    sales,
    service,
    subscriptions,
)
from simulator.erp_server.sap.routes import routes as sap_routes
from simulator.erp_server.settings import API_ROOT, ServerSettings

__all__ = ["create_app", "no_telemetry"]

log = logging.getLogger("erpsim.erp_server")
GatewayFactory = Callable[[FaultInjector], Gateway]
SYSTEM_USER = "00000000-0000-0000-0000-000000000001"  # who "created" the generated company


@dataclass
class _Runtime:
    """Filled by the lifespan; the guard middleware reads the gateway from here."""

    gateway: Gateway | None = None


class _LateGateway:
    """The middleware's view of a gateway that exists only once the app has started."""

    def __init__(self, runtime: _Runtime) -> None:
        self._runtime = runtime

    async def maybe_sync(self) -> None:
        if self._runtime.gateway is not None:
            await self._runtime.gateway.maybe_sync()


def _company(settings: ServerSettings) -> dict[str, Any]:
    conn = open_database(settings.db)
    try:
        meta = read_meta(conn)
    finally:
        conn.close()
    profile = str(meta.get("profile", "erpsim"))
    seed = int(meta.get("seed", 0))
    created = f"{meta.get('snapshot_date') or meta.get('as_of') or '2024-01-01'}T00:00:00Z"
    return {
        "id": company_id_for(seed, profile),
        "systemVersion": f"erpsim {__version__}",
        "timestamp": 0,
        "name": f"erpsim-{profile}-{seed}",
        "displayName": f"erpsim {profile} distributor (seed {seed})",
        "businessProfileId": "",
        "systemCreatedAt": created,
        "systemCreatedBy": SYSTEM_USER,
        "systemModifiedAt": created,
        "systemModifiedBy": SYSTEM_USER,
    }


def create_app(
    settings: ServerSettings,
    *,
    gateway_factory: GatewayFactory | None = None,
    worker: int = 0,
) -> FastAPI:
    """The ASGI app over `settings.db`. Without `gateway_factory` the app owns the writer
    (one-process server); the multi-worker supervisor passes a factory for a pipe to it."""
    company = _company(settings)
    injector = FaultInjector(settings.faults, stream=worker, share=1.0 / settings.workers)
    runtime = _Runtime()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if gateway_factory is not None:
            gateway = gateway_factory(injector)
        else:
            gateway = LocalGateway(
                lambda: LiveErp(settings, settings.db, company["id"]),
                interval=settings.sync_interval,
                injector=injector,
            )
        limits = Limits(settings.max_page_size, settings.max_top)
        store = ReadStore(settings.db, limits, company["id"])
        app.state.services = Services(
            settings, store, gateway, injector, limits, company, csdl().encode()
        )
        runtime.gateway = gateway
        try:
            yield
        finally:
            runtime.gateway = None
            store.close()
            gateway.close()

    app = FastAPI(
        **no_telemetry(),
        title="erpsim mock ERP API",
        summary="Business Central API v2.0-shaped OData over a synthetic ERP",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.injector = injector
    _add_error_handlers(app)
    app.include_router(service.health_router)
    app.include_router(admin.router)
    company_prefix = API_ROOT + "/companies({company})"
    check = [Depends(_check_company(company["id"]))]
    fast = []
    for prefix, dependencies in ((API_ROOT, []), (company_prefix, check)):
        for module in (
            service,
            batch,
            subscriptions,
            pricing,
            sales,
            documents,
            receivables,
            entities,
        ):
            app.include_router(module.router, prefix=prefix, dependencies=dependencies)
        fast += pricing.fast_routes(prefix)
    fast.append(entities.ReadRoutes(API_ROOT))
    # The hot reads and calculatePrice are served by plain Starlette routes placed first:
    # FastAPI's per-request dependency solving costs several times the read itself. Their
    # FastAPI twins (same handler) stay in the router for /docs and are never reached.
    app.router.routes[:0] = fast + sap_routes()
    install_openapi(app, company_prefix=company_prefix, max_top=settings.max_top)
    app.add_middleware(
        GuardMiddleware,
        api_key=settings.api_key,
        injector=injector,
        gateway=_LateGateway(runtime),
    )
    app.add_middleware(PathRewrite, base_path=settings.base_path)  # outermost
    return app


def no_telemetry() -> dict[str, Any]:
    """Recent FastAPI looks up OpenTelemetry providers on every request unless told not
    to; older versions have no such option."""
    if "telemetry" in inspect.signature(FastAPI).parameters:
        return {"telemetry": {"tracing": False, "metrics": False}}
    return {}


def _check_company(company_id: str) -> Callable[[str], Awaitable[None]]:
    async def check(company: str) -> None:
        if company.strip("'").lower() != company_id:
            raise ODataError(404, "not_found", f"no company {company}")

    return check


def _odata_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        error_body(code, message, status),
        status_code=status,
        media_type=JSON_TYPE,
        headers={"OData-Version": "4.0", **(headers or {})},
    )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ODataError)
    async def odata_error(request: Request, exc: ODataError) -> Response:
        return _odata_error(exc.status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "resource_not_found", 405: "method_not_allowed"}
        message = "no such resource" if exc.status_code == 404 else str(exc.detail)
        return _odata_error(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            f"{message}: {request.method} {request.url.path}",
            dict(exc.headers or {}),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return _odata_error(400, "invalid_request", f"{where}: {first.get('msg')}")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s: %r", request.method, request.url.path, exc)
        return _odata_error(500, "internal_error", "the server failed to handle the request")
