"""Every property Business Central's API v2.0 reference documents for the sets we serve, under
its documented name and type, in `$metadata` and in the JSON of a real entity.

The expected properties are `bc_v2_properties.json`, extracted from the resource pages of
Microsoft's docs (`extract_bc_docs.py` says how; each set names its source page). The server is
the real one, over the small dataset with its history.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "conformance-key"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
DOCS = json.loads((Path(__file__).parent / "bc_v2_properties.json").read_text())
SETS: dict[str, Any] = DOCS["entitySets"]
# The docs' type words -> the EDM types BC's $metadata uses for them.
DOC_TYPES = {
    "GUID": "Edm.Guid",
    "string": "Edm.String",
    "integer": "Edm.Int32",
    "int": "Edm.Int32",
    "int64": "Edm.Int64",
    "decimal": "Edm.Decimal",
    "numeric": "Edm.Decimal",
    "boolean": "Edm.Boolean",
    "date": "Edm.Date",
    "datetime": "Edm.DateTimeOffset",
    "stream": "Edm.Stream",
}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def edm_of(doc_type: str) -> str:
    if doc_type.startswith("NAV."):
        return "Microsoft." + doc_type
    return DOC_TYPES[doc_type]


@pytest.fixture(scope="module")
def api(history_run, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("conformance") / "erp.sqlite"
    shutil.copy(history_run.path, db)
    with ServerThread(ServerSettings(db=db, api_key=KEY, clock_speed=0)) as running:
        yield running.url + "/api/v2.0"


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["api-key"] = KEY
        yield session


@pytest.fixture(scope="module")
def metadata(api: str, http: requests.Session) -> dict[str, Any]:
    """Entity type name -> {property: type}, enum name -> members, set -> entity type."""
    root = ET.fromstring(http.get(f"{api}/$metadata").content)
    types = {
        t.get("Name"): {p.get("Name"): p.get("Type") for p in t.iter(f"{EDM}Property")}
        for t in root.iter(f"{EDM}EntityType")
    }
    enums = {
        e.get("Name"): {m.get("Name") for m in e.iter(f"{EDM}Member")}
        for e in root.iter(f"{EDM}EnumType")
    }
    sets = {
        s.get("Name"): str(s.get("EntityType")).rsplit(".", 1)[-1]
        for s in root.iter(f"{EDM}EntitySet")
    }
    return {"types": types, "enums": enums, "sets": sets}


def test_the_data_covers_the_sets_the_issue_names() -> None:
    assert len(SETS) >= 29
    assert sum(len(s["properties"]) for s in SETS.values()) >= 541


@pytest.mark.parametrize("entity_set", sorted(SETS))
def test_metadata_declares_every_documented_property(entity_set: str, metadata) -> None:
    source = SETS[entity_set]["source"]
    if entity_set == "companies":
        declared = metadata["types"]["company"]
    else:
        assert entity_set in metadata["sets"], f"{entity_set} ({source}) is not served"
        declared = metadata["types"][metadata["sets"][entity_set]]
    wrong = {
        name: (declared.get(name), edm_of(doc_type))
        for name, doc_type in SETS[entity_set]["properties"]
        if declared.get(name) != edm_of(doc_type)
    }
    assert not wrong, f"{entity_set} ({source}): (served, documented) {wrong}"
    for name, doc_type in SETS[entity_set]["properties"]:
        if doc_type.startswith("NAV."):
            assert doc_type[4:] in metadata["enums"], f"{entity_set}.{name}: no enum {doc_type}"


def _first(api: str, http: requests.Session, entity_set: str) -> dict[str, Any] | None:
    response = http.get(f"{api}/{entity_set}", params={"$top": "1"})
    assert response.status_code == 200, response.text
    rows = response.json()["value"]
    return rows[0] if rows else None


def _json_ok(value: Any, edm: str, enums: dict[str, set[str]]) -> bool:
    if value is None:
        return edm not in ("Edm.Guid", "Edm.Boolean", "Edm.Int32", "Edm.Decimal")
    if edm == "Edm.Guid":
        return isinstance(value, str) and bool(GUID.match(value))
    if edm == "Edm.String":
        return isinstance(value, str)
    if edm in ("Edm.Int32", "Edm.Int64"):
        return isinstance(value, int) and not isinstance(value, bool)
    if edm == "Edm.Decimal":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if edm == "Edm.Boolean":
        return isinstance(value, bool)
    if edm == "Edm.Date":
        return isinstance(value, str) and bool(DATE.match(value))
    if edm == "Edm.DateTimeOffset":
        return isinstance(value, str) and bool(STAMP.match(value))
    if edm.startswith("Microsoft.NAV."):
        return value in enums[edm.removeprefix("Microsoft.NAV.")]
    return True


@pytest.mark.parametrize("entity_set", sorted(SETS))
def test_json_carries_every_documented_property_with_its_type(
    entity_set: str, api: str, http: requests.Session, metadata
) -> None:
    row = _first(api, http, entity_set)
    if row is None:
        pytest.skip(f"the small dataset has no {entity_set}")
    source = SETS[entity_set]["source"]
    missing = [name for name, _ in SETS[entity_set]["properties"] if name not in row]
    assert not missing, f"{entity_set} ({source}) lacks {missing}"
    if entity_set == "companies":
        return
    bad = {
        name: row[name]
        for name, doc_type in SETS[entity_set]["properties"]
        if doc_type != "stream" and not _json_ok(row[name], edm_of(doc_type), metadata["enums"])
    }
    assert not bad, f"{entity_set} ({source}): values of the wrong type {bad}"


@pytest.mark.parametrize(
    ("entity_set", "lines"),
    [
        ("salesOrders", "salesOrderLines"),
        ("salesQuotes", "salesQuoteLines"),
        ("salesInvoices", "salesInvoiceLines"),
        ("salesShipments", "salesShipmentLines"),
        ("salesCreditMemos", "salesCreditMemoLines"),
    ],
)
def test_lines_are_reachable_by_their_own_ids(
    entity_set: str, lines: str, api: str, http: requests.Session
) -> None:
    header = _first(api, http, entity_set)
    assert header is not None
    body = http.get(f"{api}/{entity_set}({header['id']})", params={"$expand": lines}).json()
    assert body[lines], f"{entity_set} {header['number']} has no lines"
    for line in body[lines]:
        assert line["documentId"] == header["id"]
        one = http.get(f"{api}/{lines}({line['id']})")
        assert one.status_code == 200, one.text
        assert one.json()["sequence"] == line["sequence"]
        nested = http.get(f"{api}/{entity_set}({header['id']})/{lines}({line['id']})")
        assert nested.status_code == 200, nested.text
        assert nested.json()["id"] == line["id"]
    ids = [line["id"] for line in body[lines]]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("entity_set", "navigation", "local"),
    [
        ("salesOrders", "customer", "customerId"),
        ("salesOrders", "paymentTerm", "paymentTermsId"),
        ("salesInvoices", "customer", "customerId"),
        ("salesOrderLines", "item", "itemId"),
        ("salesOrderLines", "unitOfMeasure", "unitOfMeasureId"),
        ("salesOrderLines", "salesOrder", "documentId"),
        ("items", "itemCategory", "itemCategoryId"),
        ("customers", "paymentTerm", "paymentTermsId"),
        ("customers", "customerFinancialDetail", "id"),
        ("customerPayments", "customer", "customerId"),
    ],
)
def test_references_expand_to_the_entity_their_id_names(
    entity_set: str, navigation: str, local: str, api: str, http: requests.Session
) -> None:
    rows = http.get(f"{api}/{entity_set}", params={"$top": "3", "$expand": navigation}).json()[
        "value"
    ]
    assert rows
    for row in rows:
        assert isinstance(row[navigation], dict), row[navigation]
        assert row[navigation]["id"] == row[local]
    one = http.get(f"{api}/{entity_set}({rows[0]['id']})/{navigation}")
    assert one.status_code == 200, one.text
    assert one.json()["id"] == rows[0][local]


def test_a_blank_reference_expands_to_null(api: str, http: requests.Session) -> None:
    """An order in the local currency has the empty currencyId, and no currency (BC: null)."""
    rows = http.get(
        f"{api}/salesOrders",
        params={"$top": "1", "$filter": "currencyCode eq 'EUR'", "$expand": "currency"},
    ).json()["value"]
    assert rows[0]["currencyId"] == "00000000-0000-0000-0000-000000000000"
    assert rows[0]["currency"] is None
