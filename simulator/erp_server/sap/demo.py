"""The demo's SAP section: what a connector written for S/4HANA does, against the same
server and world the Business Central section used."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from rich.console import Console

from simulator.erp_server.sap.catalog import SAP_ROOT, services

__all__ = ["sap_connector_flow"]


def sap_connector_flow(url: str, key: str, customer: str, item: str, console: Console) -> None:
    """CSRF fetch, a price by order simulation, a deep-insert order sent twice with one
    Repeatability-Request-ID, the order read back through SAP and through BC."""
    sets = sum(len(s.sets) for s in services())
    properties = sum(len(e.properties) for s in services() for e in s.sets.values())
    console.print(
        f"SAP S/4HANA OData V2 on {url}{SAP_ROOT}/: {len(services())} services, {sets} entity "
        f"sets with all {properties:,} properties of SAP's EDMX"
    )
    root = f"{url}{SAP_ROOT}"
    with requests.Session() as sap:
        sap.auth = ("CONNECTOR", key)
        sap.headers["Accept"] = "application/json"
        token = sap.head(
            f"{root}/API_SALES_ORDER_SRV/", headers={"x-csrf-token": "Fetch"}, timeout=30
        ).headers["x-csrf-token"]
        sap.headers["x-csrf-token"] = token
        order: dict[str, Any] = {
            "SalesOrderType": "OR",
            "SalesOrganization": "1010",
            "DistributionChannel": "10",
            "OrganizationDivision": "00",
            "SoldToParty": customer,
            "PurchaseOrderByCustomer": "PO-SAP-DEMO",
            "to_Item": [{"Material": item, "RequestedQuantity": "3"}],
        }
        simulated = sap.post(
            f"{root}/API_SALES_ORDER_SIMULATION_SRV/A_SalesOrderSimulation", json=order, timeout=30
        )
        simulated.raise_for_status()
        priced = simulated.json()["d"]["to_Item"]["results"][0]
        request_id = uuid.uuid4().hex
        sent = [
            sap.post(
                f"{root}/API_SALES_ORDER_SRV/A_SalesOrder",
                json=order,
                headers={"Repeatability-Request-ID": request_id},
                timeout=30,
            )
            for _ in range(2)
        ]
        for response in sent:
            response.raise_for_status()
        first, again = (r.json()["d"] for r in sent)
        same = "the same order" if first["SalesOrder"] == again["SalesOrder"] else "TWO ORDERS"
        console.print(
            f"SAP connector flow: x-csrf-token Fetch, A_SalesOrderSimulation prices 3 x {item} "
            f"for {customer} at {priced['NetAmount']} {priced['TransactionCurrency'] or 'EUR'}; "
            f"deep insert A_SalesOrder twice with one Repeatability-Request-ID -> "
            f"{first['SalesOrder']} and {again['SalesOrder']}, {same}"
        )
    bc = requests.get(
        f"{url}/api/v2.0/salesOrders",
        params={"$filter": f"number eq '{first['SalesOrder']}'", "$select": "number,status"},
        headers={"api-key": key},
        timeout=30,
    ).json()["value"]
    console.print(
        f"the same order through the Business Central API: {bc[0]['number']} ({bc[0]['status']})"
        if bc
        else "the order is NOT visible through the Business Central API"
    )
