"""API_OUTBOUND_DELIVERY_SRV: our sales shipments as SAP outbound deliveries (type LF),
goods issue posted (status C) on the shipment date from the shipping location's plant.

A delivery's items refer to its order's items (`sap_item`: line 10000 is item 10). It is
billed (status C) when its invoice exists: invoices are numbered as their shipments in our
world (SI0000042 bills SS0000042), which the join checks against the invoice's shipment.
"""

from __future__ import annotations

from simulator.erp_server.sap.mappings.common import (
    DISTRIBUTION_CHANNEL,
    DIVISION,
    SALES_ORGANIZATION,
    STORAGE_LOCATION,
    USER,
    address_id,
    clock,
    currency,
    day,
)
from simulator.erp_server.sap.views import View

SERVICE = "API_OUTBOUND_DELIVERY_SRV"
INVOICE = "LEFT JOIN sales_invoices si ON si.no = 'SI' || substr(s.no, 3) AND si.shipment_no = s.no"
BILLED = "CASE WHEN si.no IS NULL THEN 'A' ELSE 'C' END"
PLANT = "sap_code('plant', s.location_code)"
HEADERS = (
    "FROM sales_shipments s JOIN customers c ON c.no = s.customer_no"
    f" LEFT JOIN sales_orders o ON o.no = s.order_no {INVOICE}"
)
LINES = (
    "FROM sales_shipment_lines l JOIN sales_shipments s ON s.no = l.document_no"
    " LEFT JOIN items i ON i.no = l.item_no"
    " LEFT JOIN sales_order_lines ol ON ol.document_no = l.order_no"
    f" AND ol.line_no = l.order_line_no {INVOICE}"
)
WEIGHT = "round(ifnull(i.gross_weight, 0) * l.quantity_base, 3)"

HEADER = {
    "ActualGoodsMovementDate": "s.shipment_date",
    "ActualGoodsMovementTime": clock("s.last_modified_date_time"),
    "BillingDocumentDate": "s.shipment_date",
    "CompleteDeliveryIsDefined": "0",
    "CreatedByUser": USER,
    "CreationDate": "s.shipment_date",
    "CreationTime": clock("s.last_modified_date_time"),
    "CustomerGroup": "sap_code('customer_group', c.segment)",
    "DeliveryDate": "s.shipment_date",
    "DeliveryDocument": "s.no",
    "DeliveryDocumentType": "'LF'",
    "DeliveryTime": clock("s.last_modified_date_time"),
    "DocumentDate": "s.shipment_date",
    "HeaderGrossWeight": (
        "(SELECT round(sum(ifnull(i.gross_weight, 0) * l.quantity_base), 3)"
        " FROM sales_shipment_lines l LEFT JOIN items i ON i.no = l.item_no"
        " WHERE l.document_no = s.no)"
    ),
    "HeaderWeightUnit": "'KG'",
    "LastChangeDate": day("s.last_modified_date_time"),
    "LastChangedByUser": USER,
    "LoadingDate": "s.shipment_date",
    "OverallDelivConfStatus": "'C'",
    "OverallDelivReltdBillgStatus": BILLED,
    "OverallGoodsMovementStatus": "'C'",
    "OverallPackingStatus": "''",
    "OverallPickingConfStatus": "'C'",
    "OverallPickingStatus": "'C'",
    "OverallSDProcessStatus": "CASE WHEN si.no IS NULL THEN 'B' ELSE 'C' END",
    "PickingDate": "s.shipment_date",
    "PlannedGoodsIssueDate": "s.shipment_date",
    "SalesOrganization": f"'{SALES_ORGANIZATION}'",
    "SDDocumentCategory": "'J'",
    "ShippingCondition": "'01'",
    "ShippingPoint": PLANT,
    "ShipToParty": "s.customer_no",
    "SoldToParty": "s.customer_no",
    "TotalBlockStatus": "''",
    "TransactionCurrency": currency("c.currency_code"),
    "TransportationPlanningDate": "s.shipment_date",
}

ITEM = {
    "ActualDeliveredQtyInBaseUnit": "l.quantity_base",
    "ActualDeliveryQuantity": "l.quantity",
    "BaseUnit": "ifnull(sap_unit(i.base_unit_of_measure), '')",
    "CreatedByUser": USER,
    "CreationDate": "s.shipment_date",
    "CreationTime": clock("s.last_modified_date_time"),
    "DeliveryDocument": "l.document_no",
    "DeliveryDocumentItem": "sap_item(l.line_no)",
    "DeliveryDocumentItemCategory": "'TAN'",
    "DeliveryDocumentItemText": "ifnull(substr(i.display_name, 1, 40), '')",
    "DeliveryQuantityUnit": "sap_unit(l.unit_of_measure_code)",
    "DeliveryRelatedBillingStatus": BILLED,
    "DeliveryToBaseQuantityDnmntr": "1",
    "DeliveryToBaseQuantityNmrtr": (
        "CASE WHEN l.quantity > 0 THEN CAST(round(l.quantity_base / l.quantity) AS INTEGER)"
        " ELSE 1 END"
    ),
    "DistributionChannel": f"'{DISTRIBUTION_CHANNEL}'",
    "Division": f"'{DIVISION}'",
    "GoodsMovementStatus": "'C'",
    "GoodsMovementType": "'601'",  # goods issue for delivery
    "InternationalArticleNumber": "ifnull(i.gtin, '')",
    "IsCompletelyDelivered": "ifnull(ol.quantity_shipped >= ol.quantity, 0)",
    "ItemGrossWeight": WEIGHT,
    "ItemIsBillingRelevant": "'J'",  # delivery-related billing
    "ItemNetWeight": WEIGHT,
    "ItemWeightUnit": "'KG'",
    "LastChangeDate": day("l.last_modified_date_time"),
    "Material": "l.item_no",
    "MaterialGroup": "ifnull(sap_code('product_group', i.item_category_code), '')",
    "OriginalDeliveryQuantity": "l.quantity",
    "PickingConfirmationStatus": "'C'",
    "PickingStatus": "'C'",
    "Plant": PLANT,
    "ProductAvailabilityDate": "s.shipment_date",
    "ReferenceSDDocument": "l.order_no",
    "ReferenceSDDocumentCategory": "'C'",  # order
    "ReferenceSDDocumentItem": "sap_item(l.order_line_no)",
    "SDDocumentCategory": "'J'",
    "SDProcessStatus": "CASE WHEN si.no IS NULL THEN 'B' ELSE 'C' END",
    "StorageLocation": f"'{STORAGE_LOCATION}'",
}


# Sold-to (AG) and ship-to (WE) are the customer; the order's contact is the contact person
# (AP). One SELECT whose loops follow SAP's key (function, then delivery), so a page
# streams.
PARTNERS = View(
    "FROM (SELECT 'AG' AS code UNION ALL SELECT 'AP' UNION ALL SELECT 'WE') f"
    " CROSS JOIN sales_shipments s LEFT JOIN sales_orders o ON o.no = s.order_no"
    " WHERE f.code <> 'AP' OR ifnull(o.contact_no, '') <> ''",
    {
        "AddressID": (
            f"CASE WHEN f.code = 'AP' THEN {address_id('o.contact_no')}"
            f" ELSE {address_id('s.customer_no')} END"
        ),
        "ContactPerson": "CASE WHEN f.code = 'AP' THEN o.contact_no ELSE '' END",
        "Customer": "CASE WHEN f.code = 'AP' THEN '' ELSE s.customer_no END",
        "PartnerFunction": "f.code",
        "SDDocument": "s.no",
    },
)


VIEWS: dict[str, View] = {
    "A_OutbDeliveryHeader": View(HEADERS, HEADER),
    "A_OutbDeliveryItem": View(LINES, ITEM),
    "A_OutbDeliveryPartner": PARTNERS,
}
