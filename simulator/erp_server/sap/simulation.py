"""API_SALES_ORDER_SIMULATION_SRV: POST A_SalesOrderSimulation prices an order without
making it, which is how a store asks SAP for a customer's prices.

The body is a sales order's deep insert (header, ``to_Item``, optionally ``to_Partner``);
the answer is the order as SAP would price it: per item the best price and line discount
of the shared pricing engine (the same function the Business Central ``calculatePrice``
and every order line use), the quantity stock can confirm at the customer's plant, the
item's pricing elements (PPR0 and the K007 discount), the header totals (``to_Pricing``,
``to_PricingElement``) and the credit check's status (``to_Credit``: B when the order would
take the customer over its credit limit). Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from simulator.erp.pricing import PriceRequest, PriceResult, PricingError, resolve_price
from simulator.erp_server.bc_writes import MAX_LINES
from simulator.erp_server.sap import order_bodies as bodies
from simulator.erp_server.sap.catalog import EntityType, service
from simulator.erp_server.sap.codes import Codes
from simulator.erp_server.sap.mappings.sales_order import (
    DISCOUNT_CONDITION,
    DISTRIBUTION_CHANNEL,
    DIVISION,
    ORDER_TYPE,
    PRICE_CONDITION,
    SALES_ORGANIZATION,
)
from simulator.erp_server.sap.routes import sap_response
from simulator.erp_server.sap.v2 import payload

if TYPE_CHECKING:
    from simulator.erp_server.sap.routes import Call
    from simulator.erp_server.sap.writes import Planned

__all__ = ["plan_simulation"]

SERVICE = "API_SALES_ORDER_SIMULATION_SRV"
LCY = "EUR"


def _set(name: str) -> EntityType:
    return service(SERVICE).sets[name]


def plan_simulation(call: Call, raw: dict[str, Any]) -> Planned:
    """Price the body now; the writer is asked only whether credit allows the total."""
    from simulator.erp_server.sap.writes import Planned, sap_error  # noqa: PLC0415

    store = call.services.store
    header = bodies.values_of(_set("A_SalesOrderSimulation"), raw)
    order_type = header.get("SalesOrderType") or ORDER_TYPE
    if order_type != ORDER_TYPE:
        raise bodies.bad(
            f"Sales document type {order_type} is not defined (this system takes {ORDER_TYPE})",
            "V1/025",
            "SalesOrderType",
        )
    sold_to = header.get("SoldToParty") or ""
    if not sold_to:
        raise bodies.bad("Enter the sold-to party", "V1/383", "SoldToParty")
    bodies.check_customer(store, sold_to)
    today = call.services.gateway.mapping.now().date()
    day = header.get("PricingDate") or header.get("SalesOrderDate")
    on = dt.date.fromisoformat(day[:10]) if day else today
    item_type = _set("A_SalesOrderItemSimulation")
    raw_items = bodies.navigation_list(raw, "to_Item")
    if not raw_items:
        raise bodies.bad("Enter at least one item", "V1/270", "to_Item")
    if len(raw_items) > MAX_LINES:
        raise bodies.bad(f"A sales order takes at most {MAX_LINES} items", "V1/555", "to_Item")
    priced: list[tuple[str, Any, PriceResult]] = []
    numbers = set()
    for n, raw_item in enumerate(raw_items, 1):
        line = bodies.order_item(store, raw_item, f"Item {n}: ", item_type)
        number = raw_item.get("SalesOrderItem") or str(n * 10)
        if number in numbers:
            raise bodies.bad(f"Item {number} is given twice", "V1/555", "SalesOrderItem")
        numbers.add(number)
        entry = line.entry
        try:
            result = resolve_price(
                store.price_data,
                PriceRequest(sold_to, entry.item_no, entry.quantity, on, entry.unit),
            )
        except PricingError as exc:
            from simulator.erp_server.live import pricing_error  # noqa: PLC0415

            raise sap_error(pricing_error(exc)) from None
        priced.append((sap_item_of(number), entry, result))
    total = round(sum(result.line_amount for _, _, result in priced), 2)
    context = _Context(call, sold_to, header, on, priced, total)
    return Planned(("sap_credit_ok", (sold_to, total)), context.respond)


def sap_item_of(number: str) -> str:
    """An item number as given ('000010' -> '10')."""
    return str(int(number)) if number.isdigit() else number


class _Context:
    """What a simulation found, turned into SAP's answer once credit is known."""

    def __init__(
        self,
        call: Call,
        sold_to: str,
        header: dict[str, Any],
        on: dt.date,
        priced: list[tuple[str, Any, PriceResult]],
        total: float,
    ) -> None:
        self.call = call
        self.sold_to = sold_to
        self.header = header
        self.on = on.isoformat()
        self.priced = priced
        self.total = total
        conn = call.services.store.conn
        self.customer = conn.execute(
            "SELECT currency_code, payment_terms_code, customer_price_group, segment,"
            " location_code, salesperson_code FROM customers WHERE no = ?",
            (sold_to,),
        ).fetchone()
        self.codes = Codes(conn)

    async def respond(self, credit_ok: Any) -> Response:
        base = self.call.base
        currency, terms, price_group, segment, location, salesperson = self.customer
        currency = currency or LCY
        codes = self.codes
        plant = codes.to_sap("plant", location)
        items = []
        for number, entry, result in self.priced:
            items.append(self._item(number, entry, result, currency, plant, terms))
        order = {
            "SalesOrder": "",
            "SalesOrderType": ORDER_TYPE,
            "SalesOrganization": SALES_ORGANIZATION,
            "DistributionChannel": DISTRIBUTION_CHANNEL,
            "OrganizationDivision": DIVISION,
            "SoldToParty": self.sold_to,
            "CustomerGroup": codes.to_sap("customer_group", segment),
            "PurchaseOrderByCustomer": self.header.get("PurchaseOrderByCustomer", ""),
            "SalesOrderDate": self.header.get("SalesOrderDate") or self.on,
            "TransactionCurrency": currency,
            "CustomerPriceGroup": codes.to_sap("price_group", price_group),
            "PricingDate": self.on,
            "SDPricingProcedure": "RVAA01",
            "RequestedDeliveryDate": self.header.get("RequestedDeliveryDate") or self.on,
            "ShippingCondition": "01",
            "CustomerPaymentTerms": codes.to_sap("payment_terms", terms),
        }
        roles = [("AG", self.sold_to, ""), ("WE", self.sold_to, ""), ("RE", self.sold_to, "")]
        roles.append(("RG", self.sold_to, ""))
        if salesperson:
            roles.append(("VE", "", codes.to_sap("personnel", salesperson)))
        partner_type = _set("A_SalesOrderPartnerSimulation")
        partners = [
            payload(
                partner_type,
                {
                    "SalesOrder": "",
                    "PartnerFunction": role,
                    "PartnerFunctionInternalCode": role,
                    "Customer": customer,
                    "Personnel": personnel,
                },
                base,
            )
            for role, customer, personnel in roles
        ]
        gross = round(sum(round(e.quantity * r.unit_price, 2) for _, e, r in self.priced), 2)
        header_elements = [
            self._element(
                "A_SalesOrderPrcgElmntSimln", {}, PRICE_CONDITION, gross, gross, currency
            ),
            self._element(
                "A_SalesOrderPrcgElmntSimln",
                {},
                DISCOUNT_CONDITION,
                gross,
                -round(gross - self.total, 2),
                currency,
            ),
        ]
        body = payload(
            _set("A_SalesOrderSimulation"),
            order,
            base,
            expanded={
                "to_Item": {"results": items},
                "to_Partner": {"results": partners},
                "to_PricingElement": {"results": header_elements},
                "to_Pricing": payload(
                    _set("A_SalesOrderPricingSimulation"),
                    {
                        "SalesOrder": "",
                        "TotalNetAmount": self.total,
                        "TransactionCurrency": currency,
                    },
                    base,
                ),
                "to_Credit": payload(
                    _set("A_SalesOrderCreditSimulation"),
                    {"SalesOrder": "", "TotalCreditCheckStatus": "A" if credit_ok else "B"},
                    base,
                ),
            },
        )
        return sap_response({"d": body}, 201)

    def _item(
        self,
        number: str,
        entry: Any,
        result: PriceResult,
        currency: str,
        plant: str,
        terms: str,
    ) -> dict[str, Any]:
        conn = self.call.services.store.conn
        item = conn.execute(
            "SELECT display_name, gross_weight, unit_cost, item_category_code, item_disc_group"
            " FROM items WHERE no = ?",
            (entry.item_no,),
        ).fetchone()
        name, weight, cost, category, disc_group = item
        location = self.customer[4]
        stock = conn.execute(
            "SELECT inventory FROM item_stock WHERE item_no = ? AND location_code = ?",
            (entry.item_no, location),
        ).fetchone()
        per_unit = result.qty_per_unit_of_measure or 1.0
        available = max(float(stock[0]) if stock else 0.0, 0.0) / per_unit
        confirmed = min(entry.quantity, available)
        base_quantity = entry.quantity * per_unit
        unit = result.unit_of_measure_code
        key = {"SalesOrderItem": number}
        gross = round(entry.quantity * result.unit_price, 2)
        elements = [
            self._element(
                "A_SalesOrderItmPrcgElmntSimln",
                key,
                PRICE_CONDITION,
                entry.quantity,
                gross,
                currency,
                rate=result.unit_price,
                unit=unit,
            )
        ]
        if result.line_discount_pct:
            elements.append(
                self._element(
                    "A_SalesOrderItmPrcgElmntSimln",
                    key,
                    DISCOUNT_CONDITION,
                    gross,
                    -round(gross - result.line_amount, 2),
                    currency,
                    rate=-result.line_discount_pct,
                )
            )
        codes = self.codes
        row = {
            "SalesOrder": "",
            "SalesOrderItem": number,
            "SalesOrderItemCategory": "TAN",
            "SalesOrderItemText": name[:40],
            "Material": entry.item_no,
            "PricingDate": self.on,
            "RequestedQuantity": entry.quantity,
            **_units("RequestedQuantity", unit),
            **_units("OrderQuantity", unit),
            "ConfdDelivQtyInOrderQtyUnit": round(confirmed, 3),
            "ItemGrossWeight": round(weight * base_quantity, 3),
            "ItemNetWeight": round(weight * base_quantity, 3),
            "ItemWeightUnit": "KG",
            "ItemWeightSAPUnit": "KG",
            "ItemWeightISOUnit": "KGM",
            "TransactionCurrency": currency,
            "NetAmount": result.line_amount,
            "CostAmount": round(cost * base_quantity, 2),
            "Subtotal1Amount": gross,
            "MaterialGroup": codes.to_sap("product_group", category),
            "MaterialPricingGroup": codes.to_sap("pricing_group", disc_group),
            "Plant": plant,
            "ShippingPoint": plant,
            "CustomerPaymentTerms": codes.to_sap("payment_terms", terms),
        }
        schedule = payload(
            _set("A_SalesOrderScheduleLineSimln"),
            {
                "SalesOrder": "",
                "SalesOrderItem": number,
                "ScheduleLine": "1",
                "RequestedDeliveryDate": self.header.get("RequestedDeliveryDate") or self.on,
                "ConfirmedDeliveryDate": self.header.get("RequestedDeliveryDate") or self.on,
                **_units("OrderQuantity", unit),
                "ScheduleLineOrderQuantity": entry.quantity,
                "ConfdOrderQtyByMatlAvailCheck": round(confirmed, 3),
                "OpenConfdDelivQtyInOrdQtyUnit": round(confirmed, 3),
            },
            self.call.base,
        )
        return payload(
            _set("A_SalesOrderItemSimulation"),
            row,
            self.call.base,
            expanded={
                "to_PricingElement": {"results": elements},
                "to_ScheduleLine": {"results": [schedule]},
            },
        )

    def _element(
        self,
        set_name: str,
        key: dict[str, Any],
        kind: str,
        base_value: float,
        amount: float,
        currency: str,
        *,
        rate: float | None = None,
        unit: str = "",
    ) -> dict[str, Any]:
        price = kind == PRICE_CONDITION
        row = {
            "SalesOrder": "",
            **key,
            "PricingProcedureStep": "10" if price else "30",
            "PricingProcedureCounter": "1",
            "ConditionType": kind,
            "PriceConditionDeterminationDte": self.on,
            "ConditionCalculationType": "C" if price else "A",
            "ConditionBaseValue": base_value,
            "ConditionRateValue": amount if rate is None else rate,
            "ConditionCurrency": currency if price else "",
            "ConditionQuantity": 1 if unit else 0,
            **(_units("ConditionQuantity", unit) if unit else {}),
            "ConditionOrigin": "A",
            "ConditionAmount": amount,
            "TransactionCurrency": currency,
            "ConditionClass": "B" if price else "A",
        }
        return payload(_set(set_name), row, self.call.base)


def _units(prefix: str, ours: str) -> dict[str, str]:
    from simulator.erp_server.sap.codes import iso_unit, sap_unit  # noqa: PLC0415

    return {
        f"{prefix}Unit": sap_unit(ours),
        f"{prefix}SAPUnit": sap_unit(ours),
        f"{prefix}ISOUnit": iso_unit(ours),
    }
