"""Several scenarios side by side: one chart, one table, one metrics.csv.

Every scenario runs with the same seed, so run ``i`` of each scenario shares its random
numbers with run ``i`` of the others as far as their plans allow (common random numbers):
the differences in the table come from the levers more than from chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from simulator.adoption.forecast import Forecast
from simulator.adoption.metrics import PRIMARY
from simulator.adoption.outputs import METRIC_COLUMNS, write_csv, write_json
from simulator.errors import UserError
from simulator.report import charts, pages


def check_names(names: Sequence[str]) -> None:
    """Scenario names label the chart and the CSV rows: they must differ."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UserError(f"two scenarios are named {name!r}; give them different names")
        seen.add(name)


def union_months(forecasts: Sequence[Forecast]) -> list[str]:
    """All months any scenario covers, in order (labels are YYYY-MM, so they sort)."""
    months = sorted({label for forecast in forecasts for label in forecast.months})
    first, last = months[0], months[-1]
    labels, (year, month) = [], (int(first[:4]), int(first[5:]))
    while True:
        label = f"{year:04d}-{month:02d}"
        labels.append(label)
        if label == last:
            return labels
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def comparison_png(forecasts: Sequence[Forecast], months: Sequence[str]) -> bytes:
    panels: dict[str, list[charts.Series]] = {name: [] for name in PRIMARY}
    targets: list[tuple[str, charts.TargetMark]] = []
    for index, forecast in enumerate(forecasts):
        offset = months.index(forecast.months[0])
        target = forecast.scenario.target
        if target is not None:
            mark = charts.TargetMark(
                f"{forecast.scenario.name} target",
                offset + forecast.schedule.month_of(target.date),
                target.value,
                charts.color_of(index),
            )
            targets.append((target.metric, mark))
        for name in PRIMARY:
            bands = forecast.bands[name]
            panels[name].append(
                charts.Series(
                    label=forecast.scenario.name,
                    median=[band.p50 for band in bands],
                    low=[band.p10 for band in bands],
                    high=[band.p90 for band in bands],
                    color=charts.color_of(index),
                    offset=offset,
                )
            )
    return charts.comparison_chart(
        months,
        panels,
        title=(
            f"Scenarios compared: median and p10-p90 of {forecasts[0].runs} runs (stars: targets)"
        ),
        targets=targets,
    )


def write_comparison(directory: Path, forecasts: Sequence[Forecast]) -> None:
    """metrics.csv (with a scenario column), summary.json, comparison.png, report.html."""
    months = union_months(forecasts)
    rows = [
        {"scenario": forecast.scenario.name, **row}
        for forecast in forecasts
        for row in forecast.metric_rows()
    ]
    write_csv(directory / "metrics.csv", ("scenario", *METRIC_COLUMNS), rows)
    summaries = [forecast.summary() for forecast in forecasts]
    write_json(directory / "summary.json", {"scenarios": summaries})
    png = comparison_png(forecasts, months)
    (directory / "comparison.png").write_bytes(png)
    (directory / "report.html").write_text(
        pages.compare_page(summaries, png, months), encoding="utf-8"
    )
