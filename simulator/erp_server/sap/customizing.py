"""The customizing SAP's A2X APIs do not carry, as one file the store reads.

A store on SAP reads products from API_PRODUCT_SRV and customers from API_BUSINESS_PARTNER,
but three kinds of its master data live elsewhere in SAP: the product hierarchy's texts
(customizing tables T179/T179T), the sales employees' names and e-mails (HR data; the APIs
show only the personnel number of partner function VE) and the assortments (listings).
`export` writes those from a world in SAP's keys (`codes.Codes`); the store's
`simulator.store.sap_customizing` loads the file into its mirror. The format is in
docs/sap.md ("The store on SAP").
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from simulator.atomic import atomic_file
from simulator.erp_server.sap.codes import HIERARCHY, Codes
from simulator.erp_server.sap.mappings.common import (
    DISTRIBUTION_CHANNEL,
    DIVISION,
    SALES_ORGANIZATION,
)

__all__ = ["FORMAT", "export", "write"]

FORMAT = "erpsim-sap-customizing/1"


def export(conn: sqlite3.Connection) -> dict[str, Any]:
    """The world's customizing as the file's JSON object, every list sorted by its key."""
    codes = Codes(conn)
    return {
        "format": FORMAT,
        "salesArea": {
            "salesOrganization": SALES_ORGANIZATION,
            "distributionChannel": DISTRIBUTION_CHANNEL,
            "division": DIVISION,
        },
        "productHierarchy": _hierarchy(conn, codes),
        "salesEmployees": _employees(conn, codes),
        "listings": _listings(conn, codes),
    }


def write(db: str | Path, out: str | Path, *, force: bool) -> dict[str, Any]:
    """Export the world at ``db`` (a UserError if it is none) to ``out``, atomically."""
    from simulator.erp.database import open_database  # noqa: PLC0415 - keeps imports light

    conn = open_database(db)
    try:
        with atomic_file(out, force=force) as temp:
            document = export(conn)
            text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
            temp.write_text(text, encoding="utf-8")
    finally:
        conn.close()
    return document


def _hierarchy(conn: sqlite3.Connection, codes: Codes) -> list[dict[str, str]]:
    """One entry per node: the text of the category the node was made for (a category below
    the third level shares its ancestor's node and does not rename it)."""
    texts: dict[str, tuple[int, str, str]] = {}
    for code, name, level in conn.execute(
        "SELECT code, display_name, level FROM item_categories ORDER BY code"
    ):
        node = codes.to_sap(HIERARCHY, code)
        if node and (node not in texts or (level, code) < texts[node][:2]):
            texts[node] = (int(level), str(code), str(name))
    return [{"node": node, "text": texts[node][2]} for node in sorted(texts)]


def _employees(conn: sqlite3.Connection, codes: Codes) -> list[dict[str, str]]:
    rows = conn.execute("SELECT code, name, email, phone_no FROM salespeople").fetchall()
    employees = [
        {
            "personnelNumber": codes.to_sap("personnel", code),
            "name": str(name),
            "email": str(email),
            "phone": str(phone or ""),
        }
        for code, name, email, phone in rows
    ]
    return sorted(employees, key=lambda entry: entry["personnelNumber"])


def _listings(conn: sqlite3.Connection, codes: Codes) -> list[dict[str, str]]:
    pairs = {
        (str(customer), node)
        for customer, category in conn.execute(
            "SELECT customer_no, item_category_code FROM customer_assortment"
        )
        if (node := codes.to_sap(HIERARCHY, category))
    }
    return [{"customer": customer, "node": node} for customer, node in sorted(pairs)]
