"""Store metrics from a scripted sequence: counts per route template and status class,
nearest-rank percentiles, ERP calls, accuracy ratios, Prometheus text; the ASGI middleware
over a tiny Starlette app (in-process, no sockets)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from simulator.store.metrics import Metrics, MetricsMiddleware, percentile


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) == 0.0
    assert percentile([7.0], 0.99) == 7.0


def test_snapshot_from_a_scripted_sequence() -> None:
    metrics = Metrics(window=100)
    for i in range(1, 201):  # the window keeps the latest 100: 101..200 ms
        metrics.record_request("GET", "/api/items", 200, i / 1000)
    metrics.record_request("GET", "/api/items", 404, 0.5)
    metrics.record_request("POST", "/api/login", 401, 0.01)
    metrics.record_erp("prices", 0.02, True)
    metrics.record_erp("prices", 0.5, False)
    metrics.record_accuracy("batch", "price", matched=True, stale=False)
    metrics.record_accuracy("batch", "price", matched=False, stale=False)
    metrics.record_accuracy("realtime", "stock", matched=True, stale=True)
    metrics.record_offers(24, stale=True, cached=3)
    metrics.gauge("outbox", lambda: {"pending": 2})
    metrics.gauge("broken", lambda: 1 / 0)
    snap = metrics.snapshot()
    items, login = snap["requests"]
    assert (items["method"], items["route"], items["count"]) == ("GET", "/api/items", 201)
    assert items["statuses"] == {"2xx": 200, "4xx": 1}
    assert (items["p50"], items["p95"], items["p99"]) == (0.151, 0.196, 0.2)
    assert login["statuses"] == {"4xx": 1}
    assert snap["erp"]["prices"]["count"] == 2
    assert snap["erp"]["prices"]["errors"] == 1
    assert snap["accuracy"]["batch.price"] == {
        "samples": 2,
        "matched": 1,
        "stale": 0,
        "ratio": 0.5,
    }
    assert snap["accuracy"]["realtime.stock"]["stale"] == 1
    assert snap["offers"] == {"calls": 1, "stale": 1, "items": 24, "cached": 3}
    assert snap["gauges"] == {"broken": {"error": "ZeroDivisionError"}, "outbox": {"pending": 2}}
    assert metrics.erp_calls("prices") == 2
    assert metrics.erp_calls("sync") == 0


def test_prometheus_text() -> None:
    metrics = Metrics()
    metrics.record_request("GET", "/api/items/{number}", 200, 0.004)
    metrics.record_erp("prices", 0.02, True)
    metrics.record_accuracy("realtime", "price", matched=True, stale=False)
    metrics.gauge("breaker", lambda: {"state": "open", "opened": 1})
    metrics.gauge("depth", lambda: 3)
    text = metrics.prometheus()
    lines = text.splitlines()
    assert "# TYPE erpsim_store_requests_total counter" in lines
    assert (
        'erpsim_store_requests_total{method="GET",route="/api/items/{number}",status="2xx"} 1'
        in lines
    )
    assert (
        'erpsim_store_request_duration_seconds{method="GET",route="/api/items/{number}",'
        'quantile="0.99"} 0.004' in lines
    )
    assert 'erpsim_store_erp_calls_total{kind="prices"} 1' in lines
    assert 'erpsim_store_accuracy_ratio{mode="realtime",kind="price"} 1' in lines
    assert "erpsim_store_breaker_state 2" in lines
    assert "erpsim_store_depth 3" in lines
    assert text.endswith("\n")


def test_middleware_records_route_templates_and_statuses() -> None:
    metrics = Metrics()

    async def item(request: Any) -> PlainTextResponse:
        return PlainTextResponse(request.path_params["number"])

    async def boom(request: Any) -> PlainTextResponse:
        return PlainTextResponse("no", status_code=503)

    app = Starlette(routes=[Route("/items/{number}", item), Route("/boom", boom)])
    wrapped = MetricsMiddleware(app, metrics)

    async def call(path: str) -> int:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [],
            "http_version": "1.1",
            "scheme": "http",
            "server": ("test", 80),
            "client": ("test", 1),
            "root_path": "",
        }
        await wrapped(scope, receive, send)
        return int(sent[0]["status"])

    async def script() -> list[int]:
        return [await call(p) for p in ("/items/1", "/items/2", "/boom", "/nowhere")]

    assert asyncio.run(script()) == [200, 200, 503, 404]
    rows = {(r["route"], tuple(r["statuses"].items())) for r in metrics.snapshot()["requests"]}
    assert rows == {
        ("/items/{number}", (("2xx", 2),)),
        ("/boom", (("5xx", 1),)),
        ("<unmatched>", (("4xx", 1),)),
    }
