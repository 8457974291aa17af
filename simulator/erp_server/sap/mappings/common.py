"""What every mapping shares: the one sales area and company code our world is, SAP's
initial-looking constants, and the SQL that turns our codes into SAP's fields."""

from __future__ import annotations

from simulator.erp_server.bc_sets import LCY, VAT_PERCENT
from simulator.erp_server.sap.codes import UNITS

SALES_ORGANIZATION = "1010"
DISTRIBUTION_CHANNEL = "10"  # direct sales
DIVISION = "00"  # cross-division
COMPANY_CODE = "1010"
STORAGE_LOCATION = "0001"
OPEN_END = "'9999-12-31'"  # SAP's "valid to" of a record without an end
OPEN_END_STAMP = "'9999-12-31T23:59:59Z'"
USER = "'ERPSIM'"


def currency(column: str) -> str:
    """Our blank currency is the local one (EUR), which SAP always names."""
    return f"COALESCE(NULLIF({column}, ''), '{LCY}')"


def day(stamp: str) -> str:
    """The date part of one of our timestamps, as an Edm.DateTime value."""
    return f"substr({stamp}, 1, 10)"


def clock(stamp: str) -> str:
    """The time part of one of our timestamps, as an Edm.Time value."""
    return f"substr({stamp}, 12, 8)"


def tax(net: str) -> str:
    """Output tax on a net amount, as the Business Central API computes it."""
    return f"round({net} * {VAT_PERCENT} / 100.0, 2)"


def language(country: str) -> str:
    """The correspondence language of a partner in `country` (SAP's 2-letter key)."""
    return (
        f"CASE {country} WHEN 'ES' THEN 'ES' WHEN 'DE' THEN 'DE' WHEN 'FR' THEN 'FR'"
        " WHEN 'PT' THEN 'PT' WHEN 'IT' THEN 'IT' ELSE 'EN' END"
    )


def address_id(partner: str) -> str:
    """A business partner's standard address number (10 digits at most): customer C000123
    has address 1000123, contact CT0000123 has 20000123; any other number keeps itself."""
    return (
        f"CASE WHEN {partner} GLOB 'CT[0-9]*' THEN '2' || substr({partner}, 3)"
        f" WHEN {partner} GLOB 'C[0-9]*' THEN '1' || substr({partner}, 2) ELSE {partner} END"
    )


def blocks(blocked: str) -> dict[str, str]:
    """Our customer block ('', 'Ship', 'Invoice', 'All') as SAP's central blocks (reason '01')."""
    return {
        "order": f"CASE WHEN {blocked} = 'All' THEN '01' ELSE '' END",
        "delivery": f"CASE WHEN {blocked} IN ('All', 'Ship') THEN '01' ELSE '' END",
        "billing": f"CASE WHEN {blocked} IN ('All', 'Invoice') THEN '01' ELSE '' END",
        "posting": f"{blocked} IN ('All', 'Invoice')",
    }


def union(branches: list[tuple[dict[str, str], str]]) -> tuple[str, dict[str, str]]:
    """One entity set made of several SELECTs (customers and contacts, invoices and credit
    memos...), as a UNION ALL derived table ``u``; returns (FROM clause, columns). SQLite
    pushes a filter on the set into each branch, so a key lookup still uses the tables'
    indexes."""
    names = list(dict.fromkeys(name for columns, _ in branches for name in columns))
    selects = [
        "SELECT "
        + ", ".join(f'{columns.get(name, "NULL")} AS "{name}"' for name in names)
        + f" {source}"
        for columns, source in branches
    ]
    return "FROM (" + " UNION ALL ".join(selects) + ") u", {n: f'u."{n}"' for n in names}


def unit(column: str) -> str:
    """`sap_unit` in plain SQL, for views that compute it for every row of a big table
    before sorting (a Python function call per row costs more than the row)."""
    cases = " ".join(f"WHEN '{ours}' THEN '{sap}'" for ours, (sap, _) in UNITS.items())
    return f"CASE {column} {cases} ELSE ifnull(substr({column}, 1, 3), '') END"
