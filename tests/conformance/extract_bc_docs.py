"""Regenerate bc_v2_properties.json from Business Central's published API v2.0 reference.

The data file is what the conformance test checks the mock ERP against; this script is how it
was made, so anyone can refresh it from a newer copy of the docs:

    git clone https://github.com/MicrosoftDocs/dynamics365smb-devitpro-pb docs-bc
    python tests/conformance/extract_bc_docs.py docs-bc > tests/conformance/bc_v2_properties.json

Each resource page has a "## Properties" table (`|name|type|description|`); the entity set
name is the one the API serves the resource under.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

RESOURCES = "dev-itpro/api-reference/v2.0/resources"
# entity set -> resource page (the file name the docs use)
PAGES = {
    "companies": "dynamics_company.md",
    "companyInformation": "dynamics_companyinformation.md",
    "items": "dynamics_item.md",
    "itemVariants": "dynamics_itemVariant.md",
    "unitsOfMeasure": "dynamics_unitOfMeasure.md",
    "itemCategories": "dynamics_itemCategory.md",
    "customers": "dynamics_customer.md",
    "contacts": "dynamics_contact.md",
    "customerFinancialDetails": "dynamics_customerFinancialDetail.md",
    "salespeoplePurchasers": "dynamics_salespersonpurchaser.md",
    "locations": "dynamics_location.md",
    "currencies": "dynamics_currency.md",
    "currencyExchangeRates": "dynamics_currencyexchangerate.md",
    "paymentTerms": "dynamics_paymentTerm.md",
    "paymentMethods": "dynamics_paymentMethod.md",
    "shipmentMethods": "dynamics_shipmentMethod.md",
    "countriesRegions": "dynamics_countryRegion.md",
    "salesQuotes": "dynamics_salesquote.md",
    "salesQuoteLines": "dynamics_salesquoteline.md",
    "salesOrders": "dynamics_salesorder.md",
    "salesOrderLines": "dynamics_salesorderline.md",
    "salesShipments": "dynamics_salesShipment.md",
    "salesShipmentLines": "dynamics_salesShipmentLine.md",
    "salesInvoices": "dynamics_salesinvoice.md",
    "salesInvoiceLines": "dynamics_salesinvoiceline.md",
    "salesCreditMemos": "dynamics_salescreditmemo.md",
    "salesCreditMemoLines": "dynamics_salescreditmemoline.md",
    "customerPayments": "dynamics_customerpayment.md",
    "customerPaymentJournals": "dynamics_customerPaymentJournal.md",
    "itemLedgerEntries": "dynamics_itemledgerentry.md",
}
ROW = re.compile(r"^\|\s*([A-Za-z][A-Za-z0-9]*)\s*\|\s*([^|]+?)\s*\|")


def properties(text: str) -> list[list[str]]:
    """The rows of the page's Properties table, as [name, type]."""
    rows: list[list[str]] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Properties"
            continue
        match = ROW.match(line) if inside else None
        if match and match.group(1) != "Property":
            rows.append([match.group(1), match.group(2)])
    return rows


def main(repo: Path) -> None:
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    out: dict[str, object] = {
        "repository": "MicrosoftDocs/dynamics365smb-devitpro-pb",
        "commit": commit,
    }
    sets: dict[str, object] = {}
    for name, page in PAGES.items():
        path = f"{RESOURCES}/{page}"
        text = subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        sets[name] = {"source": path, "properties": properties(text)}
    out["entitySets"] = sets
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
