"""The OpenAPI document (`/openapi.json`) of a real server on a copy of the small dataset:
valid OpenAPI (openapi-spec-validator), one path and one schema per entity set, no generic
templates; then schemathesis generates requests from it for a few sets (collections, keys
that exist and keys that do not, invalid input) and checks that no answer is a 5xx and
every answer conforms to the document."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode, checks

from simulator.erp_server.entities import ENTITY_SETS
from simulator.erp_server.live import PATCHABLE
from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "test-key"
API = "/api/v2.0"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def server(history_run, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    path = tmp_path_factory.mktemp("erp-openapi") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    settings = ServerSettings(db=path, api_key=KEY, clock_speed=0, max_page_size=5)
    with ServerThread(settings) as running:
        yield running


@pytest.fixture(scope="module")
def document(server: ServerThread) -> dict[str, Any]:
    response = requests.get(server.url + "/openapi.json", timeout=10)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def api_schema(server: ServerThread, document: dict[str, Any]) -> Any:
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=server.url)
    return schema


@pytest.fixture(scope="module")
def ids(server: ServerThread) -> dict[str, str]:
    """The id of the first entity of a few sets, and of one order line."""
    with requests.Session() as http:
        http.headers["api-key"] = KEY
        found = {}
        for name in ("items", "customers", "salesOrders"):
            found[name] = http.get(f"{server.url}{API}/{name}?$top=1").json()["value"][0]["id"]
        lines = http.get(f"{server.url}{API}/salesOrders({found['salesOrders']})/salesOrderLines")
        found["salesOrderLines"] = lines.json()["value"][0]["id"]
    return found


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # raises on the first error


def test_every_entity_set_has_its_paths_and_schema(document: dict[str, Any]) -> None:
    paths, schemas = document["paths"], document["components"]["schemas"]
    for entity in ENTITY_SETS.values():
        assert "get" in paths[f"{API}/{entity.name}"], entity.name
        schema = schemas[entity.type_name]
        assert set(schema["properties"]) >= {f.name for f in entity.fields}
        singles = [
            p
            for p in paths
            if p.startswith(f"{API}/{entity.name}(") and "/" not in p[len(API) + 1 :]
        ]
        assert len(singles) == 1, (entity.name, singles)
        editable = entity.name in PATCHABLE or entity.name in (  # open documents' lines
            "salesOrderLines",
            "salesQuoteLines",
            "salesInvoiceLines",
        )
        assert ("patch" in paths[singles[0]]) == editable
        for nav in entity.navigation:
            assert (f"{API}/{entity.name}({{id}})/{nav.name}" in paths) != nav.single
    items = schemas["item"]["properties"]
    assert items["id"] == {"type": "string", "format": "uuid"}
    assert items["unitPrice"]["type"] in ("number", ["number", "null"])
    assert items["type"]["anyOf"] == [
        {"$ref": "#/components/schemas/Microsoft.NAV.itemType"},
        {"type": "null"},
    ]
    assert schemas["Microsoft.NAV.itemType"]["enum"] == [
        "Inventory",
        "Service",
        "Non_x002D_Inventory",
    ]
    stock = f"{API}/itemStock(itemNumber='{{itemNumber}}',locationCode='{{locationCode}}')"
    assert stock in paths
    collection = schemas["salesOrderCollection"]
    assert collection["required"] == ["@odata.context", "value"]
    assert set(collection["properties"]) == {
        "@odata.context",
        "@odata.count",
        "value",
        "@odata.nextLink",
    }


def test_no_path_is_a_generic_template(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for name in ("{entity_set}", "{key}", "{navigation}", "{company}"):
            assert name not in path
        assert "companies({company})" not in path
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
            templated = {part.split("}")[0] for part in path.split("{")[1:]}
            assert declared == templated, path


# --- schemathesis --------------------------------------------------------------------------
def _run(operation: Any, mode: GenerationMode, examples: int, **fixed: Any) -> None:
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        case.call_and_validate(headers={"api-key": KEY}, checks=CHECKS, timeout=10)

    check()


@pytest.mark.parametrize(
    "path",
    [
        "/items",
        "/customers",
        "/salesOrders",
        "/itemStock",
        "/priceListLines",
        "/companies",
        "/items({id})",
        "/salesOrders({id})",
        "/salesOrders({id})/salesOrderLines",
        "/itemStock(itemNumber='{itemNumber}',locationCode='{locationCode}')",
        "/currencyExchangeRates({id})",
    ],
)
def test_schemathesis_reads_conform(api_schema: Any, path: str) -> None:
    """Generated queries and keys (mostly of entities that do not exist): 200, 400 or 404,
    each with the documented body."""
    _run(api_schema[API + path]["GET"], GenerationMode.POSITIVE, 25)


@pytest.mark.parametrize(
    ("path", "fixed"),
    [
        ("/items({id})", "items"),
        ("/customers({id})", "customers"),
        ("/salesOrders({id})", "salesOrders"),
        ("/salesOrders({id})/salesOrderLines", "salesOrders"),
    ],
)
def test_schemathesis_reads_of_real_entities_conform(
    api_schema: Any, ids: dict[str, str], path: str, fixed: str
) -> None:
    _run(
        api_schema[API + path]["GET"],
        GenerationMode.POSITIVE,
        15,
        path_parameters={"id": ids[fixed]},
    )


@pytest.mark.parametrize("path", ["/items", "/salesOrders({id})", "/itemStock"])
def test_schemathesis_invalid_requests_are_4xx(api_schema: Any, path: str) -> None:
    """Negative mode: values outside the document (a $top beyond the maximum, a key that is
    not a GUID...) are refused with an OData error, never a 5xx."""
    _run(api_schema[API + path]["GET"], GenerationMode.NEGATIVE, 15)


def test_schemathesis_line_of_a_real_order_conforms(api_schema: Any, ids: dict[str, str]) -> None:
    operation = api_schema[API + "/salesOrders({id})/salesOrderLines({lineId})"]["GET"]
    case = operation.Case(
        path_parameters={"id": ids["salesOrders"], "lineId": ids["salesOrderLines"]}
    )
    response = case.call_and_validate(headers={"api-key": KEY}, checks=CHECKS, timeout=10)
    assert response.status_code == 200


def test_the_document_says_where_the_company_form_is(document: dict[str, Any]) -> None:
    company_paths = [
        p for p in document["paths"] if "/companies({" in p and p != f"{API}/companies({{id}})"
    ]
    assert company_paths == [f"{API}/companies({{companyId}})/items"]
    # the company-prefixed twins of every other path are described in info
    assert "companies({companyId})" in document["info"]["description"]
