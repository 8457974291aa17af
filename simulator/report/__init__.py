"""Charts (PNG) and self-contained HTML reports of the adoption forecasts."""

from simulator.report.charts import (
    Points,
    Series,
    TargetMark,
    comparison_chart,
    fan_chart,
    tornado_chart,
)
from simulator.report.html import page

__all__ = [
    "Points",
    "Series",
    "TargetMark",
    "comparison_chart",
    "fan_chart",
    "page",
    "tornado_chart",
]
