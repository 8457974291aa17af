"""Best-price resolution against a tiny hand-made ERP database built with the real DDL.

Each item below exists for one rule, so a case's expected price can be read off its lines.
Rates: EUR 0.90 from 2024-01-01, 0.92 from 2024-06-01, 0.95 from 2024-07-01; GBP has none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from simulator.erp import schema
from simulator.erp.pricing import (
    LineRef,
    PriceRequest,
    PriceResult,
    PricingError,
    SqlitePriceData,
    resolve_price,
)
from simulator.erp.schema import (
    AMOUNT_DISCOUNT,
    AMOUNT_PRICE,
    ASSET_ITEM,
    ASSET_ITEM_DISC_GROUP,
    SOURCE_ALL_CUSTOMERS,
    SOURCE_CAMPAIGN,
    SOURCE_CUSTOMER,
    SOURCE_DISC_GROUP,
    SOURCE_PRICE_GROUP,
    STATUS_ACTIVE,
    STATUS_INACTIVE,
)

ON = date(2024, 6, 15)
STAMP = "2024-01-01T00:00:00Z"

ALL = (SOURCE_ALL_CUSTOMERS, "")


def customer(no: str) -> tuple[str, str]:
    return (SOURCE_CUSTOMER, no)


def price_group(code: str) -> tuple[str, str]:
    return (SOURCE_PRICE_GROUP, code)


def disc_group(code: str) -> tuple[str, str]:
    return (SOURCE_DISC_GROUP, code)


def campaign(no: str) -> tuple[str, str]:
    return (SOURCE_CAMPAIGN, no)


def item(no: str) -> tuple[str, str]:
    return (ASSET_ITEM, no)


def item_group(code: str) -> tuple[str, str]:
    return (ASSET_ITEM_DISC_GROUP, code)


# (no, unit_price LCY per PCS, item_disc_group, blocked, {alternative unit: qty per unit})
ITEMS = [
    ("A", 10.0, "GRP-A", False, {"BOX": 12}),  # source types
    ("B", 20.0, "GRP-A", False, {}),  # discounts only, item card price
    ("P", 7.5, "", False, {}),  # no lines at all
    ("Q", 20.0, "", False, {"BOX": 10}),  # quantity breaks and units
    ("D1", 50.0, "", False, {}),  # ended yesterday
    ("D2", 50.0, "", False, {}),  # starts tomorrow
    ("D3", 50.0, "", False, {}),  # ends today
    ("D4", 50.0, "", False, {}),  # inactive
    ("K", 100.0, "", False, {}),  # campaigns
    ("F1", 10.0, "", False, {"BOX": 12}),  # LCY line, then cheaper-on-paper EUR line
    ("F2", 10.0, "", False, {"BOX": 12}),  # LCY line only
    ("F3", 10.0, "", False, {}),  # item card price only
    ("F4", 10.0, "", False, {}),  # EUR discount line, then a higher LCY one
    ("F5", 10.0, "", False, {}),  # LCY discount line, then a lower EUR one
    ("F6", 10.0, "", False, {}),  # EUR price line, then a cheaper LCY one
    ("L1", 100.0, "", False, {}),  # no-discount price loses to a discounted one
    ("L2", 100.0, "", False, {}),  # no-discount price wins
    ("T", 10.0, "", False, {}),  # ties
    ("X", 10.0, "", True, {}),  # blocked
]

# (no, currency, price group, disc group, allow_line_disc, segment, blocked)
CUSTOMERS = [
    ("C-PLAIN", "", "", "", True, "ENT", ""),
    ("C-CUST", "", "", "", True, "ENT", ""),
    ("C-GROUP", "", "RETAIL", "DG1", True, "SMB", ""),
    ("C-EUR", "EUR", "", "", True, "ENT", ""),
    ("C-NODISC", "", "", "DG1", False, "ENT", ""),
    ("C-BLOCKED", "", "", "", True, "ENT", "All"),
    ("C-SHIP", "", "", "", True, "ENT", "Ship"),
]

# (no, starting, ending, target segment)
CAMPAIGNS = [
    ("CMP-SMB", "2024-06-01", "2024-06-30", "SMB"),
    ("CMP-ALL", "2024-01-01", "2024-01-31", ""),
]

# (currency, starting date, exchange_rate_amount, relational_exch_rate_amount)
RATES = [
    ("EUR", "2024-01-01", 90.0, 100.0),
    ("EUR", "2024-06-01", 92.0, 100.0),
    ("EUR", "2024-07-01", 95.0, 100.0),
]


def line_fields(
    code: str, source: tuple[str, str], asset: tuple[str, str], **line: object
) -> dict[str, object]:
    """Every price_list_lines column but line_no, with defaults for the ones a case ignores."""
    (source_type, source_no), (asset_type, asset_no) = source, asset
    return {
        "price_list_code": code,
        "source_type": source_type,
        "source_no": source_no,
        "asset_type": asset_type,
        "asset_no": asset_no,
        "unit_of_measure_code": "",
        "minimum_quantity": 0.0,
        "currency_code": "",
        "starting_date": None,
        "ending_date": None,
        "unit_price": 0.0,
        "line_discount_pct": 0.0,
        "allow_line_disc": 1,
        "status": STATUS_ACTIVE,
        **line,
    }


def price(
    code: str,
    source: tuple[str, str],
    asset: tuple[str, str],
    unit_price: float,
    **line: object,
) -> dict[str, object]:
    return line_fields(code, source, asset, amount_type=AMOUNT_PRICE, unit_price=unit_price, **line)


def discount(
    code: str, source: tuple[str, str], asset: tuple[str, str], pct: float, **line: object
) -> dict[str, object]:
    return line_fields(
        code, source, asset, amount_type=AMOUNT_DISCOUNT, line_discount_pct=pct, **line
    )


LINES = [
    price("ALL", ALL, item("A"), 9.50),
    price("CUST", customer("C-CUST"), item("A"), 9.00),
    price("RETAIL", price_group("RETAIL"), item("A"), 9.20),
    discount("DG1", disc_group("DG1"), item_group("GRP-A"), 5.0),
    discount("ITEMDISC", ALL, item("B"), 3.0),
    price("Q-10", ALL, item("Q"), 18.0, minimum_quantity=10),
    price("Q-50", ALL, item("Q"), 16.0, minimum_quantity=50),
    price("Q-BOX2", ALL, item("Q"), 150.0, unit_of_measure_code="BOX", minimum_quantity=2),
    price("Q-PCS100", ALL, item("Q"), 15.0, unit_of_measure_code="PCS", minimum_quantity=100),
    price("D-EXPIRED", ALL, item("D1"), 40.0, ending_date="2024-06-14"),
    price("D-FUTURE", ALL, item("D2"), 41.0, starting_date="2024-06-16"),
    price("D-TODAY", ALL, item("D3"), 45.0, starting_date="2024-06-01", ending_date="2024-06-15"),
    price("D-INACTIVE", ALL, item("D4"), 30.0, status=STATUS_INACTIVE),
    price("K-SMB", campaign("CMP-SMB"), item("K"), 80.0),
    price("K-ALL", campaign("CMP-ALL"), item("K"), 85.0),
    price("FP1-LCY", ALL, item("F1"), 9.00),
    price("FP1-LCY", ALL, item("F2"), 9.00),
    price("FP2-EUR", ALL, item("F1"), 9.50, currency_code="EUR"),
    price("FP3-EUR", ALL, item("F6"), 9.50, currency_code="EUR"),
    price("FP4-LCY", ALL, item("F6"), 9.00),
    discount("FD1-EUR", ALL, item("F4"), 4.0, currency_code="EUR"),
    discount("FD2-LCY", ALL, item("F4"), 10.0),
    discount("FD3-LCY", ALL, item("F5"), 10.0),
    discount("FD4-EUR", ALL, item("F5"), 4.0, currency_code="EUR"),
    discount("L-DISC", ALL, item("L1"), 10.0),
    discount("L-DISC", ALL, item("L2"), 10.0),
    price("L1-DISC", ALL, item("L1"), 100.0),
    price("L1-NODISC", ALL, item("L1"), 92.0, allow_line_disc=0),
    price("L2-DISC", ALL, item("L2"), 100.0),
    price("L2-NODISC", ALL, item("L2"), 88.0, allow_line_disc=0),
    # ties: the index returns All Customers rows before Customer rows, the rule wants list order
    price("T2-PRICE", ALL, item("T"), 9.0),
    price("T1-PRICE", customer("C-PLAIN"), item("T"), 9.0),
    discount("T2-DISC", ALL, item("T"), 5.0),
    discount("T1-DISC", customer("C-PLAIN"), item("T"), 5.0),
]


def insert(conn: sqlite3.Connection, table_name: str, **values: object) -> None:
    """Insert one row, naming every column (a missing or unknown one fails loudly)."""
    table = schema.TABLES_BY_NAME[table_name]
    row = {"last_modified_date_time": STAMP, **values}
    assert set(row) == set(table.columns), set(row) ^ set(table.columns)
    marks = ", ".join("?" * len(table.columns))
    conn.execute(
        f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})",
        [row[column] for column in table.columns],
    )


def insert_line(conn: sqlite3.Connection, line_no: int, line: dict[str, object]) -> None:
    """Insert a price list line, and its header the first time the list code appears."""
    insert(conn, "price_list_lines", line_no=line_no, **line)
    header = conn.execute("SELECT 1 FROM price_lists WHERE code = ?", (line["price_list_code"],))
    if header.fetchone() is None:
        insert(
            conn,
            "price_lists",
            code=line["price_list_code"],
            description="test",
            source_type=line["source_type"],
            source_no=line["source_no"],
            currency_code=line["currency_code"],
            starting_date=None,
            ending_date=None,
            amount_type=line["amount_type"],
            status=line["status"],
        )


def build_database(conn: sqlite3.Connection) -> None:
    conn.executescript(schema.create_schema_sql())
    for code in ("EUR", "GBP"):
        insert(conn, "currencies", code=code, description=code)
    for currency, starting, amount, relational in RATES:
        insert(
            conn,
            "currency_exchange_rates",
            currency_code=currency,
            starting_date=starting,
            exchange_rate_amount=amount,
            relational_exch_rate_amount=relational,
        )
    for no, unit_price, group, blocked, units in ITEMS:
        insert(
            conn,
            "items",
            no=no,
            id=f"id-{no}",
            display_name=f"Item {no}",
            item_category_code="CAT",
            base_unit_of_measure="PCS",
            unit_price=unit_price,
            unit_cost=unit_price / 2,
            gtin="",
            gross_weight=1.0,
            item_disc_group=group,
            blocked=int(blocked),
            popularity=0.01,
        )
        for code, qty in {"PCS": 1.0, **units}.items():
            insert(
                conn, "item_units_of_measure", item_no=no, code=code, qty_per_unit_of_measure=qty
            )
    for no, currency, prices, discounts, allow, segment, blocked in CUSTOMERS:
        insert(
            conn,
            "customers",
            no=no,
            id=f"id-{no}",
            name=f"Customer {no}",
            address="",
            city="",
            post_code="",
            country_code="",
            phone_no="",
            email="",
            currency_code=currency,
            payment_terms_code="30D",
            credit_limit=0.0,
            customer_price_group=prices,
            customer_disc_group=discounts,
            allow_line_disc=int(allow),
            salesperson_code="",
            location_code="MAIN",
            key_account=0,
            segment=segment,
            blocked=blocked,
            annual_volume=0.0,
            order_interval_days=30.0,
            avg_basket_lines=3.0,
            payment_days_late=0.0,
        )
    for no, starting, ending, segment in CAMPAIGNS:
        insert(
            conn,
            "campaigns",
            no=no,
            description=no,
            starting_date=starting,
            ending_date=ending,
            target_segment=segment,
        )
    line_numbers: dict[object, int] = {}
    for line in LINES:
        line_no = line_numbers[line["price_list_code"]] = (
            line_numbers.get(line["price_list_code"], 0) + 10000
        )
        insert_line(conn, line_no, line)
    conn.commit()


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(tmp_path_factory.mktemp("pricing") / "erp.sqlite")
    build_database(connection)
    yield connection
    connection.close()


@pytest.fixture
def data(conn: sqlite3.Connection) -> SqlitePriceData:
    return SqlitePriceData(conn)


def req(
    customer_no: str,
    item_no: str,
    quantity: float = 1,
    *,
    on: date = ON,
    unit: str = "",
    currency: str | None = None,
) -> PriceRequest:
    return PriceRequest(customer_no, item_no, quantity, on, unit, currency)


def ok(
    unit_price: float,
    discount_pct: float = 0.0,
    price_list: str | None = None,
    discount_list: str | None = None,
) -> tuple[float, float, str | None, str | None]:
    return (unit_price, discount_pct, price_list, discount_list)


# (request, expected (unit price, discount %, price list, discount list) or a PricingError code)
CASES = [
    # sources
    pytest.param(req("C-PLAIN", "A"), ok(9.50, 0, "ALL"), id="all-customers-price"),
    pytest.param(req("C-CUST", "A"), ok(9.00, 0, "CUST"), id="customer-price-beats-all"),
    pytest.param(req("C-GROUP", "A"), ok(9.20, 5, "RETAIL", "DG1"), id="price-group-and-disc"),
    pytest.param(req("C-PLAIN", "B"), ok(20.0, 3, None, "ITEMDISC"), id="item-discount"),
    pytest.param(req("C-GROUP", "B"), ok(20.0, 5, None, "DG1"), id="disc-group-x-item-group"),
    pytest.param(req("C-PLAIN", "P"), ok(7.5), id="item-card-fallback"),
    # campaigns
    pytest.param(req("C-GROUP", "K"), ok(80.0, 0, "K-SMB"), id="campaign-for-segment"),
    pytest.param(req("C-PLAIN", "K"), ok(100.0), id="campaign-other-segment"),
    pytest.param(req("C-GROUP", "K", on=date(2024, 5, 31)), ok(100.0), id="campaign-not-yet"),
    pytest.param(
        req("C-GROUP", "K", on=date(2024, 6, 30)), ok(80.0, 0, "K-SMB"), id="campaign-last-day"
    ),
    pytest.param(req("C-GROUP", "K", on=date(2024, 7, 1)), ok(100.0), id="campaign-over"),
    pytest.param(
        req("C-PLAIN", "K", on=date(2024, 1, 15)),
        ok(85.0, 0, "K-ALL"),
        id="campaign-for-every-segment",
    ),
    # quantity breaks and units (Q: BOX = 10 PCS)
    pytest.param(req("C-PLAIN", "Q", 9), ok(20.0), id="qty-just-below-min"),
    pytest.param(req("C-PLAIN", "Q", 10), ok(18.0, 0, "Q-10"), id="qty-exactly-min"),
    pytest.param(req("C-PLAIN", "Q", 30), ok(18.0, 0, "Q-10"), id="qty-between-breaks"),
    pytest.param(req("C-PLAIN", "Q", 50), ok(16.0, 0, "Q-50"), id="qty-next-break"),
    pytest.param(
        req("C-PLAIN", "Q", 1, unit="BOX"),
        ok(180.0, 0, "Q-10"),
        id="box-blank-unit-min-in-base-units-price-x10",
    ),
    pytest.param(req("C-PLAIN", "Q", 0.9, unit="BOX"), ok(200.0), id="box-below-base-min"),
    pytest.param(req("C-PLAIN", "Q", 2, unit="BOX"), ok(150.0, 0, "Q-BOX2"), id="box-line"),
    pytest.param(req("C-PLAIN", "Q", 100), ok(15.0, 0, "Q-PCS100"), id="pcs-line-base-request"),
    pytest.param(
        req("C-PLAIN", "Q", 100, unit="PCS"), ok(15.0, 0, "Q-PCS100"), id="pcs-line-pcs-request"
    ),
    pytest.param(
        req("C-PLAIN", "Q", 10, unit="BOX"),
        ok(150.0, 0, "Q-BOX2"),
        id="pcs-line-not-for-box-request",
    ),
    # dates and status
    pytest.param(req("C-PLAIN", "D1"), ok(50.0), id="line-ended-yesterday"),
    pytest.param(
        req("C-PLAIN", "D1", on=date(2024, 6, 14)),
        ok(40.0, 0, "D-EXPIRED"),
        id="line-on-its-ending-date",
    ),
    pytest.param(req("C-PLAIN", "D2"), ok(50.0), id="line-starts-tomorrow"),
    pytest.param(
        req("C-PLAIN", "D2", on=date(2024, 6, 16)),
        ok(41.0, 0, "D-FUTURE"),
        id="line-on-its-starting-date",
    ),
    pytest.param(req("C-PLAIN", "D3"), ok(45.0, 0, "D-TODAY"), id="line-ending-today"),
    pytest.param(req("C-PLAIN", "D4"), ok(50.0), id="inactive-line-ignored"),
    # currencies (EUR 0.92 on ON)
    pytest.param(req("C-EUR", "F1"), ok(9.50, 0, "FP2-EUR"), id="fcy-line-beats-cheaper-lcy"),
    pytest.param(req("C-EUR", "F6"), ok(9.50, 0, "FP3-EUR"), id="lcy-line-after-fcy-loses"),
    pytest.param(req("C-PLAIN", "F1"), ok(9.00, 0, "FP1-LCY"), id="lcy-order-ignores-fcy"),
    pytest.param(
        req("C-EUR", "F1", currency=""), ok(9.00, 0, "FP1-LCY"), id="explicit-lcy-request"
    ),
    pytest.param(
        req("C-PLAIN", "F1", currency="EUR"), ok(9.50, 0, "FP2-EUR"), id="explicit-fcy-request"
    ),
    pytest.param(req("C-EUR", "F2"), ok(8.28, 0, "FP1-LCY"), id="lcy-line-converted"),
    pytest.param(
        req("C-EUR", "F2", on=date(2024, 5, 1)), ok(8.10, 0, "FP1-LCY"), id="rate-from-earlier-row"
    ),
    pytest.param(
        req("C-EUR", "F2", on=date(2024, 7, 1)),
        ok(8.55, 0, "FP1-LCY"),
        id="rate-starting-on-the-day",
    ),
    pytest.param(
        req("C-EUR", "F2", unit="BOX"), ok(99.36, 0, "FP1-LCY"), id="lcy-base-price-to-box-and-fcy"
    ),
    pytest.param(req("C-EUR", "F3"), ok(9.20), id="item-card-converted"),
    pytest.param(req("C-EUR", "F4"), ok(9.20, 4, None, "FD1-EUR"), id="lcy-disc-after-fcy"),
    pytest.param(req("C-EUR", "F5"), ok(9.20, 4, None, "FD4-EUR"), id="fcy-disc-replaces-lcy"),
    pytest.param(req("C-PLAIN", "F4"), ok(10.0, 10, None, "FD2-LCY"), id="lcy-order-lcy-disc"),
    # allow line discount
    pytest.param(
        req("C-PLAIN", "L1"),
        ok(100.0, 10, "L1-DISC", "L-DISC"),
        id="no-disc-price-loses-to-discounted",
    ),
    pytest.param(req("C-PLAIN", "L2"), ok(88.0, 0, "L2-NODISC"), id="no-disc-price-wins"),
    pytest.param(req("C-NODISC", "A"), ok(9.50, 0, "ALL"), id="customer-without-line-disc"),
    pytest.param(
        req("C-NODISC", "L1"),
        ok(92.0, 0, "L1-NODISC"),
        id="customer-without-line-disc-compares-undiscounted",
    ),
    pytest.param(req("C-PLAIN", "T"), ok(9.0, 5, "T1-PRICE", "T1-DISC"), id="ties-keep-first"),
    # blocking
    pytest.param(req("C-SHIP", "A"), ok(9.50, 0, "ALL"), id="customer-blocked-ship-priced"),
    pytest.param(req("C-BLOCKED", "A"), "customer_blocked", id="customer-blocked-all"),
    pytest.param(req("C-PLAIN", "X"), "item_blocked", id="item-blocked"),
    # refusals, in validation order
    pytest.param(req("C-NOPE", "A"), "customer_not_found", id="unknown-customer"),
    pytest.param(req("C-PLAIN", "NOPE"), "item_not_found", id="unknown-item"),
    pytest.param(req("C-PLAIN", "A", unit="PAL"), "unit_not_defined", id="unknown-unit"),
    pytest.param(req("C-PLAIN", "A", 0), "invalid_quantity", id="zero-quantity"),
    pytest.param(req("C-PLAIN", "A", -1), "invalid_quantity", id="negative-quantity"),
    pytest.param(req("C-NOPE", "NOPE", 0), "invalid_quantity", id="quantity-checked-first"),
    pytest.param(req("C-BLOCKED", "NOPE"), "customer_blocked", id="customer-before-item"),
    pytest.param(req("C-PLAIN", "X", unit="PAL"), "item_blocked", id="item-before-unit"),
    pytest.param(req("C-EUR", "F2", on=date(2023, 12, 31)), "no_exchange_rate", id="no-rate-yet"),
    pytest.param(req("C-PLAIN", "A", currency="GBP"), "no_exchange_rate", id="no-rate-at-all"),
]


def summary(result: PriceResult) -> tuple[float, float, str | None, str | None]:
    def code(ref: LineRef | None) -> str | None:
        return ref.price_list_code if ref is not None else None

    return (
        result.unit_price,
        result.line_discount_pct,
        code(result.price_source),
        code(result.discount_source),
    )


@pytest.mark.parametrize(("price_request", "expected"), CASES)
def test_resolve_price(
    data: SqlitePriceData,
    price_request: PriceRequest,
    expected: tuple[float, float, str | None, str | None] | str,
) -> None:
    if isinstance(expected, str):
        with pytest.raises(PricingError) as raised:
            resolve_price(data, price_request)
        assert raised.value.code == expected
        assert str(raised.value)
    else:
        assert summary(resolve_price(data, price_request)) == expected


PRICED = [pytest.param(c.values[0], id=c.id) for c in CASES if not isinstance(c.values[1], str)]


@pytest.mark.parametrize("price_request", PRICED)
@pytest.mark.parametrize("quantity_scale", [1, 3.7])
def test_amounts_follow_from_unit_price_and_discount(
    data: SqlitePriceData, price_request: PriceRequest, quantity_scale: float
) -> None:
    scaled = replace(price_request, quantity=price_request.quantity * quantity_scale)
    result = resolve_price(data, scaled)
    discount = result.line_discount_pct
    assert result.net_unit_price == round(result.unit_price * (1 - discount / 100), 5)
    assert result.line_amount == round(scaled.quantity * result.net_unit_price, 2)
    assert (result.discount_source is None) == (discount == 0)


def test_result_names_actual_unit_and_currency(data: SqlitePriceData) -> None:
    base = resolve_price(data, req("C-EUR", "F2", 2))
    assert (base.unit_of_measure_code, base.qty_per_unit_of_measure) == ("PCS", 1.0)
    assert (base.currency_code, base.net_unit_price, base.line_amount) == ("EUR", 8.28, 16.56)
    box = resolve_price(data, req("C-GROUP", "A", 3, unit="BOX", currency=""))
    assert (box.unit_of_measure_code, box.qty_per_unit_of_measure) == ("BOX", 12.0)
    # RETAIL 9.20 x 12 = 110.40 per box, 5 % off = 104.88, x 3 = 314.64
    assert (box.currency_code, box.unit_price, box.net_unit_price) == ("", 110.4, 104.88)
    assert box.line_amount == 314.64
    assert box.price_source == LineRef("RETAIL", 10000, SOURCE_PRICE_GROUP, "RETAIL")
    assert box.discount_source == LineRef("DG1", 10000, SOURCE_DISC_GROUP, "DG1")


def test_row_factory_of_the_connection_does_not_matter(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    try:
        result = resolve_price(SqlitePriceData(conn), req("C-GROUP", "A"))
    finally:
        conn.row_factory = None
    assert summary(result) == ok(9.20, 5, "RETAIL", "DG1")


def test_price_line_lookup_uses_the_asset_index(conn: sqlite3.Connection) -> None:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        resolve_price(SqlitePriceData(conn), req("C-GROUP", "A"))
    finally:
        conn.set_trace_callback(None)
    (lines_sql,) = [sql for sql in statements if "FROM price_list_lines" in sql]
    plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {lines_sql}")]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    assert any("USING INDEX price_list_lines_asset" in step for step in plan), plan
