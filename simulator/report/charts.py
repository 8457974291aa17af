"""Charts as PNG bytes: fan chart, scenario comparison, tornado.

Figures are built with matplotlib's object API on an Agg canvas (no pyplot): nothing global
is touched, nothing has to be closed, and it works without a display. PNG metadata carries no
version or date, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from simulator.adoption.display import share

COLORS = {"TR": "#4C72B0", "TAU": "#55A868", "TDA": "#C44E52", "KAAR": "#8172B2"}
# The rates as a chart's reader should see them: the words first, the abbreviation after.
NAMES = {
    "TR": "registration rate (TR)",
    "TAU": "one-time adoption rate (TAU)",
    "TDA": "web-store adoption rate (TDA)",
    "KAAR": "key-account adoption rate (KAAR)",
}
SHARE_OF = {
    "TR": "share of the buyers invited",
    "TAU": "share of the buyers invited",
    "TDA": "share of the buyers invited",
    "KAAR": "share of the key accounts invited",
}
FAN_Y_LABEL = "share of those invited (buyers; key accounts for KAAR)"
PALETTE = ("#4C72B0", "#C44E52", "#55A868", "#8172B2", "#CCB974", "#64B5CD", "#8C8C8C")
DPI = 100
# Tornado bars: neither is a metric's colour, so the target line (the metric's) stands out.
UNFAVOURABLE = "#E8A87C"
FAVOURABLE = "#7FB3D5"


@dataclass(frozen=True)
class Series:
    """A line (median) with an optional band (p10-p90), on month indexes."""

    label: str
    median: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None
    color: str | None = None
    style: str = "-"
    offset: int = 0  # month index of the first value


@dataclass(frozen=True)
class Points:
    """Observed values (e.g. a pilot's history) drawn as markers."""

    label: str
    month_index: Sequence[int]
    values: Sequence[float]
    color: str | None = None


@dataclass(frozen=True)
class TargetMark:
    """The SMART target: a star at (month, value) and a dotted line up to it."""

    label: str
    month_index: int
    value: float
    color: str = "black"


def spelled(name: str) -> str:
    """'TDA' -> 'web-store adoption rate (TDA)'; any other label as it is."""
    return NAMES.get(name, name)


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _month_axis(axes: object, months: Sequence[str]) -> None:
    step = max(1, len(months) // 12)
    ticks = list(range(0, len(months), step))
    axes.set_xticks(ticks)  # type: ignore[attr-defined]
    axes.set_xticklabels([months[i] for i in ticks], rotation=45, ha="right", fontsize=8)  # type: ignore[attr-defined]
    axes.set_xlim(-0.5, len(months) - 0.5)  # type: ignore[attr-defined]


def _draw(axes: object, series: Series) -> None:
    x = list(range(series.offset, series.offset + len(series.median)))
    if series.low is not None and series.high is not None:
        axes.fill_between(x, series.low, series.high, color=series.color, alpha=0.18, linewidth=0)  # type: ignore[attr-defined]
    label = spelled(series.label)
    axes.plot(x, series.median, series.style, color=series.color, label=label, linewidth=2)  # type: ignore[attr-defined]


def fan_chart(
    months: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    target: TargetMark | None = None,
    points: Sequence[Points] = (),
) -> bytes:
    """Medians with p10-p90 bands of the adoption rates, the target and observed points."""
    return _png(fan_figure(months, series, title=title, target=target, points=points))


def fan_figure(
    months: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    target: TargetMark | None = None,
    points: Sequence[Points] = (),
) -> Figure:
    """`fan_chart`'s figure (what a test can read back: labels, lines, colours)."""
    figure = Figure(figsize=(9, 5.2))
    axes = figure.add_subplot()
    for item in series:
        _draw(axes, item)
    for point in points:
        axes.plot(
            point.month_index,
            point.values,
            "o",
            color=point.color,
            label=point.label,
            markersize=5,
            markeredgecolor="white",
        )
    if target is not None:
        axes.plot(
            [target.month_index],
            [target.value],
            marker="*",
            markersize=18,
            markeredgecolor="black",
            color=target.color,
            linestyle="none",
            label=target.label,
        )
        axes.axhline(target.value, color=target.color, linestyle=":", linewidth=1.2)
        axes.axvline(target.month_index, color=target.color, linestyle=":", linewidth=1.2)
    axes.set_ylim(0, 1)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_ylabel(FAN_Y_LABEL, fontsize=9)
    axes.set_xlabel("month", fontsize=9)
    axes.grid(True, alpha=0.3)
    _month_axis(axes, months)
    axes.set_title(title, fontsize=11)
    axes.legend(loc="upper left", fontsize=8, ncol=2)
    figure.tight_layout()
    return figure


def comparison_chart(
    months: Sequence[str],
    panels: dict[str, Sequence[Series]],
    *,
    title: str,
    targets: Sequence[tuple[str, TargetMark]] = (),
) -> bytes:
    """One panel per metric (up to four), each with every scenario's median and band, and
    each scenario's target (a star in its colour) on its metric's panel."""
    return _png(comparison_figure(months, panels, title=title, targets=targets))


def comparison_figure(
    months: Sequence[str],
    panels: dict[str, Sequence[Series]],
    *,
    title: str,
    targets: Sequence[tuple[str, TargetMark]] = (),
) -> Figure:
    figure = Figure(figsize=(11, 7.5))
    for index, (name, series) in enumerate(panels.items()):
        axes = figure.add_subplot(2, 2, index + 1)
        for item in series:
            _draw(axes, item)
        for metric, mark in targets:
            if metric == name:
                axes.plot(
                    [mark.month_index],
                    [mark.value],
                    marker="*",
                    markersize=14,
                    markeredgecolor="black",
                    color=mark.color,
                    linestyle="none",
                )
        axes.set_ylim(0, 1)
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        axes.set_ylabel(SHARE_OF.get(name, "share"), fontsize=8)
        axes.grid(True, alpha=0.3)
        _month_axis(axes, months)
        axes.set_title(spelled(name), fontsize=10)
        if index == 0:
            axes.legend(loc="upper left", fontsize=7)
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    return figure


def tornado_chart(
    levers: Sequence[str],
    low: Sequence[float],
    high: Sequence[float],
    base: float,
    *,
    metric: str,
    title: str,
    target: float | None = None,
) -> bytes:
    """Horizontal bars from the base value to each lever's unfavourable / favourable value,
    the widest on top; `target`: the SMART target's value on the same axis (a dashed line
    in the metric's colour), so a bar that crosses it is a lever that decides the target."""
    chosen = tornado_figure(levers, low, high, base, metric=metric, title=title, target=target)
    return _png(chosen)


def tornado_figure(
    levers: Sequence[str],
    low: Sequence[float],
    high: Sequence[float],
    base: float,
    *,
    metric: str,
    title: str,
    target: float | None = None,
) -> Figure:
    figure = Figure(figsize=(9, 0.5 * len(levers) + 1.6))
    axes = figure.add_subplot()
    y = list(range(len(levers)))[::-1]
    axes.barh(y, [v - base for v in low], left=base, color=UNFAVOURABLE, label="unfavourable")
    axes.barh(y, [v - base for v in high], left=base, color=FAVOURABLE, label="favourable")
    axes.axvline(base, color="black", linewidth=1, label=f"this scenario: {share(base)}")
    if target is not None:
        axes.axvline(
            target,
            color=COLORS.get(metric, "black"),
            linestyle="--",
            linewidth=2,
            label=f"target: {target:.0%}",
        )
    axes.set_yticks(y)
    axes.set_yticklabels(levers, fontsize=9)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel(f"median {spelled(metric)}, {SHARE_OF.get(metric, 'share')}")
    axes.set_ylabel("lever", fontsize=9)
    axes.grid(True, axis="x", alpha=0.3)
    axes.set_title(title, fontsize=11)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def color_of(index: int) -> str:
    return PALETTE[index % len(PALETTE)]
