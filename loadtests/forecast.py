"""From an adoption forecast to a session arrival rate (the `adoption` load shape's input).

`erpsim simulate --out DIR` writes ``metrics.csv`` (per month and metric: mean, p10, p50 ...)
and ``summary.json``. For the chosen month this module takes the **median** run's online
activity and counts the store sessions it means:

    orders            = population orders per month (summary.json)
    online orders     = online_order_share            x orders
    on-behalf orders  = on_behalf_order_share         x orders   (sales reps in the store)
    tracked orders    = orders_tracked_online_share   x orders
    invoice payments  = invoices_paid_online_share    x orders   (one invoice per order)
    invoice searches  = invoice_history_searches
    logins            = buyers_registered x login_per_week x 52.14 / 12   (browsing only)

    sessions/month    = sum of each activity x its `sessions_per_...` knob
    peak-hour sessions = sessions/month / business_days_per_month x peak_hour_share
    rate (sessions/s) = peak-hour sessions / run duration    (compress = true)
                      = peak-hour sessions / 3600            (compress = false)

Plain Python, no Locust: `simulator.load` resolves and checks the month before anything
starts, and the shape's `tick()` is tested against these numbers.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from loadtests.mix import AdoptionKnobs
from simulator.errors import UserError

__all__ = [
    "Activity",
    "ForecastTable",
    "activity",
    "arrival_rate",
    "peak_hour_sessions",
    "read_forecast",
]

WEEKS_PER_MONTH = 365.0 / 7.0 / 12.0
HOUR = 3600.0
NEEDED = (
    "online_order_share",
    "on_behalf_order_share",
    "orders_tracked_online_share",
    "invoices_paid_online_share",
    "invoice_history_searches",
    "buyers_registered",
)


@dataclass(frozen=True)
class ForecastTable:
    """The medians of a forecast: ``p50[metric][month index]``, and the facts beside them."""

    source: str
    scenario: str
    months: tuple[str, ...]
    p50: dict[str, tuple[float, ...]]
    orders_per_month: float
    login_per_week: float

    def month_index(self, month: str | int) -> int:
        """``9`` (the 9th month of the horizon, 1-based) or ``"2027-09"`` -> 0-based index."""
        text = str(month).strip()
        if re.fullmatch(r"\d{1,3}", text):
            number = int(text)
            if not 1 <= number <= len(self.months):
                raise UserError(
                    f"--month {number}: the forecast has months 1..{len(self.months)} "
                    f"({self.months[0]} .. {self.months[-1]})"
                )
            return number - 1
        if text in self.months:
            return self.months.index(text)
        raise UserError(
            f"--month {text!r}: not a month of the forecast ({self.months[0]} .. "
            f"{self.months[-1]}, or 1..{len(self.months)})"
        )


@dataclass(frozen=True)
class Activity:
    """One month's median online activity (per month) and the sessions it makes."""

    month: str
    orders: float
    online_orders: float
    on_behalf_orders: float
    tracked_orders: float
    invoice_payments: float
    invoice_searches: float
    logins: float
    sessions: float

    def as_dict(self) -> dict[str, float | str]:
        return {key: round(v, 3) if isinstance(v, float) else v for key, v in asdict(self).items()}


def read_forecast(directory: str | Path) -> ForecastTable:
    """Read ``metrics.csv`` and ``summary.json`` of an `erpsim simulate --out` directory."""
    directory = Path(directory)
    metrics, summary = directory / "metrics.csv", directory / "summary.json"
    if not metrics.is_file() or not summary.is_file():
        raise UserError(
            f"--forecast {directory}: no metrics.csv and summary.json (write one with "
            "`erpsim simulate SCENARIO --out DIR`)"
        )
    try:
        facts = json.loads(summary.read_text(encoding="utf-8"))
        orders = float(facts["population"]["orders_per_month"])
        overrides = facts.get("parameters_overridden") or {}
        with metrics.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        months: list[str] = []
        p50: dict[str, list[float]] = {}
        for row in rows:
            if row["month"] not in months:
                months.append(row["month"])
            p50.setdefault(row["metric"], []).append(float(row["p50"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"--forecast {directory}: cannot read the forecast ({exc!r})") from None
    missing = [name for name in NEEDED if name not in p50]
    if missing or not months:
        raise UserError(f"--forecast {directory}: metrics.csv lacks {', '.join(missing)}")
    from simulator.adoption.parameters import Parameters  # noqa: PLC0415 - pure pydantic

    login = float(overrides.get("login_per_week", Parameters().login_per_week))
    return ForecastTable(
        source=str(directory),
        scenario=str(facts.get("scenario", "")),
        months=tuple(months),
        p50={name: tuple(values) for name, values in p50.items()},
        orders_per_month=orders,
        login_per_week=login,
    )


def activity(table: ForecastTable, month: str | int, knobs: AdoptionKnobs) -> Activity:
    """The month's median activity and the store sessions it amounts to."""
    index = table.month_index(month)

    def median(name: str) -> float:
        return table.p50[name][index]

    orders = table.orders_per_month
    online = median("online_order_share") * orders
    on_behalf = median("on_behalf_order_share") * orders
    tracked = median("orders_tracked_online_share") * orders
    payments = median("invoices_paid_online_share") * orders
    searches = median("invoice_history_searches")
    logins = median("buyers_registered") * table.login_per_week * WEEKS_PER_MONTH
    sessions = (
        (online + on_behalf) * knobs.sessions_per_online_order
        + tracked * knobs.sessions_per_tracked_order
        + payments * knobs.sessions_per_invoice_payment
        + searches * knobs.sessions_per_invoice_search
        + logins * knobs.sessions_per_login
    )
    return Activity(
        table.months[index], orders, online, on_behalf, tracked, payments, searches, logins,
        sessions,
    )  # fmt: skip


def peak_hour_sessions(month: Activity, knobs: AdoptionKnobs) -> float:
    """Sessions started in the busiest hour of an average business day of the month."""
    return month.sessions / knobs.business_days_per_month * knobs.peak_hour_share


def arrival_rate(month: Activity, knobs: AdoptionKnobs, duration: float) -> float:
    """Sessions started per second of the run."""
    if duration <= 0 or not math.isfinite(duration):
        raise UserError("the adoption shape needs a positive --duration")
    span = duration if knobs.compress else HOUR
    return peak_hour_sessions(month, knobs) / span
