"""API_BILLING_DOCUMENT_SRV: our sales invoices as SAP invoices (type F2) and our credit
memos as SAP credit memos (type G2), posted to accounting (status C), with 21 % output tax as
the Business Central API computes it.

An invoice item refers to its delivery (reference document, category J) and to the order
item it bills (sales document; `sap_item`: line 10000 is item 10). Clearing status follows
the invoice's remaining amount.

A credit memo (SD document category O, billing category A: SAP bills a credit memo request
order-related) refers, item by item, to the invoice item it corrects (reference document,
category M: the invoice line of the same shipment line). Our world has no credit memo
request, so its items name no sales document; the pricing date and the discount element
come from the order line behind the returned shipment line, the sales employee from the
invoice's order. Amounts are positive, as SAP shows them and as the Business Central API
shows credit memos (its `totalAmountExcludingTax` is positive too): the type tells the sign.
Our credit memos are settled when posted (Business Central shows them Paid), so they are
cleared (C).

Each set is one UNION ALL of an invoice and a credit memo SELECT (credit memo numbers,
CM..., and invoice numbers, SI..., never meet). SQLite flattens it into a page's query and
merges the two SELECTs, each read in its table's key order (`MERGE (UNION ALL)` in the
plan), and pushes a filter on the key into both, so an ordered page or a document's items
read only the rows they show. It flattens only while each column has the same affinity in
both SELECTs (a plain '' against a TEXT column made a page of items sort the whole union:
6 s on medium instead of 6 ms).
"""

from __future__ import annotations

from simulator.erp_server.bc_sets import VAT_PERCENT
from simulator.erp_server.sap.mappings.common import (
    COMPANY_CODE,
    DISTRIBUTION_CHANNEL,
    DIVISION,
    SALES_ORGANIZATION,
    USER,
    clock,
    currency,
    day,
    tax,
    union,
)
from simulator.erp_server.sap.mappings.pricing import record_of_line, type_of_line
from simulator.erp_server.sap.views import View

SERVICE = "API_BILLING_DOCUMENT_SRV"


HEADER = {
    "BillingDocument": "t.no",
    "SDDocumentCategory": "'M'",
    "BillingDocumentCategory": "'L'",  # delivery-related
    "BillingDocumentType": "'F2'",
    "CreationDate": "t.posting_date",
    "CreationTime": "'18:00:00'",  # the world posts invoices at 18:00
    "LastChangeDate": day("t.last_modified_date_time"),
    "LastChangeDateTime": "t.last_modified_date_time",
    "SalesOrganization": f"'{SALES_ORGANIZATION}'",
    "DistributionChannel": f"'{DISTRIBUTION_CHANNEL}'",
    "Division": f"'{DIVISION}'",
    "BillingDocumentDate": "t.posting_date",
    "TotalNetAmount": "t.amount",
    "TransactionCurrency": currency("t.currency_code"),
    "StatisticsCurrency": "'EUR'",
    "TaxAmount": tax("t.amount"),
    "TotalGrossAmount": f"round(t.amount + {tax('t.amount')}, 2)",
    "CustomerPriceGroup": "sap_code('price_group', c.customer_price_group)",
    "TaxDepartureCountry": "'ES'",
    "VATRegistration": "c.country_code || substr(c.id, 1, 8)",
    "VATRegistrationCountry": "c.country_code",
    "SDPricingProcedure": "'RVAA01'",
    "ShippingCondition": "'01'",
    "PayerParty": "t.customer_no",
    "CustomerPaymentTerms": "sap_code('payment_terms', c.payment_terms_code)",
    "CompanyCode": f"'{COMPANY_CODE}'",
    "FiscalYear": "substr(t.posting_date, 1, 4)",
    "CustomerAccountAssignmentGroup": ("CASE WHEN c.country_code = 'ES' THEN '01' ELSE '02' END"),
    "AccountingExchangeRateIsSet": "0",
    "ExchangeRateDate": "t.posting_date",
    "ExchangeRateType": "'M'",
    "DocumentReferenceID": "t.no",
    "SoldToParty": "t.customer_no",
    "CustomerGroup": "sap_code('customer_group', c.segment)",
    "Country": "c.country_code",
    "CreditControlArea": "'1000'",
    "OverallSDProcessStatus": "'C'",
    "OverallBillingStatus": "'C'",
    "AccountingPostingStatus": "'C'",
    "AccountingTransferStatus": "'C'",
    "InvoiceClearingStatus": (
        "CASE WHEN t.remaining_amount <= 0 THEN 'C'"
        " WHEN t.remaining_amount < t.amount THEN 'B' ELSE 'A' END"
    ),
}

HEADERS = "FROM sales_invoices t JOIN customers c ON c.no = t.customer_no"
MEMO_HEADER = {
    **HEADER,
    "SDDocumentCategory": "'O'",
    "BillingDocumentCategory": "'A'",  # order-related (SAP bills a credit memo request)
    "BillingDocumentType": "'G2'",
    "CreationTime": clock("t.last_modified_date_time"),  # posted when the return was accepted
    "InvoiceClearingStatus": "'C'",  # settled when posted
}
MEMO_HEADERS = "FROM sales_credit_memos t JOIN customers c ON c.no = t.customer_no"
GROSS = "round(l.quantity * l.unit_price, 2)"
BASE_QUANTITY = "round(l.quantity * ifnull(sl.quantity_base / sl.quantity, 1), 3)"
ITEM = {
    "BillingDocument": "l.document_no",
    "BillingDocumentItem": "sap_item(l.line_no)",
    "SalesDocumentItemCategory": "'TAN'",
    "CreatedByUser": USER,
    "CreationDate": "h.posting_date",
    "CreationTime": "'18:00:00'",
    "Division": f"'{DIVISION}'",
    "Material": "l.item_no",
    "InternationalArticleNumber": "ifnull(i.gtin, '')",
    "MaterialGroup": "ifnull(sap_code('product_group', i.item_category_code), '')",
    "Plant": "ifnull(sap_code('plant', s.location_code), '')",
    "BillingDocumentItemText": "ifnull(substr(i.display_name, 1, 40), '')",
    "ServicesRenderedDate": "ifnull(s.shipment_date, h.posting_date)",
    "BillingQuantity": "l.quantity",
    "BillingQuantityUnit": "sap_unit(l.unit_of_measure_code)",
    "BillingQuantityInBaseUnit": BASE_QUANTITY,
    "BaseUnit": "ifnull(sap_unit(i.base_unit_of_measure), '')",
    "BillingToBaseQuantityDnmntr": "1",
    "BillingToBaseQuantityNmrtr": (
        f"CASE WHEN l.quantity > 0 THEN CAST(round({BASE_QUANTITY} / l.quantity) AS INTEGER)"
        " ELSE 1 END"
    ),
    "ItemGrossWeight": f"round(ifnull(i.gross_weight, 0) * {BASE_QUANTITY}, 3)",
    "ItemNetWeight": f"round(ifnull(i.gross_weight, 0) * {BASE_QUANTITY}, 3)",
    "ItemWeightUnit": "'KG'",
    "BillToPartyCountry": "c.country_code",
    "NetAmount": "l.line_amount",
    "TransactionCurrency": currency("h.currency_code"),
    "GrossAmount": f"round(l.line_amount + {tax('l.line_amount')}, 2)",
    "PricingDate": "ifnull(o.order_date, h.posting_date)",
    "TaxAmount": tax("l.line_amount"),
    "CostAmount": f"round(ifnull(i.unit_cost, 0) * {BASE_QUANTITY}, 2)",
    "Subtotal1Amount": GROSS,
    "MaterialPricingGroup": "ifnull(sap_code('pricing_group', i.item_disc_group), '')",
    "DepartureCountry": "'ES'",
    "ProductTaxClassification1": "'1'",
    "MatlAccountAssignmentGroup": "'01'",
    "ReferenceSDDocument": "l.shipment_no",
    "ReferenceSDDocumentItem": "sap_item(l.shipment_line_no)",
    "ReferenceSDDocumentCategory": "'J'",
    "SalesDocument": "l.order_no",
    "SalesDocumentItem": "sap_item(l.order_line_no)",
    "SalesSDDocumentCategory": "'C'",
    "SalesOrderCustomerGroup": "sap_code('customer_group', c.segment)",
    "SalesOrderCustomerPriceGroup": "sap_code('price_group', c.customer_price_group)",
    "SalesOrderSalesOrganization": f"'{SALES_ORGANIZATION}'",
    "SalesOrderDistributionChannel": f"'{DISTRIBUTION_CHANNEL}'",
    "SalesDocIsCreatedFromReference": "1",
    "ShippingPoint": "ifnull(sap_code('plant', s.location_code), '')",
}
LINES = (
    "FROM sales_invoice_lines l JOIN sales_invoices h ON h.no = l.document_no"
    " JOIN customers c ON c.no = h.customer_no LEFT JOIN items i ON i.no = l.item_no"
    " LEFT JOIN sales_shipments s ON s.no = l.shipment_no"
    " LEFT JOIN sales_shipment_lines sl ON sl.document_no = l.shipment_no"
    " AND sl.line_no = l.shipment_line_no"
    " LEFT JOIN sales_orders o ON o.no = l.order_no"
)
MEMO_ITEM = {
    **ITEM,
    "SalesDocumentItemCategory": "'G2N'",  # credit memo request item
    "CreationTime": clock("h.last_modified_date_time"),
    "ReferenceSDDocument": "h.invoice_no",
    "ReferenceSDDocumentItem": "sap_item(v.line_no)",
    "ReferenceSDDocumentCategory": "CASE WHEN h.invoice_no <> '' THEN 'M' ELSE '' END",
    # TEXT as the invoices' l.order_no: SQLite flattens a UNION ALL only when its SELECTs'
    # columns have the same affinity (else every ordered page sorts the whole union)
    "SalesDocument": "CAST('' AS TEXT)",
    "SalesDocumentItem": "''",
    "SalesSDDocumentCategory": "''",
}
# The invoice line a credit memo line corrects: the one that billed the same shipment line.
MEMO_LINES = (
    "FROM sales_credit_memo_lines l JOIN sales_credit_memos h ON h.no = l.document_no"
    " JOIN customers c ON c.no = h.customer_no LEFT JOIN items i ON i.no = l.item_no"
    " LEFT JOIN sales_shipments s ON s.no = l.shipment_no"
    " LEFT JOIN sales_shipment_lines sl ON sl.document_no = l.shipment_no"
    " AND sl.line_no = l.shipment_line_no"
    " LEFT JOIN sales_invoice_lines v ON v.document_no = h.invoice_no"
    " AND v.shipment_no = l.shipment_no AND v.shipment_line_no = l.shipment_line_no"
    " LEFT JOIN sales_orders o ON o.no = sl.order_no"
)


STEPS = " CROSS JOIN (SELECT '010' AS step UNION ALL SELECT '030' UNION ALL SELECT '900') k"


def _by_step(price: str, discount: str, output_tax: str) -> str:
    """One element's value: of the price (PPR0), the line discount (the condition type of
    the price-list line that gave it: K030, K031...) or the tax (TTX1, S/4HANA's output
    tax)."""
    return f"CASE k.step WHEN '010' THEN {price} WHEN '030' THEN {discount} ELSE {output_tax} END"


# Each line's price, its line discount (when it has one) and its output tax, read in the
# lines' key order; `ol` is the order line that priced it.
STEP_WHERE = " WHERE k.step <> '030' OR l.line_discount_pct > 0"
ELEMENT_SOURCES = (
    "FROM sales_invoice_lines l JOIN sales_invoices h ON h.no = l.document_no"
    " LEFT JOIN sales_order_lines ol ON ol.document_no = l.order_no"
    " AND ol.line_no = l.order_line_no" + STEPS + STEP_WHERE,
    "FROM sales_credit_memo_lines l JOIN sales_credit_memos h ON h.no = l.document_no"
    " LEFT JOIN sales_shipment_lines sl ON sl.document_no = l.shipment_no"
    " AND sl.line_no = l.shipment_line_no"
    " LEFT JOIN sales_order_lines ol ON ol.document_no = sl.order_no"
    " AND ol.line_no = sl.order_line_no" + STEPS + STEP_WHERE,
)
ELEMENT = {
    "BillingDocument": "l.document_no",
    "BillingDocumentItem": "sap_item(l.line_no)",
    "PricingProcedureStep": "k.step",
    "PricingProcedureCounter": "'001'",
    "ConditionType": _by_step(
        "'PPR0'", type_of_line("ol.discount_list_code", "ol.discount_line_no", "K007"), "'TTX1'"
    ),
    "PricingDateTime": "replace(h.posting_date, '-', '') || '000000'",
    # C by quantity, A percentage
    "ConditionCalculationType": _by_step("'C'", "'A'", "'A'"),
    "ConditionBaseValue": _by_step("l.quantity", GROSS, "l.line_amount"),
    "ConditionRateValue": _by_step("l.unit_price", "-l.line_discount_pct", f"{VAT_PERCENT}"),
    "ConditionCurrency": _by_step(currency("h.currency_code"), "''", "''"),
    "ConditionQuantity": _by_step("1", "0", "0"),
    "ConditionQuantityUnit": _by_step("sap_unit(l.unit_of_measure_code)", "''", "''"),
    "ConditionCategory": _by_step("'H'", "''", "'D'"),  # H basic price, D tax
    "ConditionOrigin": "'A'",  # determined automatically
    "ConditionRecord": _by_step(
        record_of_line("ol.price_list_code", "ol.price_line_no"),
        record_of_line("ol.discount_list_code", "ol.discount_line_no"),
        "''",
    ),
    "ConditionSequentialNumber": "'01'",
    "TaxCode": _by_step("''", "''", "'A1'"),  # output tax, full rate
    "ConditionAmount": _by_step(GROSS, f"-round({GROSS} - l.line_amount, 2)", tax("l.line_amount")),
    "TransactionCurrency": currency("h.currency_code"),
    # B prices, A discounts and surcharges, D taxes
    "ConditionClass": _by_step("'B'", "'A'", "'D'"),
    "FactorForConditionBasisValue": "1",
    "PeriodFactorForCndnBasisValue": "1",
}

# The customer as sold-to (AG), bill-to (RE), payer (RG) and ship-to (WE); the order's
# salesperson as sales employee (VE) (a credit memo's: its invoice's order's).
FUNCTIONS = (
    " CROSS JOIN (SELECT 'AG' AS code UNION ALL SELECT 'RE'"
    " UNION ALL SELECT 'RG' UNION ALL SELECT 'VE' UNION ALL SELECT 'WE') f"
)
SALESPERSON_WHERE = " WHERE f.code <> 'VE' OR ifnull(o.salesperson_code, '') <> ''"
PARTNER_SOURCES = (
    "FROM sales_invoices t"
    + FUNCTIONS
    + " LEFT JOIN sales_orders o ON o.no = t.order_no"
    + SALESPERSON_WHERE,
    "FROM sales_credit_memos t" + FUNCTIONS + " LEFT JOIN sales_invoices v ON v.no = t.invoice_no"
    " LEFT JOIN sales_orders o ON o.no = v.order_no" + SALESPERSON_WHERE,
)
PARTNER = {
    "BillingDocument": "t.no",
    "PartnerFunction": "f.code",
    "Customer": "CASE WHEN f.code = 'VE' THEN '' ELSE t.customer_no END",
    "Personnel": (
        "CASE WHEN f.code = 'VE' THEN sap_code('personnel', o.salesperson_code) ELSE '' END"
    ),
}


VIEWS: dict[str, View] = {
    "A_BillingDocument": View(*union([(HEADER, HEADERS), (MEMO_HEADER, MEMO_HEADERS)])),
    "A_BillingDocumentItem": View(*union([(ITEM, LINES), (MEMO_ITEM, MEMO_LINES)])),
    "A_BillingDocumentItemPrcgElmnt": View(
        *union([(ELEMENT, source) for source in ELEMENT_SOURCES])
    ),
    "A_BillingDocumentPartner": View(*union([(PARTNER, source) for source in PARTNER_SOURCES])),
}
