"""The chance an online order meets a wrong price or stock level (the seed's causes 1 and 2).

``batch`` integration copies ERP data into the store every ``sync_interval_hours``; whatever
changed since the last sync is shown wrong. With the dataset's change rates (price-list lines
started and stock movements per item and month) and a sync at a random phase, the data a
buyer sees is on average half an interval old, so one order line is wrong with probability

    p_line = 1 - exp(-(price_rate * price_visibility + stock_rate * stock_visibility)
                     * interval_days / 2)

with the rates per item and day, and an order of L lines meets at least one wrong line with
``1 - (1 - p_line) ** L``. On top of that, copying data has a structural residual per order
however often it runs (``batch_residual_error``: agreements not replicated, failed syncs;
the seed guide's cause 1). ``realtime`` integration leaves only a small residual per order
(``realtime_residual_error``).

Measured accuracy from a load test (``--cx-from``) was measured on one setup (its integration
mode and sync interval; unknown means fresh data). Its staleness is taken out to get the
per-line floor (what is wrong even with fresh data), and the scenario's own staleness is put
back, plus the scenario mode's residual beyond the measured mode's: so realtime, nightly and
monthly batch still differ when the CX is measured (issue 13 point 6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from simulator.adoption.cx import CxInputs
from simulator.adoption.parameters import Parameters
from simulator.adoption.population import ChangeRates
from simulator.adoption.scenario import Integration

DAYS_PER_MONTH = 365.0 / 12.0


@dataclass(frozen=True)
class Accuracy:
    """Per-line wrong chances (or a per-order residual) and how they were derived."""

    mode: str
    price_line_wrong: float
    stock_line_wrong: float
    order_residual: float
    explanation: str

    def order_wrong(self, basket_lines: np.ndarray) -> np.ndarray:
        """Chance that an order of ``basket_lines`` lines meets wrong data, per account."""
        line_right = (1.0 - self.price_line_wrong) * (1.0 - self.stock_line_wrong)
        return 1.0 - (1.0 - self.order_residual) * line_right**basket_lines

    def as_dict(self, basket_lines: np.ndarray) -> dict[str, object]:
        return {
            "mode": self.mode,
            "price_line_wrong": round(self.price_line_wrong, 6),
            "stock_line_wrong": round(self.stock_line_wrong, 6),
            "order_residual": round(self.order_residual, 6),
            "mean_order_wrong": round(float(np.mean(self.order_wrong(basket_lines))), 6),
            "explanation": self.explanation,
        }


def derive_accuracy(
    integration: Integration, rates: ChangeRates, params: Parameters, cx: CxInputs | None
) -> Accuracy:
    """Wrong-data chances for the scenario's integration mode, overridden by measurements."""
    accuracy = _derived(integration, rates, params)
    if cx is None or (cx.price_accuracy is None and cx.stock_accuracy is None):
        return accuracy
    mode: Literal["realtime", "batch"] = "batch" if cx.integration_mode == "batch" else "realtime"
    measured_on = Integration(mode=mode, sync_interval_hours=cx.sync_interval_hours or 24.0)
    setup = _derived(measured_on, rates, params)
    price = accuracy.price_line_wrong
    stock = accuracy.stock_line_wrong
    if cx.price_accuracy is not None:
        price = _moved(1.0 - cx.price_accuracy, setup.price_line_wrong, price)
    if cx.stock_accuracy is not None:
        stock = _moved(1.0 - cx.stock_accuracy, setup.stock_line_wrong, stock)
    residual = max(0.0, accuracy.order_residual - setup.order_residual)
    setup_words = (
        f"{measured_on.mode}"
        + (f" every {measured_on.sync_interval_hours:g} h" if measured_on.mode == "batch" else "")
        if cx.integration_mode
        else "an unnamed setup, taken as fresh data"
    )
    return Accuracy(
        accuracy.mode,
        price,
        stock,
        residual,
        f"measured by the load test ({cx.source}) on {setup_words}, moved to this scenario's "
        f"{accuracy.mode} integration: {1 - price:.2%} prices and {1 - stock:.2%} stock levels "
        f"right per line, plus {residual:.2%} per order",
    )


def _moved(measured_wrong: float, setup_stale: float, scenario_stale: float) -> float:
    """Per-line wrong chance measured on one setup, moved to the scenario's staleness."""
    floor = max(0.0, 1.0 - (1.0 - measured_wrong) / (1.0 - setup_stale))
    return 1.0 - (1.0 - floor) * (1.0 - scenario_stale)


def _derived(integration: Integration, rates: ChangeRates, params: Parameters) -> Accuracy:
    if integration.mode == "realtime":
        accuracy = Accuracy(
            "realtime",
            0.0,
            0.0,
            params.realtime_residual_error,
            f"realtime integration: residual {params.realtime_residual_error:.2%} per order "
            "(outages, caches)",
        )
    else:
        accuracy = _batch(integration.sync_interval_hours, rates, params)
    return accuracy


def _batch(interval_hours: float, rates: ChangeRates, params: Parameters) -> Accuracy:
    price_rate = rates.price_changes_per_item_month
    stock_rate = rates.stock_changes_per_item_month
    if price_rate is None:
        price_rate = 0.0
    if stock_rate is None:
        stock_rate = params.stock_changes_per_item_month
    staleness_days = interval_hours / 24.0 / 2.0
    price = _line_wrong(price_rate * params.price_change_visibility, staleness_days)
    stock = _line_wrong(stock_rate * params.stock_change_visibility, staleness_days)
    return Accuracy(
        "batch",
        price,
        stock,
        params.batch_residual_error,
        f"batch sync every {interval_hours:g} h: data on average {staleness_days * 24:g} h old; "
        f"{price_rate:.3g} price changes per item-month ({rates.price_source}) x visibility "
        f"{params.price_change_visibility:g}; {stock_rate:.3g} stock movements per "
        f"item-location-month ({rates.stock_source}) x visibility "
        f"{params.stock_change_visibility:g}; plus {params.batch_residual_error:.1%} per order "
        "for what a copy never carries (agreements, failed syncs)",
    )


def _line_wrong(visible_changes_per_month: float, staleness_days: float) -> float:
    return 1.0 - math.exp(-visible_changes_per_month / DAYS_PER_MONTH * staleness_days)
