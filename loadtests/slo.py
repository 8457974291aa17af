"""SLO gates: ``"p95<300ms"``, ``"fail_ratio<0.5%"``, ``"rps>100"``, per request class
``"p95[/api/items]<200ms"``.

Grammar: ``METRIC[ '[' REQUEST CLASS ']' ] OP NUMBER [UNIT]`` with

- METRIC: a response-time percentile Locust reports (``PERCENTILES``: ``p50``, ``p66``,
  ``p75``, ``p80``, ``p90``, ``p95``, ``p98``, ``p99``, ``p99.9``, ``p99.99``; ``p59`` is
  refused, it is most likely a typo), ``avg``, ``max`` (milliseconds;
  units ``ms`` or ``s``), ``fail_ratio`` (a share: ``0.005`` or ``0.5%``), ``rps`` (requests
  per second), ``requests`` (a count);
- REQUEST CLASS: a request name as Locust reports it (``/api/items/[id]``), optionally with
  its method (``GET /api/items/[id]``); without it the SLO is about every request together;
- OP: ``<``, ``<=``, ``>``, ``>=``.

Plain Python (no Locust): `simulator.load` parses the flags before anything starts, and
`evaluate` reads the measured values through a callable, so the gate is testable without a
run.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from simulator.errors import UserError

__all__ = ["SLO", "Verdict", "evaluate", "parse_slo", "parse_slos"]

OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
TIME_METRICS = ("avg", "max")
PERCENTILES = ("p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p99.9", "p99.99")
METRICS = (*PERCENTILES, *TIME_METRICS, "fail_ratio", "rps", "requests")
LEADING_WORD = re.compile(r"^\s*(?P<word>[A-Za-z_][A-Za-z0-9_.]*)")
PATTERN = re.compile(
    r"^\s*(?P<metric>p\d{1,2}(?:\.\d+)?|avg|max|fail_ratio|rps|requests)\s*"
    r"(?:\[(?P<name>.+)\])?\s*(?P<op><=|>=|<|>)\s*"
    r"(?P<value>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s|%)?\s*$"
)


@dataclass(frozen=True, slots=True)
class SLO:
    """One gate; `value` in the metric's unit (ms for times, a share for fail_ratio)."""

    text: str
    metric: str  # 'p95', 'avg', 'max', 'fail_ratio', 'rps', 'requests'
    op: str
    value: float
    name: str | None = None  # request class
    method: str | None = None

    @property
    def quantile(self) -> float | None:
        return float(self.metric[1:]) / 100.0 if self.metric.startswith("p") else None

    def holds(self, measured: float) -> bool:
        return OPS[self.op](measured, self.value)


@dataclass(frozen=True, slots=True)
class Verdict:
    slo: SLO
    measured: float | None  # None: no requests of that class were made
    passed: bool

    def line(self) -> str:
        shown = "no requests" if self.measured is None else _show(self.slo.metric, self.measured)
        status = "PASS" if self.passed else "FAIL"
        return f"SLO {status}  {self.slo.text}  (measured {shown})"

    def as_dict(self) -> dict[str, object]:
        return {
            "slo": self.slo.text,
            "metric": self.slo.metric,
            "request": self.slo.name,
            "method": self.slo.method,
            "op": self.slo.op,
            "threshold": self.slo.value,
            "measured": self.measured,
            "passed": self.passed,
        }


def _show(metric: str, value: float) -> str:
    if metric == "fail_ratio":
        return f"{value:.3%}"
    if metric in ("rps", "requests"):
        return f"{value:.2f}"
    return f"{value:.0f}ms"


def parse_slo(text: str) -> SLO:
    """One SLO; a malformed one is a UserError naming it."""
    word = LEADING_WORD.match(text)
    if word is not None and word["word"] not in METRICS:
        # swapped digits (p59) first, then spelling (p999, fail_rate)
        close = [m for m in METRICS if sorted(m) == sorted(word["word"])]
        close = close or difflib.get_close_matches(word["word"], METRICS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UserError(
            f"malformed --slo {text!r}: unknown metric {word['word']!r}{hint}; allowed: "
            + ", ".join(METRICS)
        )
    match = PATTERN.match(text)
    if match is None:
        raise UserError(
            f"malformed --slo {text!r}: expected e.g. 'p95<300ms', 'fail_ratio<0.5%', "
            "'rps>100' or 'p95[/api/items]<200ms'"
        )
    metric, unit = match["metric"], match["unit"]
    value = float(match["value"])
    is_time = metric.startswith("p") or metric in TIME_METRICS
    if is_time:
        if unit == "%":
            raise UserError(f"malformed --slo {text!r}: a response time takes ms or s")
        value = value * 1000.0 if unit == "s" else value
    elif metric == "fail_ratio":
        if unit in ("ms", "s"):
            raise UserError(f"malformed --slo {text!r}: fail_ratio is a share (0.005 or 0.5%)")
        value = value / 100.0 if unit == "%" else value
        if value > 1:
            raise UserError(f"malformed --slo {text!r}: fail_ratio must be at most 100%")
    elif unit is not None:
        raise UserError(f"malformed --slo {text!r}: {metric} takes no unit")
    name, method = None, None
    if match["name"]:
        name = match["name"].strip()
        head, _, rest = name.partition(" ")
        if rest and head.isupper():
            method, name = head, rest.strip()
    return SLO(text.strip(), metric, match["op"], value, name, method)


def parse_slos(texts: Iterable[str]) -> list[SLO]:
    return [parse_slo(text) for text in texts]


Measure = Callable[[SLO], float | None]


def evaluate(slos: Iterable[SLO], measure: Measure) -> list[Verdict]:
    """Each SLO against what `measure` reports. An SLO about a request class that saw no
    requests fails (a gate must not pass on silence), except ``requests`` and ``rps``
    gates, which measure 0."""
    verdicts = []
    for slo in slos:
        measured = measure(slo)
        if measured is None and slo.metric in ("requests", "rps"):
            measured = 0.0
        passed = measured is not None and not math.isnan(measured) and slo.holds(measured)
        verdicts.append(Verdict(slo, measured, passed))
    return verdicts
