"""Write bodies as Business Central takes them: sales quote and order headers and lines,
line changes, new customers, items and contacts.

Bodies use BC's property names (those of `bc_sets`). A property BC's set has but a
connector may not set (amounts, ids, status, number...) is a 400 ``read_only_field``, as
BC refuses it; a name the set does not have is a 400 ``unknown_field``. References are
resolved here (numbers or SystemIds: the customer, item, unit, currency, payment terms,
shipment method); whether the ERP accepts them (blocked, credit limit, prices) is the
writer's and the pricing engine's decision. Header properties the history has no column
for go to ``erpsim_document_extras`` (see `bc_sets.EXTRA_COLUMNS`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from simulator.erp.world.editing import LineEntry
from simulator.erp_server.bc_sets import LCY, stable_guid
from simulator.erp_server.entities import ENTITY_SETS
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.reads import ReadStore

__all__ = [
    "DOCUMENT_SETS",
    "DocumentBody",
    "DocumentSet",
    "HeaderBody",
    "LineBody",
    "LineChange",
    "MasterBody",
    "parse_document",
    "parse_line",
    "parse_line_change",
    "parse_master",
]

MAX_LINES = 500
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
SHIPMENT_METHODS = ("EXW", "DAP", "PICKUP")  # bc_sets' shipmentMethods
CHANNELS = ("web", "edi", "phone", "email", "sales_rep")


@dataclass(frozen=True, slots=True)
class DocumentSet:
    """A sales document kind as the API shows it."""

    kind: str  # 'order' | 'quote'
    name: str  # header set
    lines: str  # line set
    table: str
    line_table: str
    date_field: str  # orderDate | documentDate


DOCUMENT_SETS = {
    "order": DocumentSet(
        "order", "salesOrders", "salesOrderLines", "sales_orders", "sales_order_lines", "orderDate"
    ),
    "quote": DocumentSet(
        "quote",
        "salesQuotes",
        "salesQuoteLines",
        "sales_quotes",
        "sales_quote_lines",
        "documentDate",
    ),
    "invoice": DocumentSet(
        "invoice",
        "salesInvoices",
        "salesInvoiceLines",
        "sales_invoices",
        "sales_invoice_lines",
        "invoiceDate",
    ),
}
# Header properties a create may set, -> erpsim_document_extras column (None: handled apart).
EXTRA_FIELDS = {
    "externalDocumentNumber": ("external_document_number", 35),
    "shipToName": ("ship_to_name", 100),
    "shipToContact": ("ship_to_contact", 100),
    "shipToAddressLine1": ("ship_to_address_line1", 100),
    "shipToAddressLine2": ("ship_to_address_line2", 50),
    "shipToCity": ("ship_to_city", 30),
    "shipToCountry": ("ship_to_country", 10),
    "shipToState": ("ship_to_state", 30),
    "shipToPostCode": ("ship_to_post_code", 20),
    "phoneNumber": ("phone_number", 30),
    "email": ("email", 80),
}
HEADER_FIELDS = frozenset(
    {
        *EXTRA_FIELDS,
        "customerId",
        "customerNumber",
        "requestedDeliveryDate",
        "currencyId",
        "currencyCode",
        "salesperson",
        "shipmentMethodId",
        "paymentTermsId",
        "contactNumber",
        "channel",
    }
)
KIND_FIELDS = {
    "order": HEADER_FIELDS | {"orderDate", "partialShipping", "pricesIncludeTax"},
    "quote": HEADER_FIELDS | {"documentDate"},
    # a draft invoice: no delivery date, contact or channel in BC's salesInvoice
    "invoice": HEADER_FIELDS - {"requestedDeliveryDate", "contactNumber", "channel"}
    | {"invoiceDate", "pricesIncludeTax"},
}
LINE_FIELDS = frozenset(
    {
        "lineType",
        "lineObjectNumber",
        "itemId",
        "itemNumber",
        "quantity",
        "unitOfMeasureCode",
        "unitOfMeasureId",
        "unitPrice",
        "discountPercent",
        "description",
        "sequence",
    }
)
LINE_CHANGE_FIELDS = frozenset(
    {
        "quantity",
        "unitOfMeasureCode",
        "unitOfMeasureId",
        "unitPrice",
        "discountPercent",
        "description",
    }
)


@dataclass(frozen=True, slots=True)
class HeaderBody:
    customer_no: str
    contact_no: str = ""
    channel: str = "web"
    document_date: str | None = None  # orderDate / documentDate
    requested_delivery_date: str | None = None
    salesperson: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # erpsim_document_extras columns


@dataclass(frozen=True, slots=True)
class LineBody:
    entry: LineEntry
    sequence: int | None = None


@dataclass(frozen=True, slots=True)
class DocumentBody:
    header: HeaderBody
    lines: tuple[LineBody, ...]


@dataclass(frozen=True, slots=True)
class LineChange:
    """What a PATCH of a line sets (None: unchanged)."""

    quantity: float | None = None
    unit: str | None = None
    unit_price: float | None = None
    discount_pct: float | None = None


@dataclass(frozen=True, slots=True)
class MasterBody:
    """A new customer, item or contact: `number` (None: the next of its series) and the
    table's columns it sets."""

    entity_set: str
    number: str | None
    columns: dict[str, Any]


# --- small validators ---------------------------------------------------------------------
def text(body: dict[str, Any], name: str, limit: int = 50, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ODataError(400, "missing_field", f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ODataError(400, "invalid_value", f"{name} must be a text of at most {limit} chars")
    return value


def number(body: dict[str, Any], name: str, *, low: float = 0.0, high: float = 1e9) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ODataError(400, "invalid_value", f"{name} must be a number")
    if not low <= value <= high:
        raise ODataError(400, "invalid_value", f"{name} must be between {low:g} and {high:g}")
    return float(value)


def date(body: dict[str, Any], name: str) -> str | None:
    value = text(body, name, limit=10)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ODataError(400, "invalid_value", f"{name} must be YYYY-MM-DD") from None


def boolean(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ODataError(400, "invalid_value", f"{name} must be true or false")
    return value


def guid(body: dict[str, Any], name: str) -> str | None:
    value = text(body, name, limit=36)
    return None if value is None else value.lower()


def check_names(
    body: dict[str, Any], allowed: frozenset[str], entity_set: str, where: str = ""
) -> None:
    """400 for a property the set does not have, or one a connector may not set."""
    known = ENTITY_SETS[entity_set].by_name
    for name, value in body.items():
        if name.startswith("@") or name in allowed:
            continue
        if name in known and value is None:
            continue  # generated clients send every property, null where unset: no change
        if name in known:
            raise ODataError(400, "read_only_field", f"{where}{name} is read-only in {entity_set}")
        raise ODataError(400, "unknown_field", f"{where}unknown field {name!r}")


def _reference(
    store: ReadStore,
    body: dict[str, Any],
    numbers: tuple[str, ...],
    ident: str,
    table: str,
    what: str,
) -> str | None:
    """A customer or item given by number (any of `numbers`) or SystemId, as its number."""
    given = {text(body, name) for name in numbers} - {None}
    if len(given) > 1:
        raise ODataError(400, "invalid_value", f"{' and '.join(numbers)} name different {what}s")
    no = given.pop() if given else None
    system_id = guid(body, ident)
    if system_id is not None:
        found = store.lookup(table, "id", system_id, "no")
        if found is None:
            raise ODataError(400, f"{what}_not_found", f"no {what} with id {system_id!r}")
        if no is not None and no != found:
            raise ODataError(
                400, "invalid_value", f"{numbers[0]} and {ident} name different {what}s"
            )
        return str(found)
    return no


# --- documents ---------------------------------------------------------------------------
def parse_document(store: ReadStore, kind: str, body: dict[str, Any]) -> DocumentBody:
    """A create body: the header and its lines (deep insert; none makes an empty draft)."""
    spec = DOCUMENT_SETS[kind]
    allowed = KIND_FIELDS[kind] | {spec.lines}
    check_names(body, allowed, spec.name)
    header = parse_header(store, kind, body)
    raw_lines = body.get(spec.lines, [])
    if not isinstance(raw_lines, list):
        raise ODataError(400, "invalid_value", f"{spec.lines} must be a list of lines")
    if len(raw_lines) > MAX_LINES:
        raise ODataError(400, "too_many_lines", f"at most {MAX_LINES} lines per document")
    lines = []
    for n, line in enumerate(raw_lines, start=1):
        if not isinstance(line, dict):
            raise ODataError(400, "invalid_value", f"line {n} must be an object")
        lines.append(parse_line(store, kind, line, where=f"line {n}: "))
    return DocumentBody(header, tuple(lines))


def parse_header(store: ReadStore, kind: str, body: dict[str, Any]) -> HeaderBody:
    customer = _reference(store, body, ("customerNumber",), "customerId", "customers", "customer")
    if customer is None:
        raise ODataError(400, "missing_field", "customerNumber (or customerId) is required")
    found = store.conn.execute(
        "SELECT currency_code, payment_terms_code FROM customers WHERE no = ?", (customer,)
    ).fetchone()
    if found is None:
        raise ODataError(400, "customer_not_found", f"no customer {customer!r}")
    currency, terms = found
    code = text(body, "currencyCode", 10)
    if code is not None and (code if code != LCY else "") != currency:
        raise ODataError(
            400,
            "currency_mismatch",
            f"customer {customer} is invoiced in {currency or LCY}, not {code or LCY}",
        )
    currency_id = guid(body, "currencyId")
    if currency_id is not None and currency_id not in _guids("currency", currency, LCY):
        raise ODataError(
            400, "currency_mismatch", f"currencyId is not customer {customer}'s currency"
        )
    terms_id = guid(body, "paymentTermsId")
    if terms_id is not None and terms_id not in _guids("paymentTerm", terms):
        raise ODataError(
            400,
            "payment_terms_mismatch",
            f"paymentTermsId is not customer {customer}'s payment terms ({terms})",
        )
    contact = text(body, "contactNumber") or ""
    if contact and store.lookup("contacts", "no", contact, "customer_no") != customer:
        raise ODataError(400, "invalid_contact", f"contact {contact!r} is not one of {customer}'s")
    channel = text(body, "channel") or "web"
    if channel not in CHANNELS:
        raise ODataError(400, "invalid_value", f"channel must be one of {', '.join(CHANNELS)}")
    salesperson = text(body, "salesperson", 20)
    if salesperson and store.lookup("salespeople", "code", salesperson, "code") is None:
        raise ODataError(400, "salesperson_not_found", f"no salesperson {salesperson!r}")
    extras: dict[str, Any] = {}
    for name, (column, limit) in EXTRA_FIELDS.items():
        value = text(body, name, limit)
        if value is not None:
            extras[column] = value
    method = guid(body, "shipmentMethodId")
    if method is not None:
        codes = {stable_guid("shipmentMethod", c): c for c in SHIPMENT_METHODS}
        if method != EMPTY_GUID and method not in codes:
            raise ODataError(400, "shipment_method_not_found", f"no shipment method {method!r}")
        extras["shipment_method_code"] = codes.get(method, "")
    if boolean(body, "pricesIncludeTax"):  # false, the ERP's setting, is what connectors send
        raise ODataError(400, "invalid_value", "pricesIncludeTax: prices exclude tax here")
    partial = boolean(body, "partialShipping")
    if partial is not None:
        extras["partial_shipping"] = int(partial)
    return HeaderBody(
        customer_no=customer,
        contact_no=contact,
        channel=channel,
        document_date=date(body, DOCUMENT_SETS[kind].date_field),
        requested_delivery_date=date(body, "requestedDeliveryDate"),
        salesperson=salesperson,
        extras=extras,
    )


def _guids(kind: str, code: str, lcy: str = "") -> set[str]:
    """The SystemIds a reference may be given as (the empty GUID for a blank code)."""
    if not code:
        return {EMPTY_GUID, *([stable_guid(kind, lcy)] if lcy else [])}
    return {stable_guid(kind, code)}


def parse_line(store: ReadStore, kind: str, line: dict[str, Any], where: str = "") -> LineBody:
    """A new line (BC's line properties; only item lines)."""
    check_names(line, LINE_FIELDS, DOCUMENT_SETS[kind].lines, where)
    line_type = text(line, "lineType", 40)
    if line_type not in (None, "Item"):
        raise ODataError(
            400,
            "unsupported_line_type",
            f"{where}lineType {line_type!r}: the ERP takes item lines only",
        )
    item = _reference(store, line, ("lineObjectNumber", "itemNumber"), "itemId", "items", "item")
    if item is None:
        raise ODataError(400, "missing_field", f"{where}lineObjectNumber (or itemId) is required")
    text(line, "description", 100)
    quantity = line.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int | float):
        raise ODataError(400, "invalid_value", f"{where}quantity must be a number")
    if not math.isfinite(quantity) or quantity <= 0 or quantity > 1e9:
        raise ODataError(400, "invalid_quantity", f"{where}quantity must be > 0")
    sequence = line.get("sequence")
    if sequence is not None and (
        isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 < sequence < 2**31
    ):
        raise ODataError(400, "invalid_value", f"{where}sequence must be a positive integer")
    entry = LineEntry(
        item,
        _unit(store, item, line, where) or "",
        float(quantity),
        number(line, "unitPrice"),
        number(line, "discountPercent", high=100.0),
    )
    return LineBody(entry, sequence)


def parse_line_change(
    store: ReadStore, kind: str, item_no: str, body: dict[str, Any]
) -> LineChange:
    check_names(body, LINE_CHANGE_FIELDS, DOCUMENT_SETS[kind].lines)
    text(body, "description", 100)
    quantity = number(body, "quantity", high=1e9)
    if quantity is not None and quantity <= 0:
        raise ODataError(400, "invalid_quantity", "quantity must be > 0")
    return LineChange(
        quantity,
        _unit(store, item_no, body, ""),
        number(body, "unitPrice"),
        number(body, "discountPercent", high=100.0),
    )


def _unit(store: ReadStore, item_no: str, line: dict[str, Any], where: str) -> str | None:
    """unitOfMeasureCode, or the code of unitOfMeasureId among the item's units."""
    code = text(line, "unitOfMeasureCode", 10)
    unit_id = guid(line, "unitOfMeasureId")
    if unit_id is None:
        return code
    codes = [
        c
        for (c,) in store.conn.execute(
            "SELECT code FROM item_units_of_measure WHERE item_no = ?"
            " UNION SELECT base_unit_of_measure FROM items WHERE no = ?",
            (item_no, item_no),
        )
    ]
    by_id = {stable_guid("unitOfMeasure", c): c for c in codes}
    if unit_id not in by_id:
        raise ODataError(
            422, "unit_not_defined", f"{where}item {item_no!r} has no unit with id {unit_id!r}"
        )
    if code is not None and code != by_id[unit_id]:
        raise ODataError(
            400, "invalid_value", f"{where}unitOfMeasureCode and unitOfMeasureId differ"
        )
    return by_id[unit_id]


# --- master data -------------------------------------------------------------------------
BLOCKED_CUSTOMER = {"_x0020_": "", "": "", "Ship": "Ship", "Invoice": "Invoice", "All": "All"}
CUSTOMER_FIELDS = {
    # BC property -> (column, limit)
    "addressLine1": ("address", 100),
    "city": ("city", 30),
    "postalCode": ("post_code", 20),
    "country": ("country_code", 10),
    "phoneNumber": ("phone_no", 30),
    "email": ("email", 80),
    "salespersonCode": ("salesperson_code", 20),
}
CONTACT_FIELDS = {
    "jobTitle": ("job_title", 30),
    "email": ("email", 80),
    "phoneNumber": ("phone_no", 30),
    "firstName": ("first_name", 30),
    "surname": ("surname", 30),
    "customerNumber": ("customer_no", 20),
    "role": ("role", 20),
}


def parse_master(store: ReadStore, entity_set: str, body: dict[str, Any]) -> MasterBody:
    """A create body for customers, items or contacts: `displayName` is required, the
    number optional (the next of the series); what is not given is defaulted by the
    writer as BC's templates would."""
    parse = {"customers": _customer, "items": _item, "contacts": _contact}[entity_set]
    number_ = text(body, "number", 20)
    if number_ is not None and not number_.strip():
        raise ODataError(400, "invalid_value", "number must not be blank")
    display = text(body, "displayName", 100, required=True)
    assert display is not None
    if not display.strip():
        raise ODataError(400, "invalid_value", "displayName must not be blank")
    columns = parse(store, body, display)
    return MasterBody(entity_set, number_, columns)


def _customer(store: ReadStore, body: dict[str, Any], display: str) -> dict[str, Any]:
    allowed = {
        "number",
        "displayName",
        *CUSTOMER_FIELDS,
        "currencyCode",
        "currencyId",
        "paymentTermsId",
        "creditLimit",
        "blocked",
        "type",
        "addressLine2",
        "state",
        "website",
        "taxLiable",
        "locationCode",
        "customerPriceGroup",
        "customerDiscGroup",
        "segment",
        "paymentTermsCode",
    }
    check_names(body, frozenset(allowed), "customers")
    if body.get("type") not in (None, "Company"):
        raise ODataError(400, "invalid_value", "type must be Company (the ERP sells to companies)")
    columns: dict[str, Any] = {"name": display}
    for name, (column, limit) in CUSTOMER_FIELDS.items():
        value = text(body, name, limit)
        if value is not None:
            columns[column] = value
    for name, column in (
        ("locationCode", "location_code"),
        ("customerPriceGroup", "customer_price_group"),
        ("customerDiscGroup", "customer_disc_group"),
        ("segment", "segment"),
        ("paymentTermsCode", "payment_terms_code"),
    ):
        value = text(body, name, 20)
        if value is not None:
            columns[column] = value
    code = text(body, "currencyCode", 10)
    currency_id = guid(body, "currencyId")
    if currency_id is not None:
        codes = {
            stable_guid("currency", c): c
            for (c,) in store.conn.execute("SELECT code FROM currencies")
        }
        codes[EMPTY_GUID] = ""
        if currency_id not in codes:
            raise ODataError(400, "currency_not_found", f"no currency with id {currency_id!r}")
        code = codes[currency_id]
    if code is not None:
        code = "" if code == LCY else code
        if code and store.lookup("currencies", "code", code, "code") is None:
            raise ODataError(400, "currency_not_found", f"no currency {code!r}")
        columns["currency_code"] = code
    terms_id = guid(body, "paymentTermsId")
    if terms_id is not None:
        codes = {
            stable_guid("paymentTerm", c): c
            for (c,) in store.conn.execute("SELECT code FROM payment_terms")
        }
        if terms_id not in codes:
            raise ODataError(400, "payment_terms_not_found", f"no payment terms {terms_id!r}")
        columns["payment_terms_code"] = codes[terms_id]
    limit = number(body, "creditLimit")
    if limit is not None:
        columns["credit_limit"] = limit
    blocked = body.get("blocked")
    if blocked is not None:
        if blocked not in BLOCKED_CUSTOMER:
            raise ODataError(400, "invalid_value", "blocked must be _x0020_, Ship, Invoice or All")
        columns["blocked"] = BLOCKED_CUSTOMER[blocked]
    return columns


def _item(store: ReadStore, body: dict[str, Any], display: str) -> dict[str, Any]:
    allowed = {
        "number",
        "displayName",
        "type",
        "itemCategoryId",
        "itemCategoryCode",
        "blocked",
        "gtin",
        "unitPrice",
        "unitCost",
        "baseUnitOfMeasureId",
        "baseUnitOfMeasureCode",
        "grossWeight",
        "itemDiscGroup",
        "priceIncludesTax",
        "displayName2",
    }
    check_names(body, frozenset(allowed), "items")
    if body.get("type") not in (None, "Inventory"):
        raise ODataError(400, "invalid_value", "type must be Inventory (the ERP stocks goods)")
    if body.get("priceIncludesTax") is True:
        raise ODataError(400, "invalid_value", "prices exclude tax in this ERP")
    columns: dict[str, Any] = {"display_name": display}
    category = text(body, "itemCategoryCode", 20)
    category_id = guid(body, "itemCategoryId")
    if category_id is not None:
        found = store.lookup("item_categories", "id", category_id, "code")
        if found is None or (category is not None and category != found):
            raise ODataError(400, "item_category_not_found", f"no item category {category_id!r}")
        category = found
    if category is not None:
        if store.lookup("item_categories", "code", category, "code") is None:
            raise ODataError(400, "item_category_not_found", f"no item category {category!r}")
        columns["item_category_code"] = category
    unit = text(body, "baseUnitOfMeasureCode", 10)
    unit_id = guid(body, "baseUnitOfMeasureId")
    if unit_id is not None:
        codes = {
            stable_guid("unitOfMeasure", c): c
            for (c,) in store.conn.execute("SELECT DISTINCT code FROM item_units_of_measure")
        }
        if unit_id not in codes or (unit is not None and unit != codes[unit_id]):
            raise ODataError(400, "unit_not_found", f"no unit of measure {unit_id!r}")
        unit = codes[unit_id]
    if unit is not None:
        columns["base_unit_of_measure"] = unit
    for name, column in (
        ("unitPrice", "unit_price"),
        ("unitCost", "unit_cost"),
        ("grossWeight", "gross_weight"),
    ):
        value = number(body, name)
        if value is not None:
            columns[column] = value
    for name, column, limit in (("gtin", "gtin", 14), ("itemDiscGroup", "item_disc_group", 20)):
        value = text(body, name, limit)
        if value is not None:
            columns[column] = value
    blocked = boolean(body, "blocked")
    if blocked is not None:
        columns["blocked"] = int(blocked)
    return columns


def _contact(store: ReadStore, body: dict[str, Any], display: str) -> dict[str, Any]:
    allowed = {"number", "displayName", "type", *CONTACT_FIELDS}
    check_names(body, frozenset(allowed), "contacts")
    if body.get("type") not in (None, "Person"):
        raise ODataError(400, "invalid_value", "type must be Person (companies are customers)")
    first, _, last = display.strip().partition(" ")
    columns: dict[str, Any] = {"first_name": first, "surname": last.strip()}
    for name, (column, limit) in CONTACT_FIELDS.items():
        value = text(body, name, limit)
        if value is not None:
            columns[column] = value
    customer = columns.get("customer_no")
    if customer and store.lookup("customers", "no", customer, "no") is None:
        raise ODataError(400, "customer_not_found", f"no customer {customer!r}")
    if columns.get("role", "buyer") not in ("buyer", "ap_clerk"):
        raise ODataError(400, "invalid_value", "role must be buyer or ap_clerk")
    return columns
