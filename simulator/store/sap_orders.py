"""The store's orders in an SAP S/4HANA ERP, in the shapes the Business Central flavor
reads natively.

A checkout is a deep insert of ``A_SalesOrder`` with ``to_Item`` (API_SALES_ORDER_SRV),
made exactly once by ``Repeatability-Request-ID``; history and tracking read
``A_SalesOrder`` (``SoldToParty``), its deliveries (``A_OutbDeliveryItem`` /
``A_OutbDeliveryHeader``, API_OUTBOUND_DELIVERY_SRV) and billing documents
(``A_BillingDocumentItem`` / ``A_BillingDocument``, API_BILLING_DOCUMENT_SRV) through their
items' references to the order.
"""

from __future__ import annotations

from typing import Any

from simulator.erp_server.client import ErpApiError
from simulator.erp_server.sap.codes import our_unit, sap_unit
from simulator.store.sap_client import (
    SapClient,
    v2_date,
    v2_date_value,
    v2_number,
    v2_quoted,
    v2_results,
)

__all__ = ["ORDER_TYPE", "SALES_AREA", "create_order", "order_body", "order_detail", "orders_page"]

ORDERS = "API_SALES_ORDER_SRV"
DELIVERIES = "API_OUTBOUND_DELIVERY_SRV"
BILLING = "API_BILLING_DOCUMENT_SRV"
# The one sales area the ERP sells through (SAP's best-practice Germany organisation).
SALES_AREA = {
    "SalesOrganization": "1010",
    "DistributionChannel": "10",
    "OrganizationDivision": "00",
}
ORDER_TYPE = "OR"  # standard order, as the API names it (TA inside SAP)


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
        body["RequestedDeliveryDate"] = v2_date_value(str(request["requestedDeliveryDate"]))
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
        "orderDate": v2_date(row.get("SalesOrderDate")),
        "requestedDeliveryDate": v2_date(row.get("RequestedDeliveryDate")),
        "lifecycleStatus": _status(row),
        # the ERP's user that entered the order names its channel (WEB, PHONE, EDI...)
        "channel": str(row.get("CreatedByUser") or "").lower() or None,
        "quoteNumber": row.get("ReferenceSDDocument") or None,
        "currencyCode": row.get("TransactionCurrency"),
        "totalAmountExcludingTax": v2_number(row.get("TotalNetAmount")),
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
        filter=f"SoldToParty eq '{v2_quoted(customer_no)}'",
        orderby="SalesOrderDate desc,SalesOrder desc",
        select=ORDER_SELECT,
        top=top,
        skip=skip,
        inlinecount="allpages",
    )
    return [_order_row(row) for row in rows], int(count or 0)


def _order_line(item: dict[str, Any]) -> dict[str, Any]:
    quantity = v2_number(item.get("RequestedQuantity"))
    amount = v2_number(item.get("NetAmount"))
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
        found = sap.get(ORDERS, f"A_SalesOrder('{v2_quoted(number)}')", expand="to_Item")
    except ErpApiError as exc:
        if exc.status == 404:
            return None, [], []
        raise
    order = _order_row(found)
    order["salesOrderLines"] = [_order_line(item) for item in v2_results(found.get("to_Item"))]
    return order, _deliveries(sap, number), _invoices(sap, number)


def _deliveries(sap: SapClient, number: str) -> list[dict[str, Any]]:
    items = list(
        sap.iter(
            DELIVERIES,
            "A_OutbDeliveryItem",
            filter=f"ReferenceSDDocument eq '{v2_quoted(number)}'",
            select="DeliveryDocument,DeliveryDocumentItem,ReferenceSDDocumentItem,Material,"
            "DeliveryQuantityUnit,ActualDeliveryQuantity,Plant",
        )
    )
    shipments: dict[str, dict[str, Any]] = {}
    for item in items:
        document = item["DeliveryDocument"]
        if document not in shipments:
            header = sap.get(DELIVERIES, f"A_OutbDeliveryHeader('{v2_quoted(document)}')")
            shipments[document] = {
                "number": document,
                "shipmentDate": v2_date(header.get("ActualGoodsMovementDate"))
                or v2_date(header.get("DeliveryDate")),
                "locationCode": item.get("Plant"),
                "salesShipmentLines": [],
            }
        shipments[document]["salesShipmentLines"].append(
            {
                "sequence": int(item.get("DeliveryDocumentItem") or 0),
                "orderSequence": int(item.get("ReferenceSDDocumentItem") or 0),
                "itemNumber": item.get("Material"),
                "unitOfMeasureCode": our_unit(item.get("DeliveryQuantityUnit") or "") or None,
                "quantity": v2_number(item.get("ActualDeliveryQuantity")),
            }
        )
    return sorted(shipments.values(), key=lambda s: (s["shipmentDate"] or "", s["number"]))


def _invoices(sap: SapClient, number: str) -> list[dict[str, Any]]:
    items = sap.iter(
        BILLING,
        "A_BillingDocumentItem",
        filter=f"SalesDocument eq '{v2_quoted(number)}'",
        select="BillingDocument,ReferenceSDDocument",
    )
    references: dict[str, str] = {}
    for item in items:
        references.setdefault(item["BillingDocument"], item.get("ReferenceSDDocument") or "")
    invoices = []
    for document, delivery in sorted(references.items()):
        header = sap.get(BILLING, f"A_BillingDocument('{v2_quoted(document)}')")
        if header.get("BillingDocumentIsCancelled"):
            continue
        invoices.append(
            {
                "number": document,
                "postingDate": v2_date(header.get("BillingDocumentDate")),
                "dueDate": None,
                "status": "Paid" if header.get("InvoiceClearingStatus") == "C" else "Open",
                "totalAmountExcludingTax": v2_number(header.get("TotalNetAmount")),
                "remainingAmount": None,
                "shipmentNumber": delivery or None,
            }
        )
    return sorted(invoices, key=lambda i: (i["postingDate"] or "", i["number"]))
