"""What a sales director reads on the charts and in the figures: rates spelled out, axes
labelled, the target in its metric's colour, the tornado's target line, and shares that
are never rounded to 0 % or 100 % unless they are exactly that."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_hex

from simulator.adoption.display import percent, probability, share
from simulator.report import charts
from simulator.report.pages import sensitivity_page, tornado_notes

MONTHS = [f"2027-{m:02d}" for m in range(1, 7)]
TDA = charts.Series(
    "TDA", [0.0, 0.1, 0.2, 0.25, 0.3, 0.32], [0] * 6, [0.4] * 6, color=charts.COLORS["TDA"]
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.0, 1, "0.0%"),
        (1.0, 1, "100.0%"),
        (0.0004, 1, "<0.1%"),
        (0.9996, 1, ">99.9%"),
        (0.0006, 1, "0.1%"),
        (0.004, 0, "<1%"),
        (0.996, 0, ">99%"),
        (0.42, 0, "42%"),
    ],
)
def test_share_is_never_rounded_to_0_or_100(value: float, decimals: int, expected: str):
    assert share(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "0%"), (1.0, "100%"), (0.0001, "<0.1%"), (0.9999, ">99.9%"), (0.005, "0.5%"),
     (0.995, "99.5%"), (0.5, "50%")],
)  # fmt: skip
def test_probability(value: float, expected: str):
    assert probability(value) == expected
    assert percent(0.00001) == "<0.1%"


def test_the_fan_chart_spells_out_the_rates_and_marks_the_target_in_its_colour():
    mark = charts.TargetMark("target TDA 40% by 2027-06-30", 5, 0.4, charts.COLORS["TDA"])
    figure = charts.fan_figure(MONTHS, [TDA], title="t", target=mark)
    axes = figure.axes[0]
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["web-store adoption rate (TDA)", "target TDA 40% by 2027-06-30"]
    assert axes.get_ylabel() == "share of those invited (buyers; key accounts for KAAR)"
    assert axes.get_xlabel() == "month"
    star = next(line for line in axes.get_lines() if line.get_marker() == "*")
    assert to_hex(star.get_color()) == charts.COLORS["TDA"].lower()
    guides = [line for line in axes.get_lines() if line.get_linestyle() == ":"]
    assert len(guides) == 2
    assert {to_hex(line.get_color()) for line in guides} == {charts.COLORS["TDA"].lower()}


def test_the_comparison_panels_are_named_and_labelled():
    figure = charts.comparison_figure(MONTHS, {"TDA": [TDA], "KAAR": [TDA]}, title="c")
    titles = [axes.get_title() for axes in figure.axes]
    assert titles == ["web-store adoption rate (TDA)", "key-account adoption rate (KAAR)"]
    assert [axes.get_ylabel() for axes in figure.axes] == [
        "share of the buyers invited",
        "share of the key accounts invited",
    ]


def test_the_tornado_has_its_target_line_in_the_metrics_colour():
    figure = charts.tornado_figure(
        ["training", "ERP integration"], [0.1, 0.2], [0.3, 0.25], 0.22, metric="TDA",
        title="x", target=0.4,
    )  # fmt: skip
    axes = figure.axes[0]
    dashed = [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1
    assert list(dashed[0].get_xdata()) == [0.4, 0.4]
    assert to_hex(dashed[0].get_color()) == charts.COLORS["TDA"].lower()
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert "target: 40%" in legend
    assert "this scenario: 22.0%" in legend
    assert axes.get_xlabel() == "median web-store adoption rate (TDA), share of the buyers invited"
    without = charts.tornado_figure(["a"], [0.1], [0.3], 0.2, metric="TDA", title="x")
    assert [ln for ln in without.axes[0].get_lines() if ln.get_linestyle() == "--"] == []


def sensitivity_summary(target: bool) -> dict[str, object]:
    summary: dict[str, object] = {
        "scenario": "baseline",
        "metric": "TDA",
        "month": "2028-06",
        "runs": 8,
        "base": 0.0004,
        "levers": [
            {"lever": "training", "unfavourable": "none", "favourable": "all", "low": 0.0,
             "high": 0.9996, "swing": 0.9996},
        ],
    }  # fmt: skip
    if target:
        summary["target"] = {"metric": "TDA", "value": 0.4, "date": "2028-06-30"}
    return summary


def test_the_sensitivity_report_reads_its_own_chart():
    page = sensitivity_page(sensitivity_summary(True), b"\x89PNG")
    assert "How to read the tornado chart" in page
    assert "The dashed line is the SMART target (TDA at least 40% by 2028-06-30)" in page
    assert "median TDA in 2028-06 is &lt;0.1%" in page
    assert "&gt;99.9%" in page
    notes = tornado_notes(sensitivity_summary(False))
    assert any("no SMART target on TDA, so there is no target line" in n for n in notes)
