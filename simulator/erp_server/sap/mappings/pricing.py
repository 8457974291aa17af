"""API_SLSPRICINGCONDITIONRECORD_SRV: our price-list lines as SAP sales pricing condition
records (application V, sales area 1010 / 10).

A condition record is a run of consecutive lines of one price list that differ only in
their minimum quantity (as the price lists write scales): the run's first line carries the
record, and when the run has several lines they are the record's scale (base scale, by
quantity). Its number is the price list's ordinal (4 digits: lists in code order, campaigns
last so new campaigns append) and the first line's number (6 digits), so it is stable while
the world adds lines and campaigns. The number is computed, so a page in key order sorts
the whole table (about 1-4 s on the medium dataset; filters on the validity's Customer,
Material or ConditionType are the way to read it).

Condition types and tables follow SAP's standard pricing (procedure RVAA01 in S/4HANA):
prices are PPR0 by customer/material (305), material (304), price list currency/material
(306, our foreign-currency list prices) or price group/material (032); discounts, negative
percentages, are K005 customer/material, K030 customer/material pricing group, K032 price
group/material, K031 price group/material pricing group and K004 material. Two of our
sources have no SAP standard table and use customer-namespace tables: campaigns (901,
customer group/material, with the campaign's dates) and customer discount groups (902,
customer group 1/material pricing group; `A_CustomerSalesArea.AdditionalCustomerGroup1` is
the customer's discount group).
"""

from __future__ import annotations

from simulator.erp_server.sap.mappings.common import (
    DISTRIBUTION_CHANNEL,
    OPEN_END,
    SALES_ORGANIZATION,
    USER,
    currency,
    day,
    union,
    unit,
)
from simulator.erp_server.sap.views import View

SERVICE = "API_SLSPRICINGCONDITIONRECORD_SRV"

ORDINALS = (
    "(SELECT code, row_number() OVER (ORDER BY source_type = 'Campaign', code) AS ordinal"
    " FROM price_lists)"
)


def same_group(a: str, b: str) -> str:
    """Lines `a` and `b` of one price list differ at most in their minimum quantity."""
    return " AND ".join(
        [
            f"{a}.price_list_code = {b}.price_list_code",
            f"{a}.asset_no = {b}.asset_no",
            f"{a}.source_type = {b}.source_type",
            f"{a}.source_no = {b}.source_no",
            f"{a}.asset_type = {b}.asset_type",
            f"{a}.amount_type = {b}.amount_type",
            f"{a}.unit_of_measure_code = {b}.unit_of_measure_code",
            f"{a}.currency_code = {b}.currency_code",
            f"{a}.starting_date IS {b}.starting_date",
            f"{a}.ending_date IS {b}.ending_date",
        ]
    )


def record_no(line: str = "l") -> str:
    return f"printf('%04d%06d', pl.ordinal, {line}.line_no)"


def _neighbour(line: str, step: int) -> str:
    """EXISTS of the line `step` after `line` in its list, in the same record (one primary
    key lookup: a record's lines are consecutive, as the price lists write scales)."""
    return (
        f"EXISTS (SELECT 1 FROM price_list_lines o WHERE o.price_list_code = {line}.price_list_code"
        f" AND o.line_no = {line}.line_no + {step} AND {same_group('o', line)})"
    )


HEAD = f"NOT {_neighbour('l', -1)}"  # the first line of a record carries it
SCALED = _neighbour("l", 1)
RECORDS = (
    "FROM price_list_lines l JOIN " + ORDINALS + " pl ON pl.code = l.price_list_code"
    " LEFT JOIN items i ON l.asset_type = 'Item' AND i.no = l.asset_no"
    " LEFT JOIN item_units_of_measure u ON l.asset_type = 'Item' AND u.item_no = l.asset_no"
    " AND u.code = l.unit_of_measure_code"
    " LEFT JOIN campaigns m ON l.source_type = 'Campaign' AND m.no = l.source_no"
    f" WHERE {HEAD}"
)
PRICE = "l.amount_type = 'Price'"
ITEM = "l.asset_type = 'Item'"
CONDITION_TYPE = (
    f"CASE WHEN {PRICE} THEN 'PPR0'"
    f" WHEN l.source_type = 'Customer' THEN CASE WHEN {ITEM} THEN 'K005' ELSE 'K030' END"
    " WHEN l.source_type = 'Customer Price Group'"
    f" THEN CASE WHEN {ITEM} THEN 'K032' ELSE 'K031' END"
    " WHEN l.source_type = 'Customer Disc. Group' THEN 'K031'"
    f" WHEN {ITEM} THEN 'K004' ELSE 'K029' END"
)
CONDITION_TABLE = (
    "CASE WHEN l.source_type = 'Campaign' THEN '901'"
    " WHEN l.source_type = 'Customer Disc. Group' THEN '902'"
    f" WHEN {PRICE} THEN CASE l.source_type WHEN 'Customer' THEN '305'"
    " WHEN 'Customer Price Group' THEN '032'"
    " ELSE CASE WHEN l.currency_code = '' THEN '304' ELSE '306' END END"
    f" WHEN l.source_type = 'Customer' THEN CASE WHEN {ITEM} THEN '005' ELSE '030' END"
    f" WHEN l.source_type = 'Customer Price Group' THEN CASE WHEN {ITEM} THEN '032' ELSE '031' END"
    f" WHEN {ITEM} THEN '004' ELSE '029' END"
)
UNIT = unit("COALESCE(NULLIF(l.unit_of_measure_code, ''), i.base_unit_of_measure)")
START = "ifnull(l.starting_date, '1900-01-01')"
END = f"ifnull(l.ending_date, {OPEN_END})"
RELEASE = "CASE WHEN l.status = 'Active' THEN '' ELSE 'A' END"  # '' released, A blocked


def _rate(line: str) -> dict[str, str]:
    """A line's rate: a price per condition unit, or a discount as a negative percentage."""
    price = f"{line}.amount_type = 'Price'"
    return {
        "ConditionRateValue": (
            f"CASE WHEN {price} THEN {line}.unit_price ELSE -{line}.line_discount_pct END"
        ),
        "ConditionRateValueUnit": (
            f"CASE WHEN {price} THEN {currency(f'{line}.currency_code')} ELSE '%' END"
        ),
        "ConditionRateRatio": f"CASE WHEN {price} THEN 0 ELSE -{line}.line_discount_pct END",
        "ConditionRateRatioUnit": f"CASE WHEN {price} THEN '' ELSE '%' END",
        "ConditionRateAmount": f"CASE WHEN {price} THEN {line}.unit_price ELSE 0 END",
        "ConditionCurrency": (
            f"CASE WHEN {price} THEN {currency(f'{line}.currency_code')} ELSE '%' END"
        ),
    }


RECORD = {
    "ConditionRecord": record_no(),
    "ConditionSequentialNumber": "'01'",
    "ConditionTable": CONDITION_TABLE,
    "ConditionApplication": "'V'",
    "ConditionType": CONDITION_TYPE,
    "ConditionValidityEndDate": END,
    "ConditionValidityStartDate": START,
    "CreatedByUser": USER,
    "CreationDate": day("l.last_modified_date_time"),
    "PricingScaleType": f"CASE WHEN {SCALED} THEN 'A' ELSE '' END",  # A: base scale
    "PricingScaleBasis": f"CASE WHEN {SCALED} THEN 'C' ELSE '' END",  # C: quantity
    "ConditionScaleQuantityUnit": f"CASE WHEN {SCALED} THEN {UNIT} ELSE '' END",
    "ConditionCalculationType": f"CASE WHEN {PRICE} THEN 'C' ELSE 'A' END",
    **_rate("l"),
    "ConditionQuantity": f"CASE WHEN {PRICE} THEN 1 ELSE 0 END",
    "ConditionQuantityUnit": f"CASE WHEN {PRICE} THEN {UNIT} ELSE '' END",
    "ConditionToBaseQtyNmrtr": (
        f"CASE WHEN {PRICE} THEN CAST(ifnull(u.qty_per_unit_of_measure, 1) AS INTEGER) ELSE 0 END"
    ),
    "ConditionToBaseQtyDnmntr": f"CASE WHEN {PRICE} THEN 1 ELSE 0 END",
    "BaseUnit": unit("i.base_unit_of_measure"),
    "ConditionIsDeleted": "0",
    "ConditionReleaseStatus": RELEASE,
    "LastChangeDateTime": "l.last_modified_date_time",
}

VALIDITY = {
    "ConditionRecord": record_no(),
    "ConditionValidityEndDate": END,
    "ConditionValidityStartDate": START,
    "ConditionApplication": "'V'",
    "ConditionType": CONDITION_TYPE,
    "ConditionReleaseStatus": RELEASE,
    "CustomerGroup": (
        "CASE WHEN ifnull(m.target_segment, '') <> ''"
        " THEN sap_code('customer_group', m.target_segment) ELSE '' END"
    ),
    "CustomerPriceGroup": (
        "CASE WHEN l.source_type = 'Customer Price Group'"
        " THEN sap_code('price_group', l.source_no) ELSE '' END"
    ),
    "MaterialPricingGroup": (
        "CASE WHEN l.asset_type = 'Item Discount Group'"
        " THEN sap_code('pricing_group', l.asset_no) ELSE '' END"
    ),
    "Customer": "CASE WHEN l.source_type = 'Customer' THEN l.source_no ELSE '' END",
    "BPForCustomer": "CASE WHEN l.source_type = 'Customer' THEN l.source_no ELSE '' END",
    "Material": f"CASE WHEN {ITEM} THEN l.asset_no ELSE '' END",
    "SalesOrganization": f"'{SALES_ORGANIZATION}'",
    "DistributionChannel": f"'{DISTRIBUTION_CHANNEL}'",
    "TransactionCurrency": (
        "CASE WHEN l.source_type = 'All Customers' AND l.currency_code <> ''"
        " THEN l.currency_code ELSE '' END"
    ),
    "AdditionalCustomerGroup1": (
        "CASE WHEN l.source_type = 'Customer Disc. Group'"
        " THEN sap_code('discount_group', l.source_no) ELSE '' END"
    ),
}

# every line of a record with more than one line, numbered 0001, 0002...; a line's record
# starts at the nearest first line at or before it
SCALES = (
    "FROM (SELECT s.*, (SELECT l.line_no FROM price_list_lines l"
    " WHERE l.price_list_code = s.price_list_code AND l.line_no <= s.line_no"
    f" AND {HEAD} ORDER BY l.line_no DESC LIMIT 1) AS head"
    f" FROM price_list_lines s WHERE {_neighbour('s', -1)} OR {_neighbour('s', 1)}) l"
    " JOIN " + ORDINALS + " pl ON pl.code = l.price_list_code"
    " LEFT JOIN items i ON l.asset_type = 'Item' AND i.no = l.asset_no"
)
SCALE = {
    "ConditionRecord": "printf('%04d%06d', pl.ordinal, l.head)",
    "ConditionSequentialNumber": "'01'",
    "ConditionScaleLine": "printf('%04d', l.line_no - l.head + 1)",
    "ConditionScaleQuantity": "l.minimum_quantity",
    "ConditionScaleQuantityUnit": UNIT,
    **_rate("l"),
}


def _validity() -> tuple[str, dict[str, str]]:
    """The validity in four SELECTs (lines of an item or not, of a customer or not), so that
    Material and Customer are plain columns in each: SQLite pushes a filter on them into
    the SELECTs and finds the lines by the price-list lines' indexes."""
    branches = []
    for item in (True, False):
        for customer in (True, False):
            columns = VALIDITY | {
                "Customer": "l.source_no" if customer else "''",
                "BPForCustomer": "l.source_no" if customer else "''",
                "Material": "l.asset_no" if item else "''",
            }
            where = (
                f" AND l.asset_type {'=' if item else '<>'} 'Item'"
                f" AND l.source_type {'=' if customer else '<>'} 'Customer'"
            )
            branches.append((columns, RECORDS + where))
    return union(branches)


VIEWS: dict[str, View] = {
    "A_SlsPrcgConditionRecord": View(RECORDS, RECORD),
    "A_SlsPrcgCndnRecdValidity": View(*_validity()),
    "A_SlsPrcgCndnRecordScale": View(SCALES, SCALE),
}


# a price list's ordinal as ORDINALS numbers it, for the one list `rp` (a window over every
# list would be computed again for each document line that asks)
ORDINAL = (
    "(SELECT count(*) FROM price_lists rq WHERE (rq.source_type = 'Campaign', rq.code)"
    " <= (rp.source_type = 'Campaign', rp.code))"
)


def record_of_line(code: str, line: str) -> str:
    """SQL: the condition record (10 characters, '' for none) that holds price-list line
    (`code`, `line`): the nearest first line of a record at or before it, as
    A_SlsPrcgConditionRecord numbers it. For documents that say which line priced them
    (orders, billing documents): a few primary-key lookups per row. Its own aliases (rl,
    rp, rq) are not the views' (l, p...), so `code` and `line` name the caller's row."""
    return (
        f"CASE WHEN ifnull({code}, '') = '' THEN '' ELSE"
        f" ifnull((SELECT printf('%04d%06d', {ORDINAL}, rl.line_no) FROM price_list_lines rl"
        " JOIN price_lists rp ON rp.code = rl.price_list_code"
        f" WHERE rl.price_list_code = {code} AND rl.line_no <= {line}"
        f" AND NOT {_neighbour('rl', -1)} ORDER BY rl.line_no DESC LIMIT 1), '') END"
    )


def type_of_line(code: str, line: str, default: str) -> str:
    """SQL: the condition type of price-list line (`code`, `line`), `default` for none."""
    return (
        f"ifnull((SELECT {CONDITION_TYPE} FROM price_list_lines l"
        f" WHERE l.price_list_code = {code} AND l.line_no = {line}), '{default}')"
    )
