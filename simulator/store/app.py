"""`create_app(settings)`: the store's FastAPI application, and `open_context`, which
builds what it serves from.

Startup order (`open_context`): open the store database and create the schema, build the
ERP client and the integration (realtime or batch), run the initial master-data sync (both
modes need the mirrored contacts, customers, items and assortments), provision users from
the mirror; the lifespan then starts the integration's and the outbox's background threads,
and serves. Nothing is built at import time and nothing reads the environment.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from simulator import __version__
from simulator.erp_server.app import no_telemetry
from simulator.erp_server.client import ErpApiError, ErpClient
from simulator.errors import UserError
from simulator.store import ApiError, accounts, db
from simulator.store import orders as orders_module
from simulator.store.auth import LoginLimiter
from simulator.store.catalog import Catalog
from simulator.store.integration import make_integration
from simulator.store.metrics import Metrics, MetricsMiddleware
from simulator.store.outbox import OutboxWorker
from simulator.store.recurring import RecurringOrders
from simulator.store.routes import (
    auth,
    carts,
    catalog,
    invoices,
    json_response,
    orders,
    pages,
    quotes,
    reps,
)
from simulator.store.routes import metrics as metrics_routes
from simulator.store.sap_client import SapClient
from simulator.store.settings import StoreSettings

__all__ = ["StoreContext", "create_app", "open_context"]

log = logging.getLogger("erpsim.store")

API_ROUTERS = (auth, catalog, carts, orders, quotes, invoices, reps)
HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


@dataclass
class StoreContext:
    """What every handler shares (`request.app.state.ctx`)."""

    settings: StoreSettings
    db_path: Path
    erp: ErpClient
    sap: SapClient | None = None  # the SAP session of buyer pages (erp_flavor 'sap')
    integration: Any = None  # simulator.store.integration.Integration
    outbox: Any = None  # simulator.store.outbox.OutboxWorker
    metrics: Any = None  # simulator.store.metrics.Metrics
    synchronizer: Any = None  # simulator.store.sync.Synchronizer
    recurring: Any = None  # simulator.store.recurring.RecurringOrders
    limiter: LoginLimiter = field(default_factory=lambda: LoginLimiter(5, 20))
    catalog: Catalog = field(default_factory=Catalog)
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _conns: list[sqlite3.Connection] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: bool = field(default=False, repr=False)

    def conn(self) -> sqlite3.Connection:
        """This thread's connection to the store database (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = db.connect(self.db_path)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def start(self) -> None:
        """Start the background threads (batch sync loop, accuracy sampler, outbox)."""
        if self.integration is not None:
            self.integration.start()
        if self.outbox is not None:
            self.outbox.start()
        if self.recurring is not None:
            self.recurring.start()

    def close(self) -> None:
        """Stop the background threads, close every connection and the ERP session
        (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for part in (self.recurring, self.outbox, self.integration):
            if part is not None:
                part.stop()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
        self.erp.close()
        if self.sap is not None:
            self.sap.close()


def open_context(settings: StoreSettings) -> StoreContext:
    """Everything the store serves from, ready: schema, integration, the initial sync and
    provisioning. An unreachable ERP or a bad key is a UserError (one line for the CLI)."""
    erp = ErpClient(
        settings.erp_url,
        api_key=settings.erp_key,
        timeout=5.0,
        max_attempts=2,
        backoff=0.1,
        max_backoff=0.5,  # a page never waits out a long Retry-After: the outbox retries
    )
    sap = None
    if settings.erp_flavor == "sap":  # buyer pages read orders from SAP, once, quickly
        sap = sap_session(settings, timeout=orders_module.READ_TIMEOUT)
    try:
        if sap is None:
            _check_erp(erp, settings.erp_url)
        else:  # SAP is required; the BC API only serves what SAP's services here do not
            _check_sap(sap, settings.erp_url)
            try:
                _check_erp(erp, settings.erp_url)
            except UserError as exc:
                log.warning("%s: %s", exc, WITHOUT_BC)
        settings.db.parent.mkdir(parents=True, exist_ok=True)
    except BaseException:
        erp.close()
        if sap is not None:
            sap.close()
        raise
    limiter = LoginLimiter(settings.login_attempts, 4 * settings.login_attempts)
    ctx = StoreContext(settings=settings, db_path=settings.db, erp=erp, sap=sap, limiter=limiter)
    try:
        try:
            conn = ctx.conn()
            db.create_schema(conn)
        except sqlite3.Error as exc:
            raise UserError(f"cannot use {settings.db} as the store database: {exc}") from None
        _build_parts(ctx)
        try:
            if ctx.synchronizer is not None:
                ctx.synchronizer.run_once()
        except (requests.RequestException, ErpApiError) as exc:
            raise UserError(f"the initial sync from {settings.erp_url} failed: {exc}") from None
        accounts.provision(conn, settings)
    except BaseException:
        ctx.close()
        raise
    return ctx


WITHOUT_BC = (
    "on SAP the store runs without it; quotes, payments, invoice copies, returns and the"
    " credit headroom (which it asks of that API) are unavailable"
)


def _check_erp(erp: ErpClient, url: str) -> None:
    try:
        erp.clock()
    except requests.RequestException as exc:
        raise UserError(f"cannot reach the ERP at {url}: {type(exc).__name__}") from None
    except ErpApiError as exc:
        if exc.status == 401:
            raise UserError(f"the ERP at {url} refused the API key (--erp-key)") from None
        raise UserError(f"the ERP at {url} answered {exc.status} {exc.reason}") from None


def sap_session(settings: StoreSettings, *, timeout: float, max_attempts: int = 1) -> SapClient:
    """A session with the ERP's SAP services (for the 'sap' flavor)."""
    return SapClient(
        settings.erp_url,
        api_key=settings.erp_key,
        timeout=timeout,
        max_attempts=max_attempts,
        backoff=0.1,
    )


def _check_sap(sap: SapClient, url: str) -> None:
    """The SAP services answer and take the key (a CSRF token fetch proves both)."""
    try:
        sap.token("API_SALES_ORDER_SRV")
    except requests.RequestException as exc:
        problem = type(exc).__name__
        raise UserError(f"cannot reach the ERP's SAP services at {url}: {problem}") from None
    except ErpApiError as exc:
        if exc.status == 401:
            raise UserError(f"the ERP's SAP services at {url} refused the API key") from None
        answer = f"{exc.status} {exc.code}"
        raise UserError(f"the ERP's SAP services at {url} answered {answer}") from None


def _build_parts(ctx: StoreContext) -> None:
    """The integration (with its synchronizer), metrics and the outbox worker."""
    ctx.metrics = Metrics()
    ctx.integration = make_integration(ctx)
    ctx.outbox = OutboxWorker(ctx.settings, db_path=ctx.db_path, metrics=ctx.metrics)
    ctx.recurring = RecurringOrders(ctx)


def create_app(settings: StoreSettings, *, context: StoreContext | None = None) -> FastAPI:
    """The ASGI app. With `context` (from `open_context`) it serves that and closes it at
    shutdown; without, the lifespan opens one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = context if context is not None else open_context(settings)
        app.state.ctx = ctx
        ctx.start()
        try:
            yield
        finally:
            ctx.close()

    app = FastAPI(
        **no_telemetry(),
        title="erpsim reference B2B store API",
        summary="A B2B web store integrated with the erpsim mock ERP (realtime or batch)",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    _add_error_handlers(app)
    for module in API_ROUTERS:
        app.include_router(module.router, prefix="/api")
    app.include_router(metrics_routes.router)
    app.include_router(pages.router)  # HTML pages: absolute paths, not in the OpenAPI schema
    app.add_middleware(MetricsMiddleware)
    return app


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status, headers)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (Accept: text/html), not an API client or an /api path."""
    if request.url.path.startswith("/api/") or request.method not in ("GET", "HEAD"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(request):  # a person's browser on a page path: an HTML error page
            message = "There is no such page." if exc.status_code == 404 else str(exc.detail)
            return pages.error_page(request, exc.status_code, message)
        detail = exc.detail
        if isinstance(detail, dict) and "code" in detail:
            code, message = str(detail["code"]), str(detail.get("message", ""))
        else:
            code = HTTP_CODES.get(exc.status_code, "http_error")
            message = "no such resource" if exc.status_code == 404 else str(detail)
            message = f"{message}: {request.method} {request.url.path}"
        return error_response(exc.status_code, code, message, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = str(first.get("msg", "invalid value"))
        return error_response(400, "invalid_request", f"{where}: {message}" if where else message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s: %r", request.method, request.url.path, exc)
        return error_response(500, "internal_error", "the store failed to handle the request")
