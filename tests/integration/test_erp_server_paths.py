"""The API's URL forms on a real server: BC online's cloud form, `--base-path`, and the
custom API group ``/api/erpsim/commerce/v1.0`` (with the deprecated old paths)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from simulator.erp_server.client import CUSTOM_OPERATIONS as CLIENT_OPERATIONS
from simulator.erp_server.client import CUSTOM_SETS as CLIENT_SETS
from simulator.erp_server.client import ErpClient
from simulator.erp_server.paths import CUSTOM_OPERATIONS, CUSTOM_SETS
from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "paths-key"
CUSTOM = "/api/erpsim/commerce/v1.0"
CLOUD = "/v2.0/contoso-tenant/Production"


@pytest.fixture(scope="module")
def db(history_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("erp-paths") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    return path


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[ServerThread]:
    settings = ServerSettings(db=db, api_key=KEY, clock_speed=0, max_page_size=5)
    with ServerThread(settings) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["api-key"] = KEY
        yield session


def test_the_client_knows_the_servers_custom_sets() -> None:
    assert CLIENT_SETS == CUSTOM_SETS
    assert CLIENT_OPERATIONS == CUSTOM_OPERATIONS


def test_cloud_form_answers_in_the_callers_urls(server: ServerThread, http) -> None:
    root = f"{server.url}{CLOUD}/api/v2.0"
    company = http.get(f"{root}/companies").json()["value"][0]["id"]
    page = http.get(f"{root}/companies({company})/items?$select=number").json()
    assert page["@odata.context"] == f"{root}/$metadata#companies({company})/items(number)"
    assert page["@odata.nextLink"].startswith(f"{root}/companies({company})/items?")
    second = http.get(page["@odata.nextLink"]).json()
    assert second["value"][0]["number"] > page["value"][-1]["number"]
    other = http.get(f"{server.url}/v2.0/other/Sandbox/api/v2.0/items?$top=1").json()
    assert other["@odata.context"].startswith(f"{server.url}/v2.0/other/Sandbox/api/v2.0/")
    assert requests.get(f"{root}/items").status_code == 401  # the guard runs on every form


def test_custom_group_serves_custom_sets_only(server: ServerThread, http) -> None:
    custom = server.url + CUSTOM
    names = {s["name"] for s in http.get(f"{custom}/").json()["value"]}
    assert "itemStock" in names
    assert "items" not in names
    stock = http.get(f"{custom}/itemStock?$top=2")
    assert stock.status_code == 200
    assert "deprecation" not in stock.headers
    assert stock.json()["@odata.context"].startswith(f"{custom}/$metadata#itemStock")
    refused = http.get(f"{custom}/items?$top=1")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "BadRequest_ResourceNotFound"
    company = http.get(f"{custom}/companies").json()["value"][0]["id"]
    scoped = http.get(f"{server.url}{CLOUD}{CUSTOM}/companies({company})/itemStock?$top=1")
    assert scoped.status_code == 200
    cloud_root = f"{server.url}{CLOUD}{CUSTOM}"
    assert scoped.json()["@odata.context"].startswith(f"{cloud_root}/$metadata#companies(")


def test_old_custom_paths_are_deprecated_with_a_successor(server: ServerThread, http) -> None:
    old = http.get(f"{server.url}/api/v2.0/itemStock?$top=1")
    assert old.status_code == 200
    assert old.headers["Deprecation"] == "true"
    assert old.headers["Link"] == (
        f'<{server.url}{CUSTOM}/itemStock?$top=1>; rel="successor-version"'
    )
    standard = http.get(f"{server.url}/api/v2.0/items?$top=1")
    assert "deprecation" not in standard.headers
    payments = http.get(f"{server.url}/api/v2.0/customerPayments?$top=1")
    assert "deprecation" not in payments.headers  # only the online-payment POST moved


def test_a_deprecated_path_with_a_control_character_is_answered(server: ServerThread, http) -> None:
    """Found by schemathesis: the successor Link carried the decoded path, and a control
    character in a header value made uvicorn drop the connection."""
    old = http.get(f"{server.url}/api/v2.0/itemStock(itemNumber='0',locationCode='%1F')")
    assert old.status_code == 404, old.text
    assert "%1F" in old.headers["Link"]


def test_a_renamed_set_answers_under_its_old_name_deprecated(server: ServerThread, http) -> None:
    old = http.get(f"{server.url}/api/v2.0/salespeople?$top=2")
    new = http.get(f"{server.url}/api/v2.0/salespeoplePurchasers?$top=2")
    assert old.status_code == new.status_code == 200, old.text
    assert old.json()["value"] == new.json()["value"]
    assert old.headers["Deprecation"] == "true"
    assert "/api/v2.0/salespeoplePurchasers" in old.headers["Link"]
    assert "deprecation" not in new.headers


def test_the_client_calls_the_custom_group(server: ServerThread, history_run) -> None:
    with ErpClient(server.url, api_key=KEY) as erp:
        customer = next(erp.iter("customers", filter="blocked eq ''", select="number", top=1))
        item = next(erp.iter("items", filter="blocked eq false", select="number", top=1))
        response = erp.request(
            "POST",
            "calculatePrice",
            json={
                "customerNumber": customer["number"],
                "itemNumber": item["number"],
                "quantity": 1,
            },
        )
    assert response.url == f"{server.url}{CUSTOM}/calculatePrice"
    assert "deprecation" not in response.headers


def test_base_path_moves_the_whole_api(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "erp.sqlite"
    shutil.copy(db, copy)
    settings = ServerSettings(db=copy, api_key=KEY, clock_speed=0, base_path="/bc")
    with ServerThread(settings) as running, requests.Session() as http:
        http.headers["api-key"] = KEY
        body = http.get(f"{running.url}/bc/api/v2.0/items?$top=1").json()
        assert body["@odata.context"].startswith(f"{running.url}/bc/api/v2.0/$metadata#")
        assert http.get(f"{running.url}/bc{CLOUD}/api/v2.0/items?$top=1").status_code == 200
        assert http.get(f"{running.url}/bc{CUSTOM}/itemStock?$top=1").status_code == 200
        assert http.get(f"{running.url}/api/v2.0/items?$top=1").status_code == 404
        assert requests.get(f"{running.url}/health").status_code == 200
        sap = f"{running.url}/bc/sap/opu/odata/sap/API_PRODUCT_SRV/A_Product"
        product = requests.get(sap, params={"$top": "1"}, auth=("U", KEY)).json()["d"]
        assert product["results"][0]["__metadata"]["uri"].startswith(sap + "(")
        outside = f"{running.url}/sap/opu/odata/sap/API_PRODUCT_SRV/A_Product"
        assert requests.get(outside, auth=("U", KEY)).status_code == 404
        with ErpClient(running.url + "/bc", api_key=KEY) as erp:
            assert erp.clock()["clockSpeed"] == 0
