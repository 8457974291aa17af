"""API_SALES_ORDER_SRV: our sales orders as SAP standard orders (type OR) of one sales area
(1010 / 10 / 00), items numbered 10, 20, 30 (`codes.sap_item`), the customer in every
partner function, the price and line discount as pricing elements and one schedule line
per item.

Statuses follow SAP's A/B/C (not yet / partly / completely processed) from our order status
and the lines' shipped and invoiced quantities; an order held for credit approval
('Pending Approval') has credit status B (blocked), as SAP's credit check leaves it.
"""

from __future__ import annotations

from simulator.erp_server.sap.mappings.pricing import record_of_line
from simulator.erp_server.sap.views import View

SERVICE = "API_SALES_ORDER_SRV"
SALES_ORGANIZATION = "1010"
DISTRIBUTION_CHANNEL = "10"
DIVISION = "00"
ORDER_TYPE = "OR"  # SAP's standard order; its internal code is TA
PRICE_CONDITION = "PPR0"  # S/4HANA's price condition (pricing procedure RVAA01)
DISCOUNT_CONDITION = "K007"  # customer discount, a percentage (RVAA01)
CURRENCY = "COALESCE(NULLIF(o.currency_code, ''), 'EUR')"
ORDER_FROM = (
    "FROM sales_orders o JOIN customers c ON c.no = o.customer_no"
    " LEFT JOIN erpsim_document_extras x ON x.document_type = 'order' AND x.document_no = o.no"
)
LINE_FROM = (
    "FROM sales_order_lines l JOIN sales_orders o ON o.no = l.document_no"
    " JOIN customers c ON c.no = o.customer_no JOIN items i ON i.no = l.item_no"
)
# The header's LastChangeDateTime (SAP's ETag): our change stamp, with milliseconds from
# the order's content (`codes.content_ms`), so the ETag moves with every change even when
# two changes share a stamp. Needs `o` (sales_orders) and `x` (its extras).
LAST_CHANGE = (
    "strftime('%Y-%m-%dT%H:%M:%S', o.last_modified_date_time)"
    " || printf('.%03dZ', sap_content_ms(o.status, o.requested_delivery_date, o.amount,"
    " o.contact_no, o.salesperson_code, COALESCE(x.external_document_number, ''),"
    " (SELECT count(*) || ':' || total(line_no * quantity) || ':' || total(line_no * unit_price)"
    " || ':' || total(line_no * line_discount_pct) || ':' || total(line_no * quantity_shipped)"
    " || ':' || total(line_no * (unicode(unit_of_measure_code) * 131"
    " + unicode(substr(unit_of_measure_code, 2)) + length(unit_of_measure_code)))"
    " FROM sales_order_lines WHERE document_no = o.no)))"
)
ORDER_ETAG_SQL = (
    f"SELECT {LAST_CHANGE} FROM sales_orders o LEFT JOIN erpsim_document_extras x"
    " ON x.document_type = 'order' AND x.document_no = o.no WHERE o.no = ?"
)
# our order status -> (process, delivery) status
PROCESS = (
    "CASE o.status WHEN 'Invoiced' THEN 'C' WHEN 'Shipped' THEN 'B'"
    " WHEN 'Partially Shipped' THEN 'B' ELSE 'A' END"
)
DELIVERY = (
    "CASE o.status WHEN 'Invoiced' THEN 'C' WHEN 'Shipped' THEN 'C'"
    " WHEN 'Partially Shipped' THEN 'B' ELSE 'A' END"
)
BILLING = (
    "CASE WHEN o.status = 'Invoiced' THEN 'C' WHEN EXISTS (SELECT 1 FROM sales_order_lines b"
    " WHERE b.document_no = o.no AND b.quantity_invoiced > 0) THEN 'B' ELSE 'A' END"
)
CREDIT = "CASE WHEN o.status = 'Pending Approval' THEN 'B' ELSE 'A' END"


def _progress(done: str) -> str:
    """A/B/C of one line from a quantity done (shipped or invoiced) against the quantity."""
    return f"CASE WHEN {done} >= l.quantity THEN 'C' WHEN {done} > 0 THEN 'B' ELSE 'A' END"


def _unit(prefix: str, unit: str) -> dict[str, str]:
    return {
        f"{prefix}Unit": f"sap_unit({unit})",
        f"{prefix}SAPUnit": f"sap_unit({unit})",
        f"{prefix}ISOUnit": f"sap_iso_unit({unit})",
    }


HEADER: dict[str, str] = {
    "SalesOrder": "o.no",
    "SalesOrderType": f"'{ORDER_TYPE}'",
    "SalesOrderTypeInternalCode": "'TA'",
    "SalesOrganization": f"'{SALES_ORGANIZATION}'",
    "DistributionChannel": f"'{DISTRIBUTION_CHANNEL}'",
    "OrganizationDivision": f"'{DIVISION}'",
    "SoldToParty": "o.customer_no",
    "CreationDate": "substr(o.created_at, 1, 10)",
    "CreatedByUser": "upper(o.channel)",
    "LastChangeDate": "substr(o.last_modified_date_time, 1, 10)",
    "LastChangeDateTime": LAST_CHANGE,
    "PurchaseOrderByCustomer": "COALESCE(x.external_document_number, '')",
    "CustomerPurchaseOrderDate": (
        "CASE WHEN COALESCE(x.external_document_number, '') <> '' THEN o.order_date END"
    ),
    "SalesOrderDate": "o.order_date",
    "TotalNetAmount": "o.amount",
    "OverallDeliveryStatus": DELIVERY,
    "TotalBlockStatus": CREDIT,
    "OverallOrdReltdBillgStatus": BILLING,
    "TransactionCurrency": CURRENCY,
    "PricingDate": "o.order_date",
    "PriceDetnExchangeRate": "1",
    "RequestedDeliveryDate": "o.requested_delivery_date",
    "ShippingCondition": "'01'",
    "DeliveryBlockReason": "CASE WHEN o.status = 'Pending Approval' THEN '01' ELSE '' END",
    "CompleteDeliveryIsDefined": "COALESCE(x.partial_shipping, 1) = 0",
    "IncotermsClassification": (
        "CASE COALESCE(x.shipment_method_code, '') WHEN '' THEN ''"
        " WHEN 'PICKUP' THEN 'EXW' ELSE x.shipment_method_code END"
    ),
    "IncotermsVersion": "CASE WHEN COALESCE(x.shipment_method_code, '') <> '' THEN '2020' END",
    "CustomerPriceGroup": "sap_code('price_group', c.customer_price_group)",
    "CustomerPaymentTerms": "sap_code('payment_terms', c.payment_terms_code)",
    "ReferenceSDDocument": "o.quote_no",
    "ReferenceSDDocumentCategory": "CASE WHEN o.quote_no <> '' THEN 'B' ELSE '' END",
    "AccountingExchangeRate": "1",
    "CustomerGroup": "sap_code('customer_group', c.segment)",
    "OverallSDProcessStatus": PROCESS,
    "TotalCreditCheckStatus": CREDIT,
    "OverallTotalDeliveryStatus": DELIVERY,
    "OverallSDDocumentRejectionSts": "'A'",
}

ITEM: dict[str, str] = {
    "SalesOrder": "l.document_no",
    "SalesOrderItem": "sap_item(l.line_no)",
    "SalesOrderItemCategory": "'TAN'",
    "SalesOrderItemText": "substr(i.display_name, 1, 40)",
    "Material": "l.item_no",
    "PricingDate": "o.order_date",
    "RequestedQuantity": "l.quantity",
    **_unit("RequestedQuantity", "l.unit_of_measure_code"),
    **_unit("OrderQuantity", "l.unit_of_measure_code"),
    "ConfdDelivQtyInOrderQtyUnit": "l.quantity",
    "ItemGrossWeight": "round(i.gross_weight * l.quantity * l.qty_per_unit_of_measure, 3)",
    "ItemNetWeight": "round(i.gross_weight * l.quantity * l.qty_per_unit_of_measure, 3)",
    "ItemWeightUnit": "'KG'",
    "ItemWeightSAPUnit": "'KG'",
    "ItemWeightISOUnit": "'KGM'",
    "TransactionCurrency": CURRENCY,
    "NetAmount": "l.line_amount",
    "MaterialGroup": "sap_code('product_group', i.item_category_code)",
    "MaterialPricingGroup": "sap_code('pricing_group', i.item_disc_group)",
    "ProductionPlant": "sap_code('plant', o.location_code)",
    "ShippingPoint": "sap_code('plant', o.location_code)",
    "CostAmount": "round(i.unit_cost * l.quantity * l.qty_per_unit_of_measure, 2)",
    "CustomerPaymentTerms": "sap_code('payment_terms', c.payment_terms_code)",
    "CustomerGroup": "sap_code('customer_group', c.segment)",
    "ReferenceSDDocument": "o.quote_no",
    "SDProcessStatus": _progress("l.quantity_invoiced"),
    "DeliveryStatus": _progress("l.quantity_shipped"),
    "OrderRelatedBillingStatus": _progress("l.quantity_invoiced"),
    "Subtotal1Amount": "round(l.quantity * l.unit_price, 2)",
}

PARTNER_FROM = (
    "FROM (SELECT o.no AS so, f.code AS role, o.customer_no AS customer, '' AS personnel,"
    " '' AS contact FROM sales_orders o"
    " JOIN (SELECT 'AG' AS code UNION ALL SELECT 'RE' UNION ALL SELECT 'RG'"
    " UNION ALL SELECT 'WE') f"
    " UNION ALL SELECT o.no, 'VE', '', sap_code('personnel', o.salesperson_code), ''"
    " FROM sales_orders o WHERE o.salesperson_code <> ''"
    " UNION ALL SELECT o.no, 'AP', '', '', o.contact_no FROM sales_orders o"
    " WHERE o.contact_no <> '') p"
)


def _element(kind: str) -> dict[str, str]:
    """An item pricing element: the price (PPR0) or the customer discount (K007)."""
    price = kind == PRICE_CONDITION
    gross = "round(l.quantity * l.unit_price, 2)"
    common = {
        "SalesOrder": "l.document_no",
        "SalesOrderItem": "sap_item(l.line_no)",
        "PricingProcedureStep": "'10'" if price else "'30'",
        "PricingProcedureCounter": "'1'",
        "ConditionType": f"'{kind}'",
        "PricingDateTime": "replace(o.order_date, '-', '') || '000000'",
        "PriceConditionDeterminationDte": "o.order_date",
        "ConditionCurrency": CURRENCY if price else "''",
        "ConditionOrigin": "'A'",  # determined automatically
        "ConditionRecord": (
            record_of_line("l.price_list_code", "l.price_line_no")
            if price
            else record_of_line("l.discount_list_code", "l.discount_line_no")
        ),
        "ConditionSequentialNumber": "'01'",
        "TransactionCurrency": CURRENCY,
        "ConditionClass": "'B'" if price else "'A'",  # B prices, A discounts and surcharges
        "FactorForConditionBasisValue": "1",
        "PeriodFactorForCndnBasisValue": "1",
    }
    if price:
        return common | {
            "ConditionCalculationType": "'C'",  # quantity-based
            "ConditionBaseValue": "l.quantity",
            "ConditionRateValue": "l.unit_price",
            "ConditionQuantity": "1",
            **_unit("ConditionQuantity", "l.unit_of_measure_code"),
            "ConditionCategory": "''",
            "ConditionAmount": gross,
        }
    return common | {
        "ConditionCalculationType": "'A'",  # percentage
        "ConditionBaseValue": gross,
        "ConditionRateValue": "-l.line_discount_pct",
        "ConditionAmount": f"-round({gross} - l.line_amount, 2)",
    }


def _header_element(kind: str) -> dict[str, str]:
    """The header's pricing element of one condition type: its items' elements summed."""
    price = kind == PRICE_CONDITION
    return {
        "SalesOrder": "o.no",
        "PricingProcedureStep": "'10'" if price else "'30'",
        "PricingProcedureCounter": "'1'",
        "ConditionType": f"'{kind}'",
        "PricingDateTime": "replace(o.order_date, '-', '') || '000000'",
        "PriceConditionDeterminationDte": "o.order_date",
        "ConditionCalculationType": "'C'" if price else "'A'",
        "ConditionBaseValue": "t.base",
        "ConditionRateValue": "t.amount" if price else "0",
        "ConditionCurrency": CURRENCY,
        "ConditionOrigin": "'A'",
        "ConditionAmount": "t.amount",
        "TransactionCurrency": CURRENCY,
        "ConditionClass": "'B'" if price else "'A'",
        "FactorForConditionBasisValue": "1",
        "PeriodFactorForCndnBasisValue": "1",
    }


def _header_source(kind: str) -> str:
    if kind == PRICE_CONDITION:
        sums = "sum(quantity) AS base, sum(round(quantity * unit_price, 2)) AS amount"
        where = ""
    else:
        sums = (
            "sum(round(quantity * unit_price, 2)) AS base,"
            " -sum(round(round(quantity * unit_price, 2) - line_amount, 2)) AS amount"
        )
        where = " WHERE line_discount_pct > 0"
    return (
        f"FROM sales_orders o JOIN (SELECT document_no, {sums} FROM sales_order_lines{where}"
        " GROUP BY document_no) t ON t.document_no = o.no"
    )


def _union(kind_views: list[tuple[dict[str, str], str]]) -> View:
    """One view of several SELECTs (one per condition type), as a derived table."""
    names = sorted({name for columns, _ in kind_views for name in columns})
    selects = [
        "SELECT "
        + ", ".join(f'{columns.get(name, "NULL")} AS "{name}"' for name in names)
        + f" {source}"
        for columns, source in kind_views
    ]
    return View(
        "FROM (" + " UNION ALL ".join(selects) + ") e", {name: f'e."{name}"' for name in names}
    )


def _item_elements() -> View:
    """Each line's price element and, when it has a discount, its discount element: one
    SELECT over the lines joined with the two element kinds (not a UNION ALL), so SQLite
    flattens it into a page's query and a keys-first page computes the costly condition
    record only for the rows it shows (a page of the whole set: 95 s on medium as a union,
    milliseconds so)."""
    price, discount = _element(PRICE_CONDITION), _element(DISCOUNT_CONDITION)
    columns = {}
    for name in sorted(set(price) | set(discount)):
        first, second = price.get(name, "NULL"), discount.get(name, "NULL")
        columns[name] = (
            first if first == second else (f"CASE WHEN k.value = 1 THEN {first} ELSE {second} END")
        )
    source = LINE_FROM + " JOIN json_each('[1, 2]') k ON k.value = 1 OR l.line_discount_pct > 0"
    return View(source, columns, keys_first=True)


VIEWS: dict[str, View] = {
    "A_SalesOrder": View(ORDER_FROM, HEADER),
    "A_SalesOrderItem": View(LINE_FROM, ITEM),
    "A_SalesOrderHeaderPartner": View(
        PARTNER_FROM,
        {
            "SalesOrder": "p.so",
            "PartnerFunction": "p.role",
            "PartnerFunctionInternalCode": "p.role",
            "Customer": "p.customer",
            "Personnel": "p.personnel",
            "ContactPerson": "p.contact",
        },
    ),
    "A_SalesOrderItemPrElement": _item_elements(),
    "A_SalesOrderHeaderPrElement": _union(
        [
            (_header_element(PRICE_CONDITION), _header_source(PRICE_CONDITION)),
            (_header_element(DISCOUNT_CONDITION), _header_source(DISCOUNT_CONDITION)),
        ]
    ),
    "A_SalesOrderScheduleLine": View(
        "FROM sales_order_lines l JOIN sales_orders o ON o.no = l.document_no",
        {
            "SalesOrder": "l.document_no",
            "SalesOrderItem": "sap_item(l.line_no)",
            "ScheduleLine": "'1'",
            "RequestedDeliveryDate": "o.requested_delivery_date",
            "ConfirmedDeliveryDate": "o.requested_delivery_date",
            **_unit("OrderQuantity", "l.unit_of_measure_code"),
            "ScheduleLineOrderQuantity": "l.quantity",
            "ConfdOrderQtyByMatlAvailCheck": "l.quantity",
            "DeliveredQtyInOrderQtyUnit": "l.quantity_shipped",
            "OpenConfdDelivQtyInOrdQtyUnit": "max(l.quantity - l.quantity_shipped, 0)",
            "DelivBlockReasonForSchedLine": (
                "CASE WHEN o.status = 'Pending Approval' THEN '01' ELSE '' END"
            ),
        },
    ),
}
