"""The store's prices and stock from an SAP S/4HANA ERP, in the shapes the Business
Central flavor reads natively (calculatePrices lines).

- prices: one ``A_SalesOrderSimulation`` (API_SALES_ORDER_SIMULATION_SRV) per catalog page
  or cart, an item per wanted line: SAP prices it with the customer's conditions (the ERP's
  best-price rule) and answers each item's pricing elements (``PPR0`` the price, active
  percentage conditions the discounts) and ``NetAmount``. A simulation SAP refuses as a
  whole for an item is asked again item by item, so one bad item marks only its own line;
  one refused for the customer is not;
- stock: ``A_MatlStkInAcctMod`` (API_MATERIAL_STOCK_SRV), unrestricted-use stock (type
  ``01``) summed over storage locations at the plant that supplies the account (its sales
  area's ``SupplyingPlant``, ``A_CustomerSalesArea`` of API_BUSINESS_PARTNER, as the
  store's SAP sync mirrors it).

Our numbers are SAP's keys (a customer is its business partner, an item its product).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from simulator.erp_server.bc_sets import LCY
from simulator.erp_server.client import ErpApiError
from simulator.erp_server.sap.codes import our_unit, sap_unit
from simulator.store.sap_client import (
    SapClient,
    v2_number,
    v2_quoted,
    v2_results,
)
from simulator.store.sap_orders import ORDER_TYPE, SALES_AREA

__all__ = ["price_lines", "simulated_line", "stock"]

SIMULATION = "API_SALES_ORDER_SIMULATION_SRV"
STOCK = "API_MATERIAL_STOCK_SRV"
PARTNERS = "API_BUSINESS_PARTNER"
PRICE = "PPR0"
CUSTOMER_REFUSALS = frozenset({"customer_not_found", "customer_blocked"})
UNRESTRICTED = "01"
STOCK_MATERIALS = 100  # materials per stock query
Wanted = Sequence[tuple[str, str, float]]


def _currency(code: Any) -> str:
    """SAP names the local currency; the store's offers say '' for it."""
    return "" if not code or code == LCY else str(code)


def _simulation_body(customer_no: str, wanted: Wanted) -> dict[str, Any]:
    return {
        "SalesOrderType": ORDER_TYPE,
        **SALES_AREA,
        "SoldToParty": customer_no,
        "to_Item": [
            {
                "SalesOrderItem": str(10 * (position + 1)),
                "Material": item,
                "RequestedQuantity": f"{quantity:g}",
                **({"RequestedQuantityUnit": sap_unit(unit)} if unit else {}),
                # SAP Gateway answers a deep insert with the navigations it was sent, so an
                # empty one asks for the item's pricing elements back
                "to_PricingElement": [],
            }
            for position, (item, unit, quantity) in enumerate(wanted)
        ],
    }


def simulated_line(item: dict[str, Any], unit: str, quantity: float) -> dict[str, Any]:
    """One simulated item as a calculatePrices line (without stock)."""
    elements = [
        e for e in v2_results(item.get("to_PricingElement")) if not e.get("ConditionInactiveReason")
    ]
    price = next((e for e in elements if e.get("ConditionType") == PRICE), None)
    per = v2_number(price.get("ConditionQuantity")) if price else 0.0
    unit_price = v2_number(price["ConditionRateValue"]) / (per or 1.0) if price else 0.0
    discount = -sum(
        v2_number(e.get("ConditionRateValue"))
        for e in elements
        if e.get("ConditionCalculationType") == "A" and e.get("ConditionClass") == "A"
    )
    if price is not None:  # the price less the discounts, per unit (as the ERP rounds it)
        net = unit_price * (1 - discount / 100)
    else:  # no price element: the item's net amount over its quantity
        requested = v2_number(item.get("RequestedQuantity")) or quantity
        net = v2_number(item.get("NetAmount")) / requested if requested else 0.0
    sap_uom = item.get("RequestedQuantityUnit") or item.get("OrderQuantityUnit") or ""
    return {
        "itemNumber": item["Material"],
        "quantity": quantity,
        "unitOfMeasureCode": our_unit(sap_uom) or unit,
        "currencyCode": _currency(item.get("TransactionCurrency")),
        "unitPrice": round(unit_price, 5),
        "discountPercent": round(discount, 5),
        "netUnitPrice": round(net, 5),
        "quantityBreaks": [],
        "error": None,
    }


def _refused(item: str, unit: str, quantity: float, exc: ErpApiError) -> dict[str, Any]:
    return {
        "itemNumber": item,
        "quantity": quantity,
        "unitOfMeasureCode": unit,
        "error": {"code": exc.reason, "message": exc.message},
    }


def price_lines(
    sap: SapClient, customer_no: str, wanted: Wanted, plant: str | None
) -> list[dict[str, Any]]:
    """Each wanted line priced for the customer and its stock at `plant`, in the shape of
    the BC flavor's calculatePrices lines. A refusal of the whole simulation with one line
    (or a refused customer) raises the ErpApiError."""
    try:
        body = _simulation_body(customer_no, wanted)
        simulated = sap.create(SIMULATION, "A_SalesOrderSimulation", body)
        items = v2_results(simulated.get("to_Item"))
        lines = [
            simulated_line(found, unit, quantity)
            for found, (_, unit, quantity) in zip(items, wanted, strict=True)
        ]
    except ErpApiError as exc:
        whole = exc.reason in CUSTOMER_REFUSALS  # no item of this customer would price
        if exc.status >= 500 or exc.status == 429 or len(wanted) == 1 or whole:
            raise
        lines = []
        for one in wanted:
            try:
                lines.extend(price_lines(sap, customer_no, [one], None))
            except ErpApiError as single:
                if single.status >= 500 or single.status == 429:
                    raise
                lines.append(_refused(*one, single))
    if plant is not None:
        available = stock(sap, [item for item, _, _ in wanted], plant)
        for priced in lines:
            priced["availableQuantity"] = available.get(priced["itemNumber"], 0.0)
    return lines


def stock(sap: SapClient, items: Iterable[str], plant: str) -> dict[str, float]:
    """Unrestricted-use stock per material at `plant` (base unit)."""
    materials = sorted(set(items))
    total: dict[str, float] = {}
    for start in range(0, len(materials), STOCK_MATERIALS):  # URLs stay a few kB long
        either = " or ".join(
            f"Material eq '{v2_quoted(m)}'" for m in materials[start : start + STOCK_MATERIALS]
        )
        rows = sap.iter(
            STOCK,
            "A_MatlStkInAcctMod",
            filter=f"({either}) and Plant eq '{plant}' and InventoryStockType eq '{UNRESTRICTED}'",
            select="Material,MatlWrhsStkQtyInMatlBaseUnit",
        )
        for row in rows:
            total[row["Material"]] = total.get(row["Material"], 0.0) + v2_number(
                row["MatlWrhsStkQtyInMatlBaseUnit"]
            )
    return total
