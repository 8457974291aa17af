"""``$metadata`` of a service: SAP's EDMX for the entity types the facade serves.

Written from the extracted metadata (`catalog`), element for element and attribute for
attribute, sap: annotations included, so generated proxies (SAP Cloud SDK, pyodata) see the
service S/4HANA publishes, reduced to the served entity sets and the associations between
them.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from xml.sax.saxutils import quoteattr

from simulator.erp_server.sap.catalog import service

__all__ = ["metadata_xml"]

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _attrs(attrs: dict[str, str]) -> str:
    shown = []
    for name, value in attrs.items():
        shown_name = "xml:lang" if name == XML_LANG else name
        shown.append(f" {shown_name}={quoteattr(value)}")
    return "".join(shown)


def _entity_type(entity: dict[str, Any]) -> list[str]:
    lines = [f"<EntityType{_attrs(entity['attrs'])}>"]
    lines.append("<Key>" + "".join(f'<PropertyRef Name="{k}"/>' for k in entity["key"]) + "</Key>")
    lines += [f"<Property{_attrs(p)}/>" for p in entity["properties"]]
    lines += [f"<NavigationProperty{_attrs(n)}/>" for n in entity["navigations"]]
    lines.append("</EntityType>")
    return lines


def _association(assoc: dict[str, Any]) -> list[str]:
    lines = [f"<Association{_attrs(assoc['attrs'])}>"]
    lines += [f"<End{_attrs(e)}/>" for e in assoc["ends"]]
    constraint = assoc.get("constraint")
    if constraint:
        lines.append("<ReferentialConstraint>")
        for part in ("Principal", "Dependent"):
            refs = "".join(f'<PropertyRef Name="{r}"/>' for r in constraint[part]["refs"])
            lines.append(f'<{part} Role="{constraint[part]["role"]}">{refs}</{part}>')
        lines.append("</ReferentialConstraint>")
    lines.append("</Association>")
    return lines


@cache
def metadata_xml(name: str, self_url: str = "") -> bytes:
    raw = service(name).raw
    schema = dict(raw["schema"])
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"'
        ' xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"'
        ' xmlns:sap="http://www.sap.com/Protocols/SAPData">',
        '<edmx:DataServices m:DataServiceVersion="2.0">',
        f'<Schema{_attrs(schema)} xmlns="http://schemas.microsoft.com/ado/2008/09/edm">',
    ]
    for entity in raw["entity_types"]:
        lines += _entity_type(entity)
    for assoc in raw["associations"]:
        lines += _association(assoc)
    lines.append(f"<EntityContainer{_attrs(raw['container'])}>")
    lines += [f"<EntitySet{_attrs(s)}/>" for s in raw["entity_sets"]]
    for assoc_set in raw["association_sets"]:
        lines.append(f"<AssociationSet{_attrs(assoc_set['attrs'])}>")
        lines += [f"<End{_attrs(e)}/>" for e in assoc_set["ends"]]
        lines.append("</AssociationSet>")
    lines += raw.get("function_imports_xml", [])
    lines.append("</EntityContainer>")
    if self_url:
        lines.append(
            f'<atom:link rel="self" href={quoteattr(self_url)}'
            ' xmlns:atom="http://www.w3.org/2005/Atom"/>'
        )
    lines += ["</Schema>", "</edmx:DataServices>", "</edmx:Edmx>"]
    return "\n".join(lines).encode()
