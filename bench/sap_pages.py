"""Time to read one page (50 rows, SAP's key order) from every SAP entity set.

Figures, never assertions. Reads the way the facade does (`sap.reader.page` on a reading
connection with the SAP views), over an existing dataset, so the cost of a view's plan shows
per set: a set whose key is computed (condition records) sorts the whole table per page.

    .venv/bin/python bench/sap_pages.py data/medium.sqlite [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.erp_server.reads import open_reader  # noqa: E402
from simulator.erp_server.sap.catalog import services  # noqa: E402
from simulator.erp_server.sap.query import parse_query  # noqa: E402
from simulator.erp_server.sap.reader import page  # noqa: E402

PAGE = 50
# What connectors read most: documents with their items and pricing elements expanded.
EXPANDS = (
    ("API_SALES_ORDER_SRV", "A_SalesOrder", "to_Item/to_PricingElement,to_Partner"),
    ("API_BILLING_DOCUMENT_SRV", "A_BillingDocument", "to_Item/to_PricingElement,to_Partner"),
    ("API_OUTBOUND_DELIVERY_SRV", "A_OutbDeliveryHeader", "to_DeliveryDocumentItem"),
    ("API_BUSINESS_PARTNER", "A_BusinessPartner", "to_Customer/to_CustomerSalesArea"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="keep the fastest of N reads")
    args = parser.parse_args()
    conn = open_reader(args.db, "00000000-0000-0000-0000-000000000000")
    print(f"{'service / entity set':<62} {'rows':>5} {'ms':>8}")
    for service in services():
        for entity in service.sets.values():
            query = parse_query(entity, [])
            best = float("inf")
            rows = 0
            for _ in range(args.repeat):
                start = time.perf_counter()
                body = page(conn, query, "/", PAGE)
                best = min(best, time.perf_counter() - start)
                rows = len(body["results"])
            print(f"{service.name + ' / ' + entity.set_name:<62} {rows:>5} {best * 1000:>8.1f}")
    print(f"\n{'a page of 20 with $expand':<62} {'rows':>5} {'ms':>8}")
    by_name = {s.name: s for s in services()}
    for name, set_name, expand in EXPANDS:
        entity = by_name[name].sets[set_name]
        query = parse_query(entity, [("$top", "20"), ("$expand", expand)])
        start = time.perf_counter()
        body = page(conn, query, "/", PAGE)
        took = time.perf_counter() - start
        label = f"{set_name}?$expand={expand}"
        print(f"{label:<62} {len(body['results']):>5} {took * 1000:>8.1f}")


if __name__ == "__main__":
    main()
