"""`summary.json`: what a run measured, whether its SLOs held, and the CX inputs.

Built at quit time on the master (or the only) Locust process from Locust's own stats:

- ``requests``: per request class (name and method) counts, failures, p50/p95/p99, average,
  max (ms) and requests per second over the run; ``total`` for all of them and ``store``
  for the store's requests only (the ErpIntegrationClient's ``[erp] ...`` requests hit the
  ERP, not the store);
- ``slo``: each gate with its measured value and verdict;
- ``pacing``: sessions started and how many started late (open model; coordinated omission
  made visible instead of hidden);
- ``data_checks``: logins available and reused, documents placed by kind and state;
  `erpsim load` adds ``integrity`` after the run;
- ``cx``: what `erpsim simulate --cx-from` reads: the store's p95 (ms) and error ratio
  under this load, and the share of shown prices / stock levels that matched the ERP (the
  store's own sampled accuracy from ``GET /api/metrics``; absent when the store sampled
  none).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from locust.stats import RequestStats, StatsEntry

from loadtests.slo import SLO, Verdict, evaluate
from simulator.atomic import write_text

__all__ = ["ERP_PREFIX", "build_summary", "entry_row", "store_accuracy", "write_json"]

ERP_PREFIX = "[erp] "
PERCENTILES = (0.5, 0.95, 0.99)


def _merged(stats: RequestStats, entries: Iterable[StatsEntry], name: str) -> StatsEntry:
    merged = StatsEntry(stats, name, "")
    for entry in entries:
        merged.extend(entry)
    return merged


def entry_row(entry: StatsEntry) -> dict[str, Any]:
    count = entry.num_requests
    row: dict[str, Any] = {
        "name": entry.name,
        "method": entry.method,
        "requests": count,
        "failures": entry.num_failures,
        "fail_ratio": round(entry.fail_ratio, 6),
        "rps": round(entry.total_rps, 3),
        "avg_ms": round(entry.avg_response_time, 2),
        "max_ms": round(entry.max_response_time, 2),
    }
    for q in PERCENTILES:
        key = f"p{round(q * 100)}_ms"
        row[key] = entry.get_response_time_percentile(q) if count else None
    return row


def _measure(stats: RequestStats, slo: SLO) -> float | None:
    if slo.name is None:
        entry = stats.total
    else:
        chosen = [
            e
            for e in stats.entries.values()
            if e.name == slo.name and (slo.method is None or e.method == slo.method)
        ]
        if not chosen:
            return None
        entry = _merged(stats, chosen, slo.name)
    if slo.metric in ("requests", "rps"):
        return float(entry.num_requests if slo.metric == "requests" else entry.total_rps)
    if not entry.num_requests:
        return None
    if slo.metric == "fail_ratio":
        return float(entry.fail_ratio)
    if slo.metric == "avg":
        return float(entry.avg_response_time)
    if slo.metric == "max":
        return float(entry.max_response_time)
    assert slo.quantile is not None
    return float(entry.get_response_time_percentile(slo.quantile))


def store_accuracy(host: str | None, timeout: float = 5.0) -> dict[str, Any]:
    """The store's sampled accuracy (``GET /api/metrics``): price and stock shares that
    matched the ERP, over every mode; {} when the store has no such endpoint."""
    if not host:
        return {}
    try:
        with urllib.request.urlopen(f"{host.rstrip('/')}/api/metrics", timeout=timeout) as r:
            body = json.loads(r.read())
    except (OSError, ValueError):
        return {}
    sums: dict[str, list[int]] = {}
    for key, row in (body.get("accuracy") or {}).items():
        kind = key.rsplit(".", 1)[-1]
        total = sums.setdefault(kind, [0, 0])
        total[0] += int(row.get("samples", 0))
        total[1] += int(row.get("matched", 0))
    result: dict[str, Any] = {"mode": body.get("mode"), "samples": {}}
    for kind, (samples, matched) in sums.items():
        result["samples"][kind] = {"samples": samples, "matched": matched}
        if samples:
            result[f"{kind}_accuracy"] = matched / samples
    return result


def build_summary(
    stats: RequestStats,
    slos: list[SLO],
    *,
    host: str | None,
    extra: dict[str, Any],
    accuracy: dict[str, Any],
) -> tuple[dict[str, Any], list[Verdict]]:
    """The summary and the SLO verdicts (the caller sets the exit code)."""
    entries = sorted(
        (e for e in stats.entries.values() if e.num_requests),  # none: all in the warm-up
        key=lambda e: (e.name, e.method),
    )
    store = _merged(stats, (e for e in entries if not e.name.startswith(ERP_PREFIX)), "store")
    verdicts = evaluate(slos, lambda slo: _measure(stats, slo))
    cx: dict[str, float] = {}
    if store.num_requests:
        cx["p95_ms"] = float(max(1, store.get_response_time_percentile(0.95)))
        cx["error_ratio"] = round(store.fail_ratio, 6)
    for kind in ("price", "stock"):
        if f"{kind}_accuracy" in accuracy:
            cx[f"{kind}_accuracy"] = round(accuracy[f"{kind}_accuracy"], 6)
    summary: dict[str, Any] = {
        "tool": "erpsim load",
        "host": host,
        **extra,
        "requests": [entry_row(e) for e in entries],
        "total": entry_row(stats.total),
        "store": entry_row(store),
        "slo": {
            "passed": all(v.passed for v in verdicts),
            "verdicts": [v.as_dict() for v in verdicts],
        },
        "store_accuracy": accuracy,
        "cx": cx,
    }
    return summary, verdicts


def write_json(path: str | Path, data: Any) -> None:
    """Write atomically (a temporary file beside it, then rename)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
