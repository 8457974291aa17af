"""SAP sales order request bodies as the Business Central writes take them.

A deep insert of A_SalesOrder (header, ``to_Partner``, ``to_Item`` with its
``to_PricingElement``) becomes a `DocumentBody`; an item, an item change and a header
change become a `LineBody`, `LineChange` and a dict of columns. Types are checked against
SAP's metadata (`v2.parse_value`); references (sold-to party, material, unit, partners)
against the database, so a request SAP would refuse gets SAP's message and nothing runs.
"""

from __future__ import annotations

from typing import Any

from simulator.erp.world.editing import LineEntry
from simulator.erp_server.bc_writes import MAX_LINES, DocumentBody, HeaderBody, LineBody, LineChange
from simulator.erp_server.reads import ReadStore
from simulator.erp_server.sap.catalog import EntityType, service
from simulator.erp_server.sap.codes import Codes, our_line, our_unit
from simulator.erp_server.sap.errors import SapError
from simulator.erp_server.sap.mappings.sales_order import (
    DISCOUNT_CONDITION,
    DISTRIBUTION_CHANNEL,
    DIVISION,
    ORDER_TYPE,
    PRICE_CONDITION,
    SALES_ORGANIZATION,
)
from simulator.erp_server.sap.v2 import format_value, parse_value

__all__ = [
    "check_customer",
    "header_changes",
    "item_change",
    "navigation_list",
    "order_body",
    "order_item",
    "sales_order_set",
    "values_of",
]

SERVICE = "API_SALES_ORDER_SRV"
SALES_AREA = {
    "SalesOrganization": SALES_ORGANIZATION,
    "DistributionChannel": DISTRIBUTION_CHANNEL,
    "OrganizationDivision": DIVISION,
}
CUSTOMER_ROLES = ("AG", "WE", "RE", "RG")  # sold-to, ship-to, bill-to, payer
ITEM_KEY = ("SalesOrder", "SalesOrderItem")
HEADER_CHANGES = {
    "PurchaseOrderByCustomer": "external_document_number",
    "RequestedDeliveryDate": "requested_delivery_date",
}


def sales_order_set(name: str) -> EntityType:
    return service(SERVICE).sets[name]


def bad(message: str, code: str = "V1/000", target: str = "") -> SapError:
    """A refusal as SAP's sales document checks word it (message class V1)."""
    return SapError(400, code, message, target=target)


def values_of(entity: EntityType, body: dict[str, Any], where: str = "") -> dict[str, Any]:
    """The body's properties, typed; navigation properties left out, unknown names refused."""
    values: dict[str, Any] = {}
    for name, value in body.items():
        if name == "__metadata" or name in entity.navigations:
            continue
        if name.startswith("to_") and value in (None, [], {"results": []}):
            continue  # an empty navigation SAP has and this facade does not serve (to_Text)
        if name.startswith("to_"):
            raise SapError(
                400,
                "/IWBEP/CM_MGW_RT/020",
                f"{where}Navigation property '{name}' of '{entity.name}' cannot be written here",
                target=name,
            )
        prop = entity.prop(name)
        if prop is None:
            raise SapError(
                400,
                "/IWBEP/CM_MGW_RT/020",
                f"{where}Property '{name}' is invalid for '{entity.name}'",
                target=name,
            )
        values[name] = parse_value(prop, value)
    return values


def navigation_list(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A deep insert's children: ``{"results": [...]}`` (V2 JSON) or a plain list."""
    value = body.get(name)
    if value is None:
        return []
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        value = value["results"]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise SapError(
            400,
            "/IWBEP/CM_MGW_RT/022",
            f"Invalid value for navigation property '{name}': expected a list of entities",
            target=name,
        )
    return value


def check_customer(store: ReadStore, number: str) -> None:
    row = store.conn.execute("SELECT blocked FROM customers WHERE no = ?", (number,)).fetchone()
    if row is None:
        raise bad(
            f"Sold-to party {number} has not been created for sales organization"
            f" {SALES_ORGANIZATION}, distribution channel {DISTRIBUTION_CHANNEL},"
            f" division {DIVISION}",
            "V1/302",
            "SoldToParty",
        )
    if row[0] == "All":
        raise bad(f"Sold-to party {number} is blocked for sales orders", "V1/462", "SoldToParty")


def order_body(store: ReadStore, codes: Codes, body: dict[str, Any]) -> DocumentBody:
    """A deep insert of A_SalesOrder as the order BC's create would make."""
    header = values_of(sales_order_set("A_SalesOrder"), body)
    order_type = header.get("SalesOrderType") or ORDER_TYPE
    if order_type != ORDER_TYPE:
        raise bad(
            f"Sales document type {order_type} is not defined (this system takes {ORDER_TYPE})",
            "V1/025",
            "SalesOrderType",
        )
    for name, ours in SALES_AREA.items():
        if header.get(name, ours) not in ("", ours):
            raise bad(
                f"Sales area {header.get('SalesOrganization', SALES_ORGANIZATION)}"
                f" {header.get('DistributionChannel', DISTRIBUTION_CHANNEL)}"
                f" {header.get('OrganizationDivision', DIVISION)} is not defined"
                f" (the sales area is {SALES_ORGANIZATION} {DISTRIBUTION_CHANNEL} {DIVISION})",
                "V1/316",
                name,
            )
    sold_to = header.get("SoldToParty") or ""
    if not sold_to:
        raise bad("Enter the sold-to party", "V1/383", "SoldToParty")
    check_customer(store, sold_to)
    salesperson, contact = _partners(store, codes, sold_to, navigation_list(body, "to_Partner"))
    raw_items = navigation_list(body, "to_Item")
    if len(raw_items) > MAX_LINES:
        raise bad(f"A sales order takes at most {MAX_LINES} items", "V1/555", "to_Item")
    lines = tuple(
        order_item(store, item, where=f"Item {n}: ") for n, item in enumerate(raw_items, 1)
    )
    extras: dict[str, Any] = {}
    if header.get("PurchaseOrderByCustomer"):
        extras["external_document_number"] = header["PurchaseOrderByCustomer"]
    if header.get("CompleteDeliveryIsDefined") is not None:
        extras["partial_shipping"] = int(not header["CompleteDeliveryIsDefined"])
    return DocumentBody(
        HeaderBody(
            customer_no=sold_to,
            contact_no=contact,
            channel="web",
            document_date=_day(header.get("SalesOrderDate")),
            requested_delivery_date=_day(header.get("RequestedDeliveryDate")),
            salesperson=salesperson,
            extras=extras,
        ),
        lines,
    )


def _day(value: str | None) -> str | None:
    return None if value is None else value[:10]


def _partners(
    store: ReadStore, codes: Codes, sold_to: str, partners: list[dict[str, Any]]
) -> tuple[str | None, str]:
    """(salesperson, contact) from to_Partner; customer partners must be the sold-to party
    (the world invoices and ships to its sold-to party)."""
    entity = sales_order_set("A_SalesOrderHeaderPartner")
    salesperson: str | None = None
    contact = ""
    for n, raw in enumerate(partners, 1):
        values = values_of(entity, raw, f"Partner {n}: ")
        role = values.get("PartnerFunction", "")
        if role in CUSTOMER_ROLES:
            customer = values.get("Customer") or sold_to
            if customer != sold_to:
                raise bad(
                    f"Partner function {role}: customer {customer} is not a partner of"
                    f" sold-to party {sold_to}",
                    "V1/102",
                    "to_Partner",
                )
        elif role == "VE":
            personnel = values.get("Personnel", "")
            salesperson = codes.from_sap("personnel", personnel)
            if salesperson is None:
                raise bad(f"Personnel number {personnel} does not exist", "V1/102", "Personnel")
        elif role == "AP":
            contact = values.get("ContactPerson", "")
            owner = store.lookup("contacts", "no", contact, "customer_no")
            if owner != sold_to:
                raise bad(
                    f"Contact person {contact} is not a contact of {sold_to}",
                    "V1/102",
                    "ContactPerson",
                )
        else:
            raise bad(f"Partner function {role!r} is not defined", "V1/100", "PartnerFunction")
    return salesperson, contact


def order_item(
    store: ReadStore, body: dict[str, Any], where: str = "", entity: EntityType | None = None
) -> LineBody:
    """One item of a deep insert or an A_SalesOrderItem create (or, with the simulation's
    `entity`, of an order simulation)."""
    values = values_of(entity or sales_order_set("A_SalesOrderItem"), body, where)
    material = values.get("Material") or ""
    if not material:
        raise bad(f"{where}Enter a material", "V1/270", "Material")
    found = store.conn.execute("SELECT blocked FROM items WHERE no = ?", (material,)).fetchone()
    if found is None:
        raise bad(
            f"{where}Material {material} is not defined for sales org.{SALES_ORGANIZATION},"
            f" distr.chan.{DISTRIBUTION_CHANNEL}, language EN",
            "V1/392",
            "Material",
        )
    quantity = values.get("RequestedQuantity")
    if quantity is None or not 0 < quantity <= 1e9:
        raise bad(f"{where}Enter a requested quantity above zero", "V1/064", "RequestedQuantity")
    unit = _unit(store, material, values, where)
    elements = navigation_list(body, "to_PricingElement")
    price, discount = (None, None) if entity is not None else _conditions(elements, where)
    sequence = None
    if values.get("SalesOrderItem"):
        sequence = our_line(values["SalesOrderItem"])
        if sequence is None:
            raise bad(
                f"{where}Item number {values['SalesOrderItem']} is not valid",
                "V1/555",
                "SalesOrderItem",
            )
    return LineBody(LineEntry(material, unit, float(quantity), price, discount), sequence)


def _unit(store: ReadStore, material: str, values: dict[str, Any], where: str) -> str:
    """Our unit code of RequestedQuantityUnit (SAP key or ISO code); '' = the base unit."""
    given = values.get("RequestedQuantityUnit") or values.get("RequestedQuantityISOUnit") or ""
    if not given:
        return ""
    ours = our_unit(given)
    defined = {
        code
        for (code,) in store.conn.execute(
            "SELECT code FROM item_units_of_measure WHERE item_no = ?"
            " UNION SELECT base_unit_of_measure FROM items WHERE no = ?",
            (material, material),
        )
    }
    if ours is None or ours not in defined:
        raise bad(
            f"{where}Unit {given} is not defined for material {material}",
            "V1/093",
            "RequestedQuantityUnit",
        )
    return ours


def _conditions(elements: list[dict[str, Any]], where: str) -> tuple[float | None, float | None]:
    """A manual price (PPR0's rate) and customer discount (K007's rate, negative %)."""
    entity = sales_order_set("A_SalesOrderItemPrElement")
    price = discount = None
    for element in elements:
        values = values_of(entity, element, where)
        kind = values.get("ConditionType", "")
        rate = values.get("ConditionRateValue")
        if kind == PRICE_CONDITION and rate is not None:
            if rate < 0:
                raise bad(f"{where}The price must not be negative", "V1/064", "ConditionRateValue")
            price = float(rate)
        elif kind == DISCOUNT_CONDITION and rate is not None:
            if not -100 <= rate <= 0:
                raise bad(
                    f"{where}Discount {rate} % is outside -100..0", "V1/064", "ConditionRateValue"
                )
            discount = -float(rate)
        else:
            raise bad(
                f"{where}Condition type {kind!r} cannot be entered manually"
                f" (use {PRICE_CONDITION} or {DISCOUNT_CONDITION})",
                "V1/212",
                "ConditionType",
            )
    return price, discount


def _unchanged(entity: EntityType, name: str, value: Any, current: dict[str, Any]) -> bool:
    """Whether a property a full-body update (PUT) repeats may be let be: a read-only one
    (sap:updatable="false", as SAP ignores it) or one that keeps its current value."""
    prop = entity.by_name[name]
    if not prop.updatable:
        return True
    return name in current and format_value(prop, value) == format_value(prop, current[name])


def item_change(
    store: ReadStore, material: str, body: dict[str, Any], current: dict[str, Any]
) -> LineChange:
    """A MERGE (or PUT) of an item: its quantity and unit; any other property given must
    keep its value."""
    entity = sales_order_set("A_SalesOrderItem")
    values = values_of(entity, body)
    for name, value in values.items():
        changeable = name in ("RequestedQuantity", "RequestedQuantityUnit", *ITEM_KEY)
        if not changeable and not _unchanged(entity, name, value, current):
            raise bad(f"Property {name} of an item cannot be changed here", "V1/555", name)
    quantity = values.get("RequestedQuantity")
    if quantity is not None and not 0 < quantity <= 1e9:
        raise bad("Enter a requested quantity above zero", "V1/064", "RequestedQuantity")
    unit = _unit(store, material, values, "") if "RequestedQuantityUnit" in values else None
    return LineChange(quantity=quantity, unit=unit)


def header_changes(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """A MERGE (or PUT) of the header: our columns of what it sets (PO number, delivery
    date); any other property given must keep its value."""
    entity = sales_order_set("A_SalesOrder")
    values = values_of(entity, body)
    changes: dict[str, Any] = {}
    for name, value in values.items():
        column = HEADER_CHANGES.get(name)
        if column is not None:
            if not _unchanged(entity, name, value, current):
                changes[column] = _day(value) if column == "requested_delivery_date" else value
        elif name != "SalesOrder" and not _unchanged(entity, name, value, current):
            raise bad(f"Property {name} of a sales order cannot be changed here", "V1/555", name)
    if "requested_delivery_date" in changes and changes["requested_delivery_date"] is None:
        raise bad("Enter a requested delivery date", "V1/064", "RequestedDeliveryDate")
    return changes
