"""The store's own measurements: requests per route template, ERP calls, data accuracy.

`Metrics` keeps counters and a bounded window of the latest latencies per series (so p50,
p95 and p99 describe recent traffic and memory stays flat however long the store runs);
gauges (breaker state, outbox depth, last sync) are read from callables when a snapshot is
taken. `MetricsMiddleware` is a pure ASGI middleware (no per-request objects beyond a
closure): it records the matched route's template (``/api/items/{no}``, not the URL, so the
series stay few) with the status class and the latency. The same snapshot is served as
JSON (`GET /api/metrics`) and Prometheus text (`GET /metrics`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["LatencyWindow", "Metrics", "MetricsMiddleware", "percentile"]

WINDOW = 4096  # latest latencies kept per series
QUANTILES = (0.5, 0.95, 0.99)
UNMATCHED = "<unmatched>"


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


class LatencyWindow:
    """Count, sum and the latest `size` observations of one series (seconds)."""

    __slots__ = ("count", "recent", "total")

    def __init__(self, size: int = WINDOW) -> None:
        self.count = 0
        self.total = 0.0
        self.recent: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        self.recent.append(seconds)

    def summary(self) -> dict[str, float]:
        values = sorted(self.recent)
        return {
            "count": self.count,
            "sum": self.total,
            **{f"p{round(q * 100)}": percentile(values, q) for q in QUANTILES},
        }


class Metrics:
    """Thread-safe counters and latency windows; `snapshot()` for JSON, `prometheus()`."""

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._lock = threading.Lock()
        self.started = time.time()
        self._requests: dict[tuple[str, str], LatencyWindow] = {}
        self._statuses: dict[tuple[str, str, str], int] = {}
        self._erp: dict[str, LatencyWindow] = {}
        self._erp_errors: dict[str, int] = {}
        self._accuracy: dict[tuple[str, str], list[int]] = {}  # total, matched, stale
        self._offers: dict[str, int] = {"calls": 0, "stale": 0, "items": 0, "cached": 0}
        self._gauges: dict[str, Callable[[], Any]] = {}

    # --- recording -------------------------------------------------------------------------
    def record_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        status_key = (method, route, f"{status // 100}xx")
        with self._lock:
            window = self._requests.get(key)
            if window is None:
                window = self._requests[key] = LatencyWindow(self._window)
            window.add(seconds)
            self._statuses[status_key] = self._statuses.get(status_key, 0) + 1

    def record_erp(self, kind: str, seconds: float, ok: bool) -> None:
        with self._lock:
            window = self._erp.get(kind)
            if window is None:
                window = self._erp[kind] = LatencyWindow(self._window)
                self._erp_errors[kind] = 0
            window.add(seconds)
            if not ok:
                self._erp_errors[kind] += 1

    def record_offers(self, items: int, *, stale: bool, cached: int = 0) -> None:
        """One `Integration.offers` call: how many items, whether the ERP failed it."""
        with self._lock:
            self._offers["calls"] += 1
            self._offers["items"] += items
            self._offers["cached"] += cached
            self._offers["stale"] += int(stale)

    def record_accuracy(self, mode: str, kind: str, *, matched: bool, stale: bool) -> None:
        with self._lock:
            counts = self._accuracy.setdefault((mode, kind), [0, 0, 0])
            counts[0] += 1
            counts[1] += int(matched)
            counts[2] += int(stale)

    def gauge(self, name: str, read: Callable[[], Any]) -> None:
        """Register a value read at snapshot time (e.g. the outbox depth)."""
        with self._lock:
            self._gauges[name] = read

    # --- reading ---------------------------------------------------------------------------
    def erp_calls(self, kind: str) -> int:
        with self._lock:
            window = self._erp.get(kind)
            return window.count if window is not None else 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            requests = [
                {
                    "method": method,
                    "route": route,
                    **window.summary(),
                    "statuses": {
                        status: n
                        for (m, r, status), n in sorted(self._statuses.items())
                        if (m, r) == (method, route)
                    },
                }
                for (method, route), window in sorted(self._requests.items())
            ]
            erp = {
                kind: {**window.summary(), "errors": self._erp_errors[kind]}
                for kind, window in sorted(self._erp.items())
            }
            accuracy = {
                f"{mode}.{kind}": {
                    "samples": total,
                    "matched": matched,
                    "stale": stale,
                    "ratio": matched / total if total else None,
                }
                for (mode, kind), (total, matched, stale) in sorted(self._accuracy.items())
            }
            offers = dict(self._offers)
            gauges = dict(self._gauges)
        values: dict[str, Any] = {}
        for name, read in sorted(gauges.items()):
            try:
                values[name] = read()
            except Exception as exc:  # a gauge must never break the metrics page
                values[name] = {"error": type(exc).__name__}
        return {
            "uptimeSeconds": time.time() - self.started,
            "requests": requests,
            "erp": erp,
            "offers": offers,
            "accuracy": accuracy,
            "gauges": values,
        }

    def prometheus(self) -> str:
        """The snapshot in Prometheus text exposition format 0.0.4."""
        snap = self.snapshot()
        out = _Exposition()
        out.family("erpsim_store_uptime_seconds", "gauge", "Seconds since the store started")
        out.sample("erpsim_store_uptime_seconds", {}, snap["uptimeSeconds"])
        out.family("erpsim_store_requests_total", "counter", "HTTP requests by route template")
        for row in snap["requests"]:
            for status, n in row["statuses"].items():
                labels = {"method": row["method"], "route": row["route"], "status": status}
                out.sample("erpsim_store_requests_total", labels, n)
        name = "erpsim_store_request_duration_seconds"
        out.family(name, "summary", "Request latency (latest window)")
        for row in snap["requests"]:
            out.summary(name, {"method": row["method"], "route": row["route"]}, row)
        out.family("erpsim_store_erp_calls_total", "counter", "Calls to the ERP by kind")
        for kind, row in snap["erp"].items():
            out.sample("erpsim_store_erp_calls_total", {"kind": kind}, row["count"])
        out.family("erpsim_store_erp_errors_total", "counter", "Failed calls to the ERP")
        for kind, row in snap["erp"].items():
            out.sample("erpsim_store_erp_errors_total", {"kind": kind}, row["errors"])
        name = "erpsim_store_erp_call_duration_seconds"
        out.family(name, "summary", "ERP call latency (latest window)")
        for kind, row in snap["erp"].items():
            out.summary(name, {"kind": kind}, row)
        out.family("erpsim_store_offer_calls_total", "counter", "Offer lookups (pages, carts)")
        out.sample("erpsim_store_offer_calls_total", {}, snap["offers"]["calls"])
        out.family("erpsim_store_offer_stale_total", "counter", "Offer lookups the ERP failed")
        out.sample("erpsim_store_offer_stale_total", {}, snap["offers"]["stale"])
        out.family("erpsim_store_accuracy_samples_total", "counter", "Shown values checked")
        out.family("erpsim_store_accuracy_ratio", "gauge", "Share of checked values that matched")
        for key, row in snap["accuracy"].items():
            mode, kind = key.split(".", 1)
            labels = {"mode": mode, "kind": kind}
            out.sample("erpsim_store_accuracy_samples_total", labels, row["samples"])
            if row["ratio"] is not None:
                out.sample("erpsim_store_accuracy_ratio", labels, row["ratio"])
        for gauge, value in snap["gauges"].items():
            _gauge_lines(out, gauge, value)
        return out.text()


BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


def _gauge_lines(out: _Exposition, name: str, value: Any) -> None:
    """Numbers as they are; a breaker snapshot as its state number; other values skipped."""
    metric = "erpsim_store_" + name.replace(".", "_")
    if isinstance(value, bool | int | float):
        out.family(metric, "gauge", name)
        out.sample(metric, {}, float(value))
    elif isinstance(value, dict) and value.get("state") in BREAKER_STATES:
        out.family(metric + "_state", "gauge", "0 closed, 1 half-open, 2 open")
        out.sample(metric + "_state", {}, BREAKER_STATES[value["state"]])


class _Exposition:
    def __init__(self) -> None:
        self._lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self._lines.append(f"# HELP {name} {help_text}")
        self._lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, labels: dict[str, str], value: float) -> None:
        if labels:
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            self._lines.append(f"{name}{{{text}}} {_number(value)}")
        else:
            self._lines.append(f"{name} {_number(value)}")

    def summary(self, name: str, labels: dict[str, str], row: dict[str, Any]) -> None:
        for q in QUANTILES:
            self.sample(name, {**labels, "quantile": str(q)}, row[f"p{round(q * 100)}"])
        self.sample(name + "_sum", labels, row["sum"])
        self.sample(name + "_count", labels, row["count"])

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class MetricsMiddleware:
    """Pure ASGI middleware: per route template, status class and latency.

    `metrics` may be given, or is looked up per request on ``app.state.ctx.metrics`` (the
    store's context exists only once the lifespan has run)."""

    def __init__(self, app: Any, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics = self.metrics or _context_metrics(scope)
            if metrics is not None:
                route = _route_template(scope)
                seconds = time.perf_counter() - started
                metrics.record_request(scope["method"], route, status, seconds)


def _route_template(scope: dict[str, Any]) -> str:
    """The matched route's full template (``/api/items/{number}``). FastAPI >= 0.16x
    matches included routers lazily: the route in the scope then has the router's own
    path (``/items/{number}``) and the prefixed one is in FastAPI's route context."""
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def _context_metrics(scope: dict[str, Any]) -> Metrics | None:
    app = scope.get("app")
    ctx = getattr(getattr(app, "state", None), "ctx", None)
    return getattr(ctx, "metrics", None)
