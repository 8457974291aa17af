"""Terminal output of the adoption commands (and of the demo): short tables, one-line verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from simulator.adoption.metrics import METRIC_BY_NAME, PRIMARY

SECONDARY_SHOWN = (
    "online_order_share",
    "offline_inquiries_decline",
    "invoices_paid_online_share",
    "logins_per_key_account",
    "cost_to_serve_saved_cumulative",
    "lever_costs_cumulative",
    "net_saved_cumulative",
)


def console() -> Console:
    """stdout; 120 columns when it is not a terminal (pipes, CI logs), so tables fit."""
    out = Console(highlight=False, soft_wrap=True)
    return out if out.is_terminal else Console(highlight=False, soft_wrap=True, width=120)


def share(value: float, decimals: int = 1) -> str:
    """A share in %, never rounded to 0 % or 100 % unless it is exactly 0 or 1:
    0.0004 -> '<0.1%', 0.9996 -> '>99.9%' (decimals=1); 0.004 -> '<1%' (decimals=0)."""
    text = f"{value:.{decimals}%}"
    step = 10.0**-decimals  # the smallest step shown, in percent
    if 0.0 < value < 1.0:
        if text == f"{0.0:.{decimals}%}":
            return f"<{step:.{decimals}f}%"
        if text == f"{1.0:.{decimals}%}":
            return f">{100.0 - step:.{decimals}f}%"
    return text


def percent(value: float) -> str:
    return share(value, 1)


def probability(value: float) -> str:
    """Whole percent in the middle, a decimal near the ends; 0 % and 100 % only when no
    run / every run reaches it (one run in 10,000 is '<0.1%', not '0.0%')."""
    if value in (0.0, 1.0) or 0.01 <= value <= 0.99:
        return share(value, 0)
    return share(value, 1)


def value(name: str, number: float) -> str:
    unit = METRIC_BY_NAME[name].unit
    if unit == "share":
        return share(number, 1)
    if unit in ("per account", "ratio"):
        return f"{number:,.2f}"
    return f"{number:,.0f}"


def final_table(summary: Mapping[str, Any]) -> Table:
    """The four rates and a few secondary signals in the horizon's last month."""
    table = Table(title=f"{summary['scenario']}: {summary['final_month']}", title_justify="left")
    for column in ("metric", "p10", "median", "p90", "mean"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name in (*PRIMARY, *SECONDARY_SHOWN):
        band = summary["final"][name]
        table.add_row(name, *(value(name, band[key]) for key in ("p10", "p50", "p90", "mean")))
    return table


def target_line(summary: Mapping[str, Any]) -> str:
    """The SMART target's probability and verdict, and the seed guide's band of TDA."""
    tda = f"TDA median {percent(summary['tda_median_final'])} ({summary['tda_band']})"
    target = summary.get("target")
    if not target:
        return f"{tda}; no target set"
    low, high = target["probability_ci95"]
    at_date = f"{target['metric']} median at {target['month']} {percent(target['median_at_date'])}"
    line = (
        f"target {target['metric']} >= {target['value']:.0%} by {target['date']}: probability "
        f"{probability(target['probability'])} (95 % CI {probability(low)}-{probability(high)}, "
        f"{target['runs_reaching']}/{summary['runs']} runs) -> {target['verdict']}; {at_date}"
    )
    noise = (summary.get("monte_carlo_only") or {}).get("target")
    if summary.get("structural_uncertainty"):
        line += "; with parameter uncertainty"
        if noise:
            line += (
                f" (Monte Carlo noise only: {probability(noise['probability'])},"
                f" median {percent(noise['median_at_date'])})"
            )
    return line + f"; horizon {tda}"
