"""The store's own figures: `GET /api/metrics` (JSON), `GET /metrics` (Prometheus text),
`GET /api/integration` (mode, breaker, last sync). Operational data, no buyer data, so no
login (as Prometheus scrapes expect); absolute paths (app.py includes this router without
the /api prefix)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulator.store.metrics import Metrics
from simulator.store.routes import json_response

__all__ = ["router"]

router = APIRouter(tags=["metrics"])
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _metrics(request: Request) -> Metrics:
    ctx = request.app.state.ctx
    if ctx.metrics is None:  # a store without metrics wiring still answers
        ctx.metrics = Metrics()
    metrics: Metrics = ctx.metrics
    return metrics


@router.get("/api/metrics", summary="Request, ERP-call and accuracy figures (JSON)")
def metrics_json(request: Request) -> Response:
    ctx = request.app.state.ctx
    snapshot = _metrics(request).snapshot()
    snapshot["mode"] = ctx.settings.integration
    return json_response(snapshot)


@router.get("/metrics", summary="The same figures in Prometheus text format")
def metrics_prometheus(request: Request) -> Response:
    return Response(_metrics(request).prometheus(), media_type=PROMETHEUS_TYPE)


@router.get("/api/integration", summary="Integration mode, circuit breaker, last sync")
def integration_status(request: Request) -> Response:
    ctx = request.app.state.ctx
    integration: Any = ctx.integration
    body: dict[str, Any] = {"mode": ctx.settings.integration}
    if integration is not None:
        body.update(integration.status())
    return json_response(body)
