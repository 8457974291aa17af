"""What the store asks an SAP S/4HANA ERP, in SAP's A2X services, and the answers in the
store's own shapes (the ones the Business Central flavor reads natively).

- prices: one ``A_SalesOrderSimulation`` (API_SALES_ORDER_SIMULATION_SRV) per catalog page
  or cart, an item per wanted line: SAP prices it with the customer's conditions (the ERP's
  best-price rule) and answers each item's ``NetAmount`` and pricing elements (``PPR0`` the
  price, percentage conditions the discounts). A simulation SAP refuses as a whole (an item
  it cannot price) is asked again item by item, so one bad item marks only its own line;
- stock: ``A_MatlStkInAcctMod`` (API_MATERIAL_STOCK_SRV), unrestricted-use stock (type
  ``01``) summed over storage locations at the plant that supplies the account (its sales
  area's ``SupplyingPlant``, ``A_CustomerSalesArea`` of API_BUSINESS_PARTNER);
- orders: a deep insert of ``A_SalesOrder`` with ``to_Item`` (API_SALES_ORDER_SRV), made
  exactly once by ``Repeatability-Request-ID``; history and tracking read ``A_SalesOrder``
  (``SoldToParty``), ``A_OutbDeliveryHeader`` (API_OUTBOUND_DELIVERY_SRV) and
  ``A_BillingDocument`` (API_BILLING_DOCUMENT_SRV) through their items' references.

Our numbers are SAP's keys (a customer is its business partner, an item its product); units,
plants and dates are translated here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from simulator.erp_server.bc_sets import LCY
from simulator.erp_server.client import ErpApiError
from simulator.erp_server.sap.codes import our_unit, sap_unit
from simulator.store.sap_client import SapClient

__all__ = [
    "SALES_AREA",
    "create_order",
    "order_body",
    "order_detail",
    "orders_page",
    "price_lines",
    "sap_date",
    "simulated_line",
    "stock",
    "supplying_plant",
]

SIMULATION = "API_SALES_ORDER_SIMULATION_SRV"
ORDERS = "API_SALES_ORDER_SRV"
STOCK = "API_MATERIAL_STOCK_SRV"
PARTNERS = "API_BUSINESS_PARTNER"
DELIVERIES = "API_OUTBOUND_DELIVERY_SRV"
BILLING = "API_BILLING_DOCUMENT_SRV"
# The one sales area the ERP sells through (SAP's best-practice Germany organisation).
SALES_AREA = {
    "SalesOrganization": "1010",
    "DistributionChannel": "10",
    "OrganizationDivision": "00",
}
ORDER_TYPE = "OR"  # standard order, as the API names it (TA inside SAP)
PRICE = "PPR0"
CUSTOMER_REFUSALS = frozenset({"customer_not_found", "customer_blocked"})
UNRESTRICTED = "01"
STOCK_MATERIALS = 100  # materials per stock query
_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")
Wanted = Sequence[tuple[str, str, float]]


# --- values -------------------------------------------------------------------------------


def sap_date(value: Any) -> str | None:
    """``/Date(ms)/`` (or an ISO text) as an ISO date; None for SAP's initial date."""
    if not value:
        return None
    found = _DATE.fullmatch(str(value))
    if found is None:
        return str(value)[:10]
    moment = dt.datetime.fromtimestamp(int(found.group(1)) / 1000, dt.UTC)
    return moment.date().isoformat()


def _date_value(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    ms = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)
    return f"/Date({ms})/"


def _number(value: Any) -> float:
    return float(Decimal(str(value or 0)))


def _currency(code: Any) -> str:
    """SAP names the local currency; the store's offers say '' for it."""
    return "" if not code or code == LCY else str(code)


def supplying_plant(sap: SapClient, customer_no: str) -> str | None:
    """The plant that supplies the account (its sales area's ``SupplyingPlant`` in
    API_BUSINESS_PARTNER); None when SAP knows no such customer there."""
    area = SALES_AREA
    key = (
        f"A_CustomerSalesArea(Customer='{_quoted(customer_no)}',"
        f"SalesOrganization='{area['SalesOrganization']}',"
        f"DistributionChannel='{area['DistributionChannel']}',"
        f"Division='{area['OrganizationDivision']}')"
    )
    try:
        found = sap.get(PARTNERS, key, select="SupplyingPlant")
    except ErpApiError as exc:
        if exc.status == 404:
            return None
        raise
    return str(found.get("SupplyingPlant") or "") or None


# --- prices and stock ---------------------------------------------------------------------


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
            }
            for position, (item, unit, quantity) in enumerate(wanted)
        ],
    }


def _results(value: Any) -> list[dict[str, Any]]:
    """A V2 navigation's entities (``{"results": [...]}`` or a bare list)."""
    if isinstance(value, dict):
        value = value.get("results", [])
    return list(value or [])


def simulated_line(item: dict[str, Any], unit: str, quantity: float) -> dict[str, Any]:
    """One simulated item as a calculatePrices line (without stock)."""
    elements = [
        e for e in _results(item.get("to_PricingElement")) if not e.get("ConditionInactiveReason")
    ]
    price = next((e for e in elements if e.get("ConditionType") == PRICE), None)
    per = _number(price.get("ConditionQuantity")) if price else 0.0
    unit_price = _number(price["ConditionRateValue"]) / (per or 1.0) if price else 0.0
    discount = -sum(
        _number(e.get("ConditionRateValue"))
        for e in elements
        if e.get("ConditionCalculationType") == "A" and e.get("ConditionClass") == "A"
    )
    if price is not None:  # the price less the discounts, per unit (as the ERP rounds it)
        net = unit_price * (1 - discount / 100)
    else:  # no price element: the item's net amount over its quantity
        requested = _number(item.get("RequestedQuantity")) or quantity
        net = _number(item.get("NetAmount")) / requested if requested else 0.0
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
        items = _results(simulated.get("to_Item"))
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
            f"Material eq '{_quoted(m)}'" for m in materials[start : start + STOCK_MATERIALS]
        )
        rows = sap.iter(
            STOCK,
            "A_MatlStkInAcctMod",
            filter=f"({either}) and Plant eq '{plant}' and InventoryStockType eq '{UNRESTRICTED}'",
            select="Material,MatlWrhsStkQtyInMatlBaseUnit",
        )
        for row in rows:
            total[row["Material"]] = total.get(row["Material"], 0.0) + _number(
                row["MatlWrhsStkQtyInMatlBaseUnit"]
            )
    return total


def _quoted(value: str) -> str:
    return value.replace("'", "''")


# --- orders -------------------------------------------------------------------------------


def order_body(customer_no: str, request: dict[str, Any]) -> dict[str, Any]:
    """The deep insert of a store order (`request` holds the BC-named order the outbox
    keeps: customerNumber, requestedDeliveryDate, salesOrderLines...)."""
    lines = request.get("salesOrderLines") or request.get("lines") or []
    body: dict[str, Any] = {
        "SalesOrderType": ORDER_TYPE,
        **SALES_AREA,
        "SoldToParty": request.get("customerNumber") or customer_no,
        "to_Item": [
            {
                "Material": line["itemNumber"],
                "RequestedQuantity": f"{float(line['quantity']):g}",
                **(
                    {"RequestedQuantityUnit": sap_unit(line["unitOfMeasureCode"])}
                    if line.get("unitOfMeasureCode")
                    else {}
                ),
            }
            for line in lines
        ],
    }
    if request.get("contactNumber"):  # the buyer, as the order's contact person
        body["to_Partner"] = [{"PartnerFunction": "AP", "ContactPerson": request["contactNumber"]}]
    if request.get("requestedDeliveryDate"):
        body["RequestedDeliveryDate"] = _date_value(str(request["requestedDeliveryDate"]))
    if request.get("externalDocumentNumber"):
        body["PurchaseOrderByCustomer"] = str(request["externalDocumentNumber"])[:35]
    return body


def create_order(
    sap: SapClient,
    customer_no: str,
    request: dict[str, Any],
    key: str,
    first_sent: float | None = None,
) -> dict[str, Any]:
    """Create the order once (the same `key` again answers the same order): the outbox's
    answer, ``{"id", "number"}``."""
    body = order_body(customer_no, request)
    created = sap.create(ORDERS, "A_SalesOrder", body, key=key, first_sent=first_sent)
    return {"id": created["SalesOrder"], "number": created["SalesOrder"]}


def _status(row: dict[str, Any]) -> str:
    """The order's lifecycle as the store shows it, from SAP's header statuses."""
    if "B" in (row.get("TotalCreditCheckStatus"), row.get("TotalBlockStatus")):
        return "Pending Approval"
    if row.get("OverallSDProcessStatus") == "C":
        return "Invoiced"
    delivery = row.get("OverallDeliveryStatus")
    if delivery == "C":
        return "Shipped"
    if delivery == "B":
        return "Partially Shipped"
    return "Open"


def _order_row(row: dict[str, Any]) -> dict[str, Any]:
    """An A_SalesOrder in the fields the store's order pages read."""
    return {
        "number": row["SalesOrder"],
        "customerNumber": row.get("SoldToParty"),
        "orderDate": sap_date(row.get("SalesOrderDate")),
        "requestedDeliveryDate": sap_date(row.get("RequestedDeliveryDate")),
        "lifecycleStatus": _status(row),
        # the ERP's user that entered the order names its channel (WEB, PHONE, EDI...)
        "channel": str(row.get("CreatedByUser") or "").lower() or None,
        "quoteNumber": row.get("ReferenceSDDocument") or None,
        "currencyCode": row.get("TransactionCurrency"),
        "totalAmountExcludingTax": _number(row.get("TotalNetAmount")),
        "externalDocumentNumber": row.get("PurchaseOrderByCustomer") or None,
    }


ORDER_SELECT = (
    "SalesOrder,SoldToParty,SalesOrderDate,RequestedDeliveryDate,TotalCreditCheckStatus,"
    "TotalBlockStatus,OverallSDProcessStatus,OverallDeliveryStatus,CreatedByUser,"
    "ReferenceSDDocument,TransactionCurrency,TotalNetAmount,PurchaseOrderByCustomer"
)


def orders_page(
    sap: SapClient, customer_no: str, *, top: int, skip: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the account's orders (every channel), newest first, and their number."""
    rows, count = sap.page(
        ORDERS,
        "A_SalesOrder",
        filter=f"SoldToParty eq '{_quoted(customer_no)}'",
        orderby="SalesOrderDate desc,SalesOrder desc",
        select=ORDER_SELECT,
        top=top,
        skip=skip,
        inlinecount="allpages",
    )
    return [_order_row(row) for row in rows], int(count or 0)


def _order_line(item: dict[str, Any]) -> dict[str, Any]:
    quantity = _number(item.get("RequestedQuantity"))
    amount = _number(item.get("NetAmount"))
    return {
        "sequence": int(item.get("SalesOrderItem") or 0),
        "itemNumber": item.get("Material"),
        "unitOfMeasureCode": our_unit(item.get("RequestedQuantityUnit") or "") or None,
        "quantity": quantity,
        "unitPrice": round(amount / quantity, 5) if quantity else None,
        "discountPercent": None,
        "lineAmount": amount,
        "shippedQuantity": None,
        "invoicedQuantity": None,
    }


def order_detail(
    sap: SapClient, number: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """(the order with ``salesOrderLines``, its deliveries, its billing documents), in the
    fields the store's tracking page reads; (None, [], []) when there is no such order."""
    try:
        found = sap.get(ORDERS, f"A_SalesOrder('{_quoted(number)}')", expand="to_Item")
    except ErpApiError as exc:
        if exc.status == 404:
            return None, [], []
        raise
    order = _order_row(found)
    order["salesOrderLines"] = [_order_line(item) for item in _results(found.get("to_Item"))]
    return order, _deliveries(sap, number), _invoices(sap, number)


def _deliveries(sap: SapClient, number: str) -> list[dict[str, Any]]:
    items = list(
        sap.iter(
            DELIVERIES,
            "A_OutbDeliveryItem",
            filter=f"ReferenceSDDocument eq '{_quoted(number)}'",
            select="DeliveryDocument,DeliveryDocumentItem,ReferenceSDDocumentItem,Material,"
            "DeliveryQuantityUnit,ActualDeliveryQuantity,Plant",
        )
    )
    shipments: dict[str, dict[str, Any]] = {}
    for item in items:
        document = item["DeliveryDocument"]
        if document not in shipments:
            header = sap.get(DELIVERIES, f"A_OutbDeliveryHeader('{_quoted(document)}')")
            shipments[document] = {
                "number": document,
                "shipmentDate": sap_date(header.get("ActualGoodsMovementDate"))
                or sap_date(header.get("DeliveryDate")),
                "locationCode": item.get("Plant"),
                "salesShipmentLines": [],
            }
        shipments[document]["salesShipmentLines"].append(
            {
                "sequence": int(item.get("DeliveryDocumentItem") or 0),
                "orderSequence": int(item.get("ReferenceSDDocumentItem") or 0),
                "itemNumber": item.get("Material"),
                "unitOfMeasureCode": our_unit(item.get("DeliveryQuantityUnit") or "") or None,
                "quantity": _number(item.get("ActualDeliveryQuantity")),
            }
        )
    return sorted(shipments.values(), key=lambda s: (s["shipmentDate"] or "", s["number"]))


def _invoices(sap: SapClient, number: str) -> list[dict[str, Any]]:
    items = sap.iter(
        BILLING,
        "A_BillingDocumentItem",
        filter=f"SalesDocument eq '{_quoted(number)}'",
        select="BillingDocument,ReferenceSDDocument",
    )
    references: dict[str, str] = {}
    for item in items:
        references.setdefault(item["BillingDocument"], item.get("ReferenceSDDocument") or "")
    invoices = []
    for document, delivery in sorted(references.items()):
        header = sap.get(BILLING, f"A_BillingDocument('{_quoted(document)}')")
        if header.get("BillingDocumentIsCancelled"):
            continue
        invoices.append(
            {
                "number": document,
                "postingDate": sap_date(header.get("BillingDocumentDate")),
                "dueDate": None,
                "status": "Paid" if header.get("InvoiceClearingStatus") == "C" else "Open",
                "totalAmountExcludingTax": _number(header.get("TotalNetAmount")),
                "remainingAmount": None,
                "shipmentNumber": delivery or None,
            }
        )
    return sorted(invoices, key=lambda i: (i["postingDate"] or "", i["number"]))
