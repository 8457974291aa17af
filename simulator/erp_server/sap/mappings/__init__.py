"""Per-service mappings from our tables to SAP's entity sets (see `views`)."""

from __future__ import annotations

from simulator.erp_server.sap.mappings import (
    billing,
    business_partner,
    delivery,
    pricing,
    product,
    sales_order,
    stock,
)
from simulator.erp_server.sap.views import View

__all__ = ["ALL"]

ALL: dict[tuple[str, str], View] = {
    (module.SERVICE, set_name): view
    for module in (product, business_partner, pricing, stock, delivery, billing, sales_order)
    for set_name, view in module.VIEWS.items()
}
