"""The load mix: which personas, how often, how long they think, what they order.

A load scenario TOML (`scenarios/load-*.toml`) validated into a frozen model. Every key has
a default (the defaults are `scenarios/load-default.toml`; a test keeps both equal), unknown
keys are errors, and a bad file is one `UserError` naming the file, the field and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, model_validator

from simulator.builtin import resolve
from simulator.config import describe_validation_error, read_toml
from simulator.errors import UserError
from simulator.model import InputModel

__all__ = ["PERSONAS", "AdoptionKnobs", "LoadMix", "PersonaMix", "load_mix"]

# The personas of loadtests/personas.py, in report order.
PERSONAS = (
    "Reorderer",
    "CatalogBrowser",
    "QuoteRequester",
    "InvoicePayer",
    "OrderTracker",
    "SalesRep",
    "ErpIntegrationClient",
)
Seconds = Annotated[float, Field(ge=0.0, le=600.0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(InputModel):
    """Frozen, no unknown keys, finite numbers, no `true` for 1 (simulator.model)."""


class PersonaMix(_Model):
    """One persona: its Locust weight and its think time between two steps (seconds)."""

    weight: Annotated[int, Field(ge=0, le=1000)] = 1
    think_min: Seconds = 0.5
    think_max: Seconds = 2.0

    @model_validator(mode="after")
    def _ordered(self) -> PersonaMix:
        if self.think_min > self.think_max:
            raise ValueError(f"think_min ({self.think_min}) exceeds think_max ({self.think_max})")
        return self


def _persona(weight: int, think_min: float = 0.5, think_max: float = 2.0) -> PersonaMix:
    return PersonaMix(weight=weight, think_min=think_min, think_max=think_max)


class Personas(_Model):
    Reorderer: PersonaMix = _persona(3)
    CatalogBrowser: PersonaMix = _persona(5)
    QuoteRequester: PersonaMix = _persona(1)
    InvoicePayer: PersonaMix = _persona(2)
    OrderTracker: PersonaMix = _persona(3)
    SalesRep: PersonaMix = _persona(1)
    ErpIntegrationClient: PersonaMix = _persona(1, 1.0, 5.0)

    def weights(self) -> dict[str, int]:
        return {name: getattr(self, name).weight for name in PERSONAS}


class Journeys(_Model):
    """Choices inside the journeys."""

    # CatalogBrowser: share of journeys that keep the cart as a saved cart (else abandon).
    save_cart_share: Share = 0.3
    # CatalogBrowser: product pages viewed per journey; lines added to the cart.
    product_pages: Annotated[int, Field(ge=1, le=50)] = 3
    cart_lines: Annotated[int, Field(ge=1, le=50)] = 2
    # Lines per quote request (QuoteRequester) and per order on behalf (SalesRep).
    quote_lines: Annotated[int, Field(ge=1, le=50)] = 3
    rep_order_lines: Annotated[int, Field(ge=1, le=50)] = 3
    # InvoicePayer: share of journeys that pay an open invoice (the rest only look).
    pay_share: Share = 0.5
    # Requested delivery date: this many days after the ERP's today (uniform).
    delivery_days_min: Annotated[int, Field(ge=0, le=365)] = 2
    delivery_days_max: Annotated[int, Field(ge=0, le=365)] = 14
    # Quantities: the account's median quantity of the item in its order history, times
    # this factor (items it never ordered: the account's median over all items).
    quantity_factor: Annotated[float, Field(gt=0.0, le=100.0)] = 1.0
    # ErpIntegrationClient: catalog lines priced per calculatePrices call.
    price_lines: Annotated[int, Field(ge=1, le=500)] = 24

    @model_validator(mode="after")
    def _ordered(self) -> Journeys:
        if self.delivery_days_min > self.delivery_days_max:
            raise ValueError("delivery_days_min exceeds delivery_days_max")
        return self


class AdoptionKnobs(_Model):
    """How the adoption shape turns a forecast month into a session arrival rate."""

    business_days_per_month: Annotated[float, Field(gt=0.0, le=31.0)] = 21.0
    # Share of a business day's sessions that start in its busiest hour.
    peak_hour_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.15
    # true: the peak hour's sessions are started within the run's duration (a 2-minute
    # run replays the whole hour, 30x faster); false: at the hour's real rate.
    compress: bool = True
    # Sessions per activity (see docs/load.md): an online order is a shopping session, a
    # login without an order is a browsing session, and so on.
    sessions_per_online_order: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    sessions_per_tracked_order: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    sessions_per_invoice_payment: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    sessions_per_invoice_search: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    sessions_per_login: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0


class LoadMix(_Model):
    """A whole load scenario."""

    name: str = "default"
    description: str = ""
    # Open model (a rate or the adoption shape): each virtual user starts one session every
    # `pacing` seconds on a fixed schedule, however long the last one took.
    pacing: Annotated[float, Field(gt=0.0, le=3600.0)] = 10.0
    personas: Personas = Personas()
    journeys: Journeys = Journeys()
    adoption: AdoptionKnobs = AdoptionKnobs()

    @model_validator(mode="after")
    def _some_weight(self) -> LoadMix:
        if not any(self.personas.weights().values()):
            raise ValueError("every persona has weight 0")
        return self


def load_mix(path: str | Path | None) -> LoadMix:
    """The mix in ``path`` (None: the defaults); problems are one UserError line."""
    if path is None:
        return LoadMix()
    path = resolve("load mix", path)  # a file, or a built-in name such as `month-end`
    data = read_toml(path, "load scenario")
    if "start" in data or "invitations" in data:
        raise UserError(
            f"{path} is an adoption scenario; pass it with --scenario (the load mix is --mix)"
        )
    try:
        return LoadMix.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"load scenario {path}: {describe_validation_error(exc)}") from None
