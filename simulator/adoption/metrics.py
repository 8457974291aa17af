"""Metric definitions, computed once from the counts both buyer models emit.

The models only count (Mesa's lesson: measure outside the model). Each run produces, per
month, the counters in ``COUNTERS``: state counts at the month's end (``SNAPSHOT``) and
event counts summed over the month (``FLOW``). Every metric a report shows is defined here,
from those counts, so the fast model, the event-per-need reference model and a real store's
event log are measured the same way.

The seed guide's four rates (denominators exclude accounts that cannot buy online):

    TR   = buyers registered online                 / buyers invited
    TAU  = buyers with at least one online order    / buyers invited
    TDA  = buyers ordering online regularly         / buyers invited
    KAAR = key accounts with at least one online order / key accounts invited
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

SNAPSHOT = (
    "buyers_invited",
    "buyers_registered",
    "buyers_ordered",
    "buyers_regular",
    "buyers_lapsed",
    "key_accounts_invited",
    "key_accounts_ordered",
    "contacts_invited",
    "contacts_registered",
    "key_account_active_contacts",
)
FLOW = (
    "orders",
    "orders_online",
    "orders_on_behalf",
    "online_attempts_failed",
    "bad_experiences",
    "revenue",
    "revenue_online",
    "orders_tracked_online",
    "status_inquiries_offline",
    "return_inquiries_offline",
    "invoice_inquiries_offline",
    "invoices",
    "invoices_paid_online",
    "invoice_searches",
    "inquiries_baseline",  # the same run's expected inquiries had nothing been online
    "discount_cost",  # online revenue x the online-only discount in force
    "key_orders",
    "key_orders_tracked_online",
)
COUNTERS = SNAPSHOT + FLOW
COUNTER_INDEX = MappingProxyType({name: index for index, name in enumerate(COUNTERS)})
PRIMARY = ("TR", "TAU", "TDA", "KAAR")
BAND_LOW, BAND_HIGH = 0.40, 0.70  # the seed guide's self-assessment bands of TDA


@dataclass(frozen=True)
class MetricContext:
    """What a few metrics need beyond the counts: the cost of an order per channel and the
    plan's fixed lever costs per month (training, campaigns, integration, programmes)."""

    cost_offline_order: float = 15.0
    cost_online_order: float = 3.0
    fixed_costs: tuple[float, ...] = ()  # per month; empty = none


class Counts:
    """Named access to a tally of shape (runs, months, counters)."""

    def __init__(self, tally: np.ndarray) -> None:
        if tally.ndim != 3 or tally.shape[2] != len(COUNTERS):
            raise ValueError(f"tally must be (runs, months, {len(COUNTERS)}), got {tally.shape}")
        self.tally = tally

    def __getitem__(self, name: str) -> np.ndarray:
        return self.tally[:, :, COUNTER_INDEX[name]]


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (nothing to measure yet)."""
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


@dataclass(frozen=True)
class Metric:
    """A metric: its name in metrics.csv, a label for people, its unit and its formula."""

    name: str
    label: str
    unit: str
    formula: Callable[[Counts, MetricContext], np.ndarray]


def _saved(c: Counts, ctx: MetricContext) -> np.ndarray:
    return c["orders_online"] * (ctx.cost_offline_order - ctx.cost_online_order)


def _lever_costs(c: Counts, ctx: MetricContext) -> np.ndarray:
    """Discount given away (per run) plus the fixed costs of the month's levers."""
    fixed = np.zeros(c.tally.shape[1])
    fixed[: len(ctx.fixed_costs)] = ctx.fixed_costs[: len(fixed)]
    return c["discount_cost"] + fixed[np.newaxis, :]


def _net_saved_cumulative(c: Counts, ctx: MetricContext) -> np.ndarray:
    return np.cumsum(_saved(c, ctx) - _lever_costs(c, ctx), axis=1)


def _roi(c: Counts, ctx: MetricContext) -> np.ndarray:
    """Net cumulative saving per unit of cumulative lever cost (0 while nothing is spent)."""
    return ratio(_net_saved_cumulative(c, ctx), np.cumsum(_lever_costs(c, ctx), axis=1))


def _offline_inquiries(c: Counts) -> np.ndarray:
    return (
        c["status_inquiries_offline"]
        + c["return_inquiries_offline"]
        + c["invoice_inquiries_offline"]
    )


METRICS: tuple[Metric, ...] = (
    Metric("TR", "registration rate", "share",
           lambda c, _: ratio(c["buyers_registered"], c["buyers_invited"])),
    Metric("TAU", "one-time adoption rate", "share",
           lambda c, _: ratio(c["buyers_ordered"], c["buyers_invited"])),
    Metric("TDA", "web-store adoption rate (regular online buyers)", "share",
           lambda c, _: ratio(c["buyers_regular"], c["buyers_invited"])),
    Metric("KAAR", "key-account adoption rate", "share",
           lambda c, _: ratio(c["key_accounts_ordered"], c["key_accounts_invited"])),
    Metric("lapsed_share", "lapsed buyers / buyers invited", "share",
           lambda c, _: ratio(c["buyers_lapsed"], c["buyers_invited"])),
    Metric("logins_per_key_account", "distinct logins per key account", "per account",
           lambda c, _: ratio(c["key_account_active_contacts"], c["key_accounts_invited"])),
    Metric("orders_tracked_online_share", "orders tracked online / all orders", "share",
           lambda c, _: ratio(c["orders_tracked_online"], c["orders"])),
    Metric("key_account_orders_tracked_share",
           "key accounts' orders tracked online / their orders", "share",
           lambda c, _: ratio(c["key_orders_tracked_online"], c["key_orders"])),
    Metric("invoices_paid_online_share", "invoices paid online / invoices paid", "share",
           lambda c, _: ratio(c["invoices_paid_online"], c["invoices"])),
    Metric("invoice_history_searches", "searches in the invoice history", "count",
           lambda c, _: c["invoice_searches"].copy()),
    Metric("offline_inquiries", "offline inquiries (order status, invoices, returns)", "count",
           lambda c, _: _offline_inquiries(c)),
    Metric("offline_inquiries_decline",
           "decline of offline inquiries vs the same run without a store", "share",
           lambda c, _: 1.0 - ratio(_offline_inquiries(c), c["inquiries_baseline"])),
    Metric("online_order_share", "online share of orders (buyers' own)", "share",
           lambda c, _: ratio(c["orders_online"], c["orders"])),
    Metric("on_behalf_order_share", "orders reps placed in the store / all orders", "share",
           lambda c, _: ratio(c["orders_on_behalf"], c["orders"])),
    Metric("online_revenue_share", "online share of revenue", "share",
           lambda c, _: ratio(c["revenue_online"], c["revenue"])),
    Metric("bad_online_experiences", "online orders that met wrong data or failed", "count",
           lambda c, _: c["bad_experiences"] + c["online_attempts_failed"]),
    Metric("cost_to_serve_saved", "cost to serve saved this month", "money", _saved),
    Metric("cost_to_serve_saved_cumulative", "cost to serve saved since launch", "money",
           lambda c, ctx: np.cumsum(_saved(c, ctx), axis=1)),
    Metric("lever_costs", "cost of the plan's levers this month", "money", _lever_costs),
    Metric("lever_costs_cumulative", "cost of the plan's levers since launch", "money",
           lambda c, ctx: np.cumsum(_lever_costs(c, ctx), axis=1)),
    Metric("net_saved_cumulative", "cost to serve saved minus lever costs, since launch",
           "money", _net_saved_cumulative),
    Metric("roi", "net saving since launch / lever costs since launch", "ratio", _roi),
    Metric("buyers_invited", "buyers invited", "count", lambda c, _: c["buyers_invited"].copy()),
    Metric("buyers_registered", "buyers registered", "count",
           lambda c, _: c["buyers_registered"].copy()),
    Metric("buyers_ordered_once", "buyers with an online order", "count",
           lambda c, _: c["buyers_ordered"].copy()),
    Metric("buyers_regular", "regular online buyers", "count",
           lambda c, _: c["buyers_regular"].copy()),
    Metric("key_accounts_invited", "key accounts invited", "count",
           lambda c, _: c["key_accounts_invited"].copy()),
    Metric("key_accounts_ordered", "key accounts with an online order", "count",
           lambda c, _: c["key_accounts_ordered"].copy()),
)  # fmt: skip
METRIC_BY_NAME = MappingProxyType({metric.name: metric for metric in METRICS})


def compute_metrics(tally: np.ndarray, context: MetricContext) -> dict[str, np.ndarray]:
    """Every metric as an array (runs, months)."""
    counts = Counts(tally)
    return {metric.name: metric.formula(counts, context) for metric in METRICS}


@dataclass(frozen=True)
class Band:
    """Across-run statistics of one metric in one month."""

    mean: float
    p10: float
    p50: float
    p90: float
    p50_low: float  # 95 % confidence interval of the median: Monte Carlo error,
    p50_high: float  # which narrows as runs grow (the p10-p90 band does not)

    def as_dict(self, digits: int = 6) -> dict[str, float]:
        return {key: round(value, digits) for key, value in vars(self).items()}


def bands(values: np.ndarray) -> list[Band]:
    """One Band per month of ``values`` (runs, months)."""
    ordered = np.sort(values, axis=0)
    runs = ordered.shape[0]
    p10, p50, p90 = np.percentile(ordered, [10.0, 50.0, 90.0], axis=0)
    low_index, high_index = median_ci_indices(runs)
    mean = values.mean(axis=0)
    return [
        Band(
            float(mean[m]),
            float(p10[m]),
            float(p50[m]),
            float(p90[m]),
            float(ordered[low_index, m]),
            float(ordered[high_index, m]),
        )
        for m in range(values.shape[1])
    ]


def median_ci_indices(runs: int, z: float = 1.96) -> tuple[int, int]:
    """Order-statistic indices (0-based) of a distribution-free 95 % interval of the median."""
    half_width = z * math.sqrt(runs) / 2.0
    low = math.floor(runs / 2.0 - half_width)
    high = math.ceil(runs / 2.0 + half_width) - 1
    return max(low, 0), min(max(high, 0), runs - 1)


def seed_band(tda: float) -> str:
    """The seed guide's self-assessment band for a TDA value."""
    if tda < BAND_LOW:
        return "below 40 %"
    if tda <= BAND_HIGH:
        return "40-70 %"
    return "above 70 %"


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval of a probability estimated from ``successes`` of ``trials``."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class TargetOutcome:
    """How often the runs reach the SMART target."""

    metric: str
    value: float
    month: str
    runs: int
    reached: int
    reached_any_time: int
    median_at_date: float

    @property
    def probability(self) -> float:
        return self.reached / self.runs if self.runs else 0.0

    @property
    def verdict(self) -> str:
        """Plain words for a steering meeting (thresholds documented in docs/adoption.md)."""
        if self.probability >= 0.8:
            return "on track"
        if self.probability >= 0.5:
            return "at risk"
        return "off track"


def target_outcome(
    values: np.ndarray, month_index: int, month_label: str, metric: str, value: float
) -> TargetOutcome:
    """Share of runs whose ``metric`` is at least ``value`` at the target month (and ever)."""
    at_date = values[:, month_index]
    ever = values[:, : month_index + 1].max(axis=1)
    tolerance = 1e-12
    return TargetOutcome(
        metric=metric,
        value=value,
        month=month_label,
        runs=values.shape[0],
        reached=int(np.sum(at_date >= value - tolerance)),
        reached_any_time=int(np.sum(ever >= value - tolerance)),
        median_at_date=float(np.median(at_date)),
    )
