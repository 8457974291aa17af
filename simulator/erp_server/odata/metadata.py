"""The `$metadata` document: OData v4 CSDL (XML) generated from the entity sets.

One entity type per set (key, typed properties, nullability), navigation properties
for document lines (bound to the line sets), a `company` type that contains every set (as
Business Central models it), the bound actions (`release`, `shipAndInvoice`, `makeOrder`,
`makeInvoice`, `post`, `cancel`), the unbound `calculatePrice` action and its result type.
Standard OData clients discover the API from this document, so it is built from the same
`entities` mapping the JSON comes from.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from simulator.erp_server.bc_sets import ENUMS
from simulator.erp_server.entities import ENTITY_SETS, EntitySet

__all__ = ["NAMESPACE", "PRICE_RESULT_FIELDS", "csdl"]

NAMESPACE = "Microsoft.NAV"
COMPANY_FIELDS = (
    ("id", "Edm.Guid", False),
    ("systemVersion", "Edm.String", True),
    ("timestamp", "Edm.Int64", True),
    ("name", "Edm.String", True),
    ("displayName", "Edm.String", True),
    ("businessProfileId", "Edm.String", True),
    ("systemCreatedAt", "Edm.DateTimeOffset", True),
    ("systemCreatedBy", "Edm.Guid", True),
    ("systemModifiedAt", "Edm.DateTimeOffset", True),
    ("systemModifiedBy", "Edm.Guid", True),
)
PRICE_SOURCE_FIELDS = (
    ("priceListCode", "Edm.String", False),
    ("lineNumber", "Edm.Int32", False),
    ("sourceType", "Edm.String", False),
    ("sourceNumber", "Edm.String", False),
)
PRICE_RESULT_FIELDS = (
    ("customerNumber", "Edm.String", False),
    ("itemNumber", "Edm.String", False),
    ("quantity", "Edm.Decimal", False),
    ("date", "Edm.Date", False),
    ("unitOfMeasureCode", "Edm.String", False),
    ("quantityPerUnitOfMeasure", "Edm.Decimal", False),
    ("currencyCode", "Edm.String", False),
    ("unitPrice", "Edm.Decimal", False),
    ("discountPercent", "Edm.Decimal", False),
    ("netUnitPrice", "Edm.Decimal", False),
    ("lineAmount", "Edm.Decimal", False),
)
PRICE_PARAMETERS = (
    ("customerNumber", "Edm.String", False),
    ("itemNumber", "Edm.String", False),
    ("quantity", "Edm.Decimal", False),
    ("unitOfMeasureCode", "Edm.String", True),
    ("date", "Edm.Date", True),
    ("currencyCode", "Edm.String", True),
)


def _property(name: str, edm: str, nullable: bool) -> str:
    scale = ' Scale="variable"' if edm == "Edm.Decimal" else ""
    return (
        f'<Property Name={quoteattr(name)} Type="{edm}" Nullable="{str(nullable).lower()}"{scale}/>'
    )


def _entity_type(entity: EntitySet) -> list[str]:
    lines = [f"<EntityType Name={quoteattr(entity.type_name)}>", "<Key>"]
    lines += [f"<PropertyRef Name={quoteattr(name)}/>" for name in entity.key]
    lines.append("</Key>")
    lines += [_property(f.name, f.edm, f.nullable) for f in entity.fields]
    for nav in entity.navigation:
        target = ENTITY_SETS[nav.target].type_name
        shown = f"{NAMESPACE}.{target}" if nav.single else f"Collection({NAMESPACE}.{target})"
        lines.append(
            f'<NavigationProperty Name={quoteattr(nav.name)} Type="{shown}" ContainsTarget="true"/>'
        )
    lines.append("</EntityType>")
    return lines


def _enum_types() -> list[str]:
    lines = []
    for name, members in ENUMS.items():
        lines.append(f"<EnumType Name={quoteattr(name)}>")
        lines += [f'<Member Name={quoteattr(m)} Value="{v}"/>' for m, v in members]
        lines.append("</EnumType>")
    return lines


def csdl() -> str:
    """The whole CSDL document (it depends only on the code: build it once)."""
    schema: list[str] = _enum_types()
    for entity in ENTITY_SETS.values():
        schema += _entity_type(entity)
    schema += ['<EntityType Name="company">', '<Key><PropertyRef Name="id"/></Key>']
    schema += [_property(*f) for f in COMPANY_FIELDS]
    schema += [
        f"<NavigationProperty Name={quoteattr(e.name)} "
        f'Type="Collection({NAMESPACE}.{e.type_name})" ContainsTarget="true"/>'
        for e in ENTITY_SETS.values()
    ]
    schema.append("</EntityType>")
    schema.append('<ComplexType Name="priceSource">')
    schema += [_property(*f) for f in PRICE_SOURCE_FIELDS]
    schema.append("</ComplexType>")
    schema.append('<ComplexType Name="priceCalculation">')
    schema += [_property(*f) for f in PRICE_RESULT_FIELDS]
    schema += [
        f'<Property Name="priceSource" Type="{NAMESPACE}.priceSource" Nullable="true"/>',
        f'<Property Name="discountSource" Type="{NAMESPACE}.priceSource" Nullable="true"/>',
        "</ComplexType>",
    ]
    schema += [
        '<Action Name="release" IsBound="true">',
        f'<Parameter Name="bindingParameter" Type="{NAMESPACE}.salesOrder"/>',
        "</Action>",
        '<Action Name="shipAndInvoice" IsBound="true">',
        f'<Parameter Name="bindingParameter" Type="{NAMESPACE}.salesOrder"/>',
        "</Action>",
        '<Action Name="makeOrder" IsBound="true">',  # 204, as BC's: no return type
        f'<Parameter Name="bindingParameter" Type="{NAMESPACE}.salesQuote"/>',
        "</Action>",
        '<Action Name="makeInvoice" IsBound="true">',
        f'<Parameter Name="bindingParameter" Type="{NAMESPACE}.salesQuote"/>',
        "</Action>",
        '<Action Name="post" IsBound="true">',
        f'<Parameter Name="bindingParameter" Type="{NAMESPACE}.salesInvoice"/>',
        "</Action>",
        '<Action Name="cancel" IsBound="true">',
        f'<Parameter Name="bindingParameter" Type="{NAMESPACE}.salesInvoice"/>',
        "</Action>",
        '<Action Name="calculatePrice" IsBound="false">',
    ]
    schema += [
        f'<Parameter Name="{name}" Type="{edm}" Nullable="{str(nullable).lower()}"/>'
        for name, edm, nullable in PRICE_PARAMETERS
    ]
    schema += [f'<ReturnType Type="{NAMESPACE}.priceCalculation"/>', "</Action>"]
    container = ['<EntityContainer Name="default">']
    container.append(f'<EntitySet Name="companies" EntityType="{NAMESPACE}.company"/>')
    for entity in ENTITY_SETS.values():
        container.append(
            f'<EntitySet Name="{entity.name}" EntityType="{NAMESPACE}.{entity.type_name}">'
        )
        container += [
            f'<NavigationPropertyBinding Path="{nav.name}" Target="{nav.target}"/>'
            for nav in entity.navigation
        ]
        container.append("</EntitySet>")
    container.append(f'<ActionImport Name="calculatePrice" Action="{NAMESPACE}.calculatePrice"/>')
    container.append("</EntityContainer>")
    body = "\n".join([*schema, *container])
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">\n'
        "<edmx:DataServices>\n"
        f'<Schema Namespace="{NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">\n'
        f"{body}\n"
        "</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n"
    )
