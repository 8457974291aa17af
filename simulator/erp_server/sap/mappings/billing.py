"""API_BILLING_DOCUMENT_SRV: our sales invoices as SAP invoices (type F2), posted to
accounting (status C), with 21 % output tax as the Business Central API computes it.

An invoice item refers to its delivery (reference document, category J) and to the order
item it bills (sales document; `sap_item`: line 10000 is item 10). Clearing status follows
the invoice's remaining amount. Credit memos are not served: as a second SELECT of one
view they would make every ordered page of items sort the whole union.
"""

from __future__ import annotations

from simulator.erp_server.bc_sets import VAT_PERCENT
from simulator.erp_server.sap.mappings.common import (
    COMPANY_CODE,
    DISTRIBUTION_CHANNEL,
    DIVISION,
    SALES_ORGANIZATION,
    USER,
    currency,
    day,
    tax,
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


STEPS = " CROSS JOIN (SELECT '010' AS step UNION ALL SELECT '030' UNION ALL SELECT '900') k"


def _by_step(price: str, discount: str, output_tax: str) -> str:
    """One element's value: of the price (PPR0), the line discount (the condition type of
    the price-list line that gave it: K030, K031...) or the tax (TTX1, S/4HANA's output
    tax)."""
    return f"CASE k.step WHEN '010' THEN {price} WHEN '030' THEN {discount} ELSE {output_tax} END"


# Each line's price, its line discount (when it has one) and its output tax; one SELECT, so
# a page streams in the lines' key order.
ELEMENTS = View(
    "FROM sales_invoice_lines l JOIN sales_invoices h ON h.no = l.document_no"
    " LEFT JOIN sales_order_lines ol ON ol.document_no = l.order_no"
    " AND ol.line_no = l.order_line_no"
    + STEPS
    + " WHERE k.step <> '030' OR l.line_discount_pct > 0",
    {
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
        "ConditionAmount": _by_step(
            GROSS, f"-round({GROSS} - l.line_amount, 2)", tax("l.line_amount")
        ),
        "TransactionCurrency": currency("h.currency_code"),
        # B prices, A discounts and surcharges, D taxes
        "ConditionClass": _by_step("'B'", "'A'", "'D'"),
        "FactorForConditionBasisValue": "1",
        "PeriodFactorForCndnBasisValue": "1",
    },
)

# The customer as sold-to (AG), bill-to (RE), payer (RG) and ship-to (WE); the order's
# salesperson as sales employee (VE).
PARTNERS = View(
    "FROM sales_invoices t CROSS JOIN (SELECT 'AG' AS code UNION ALL SELECT 'RE'"
    " UNION ALL SELECT 'RG' UNION ALL SELECT 'VE' UNION ALL SELECT 'WE') f"
    " LEFT JOIN sales_orders o ON o.no = t.order_no"
    " WHERE f.code <> 'VE' OR ifnull(o.salesperson_code, '') <> ''",
    {
        "BillingDocument": "t.no",
        "PartnerFunction": "f.code",
        "Customer": "CASE WHEN f.code = 'VE' THEN '' ELSE t.customer_no END",
        "Personnel": (
            "CASE WHEN f.code = 'VE' THEN sap_code('personnel', o.salesperson_code) ELSE '' END"
        ),
    },
)


VIEWS: dict[str, View] = {
    "A_BillingDocument": View(HEADERS, HEADER),
    "A_BillingDocumentItem": View(LINES, ITEM),
    "A_BillingDocumentItemPrcgElmnt": ELEMENTS,
    "A_BillingDocumentPartner": PARTNERS,
}
