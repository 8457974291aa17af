"""The warm-up, the run's conclusions as lines and as the HTML block of report.html, and the
generation progress lines of `erpsim load` (no sockets, no Locust run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadtests.warmup import not_reached, warmup_line
from simulator.config import Profile
from simulator.erp.generate import generate
from simulator.errors import UserError
from simulator.load.cli import warmup_for
from simulator.load.runner import LineProgress, outcome_lines, trivial_load_line
from simulator.report.load import add_to_report, load_section


@pytest.mark.parametrize(
    ("text", "duration", "expected"),
    [
        (None, 60.0, 10.0),  # the default
        (None, 12.0, 3.0),  # at most a quarter of a short run
        ("20s", 60.0, 20.0),
        ("1m", 90.0, 60.0),
        ("0", 60.0, 0.0),
        ("0s", 60.0, 0.0),
    ],
)
def test_warmup_for(text: str | None, duration: float, expected: float):
    assert warmup_for(text, duration) == expected


def test_a_warmup_as_long_as_the_run_is_refused():
    with pytest.raises(UserError, match=r"--warmup 1m is not shorter than the run"):
        warmup_for("1m", 60.0)
    with pytest.raises(UserError, match="--warmup"):
        warmup_for("soon", 60.0)


END_WARMUP = """
import json
from locust.stats import RequestStats
from loadtests.warmup import Warmup

stats = RequestStats()
for ms in (100, 200, 900):
    stats.log_request("POST", "/api/login", ms, 10)
stats.log_request("GET", "/api/orders", 20, 10)
stats.log_error("GET", "/api/orders", "boom")
warmup = Warmup(10.0)
warmup.end(stats)
left, errors = stats.total.num_requests, len(stats.errors)
worker = RequestStats()  # what a worker had not reported yet: handed over to the master
worker.log_request("POST", "/api/login", 300, 10)
warmup.add(worker.serialize_stats(), worker.total.get_stripped_report())
print(json.dumps({"facts": warmup.facts(), "left": left, "errors": errors}))
"""


def test_end_warmup_keeps_what_it_resets():
    """Locust's own stats (in a process of its own: importing Locust patches with gevent)."""
    done = subprocess.run(
        [sys.executable, "-c", END_WARMUP], capture_output=True, text=True, timeout=60,
        check=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    result = json.loads(done.stdout)
    facts = result["facts"]
    assert facts["seconds"] == 10.0
    assert facts["reached"] is True
    assert facts["excluded"]["requests"] == 5  # 4 here, 1 handed over by a worker
    assert facts["excluded"]["failures"] == 1
    assert [[r["name"], r["method"], r["requests"]] for r in facts["requests"]] == [
        ["/api/login", "POST", 4],
        ["/api/orders", "GET", 1],
    ]  # by name, then method
    assert result["left"] == 0  # what follows starts from nothing
    assert result["errors"] == 0
    line = warmup_line(facts)
    assert line is not None
    assert line.startswith("warm-up: the first 10 s are excluded from the figures and SLOs")
    assert "(5 requests, 1 failed, 4 logins, p95 900 ms;" in line


def test_warmup_lines_without_a_warmup_or_before_its_end():
    assert warmup_line(None) is None
    assert warmup_line({"seconds": 0}) is None
    line = warmup_line(not_reached(5.0))
    assert line is not None
    assert "ended within its 5 s warm-up; nothing was excluded" in line


def adoption(peak_users: int) -> dict[str, Any]:
    return {
        "month": "2027-01",
        "peak_hour_sessions": 0.35,
        "sessions_per_second": 0.005833,
        "peak_users": peak_users,
    }


def test_a_single_paced_user_is_called_a_trivial_load():
    line = trivial_load_line(adoption(1))
    assert line is not None
    assert line.startswith("adoption shape: month 2027-01's peak hour has only 0.35 sessions")
    assert "a single paced user, a trivial load" in line
    assert trivial_load_line(adoption(2)) is None
    assert trivial_load_line(None) is None


def summary() -> dict[str, Any]:
    return {
        "slo": {
            "passed": False,
            "verdicts": [
                {"slo": "p95<300ms", "metric": "p95", "measured": 412.0, "passed": False},
                {"slo": "fail_ratio<1%", "metric": "fail_ratio", "measured": 0.0, "passed": True},
            ],
        },
        "warmup": {
            "seconds": 10.0,
            "reached": True,
            "excluded": {"requests": 50, "failures": 0, "p95_ms": 850},
            "requests": [
                {
                    "method": "POST",
                    "name": "/api/login",
                    "requests": 20,
                    "failures": 0,
                    "p95_ms": 900,
                },
            ],
        },
        "data_checks": {
            "integrity": {
                "ok": True,
                "placed_orders": 108,
                "erp_orders_found": 106,
                "refused_orders": 2,
                "refusal_rate": 2 / 108,
                "refusals_by_reason": {"credit_limit_exceeded": 2},
                "violations": [],
                "violation_count": 0,
            }
        },
        "cx": {"p95_ms": 55.0, "error_ratio": 0.0, "price_accuracy": 1.0},
        "adoption": adoption(1),
    }


def test_outcome_lines_say_warmup_load_slos_and_refusals():
    lines = outcome_lines(summary())
    assert lines[0].startswith("warm-up: the first 10 s are excluded")
    assert lines[1].startswith("adoption shape: month 2027-01's peak hour has only")
    assert lines[2:4] == [
        "SLO FAIL  p95<300ms  (measured 412ms)",
        "SLO PASS  fail_ratio<1%  (measured 0.000%)",
    ]
    assert lines[4] == ("refused by the ERP: 2 of 108 orders (1.9%): credit_limit_exceeded 2")


def test_the_html_block_holds_the_verdicts_escaped():
    block = load_section(summary(), ["a <note>"])
    assert block.startswith('<section id="erpsim-verdicts"')
    assert "p95&lt;300ms" in block
    assert ">FAIL<" in block
    assert ">412ms<" in block
    assert "an SLO failed: exit code 1" in block
    assert "The first 10 s" in block
    assert "108 orders placed, 106 found in the ERP, 2 refused by the ERP" in block
    assert "credit limit exceeded: 2" in block
    assert "1.9% of the orders" in block
    assert "prices shown that matched the ERP" in block
    assert "a &lt;note&gt;" in block
    assert "<note>" not in block


def test_the_block_goes_first_into_locusts_body():
    page = (
        "<html><head><script>var w = '<body style=\"margin:0;\"><img></body>';</script>"
        '</head><body class="x"><div id="root"></div></body></html>'
    )
    merged = add_to_report(page, "<section>S</section>")
    assert merged.index('<body class="x">') < merged.index("<section>S") < merged.index("root")
    assert merged.count("<section>S") == 1  # not into the script's string
    alone = add_to_report("", "<section>S</section>")
    assert alone.startswith("<!DOCTYPE html>")
    assert "<section>S</section>" in alone


def test_generation_progress_is_a_few_lines_on_stderr(
    tmp_path: Path, small_profile: Profile, capsys: pytest.CaptureFixture[str]
):
    generate(small_profile, seed=7, out=tmp_path / "erp.sqlite", history_months=0,
             progress=LineProgress())  # fmt: skip
    progress = LineProgress()
    progress.step("history", 7)
    for _ in range(7):
        progress.advance("history", 1)
    err = capsys.readouterr().err.splitlines()
    steps = err[:-4]
    assert len(steps) >= 3
    assert all(line.startswith("erpsim load:   ") for line in steps)
    assert err[-4:] == [
        "erpsim load:   history: 6 months of orders, shipments, invoices, payments",
        "erpsim load:   history: month 3 of 7",
        "erpsim load:   history: month 6 of 7",
        "erpsim load:   history: month 7 of 7",
    ]
