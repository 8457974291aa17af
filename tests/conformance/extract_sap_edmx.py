"""Regenerate simulator/data/sap/*.json from SAP's published EDMX of the A2X OData V2 APIs.

The SAP facade serves these entity types exactly as SAP's metadata describes them (names,
order, Edm types, facets and the sap: annotations); this script is how the data files were
made, so anyone can refresh them from a newer copy. Download each service's EDMX from the
SAP Business Accelerator Hub (api.sap.com, "API specification" -> EDMX), put them in one
directory as <SERVICE>.edmx, then:

    python tests/conformance/extract_sap_edmx.py <dir>

Only the entity types in SCOPE are kept (with the associations between them); everything
else a service offers is left out of the facade and of its $metadata.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"
OUT = Path(__file__).resolve().parents[2] / "simulator" / "data" / "sap"

SCOPE: dict[str, list[str]] = {
    "API_PRODUCT_SRV": [
        "A_Product",
        "A_ProductDescription",
        "A_ProductPlant",
        "A_ProductSales",
        "A_ProductSalesDelivery",
        "A_ProductUnitsOfMeasure",
        "A_ProductUnitsOfMeasureEAN",
    ],
    "API_BUSINESS_PARTNER": [
        "A_BusinessPartner",
        "A_BusinessPartnerAddress",
        "A_AddressEmailAddress",
        "A_AddressPhoneNumber",
        "A_BusinessPartnerContact",
        "A_BusinessPartnerRole",
        "A_Customer",
        "A_CustomerCompany",
        "A_CustomerSalesArea",
        "A_CustSalesPartnerFunc",
    ],
    "API_SALES_ORDER_SRV": [
        "A_SalesOrder",
        "A_SalesOrderItem",
        "A_SalesOrderHeaderPartner",
        "A_SalesOrderHeaderPrElement",
        "A_SalesOrderItemPrElement",
        "A_SalesOrderScheduleLine",
    ],
    # SAP's own copy of this EDMX is not in the Accelerator Hub download set we used: it was
    # rebuilt from a customer system's $metadata (its ZZ1_* extension fields dropped); that
    # copy has no sap: annotations, so neither has this service's data file.
    "API_SALES_ORDER_SIMULATION_SRV": [
        "A_SalesOrderSimulation",
        "A_SalesOrderItemSimulation",
        "A_SalesOrderPrcgElmntSimln",
        "A_SalesOrderItmPrcgElmntSimln",
        "A_SalesOrderPricingSimulation",
        "A_SalesOrderPartnerSimulation",
        "A_SalesOrderScheduleLineSimln",
        "A_SalesOrderCreditSimulation",
    ],
    "API_SLSPRICINGCONDITIONRECORD_SRV": [
        "A_SlsPrcgConditionRecord",
        "A_SlsPrcgCndnRecdValidity",
        "A_SlsPrcgCndnRecordScale",
    ],
    "API_MATERIAL_STOCK_SRV": ["A_MaterialStock", "A_MatlStkInAcctMod"],
    "API_OUTBOUND_DELIVERY_SRV": [
        "A_OutbDeliveryHeader",
        "A_OutbDeliveryItem",
        "A_OutbDeliveryPartner",
    ],
    "API_BILLING_DOCUMENT_SRV": [
        "A_BillingDocument",
        "A_BillingDocumentItem",
        "A_BillingDocumentPartner",
        "A_BillingDocumentItemPrcgElmnt",
    ],
}


def _attrs(element: ET.Element) -> dict[str, str]:
    """Attributes with sap: (and m:) namespaces as prefixes, the way the EDMX spells them."""
    shown = {}
    for name, value in element.attrib.items():
        local = name.split("}", 1)[-1]
        if name.startswith("{http://www.sap.com/Protocols/SAPData}"):
            shown["sap:" + local] = value
        elif name.startswith("{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"):
            shown["m:" + local] = value
        else:
            shown[name] = value
    return shown


def extract(service: str, path: Path) -> dict[str, Any]:
    root = ET.parse(path).getroot()
    schema = next(
        s for s in root.iter(f"{EDM}Schema") if s.find(f"{EDM}EntityContainer") is not None
    )
    namespace = schema.get("Namespace", service)
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None
    sets = {s.get("Name"): s for s in container.findall(f"{EDM}EntitySet")}
    wanted_sets = SCOPE[service]
    type_of = {name: sets[name].get("EntityType", "").split(".")[-1] for name in wanted_sets}
    wanted_types = set(type_of.values())
    associations = {a.get("Name"): a for a in schema.findall(f"{EDM}Association")}

    def target_type(nav: ET.Element) -> str:
        assoc = associations[nav.get("Relationship", "").split(".")[-1]]
        end = next(e for e in assoc.findall(f"{EDM}End") if e.get("Role") == nav.get("ToRole"))
        return end.get("Type", "").split(".")[-1]

    types = []
    kept_assocs: set[str] = set()
    for element in schema.findall(f"{EDM}EntityType"):
        name = element.get("Name")
        if name not in wanted_types:
            continue
        navs = []
        for nav in element.findall(f"{EDM}NavigationProperty"):
            if target_type(nav) in wanted_types:
                navs.append(_attrs(nav))
                kept_assocs.add(nav.get("Relationship", "").split(".")[-1])
        key = element.find(f"{EDM}Key")
        types.append(
            {
                "attrs": _attrs(element),
                "key": [ref.get("Name") for ref in (key if key is not None else [])],
                "properties": [_attrs(p) for p in element.findall(f"{EDM}Property")],
                "navigations": navs,
            }
        )
    assoc_out = []
    for name in sorted(kept_assocs):
        assoc = associations[name]
        constraint = assoc.find(f"{EDM}ReferentialConstraint")
        assoc_out.append(
            {
                "attrs": _attrs(assoc),
                "ends": [_attrs(e) for e in assoc.findall(f"{EDM}End")],
                "constraint": None
                if constraint is None
                else {
                    part: {
                        "role": constraint.find(f"{EDM}{part}").get("Role"),  # type: ignore[union-attr]
                        "refs": [
                            r.get("Name")
                            for r in constraint.find(f"{EDM}{part}").findall(f"{EDM}PropertyRef")  # type: ignore[union-attr]
                        ],
                    }
                    for part in ("Principal", "Dependent")
                },
            }
        )
    assoc_sets = []
    for element in container.findall(f"{EDM}AssociationSet"):
        if element.get("Association", "").split(".")[-1] in kept_assocs:
            ends = [_attrs(e) for e in element.findall(f"{EDM}End")]
            if all(e["EntitySet"] in type_of for e in ends):
                assoc_sets.append({"attrs": _attrs(element), "ends": ends})
    return {
        "service": service,
        "namespace": namespace,
        "schema": _attrs(schema),
        "container": _attrs(container),
        "entity_types": types,
        "associations": assoc_out,
        "entity_sets": [_attrs(sets[name]) for name in wanted_sets],
        "association_sets": assoc_sets,
    }


def main(directory: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for service in SCOPE:
        data = extract(service, Path(directory) / f"{service}.edmx")
        target = OUT / f"{service}.json"
        target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        count = sum(len(t["properties"]) for t in data["entity_types"])
        print(f"{service}: {len(data['entity_types'])} entity types, {count} properties")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1])
