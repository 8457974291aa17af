"""API_MATERIAL_STOCK_SRV: each item's stock per location as unrestricted-use stock (type
01) of storage location 0001 in the location's plant, in the item's base unit."""

from __future__ import annotations

from simulator.erp_server.sap.mappings.common import STORAGE_LOCATION
from simulator.erp_server.sap.views import View

SERVICE = "API_MATERIAL_STOCK_SRV"

VIEWS: dict[str, View] = {
    "A_MaterialStock": View(
        "FROM items i",
        {"Material": "i.no", "MaterialBaseUnit": "sap_unit(i.base_unit_of_measure)"},
    ),
    "A_MatlStkInAcctMod": View(
        "FROM item_stock s JOIN items i ON i.no = s.item_no",
        {
            "Material": "s.item_no",
            "Plant": "sap_code('plant', s.location_code)",
            "StorageLocation": f"'{STORAGE_LOCATION}'",
            "InventoryStockType": "'01'",  # unrestricted use
            "MaterialBaseUnit": "sap_unit(i.base_unit_of_measure)",
            "MatlWrhsStkQtyInMatlBaseUnit": "s.inventory",
        },
    ),
}
