"""Dataset profiles: TOML files validated into frozen, typed models.

A profile says how big the synthetic ERP is and how its distributions are shaped. Every knob
has a default that describes a mid-sized European distributor of industrial supplies, so a
custom profile only needs the keys it changes. Unknown keys are errors: a typo must not
silently fall back to a default.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
import typing
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError, model_validator

from simulator.builtin import builtin_names, resolve
from simulator.errors import UserError
from simulator.model import InputModel

Share = Annotated[float, Field(ge=0.0, le=1.0)]
# Bounded so that sums and products of them stay finite (1e308 would overflow).
Positive = Annotated[float, Field(gt=0.0, le=1e9)]
Bounded = Annotated[float, Field(ge=-1e9, le=1e9)]


class _Model(InputModel):
    pass


class LogNormal(_Model):
    """A log-normal distribution given by its median and the sigma of its logarithm."""

    median: Positive
    sigma: Annotated[float, Field(ge=0.0, le=4.0)]


class Range(_Model):
    """A closed interval [min, max]."""

    min: Bounded
    max: Bounded

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class CatalogProfile(_Model):
    """Items, their categories, units and list prices."""

    items: Annotated[int, Field(ge=1, le=5_000_000)] = 800
    # Leaf (level-3) categories; levels 1 and 2 come from the vocabulary.
    categories: Annotated[int, Field(ge=1, le=100_000)] = 30
    # List prices in local currency: log-normal around the family's median, times this factor.
    list_price: LogNormal = LogNormal(median=24.0, sigma=1.0)
    # Gross margin: unit cost = list price x (1 - margin).
    margin: Range = Range(min=0.18, max=0.55)
    # Share of items sold in alternative units too (box, pallet, roll, bag...).
    alternative_units_share: Share = 0.6
    blocked_share: Share = 0.01
    # Zipf-like exponent of item popularity: larger means a few items sell most.
    popularity_skew: Annotated[float, Field(ge=0.0, le=3.0)] = 1.1

    @model_validator(mode="after")
    def _margin_is_a_share(self) -> CatalogProfile:
        if not 0.0 < self.margin.min <= self.margin.max < 1.0:
            raise ValueError("margin must lie within (0, 1): unit cost stays below price")
        return self


class StockProfile(_Model):
    """Warehouses and stock per item x location."""

    locations: Annotated[int, Field(ge=1, le=12)] = 3
    # Share of item x location pairs with nothing on hand at the snapshot.
    stock_out_share: Share = 0.04
    # Days of average demand kept on hand (log-normal).
    days_of_cover: LogNormal = LogNormal(median=30.0, sigma=0.5)
    lead_time_days: Range = Range(min=3, max=35)

    @model_validator(mode="after")
    def _lead_time_positive(self) -> StockProfile:
        if self.lead_time_days.min < 1:
            raise ValueError("lead_time_days.min must be at least 1")
        return self


class CustomersProfile(_Model):
    """Customer accounts, their size distribution and their people."""

    count: Annotated[int, Field(ge=1, le=2_000_000)] = 200
    # Pareto shape of expected yearly volume. 1.1 puts ~75 % of volume in the top 20 % of
    # accounts at these sizes (1.16 is the textbook 80/20 for an infinite population).
    pareto_alpha: Annotated[float, Field(gt=1.0, le=5.0)] = 1.1
    # Smallest expected yearly volume, local currency.
    min_annual_volume: Positive = 3_000.0
    # The top accounts by volume are the key accounts.
    key_account_share: Share = 0.10
    blocked_share: Share = 0.02
    home_country: str = "ES"
    # Customers by country code; the home country takes the rest.
    foreign_countries: dict[str, Share] = Field(
        default_factory=lambda: {"PT": 0.06, "FR": 0.05, "DE": 0.03, "GB": 0.03, "US": 0.02}
    )
    # Customer segments and their shares.
    segments: dict[str, Positive] = Field(
        default_factory=lambda: {
            "manufacturing": 0.30,
            "construction": 0.25,
            "facility": 0.20,
            "reseller": 0.15,
            "public": 0.10,
        },
        min_length=1,
    )
    # Buyers per account: 1 + Poisson(mean scaled by account size, capped).
    buyers: Range = Range(min=1, max=12)
    ap_clerks: Range = Range(min=1, max=2)
    # Order lines per order (log-normal), before size scaling.
    basket_lines: LogNormal = LogNormal(median=4.0, sigma=0.6)
    # Level-2 categories in an account's assortment, from smallest to largest account.
    assortment_categories: Range = Range(min=3, max=30)
    # Items a customer reorders (its repeat basket), from smallest to largest account.
    preferred_items: Range = Range(min=8, max=150)

    @model_validator(mode="after")
    def _consistent(self) -> CustomersProfile:
        if sum(self.foreign_countries.values()) >= 1.0:
            raise ValueError("foreign_countries shares must add up to less than 1")
        if self.buyers.min < 1:
            raise ValueError("buyers.min must be at least 1 (someone has to order)")
        if self.ap_clerks.min < 0 or self.assortment_categories.min < 1:
            raise ValueError("ap_clerks.min must be >= 0 and assortment_categories.min >= 1")
        if self.preferred_items.min < 1:
            raise ValueError("preferred_items.min must be at least 1")
        return self


class SalesProfile(_Model):
    """The sales organisation."""

    salespeople: Annotated[int, Field(ge=1, le=10_000)] = 8
    # Of those, key-account managers (they own the key accounts).
    key_account_managers: Annotated[int, Field(ge=0, le=10_000)] = 2

    @model_validator(mode="after")
    def _managers_fit(self) -> SalesProfile:
        if self.key_account_managers >= self.salespeople:
            raise ValueError("key_account_managers must be fewer than salespeople")
        return self


class PricingProfile(_Model):
    """Price lists: all customers, price groups, customers, campaigns, discounts."""

    # Share of items with quantity breaks on the all-customers list.
    quantity_break_share: Share = 0.35
    # Minimum quantities (base units) of the breaks and the extra discount at each.
    quantity_breaks: list[Annotated[float, Field(gt=1.0)]] = Field(
        default_factory=lambda: [10.0, 50.0, 100.0]
    )
    quantity_break_discounts: list[Share] = Field(default_factory=lambda: [0.03, 0.06, 0.10])
    # Share of items with a list price in each foreign currency in use (else LCY is converted).
    currency_price_share: Share = 0.3
    # Share of items on each customer price group's list, and that group's discount range.
    price_group_item_share: Share = 0.25
    price_group_discount: Range = Range(min=0.03, max=0.15)
    # Share of non-key accounts with a customer price list (key accounts always have one).
    customer_price_share: Share = 0.45
    # Items on a customer's list, as a share of its preferred items plus extra assortment items.
    customer_price_items: Range = Range(min=10, max=400)
    customer_discount: Range = Range(min=0.04, max=0.22)
    # Share of customer price lines that sit above the list price (stale agreements). The
    # default 0 keeps every customer price at or below the all-customers price.
    customer_price_above_list_share: Share = 0.0
    # Share of customer price lines replaced by a newer agreement (old line kept, expired),
    # and of lines with a renegotiated price that starts in the future.
    expired_agreement_share: Share = 0.15
    future_agreement_share: Share = 0.05
    # Campaigns over the two years before the snapshot (some current, one upcoming).
    campaigns: Annotated[int, Field(ge=0, le=1000)] = 8
    campaign_item_share: Share = 0.02
    campaign_discount: Range = Range(min=0.08, max=0.25)
    campaign_days: Range = Range(min=14, max=60)

    @model_validator(mode="after")
    def _consistent(self) -> PricingProfile:
        if len(self.quantity_breaks) != len(self.quantity_break_discounts):
            raise ValueError("quantity_breaks and quantity_break_discounts differ in length")
        if self.quantity_breaks != sorted(set(self.quantity_breaks)):
            raise ValueError("quantity_breaks must be strictly increasing")
        if self.quantity_break_discounts != sorted(self.quantity_break_discounts):
            raise ValueError(
                "quantity_break_discounts must not decrease (bigger break, lower price)"
            )
        for name in ("price_group_discount", "customer_discount", "campaign_discount"):
            band: Range = getattr(self, name)
            if not 0.0 <= band.min <= band.max < 1.0:
                raise ValueError(f"{name} must lie within [0, 1)")
        if self.customer_price_items.min < 1 or self.campaign_days.min < 1:
            raise ValueError("customer_price_items.min and campaign_days.min must be >= 1")
        return self


Rate = Annotated[float, Field(ge=0.0)]


class HistoryProfile(_Model):
    """The world over time: how orders, stock, prices, invoices and service evolve.

    Defaults describe a Spanish distributor of industrial supplies: most orders by phone and
    e-mail, EDI for the big accounts, an August holiday dip, invoices due in 30-60 days and
    paid a little late, a few percent of lines returned.
    """

    # Months simulated before the dataset's as_of date (`--history-months` overrides).
    months: Annotated[int, Field(ge=0, le=120)] = 24
    # Regularity of each account's rhythm: inter-order gaps are Gamma(shape) around its mean
    # interval (1 = memoryless Poisson, larger = more regular, as replenishment buying is).
    order_gap_shape: Annotated[float, Field(gt=0.0, le=50.0)] = 3.0
    # Demand multipliers January..December (the August holiday and Christmas dip).
    monthly_seasonality: list[Positive] = Field(
        default_factory=lambda: [0.95, 1.0, 1.1, 1.05, 1.05, 1.0, 0.95, 0.6, 1.1, 1.1, 1.05, 0.85]
    )
    # Chance an order that falls on a Saturday / Sunday stays there (else: next Monday).
    saturday_share: Share = 0.05
    sunday_share: Share = 0.0
    # Share of order lines that are not from the repeat basket (new or occasional items).
    new_item_share: Share = 0.12
    # Spread (sigma of the log) of line quantities around the usual quantity.
    quantity_sigma: Annotated[float, Field(ge=0.0, le=2.0)] = 0.35
    # Quotes: share of orders that start as a quote, share of quotes accepted, days a quote
    # stays valid and days until the customer decides.
    quote_share: Share = 0.12
    quote_conversion: Share = 0.65
    quote_validity_days: Annotated[int, Field(ge=1, le=365)] = 30
    quote_decision_days: Range = Range(min=1, max=14)
    # Offline channels of orders (normalised); key accounts move this share to EDI.
    channel_mix: dict[str, Positive] = Field(
        default_factory=lambda: {"phone": 0.35, "email": 0.35, "edi": 0.12, "sales_rep": 0.18},
        min_length=1,
    )
    key_account_edi_share: Share = 0.45
    # A web-store pilot: share of accounts in it, months before as_of it started, share of
    # the pilot accounts' orders placed on the web. 0 = no web orders in the history.
    web_pilot_share: Share = 0.0
    web_pilot_months: Annotated[int, Field(ge=0, le=120)] = 6
    web_pilot_order_share: Share = 0.3
    requested_delivery_days: Range = Range(min=1, max=7)
    # Replenishment lead times vary around the item's lead time (sigma of the log).
    lead_time_sigma: Annotated[float, Field(ge=0.0, le=1.0)] = 0.2
    # Yearly list-price review per product family: share of items repriced, increase range.
    list_price_review_share: Share = 0.6
    list_price_increase: Range = Range(min=0.015, max=0.05)
    # A new campaign every N days (announced 3 weeks ahead).
    campaign_interval_days: Annotated[int, Field(ge=7, le=3650)] = 90
    # Agreement renegotiations per account with an agreement per year; share of its items
    # repriced and the change range.
    renegotiations_per_year: Rate = 0.5
    renegotiation_item_share: Share = 0.2
    renegotiation_change: Range = Range(min=-0.04, max=0.03)
    # Monthly volatility (sigma of the log) of exchange rates.
    exchange_rate_volatility: Annotated[float, Field(ge=0.0, le=0.5)] = 0.012
    # Receivables: share of invoices with a cash-discount term paid inside the discount
    # period; spread (days) of each payment around the account's habit.
    early_payment_share: Share = 0.5
    payment_days_sigma: Annotated[float, Field(ge=0.0, le=60.0)] = 5.0
    # Service: chance an order brings a "where is my order" call (higher when backordered),
    # an invoice a copy request, a shipped line a return request; days until a return.
    order_status_inquiry_rate: Share = 0.06
    backorder_inquiry_rate: Share = 0.35
    invoice_copy_rate: Share = 0.03
    return_rate: Share = 0.006
    return_days: Range = Range(min=2, max=30)

    @model_validator(mode="after")
    def _consistent(self) -> HistoryProfile:
        if len(self.monthly_seasonality) != 12:
            raise ValueError("monthly_seasonality needs 12 values, January to December")
        if self.quote_decision_days.min < 0 or self.return_days.min < 0:
            raise ValueError("quote_decision_days and return_days must not be negative")
        if self.quote_decision_days.max > self.quote_validity_days:
            raise ValueError("quote_decision_days.max exceeds quote_validity_days")
        if self.requested_delivery_days.min < 0:
            raise ValueError("requested_delivery_days must not be negative")
        if self.renegotiation_change.min <= -1.0 or self.list_price_increase.min <= -1.0:
            raise ValueError("price changes must stay above -100 %")
        return self


class Profile(_Model):
    """A whole dataset profile."""

    name: str
    description: str = ""
    # The dataset's "now": master data is the ERP's state at this date.
    as_of: dt.date = dt.date(2026, 10, 1)
    currency: str = "EUR"
    catalog: CatalogProfile = CatalogProfile()
    stock: StockProfile = StockProfile()
    customers: CustomersProfile = CustomersProfile()
    sales: SalesProfile = SalesProfile()
    pricing: PricingProfile = PricingProfile()
    history: HistoryProfile = HistoryProfile()

    @model_validator(mode="after")
    def _history_fits(self) -> Profile:
        check_history_months(self, self.history.months)
        return self


def check_history_months(profile: Profile, months: int) -> None:
    """Knobs that only make sense against the history's length."""
    if not 0 <= months <= 120:
        raise ValueError(f"history months must be within 0..120, got {months}")
    horizon_days = months * 30
    if months and profile.stock.lead_time_days.max > horizon_days:
        raise ValueError(
            f"stock.lead_time_days.max ({profile.stock.lead_time_days.max:g} days) is longer "
            f"than the {months}-month history"
        )


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped in the package (simulator/data/profiles)."""
    return builtin_names("profile")


def resolve_profile_path(name_or_path: str) -> Path:
    """A built-in profile name (``small``) or a path to a TOML file."""
    return resolve("profile", name_or_path)


def read_toml(path: Path, kind: str) -> dict[str, object]:
    """A TOML file as a mapping with `name` defaulting to the file's stem; a file that cannot
    be read or parsed is a UserError naming the `kind` of file and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {kind} {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{kind} {path} is not valid TOML: {exc}") from exc
    data.setdefault("name", path.stem)
    return data


def load_profile(name_or_path: str) -> Profile:
    """Load and validate a profile; any problem is a UserError naming file, field and cause."""
    path = resolve_profile_path(name_or_path)
    return profile_from_dict(read_toml(path, "profile"), source=str(path))


def profile_from_dict(data: dict[str, object], *, source: str = "<profile>") -> Profile:
    """Validate a profile given as a mapping (a parsed TOML file, or stored run metadata)."""
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"profile {source}: {describe_validation_error(exc, Profile)}") from exc


def describe_validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """The first problem of a pydantic error as 'field a.b: message' (one line). With the
    `model` validated, an unknown key gets a did-you-mean among the keys allowed there; a
    share given as a percentage (``value = 40``) the share it likely meant (0.40)."""
    errors = exc.errors()
    first = errors[0]
    if first["type"] == "missing":  # a misspelt key: say so, not that the right one is missing
        first = next(
            (
                e
                for e in errors
                if e["type"] == "extra_forbidden" and e["loc"][:-1] == first["loc"][:-1]
            ),
            first,
        )
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
        known = _known_keys(model, first["loc"][:-1]) if model is not None else []
        close = difflib.get_close_matches(str(first["loc"][-1]), known, n=1)
        if close:
            message += f" (did you mean {close[0]}?)"
    elif first["type"] == "less_than_equal" and first.get("ctx", {}).get("le") == 1.0:
        given = first.get("input")
        if isinstance(given, int | float) and 1 < given <= 100:
            message += f" (a share: {given / 100:.2f} for {given:g} %)"
    more = len(errors) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"field {location or '(top level)'}: {message}{suffix}"


def _known_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model allows at `loc` (list positions skipped), [] when unknown."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current is not None else None
        if field is None:
            return []
        current = _model_in(field.annotation)
    return list(current.model_fields) if current is not None else []


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``X``, ``X | None``, ``tuple[X, ...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
