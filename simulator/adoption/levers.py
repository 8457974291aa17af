"""Scenario levers + population + measured CX -> the numbers the buyer models read.

Both models (fast and reference) read the same ``ModelInputs``, so a lever means the same in
each. Levers may change over time and target accounts (key accounts, segments, salespeople,
countries: issue 13 point 5), so the constant part of a buyer's utility of ordering online
is a table per week and account group (simulator.adoption.targets), built per run from that
run's parameters (structural uncertainty):

    base[w, g] = online_intercept + sum(weight of each feature live in week w)
                 + discount_weight * discount_pp[w, g] + loyalty_weight * loyalty
                 - latency_weight * max(0, p95_ms - latency_reference_ms) / 1000

The personal parts (advocacy, training, habit, trust, word of mouth, campaign touches, the
first-order barrier, personal taste) are added by the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.adoption.accuracy import Accuracy, derive_accuracy
from simulator.adoption.cx import CxInputs
from simulator.adoption.parameters import Parameters
from simulator.adoption.population import ChangeRates, Population
from simulator.adoption.scenario import FEATURES, Integration, Scenario
from simulator.adoption.targets import AccountGroups, account_groups
from simulator.adoption.uncertainty import draw_parameters


@dataclass(frozen=True)
class LeverPlan:
    """The scenario's levers per week (picklable, read-only); per-run tables from ``tables``."""

    feature_on: np.ndarray  # (F, W) bool, FEATURES order
    discount: np.ndarray  # (W, G) online-only discount share per account group
    loyalty: bool
    p95_ms: float
    error_ratio: float
    phase: np.ndarray  # (W,) index into ``phases``
    phases: tuple[Integration, ...]  # integration mode of each phase
    change_rates: ChangeRates
    basket_lines: np.ndarray  # (A,)
    cx: CxInputs | None = None

    def tables(self, params: Parameters) -> tuple[np.ndarray, np.ndarray, float]:
        """(base utility (W, G), chance an online order meets wrong data (P, A), chance it
        meets a site error) for one run's parameters."""
        weights = np.array([getattr(params, f"weight_{name}") for name in FEATURES])
        base = params.online_intercept + weights @ self.feature_on.astype(float)  # (W,)
        slow = max(0.0, self.p95_ms - params.latency_reference_ms) / 1000.0
        base = base - params.latency_weight * slow + params.loyalty_weight * float(self.loyalty)
        utility = base[:, np.newaxis] + params.discount_weight * 100.0 * self.discount
        wrong = np.stack(
            [self.accuracy(phase, params).order_wrong(self.basket_lines) for phase in self.phases]
        )
        site_bad = 1.0 - (1.0 - self.error_ratio) ** params.pages_per_order
        return utility, wrong, site_bad

    def accuracy(self, phase: Integration, params: Parameters) -> Accuracy:
        return derive_accuracy(phase, self.change_rates, params, self.cx)

    def live(self, name: str) -> np.ndarray:
        """(W,) bool: the feature is live that week."""
        return self.feature_on[FEATURES.index(name)]


@dataclass(frozen=True)
class RunTables:
    """Per-run parameters and lever tables of a batch of runs."""

    params: list[Parameters]
    utility: np.ndarray  # (R, W, G)
    order_wrong: np.ndarray  # (R, P, A)
    site_bad: np.ndarray  # (R,)
    values: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (R,)

    def value(self, name: str) -> np.ndarray:
        """(R,) one parameter across the batch's runs."""
        if name not in self.values:
            self.values[name] = np.array([getattr(p, name) for p in self.params])
        return self.values[name]


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
    plan: LeverPlan
    params: Parameters
    training_signup: float
    regular_window: int
    regular_min: int
    groups: AccountGroups
    structural: bool = True

    @property
    def contacts(self) -> int:
        return len(self.contact_account)

    @property
    def accounts(self) -> int:
        return len(self.key_account)

    def run_tables(self, seeds: Sequence[np.random.SeedSequence]) -> RunTables:
        """Each run's parameters (drawn when structural uncertainty is on) and tables."""
        params = draw_parameters(self.params, seeds, structural=self.structural)
        tables = [self.plan.tables(p) for p in params]
        return RunTables(
            params=params,
            utility=np.stack([t[0] for t in tables]),
            order_wrong=np.stack([t[1] for t in tables]),
            site_bad=np.array([t[2] for t in tables]),
        )


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


def scenario_weeks(scenario: Scenario) -> int:
    return -(-(scenario.end - scenario.start).days // 7)


def _week(scenario: Scenario, day: object) -> int:
    return max(0, (day - scenario.start).days // 7)  # type: ignore[operator]


def lever_plan(
    scenario: Scenario,
    population: Population,
    site: SiteLevers,
    cx: CxInputs | None,
    groups: AccountGroups,
) -> LeverPlan:
    """The scenario's levers per week: features going live, discounts per account group,
    integration phases."""
    weeks = scenario_weeks(scenario)
    feature_on = np.zeros((len(FEATURES), weeks), dtype=bool)
    for index, name in enumerate(FEATURES):
        if getattr(scenario.features, name):
            day = scenario.features.live_from.get(name)  # type: ignore[call-overload]
            feature_on[index, _week(scenario, day) if day else 0 :] = True
    discount = np.full((weeks, groups.count), scenario.incentives.online_discount)
    for item in scenario.incentives.discounts:
        first = _week(scenario, item.start)
        last = weeks if item.end is None else _week(scenario, item.end)
        chosen = groups.member[:, groups.selectors.index(item.accounts)]
        discount[first:last, chosen] = np.maximum(discount[first:last, chosen], item.share)
    integration = scenario.integration
    phases = [
        Integration(mode=integration.mode, sync_interval_hours=integration.sync_interval_hours)
    ]
    phase = np.zeros(weeks, dtype=np.int64)
    for change in integration.changes:
        phases.append(Integration(mode=change.mode, sync_interval_hours=change.sync_interval_hours))
        phase[_week(scenario, change.date) :] = len(phases) - 1
    return LeverPlan(
        feature_on=feature_on,
        discount=discount,
        loyalty=scenario.incentives.loyalty,
        p95_ms=site.p95_ms,
        error_ratio=site.error_ratio,
        phase=phase,
        phases=tuple(phases),
        change_rates=population.change_rates,
        basket_lines=population.basket_lines,
        cx=cx,
    )


def build_inputs(
    scenario: Scenario,
    population: Population,
    cx: CxInputs | None = None,
    *,
    structural: bool = True,
) -> tuple[ModelInputs, Accuracy, SiteLevers]:
    """The model's inputs, with the derived data accuracy (of the first integration phase,
    at the point parameters) and site levers for the report."""
    params = scenario.parameters
    site = site_levers(scenario, cx)
    groups = account_groups(scenario, population)
    plan = lever_plan(scenario, population, site, cx, groups)
    accuracy = plan.accuracy(plan.phases[0], params)
    inputs = ModelInputs(
        contact_account=population.contact_account,
        buyers=population.buyers,
        key_account=population.key_account,
        buyers_per_account=population.buyers_per_account(),
        need_rate=population.need_rate()[: population.buyers],
        invoice_rate=population.invoice_rate(),
        order_value=population.order_value,
        plan=plan,
        params=params,
        training_signup=scenario.training.signup,
        regular_window=scenario.regular.window_months,
        regular_min=scenario.regular.min_months,
        groups=groups,
        structural=structural,
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
            + "; ".join(f"{w.date}: {w.share:.0%} of {w.accounts.describe()}" for w in waves)
            + "."
        )
    if scenario.integration.mode == "realtime":
        lines.append("Prices and stock come from the ERP in real time.")
    else:
        lines.append(
            f"Prices and stock are copied from the ERP every "
            f"{scenario.integration.sync_interval_hours:g} hours (batch sync)."
        )
    for change in scenario.integration.changes:
        every = f" every {change.sync_interval_hours:g} hours" if change.mode == "batch" else ""
        lines.append(f"From {change.date} the store runs in {change.mode} mode{every}.")
    lines.append(f"Data accuracy: {accuracy.explanation}.")
    on = [name.replace("_", " ") for name in FEATURES if getattr(scenario.features, name)]
    off = [name.replace("_", " ") for name in FEATURES if not getattr(scenario.features, name)]
    lines.append(f"Features on: {', '.join(on) or 'none'}; off: {', '.join(off) or 'none'}.")
    for name, day in scenario.features.live_from.items():
        lines.append(f"{name.replace('_', ' ').capitalize()} goes live on {day}.")
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
        who = "" if item.accounts.is_all else f" for {item.accounts.describe()}"
        lines.append(
            f"Advocacy programme{who} {item.start} to {item.end}: advocacy "
            f"{item.advocacy:+g}, {item.on_behalf_share:.0%} of offline orders placed in the "
            "store by reps."
        )
    incentives = scenario.incentives
    if incentives.online_discount or incentives.loyalty:
        lines.append(
            f"Incentives: {incentives.online_discount:.1%} online-only discount"
            + (", loyalty programme." if incentives.loyalty else ".")
        )
    elif not incentives.discounts:
        lines.append("No online incentives.")
    for discount in incentives.discounts:
        until = f" until {discount.end}" if discount.end else ""
        lines.append(
            f"Online-only discount {discount.share:.1%} for {discount.accounts.describe()} "
            f"from {discount.start}{until}."
        )
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
    for campaign in scenario.campaigns:
        if not campaign.accounts.is_all:
            label = campaign.name or "unnamed"
            lines.append(
                f"Campaign {label} on {campaign.date} reaches {campaign.reach:.0%} of the "
                f"invited contacts of {campaign.accounts.describe()}."
            )
    lines.append(
        f"A buyer is regular with an online order in {scenario.regular.min_months} of its last "
        f"{scenario.regular.window_months} months with a purchase need."
    )
    return lines
