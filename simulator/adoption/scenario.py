"""Adoption scenarios: TOML files validated into frozen, typed models.

A scenario is the plan a planner wants to test: when buyers are invited, how the store is
integrated with the ERP, which features it has, how sales reps behave, what onboarding and
incentives there are, what can go wrong, and the SMART target to check. Every key is
documented in scenarios/README.md. Unknown keys, wrong types, shares outside [0, 1], dates out
of order and a target beyond the horizon are errors naming the file and the field.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, ValidationError, model_validator

from simulator.adoption.parameters import Parameters
from simulator.builtin import resolve
from simulator.config import describe_validation_error, read_toml
from simulator.errors import UserError
from simulator.model import InputModel

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Advocacy = Annotated[float, Field(ge=-1.0, le=1.0)]
Money = Annotated[float, Field(ge=0.0, le=1e7)]
PRIMARY_METRICS = ("TR", "TAU", "TDA", "KAAR")
FEATURES = (
    "customer_prices",
    "quick_reorder",
    "saved_carts",
    "quote_to_order",
    "order_tracking",
    "online_invoices",
)


class _Model(InputModel):
    """Frozen, no unknown keys, finite numbers, no `true` for 1 (simulator.model)."""


class PopulationFilter(_Model):
    """Accounts the scenario leaves out (blocked accounts are always left out)."""

    exclude_segments: tuple[str, ...] = ()
    exclude_customers: tuple[str, ...] = ()


ACCOUNT_SHORTHANDS: dict[str, dict[str, bool]] = {
    "all": {},
    "key": {"key": True},
    "other": {"key": False},
}
Code = Annotated[str, Field(min_length=1, max_length=200)]
Codes = Annotated[tuple[Code, ...], Field(max_length=10_000)]


class Accounts(_Model):
    """The accounts a lever targets (issue 13 point 5): every condition given must hold, and
    a list matches any of its values. ``"all"``, ``"key"`` and ``"other"`` are shorthands
    for ``{}``, ``{key = true}`` and ``{key = false}``; values are checked against the
    dataset when the forecast reads it (simulator.adoption.targets)."""

    key: Annotated[bool, Strict()] | None = None
    segments: Codes = ()
    salespeople: Codes = ()
    countries: Codes = ()

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in ACCOUNT_SHORTHANDS:
                raise ValueError(
                    f"unknown group {value!r}: 'all', 'key', 'other' or a table of key, "
                    "segments, salespeople, countries"
                )
            return ACCOUNT_SHORTHANDS[value]
        if isinstance(value, dict):  # one order of each list, so equal targets are equal
            return {name: _sorted_codes(item) for name, item in value.items()}
        return value

    @property
    def is_all(self) -> bool:
        return self == ALL_ACCOUNTS

    def describe(self) -> str:
        """'all accounts', 'key accounts', 'other accounts in segment retail', ..."""
        kind = {None: "", True: "key ", False: "other "}[self.key]
        if self.key is None and (self.segments or self.salespeople or self.countries):
            kind = ""
        words = [f"{kind}accounts" if kind or not self.is_all else "all accounts"]
        for one, many, values in (
            ("segment", "segments", self.segments),
            ("salesperson", "salespeople", self.salespeople),
            ("country", "countries", self.countries),
        ):
            if values:
                words.append(f"{one if len(values) == 1 else many} {', '.join(values)}")
        return words[0] + (" of " + "; ".join(words[1:]) if len(words) > 1 else "")


ALL_ACCOUNTS = Accounts()


def _sorted_codes(item: object) -> object:
    """A list of strings sorted and without repeats; anything else as given (to be refused)."""
    if isinstance(item, list | tuple) and all(isinstance(code, str) for code in item):
        return tuple(sorted(set(item)))
    return item


class Wave(_Model):
    """An invitation wave: on ``date``, invite ``share`` of the ``accounts`` group."""

    date: dt.date
    share: Share = 1.0
    accounts: Accounts = ALL_ACCOUNTS


IntegrationMode = Literal["realtime", "batch"]
SyncHours = Annotated[float, Field(gt=0.0, le=24.0 * 31)]


class IntegrationChange(_Model):
    """From ``date`` on the store runs in ``mode`` (a batch -> realtime migration, say)."""

    date: dt.date
    mode: IntegrationMode = "realtime"
    sync_interval_hours: SyncHours = 24.0


class Integration(_Model):
    """How the store gets prices and stock from the ERP, and when that changes."""

    mode: IntegrationMode = "batch"
    sync_interval_hours: SyncHours = 24.0
    changes: tuple[IntegrationChange, ...] = ()


class Features(_Model):
    """Personalization features on or off (the seed guide's strategy 2)."""

    customer_prices: bool = True
    quick_reorder: bool = False
    saved_carts: bool = False
    quote_to_order: bool = False
    order_tracking: bool = False
    online_invoices: bool = False
    live_from: dict[
        Literal[
            "customer_prices",
            "quick_reorder",
            "saved_carts",
            "quote_to_order",
            "order_tracking",
            "online_invoices",
        ],
        dt.date,
    ] = Field(default_factory=dict)
    """A feature switched on goes live on this date (off before it)."""


class Site(_Model):
    """Site performance as buyers feel it."""

    p95_ms: Annotated[float, Field(gt=0.0, le=120_000.0)] = 900.0
    error_ratio: Share = 0.005


class Programme(_Model):
    """A sales advocacy programme: between the dates the reps of ``accounts`` promote the
    store (one rep's or territory's programme: ``accounts = {salespeople = [...]}``)."""

    start: dt.date
    end: dt.date
    advocacy: Advocacy = 0.8
    on_behalf_share: Share = 0.2
    accounts: Accounts = ALL_ACCOUNTS


class Sales(_Model):
    """The sales team: stance (-1 resists, 0 neutral, +1 advocates) and ordering on behalf."""

    advocacy: Advocacy = -0.3
    on_behalf_share: Share = 0.0
    programmes: tuple[Programme, ...] = ()


DiscountShare = Annotated[float, Field(ge=0.0, le=0.5)]


class Discount(_Model):
    """An online-only discount for ``accounts`` from ``start`` until ``end`` (exclusive)."""

    share: DiscountShare
    start: dt.date
    end: dt.date | None = None
    accounts: Accounts = ALL_ACCOUNTS


class Incentives(_Model):
    """Online-only discount (a share, 0.02 = 2 %) for the whole horizon, time-bound and
    targeted discounts (``discounts``; the largest applying one wins), a loyalty programme."""

    online_discount: DiscountShare = 0.0
    discounts: tuple[Discount, ...] = ()
    loyalty: bool = False


class Session(_Model):
    """A training session (or ``repeat`` of them, ``every_days`` apart) with ``seats``."""

    date: dt.date
    seats: Annotated[int, Field(ge=1, le=1_000_000)] = 20
    repeat: Annotated[int, Field(ge=1, le=520)] = 1
    every_days: Annotated[int, Field(ge=1, le=365)] = 7
    duration_days: Annotated[int, Field(ge=1, le=30)] = 1


class Training(_Model):
    """Training capacity: ``trainers`` run sessions one at a time each."""

    trainers: Annotated[int, Field(ge=1, le=1000)] = 1
    signup: Share = 0.3
    sessions: tuple[Session, ...] = ()


class Campaign(_Model):
    """A communication touch (mail, webinar, call) reaching ``reach`` of invited contacts."""

    date: dt.date
    reach: Share = 0.8
    name: str = ""
    accounts: Accounts = ALL_ACCOUNTS


class Incident(_Model):
    """Something that goes wrong: an ERP outage (store cannot take orders) or a price error."""

    kind: Literal["outage", "price_error"]
    start: dt.date
    days: Annotated[int, Field(ge=1, le=365)] = 7
    share: Share = 0.3


class Costs(_Model):
    """Cost to serve one order per channel, and what each lever costs (issue 13 point 4).

    The discount's cost is what it gives away (online revenue x discount, per run); the rest
    are fixed costs the plan commits to. Defaults are assumptions documented in
    docs/adoption.md; put your own figures here."""

    offline_order: Money = 15.0
    online_order: Money = 3.0
    training_session: Money = 600.0
    campaign: Money = 1_500.0
    realtime_per_month: Money = 1_500.0
    batch_per_month: Money = 500.0
    loyalty_per_month: Money = 1_000.0
    advocacy_programme_per_month: Money = 2_000.0
    currency: str = "EUR"


class Regular(_Model):
    """A buyer is regular with an online order in ``min_months`` of its last
    ``window_months`` months with a purchase need."""

    window_months: Annotated[int, Field(ge=1, le=8)] = 3
    min_months: Annotated[int, Field(ge=1, le=8)] = 2


class Target(_Model):
    """The SMART target: ``metric`` at least ``value`` by ``date`` (``current`` = today)."""

    metric: Literal["TR", "TAU", "TDA", "KAAR"] = "TDA"
    value: Share
    date: dt.date
    current: Share | None = None


class Scenario(_Model):
    """A whole adoption scenario."""

    name: str
    question: str = ""
    start: dt.date
    horizon_months: Annotated[int, Field(ge=1, le=120)] = 24
    population: PopulationFilter = PopulationFilter()
    invitations: tuple[Wave, ...] = ()
    integration: Integration = Integration()
    features: Features = Features()
    site: Site = Site()
    sales: Sales = Sales()
    incentives: Incentives = Incentives()
    training: Training = Training()
    campaigns: tuple[Campaign, ...] = ()
    incidents: tuple[Incident, ...] = ()
    costs: Costs = Costs()
    regular: Regular = Regular()
    target: Target | None = None
    parameters: Parameters = Parameters()

    @property
    def end(self) -> dt.date:
        """The horizon's first day after the last simulated month (exclusive end)."""
        return add_months(self.start.replace(day=1), self.horizon_months)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def waves(self) -> tuple[Wave, ...]:
        """The invitation waves; none given means everyone is invited at launch."""
        return self.invitations or (Wave(date=self.start),)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months (clamped to the month's length)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario; any problem is a UserError naming file, field and cause."""
    path = resolve("scenario", path)  # a file, or a built-in name such as `baseline`
    return scenario_from_dict(read_toml(path, "scenario"), source=str(path))


def scenario_from_dict(data: dict[str, object], *, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a mapping: types first, then dates and shares together."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"scenario {source}: {describe_validation_error(exc, Scenario)}") from exc
    problem = first_problem(scenario)
    if problem:
        raise UserError(f"scenario {source}: {problem}")
    return scenario


def first_problem(scenario: Scenario) -> str | None:
    """The first cross-field problem ('field a.b: ...'), or None when the scenario is sound."""
    checks = (
        _dates_in_horizon(scenario),
        _ordered("invitations", [wave.date for wave in scenario.invitations]),
        _ordered("campaigns", [item.date for item in scenario.campaigns]),
        _ordered("training.sessions", [item.date for item in scenario.training.sessions]),
        _ordered("sales.programmes", [item.start for item in scenario.sales.programmes], "start"),
        _ordered("incidents", [item.start for item in scenario.incidents], "start"),
        _ordered("integration.changes", [item.date for item in scenario.integration.changes]),
        _discounts(scenario),
        _wave_shares(scenario),
        _programmes(scenario),
        _regular(scenario),
        _target(scenario),
    )
    return next((problem for problem in checks if problem), None)


def _dates_in_horizon(scenario: Scenario) -> str | None:
    dated: list[tuple[str, dt.date]] = [
        *((f"invitations.{i}.date", w.date) for i, w in enumerate(scenario.invitations)),
        *((f"campaigns.{i}.date", c.date) for i, c in enumerate(scenario.campaigns)),
        *(
            (f"training.sessions.{i}.date", s.date)
            for i, s in enumerate(scenario.training.sessions)
        ),
        *(
            (f"sales.programmes.{i}.start", p.start)
            for i, p in enumerate(scenario.sales.programmes)
        ),
        *((f"incidents.{i}.start", x.start) for i, x in enumerate(scenario.incidents)),
        *(
            (f"integration.changes.{i}.date", c.date)
            for i, c in enumerate(scenario.integration.changes)
        ),
        *(
            (f"incentives.discounts.{i}.start", d.start)
            for i, d in enumerate(scenario.incentives.discounts)
        ),
        *((f"features.live_from.{name}", day) for name, day in scenario.features.live_from.items()),
    ]
    for field, day in dated:
        if day < scenario.start:
            return f"field {field}: {day} is before the scenario start {scenario.start}"
        if day >= scenario.end:
            return f"field {field}: {day} is beyond the horizon end {scenario.last_day}"
    return None


def _ordered(field: str, days: list[dt.date], key: str = "date") -> str | None:
    for index in range(1, len(days)):
        if days[index] < days[index - 1]:
            return (
                f"field {field}.{index}.{key}: {days[index]} is before {field}.{index - 1}.{key} "
                f"({days[index - 1]}); dates must be in order"
            )
    return None


def _wave_shares(scenario: Scenario) -> str | None:
    totals: dict[Accounts, float] = {}
    for wave in scenario.invitations:
        totals[wave.accounts] = totals.get(wave.accounts, 0.0) + wave.share
    for group, total in totals.items():
        if total > 1.0 + 1e-9:
            return (
                f"field invitations: shares of the {group.describe()} add up to {total:g} "
                "(at most 1)"
            )
    return None


def _discounts(scenario: Scenario) -> str | None:
    for index, item in enumerate(scenario.incentives.discounts):
        if item.end is not None and item.end <= item.start:
            return (
                f"field incentives.discounts.{index}.end: {item.end} is not after its start "
                f"{item.start}; dates must be in order"
            )
    return None


def _programmes(scenario: Scenario) -> str | None:
    for index, programme in enumerate(scenario.sales.programmes):
        if programme.end <= programme.start:
            return (
                f"field sales.programmes.{index}.end: {programme.end} is not after its start "
                f"{programme.start}; dates must be in order"
            )
    return None


def _regular(scenario: Scenario) -> str | None:
    if scenario.regular.min_months > scenario.regular.window_months:
        return (
            f"field regular.min_months: {scenario.regular.min_months} exceeds "
            f"regular.window_months ({scenario.regular.window_months})"
        )
    return None


def _target(scenario: Scenario) -> str | None:
    target = scenario.target
    if target is None:
        return None
    if target.date >= scenario.end:
        return f"field target.date: {target.date} is beyond the horizon end {scenario.last_day}"
    if target.date < scenario.start:
        return f"field target.date: {target.date} is before the scenario start {scenario.start}"
    return None
