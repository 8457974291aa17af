"""Business Central API v2.0's standard entity sets, property for property, over our tables.

Each set is a SQL view (a TEMP VIEW on every connection that reads the API: nothing is
added to the dataset) whose columns are BC's property names, in BC's order and with BC's
types, computed from the ERP tables: references get their SystemIds (`customerId`,
`itemId`, `currencyId`...), documents their sell-to / bill-to / ship-to blocks, lines
`documentId`, `lineType`, `lineObjectNumber`, amounts with tax. Enum values are BC's member
names (``_x0020_`` is the blank option). What BC's API does not show but the store and the
history need stays as extra properties after BC's (``itemNumber`` on lines,
``lifecycleStatus`` for the order states BC's three API statuses fold together).

Views keep the query engine unchanged ($filter, $orderby, keyset paging run on view
columns) and SQLite flattens them, so a filter or sort on a column that is a table column
(``number`` is ``items.no``) still uses the table's index.

Reference tables without a SystemId (currencies, payment terms, units...) get a stable
one from `stable_guid` (a UUID v5 of the table and code), registered as the SQL function
``erpsim_guid``. Document lines get ``<first 24 characters of the document id><line number
in 12 hex digits>``: a GUID as unique as its document's, found again from the id alone.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from simulator.erp.credit import headroom_sql

HEADROOM = headroom_sql("t", own_currency=True)

__all__ = [
    "BC_SETS",
    "ENUMS",
    "EXTRAS_DDL",
    "LCY",
    "NOT_NULL",
    "Prop",
    "Ref",
    "SetSpec",
    "install",
    "line_id",
    "line_id_parts",
    "stable_guid",
]

LCY = "EUR"
NAMESPACE = uuid.UUID("8f1d6c36-7a54-4d0e-9d55-3e64c1a2b9d0")
VAT_PERCENT = 21.0  # the profile's company is Spanish: IVA general

EDM_STRING = "Edm.String"
EDM_GUID = "Edm.Guid"
EDM_DECIMAL = "Edm.Decimal"
EDM_INT = "Edm.Int32"
EDM_INT64 = "Edm.Int64"
EDM_BOOL = "Edm.Boolean"
EDM_DATE = "Edm.Date"
EDM_STAMP = "Edm.DateTimeOffset"
EDM_STREAM = "Edm.Stream"

# BC's enum types (member name, value) as its $metadata publishes them; JSON values are the
# member names.
ENUMS: dict[str, tuple[tuple[str, int], ...]] = {
    "itemType": (("Inventory", 0), ("Service", 1), ("Non_x002D_Inventory", 2)),
    "contactType": (("Company", 0), ("Person", 1)),
    "customerBlocked": (("_x0020_", 0), ("Ship", 1), ("Invoice", 2), ("All", 3)),
    "contactBusinessRelation": (
        ("_x0020_", 0),
        ("Customer", 1),
        ("Vendor", 2),
        ("Bank_x0020_Account", 3),
        ("Employee", 4),
        ("None", 100),
        ("Other", 101),
        ("Multiple", 102),
    ),
    "invoiceEntityAggregateStatus": (
        ("_x0020_", 0),
        ("Draft", 1),
        ("In_x0020_Review", 2),
        ("Open", 3),
        ("Paid", 4),
        ("Canceled", 5),
        ("Corrective", 6),
    ),
    "invoiceLineAggLineType": (
        ("Comment", 0),
        ("Account", 1),
        ("Item", 2),
        ("Resource", 3),
        ("Fixed_x0020_Asset", 4),
        ("Charge", 5),
        ("Allocation_x0020_Account", 10),
    ),
    "salesLineType": (
        ("_x0020_", 0),
        ("G_x002F_L_x0020_Account", 1),
        ("Item", 2),
        ("Resource", 3),
        ("Fixed_x0020_Asset", 4),
        ("Charge_x0020__x0028_Item_x0029_", 5),
        ("Allocation_x0020_Account", 10),
        ("Service_x0020_Object", 8000),
    ),
    "countryRegionAddressFormat": (
        ("Post_x0020_Code_x002B_City", 0),
        ("City_x002B_Post_x0020_Code", 1),
        ("City_x002B_County_x002B_Post_x0020_Code", 2),
        ("Blank_x0020_Line_x002B_Post_x0020_Code_x002B_City", 3),
        ("Custom", 13),
    ),
    "salesOrderEntityBufferStatus": (("Draft", 0), ("In_x0020_Review", 1), ("Open", 2)),
    "salesQuoteEntityBufferStatus": (
        ("Draft", 0),
        ("Sent", 1),
        ("Accepted", 2),
        ("Expired_x0020_", 3),
    ),
    "salesCrMemoEntityBufferStatus": (
        ("Draft", 0),
        ("In_x0020_Review", 1),
        ("Open", 2),
        ("Canceled", 3),
        ("Corrective", 4),
        ("Paid", 5),
    ),
    "itemLedgerEntryType": (
        ("Purchase", 0),
        ("Sale", 1),
        ("Positive_x0020_Adjmt_x002E_", 2),
        ("Negative_x0020_Adjmt_x002E_", 3),
        ("Transfer", 4),
        ("Consumption", 5),
        ("Output", 6),
        ("_x0020_", 7),
        ("Assembly_x0020_Consumption", 8),
        ("Assembly_x0020_Output", 9),
    ),
    "analysisSourceType": (("_x0020_", 0), ("Customer", 1), ("Vendor", 2), ("Item", 3)),
    "itemLedgerDocumentType": (
        ("_x0020_", 0),
        ("Sales_x0020_Shipment", 1),
        ("Sales_x0020_Invoice", 2),
        ("Sales_x0020_Return_x0020_Receipt", 3),
        ("Sales_x0020_Credit_x0020_Memo", 4),
        ("Purchase_x0020_Receipt", 5),
        ("Purchase_x0020_Invoice", 6),
        ("Purchase_x0020_Return_x0020_Shipment", 7),
        ("Purchase_x0020_Credit_x0020_Memo", 8),
        ("Transfer_x0020_Shipment", 9),
        ("Transfer_x0020_Receipt", 10),
        ("Service_x0020_Shipment", 11),
        ("Service_x0020_Invoice", 12),
        ("Service_x0020_Credit_x0020_Memo", 13),
        ("Posted_x0020_Assembly", 14),
        ("Inventory_x0020_Receipt", 19),
        ("Inventory_x0020_Shipment", 20),
        ("Direct_x0020_Transfer", 21),
    ),
}
# Properties BC's $metadata declares Nullable="false" besides every `id`.
NOT_NULL = frozenset(
    {
        "code",
        "billToCustomerNumber",
        "currencyExchangeRates.currencyCode",
        "currencyExchangeRates.startingDate",
        "contacts.displayName",
        "contacts.jobTitle",
        "customers.displayName",
        "currencies.amountDecimalPlaces",
    }
)

# Header fields BC documents carry that the history does not hold: what a connector sets
# on a create (external document number, ship-to address...) lives here, one row per
# document, and the views read it back (blank when absent).
EXTRAS_DDL = """CREATE TABLE IF NOT EXISTS erpsim_document_extras (
    document_type TEXT NOT NULL,
    document_no TEXT NOT NULL,
    external_document_number TEXT NOT NULL DEFAULT '',
    ship_to_name TEXT,
    ship_to_contact TEXT,
    ship_to_address_line1 TEXT,
    ship_to_address_line2 TEXT,
    ship_to_city TEXT,
    ship_to_country TEXT,
    ship_to_state TEXT,
    ship_to_post_code TEXT,
    phone_number TEXT,
    email TEXT,
    shipment_method_code TEXT NOT NULL DEFAULT '',
    partial_shipping INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (document_type, document_no)
) WITHOUT ROWID"""
EXTRA_COLUMNS = (
    "external_document_number",
    "ship_to_name",
    "ship_to_contact",
    "ship_to_address_line1",
    "ship_to_address_line2",
    "ship_to_city",
    "ship_to_country",
    "ship_to_state",
    "ship_to_post_code",
    "phone_number",
    "email",
    "shipment_method_code",
    "partial_shipping",
)


@dataclass(frozen=True, slots=True)
class Prop:
    """One property: its BC name, EDM type and the SQL that computes it. `source` is the
    table column it shows verbatim (None when computed), `codec` how a verbatim value is
    shown (``blank``: '' as ``_x0020_``; ``lcy``: '' as the local currency code)."""

    name: str
    edm: str
    sql: str
    source: str | None = None
    nullable: bool = True
    codec: str | None = None
    extension: bool = False  # not a BC property: erpsim's own, documented as such


@dataclass(frozen=True, slots=True)
class Ref:
    """A navigation property to another set: `local` property equals the target's
    `foreign` one (BC's ``customer`` of an order: customerId -> customers.id)."""

    name: str
    target: str
    local: str
    foreign: str = "id"
    single: bool = True


@dataclass(frozen=True)
class SetSpec:
    """A BC entity set: its type, the table it is mostly about, the FROM clause of its
    view (the main table is aliased ``t``), properties, key and stable sort."""

    name: str
    type_name: str
    table: str
    joins: str
    props: tuple[Prop, ...]
    sort: tuple[str, ...]  # view columns of the default order (the table's key)
    lines: tuple[str, ...] = ()  # contained line sets
    parent: str | None = None  # for line sets: the header set
    hidden: tuple[tuple[str, str], ...] = field(default=())  # (view column, sql) for sorting
    refs: tuple[Ref, ...] = ()  # navigation properties to other sets (see `REFS`)

    @property
    def view(self) -> str:
        return f"bc_{self.name}"


# --- property helpers ---------------------------------------------------------------------
def col(name: str, column: str, edm: str = EDM_STRING, *, nullable: bool = True) -> Prop:
    return Prop(name, edm, f"t.{column}", source=column, nullable=nullable)


def ext(name: str, column: str, edm: str = EDM_STRING) -> Prop:
    return Prop(name, edm, f"t.{column}", source=column, extension=True)


def calc(name: str, edm: str, sql: str, *, extension: bool = False) -> Prop:
    return Prop(name, edm, sql, extension=extension)


def blank(name: str, edm: str = EDM_STRING) -> Prop:
    """A property the synthetic ERP has no data for: BC's empty value of its type."""
    empty = {
        EDM_STRING: "''",
        EDM_DECIMAL: "0.0",
        EDM_INT: "0",
        EDM_BOOL: "0",
        EDM_GUID: "'00000000-0000-0000-0000-000000000000'",
    }
    return Prop(name, edm, empty.get(edm, "NULL"))


def guid_of(kind: str, code_sql: str) -> str:
    """SQL for the SystemId of a reference row (the empty GUID for a blank code); a
    constant code's id is computed here, once, not per row."""
    if len(code_sql) > 2 and code_sql[0] == code_sql[-1] == "'" and "'" not in code_sql[1:-1]:
        return f"'{stable_guid(kind, code_sql[1:-1])}'"
    return (
        f"CASE WHEN ifnull({code_sql}, '') = '' THEN '00000000-0000-0000-0000-000000000000'"
        f" ELSE erpsim_guid('{kind}', {code_sql}) END"
    )


def enum(name: str, type_name: str, sql: str) -> Prop:
    return Prop(name, f"Microsoft.NAV.{type_name}", sql)


def stamp(column: str = "last_modified_date_time") -> Prop:
    return Prop("lastModifiedDateTime", EDM_STAMP, f"t.{column}", source=column)


def lcy(sql: str) -> str:
    return f"CASE WHEN ifnull({sql}, '') = '' THEN '{LCY}' ELSE {sql} END"


@lru_cache(maxsize=65536)
def stable_guid(kind: str, key: str) -> str:
    """The SystemId of a row of a table that has none: the same on every run and server."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def line_id_sql(header_alias: str = "h", line_column: str = "t.line_no") -> str:
    return f"substr({header_alias}.id, 1, 24) || printf('%012x', {line_column})"


def line_id(document_id: str, line_no: int) -> str:
    """A document line's SystemId, as `line_id_sql` computes it in the views."""
    return f"{document_id[:24]}{line_no:012x}"


def line_id_parts(line_id: str) -> tuple[str, int] | None:
    """(document id prefix, line number) of a line id, or None if it is not one of ours."""
    if len(line_id) != 36:
        return None
    try:
        return line_id[:24], int(line_id[24:], 16)
    except ValueError:
        return None


# --- reusable blocks ------------------------------------------------------------------------
def _code_and_name(kind: str) -> tuple[Prop, ...]:
    """id, code and displayName of a small reference set the dataset lacks (static rows)."""
    return (
        calc("id", EDM_GUID, guid_of(kind, "t.code")),
        Prop("code", EDM_STRING, "t.code", source="code", nullable=False),
        Prop("displayName", EDM_STRING, "t.display_name", source="display_name"),
    )


def _address(prefix: str, alias: str, *, post: str = "PostCode") -> tuple[Prop, ...]:
    return (
        calc(f"{prefix}AddressLine1", EDM_STRING, f"ifnull({alias}.address, '')"),
        blank(f"{prefix}AddressLine2"),
        calc(f"{prefix}City", EDM_STRING, f"ifnull({alias}.city, '')"),
        calc(f"{prefix}Country", EDM_STRING, f"ifnull({alias}.country_code, '')"),
        blank(f"{prefix}State"),
        calc(f"{prefix}{post}", EDM_STRING, f"ifnull({alias}.post_code, '')"),
    )


def _ship_to() -> tuple[Prop, ...]:
    """Ship-to: what the create set (extras ``x``), else the customer's address."""

    def pick(name: str, extra: str, default: str) -> Prop:
        return calc(name, EDM_STRING, f"ifnull(x.{extra}, ifnull({default}, ''))")

    return (
        pick("shipToAddressLine1", "ship_to_address_line1", "c.address"),
        pick("shipToAddressLine2", "ship_to_address_line2", "''"),
        pick("shipToCity", "ship_to_city", "c.city"),
        pick("shipToCountry", "ship_to_country", "c.country_code"),
        pick("shipToState", "ship_to_state", "''"),
        pick("shipToPostCode", "ship_to_post_code", "c.post_code"),
    )


def _party(*, with_ship_to_names: bool = True) -> tuple[Prop, ...]:
    props = [
        calc("customerId", EDM_GUID, "c.id"),
        Prop("customerNumber", EDM_STRING, "t.customer_no", source="customer_no", nullable=False),
        calc("customerName", EDM_STRING, "ifnull(c.name, '')"),
        calc("billToName", EDM_STRING, "ifnull(c.name, '')"),
        calc("billToCustomerId", EDM_GUID, "c.id"),
        calc("billToCustomerNumber", EDM_STRING, "t.customer_no"),
    ]
    if with_ship_to_names:
        props += [
            calc("shipToName", EDM_STRING, "ifnull(x.ship_to_name, ifnull(c.name, ''))"),
            calc(
                "shipToContact",
                EDM_STRING,
                "ifnull(x.ship_to_contact, ifnull(k.first_name || ' ' || k.surname, ''))",
            ),
        ]
    return tuple(props)


def _money(amount: str = "t.amount") -> tuple[Prop, ...]:
    tax = f"round({amount} * {VAT_PERCENT} / 100.0, 2)"
    return (
        calc("discountAmount", EDM_DECIMAL, "0.0"),
        calc("totalAmountExcludingTax", EDM_DECIMAL, amount),
        calc("totalTaxAmount", EDM_DECIMAL, tax),
        calc("totalAmountIncludingTax", EDM_DECIMAL, f"round({amount} + {tax}, 2)"),
    )


def _contact_info() -> tuple[Prop, ...]:
    return (
        calc("phoneNumber", EDM_STRING, "ifnull(x.phone_number, ifnull(k.phone_no, ''))"),
        calc("email", EDM_STRING, "ifnull(x.email, ifnull(k.email, ''))"),
    )


def _currency(column: str = "t.currency_code") -> tuple[Prop, ...]:
    return (
        calc("currencyId", EDM_GUID, guid_of("currency", column)),
        Prop("currencyCode", EDM_STRING, lcy(column), source="currency_code", codec="lcy"),
    )


def _terms_and_method() -> tuple[Prop, ...]:
    return (
        calc("paymentTermsId", EDM_GUID, guid_of("paymentTerm", "c.payment_terms_code")),
        calc("shipmentMethodId", EDM_GUID, guid_of("shipmentMethod", "x.shipment_method_code")),
    )


def _dimensions() -> tuple[Prop, ...]:
    return (blank("shortcutDimension1Code"), blank("shortcutDimension2Code"))


def _header_joins(document_type: str, *, contact: bool = True) -> str:
    joins = (
        " LEFT JOIN customers c ON c.no = t.customer_no"
        " LEFT JOIN erpsim_document_extras x"
        f" ON x.document_type = '{document_type}' AND x.document_no = t.no"
    )
    if contact:
        joins += " LEFT JOIN contacts k ON k.no = t.contact_no"
    return joins


def _line_props(
    *,
    header: str,
    with_quantities: bool,
    with_allocation: bool = True,
    with_shipment_date: bool = True,
    shipment_date: str = "NULL",
) -> tuple[Prop, ...]:
    net = "t.line_amount"
    tax = f"round({net} * {VAT_PERCENT} / 100.0, 2)"
    gross = "round(t.quantity * t.unit_price, 2)"
    props: list[Prop] = [
        calc("id", EDM_GUID, line_id_sql()),
        calc("documentId", EDM_GUID, "h.id"),
        Prop("sequence", EDM_INT, "t.line_no", source="line_no"),
        calc("itemId", EDM_GUID, "ifnull(i.id, '00000000-0000-0000-0000-000000000000')"),
        blank("accountId", EDM_GUID),
        enum("lineType", "invoiceLineAggLineType", "'Item'"),
        Prop("lineObjectNumber", EDM_STRING, "t.item_no", source="item_no"),
        calc("description", EDM_STRING, "ifnull(i.display_name, '')"),
        blank("description2"),
        calc(
            "unitOfMeasureId",
            EDM_GUID,
            guid_of(
                "unitOfMeasure",
                "CASE WHEN t.unit_of_measure_code = ''"
                " THEN i.base_unit_of_measure ELSE t.unit_of_measure_code END",
            ),
        ),
        calc(
            "unitOfMeasureCode",
            EDM_STRING,
            "CASE WHEN t.unit_of_measure_code = '' THEN ifnull(i.base_unit_of_measure, '')"
            " ELSE t.unit_of_measure_code END",
        ),
        Prop("quantity", EDM_DECIMAL, "t.quantity", source="quantity"),
        Prop("unitPrice", EDM_DECIMAL, "t.unit_price", source="unit_price"),
        calc("discountAmount", EDM_DECIMAL, f"round({gross} - {net}, 2)"),
        Prop("discountPercent", EDM_DECIMAL, "t.line_discount_pct", source="line_discount_pct"),
        calc("discountAppliedBeforeTax", EDM_BOOL, "1"),
        calc("amountExcludingTax", EDM_DECIMAL, net),
        calc("taxCode", EDM_STRING, "'IVA21'"),
        calc("taxPercent", EDM_DECIMAL, f"{VAT_PERCENT}"),
        calc("totalTaxAmount", EDM_DECIMAL, tax),
        calc("amountIncludingTax", EDM_DECIMAL, f"round({net} + {tax}, 2)"),
    ]
    if with_allocation:
        props.append(calc("invoiceDiscountAllocation", EDM_DECIMAL, "0.0"))
    props += [
        calc("netAmount", EDM_DECIMAL, net),
        calc("netTaxAmount", EDM_DECIMAL, tax),
        calc("netAmountIncludingTax", EDM_DECIMAL, f"round({net} + {tax}, 2)"),
    ]
    if with_shipment_date:
        props.append(calc("shipmentDate", EDM_DATE, shipment_date))
    if with_quantities:
        props += [
            Prop("shippedQuantity", EDM_DECIMAL, "t.quantity_shipped", source="quantity_shipped"),
            Prop(
                "invoicedQuantity", EDM_DECIMAL, "t.quantity_invoiced", source="quantity_invoiced"
            ),
            calc("invoiceQuantity", EDM_DECIMAL, "t.quantity_shipped - t.quantity_invoiced"),
            calc("shipQuantity", EDM_DECIMAL, "t.quantity - t.quantity_shipped"),
        ]
    props += [
        blank("itemVariantId", EDM_GUID),
        calc("locationId", EDM_GUID, "ifnull(l.id, '00000000-0000-0000-0000-000000000000')"),
        # erpsim's own, for the store and existing clients
        ext("documentNumber", "document_no"),
        ext("itemNumber", "item_no"),
        calc("lineAmount", EDM_DECIMAL, net, extension=True),
    ]
    return tuple(props)


def _line_joins(header_table: str, location: str = "h.location_code", before: str = "") -> str:
    return (
        f" JOIN {header_table} h ON h.no = t.document_no"
        " LEFT JOIN items i ON i.no = t.item_no"
        f"{before} LEFT JOIN locations l ON l.code = {location}"
    )


LINE_SORT = (("_documentNo", "t.document_no"), ("_lineNo", "t.line_no"))


def _lines(
    name: str, type_name: str, table: str, header: str, props: tuple[Prop, ...], joins: str
) -> SetSpec:
    return SetSpec(
        name,
        type_name,
        table,
        joins,
        props,
        ("_documentNo", "_lineNo"),
        parent=header,
        hidden=LINE_SORT,
    )


ORDER_STATUS = (
    "CASE t.status WHEN 'Open' THEN 'Draft' WHEN 'Pending Approval' THEN 'In_x0020_Review'"
    " ELSE 'Open' END"
)
QUOTE_STATUS = (
    "CASE t.status WHEN 'Accepted' THEN 'Accepted' WHEN 'Expired' THEN 'Expired_x0020_'"
    " WHEN 'Sent' THEN 'Sent' ELSE 'Draft' END"
)
INVOICE_STATUS = (
    "CASE t.status WHEN 'Paid' THEN 'Paid' WHEN 'Draft' THEN 'Draft'"
    " WHEN 'Canceled' THEN 'Canceled' ELSE 'Open' END"
)
AS_OF = "(SELECT json_extract(value, '$') FROM erpsim_meta WHERE key = 'as_of')"
TODAY = "(SELECT substr(json_extract(value, '$'), 1, 10) FROM erpsim_meta WHERE key = 'world_now')"
AS_OF_STAMP = f"({AS_OF} || 'T00:00:00Z')"


def _static(columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    """A small reference table BC has and the dataset does not, as a subquery."""
    selects = [
        "SELECT "
        + ", ".join(f"'{value}' AS {name}" for name, value in zip(columns, row, strict=True))
        + f", {AS_OF_STAMP} AS last_modified_date_time"
        for row in rows
    ]
    return "(" + " UNION ALL ".join(selects) + ")"


PAYMENT_METHODS = _static(
    ("code", "display_name"),
    (
        ("BANK", "Bank transfer"),
        ("CARD", "Card payment (web store)"),
        ("DIRECTDEBIT", "Direct debit (SEPA)"),
    ),
)
SHIPMENT_METHODS = _static(
    ("code", "display_name"),
    (("EXW", "Ex Works"), ("DAP", "Delivered at Place"), ("PICKUP", "Pick-up at warehouse")),
)
PAYMENT_JOURNALS = _static(("code", "display_name"), (("PAYMENTS", "Customer payments"),))
COUNTRY_NAMES = {
    "ES": "Spain",
    "DE": "Germany",
    "FR": "France",
    "PT": "Portugal",
    "GB": "United Kingdom",
    "US": "United States",
    "IT": "Italy",
    "NL": "Netherlands",
    "BE": "Belgium",
}
COUNTRIES = (
    "(SELECT code, CASE code "
    + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in COUNTRY_NAMES.items())
    + f" ELSE code END AS display_name, {AS_OF_STAMP} AS last_modified_date_time FROM"
    " (SELECT country_code AS code FROM customers UNION SELECT country_code FROM locations))"
)
NO_VARIANTS = (
    "(SELECT '' AS item_no, '' AS code, '' AS description, '' AS last_modified_date_time WHERE 0)"
)
COMPANY_INFORMATION = (
    "(SELECT '{company_id}' AS id, 'Ferrosur Suministros Industriales S.L.' AS display_name,"
    " 'Calle de la Industria 12' AS address_line1, 'Zaragoza' AS city, 'ES' AS country,"
    " '50014' AS postal_code, '+34 976 000 000' AS phone_number,"
    " 'info@ferrosur.example' AS email, 'https://www.ferrosur.example' AS website,"
    " 'ESB50000000' AS tax_registration_number,"
    " substr(" + AS_OF + ", 1, 4) || '-01-01' AS fiscal_year_start,"
    f" {AS_OF_STAMP} AS last_modified_date_time)"
)
BLOCKED = "CASE WHEN t.blocked = '' THEN '_x0020_' ELSE t.blocked END"


def _sets() -> tuple[SetSpec, ...]:
    uom = SetSpec(
        "unitsOfMeasure",
        "unitOfMeasure",
        "units_of_measure",
        "",
        (
            calc("id", EDM_GUID, guid_of("unitOfMeasure", "t.code")),
            col("code", "code", nullable=False),
            col("displayName", "description"),
            calc("internationalStandardCode", EDM_STRING, "t.code"),
            calc("symbol", EDM_STRING, "lower(t.code)"),
            stamp(),
        ),
        ("code",),
    )
    currencies = SetSpec(
        "currencies",
        "currency",
        "currencies",
        "",
        (
            calc("id", EDM_GUID, guid_of("currency", "t.code")),
            col("code", "code", nullable=False),
            col("displayName", "description"),
            calc(
                "symbol",
                EDM_STRING,
                "CASE t.code WHEN 'USD' THEN '$' WHEN 'GBP' THEN '£' WHEN 'CHF' THEN 'Fr.'"
                " WHEN 'PLN' THEN 'zł' ELSE 'kr' END",
            ),
            calc("amountDecimalPlaces", EDM_STRING, "'2:2'"),
            calc("amountRoundingPrecision", EDM_DECIMAL, "0.01"),
            stamp(),
            ext("description", "description"),
        ),
        ("code",),
    )
    payment_terms = SetSpec(
        "paymentTerms",
        "paymentTerm",
        "payment_terms",
        "",
        (
            calc("id", EDM_GUID, guid_of("paymentTerm", "t.code")),
            col("code", "code", nullable=False),
            col("displayName", "description"),
            calc("dueDateCalculation", EDM_STRING, "t.due_days || 'D'"),
            calc(
                "discountDateCalculation",
                EDM_STRING,
                "CASE WHEN t.discount_days > 0 THEN t.discount_days || 'D' ELSE '' END",
            ),
            col("discountPercent", "discount_pct", EDM_DECIMAL),
            calc("calculateDiscountOnCreditMemos", EDM_BOOL, "0"),
            stamp(),
            ext("description", "description"),
            ext("dueDays", "due_days", EDM_INT),
            ext("discountDays", "discount_days", EDM_INT),
        ),
        ("code",),
    )
    payment_methods = SetSpec(
        "paymentMethods",
        "paymentMethod",
        PAYMENT_METHODS,
        "",
        (
            *_code_and_name("paymentMethod"),
            stamp(),
        ),
        ("code",),
    )
    shipment_methods = SetSpec(
        "shipmentMethods",
        "shipmentMethod",
        SHIPMENT_METHODS,
        "",
        (
            *_code_and_name("shipmentMethod"),
            stamp(),
        ),
        ("code",),
    )
    countries = SetSpec(
        "countriesRegions",
        "countryRegion",
        COUNTRIES,
        "",
        (
            *_code_and_name("countryRegion"),
            enum(
                "addressFormat",
                "countryRegionAddressFormat",
                "CASE WHEN t.code IN ('GB', 'US') THEN 'City_x002B_County_x002B_Post_x0020_Code'"
                " ELSE 'Post_x0020_Code_x002B_City' END",
            ),
            stamp(),
        ),
        ("code",),
    )
    categories = SetSpec(
        "itemCategories",
        "itemCategory",
        "item_categories",
        "",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("code", "code", nullable=False),
            col("displayName", "display_name"),
            stamp(),
            ext("parentCode", "parent_code"),
            ext("level", "level", EDM_INT),
        ),
        ("code",),
    )
    locations = SetSpec(
        "locations",
        "location",
        "locations",
        "",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("code", "code", nullable=False),
            col("displayName", "display_name"),
            blank("contact"),
            blank("addressLine1"),
            blank("addressLine2"),
            col("city", "city"),
            blank("state"),
            col("country", "country_code"),
            blank("postalCode"),
            blank("phoneNumber"),
            blank("email"),
            blank("website"),
            stamp(),
            ext("countryCode", "country_code"),
        ),
        ("code",),
    )
    salespeople = SetSpec(
        "salespeoplePurchasers",
        "salespersonPurchaser",
        "salespeople",
        "",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("code", "code", nullable=False),
            col("displayName", "name"),
            col("email", "email"),
            blank("email2"),
            col("phoneNo", "phone_no"),
            calc(
                "jobTitle",
                EDM_STRING,
                "CASE WHEN t.key_account_manager = 1 THEN 'Key Account Manager'"
                " ELSE 'Sales Representative' END",
            ),
            col("commisionPercent", "commission_pct", EDM_DECIMAL),
            calc("privacyBlocked", EDM_BOOL, "0"),
            calc("blocked", EDM_BOOL, "0"),
            stamp(),
            ext("keyAccountManager", "key_account_manager", EDM_BOOL),
        ),
        ("code",),
    )
    items = SetSpec(
        "items",
        "item",
        "items",
        " LEFT JOIN item_categories g ON g.code = t.item_category_code",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            col("displayName", "display_name"),
            blank("displayName2"),
            enum("type", "itemType", "'Inventory'"),
            calc(
                "itemCategoryId", EDM_GUID, "ifnull(g.id, '00000000-0000-0000-0000-000000000000')"
            ),
            col("itemCategoryCode", "item_category_code"),
            col("blocked", "blocked", EDM_BOOL),
            col("gtin", "gtin"),
            calc(
                "inventory",
                EDM_DECIMAL,
                "(SELECT ifnull(sum(s.inventory), 0.0) FROM item_stock s WHERE s.item_no = t.no)",
            ),
            col("unitPrice", "unit_price", EDM_DECIMAL),
            calc("priceIncludesTax", EDM_BOOL, "0"),
            col("unitCost", "unit_cost", EDM_DECIMAL),
            calc("taxGroupId", EDM_GUID, guid_of("taxGroup", "'IVA21'")),
            calc("taxGroupCode", EDM_STRING, "'IVA21'"),
            calc(
                "baseUnitOfMeasureId", EDM_GUID, guid_of("unitOfMeasure", "t.base_unit_of_measure")
            ),
            col("baseUnitOfMeasureCode", "base_unit_of_measure"),
            calc(
                "generalProductPostingGroupId",
                EDM_GUID,
                guid_of("genProductPostingGroup", "'RETAIL'"),
            ),
            calc("generalProductPostingGroupCode", EDM_STRING, "'RETAIL'"),
            calc("inventoryPostingGroupId", EDM_GUID, guid_of("inventoryPostingGroup", "'RESALE'")),
            calc("inventoryPostingGroupCode", EDM_STRING, "'RESALE'"),
            stamp(),
            ext("grossWeight", "gross_weight", EDM_DECIMAL),
            ext("itemDiscGroup", "item_disc_group"),
        ),
        ("number",),
    )
    variants = SetSpec(
        "itemVariants",
        "itemVariant",
        NO_VARIANTS,
        " LEFT JOIN items i ON i.no = t.item_no",
        (
            calc("id", EDM_GUID, "erpsim_guid('itemVariant', t.item_no || '/' || t.code)"),
            calc("itemId", EDM_GUID, "i.id"),
            Prop("itemNumber", EDM_STRING, "t.item_no", source="item_no"),
            Prop("code", EDM_STRING, "t.code", source="code", nullable=False),
            Prop("description", EDM_STRING, "t.description", source="description"),
            stamp(),
        ),
        ("itemNumber", "code"),
    )
    customers = SetSpec(
        "customers",
        "customer",
        "customers",
        "",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            col("displayName", "name", nullable=False),
            enum("type", "contactType", "'Company'"),
            col("addressLine1", "address"),
            blank("addressLine2"),
            col("city", "city"),
            blank("state"),
            col("country", "country_code"),
            col("postalCode", "post_code"),
            col("phoneNumber", "phone_no"),
            col("email", "email"),
            blank("website"),
            col("salespersonCode", "salesperson_code"),
            calc(
                "balanceDue",
                EDM_DECIMAL,
                "(SELECT ifnull(round(sum(v.remaining_amount), 2), 0.0) FROM sales_invoices v"
                " WHERE v.customer_no = t.no AND v.status = 'Open')",
            ),
            col("creditLimit", "credit_limit", EDM_DECIMAL),
            calc("taxLiable", EDM_BOOL, "1"),
            calc("taxAreaId", EDM_GUID, guid_of("taxArea", "t.country_code")),
            calc("taxAreaDisplayName", EDM_STRING, "t.country_code"),
            calc("taxRegistrationNumber", EDM_STRING, "t.country_code || substr(t.id, 1, 8)"),
            calc("currencyId", EDM_GUID, guid_of("currency", "t.currency_code")),
            Prop(
                "currencyCode",
                EDM_STRING,
                lcy("t.currency_code"),
                source="currency_code",
                codec="lcy",
            ),
            calc("paymentTermsId", EDM_GUID, guid_of("paymentTerm", "t.payment_terms_code")),
            calc("shipmentMethodId", EDM_GUID, guid_of("shipmentMethod", "'EXW'")),
            calc("paymentMethodId", EDM_GUID, guid_of("paymentMethod", "'BANK'")),
            Prop(
                "blocked", "Microsoft.NAV.customerBlocked", BLOCKED, source="blocked", codec="blank"
            ),
            stamp(),
            ext("paymentTermsCode", "payment_terms_code"),
            ext("customerPriceGroup", "customer_price_group"),
            ext("customerDiscGroup", "customer_disc_group"),
            ext("allowLineDiscount", "allow_line_disc", EDM_BOOL),
            ext("locationCode", "location_code"),
            ext("keyAccount", "key_account", EDM_BOOL),
            ext("segment", "segment"),
        ),
        ("number",),
    )
    contacts = SetSpec(
        "contacts",
        "contact",
        "contacts",
        " LEFT JOIN customers c ON c.no = t.customer_no",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            enum("type", "contactType", "'Person'"),
            calc("displayName", EDM_STRING, "t.first_name || ' ' || t.surname"),
            col("jobTitle", "job_title"),
            calc("companyNumber", EDM_STRING, "'CT-' || t.customer_no"),
            calc("companyName", EDM_STRING, "ifnull(c.name, '')"),
            enum("contactBusinessRelation", "contactBusinessRelation", "'Customer'"),
            calc("addressLine1", EDM_STRING, "ifnull(c.address, '')"),
            blank("addressLine2"),
            calc("city", EDM_STRING, "ifnull(c.city, '')"),
            blank("state"),
            calc("country", EDM_STRING, "ifnull(c.country_code, '')"),
            calc("postalCode", EDM_STRING, "ifnull(c.post_code, '')"),
            col("phoneNumber", "phone_no"),
            blank("mobilePhoneNumber"),
            col("email", "email"),
            blank("website"),
            calc("searchName", EDM_STRING, "upper(t.first_name || ' ' || t.surname)"),
            calc("privacyBlocked", EDM_BOOL, "0"),
            blank("taxRegistrationNumber"),
            calc("lastInteractionDate", EDM_DATE, "NULL"),
            stamp(),
            ext("customerNumber", "customer_no"),
            ext("firstName", "first_name"),
            ext("surname", "surname"),
            ext("role", "role"),
        ),
        ("number",),
    )
    financial = SetSpec(
        "customerFinancialDetails",
        "customerFinancialDetail",
        "customers",
        "",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            calc(
                "balance",
                EDM_DECIMAL,
                "(SELECT ifnull(round(sum(v.remaining_amount), 2), 0.0) FROM sales_invoices v"
                " WHERE v.customer_no = t.no AND v.status = 'Open')",
            ),
            calc(
                "totalSalesExcludingTax",
                EDM_DECIMAL,
                "(SELECT ifnull(round(sum(v.amount), 2), 0.0) FROM sales_invoices v"
                " WHERE v.customer_no = t.no)",
            ),
            calc(
                "overdueAmount",
                EDM_DECIMAL,
                "(SELECT ifnull(round(sum(v.remaining_amount), 2), 0.0) FROM sales_invoices v"
                " WHERE v.customer_no = t.no AND v.status = 'Open'"
                f" AND v.due_date < {TODAY})",
            ),
            # Room under the credit limit before the ERP refuses an order, in the customer's
            # currency (its carts'); null: no limit. creditLimit is BC's, in local currency.
            calc("creditLimit", EDM_DECIMAL, "t.credit_limit", extension=True),
            calc("creditHeadroom", EDM_DECIMAL, f"round({HEADROOM}, 2)", extension=True),
            stamp(),
        ),
        ("number",),
    )
    quotes = SetSpec(
        "salesQuotes",
        "salesQuote",
        "sales_quotes",
        _header_joins("quote"),
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            calc("externalDocumentNumber", EDM_STRING, "ifnull(x.external_document_number, '')"),
            col("documentDate", "document_date", EDM_DATE),
            calc("postingDate", EDM_DATE, "t.document_date"),
            calc("dueDate", EDM_DATE, "t.valid_until"),
            *_party(),
            *_address("sellTo", "c"),
            *_address("billTo", "c"),
            *_ship_to(),
            *_dimensions(),
            *_currency(),
            *_terms_and_method(),
            calc("salesperson", EDM_STRING, "ifnull(c.salesperson_code, '')"),
            *_money(),
            enum("status", "salesQuoteEntityBufferStatus", QUOTE_STATUS),
            calc("sentDate", EDM_STAMP, "t.document_date || 'T00:00:00Z'"),
            col("validUntilDate", "valid_until", EDM_DATE),
            calc(
                "acceptedDate",
                EDM_DATE,
                "CASE WHEN t.status = 'Accepted' THEN substr(t.last_modified_date_time, 1, 10) END",
            ),
            stamp(),
            *_contact_info(),
            ext("contactNumber", "contact_no"),
            ext("channel", "channel"),
            ext("orderNumber", "order_no"),
            ext("lifecycleStatus", "status"),
        ),
        ("number",),
        lines=("salesQuoteLines",),
    )
    orders = SetSpec(
        "salesOrders",
        "salesOrder",
        "sales_orders",
        _header_joins("order"),
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            calc("externalDocumentNumber", EDM_STRING, "ifnull(x.external_document_number, '')"),
            col("orderDate", "order_date", EDM_DATE),
            calc("postingDate", EDM_DATE, "t.order_date"),
            *_party(),
            *_address("sellTo", "c"),
            *_address("billTo", "c"),
            *_ship_to(),
            *_dimensions(),
            *_currency(),
            calc("pricesIncludeTax", EDM_BOOL, "0"),
            *_terms_and_method(),
            col("salesperson", "salesperson_code"),
            calc("partialShipping", EDM_BOOL, "ifnull(x.partial_shipping, 1)"),
            col("requestedDeliveryDate", "requested_delivery_date", EDM_DATE),
            calc("discountAmount", EDM_DECIMAL, "0.0"),
            calc("discountAppliedBeforeTax", EDM_BOOL, "1"),
            *_money()[1:],
            calc(
                "fullyShipped",
                EDM_BOOL,
                "t.status IN ('Shipped', 'Invoiced')",
            ),
            enum("status", "salesOrderEntityBufferStatus", ORDER_STATUS),
            stamp(),
            *_contact_info(),
            ext("contactNumber", "contact_no"),
            ext("channel", "channel"),
            ext("quoteNumber", "quote_no"),
            ext("locationCode", "location_code"),
            ext("lifecycleStatus", "status"),
            Prop("createdAt", EDM_STAMP, "t.created_at", source="created_at", extension=True),
        ),
        ("number",),
        lines=("salesOrderLines",),
    )
    shipments = SetSpec(
        "salesShipments",
        "salesShipment",
        "sales_shipments",
        " LEFT JOIN sales_orders o ON o.no = t.order_no"
        " LEFT JOIN sales_invoices v ON v.shipment_no = t.no"
        " LEFT JOIN customers c ON c.no = t.customer_no"
        " LEFT JOIN erpsim_document_extras x ON x.document_type = 'order'"
        " AND x.document_no = t.order_no"
        " LEFT JOIN contacts k ON k.no = o.contact_no",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            calc("externalDocumentNumber", EDM_STRING, "ifnull(x.external_document_number, '')"),
            calc("invoiceDate", EDM_DATE, "v.posting_date"),
            col("postingDate", "shipment_date", EDM_DATE),
            calc("dueDate", EDM_DATE, "v.due_date"),
            calc(
                "customerPurchaseOrderReference",
                EDM_STRING,
                "ifnull(x.external_document_number, '')",
            ),
            calc("customerId", EDM_GUID, "c.id"),
            Prop(
                "customerNumber", EDM_STRING, "t.customer_no", source="customer_no", nullable=False
            ),
            calc("customerName", EDM_STRING, "ifnull(c.name, '')"),
            calc("billToCustomerId", EDM_GUID, "c.id"),
            calc("billToName", EDM_STRING, "ifnull(c.name, '')"),
            calc("billToCustomerNumber", EDM_STRING, "t.customer_no"),
            calc("shipToName", EDM_STRING, "ifnull(x.ship_to_name, ifnull(c.name, ''))"),
            calc(
                "shipToContact",
                EDM_STRING,
                "ifnull(x.ship_to_contact, ifnull(k.first_name || ' ' || k.surname, ''))",
            ),
            *_address("sellTo", "c"),
            *_address("billTo", "c"),
            *_ship_to(),
            calc("currencyCode", EDM_STRING, lcy("o.currency_code")),
            col("orderNumber", "order_no"),
            calc("paymentTermsCode", EDM_STRING, "ifnull(c.payment_terms_code, '')"),
            calc("shipmentMethodCode", EDM_STRING, "ifnull(x.shipment_method_code, '')"),
            calc("salesperson", EDM_STRING, "ifnull(o.salesperson_code, '')"),
            calc("pricesIncludeTax", EDM_BOOL, "0"),
            stamp(),
            *_contact_info(),
            ext("shipmentDate", "shipment_date", EDM_DATE),
            ext("locationCode", "location_code"),
        ),
        ("number",),
        lines=("salesShipmentLines",),
    )
    invoices = SetSpec(
        "salesInvoices",
        "salesInvoice",
        "sales_invoices",
        " LEFT JOIN sales_orders o ON o.no = t.order_no"
        " LEFT JOIN customers c ON c.no = t.customer_no"
        # a draft invoice (made through the API) has extras of its own, a posted one its order's
        " LEFT JOIN erpsim_document_extras x ON x.document_type ="
        " CASE WHEN t.status = 'Draft' THEN 'invoice' ELSE 'order' END"
        " AND x.document_no = CASE WHEN t.status = 'Draft' THEN t.no ELSE t.order_no END"
        " LEFT JOIN contacts k ON k.no = o.contact_no",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            calc("externalDocumentNumber", EDM_STRING, "ifnull(x.external_document_number, '')"),
            calc("invoiceDate", EDM_DATE, "t.posting_date"),
            col("postingDate", "posting_date", EDM_DATE),
            col("dueDate", "due_date", EDM_DATE),
            calc("promisedPayDate", EDM_DATE, "NULL"),
            calc(
                "customerPurchaseOrderReference",
                EDM_STRING,
                "ifnull(x.external_document_number, '')",
            ),
            *_party(),
            *_address("sellTo", "c"),
            *_address("billTo", "c"),
            *_ship_to(),
            calc("currencyId", EDM_GUID, guid_of("currency", "t.currency_code")),
            *_dimensions(),
            Prop(
                "currencyCode",
                EDM_STRING,
                lcy("t.currency_code"),
                source="currency_code",
                codec="lcy",
            ),
            calc("orderId", EDM_GUID, "o.id"),
            col("orderNumber", "order_no"),
            *_terms_and_method(),
            calc("salesperson", EDM_STRING, "ifnull(o.salesperson_code, '')"),
            blank("disputeStatusId", EDM_GUID),
            blank("disputeStatus"),
            calc("pricesIncludeTax", EDM_BOOL, "0"),
            col("remainingAmount", "remaining_amount", EDM_DECIMAL),
            calc("discountAmount", EDM_DECIMAL, "0.0"),
            calc("discountAppliedBeforeTax", EDM_BOOL, "1"),
            *_money()[1:],
            enum("status", "invoiceEntityAggregateStatus", INVOICE_STATUS),
            stamp(),
            *_contact_info(),
            ext("shipmentNumber", "shipment_no"),
            ext("lifecycleStatus", "status"),
        ),
        ("number",),
        lines=("salesInvoiceLines",),
    )
    memos = SetSpec(
        "salesCreditMemos",
        "salesCreditMemo",
        "sales_credit_memos",
        " LEFT JOIN sales_invoices v ON v.no = t.invoice_no"
        " LEFT JOIN sales_orders o ON o.no = v.order_no"
        " LEFT JOIN customers c ON c.no = t.customer_no"
        " LEFT JOIN erpsim_document_extras x ON x.document_type = 'order'"
        " AND x.document_no = v.order_no"
        " LEFT JOIN contacts k ON k.no = o.contact_no",
        (
            col("id", "id", EDM_GUID, nullable=False),
            col("number", "no"),
            calc("externalDocumentNumber", EDM_STRING, "ifnull(x.external_document_number, '')"),
            calc("creditMemoDate", EDM_DATE, "t.posting_date"),
            col("postingDate", "posting_date", EDM_DATE),
            calc("dueDate", EDM_DATE, "t.posting_date"),
            *_party(with_ship_to_names=False),
            *_address("sellTo", "c"),
            *_address("billTo", "c"),
            *_dimensions(),
            *_currency(),
            *_terms_and_method(),
            calc("salesperson", EDM_STRING, "ifnull(c.salesperson_code, '')"),
            calc("pricesIncludeTax", EDM_BOOL, "0"),
            calc("discountAmount", EDM_DECIMAL, "0.0"),
            calc("discountAppliedBeforeTax", EDM_BOOL, "1"),
            *_money()[1:],
            enum("status", "salesCrMemoEntityBufferStatus", "'Paid'"),
            stamp(),
            calc("invoiceId", EDM_GUID, "v.id"),
            col("invoiceNumber", "invoice_no"),
            *_contact_info(),
            calc("customerReturnReasonId", EDM_GUID, guid_of("returnReason", "t.reason")),
            ext("reason", "reason"),
        ),
        ("number",),
        lines=("salesCreditMemoLines",),
    )
    quote_lines = _lines(
        "salesQuoteLines",
        "salesQuoteLine",
        "sales_quote_lines",
        "salesQuotes",
        _line_props(
            header="h", with_quantities=False, with_allocation=False, with_shipment_date=False
        ),
        _line_joins(
            "sales_quotes", "c.location_code", " LEFT JOIN customers c ON c.no = h.customer_no"
        ),
    )
    order_lines = _lines(
        "salesOrderLines",
        "salesOrderLine",
        "sales_order_lines",
        "salesOrders",
        (
            *_line_props(
                header="h", with_quantities=True, shipment_date="h.requested_delivery_date"
            ),
            ext("quantityPerUnitOfMeasure", "qty_per_unit_of_measure", EDM_DECIMAL),
            ext("priceListCode", "price_list_code"),
            ext("priceLineNumber", "price_line_no", EDM_INT),
            ext("discountListCode", "discount_list_code"),
            ext("discountLineNumber", "discount_line_no", EDM_INT),
            ext("repeatItem", "repeat_item", EDM_BOOL),
        ),
        _line_joins("sales_orders"),
    )
    invoice_lines = _lines(
        "salesInvoiceLines",
        "salesInvoiceLine",
        "sales_invoice_lines",
        "salesInvoices",
        (
            *_line_props(header="h", with_quantities=False, shipment_date="s.shipment_date"),
            ext("shipmentNumber", "shipment_no"),
            ext("shipmentLineNumber", "shipment_line_no", EDM_INT),
            ext("orderNumber", "order_no"),
            ext("orderLineNumber", "order_line_no", EDM_INT),
        ),
        _line_joins(
            "sales_invoices",
            "s.location_code",
            " LEFT JOIN sales_shipments s ON s.no = t.shipment_no",
        ),
    )
    memo_lines = _lines(
        "salesCreditMemoLines",
        "salesCreditMemoLine",
        "sales_credit_memo_lines",
        "salesCreditMemos",
        (
            *_line_props(header="h", with_quantities=False, shipment_date="s.shipment_date"),
            ext("shipmentNumber", "shipment_no"),
            ext("shipmentLineNumber", "shipment_line_no", EDM_INT),
        ),
        _line_joins(
            "sales_credit_memos",
            "s.location_code",
            " LEFT JOIN sales_shipments s ON s.no = t.shipment_no",
        ),
    )
    shipment_lines = _lines(
        "salesShipmentLines",
        "salesShipmentLine",
        "sales_shipment_lines",
        "salesShipments",
        (
            calc("id", EDM_GUID, line_id_sql()),
            calc("documentId", EDM_GUID, "h.id"),
            Prop("documentNo", EDM_STRING, "t.document_no", source="document_no"),
            Prop("sequence", EDM_INT, "t.line_no", source="line_no"),
            enum("lineType", "salesLineType", "'Item'"),
            Prop("lineObjectNumber", EDM_STRING, "t.item_no", source="item_no"),
            calc("description", EDM_STRING, "ifnull(i.display_name, '')"),
            blank("description2"),
            calc(
                "unitOfMeasureCode",
                EDM_STRING,
                "CASE WHEN t.unit_of_measure_code = '' THEN ifnull(i.base_unit_of_measure, '')"
                " ELSE t.unit_of_measure_code END",
            ),
            calc("unitPrice", EDM_DECIMAL, "ifnull(ol.unit_price, 0.0)"),
            Prop("quantity", EDM_DECIMAL, "t.quantity", source="quantity"),
            calc("discountPercent", EDM_DECIMAL, "ifnull(ol.line_discount_pct, 0.0)"),
            calc("taxPercent", EDM_DECIMAL, f"{VAT_PERCENT}"),
            calc("shipmentDate", EDM_DATE, "h.shipment_date"),
            ext("itemNumber", "item_no"),
            ext("orderNumber", "order_no"),
            ext("orderSequence", "order_line_no", EDM_INT),
            ext("quantityBase", "quantity_base", EDM_DECIMAL),
        ),
        _line_joins("sales_shipments", "h.location_code")
        + " LEFT JOIN sales_order_lines ol ON ol.document_no = t.order_no"
        " AND ol.line_no = t.order_line_no",
    )
    payments = SetSpec(
        "customerPayments",
        "customerPayment",
        "customer_payments",
        " LEFT JOIN customers c ON c.no = t.customer_no"
        " LEFT JOIN sales_invoices v ON v.no = t.invoice_no",
        (
            col("id", "id", EDM_GUID, nullable=False),
            calc("journalId", EDM_GUID, guid_of("customerPaymentJournal", "'PAYMENTS'")),
            calc("journalDisplayName", EDM_STRING, "'PAYMENTS'"),
            calc("lineNumber", EDM_INT, "CAST(substr(t.no, 3) AS INTEGER)"),
            calc("customerId", EDM_GUID, "c.id"),
            Prop("customerNumber", EDM_STRING, "t.customer_no", source="customer_no"),
            col("postingDate", "posting_date", EDM_DATE),
            col("documentNumber", "no"),
            calc("externalDocumentNumber", EDM_STRING, "''"),
            col("amount", "amount", EDM_DECIMAL),
            calc("appliesToInvoiceId", EDM_GUID, "v.id"),
            col("appliesToInvoiceNumber", "invoice_no"),
            calc("description", EDM_STRING, "'Payment ' || t.invoice_no"),
            calc("comment", EDM_STRING, "t.channel"),
            stamp(),
            ext("number", "no"),
            ext("invoiceNumber", "invoice_no"),
            ext("channel", "channel"),
        ),
        ("documentNumber",),
    )
    journals = SetSpec(
        "customerPaymentJournals",
        "customerPaymentJournal",
        PAYMENT_JOURNALS,
        "",
        (
            *_code_and_name("customerPaymentJournal"),
            stamp(),
            calc("balancingAccountId", EDM_GUID, guid_of("account", "'5720'")),
            calc("balancingAccountNumber", EDM_STRING, "'5720'"),
        ),
        ("code",),
    )
    ledger = SetSpec(
        "itemLedgerEntries",
        "itemLedgerEntry",
        "item_ledger_entries",
        "",
        (
            calc("id", EDM_GUID, "erpsim_guid('itemLedgerEntry', t.entry_no)"),
            Prop("entryNumber", EDM_INT, "t.entry_no", source="entry_no"),
            col("itemNumber", "item_no"),
            col("postingDate", "posting_date", EDM_DATE),
            enum(
                "entryType",
                "itemLedgerEntryType",
                "CASE t.entry_type WHEN 'Sale' THEN 'Sale' WHEN 'Purchase' THEN 'Purchase'"
                " WHEN 'Return' THEN 'Positive_x0020_Adjmt_x002E_' ELSE '_x0020_' END",
            ),
            calc(
                "sourceNumber",
                EDM_STRING,
                "ifnull((SELECT s.customer_no FROM sales_shipments s WHERE s.no = t.document_no),"
                " ifnull((SELECT m.customer_no FROM sales_credit_memos m"
                " WHERE m.no = t.document_no), ''))",
            ),
            enum(
                "sourceType",
                "analysisSourceType",
                "CASE WHEN t.entry_type IN ('Sale', 'Return') THEN 'Customer'"
                " WHEN t.entry_type = 'Purchase' THEN 'Vendor' ELSE '_x0020_' END",
            ),
            col("documentNumber", "document_no"),
            enum(
                "documentType",
                "itemLedgerDocumentType",
                "CASE t.entry_type WHEN 'Sale' THEN 'Sales_x0020_Shipment'"
                " WHEN 'Purchase' THEN 'Purchase_x0020_Receipt'"
                " WHEN 'Return' THEN 'Sales_x0020_Credit_x0020_Memo' ELSE '_x0020_' END",
            ),
            calc(
                "description",
                EDM_STRING,
                "ifnull((SELECT i.display_name FROM items i WHERE i.no = t.item_no), '')",
            ),
            col("quantity", "quantity", EDM_DECIMAL),
            calc(
                "salesAmountActual",
                EDM_DECIMAL,
                "CASE WHEN t.entry_type = 'Sale' THEN round(-t.quantity * ifnull((SELECT"
                " i.unit_price FROM items i WHERE i.no = t.item_no), 0), 2) ELSE 0.0 END",
            ),
            calc(
                "costAmountActual",
                EDM_DECIMAL,
                "round(t.quantity * ifnull((SELECT i.unit_cost FROM items i"
                " WHERE i.no = t.item_no), 0), 2)",
            ),
            stamp(),
            ext("locationCode", "location_code"),
        ),
        ("entryNumber",),
    )
    exchange_rates = SetSpec(
        "currencyExchangeRates",
        "currencyExchangeRate",
        "currency_exchange_rates",
        "",
        (
            calc(
                "id",
                EDM_GUID,
                "erpsim_guid('currencyExchangeRate', t.currency_code || '/' || t.starting_date)",
            ),
            col("currencyCode", "currency_code"),
            col("startingDate", "starting_date", EDM_DATE),
            col("exchangeRateAmount", "exchange_rate_amount", EDM_DECIMAL),
            calc("relationalCurrencyCode", EDM_STRING, "''"),
            col("relationalExchangeRateAmount", "relational_exch_rate_amount", EDM_DECIMAL),
            stamp(),
        ),
        ("currencyCode", "startingDate"),
    )
    company_information = SetSpec(
        "companyInformation",
        "companyInformation",
        COMPANY_INFORMATION,
        "",
        (
            calc("id", EDM_GUID, "t.id"),
            Prop("displayName", EDM_STRING, "t.display_name", source="display_name"),
            calc("addressLine1", EDM_STRING, "t.address_line1"),
            blank("addressLine2"),
            calc("city", EDM_STRING, "t.city"),
            blank("state"),
            calc("country", EDM_STRING, "t.country"),
            calc("postalCode", EDM_STRING, "t.postal_code"),
            calc("phoneNumber", EDM_STRING, "t.phone_number"),
            blank("faxNumber"),
            calc("email", EDM_STRING, "t.email"),
            calc("website", EDM_STRING, "t.website"),
            calc("taxRegistrationNumber", EDM_STRING, "t.tax_registration_number"),
            calc("currencyCode", EDM_STRING, f"'{LCY}'"),
            calc("currentFiscalYearStartDate", EDM_DATE, "t.fiscal_year_start"),
            calc("industry", EDM_STRING, "'Wholesale'"),
            Prop("picture", EDM_STREAM, "NULL"),
            calc("experience", EDM_STRING, "'Essential'"),
            stamp(),
        ),
        ("id",),
    )
    return (
        company_information,
        currencies,
        exchange_rates,
        payment_terms,
        payment_methods,
        shipment_methods,
        countries,
        uom,
        categories,
        locations,
        salespeople,
        items,
        variants,
        customers,
        financial,
        contacts,
        quotes,
        quote_lines,
        orders,
        order_lines,
        shipments,
        shipment_lines,
        invoices,
        invoice_lines,
        memos,
        memo_lines,
        journals,
        payments,
        ledger,
    )


_HEADER_REFS = (
    Ref("customer", "customers", "customerId"),
    Ref("currency", "currencies", "currencyId"),
    Ref("paymentTerm", "paymentTerms", "paymentTermsId"),
    Ref("shipmentMethod", "shipmentMethods", "shipmentMethodId"),
)
_LINE_REFS = (
    Ref("item", "items", "itemId"),
    Ref("unitOfMeasure", "unitsOfMeasure", "unitOfMeasureId"),
    Ref("location", "locations", "locationId"),
)
# BC's navigation properties between the sets served here (as its $metadata names them).
REFS: dict[str, tuple[Ref, ...]] = {
    "items": (
        Ref("itemCategory", "itemCategories", "itemCategoryId"),
        Ref("unitOfMeasure", "unitsOfMeasure", "baseUnitOfMeasureId"),
        Ref("itemVariants", "itemVariants", "id", "itemId", single=False),
    ),
    "itemVariants": (Ref("item", "items", "itemId"),),
    "customers": (
        Ref("currency", "currencies", "currencyId"),
        Ref("paymentTerm", "paymentTerms", "paymentTermsId"),
        Ref("shipmentMethod", "shipmentMethods", "shipmentMethodId"),
        Ref("paymentMethod", "paymentMethods", "paymentMethodId"),
        Ref("customerFinancialDetail", "customerFinancialDetails", "id"),
    ),
    "customerFinancialDetails": (Ref("customer", "customers", "id"),),
    "salesQuotes": _HEADER_REFS,
    "salesOrders": _HEADER_REFS,
    "salesInvoices": _HEADER_REFS,
    "salesCreditMemos": _HEADER_REFS,
    "salesShipments": (Ref("customer", "customers", "customerId"),),
    "salesQuoteLines": (Ref("salesQuote", "salesQuotes", "documentId"), *_LINE_REFS),
    "salesOrderLines": (Ref("salesOrder", "salesOrders", "documentId"), *_LINE_REFS),
    "salesInvoiceLines": (Ref("salesInvoice", "salesInvoices", "documentId"), *_LINE_REFS),
    "salesCreditMemoLines": (
        Ref("salesCreditMemo", "salesCreditMemos", "documentId"),
        *_LINE_REFS,
    ),
    "salesShipmentLines": (Ref("salesShipment", "salesShipments", "documentId"),),
    "customerPayments": (
        Ref("customerPaymentJournal", "customerPaymentJournals", "journalId"),
        Ref("customer", "customers", "customerId"),
    ),
    "customerPaymentJournals": (
        Ref("customerPayments", "customerPayments", "id", "journalId", single=False),
    ),
}
BC_SETS: dict[str, SetSpec] = {
    spec.name: dataclasses.replace(spec, refs=REFS.get(spec.name, ())) for spec in _sets()
}


def view_sql(spec: SetSpec) -> str:
    columns = [f'{p.sql} AS "{p.name}"' for p in spec.props]
    columns += [f'{sql} AS "{name}"' for name, sql in spec.hidden]
    return (
        f"CREATE TEMP VIEW IF NOT EXISTS {spec.view} AS SELECT {', '.join(columns)}"
        f" FROM {spec.table} t{spec.joins}"
    )


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the views call (per connection)."""
    conn.create_function(
        "erpsim_guid", 2, lambda kind, key: stable_guid(str(kind), str(key)), deterministic=True
    )


def install(conn: sqlite3.Connection, company_id: str) -> None:
    """Create the BC views on `conn` (TEMP: nothing is written to the dataset). Needs
    ``erpsim_document_extras`` in the database (`prepare` makes it); without it (a dataset
    never served) the views read blank extras."""
    register_functions(conn)
    has_extras = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'erpsim_document_extras'"
    ).fetchone()
    if not has_extras:
        conn.execute(EXTRAS_DDL.replace("CREATE TABLE", "CREATE TEMP TABLE"))
    for spec in BC_SETS.values():
        conn.execute(view_sql(spec).replace("{company_id}", company_id))


def prepare(conn: sqlite3.Connection) -> None:
    """What the writer adds to a dataset once: the document extras table."""
    conn.execute(EXTRAS_DDL)
