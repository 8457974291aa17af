"""The verdicts of an `erpsim load` run, written into its HTML report.

Locust's ``report.html`` shows the requests; what the run *concluded* (each SLO gate and its
measured value, the warm-up left out, the integrity check of the orders, the refusals, the
CX figures the forecaster reads) lives in ``summary.json``. `load_section` turns that
summary into one HTML block, and `add_to_report` puts it at the top of Locust's page, so
the file attached to a ticket says what stdout said. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.adoption.display import share
from simulator.report import html as h

__all__ = ["add_to_report", "load_section", "measured_text"]

STYLE = (
    "font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;"
    " max-width: 1100px; margin: 1em auto; padding: 0.5em 1.2em; color: #222;"
    " background: #fff; border: 1px solid #ddd; border-radius: 6px; line-height: 1.45;"
)
PASS_STYLE = "background: #e3f4e6; padding: 0.1em 0.5em; border-radius: 4px;"
FAIL_STYLE = "background: #fbe3e3; padding: 0.1em 0.5em; border-radius: 4px;"
CX_NAMES = {
    "p95_ms": "store p95 latency (ms)",
    "error_ratio": "store error ratio",
    "price_accuracy": "prices shown that matched the ERP",
    "stock_accuracy": "stock levels shown that matched the ERP",
}


def measured_text(verdict: Mapping[str, Any]) -> str:
    """An SLO verdict's measured value as the gate is written (ms, %, per second)."""
    if verdict.get("measured") is None:
        return "nothing: no such requests"
    value = float(verdict["measured"])
    metric = verdict.get("metric")
    if metric == "fail_ratio":
        return f"{value:.3%}"
    if metric in ("rps", "requests"):
        return f"{value:.2f}"
    return f"{value:.0f}ms"


def _badge(passed: bool, text: str | None = None) -> str:
    word = text or ("PASS" if passed else "FAIL")
    return f'<span style="{PASS_STYLE if passed else FAIL_STYLE}">{h.escape(word)}</span>'


def _slo_part(slo: Mapping[str, Any]) -> list[str]:
    verdicts = slo.get("verdicts") or []
    if not verdicts:
        return [h.paragraph("No SLO gates were given (--slo): the exit code judged the data only.")]
    rows = [
        f"<tr><td>{_badge(bool(v['passed']))}</td><td>{h.escape(v['slo'])}</td>"
        f'<td class="num">{h.escape(measured_text(v))}</td></tr>'
        for v in verdicts
    ]
    overall = "every SLO held" if slo.get("passed") else "an SLO failed: exit code 1"
    return [
        h.paragraph(overall),
        "<table>\n<tr><th>verdict</th><th>gate</th><th>measured</th></tr>\n"
        + "\n".join(rows)
        + "\n</table>",
    ]


def _warmup_part(warmup: Mapping[str, Any] | None) -> list[str]:
    if not warmup or not warmup.get("seconds"):
        return [h.paragraph("No warm-up: every request of the run is counted.")]
    seconds = float(warmup["seconds"])
    excluded = warmup.get("excluded")
    if not warmup.get("reached") or excluded is None:
        return [h.paragraph(f"The run ended within its {seconds:g} s warm-up: nothing excluded.")]
    p95 = excluded.get("p95_ms")
    text = (
        f"The first {seconds:g} s (the logins, cold caches) are left out of the SLOs and "
        f"of Locust's figures below: {excluded['requests']} requests, "
        f"{excluded['failures']} failed"
        + (f", p95 {p95:.0f} ms during the warm-up." if p95 is not None else ".")
    )
    rows = [
        (row["method"], row["name"], row["requests"], row["failures"], _blank(row.get("p95_ms")))
        for row in warmup.get("requests", [])
    ]
    parts = [h.paragraph(text)]
    if rows:
        parts.append(h.table(("method", "request", "requests", "failed", "p95 ms"), rows))
    return parts


def _blank(value: object) -> object:
    return "" if value is None else value


def _integrity_part(integrity: Mapping[str, Any] | None) -> list[str]:
    if integrity is None:
        return [
            h.paragraph(
                "Not checked: with --host the tool cannot see the store's database, so the "
                "orders placed are not compared with the ERP's."
            )
        ]
    ok = bool(integrity.get("ok"))
    placed = integrity.get("placed_orders", 0)
    found = integrity.get("erp_orders_found", 0)
    refused = integrity.get("refused_orders", 0)
    head = (
        f"{_badge(ok, 'intact' if ok else 'VIOLATED')} {h.escape(placed)} orders placed, "
        f"{h.escape(found)} found in the ERP, {h.escape(refused)} refused by the ERP"
    )
    parts = [f"<p>{head}</p>"]
    reasons = integrity.get("refusals_by_reason") or {}
    if reasons:
        text = ", ".join(f"{reason.replace('_', ' ')}: {n}" for reason, n in reasons.items())
        parts.append(
            h.paragraph(
                f"Refusals are the ERP's answer, not lost orders ({_share(refused, placed)} "
                f"of the orders): {text}."
            )
        )
    violations = integrity.get("violations") or []
    if violations:
        parts.append(h.bullets(str(v) for v in violations[:50]))
    return parts


def _share(part: float, whole: float) -> str:
    return share(part / whole if whole else 0.0)


def _cx_part(cx: Mapping[str, Any]) -> list[str]:
    if not cx:
        return [h.paragraph("No CX figures: the store answered no requests.")]
    rows = []
    for key, value in cx.items():
        shown = f"{value:.0f}" if key == "p95_ms" else f"{float(value):.4f}"
        rows.append((CX_NAMES.get(key, key), shown))
    return [
        h.table(("CX input", "measured"), rows),
        h.paragraph(
            "erpsim simulate SCENARIO --cx-from summary.json forecasts adoption with these "
            "figures in place of the scenario's site latency, error ratio and accuracy.",
            "muted",
        ),
    ]


def load_section(summary: Mapping[str, Any], notes: list[str] | None = None) -> str:
    """The run's verdicts as one self-contained HTML block (inline styles)."""
    data_checks = summary.get("data_checks") or {}
    parts = [
        '<h2 style="margin-top: 0.4em;">erpsim load: verdicts</h2>',
        h.section("SLO gates", *_slo_part(summary.get("slo") or {})),
        h.section("Warm-up", *_warmup_part(summary.get("warmup"))),
        h.section("Integrity of the orders", *_integrity_part(data_checks.get("integrity"))),
        h.section("CX inputs for the forecast", *_cx_part(summary.get("cx") or {})),
    ]
    if notes:
        parts.append(h.section("Notes", h.bullets(notes)))
    parts.append(h.paragraph("All figures: summary.json beside this file.", "muted"))
    return f'<section id="erpsim-verdicts" style="{STYLE}">\n' + "\n".join(parts) + "\n</section>"


def add_to_report(report_html: str, section: str) -> str:
    """Locust's report with `section` first in its body (or a page of its own when the
    report is missing or has no body)."""
    start = _body_start(report_html)
    if start < 0:
        return h.page("erpsim load", [section])
    return report_html[:start] + "\n" + section + "\n" + report_html[start:]


def _body_start(text: str) -> int:
    """Where the page's body begins: after its ``<body ...>`` tag, not after a ``<body``
    inside a script (Locust's report carries its charts' code inline, whose strings
    hold HTML), -1 without one."""
    lower = text.lower()
    position = 0
    while (tag := lower.find("<body", position)) >= 0:
        opened, closed = lower.rfind("<script", 0, tag), lower.rfind("</script", 0, tag)
        if opened > closed:  # inside a script: go on after it
            position = lower.find("</script", tag)
            if position < 0:
                return -1
            continue
        end = lower.find(">", tag)
        return -1 if end < 0 else end + 1
    return -1
