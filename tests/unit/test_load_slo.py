"""SLO gates: the grammar, units, per request class, and the verdicts."""

from __future__ import annotations

import pytest

from loadtests.slo import PERCENTILES, SLO, evaluate, parse_slo, parse_slos
from simulator.errors import UserError


@pytest.mark.parametrize(
    ("text", "metric", "op", "value", "name", "method"),
    [
        ("p95<300ms", "p95", "<", 300.0, None, None),
        ("p99 <= 1.5s", "p99", "<=", 1500.0, None, None),
        ("p99.9<2s", "p99.9", "<", 2000.0, None, None),
        ("fail_ratio<0.5%", "fail_ratio", "<", 0.005, None, None),
        ("fail_ratio<0.01", "fail_ratio", "<", 0.01, None, None),
        ("rps>100", "rps", ">", 100.0, None, None),
        ("requests>=10", "requests", ">=", 10.0, None, None),
        ("avg<50", "avg", "<", 50.0, None, None),
        ("p95[/api/items]<200ms", "p95", "<", 200.0, "/api/items", None),
        ("p95[/api/items/[id]]<200ms", "p95", "<", 200.0, "/api/items/[id]", None),
        ("p95[GET /api/items/[id]]<200ms", "p95", "<", 200.0, "/api/items/[id]", "GET"),
    ],
)
def test_parse(text: str, metric: str, op: str, value: float, name: str | None, method: str | None):
    slo = parse_slo(text)
    assert (slo.metric, slo.op, slo.value, slo.name, slo.method) == (
        metric, op, pytest.approx(value), name, method
    )  # fmt: skip


def test_request_class_with_method():
    slo = parse_slo("p95[POST /api/carts]<200ms")
    assert (slo.name, slo.method) == ("/api/carts", "POST")


@pytest.mark.parametrize(
    "text",
    ["p95", "p95<", "p95<fast", "latency<3ms", "p95<3%", "fail_ratio<3ms", "fail_ratio<150%",
     "rps>3ms", "p100<3ms", "p0<1ms", "p95=300ms", ""],
)  # fmt: skip
def test_malformed(text: str):
    with pytest.raises(UserError, match="malformed --slo"):
        parse_slo(text)


@pytest.mark.parametrize(
    ("text", "hint"),
    [("p59<300ms", "did you mean p95?"), ("p97<1s", "did you mean p9"), ("latency<1s", "")],
)
def test_unknown_metric_lists_the_allowed_ones(text: str, hint: str):
    with pytest.raises(UserError) as caught:
        parse_slo(text)
    message = str(caught.value)
    assert f"malformed --slo {text!r}: unknown metric" in message
    assert hint in message
    assert "allowed: p50, p66, p75, p80, p90, p95, p98, p99, p99.9, p99.99, avg, max" in message


def test_every_known_percentile_parses():
    for metric in PERCENTILES:
        assert parse_slo(f"{metric}<1s").quantile == pytest.approx(float(metric[1:]) / 100)


def test_evaluate_reports_measured_values():
    slos = parse_slos(["p95<300ms", "fail_ratio<0.5%", "rps>100", "p95[/api/x]<10ms"])
    measured = {"p95": 250.0, "fail_ratio": 0.01, "rps": 120.0}

    def measure(slo: SLO) -> float | None:
        return None if slo.name else measured[slo.metric]

    verdicts = evaluate(slos, measure)
    assert [v.passed for v in verdicts] == [True, False, True, False]
    assert [v.measured for v in verdicts] == [250.0, 0.01, 120.0, None]
    assert verdicts[1].line() == "SLO FAIL  fail_ratio<0.5%  (measured 1.000%)"
    assert verdicts[3].line() == "SLO FAIL  p95[/api/x]<10ms  (measured no requests)"


def test_silence_counts_as_zero_for_throughput():
    (verdict,) = evaluate(parse_slos(["rps>=0"]), lambda slo: None)
    assert verdict.passed
    assert verdict.measured == 0.0
