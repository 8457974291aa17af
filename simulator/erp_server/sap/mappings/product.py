"""API_PRODUCT_SRV: our items as SAP products (trading goods, one sales area, a plant per
location)."""

from __future__ import annotations

from simulator.erp_server.sap.views import View

SERVICE = "API_PRODUCT_SRV"
CHANGED = "i.last_modified_date_time"
DAY = f"substr({CHANGED}, 1, 10)"

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
}
