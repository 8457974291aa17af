"""Scenario levers + population + measured CX -> the numbers the buyer models read.

Both models (fast and reference) read the same ``ModelInputs``, so a lever means the same in
each. The constant part of a buyer's utility of ordering online is summed here once:

    base = online_intercept + sum(weight of each feature on)
           + discount_weight * discount_percentage_points + loyalty_weight * loyalty
           - latency_weight * max(0, p95_ms - latency_reference_ms) / 1000

The time-varying and personal parts (advocacy, training, habit, trust, word of mouth,
campaign touches, the first-order barrier, personal taste) are added by the models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.adoption.accuracy import Accuracy, derive_accuracy
from simulator.adoption.cx import CxInputs
from simulator.adoption.parameters import Parameters
from simulator.adoption.population import Population
from simulator.adoption.scenario import FEATURES, Scenario


@dataclass(frozen=True)
class ModelInputs:
    """Everything a run needs besides the calendar and its seed (picklable, read-only)."""

    contact_account: np.ndarray  # (N,) int32
    buyers: int
    key_account: np.ndarray  # (A,) bool
    buyers_per_account: np.ndarray  # (A,) int
    need_rate: np.ndarray  # (Nb,) purchase needs per week
    invoice_rate: np.ndarray  # (N,) invoices per week
    order_value: np.ndarray  # (A,) revenue per order
    order_wrong: np.ndarray  # (A,) chance an online order meets wrong price / stock data
    site_bad: float  # chance an online order hits a site error
    base_utility: float
    params: Parameters
    order_tracking: bool
    online_invoices: bool
    training_signup: float
    regular_window: int
    regular_min: int
    inquiries_baseline_per_week: float

    @property
    def contacts(self) -> int:
        return len(self.contact_account)

    @property
    def accounts(self) -> int:
        return len(self.key_account)


@dataclass(frozen=True)
class SiteLevers:
    """Site performance after measured values replaced the scenario's."""

    p95_ms: float
    error_ratio: float
    source: str


def site_levers(scenario: Scenario, cx: CxInputs | None) -> SiteLevers:
    p95 = scenario.site.p95_ms
    errors = scenario.site.error_ratio
    source = "scenario"
    if cx is not None and (cx.p95_ms is not None or cx.error_ratio is not None):
        p95 = cx.p95_ms if cx.p95_ms is not None else p95
        errors = cx.error_ratio if cx.error_ratio is not None else errors
        source = f"load test {cx.source}"
    return SiteLevers(p95, errors, source)


def base_utility(scenario: Scenario, site: SiteLevers) -> float:
    """The constant part of the online utility (see the module docstring)."""
    params = scenario.parameters
    value = params.online_intercept
    for name in FEATURES:
        if getattr(scenario.features, name):
            value += getattr(params, f"weight_{name}")
    value += params.discount_weight * scenario.incentives.online_discount * 100.0
    value += params.loyalty_weight * float(scenario.incentives.loyalty)
    slow_seconds = max(0.0, site.p95_ms - params.latency_reference_ms) / 1000.0
    return value - params.latency_weight * slow_seconds


def build_inputs(
    scenario: Scenario, population: Population, cx: CxInputs | None = None
) -> tuple[ModelInputs, Accuracy, SiteLevers]:
    """The model's inputs, with the derived data accuracy and site levers for the report."""
    params = scenario.parameters
    site = site_levers(scenario, cx)
    accuracy = derive_accuracy(scenario.integration, population.change_rates, params, cx)
    site_bad = 1.0 - (1.0 - site.error_ratio) ** params.pages_per_order
    baseline = float(
        np.sum(
            population.orders_per_week
            * (params.status_question_share + params.return_inquiry_share)
            + population.invoices_per_week * params.invoice_question_share
        )
    )
    inputs = ModelInputs(
        contact_account=population.contact_account,
        buyers=population.buyers,
        key_account=population.key_account,
        buyers_per_account=population.buyers_per_account(),
        need_rate=population.need_rate()[: population.buyers],
        invoice_rate=population.invoice_rate(),
        order_value=population.order_value,
        order_wrong=accuracy.order_wrong(population.basket_lines),
        site_bad=site_bad,
        base_utility=base_utility(scenario, site),
        params=params,
        order_tracking=scenario.features.order_tracking,
        online_invoices=scenario.features.online_invoices,
        training_signup=scenario.training.signup,
        regular_window=scenario.regular.window_months,
        regular_min=scenario.regular.min_months,
        inquiries_baseline_per_week=baseline,
    )
    return inputs, accuracy, site


def describe_levers(scenario: Scenario, site: SiteLevers, accuracy: Accuracy) -> list[str]:
    """The scenario's levers in plain words, for the report."""
    lines = []
    waves = scenario.waves
    if not scenario.invitations:
        lines.append(f"All buyers are invited at launch on {scenario.start}.")
    else:
        lines.append(
            "Invitations in waves: "
            + "; ".join(f"{w.date}: {w.share:.0%} of {w.accounts} accounts" for w in waves)
            + "."
        )
    if scenario.integration.mode == "realtime":
        lines.append("Prices and stock come from the ERP in real time.")
    else:
        lines.append(
            f"Prices and stock are copied from the ERP every "
            f"{scenario.integration.sync_interval_hours:g} hours (batch sync)."
        )
    lines.append(f"Data accuracy: {accuracy.explanation}.")
    on = [name.replace("_", " ") for name in FEATURES if getattr(scenario.features, name)]
    off = [name.replace("_", " ") for name in FEATURES if not getattr(scenario.features, name)]
    lines.append(f"Features on: {', '.join(on) or 'none'}; off: {', '.join(off) or 'none'}.")
    lines.append(
        f"Site: p95 latency {site.p95_ms:g} ms, error ratio {site.error_ratio:.2%} ({site.source})."
    )
    stance = scenario.sales.advocacy
    word = "advocate the store" if stance > 0 else "resist it" if stance < 0 else "are neutral"
    lines.append(
        f"Sales reps {word} (advocacy {stance:+g}) and place "
        f"{scenario.sales.on_behalf_share:.0%} of offline orders in the store for the customer."
    )
    for item in scenario.sales.programmes:
        lines.append(
            f"Advocacy programme {item.start} to {item.end}: advocacy {item.advocacy:+g}, "
            f"{item.on_behalf_share:.0%} of offline orders placed in the store by reps."
        )
    incentives = scenario.incentives
    if incentives.online_discount or incentives.loyalty:
        lines.append(
            f"Incentives: {incentives.online_discount:.1%} online-only discount"
            + (", loyalty programme." if incentives.loyalty else ".")
        )
    else:
        lines.append("No online incentives.")
    sessions = scenario.training.sessions
    if sessions:
        seats = sum(item.seats * item.repeat for item in sessions)
        lines.append(
            f"Training: {sum(item.repeat for item in sessions)} sessions, {seats} seats, "
            f"{scenario.training.trainers} trainer(s); {scenario.training.signup:.0%} of "
            "invited contacts want a seat."
        )
    else:
        lines.append("No training.")
    lines.append(
        f"{len(scenario.campaigns)} communication campaign(s); "
        f"{len(scenario.incidents)} incident(s)."
    )
    lines.append(
        f"A buyer is regular with an online order in {scenario.regular.min_months} of its last "
        f"{scenario.regular.window_months} months with a purchase need."
    )
    return lines
