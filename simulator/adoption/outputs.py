"""Writing a command's files: all of them into ``--out``, atomically.

Files are written into a temporary directory beside ``--out`` that is renamed to it only when
everything is written; an error or Ctrl-C leaves nothing behind. An existing ``--out`` is
refused unless ``--force`` (then it is replaced as a whole). Numbers in CSV files are printed
with a fixed format so the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.adoption.forecast import Forecast
from simulator.adoption.metrics import PRIMARY
from simulator.atomic import atomic_directory, check_target
from simulator.report import charts, pages

__all__ = [
    "METRIC_COLUMNS",
    "atomic_directory",
    "check_output",
    "fan_png",
    "number",
    "rate_series",
    "target_mark",
    "write_csv",
    "write_forecast_files",
    "write_json",
]

METRIC_COLUMNS = ("month", "metric", "mean", "p10", "p50", "p90", "p50_low", "p50_high")


def check_output(out: Path, *, force: bool) -> None:
    """Refuse an impossible or existing output before any work is done."""
    check_target(out, kind="directory", force=force)


def number(value: object) -> object:
    """Fixed-format floats for CSV files."""
    return f"{value:.6f}" if isinstance(value, float) else value


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([number(row[column]) for column in columns])


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def rate_series(forecast: Forecast, names: Sequence[str] = PRIMARY) -> list[charts.Series]:
    """Median and p10-p90 band of each rate, for the fan chart."""
    series = []
    for name in names:
        bands = forecast.bands[name]
        series.append(
            charts.Series(
                label=name,
                median=[band.p50 for band in bands],
                low=[band.p10 for band in bands],
                high=[band.p90 for band in bands],
                color=charts.COLORS.get(name),
            )
        )
    return series


def target_mark(forecast: Forecast) -> charts.TargetMark | None:
    target = forecast.scenario.target
    if target is None:
        return None
    return charts.TargetMark(
        f"target {target.metric} {target.value:.0%} by {target.date}",
        forecast.schedule.month_of(target.date),
        target.value,
        charts.COLORS.get(target.metric, "black"),
    )


def fan_png(
    forecast: Forecast,
    *,
    extra: Sequence[charts.Series] = (),
    points: Sequence[charts.Points] = (),
    title: str | None = None,
) -> bytes:
    return charts.fan_chart(
        forecast.months,
        [*rate_series(forecast), *extra],
        title=title or f"{forecast.scenario.name}: median and p10-p90 of {forecast.runs} runs",
        target=target_mark(forecast),
        points=points,
    )


def write_forecast_files(
    directory: Path,
    forecast: Forecast,
    *,
    summary: Mapping[str, Any] | None = None,
    png: bytes | None = None,
    extra_sections: Sequence[str] = (),
) -> None:
    """metrics.csv, summary.json, adoption.png and report.html of one forecast."""
    summary = summary or forecast.summary()
    png = png or fan_png(forecast)
    write_csv(directory / "metrics.csv", METRIC_COLUMNS, forecast.metric_rows())
    write_json(directory / "summary.json", summary)
    (directory / "adoption.png").write_bytes(png)
    report = pages.simulate_page(
        summary, forecast.months, forecast.primary_medians(), png, extra_sections
    )
    (directory / "report.html").write_text(report, encoding="utf-8")
