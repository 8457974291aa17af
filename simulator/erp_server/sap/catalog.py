"""SAP's metadata of the served services, loaded from the JSON extracted from its EDMX.

Property names, order, Edm types and facets are SAP's; nothing here is invented. Loaded once
per process (the files are package data, read through importlib.resources so an installed
wheel works as the checkout does).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any

__all__ = [
    "SAP_PREFIX",
    "SAP_ROOT",
    "EntityType",
    "NavProp",
    "Property",
    "Service",
    "service",
    "services",
]

SAP_ROOT = "/sap/opu/odata/sap"
SAP_PREFIX = SAP_ROOT + "/"
SERVICE_NAMES = (
    "API_PRODUCT_SRV",
    "API_BUSINESS_PARTNER",
    "API_SALES_ORDER_SRV",
    "API_SALES_ORDER_SIMULATION_SRV",
    "API_SLSPRICINGCONDITIONRECORD_SRV",
    "API_MATERIAL_STOCK_SRV",
    "API_OUTBOUND_DELIVERY_SRV",
    "API_BILLING_DOCUMENT_SRV",
)


# Navigations whose association SAP publishes without a referential constraint and whose
# join the naming convention cannot guess: (service, set, navigation) -> join pairs.
NAV_PAIRS: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = {
    ("API_BUSINESS_PARTNER", "A_BusinessPartner", "to_BusinessPartnerContact"): (
        ("BusinessPartner", "BusinessPartnerCompany"),
    ),
}


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    edm: str  # Edm.String, Edm.Decimal, ...
    max_length: int | None
    precision: int | None
    scale: int | None
    nullable: bool
    attrs: dict[str, str] = field(hash=False, compare=False)

    @property
    def creatable(self) -> bool:
        return self.attrs.get("sap:creatable", "true") == "true"

    @property
    def updatable(self) -> bool:
        return self.attrs.get("sap:updatable", "true") == "true"

    @property
    def filterable(self) -> bool:
        return self.attrs.get("sap:filterable", "true") == "true"

    @property
    def sortable(self) -> bool:
        return self.attrs.get("sap:sortable", "true") == "true"


@dataclass(frozen=True, slots=True)
class NavProp:
    """A navigation property and how it joins: (source property, target property) pairs,
    from the association's referential constraint or SAP's naming convention (a child's
    key repeats its parent's key property names)."""

    name: str
    target: str  # entity set name
    many: bool
    pairs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EntityType:
    service: str
    namespace: str
    name: str  # A_ProductType
    set_name: str  # A_Product
    key: tuple[str, ...]
    properties: tuple[Property, ...]
    navigations: dict[str, NavProp]
    set_attrs: dict[str, str] = field(hash=False, compare=False)

    @property
    def qualified(self) -> str:
        return f"{self.namespace}.{self.name}"

    def prop(self, name: str) -> Property | None:
        return self.by_name.get(name)

    @cached_property
    def by_name(self) -> dict[str, Property]:
        return {p.name: p for p in self.properties}

    @property
    def creatable(self) -> bool:
        return self.set_attrs.get("sap:creatable", "true") == "true"

    @property
    def updatable(self) -> bool:
        return self.set_attrs.get("sap:updatable", "true") == "true"

    @property
    def deletable(self) -> bool:
        return self.set_attrs.get("sap:deletable", "true") == "true"


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    raw: dict[str, Any] = field(hash=False, compare=False)
    sets: dict[str, EntityType] = field(hash=False, compare=False)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _load(name: str) -> Service:
    text = (
        resources.files("simulator.data")
        .joinpath("sap")
        .joinpath(f"{name}.json")
        .read_text("utf-8")
    )
    raw = json.loads(text)
    namespace = raw["namespace"]
    set_of_type = {s["EntityType"].split(".")[-1]: s["Name"] for s in raw["entity_sets"]}
    ends = {
        (a["attrs"]["Name"], end["Role"]): end for a in raw["associations"] for end in a["ends"]
    }
    constraints = {
        a["attrs"]["Name"]: a["constraint"] for a in raw["associations"] if a["constraint"]
    }
    sets: dict[str, EntityType] = {}
    relationships: dict[tuple[str, str], tuple[str, str]] = {}
    for entity in raw["entity_types"]:
        type_name = entity["attrs"]["Name"]
        set_name = set_of_type[type_name]
        navigations = {}
        for nav in entity["navigations"]:
            end = ends[(nav["Relationship"].split(".")[-1], nav["ToRole"])]
            relationships[(set_of_type[type_name], nav["Name"])] = (
                nav["Relationship"].split(".")[-1],
                nav["FromRole"],
            )
            navigations[nav["Name"]] = NavProp(
                nav["Name"], set_of_type[end["Type"].split(".")[-1]], end["Multiplicity"] == "*"
            )
        properties = tuple(
            Property(
                p["Name"],
                p["Type"],
                _int(p.get("MaxLength")),
                _int(p.get("Precision")),
                _int(p.get("Scale")),
                p.get("Nullable", "true") != "false",
                p,
            )
            for p in entity["properties"]
        )
        set_attrs = next(s for s in raw["entity_sets"] if s["Name"] == set_name)
        sets[set_name] = EntityType(
            name,
            namespace,
            type_name,
            set_name,
            tuple(entity["key"]),
            properties,
            navigations,
            set_attrs,
        )
    for (set_name, nav_name), (association, from_role) in relationships.items():
        source = sets[set_name]
        nav = source.navigations[nav_name]
        source.navigations[nav_name] = NavProp(
            nav.name,
            nav.target,
            nav.many,
            NAV_PAIRS.get((name, set_name, nav_name))
            or _pairs(source, sets[nav.target], nav.many, constraints.get(association), from_role),
        )
    return Service(name, namespace, raw, sets)


def _pairs(
    source: EntityType,
    target: EntityType,
    many: bool,
    constraint: dict[str, Any] | None,
    from_role: str,
) -> tuple[tuple[str, str], ...]:
    if constraint is not None:
        principal, dependent = constraint["Principal"], constraint["Dependent"]
        if principal["role"] == from_role:
            return tuple(zip(principal["refs"], dependent["refs"], strict=True))
        return tuple(zip(dependent["refs"], principal["refs"], strict=True))
    if many:
        return tuple((k, k) for k in source.key if k in target.by_name)
    return tuple((k, k) for k in target.key if k in source.by_name)


@cache
def service(name: str) -> Service:
    if name not in SERVICE_NAMES:
        raise KeyError(name)
    return _load(name)


def services() -> tuple[Service, ...]:
    return tuple(service(name) for name in SERVICE_NAMES)
