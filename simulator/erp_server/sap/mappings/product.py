"""API_PRODUCT_SRV: our items as SAP products (trading goods, one sales area, a plant per
location)."""

from __future__ import annotations

from simulator.erp_server.sap.mappings.common import DISTRIBUTION_CHANNEL, SALES_ORGANIZATION
from simulator.erp_server.sap.views import View

SERVICE = "API_PRODUCT_SRV"
CHANGED = "i.last_modified_date_time"
DAY = f"substr({CHANGED}, 1, 10)"
BLOCKED = "CASE WHEN i.blocked THEN '01' ELSE '' END"  # '01': blocked, as CrossPlantStatus

VIEWS: dict[str, View] = {
    "A_Product": View(
        "FROM items i",
        {
            "Product": "i.no",
            "ProductType": "'HAWA'",  # trading goods: a distributor buys and resells
            "CrossPlantStatus": "CASE WHEN i.blocked THEN '01' ELSE '' END",
            "CreationDate": DAY,
            "CreatedByUser": "'ERPSIM'",
            "LastChangeDate": DAY,
            "LastChangedByUser": "'ERPSIM'",
            "LastChangeDateTime": CHANGED,
            "IsMarkedForDeletion": "0",
            "GrossWeight": "i.gross_weight",
            "WeightUnit": "'KG'",
            "NetWeight": "i.gross_weight",
            "ProductGroup": "sap_code('product_group', i.item_category_code)",
            "ProductHierarchy": "sap_code('product_hierarchy', i.item_category_code)",
            "BaseUnit": "sap_unit(i.base_unit_of_measure)",
            "ItemCategoryGroup": "'NORM'",
            "Division": "'00'",
            "ValidityStartDate": DAY,
            "ProductStandardID": "i.gtin",
            "InternationalArticleNumberCat": "CASE WHEN i.gtin <> '' THEN 'HE' ELSE '' END",
            "IndustrySector": "'M'",
        },
    ),
    "A_ProductDescription": View(
        "FROM items i",
        {
            "Product": "i.no",
            "Language": "'EN'",
            "ProductDescription": "substr(i.display_name, 1, 40)",
        },
    ),
    "A_ProductPlant": View(
        "FROM item_stock s JOIN items i ON i.no = s.item_no",
        {
            "Product": "s.item_no",
            "Plant": "sap_code('plant', s.location_code)",
            "PurchasingGroup": "'001'",
            "ProfileCode": BLOCKED,
            "ProfileValidityStartDate": f"CASE WHEN i.blocked THEN {DAY} END",
            "AvailabilityCheckType": "'02'",  # individual requirements
            "PeriodType": "'M'",
            "GoodsReceiptDuration": "0",
            "MRPType": "'VB'",  # manual reorder point planning: our reorder points
            "MRPResponsible": "'001'",
            "ProcurementType": "'F'",  # external procurement: a distributor buys
            "BaseUnit": "sap_unit(i.base_unit_of_measure)",
            "IsBatchManagementRequired": "0",
        },
    ),
    "A_ProductSales": View(
        "FROM items i",
        {
            "Product": "i.no",
            "SalesStatus": BLOCKED,
            "SalesStatusValidityDate": f"CASE WHEN i.blocked THEN {DAY} END",
            "TaxClassification": "'1'",  # full tax
            "TransportationGroup": "'0001'",  # on pallets
        },
    ),
    "A_ProductSalesDelivery": View(
        "FROM items i",
        {
            "Product": "i.no",
            "ProductSalesOrg": f"'{SALES_ORGANIZATION}'",
            "ProductDistributionChnl": f"'{DISTRIBUTION_CHANNEL}'",
            "PriceSpecificationProductGroup": "sap_code('pricing_group', i.item_disc_group)",
            "ProductHierarchy": "sap_code('product_hierarchy', i.item_category_code)",
            "AccountDetnProductGroup": "'01'",  # trading goods revenue
            "ItemCategoryGroup": "'NORM'",
            "ProductSalesStatus": BLOCKED,
            "ProductSalesStatusValidityDate": f"CASE WHEN i.blocked THEN {DAY} END",
            "BaseUnit": "sap_unit(i.base_unit_of_measure)",
            "CashDiscountIsDeductible": "1",
        },
    ),
    "A_ProductUnitsOfMeasure": View(
        "FROM item_units_of_measure u JOIN items i ON i.no = u.item_no",
        {
            "Product": "u.item_no",
            "AlternativeUnit": "sap_unit(u.code)",
            # SAP converts by an integer fraction: 1 BOX = 12/1 PC; our factors are whole
            # numbers or have at most three decimals
            "QuantityNumerator": (
                "CASE WHEN u.qty_per_unit_of_measure = CAST(u.qty_per_unit_of_measure AS INTEGER)"
                " THEN CAST(u.qty_per_unit_of_measure AS INTEGER)"
                " ELSE CAST(round(u.qty_per_unit_of_measure * 1000) AS INTEGER) END"
            ),
            "QuantityDenominator": (
                "CASE WHEN u.qty_per_unit_of_measure = CAST(u.qty_per_unit_of_measure AS INTEGER)"
                " THEN 1 ELSE 1000 END"
            ),
            "GrossWeight": "round(i.gross_weight * u.qty_per_unit_of_measure, 3)",
            "WeightUnit": "'KG'",
            "GlobalTradeItemNumber": (
                "CASE WHEN u.code = i.base_unit_of_measure THEN i.gtin ELSE '' END"
            ),
            "GlobalTradeItemNumberCategory": (
                "CASE WHEN u.code = i.base_unit_of_measure AND i.gtin <> '' THEN 'HE' ELSE '' END"
            ),
            "BaseUnit": "sap_unit(i.base_unit_of_measure)",
        },
    ),
    "A_ProductUnitsOfMeasureEAN": View(
        "FROM items i WHERE i.gtin <> ''",
        {
            "Product": "i.no",
            "AlternativeUnit": "sap_unit(i.base_unit_of_measure)",
            "ConsecutiveNumber": "'00001'",
            "ProductStandardID": "i.gtin",
            "InternationalArticleNumberCat": "'HE'",  # manufacturer EAN
            "IsMainGlobalTradeItemNumber": "1",
        },
    ),
}
