"""The API's entity sets: what each one reads, its fields, key and lines.

Business Central's standard sets (items, customers, salesOrders...) are the views of
`bc_sets`, property for property as BC's v2.0 API shows them. The sets BC has no standard
API for (price list lines, stock per location, assortments, inquiries...) are served as a
custom API group would publish them, straight over one table each; this module is the one
place where Business Central field names (camelCase, as the API shows them)
meet the schema's snake_case columns. Names follow one rule (``no`` -> ``number``,
``x_no`` -> ``xNumber``, ``disc`` -> ``discount``, ``pct`` -> ``percent``, ``qty`` ->
``quantity``, then camelCase) plus a few per-table renames where Business Central's API
uses another word (``name`` -> ``displayName`` on customers, ``line_no`` -> ``sequence`` on
document lines). Columns the simulation keeps for itself (demand weights, habits) are not
exposed. Types come from the schema's DDL, refined by column name: 0/1 flags are booleans,
``*_date`` columns are dates, stamps are ``DateTimeOffset``, ``id`` is a GUID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from simulator.erp.schema import TABLES_BY_NAME, Table
from simulator.erp_server.bc_sets import BC_SETS, NOT_NULL, SetSpec

__all__ = [
    "CUSTOM_SETS",
    "ENTITY_SETS",
    "SET_FOR_TABLE",
    "EntitySet",
    "Field",
    "Navigation",
    "api_name",
    "entity_set",
]

EDM_STRING = "Edm.String"
EDM_GUID = "Edm.Guid"
EDM_DECIMAL = "Edm.Decimal"
EDM_INT = "Edm.Int32"
EDM_BOOL = "Edm.Boolean"
EDM_DATE = "Edm.Date"
EDM_STAMP = "Edm.DateTimeOffset"

BOOLEAN_COLUMNS = frozenset(
    {"items.blocked", "allow_line_disc", "key_account", "key_account_manager", "repeat_item"}
)
DATE_COLUMNS = frozenset(
    {
        "starting_date",
        "ending_date",
        "document_date",
        "valid_until",
        "order_date",
        "requested_delivery_date",
        "shipment_date",
        "posting_date",
        "due_date",
    }
)
STAMP_COLUMNS = frozenset({"last_modified_date_time", "created_at"})
WORDS = {"no": "number", "disc": "discount", "pct": "percent", "qty": "quantity"}
# Simulation-only attributes: how the world draws demand, not what an ERP would show.
HIDDEN = frozenset(
    {
        "items.popularity",
        "customers.annual_volume",
        "customers.order_interval_days",
        "customers.avg_basket_lines",
        "customers.payment_days_late",
        "item_stock.opening_inventory",
    }
)
DOCUMENT_LINE_RENAMES = {
    "line_no": "sequence",
    "line_discount_pct": "discountPercent",
    "line_amount": "lineAmount",
}
RENAMES: dict[str, dict[str, str]] = {
    "items": {"base_unit_of_measure": "baseUnitOfMeasureCode"},
    "customers": {
        "name": "displayName",
        "address": "addressLine1",
        "post_code": "postalCode",
        "country_code": "country",
    },
    "salespeople": {"name": "displayName"},
    "sales_quotes": {"amount": "totalAmountExcludingTax", "valid_until": "validUntilDate"},
    "sales_orders": {"amount": "totalAmountExcludingTax"},
    "sales_invoices": {"amount": "totalAmountExcludingTax"},
    "sales_credit_memos": {"amount": "totalAmountExcludingTax"},
    "sales_order_lines": {
        **DOCUMENT_LINE_RENAMES,
        "quantity_shipped": "shippedQuantity",
        "quantity_invoiced": "invoicedQuantity",
    },
    "sales_quote_lines": DOCUMENT_LINE_RENAMES,
    "sales_invoice_lines": DOCUMENT_LINE_RENAMES,
    "sales_credit_memo_lines": DOCUMENT_LINE_RENAMES,
    "sales_shipment_lines": {"line_no": "sequence", "order_line_no": "orderSequence"},
    "price_list_lines": {"line_no": "lineNumber"},
}


def api_name(table: str, column: str) -> str:
    """The API field name of a column (see the module docstring for the rule)."""
    renamed = RENAMES.get(table, {}).get(column)
    if renamed is not None:
        return renamed
    words = [WORDS.get(word, word) for word in column.split("_")]
    return words[0] + "".join(word[:1].upper() + word[1:] for word in words[1:])


@dataclass(frozen=True, slots=True)
class Field:
    """One exposed property: API name, the SQL column it is read from (a view column for
    BC's sets), EDM type, nullability; `source` is the table column it shows verbatim
    (None when computed) and `codec` how (see `bc_sets.Prop`)."""

    name: str
    column: str
    edm: str
    nullable: bool
    source: str | None = None
    codec: str | None = None
    extension: bool = False

    @property
    def is_enum(self) -> bool:
        return self.edm.startswith("Microsoft.NAV.")

    @property
    def is_bool(self) -> bool:
        return self.edm == EDM_BOOL


@dataclass(frozen=True, slots=True)
class Navigation:
    """A contained collection (document lines) or, `single`, a reference (an order's
    customer): target rows whose `foreign` columns equal the parent's `local` columns, in
    the target's key order."""

    name: str
    target: str  # entity set name
    local: tuple[str, ...]  # parent's columns
    foreign: tuple[str, ...]  # target's columns
    single: bool = False


@dataclass(frozen=True)
class EntitySet:
    """An OData entity set over one table or one BC view (`table` is what SQL reads;
    `base_table` the ERP table the rows come from, None for reference data the dataset
    does not hold)."""

    name: str
    type_name: str
    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # API field names
    navigation: tuple[Navigation, ...] = ()
    sort_key: tuple[str, ...] = field(default=())  # columns of the default (stable) order
    base_table: str | None = None
    standard: bool = False  # one of Business Central's standard v2.0 sets
    parent: str | None = None  # line sets: their header set

    @cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @cached_property
    def by_column(self) -> dict[str, Field]:
        return {f.column: f for f in self.fields}

    @cached_property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.fields)

    @cached_property
    def key_fields(self) -> tuple[Field, ...]:
        return tuple(self.by_name[name] for name in self.key)

    @cached_property
    def navigation_by_name(self) -> dict[str, Navigation]:
        return {nav.name: nav for nav in self.navigation}

    @property
    def has_stamp(self) -> bool:
        return "lastModifiedDateTime" in self.by_name


_DDL_LINE = re.compile(r"^\s*(\w+)\s+(TEXT|REAL|INTEGER)(\s+NOT NULL)?", re.MULTILINE)


def _fields(table: Table) -> tuple[Field, ...]:
    types = {m.group(1): (m.group(2), bool(m.group(3))) for m in _DDL_LINE.finditer(table.ddl)}
    fields = []
    for column in table.columns:
        if f"{table.name}.{column}" in HIDDEN:
            continue
        sql_type, not_null = types[column]
        fields.append(
            Field(
                api_name(table.name, column),
                column,
                _edm(table.name, column, sql_type),
                not not_null,
            )
        )
    return tuple(fields)


def _edm(table: str, column: str, sql_type: str) -> str:
    if column == "id":
        return EDM_GUID
    if column in STAMP_COLUMNS:
        return EDM_STAMP
    if column in DATE_COLUMNS:
        return EDM_DATE
    if sql_type == "INTEGER":
        flag = column in BOOLEAN_COLUMNS or f"{table}.{column}" in BOOLEAN_COLUMNS
        return EDM_BOOL if flag else EDM_INT
    if sql_type == "REAL":
        return EDM_DECIMAL
    return EDM_STRING


def _set(name: str, type_name: str, table_name: str, *lines: str) -> EntitySet:
    table = TABLES_BY_NAME[table_name]
    fields = _fields(table)
    names = {f.column: f.name for f in fields}
    fields = tuple(
        Field(f.name, f.column, f.edm, f.nullable, source=f.column, extension=True) for f in fields
    )
    key = ("id",) if "id" in names else tuple(names[c] for c in table.primary_key)
    navs = tuple(Navigation(line, line, ("no",), ("document_no",)) for line in lines)
    return EntitySet(
        name, type_name, table_name, fields, key, navs, table.primary_key, base_table=table_name
    )


def _quoted(name: str) -> str:
    return f'"{name}"'


def _not_null(set_name: str, name: str) -> bool:
    return name == "id" or name in NOT_NULL or f"{set_name}.{name}" in NOT_NULL


def _standard(spec: SetSpec) -> EntitySet:
    """A BC set over its view; line sets are contained in their header by documentId."""
    fields = tuple(
        Field(
            p.name,
            _quoted(p.name),
            p.edm,
            p.nullable and not _not_null(spec.name, p.name),
            source=p.source,
            codec=p.codec,
            extension=p.extension,
        )
        for p in spec.props
    )
    navs = tuple(Navigation(line, line, ('"id"',), ('"documentId"',)) for line in spec.lines)
    navs += tuple(
        Navigation(ref.name, ref.target, (_quoted(ref.local),), (_quoted(ref.foreign),), ref.single)
        for ref in spec.refs
    )
    base = spec.table if spec.table.isidentifier() else None
    return EntitySet(
        spec.name,
        spec.type_name,
        spec.view,
        fields,
        ("id",),
        navs,
        tuple(_quoted(c) for c in spec.sort),
        base_table=base,
        standard=True,
        parent=spec.parent,
    )


# The sets BC has no standard API for, served as erpsim's custom API group publishes them.
CUSTOM_SETS: dict[str, EntitySet] = {
    s.name: s
    for s in (
        _set("customerPriceGroups", "customerPriceGroup", "customer_price_groups"),
        _set("itemUnitsOfMeasure", "itemUnitOfMeasure", "item_units_of_measure"),
        _set("itemStock", "itemStockEntry", "item_stock"),
        _set("customerAssortment", "customerAssortmentEntry", "customer_assortment"),
        _set("campaigns", "campaign", "campaigns"),
        _set("priceLists", "priceList", "price_lists"),
        _set("priceListLines", "priceListLine", "price_list_lines"),
        _set("inquiries", "inquiry", "inquiries"),
    )
}
ENTITY_SETS: dict[str, EntitySet] = {
    **{name: _standard(spec) for name, spec in BC_SETS.items()},
    **CUSTOM_SETS,
}
# The set a table is mirrored from (the first set over it: `customers`, not its financial
# details).
SET_FOR_TABLE: dict[str, EntitySet] = {}
for _entity in ENTITY_SETS.values():
    if _entity.base_table is not None:
        SET_FOR_TABLE.setdefault(_entity.base_table, _entity)


def entity_set(name: str) -> EntitySet | None:
    return ENTITY_SETS.get(name)
