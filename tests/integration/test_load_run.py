"""`erpsim load` end to end against the embedded ERP and store: every persona, every
request class succeeding, the SLO exit codes, distributed mode, and the CX round trip into
`erpsim simulate --cx-from`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simulator.erp.generate import GenerationSummary
from tests.integration.test_load_helpers import ROOT, erpsim_load, fast_mix, processes_mentioning

pytestmark = pytest.mark.slow

REQUEST_CLASSES = {
    ("POST", "/api/login"),
    ("GET", "/api/categories"),
    ("GET", "/api/items?category=[code]"),
    ("GET", "/api/items?q=[text]"),
    ("GET", "/api/items/[id]"),
    ("POST", "/api/carts [new]"),
    ("PUT", "/api/carts/[id]/lines"),
    ("GET", "/api/carts/[id]"),
    ("DELETE", "/api/carts/[id] [delete]"),
    ("POST", "/api/carts/[id]/checkout"),
    ("GET", "/api/orders"),
    ("GET", "/api/orders/[number]"),
    ("POST", "/api/orders/[number]/reorder"),
    ("POST", "/api/carts/[id]/quote"),
    ("GET", "/api/quotes/[number]"),
    ("POST", "/api/quotes/[number]/accept"),
    ("GET", "/api/invoices"),
    ("GET", "/api/invoices?status="),
    ("GET", "/api/invoices?q=[text]"),
    ("GET", "/api/invoices/[number]"),
    ("POST", "/api/invoices/[number]/pay"),
    ("GET", "/api/rep/accounts"),
    ("POST", "/api/rep/act-as"),
    ("DELETE", "/api/rep/act-as [stop]"),
    ("GET", "[erp] /items?delta"),
    ("GET", "[erp] /salesOrders?delta"),
    ("POST", "[erp] /calculatePrices"),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, history_run: GenerationSummary) -> Path:
    directory = tmp_path_factory.mktemp("load")
    shutil.copyfile(history_run.path, directory / "erp.sqlite")
    fast_mix(directory)
    return directory


@pytest.fixture(scope="module")
def full_run(workdir: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Every persona, 14 users (two per persona), 12 s, passing SLOs."""
    done = erpsim_load(
        "--db", "erp.sqlite", "--mix", "load-test-fast.toml", "--users", "14",
        "--duration", "12s", "--out", "full", "--slo", "p95<60s", "--slo", "requests>10",
        cwd=workdir,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done, json.loads((workdir / "full" / "summary.json").read_text(encoding="utf-8"))


def test_every_request_class_succeeds(full_run: tuple[Any, dict[str, Any]]):
    """Every class is counted, in the figures or in the warm-up left out of them."""
    _, summary = full_run
    rows = [*summary["requests"], *summary["warmup"]["requests"]]
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        assert row["failures"] == 0, row
        assert row["requests"] > 0, row
        seen[row["method"], row["name"]] = seen.get((row["method"], row["name"]), 0) + 1
    assert set(seen) == REQUEST_CLASSES


def test_the_warm_up_is_left_out_and_said(full_run: tuple[Any, dict[str, Any]], workdir: Path):
    """12 s run, default warm-up: a quarter of it (3 s) is reset away and reported."""
    done, summary = full_run
    warmup = summary["warmup"]
    assert warmup["seconds"] == 3.0
    assert warmup["reached"] is True
    excluded = warmup["excluded"]
    assert excluded["requests"] == sum(row["requests"] for row in warmup["requests"]) > 0
    logins = sum(r["requests"] for r in warmup["requests"] if r["name"] == "/api/login")
    assert "warm-up: the first 3 s are excluded from the figures and SLOs " in done.stdout
    assert (
        f"{excluded['requests']} requests, {excluded['failures']} failed, {logins} logins"
        in done.stdout
    )
    counted = sum(row["requests"] for row in summary["requests"])
    assert summary["total"]["requests"] == counted  # the figures hold only what followed
    assert logins_counted(summary) == summary["data_checks"]["logins"]["users_logged_in"]


def test_the_html_report_carries_the_verdicts(full_run: tuple[Any, dict[str, Any]], workdir: Path):
    _, summary = full_run
    report = (workdir / "full" / "report.html").read_text(encoding="utf-8")
    start = report.index('<section id="erpsim-verdicts"')
    block = report[start : report.index("</section>", start)]
    before = report[:start]
    assert re.search(r"</head>\s*<body>\s*$", before)  # first in Locust's body, not in its JS
    assert "p95&lt;60s" in block
    assert "requests&gt;10" in block
    assert block.count(">PASS<") == 2
    integrity = summary["data_checks"]["integrity"]
    assert f"{integrity['placed_orders']} orders placed" in block
    assert f"{integrity['erp_orders_found']} found in the ERP" in block
    assert "The first 3 s" in block
    assert "store p95 latency (ms)" in block
    assert f'<td class="num">{summary["cx"]["p95_ms"]:.0f}</td>' in block


def test_reports_and_checks(full_run: tuple[Any, dict[str, Any]], workdir: Path):
    done, summary = full_run
    out = workdir / "full"
    for name in ("summary.json", "report.html", "locust_stats.csv", "locust_failures.csv"):
        assert (out / name).is_file(), name
    assert not list(workdir.glob(".full.*"))  # no staging directory left
    assert summary["slo"]["passed"] is True
    assert [v["slo"] for v in summary["slo"]["verdicts"]] == ["p95<60s", "requests>10"]
    assert "SLO PASS  p95<60s" in done.stdout
    checks = summary["data_checks"]
    integrity = checks["integrity"]
    assert integrity["ok"] is True, integrity["violations"]
    assert integrity["placed_orders"] == checks["orders_placed"] > 0
    assert integrity["erp_orders_found"] == integrity["placed_orders"]
    assert checks["logins"]["distinct_logins"] == checks["logins"]["users_logged_in"] == 13
    assert checks["logins"]["buyers_reused"] == 0
    assert summary["cx"]["p95_ms"] > 0
    assert summary["cx"]["error_ratio"] == 0.0
    assert processes_mentioning(str(workdir)) == []


def test_cx_round_trip_into_the_forecast(full_run: tuple[Any, dict[str, Any]], workdir: Path):
    """summary.json -> `erpsim simulate --cx-from`: its p95, error ratio and accuracy
    replace the scenario's levers."""
    _, summary = full_run
    cx = summary["cx"]
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "simulate", str(ROOT / "scenarios/baseline.toml"),
         "--db", "erp.sqlite", "--runs", "4", "--workers", "1", "--out", "forecast",
         "--cx-from", "full/summary.json"],
        cwd=workdir, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    forecast = json.loads((workdir / "forecast" / "summary.json").read_text(encoding="utf-8"))
    assert forecast["site"]["p95_ms"] == cx["p95_ms"]
    assert forecast["site"]["error_ratio"] == cx["error_ratio"]
    assert forecast["cx_from"]["p95_ms"] == cx["p95_ms"]
    for key in ("price_accuracy", "stock_accuracy"):
        if key in cx:
            assert forecast["cx_from"][key] == cx[key]
    from simulator.adoption.scenario import load_scenario

    baseline = load_scenario(ROOT / "scenarios/baseline.toml")
    assert (baseline.site.p95_ms, baseline.site.error_ratio) != (cx["p95_ms"], cx["error_ratio"])


def test_failing_slo_exits_1_with_the_measured_value(workdir: Path):
    done = erpsim_load(
        "--db", "erp.sqlite", "--mix", "load-test-fast.toml", "--persona", "OrderTracker",
        "--users", "2", "--duration", "4s", "--out", "failing",
        "--slo", "requests>1000000", "--slo", "fail_ratio<100%",
        cwd=workdir,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "SLO FAIL  requests>1000000  (measured " in done.stderr
    assert "SLO PASS  fail_ratio<100%" in done.stdout
    summary = json.loads((workdir / "failing" / "summary.json").read_text(encoding="utf-8"))
    assert [v["passed"] for v in summary["slo"]["verdicts"]] == [False, True]
    assert {row["name"] for row in summary["requests"]} <= {
        "/api/login", "/api/orders", "/api/orders/[number]"
    }  # fmt: skip
    assert processes_mentioning(str(workdir)) == []


def test_distributed_with_two_local_workers(workdir: Path):
    """Master + 2 worker processes, open model (paced sessions), distinct logins."""
    done = erpsim_load(
        "--db", "erp.sqlite", "--mix", "load-test-fast.toml", "--rate", "4/s",
        "--duration", "8s", "--workers", "2", "--out", "distributed", "--slo", "p95<60s",
        cwd=workdir,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = workdir / "distributed"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (out / "locust-worker-0.log").is_file()
    assert (out / "locust-worker-1.log").is_file()
    assert summary["run"]["workers"] == 2
    assert summary["shape"]["peak_users"] == 8  # 4 sessions/s x 2 s pacing
    logins = summary["data_checks"]["logins"]
    assert logins["users_logged_in"] >= 7  # 8 users; an ErpIntegrationClient does not log in
    assert logins["distinct_logins"] == logins["users_logged_in"]
    assert summary["pacing"]["sessions"] > 0
    assert summary["total"]["failures"] == 0
    assert summary["data_checks"]["integrity"]["ok"] is True
    # Each user logged in once: the logins are all counted, in the warm-up or after it,
    # whatever the workers had not reported yet when the warm-up ended.
    assert logins_counted(summary) == logins["users_logged_in"]
    assert summary["warmup"]["seconds"] == 2.0
    assert processes_mentioning(str(workdir)) == []


def logins_counted(summary: dict[str, Any]) -> int:
    rows = [*summary["requests"], *summary["warmup"]["requests"]]
    return sum(row["requests"] for row in rows if row["name"] == "/api/login")


def _forecast(directory: Path, online_order_share: float) -> Path:
    """A forecast whose month 2027-01 has only online orders (1,000 orders a month)."""
    directory.mkdir()
    names = (
        "online_order_share",
        "on_behalf_order_share",
        "orders_tracked_online_share",
        "invoices_paid_online_share",
        "invoice_history_searches",
        "buyers_registered",
    )
    rows = ["month,metric,mean,p10,p50,p90,p50_low,p50_high"]
    for name in names:
        value = online_order_share if name == "online_order_share" else 0.0
        rows.append(",".join(["2027-01", name, *[str(value)] * 6]))
    (directory / "metrics.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = {"scenario": "x", "population": {"orders_per_month": 1000.0}}
    (directory / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return directory


def test_a_trivial_adoption_load_is_called_out(workdir: Path):
    """7 online orders a month: 0.05 peak-hour sessions, one paced user. The run says so
    on stderr and in report.html instead of passing it off as a load test."""
    forecast = _forecast(workdir / "forecast-7", 0.007)
    done = erpsim_load(
        "--db", "erp.sqlite", "--mix", "load-test-fast.toml", "--shape", "adoption",
        "--forecast", str(forecast), "--month", "2027-01", "--duration", "3s",
        "--persona", "OrderTracker", "--out", "trivial",
        cwd=workdir,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((workdir / "trivial" / "summary.json").read_text(encoding="utf-8"))
    assert result["adoption"]["peak_hour_sessions"] == 0.05
    assert result["adoption"]["peak_users"] == 1
    assert result["shape"]["peak_users"] == 1
    said = "adoption shape: month 2027-01's peak hour has only 0.05 sessions"
    assert said in done.stderr
    assert "a single paced user, a trivial load" in done.stderr
    report = (workdir / "trivial" / "report.html").read_text(encoding="utf-8")
    assert said.replace("'", "&#x27;") in report


def test_adoption_shape_replays_the_forecast_rate(workdir: Path):
    """A forecast whose month 1 has 630 online orders and nothing else: 630 / 21 x 0.15 =
    4.5 peak-hour sessions, replayed in 4.5 s: 1 session/s, 2 users paced every 2 s."""
    forecast = workdir / "forecast-630"
    forecast.mkdir()
    names = (
        "online_order_share",
        "on_behalf_order_share",
        "orders_tracked_online_share",
        "invoices_paid_online_share",
        "invoice_history_searches",
        "buyers_registered",
    )
    rows = ["month,metric,mean,p10,p50,p90,p50_low,p50_high"]
    for name in names:
        value = 0.63 if name == "online_order_share" else 0.0
        rows.append(",".join(["2027-01", name, *[str(value)] * 6]))
    (forecast / "metrics.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = {"scenario": "x", "population": {"orders_per_month": 1000.0}}
    (forecast / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    done = erpsim_load(
        "--db", "erp.sqlite", "--mix", "load-test-fast.toml", "--shape", "adoption",
        "--forecast", str(forecast), "--month", "2027-01", "--duration", "4.5s",
        "--persona", "OrderTracker", "--out", "adoption",
        cwd=workdir,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((workdir / "adoption" / "summary.json").read_text(encoding="utf-8"))
    assert result["adoption"]["activity_per_month"]["online_orders"] == 630.0
    assert result["adoption"]["peak_hour_sessions"] == 4.5
    assert result["adoption"]["sessions_per_second"] == 1.0
    assert result["shape"]["name"] == "adoption"
    assert result["shape"]["peak_users"] == 2
    assert result["adoption"]["peak_users"] == 2
    assert "trivial load" not in done.stderr
    assert result["shape"]["pacing_s"] == 2.0
    assert result["pacing"]["sessions"] >= 2
