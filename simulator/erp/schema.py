"""The ERP database schema, shaped after Dynamics 365 Business Central.

One SQLite file holds one company. Tables are ``WITHOUT ROWID`` so that each table *is* its
primary-key B-tree: reading it in key order (for the content digest, exports and delta reads)
costs no index lookups. Column names are Business Central field names in snake_case; the mock
ERP API maps them to BC's camelCase. Blank codes are ``''`` as in BC (a blank currency code is
the local currency, a blank unit of measure on a price line is the item's base unit); absent
dates are ``NULL`` (BC's ``0D``). Dates are ISO ``YYYY-MM-DD`` text, timestamps ISO UTC text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A table: its name, columns in canonical order, primary key, and partitioning."""

    name: str
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    ddl: str
    indexes: tuple[str, ...] = ()

    @property
    def order_by(self) -> str:
        return ", ".join(self.primary_key)


def _table(
    name: str,
    body: str,
    primary_key: tuple[str, ...],
    *,
    indexes: tuple[tuple[str, str], ...] = (),
) -> Table:
    lines = [line.strip().rstrip(",") for line in body.strip().splitlines()]
    columns = tuple(line.split()[0] for line in lines if line)
    ddl = (
        f"CREATE TABLE {name} (\n    "
        + ",\n    ".join(line for line in lines if line)
        + f",\n    PRIMARY KEY ({', '.join(primary_key)})\n) WITHOUT ROWID"
    )
    index_ddl = tuple(
        f"CREATE INDEX IF NOT EXISTS {index} ON {name} ({columns_})" for index, columns_ in indexes
    )
    return Table(name, columns, primary_key, ddl, index_ddl)


LAST_MODIFIED = "last_modified_date_time TEXT NOT NULL"

CURRENCIES = _table(
    "currencies",
    f"""
    code TEXT NOT NULL
    description TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

# Business Central's exchange rate: `exchange_rate_amount` units of the currency equal
# `relational_exch_rate_amount` units of local currency, from `starting_date` on.
CURRENCY_EXCHANGE_RATES = _table(
    "currency_exchange_rates",
    f"""
    currency_code TEXT NOT NULL
    starting_date TEXT NOT NULL
    exchange_rate_amount REAL NOT NULL
    relational_exch_rate_amount REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("currency_code", "starting_date"),
)

PAYMENT_TERMS = _table(
    "payment_terms",
    f"""
    code TEXT NOT NULL
    description TEXT NOT NULL
    due_days INTEGER NOT NULL
    discount_days INTEGER NOT NULL
    discount_pct REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

UNITS_OF_MEASURE = _table(
    "units_of_measure",
    f"""
    code TEXT NOT NULL
    description TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

CUSTOMER_PRICE_GROUPS = _table(
    "customer_price_groups",
    f"""
    code TEXT NOT NULL
    description TEXT NOT NULL
    allow_line_disc INTEGER NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

CUSTOMER_DISCOUNT_GROUPS = _table(
    "customer_discount_groups",
    f"""
    code TEXT NOT NULL
    description TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

ITEM_DISCOUNT_GROUPS = _table(
    "item_discount_groups",
    f"""
    code TEXT NOT NULL
    description TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

# A tree: `parent_code` is '' for the top level; `level` is 1 for the top.
ITEM_CATEGORIES = _table(
    "item_categories",
    f"""
    code TEXT NOT NULL
    id TEXT NOT NULL
    parent_code TEXT NOT NULL
    display_name TEXT NOT NULL
    level INTEGER NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

LOCATIONS = _table(
    "locations",
    f"""
    code TEXT NOT NULL
    id TEXT NOT NULL
    display_name TEXT NOT NULL
    city TEXT NOT NULL
    country_code TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

SALESPEOPLE = _table(
    "salespeople",
    f"""
    code TEXT NOT NULL
    id TEXT NOT NULL
    name TEXT NOT NULL
    email TEXT NOT NULL
    phone_no TEXT NOT NULL
    commission_pct REAL NOT NULL
    key_account_manager INTEGER NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

# `popularity` is the item's relative demand weight (sums to 1 over the catalog): the history
# simulation and preferred-item draws read it. `blocked` is 0/1.
ITEMS = _table(
    "items",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    display_name TEXT NOT NULL
    item_category_code TEXT NOT NULL
    base_unit_of_measure TEXT NOT NULL
    unit_price REAL NOT NULL
    unit_cost REAL NOT NULL
    gtin TEXT NOT NULL
    gross_weight REAL NOT NULL
    item_disc_group TEXT NOT NULL
    blocked INTEGER NOT NULL
    popularity REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(("items_category", "item_category_code"),),
)

# Every item has a row for its base unit (qty 1) and one per alternative unit.
ITEM_UNITS_OF_MEASURE = _table(
    "item_units_of_measure",
    f"""
    item_no TEXT NOT NULL
    code TEXT NOT NULL
    qty_per_unit_of_measure REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("item_no", "code"),
)

# Stock per item x location, in base units, with the replenishment policy the world uses.
# `opening_inventory` is the stock at the dataset's snapshot; `inventory` = opening + the sum
# of the item's ledger entries at that location (receipts, shipments, returns).
ITEM_STOCK = _table(
    "item_stock",
    f"""
    item_no TEXT NOT NULL
    location_code TEXT NOT NULL
    inventory REAL NOT NULL
    opening_inventory REAL NOT NULL
    reorder_point REAL NOT NULL
    maximum_inventory REAL NOT NULL
    lead_time_days INTEGER NOT NULL
    {LAST_MODIFIED}
    """,
    ("item_no", "location_code"),
)

# `blocked` is BC's option: '' (not blocked), 'Ship', 'Invoice' or 'All'. `location_code` is
# the warehouse that ships to the account.
# `annual_volume` (expected yearly revenue, local currency), `order_interval_days` and
# `avg_basket_lines` are the demand attributes the history simulation draws orders from;
# `payment_days_late` is the account's habit: mean days between due date and payment.
CUSTOMERS = _table(
    "customers",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    name TEXT NOT NULL
    address TEXT NOT NULL
    city TEXT NOT NULL
    post_code TEXT NOT NULL
    country_code TEXT NOT NULL
    phone_no TEXT NOT NULL
    email TEXT NOT NULL
    currency_code TEXT NOT NULL
    payment_terms_code TEXT NOT NULL
    credit_limit REAL NOT NULL
    customer_price_group TEXT NOT NULL
    customer_disc_group TEXT NOT NULL
    allow_line_disc INTEGER NOT NULL
    salesperson_code TEXT NOT NULL
    location_code TEXT NOT NULL
    key_account INTEGER NOT NULL
    segment TEXT NOT NULL
    blocked TEXT NOT NULL
    annual_volume REAL NOT NULL
    order_interval_days REAL NOT NULL
    avg_basket_lines REAL NOT NULL
    payment_days_late REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(("customers_salesperson", "salesperson_code"),),
)

# Buyers place orders; AP clerks ('ap_clerk') receive and pay invoices.
CONTACTS = _table(
    "contacts",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    customer_no TEXT NOT NULL
    first_name TEXT NOT NULL
    surname TEXT NOT NULL
    job_title TEXT NOT NULL
    role TEXT NOT NULL
    email TEXT NOT NULL UNIQUE
    phone_no TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(("contacts_customer", "customer_no"),),
)

# A customer's assortment: the level-2 item categories it buys from. The store shows only
# these; customer prices and preferred items are drawn only from them.
CUSTOMER_ASSORTMENT = _table(
    "customer_assortment",
    f"""
    customer_no TEXT NOT NULL
    item_category_code TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("customer_no", "item_category_code"),
)

# The repeat basket: the items a customer reorders, most frequent first, with its usual
# unit and quantity. The history simulation draws order lines from here.
CUSTOMER_PREFERRED_ITEMS = _table(
    "customer_preferred_items",
    f"""
    customer_no TEXT NOT NULL
    rank INTEGER NOT NULL
    item_no TEXT NOT NULL
    unit_of_measure_code TEXT NOT NULL
    typical_quantity REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("customer_no", "rank"),
)

# A campaign applies to customers of `target_segment` ('' = every customer) between its dates.
CAMPAIGNS = _table(
    "campaigns",
    f"""
    no TEXT NOT NULL
    description TEXT NOT NULL
    starting_date TEXT NOT NULL
    ending_date TEXT NOT NULL
    target_segment TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
)

# Price list headers. source_type is one of SOURCE_TYPES; amount_type 'Price' or 'Discount'.
PRICE_LISTS = _table(
    "price_lists",
    f"""
    code TEXT NOT NULL
    description TEXT NOT NULL
    source_type TEXT NOT NULL
    source_no TEXT NOT NULL
    currency_code TEXT NOT NULL
    starting_date TEXT
    ending_date TEXT
    amount_type TEXT NOT NULL
    status TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("code",),
)

# Price list lines carry their header's source, currency and (possibly narrower) dates, as in
# BC, and their own allow_line_disc and status (pricing reads the line, never the header or
# the price group). 'All Customers' lines have source_no ''. asset_type is 'Item' (asset_no =
# item no) or 'Item Discount Group' (asset_no = group).
# A 'Price' line sets unit_price (per unit_of_measure_code, or per base unit when that is '');
# a 'Discount' line sets line_discount_pct. minimum_quantity is in unit_of_measure_code, or in
# base units when that is ''.
PRICE_LIST_LINES = _table(
    "price_list_lines",
    f"""
    price_list_code TEXT NOT NULL
    line_no INTEGER NOT NULL
    source_type TEXT NOT NULL
    source_no TEXT NOT NULL
    asset_type TEXT NOT NULL
    asset_no TEXT NOT NULL
    unit_of_measure_code TEXT NOT NULL
    minimum_quantity REAL NOT NULL
    currency_code TEXT NOT NULL
    starting_date TEXT
    ending_date TEXT
    amount_type TEXT NOT NULL
    unit_price REAL NOT NULL
    line_discount_pct REAL NOT NULL
    allow_line_disc INTEGER NOT NULL
    status TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("price_list_code", "line_no"),
    indexes=(
        ("price_list_lines_asset", "asset_no, source_type, source_no"),
        ("price_list_lines_source", "source_type, source_no"),
    ),
)

SOURCE_ALL_CUSTOMERS = "All Customers"
SOURCE_CUSTOMER = "Customer"
SOURCE_PRICE_GROUP = "Customer Price Group"
SOURCE_DISC_GROUP = "Customer Disc. Group"
SOURCE_CAMPAIGN = "Campaign"
SOURCE_TYPES = (
    SOURCE_ALL_CUSTOMERS,
    SOURCE_CUSTOMER,
    SOURCE_PRICE_GROUP,
    SOURCE_DISC_GROUP,
    SOURCE_CAMPAIGN,
)
ASSET_ITEM = "Item"
ASSET_ITEM_DISC_GROUP = "Item Discount Group"
AMOUNT_PRICE = "Price"
AMOUNT_DISCOUNT = "Discount"
STATUS_ACTIVE = "Active"
STATUS_INACTIVE = "Inactive"

# ---- The world over time (simulated history and the live clock) -------------------------
# Documents carry BC's numbers (`no`) and SystemIds (`id`). Timestamps are ISO UTC text with
# seconds; business dates are ISO dates. Amounts are in the document's currency ('' = LCY),
# excluding VAT. `channel` is how a document reached us: 'phone', 'email', 'edi', 'sales_rep'
# or 'web'.

# Quote status: 'Open' (awaiting the customer), 'Accepted' (became order `order_no`),
# 'Expired'.
SALES_QUOTES = _table(
    "sales_quotes",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    customer_no TEXT NOT NULL
    contact_no TEXT NOT NULL
    document_date TEXT NOT NULL
    valid_until TEXT NOT NULL
    status TEXT NOT NULL
    order_no TEXT NOT NULL
    channel TEXT NOT NULL
    currency_code TEXT NOT NULL
    amount REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(("sales_quotes_customer", "customer_no"),),
)

DOCUMENT_LINE = """
    document_no TEXT NOT NULL
    line_no INTEGER NOT NULL
    item_no TEXT NOT NULL
    unit_of_measure_code TEXT NOT NULL
    quantity REAL NOT NULL
    unit_price REAL NOT NULL
    line_discount_pct REAL NOT NULL
    line_amount REAL NOT NULL
"""

SALES_QUOTE_LINES = _table(
    "sales_quote_lines",
    f"""{DOCUMENT_LINE}
    {LAST_MODIFIED}
    """,
    ("document_no", "line_no"),
)

# Order status: 'Pending Approval' (over the credit limit, waits for payments), 'Open',
# 'Released', 'Partially Shipped', 'Shipped', 'Invoiced'.
SALES_ORDERS = _table(
    "sales_orders",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    customer_no TEXT NOT NULL
    contact_no TEXT NOT NULL
    order_date TEXT NOT NULL
    requested_delivery_date TEXT NOT NULL
    status TEXT NOT NULL
    channel TEXT NOT NULL
    quote_no TEXT NOT NULL
    salesperson_code TEXT NOT NULL
    location_code TEXT NOT NULL
    currency_code TEXT NOT NULL
    amount REAL NOT NULL
    created_at TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(
        ("sales_orders_customer", "customer_no, order_date"),
        ("sales_orders_modified", "last_modified_date_time"),
    ),
)

# Each line remembers the price list lines that priced it (blank/0 when the item card did)
# and whether it came from the account's repeat basket.
SALES_ORDER_LINES = _table(
    "sales_order_lines",
    f"""{DOCUMENT_LINE}
    qty_per_unit_of_measure REAL NOT NULL
    quantity_shipped REAL NOT NULL
    quantity_invoiced REAL NOT NULL
    price_list_code TEXT NOT NULL
    price_line_no INTEGER NOT NULL
    discount_list_code TEXT NOT NULL
    discount_line_no INTEGER NOT NULL
    repeat_item INTEGER NOT NULL
    {LAST_MODIFIED}
    """,
    ("document_no", "line_no"),
    indexes=(("sales_order_lines_item", "item_no"),),
)

SALES_SHIPMENTS = _table(
    "sales_shipments",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    order_no TEXT NOT NULL
    customer_no TEXT NOT NULL
    shipment_date TEXT NOT NULL
    location_code TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(("sales_shipments_order", "order_no"),),
)

# Quantities in the order line's unit; `quantity_base` in the item's base unit.
SALES_SHIPMENT_LINES = _table(
    "sales_shipment_lines",
    f"""
    document_no TEXT NOT NULL
    line_no INTEGER NOT NULL
    order_no TEXT NOT NULL
    order_line_no INTEGER NOT NULL
    item_no TEXT NOT NULL
    unit_of_measure_code TEXT NOT NULL
    quantity REAL NOT NULL
    quantity_base REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("document_no", "line_no"),
)

# One invoice per shipment. Status 'Open' or 'Paid'; `remaining_amount` is what is unpaid.
SALES_INVOICES = _table(
    "sales_invoices",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    order_no TEXT NOT NULL
    shipment_no TEXT NOT NULL
    customer_no TEXT NOT NULL
    posting_date TEXT NOT NULL
    due_date TEXT NOT NULL
    currency_code TEXT NOT NULL
    amount REAL NOT NULL
    remaining_amount REAL NOT NULL
    status TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(("sales_invoices_customer", "customer_no, posting_date"),),
)

SALES_INVOICE_LINES = _table(
    "sales_invoice_lines",
    f"""{DOCUMENT_LINE}
    shipment_no TEXT NOT NULL
    shipment_line_no INTEGER NOT NULL
    order_no TEXT NOT NULL
    order_line_no INTEGER NOT NULL
    {LAST_MODIFIED}
    """,
    ("document_no", "line_no"),
)

CUSTOMER_PAYMENTS = _table(
    "customer_payments",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    customer_no TEXT NOT NULL
    invoice_no TEXT NOT NULL
    posting_date TEXT NOT NULL
    amount REAL NOT NULL
    channel TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(("customer_payments_invoice", "invoice_no"),),
)

# A return request accepted by customer service becomes a credit memo for the returned
# quantity of one shipped line; the goods go back into stock.
SALES_CREDIT_MEMOS = _table(
    "sales_credit_memos",
    f"""
    no TEXT NOT NULL
    id TEXT NOT NULL
    customer_no TEXT NOT NULL
    invoice_no TEXT NOT NULL
    posting_date TEXT NOT NULL
    currency_code TEXT NOT NULL
    amount REAL NOT NULL
    reason TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
)

SALES_CREDIT_MEMO_LINES = _table(
    "sales_credit_memo_lines",
    f"""{DOCUMENT_LINE}
    shipment_no TEXT NOT NULL
    shipment_line_no INTEGER NOT NULL
    {LAST_MODIFIED}
    """,
    ("document_no", "line_no"),
)

# Offline service contacts: 'order_status', 'invoice_copy', 'return' by 'phone' or 'email'.
INQUIRIES = _table(
    "inquiries",
    f"""
    no TEXT NOT NULL
    customer_no TEXT NOT NULL
    contact_no TEXT NOT NULL
    type TEXT NOT NULL
    channel TEXT NOT NULL
    created_at TEXT NOT NULL
    order_no TEXT NOT NULL
    invoice_no TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
    indexes=(("inquiries_customer", "customer_no, created_at"),),
)

# Replenishment: status 'Open' until received (then `received_date` is set).
PURCHASE_ORDERS = _table(
    "purchase_orders",
    f"""
    no TEXT NOT NULL
    item_no TEXT NOT NULL
    location_code TEXT NOT NULL
    quantity REAL NOT NULL
    order_date TEXT NOT NULL
    expected_receipt_date TEXT NOT NULL
    received_date TEXT
    status TEXT NOT NULL
    {LAST_MODIFIED}
    """,
    ("no",),
)

# Stock movements in base units, signed: 'Purchase' (+), 'Sale' (-), 'Return' (+).
ITEM_LEDGER_ENTRIES = _table(
    "item_ledger_entries",
    f"""
    entry_no INTEGER NOT NULL
    item_no TEXT NOT NULL
    location_code TEXT NOT NULL
    posting_date TEXT NOT NULL
    entry_type TEXT NOT NULL
    document_no TEXT NOT NULL
    quantity REAL NOT NULL
    {LAST_MODIFIED}
    """,
    ("entry_no",),
    indexes=(("item_ledger_item", "item_no, location_code"),),
)

# Canonical order: reference data, catalog, sales organisation, customers, pricing, history. The
# content digest and exports walk the tables in this order.
TABLES: tuple[Table, ...] = (
    CURRENCIES,
    CURRENCY_EXCHANGE_RATES,
    PAYMENT_TERMS,
    UNITS_OF_MEASURE,
    CUSTOMER_PRICE_GROUPS,
    CUSTOMER_DISCOUNT_GROUPS,
    ITEM_DISCOUNT_GROUPS,
    ITEM_CATEGORIES,
    LOCATIONS,
    SALESPEOPLE,
    ITEMS,
    ITEM_UNITS_OF_MEASURE,
    ITEM_STOCK,
    CUSTOMERS,
    CONTACTS,
    CUSTOMER_ASSORTMENT,
    CUSTOMER_PREFERRED_ITEMS,
    CAMPAIGNS,
    PRICE_LISTS,
    PRICE_LIST_LINES,
    SALES_QUOTES,
    SALES_QUOTE_LINES,
    SALES_ORDERS,
    SALES_ORDER_LINES,
    SALES_SHIPMENTS,
    SALES_SHIPMENT_LINES,
    SALES_INVOICES,
    SALES_INVOICE_LINES,
    CUSTOMER_PAYMENTS,
    SALES_CREDIT_MEMOS,
    SALES_CREDIT_MEMO_LINES,
    INQUIRIES,
    PURCHASE_ORDERS,
    ITEM_LEDGER_ENTRIES,
)
TABLES_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}

# Run metadata (profile, seed, shard, digest); not part of the content digest.
META_DDL = "CREATE TABLE erpsim_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"


def create_schema_sql(*, with_indexes: bool = True) -> str:
    """The DDL script for an empty ERP database."""
    statements = [META_DDL] + [table.ddl for table in TABLES]
    if with_indexes:
        statements += [index for table in TABLES for index in table.indexes]
    return ";\n".join(statements) + ";\n"


def index_sql(tables: tuple[Table, ...] = TABLES) -> str:
    """Secondary indexes, created after a bulk load (cheaper than maintaining them per row)."""
    return "".join(f"{index};\n" for table in tables for index in table.indexes)
