"""The SAP facade's read protocol: service document, $metadata, V2 JSON, query options,
keyset paging with __next, $inlinecount, $expand, auth and sap-client, SAP's error body."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET

import requests

from tests.integration.sap.conftest import KEY, PAGE, csrf_refused, sap_error

PRODUCTS = "/API_PRODUCT_SRV"
EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"
SAPNS = "{http://www.sap.com/Protocols/SAPData}"


def test_service_document_lists_the_entity_sets(sap: str, session: requests.Session) -> None:
    response = session.get(sap + PRODUCTS + "/")
    assert response.status_code == 200
    assert response.headers["dataserviceversion"] == "2.0"
    assert "A_Product" in response.json()["d"]["EntitySets"]


def test_metadata_is_sap_edmx_with_annotations(sap: str, session: requests.Session) -> None:
    response = session.get(sap + PRODUCTS + "/$metadata")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    product = next(e for e in root.iter(f"{EDM}EntityType") if e.get("Name") == "A_ProductType")
    names = [p.get("Name") for p in product.findall(f"{EDM}Property")]
    assert names[:3] == ["Product", "ProductType", "CrossPlantStatus"]
    first = product.find(f"{EDM}Property")
    assert first is not None
    assert first.get(f"{SAPNS}label") == "Product"
    sets = [s.get("Name") for s in root.iter(f"{EDM}EntitySet")]
    assert "A_ProductDescription" in sets


def test_collection_is_v2_json_with_all_properties(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    response = session.get(sap + PRODUCTS + "/A_Product", params={"$top": "3"})
    assert response.status_code == 200
    results = response.json()["d"]["results"]
    assert len(results) == 3
    first = results[0]
    assert first["__metadata"]["type"] == "API_PRODUCT_SRV.A_ProductType"
    assert first["__metadata"]["uri"].endswith(f"/A_Product('{first['Product']}')")
    assert len([k for k in first if not k.startswith("__") and not k.startswith("to_")]) == 68
    assert re.fullmatch(r"/Date\(\d+\)/", first["CreationDate"])
    assert re.fullmatch(r"/Date\(\d+\+0000\)/", first["LastChangeDateTime"])
    assert re.fullmatch(r"\d+\.\d{3}", first["GrossWeight"])  # Edm.Decimal, scale 3
    assert first["to_Description"] == {
        "__deferred": {"uri": first["__metadata"]["uri"] + "/to_Description"}
    }
    name = sql.execute(
        "SELECT display_name FROM items WHERE no = ?", (first["Product"],)
    ).fetchone()[0]
    description = session.get(first["__metadata"]["uri"] + "/to_Description").json()
    assert description["d"]["results"][0]["ProductDescription"] == name[:40]


def test_paging_follows_next_to_the_end_without_repeats(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    url: str | None = sap + PRODUCTS + "/A_Product?$select=Product&$inlinecount=allpages"
    seen: list[str] = []
    count = None
    pages = 0
    while url:
        body = session.get(url).json()["d"]
        count = body.get("__count", count)
        seen += [r["Product"] for r in body["results"]]
        url = body.get("__next")
        pages += 1
    total = sql.execute("SELECT count(*) FROM items").fetchone()[0]
    assert count == str(total)
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // PAGE)


def test_filter_orderby_and_count(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    heavy = sql.execute("SELECT count(*) FROM items WHERE gross_weight > 1.5").fetchone()[0]
    count = session.get(
        sap + PRODUCTS + "/A_Product/$count", params={"$filter": "GrossWeight gt 1.5M"}
    )
    assert count.status_code == 200
    assert int(count.text) == heavy
    body = session.get(
        sap + PRODUCTS + "/A_Product",
        params={
            "$filter": "startswith(Product,'1000') and GrossWeight gt 1.5M",
            "$orderby": "GrossWeight desc",
            "$top": "5",
            "$select": "Product,GrossWeight",
        },
    ).json()["d"]["results"]
    weights = [float(r["GrossWeight"]) for r in body]
    assert weights == sorted(weights, reverse=True)
    assert all(w > 1.5 for w in weights)
    assert set(body[0]) == {"__metadata", "Product", "GrossWeight"}


def test_expand_nests_children(sap: str, session: requests.Session) -> None:
    body = session.get(
        sap + PRODUCTS + "/A_Product('1000001')", params={"$expand": "to_Description"}
    ).json()["d"]
    assert body["to_Description"]["results"][0]["Language"] == "EN"


def test_bad_requests_get_sap_errors(sap: str, session: requests.Session) -> None:
    sap_error(session.get(sap + PRODUCTS + "/A_Product", params={"$filter": "Nope eq 1"}), 400)
    sap_error(session.get(sap + PRODUCTS + "/A_Product", params={"$top": "x"}), 400)
    sap_error(session.get(sap + PRODUCTS + "/A_Product", params={"$expand": "to_Nope"}), 400)
    sap_error(session.get(sap + PRODUCTS + "/A_Product('nope')"), 404)
    sap_error(session.get(sap + PRODUCTS + "/A_Nope"), 404)
    sap_error(session.get(sap + "/API_NOPE_SRV/"), 404)
    sap_error(session.get(sap + PRODUCTS + "/A_Product", params={"$skiptoken": "zz"}), 400)


def test_auth_and_sap_client(sap: str) -> None:
    anonymous = requests.get(sap + PRODUCTS + "/A_Product?$top=1")
    sap_error(anonymous, 401)
    assert anonymous.headers["www-authenticate"].startswith("Basic ")
    sap_error(requests.get(sap + PRODUCTS + "/", auth=("U", "wrong")), 401)
    ok = requests.get(sap + PRODUCTS + "/?sap-client=100", auth=("U", KEY))
    assert ok.status_code == 200
    sap_error(requests.get(sap + PRODUCTS + "/?sap-client=200", auth=("U", KEY)), 401)
    assert requests.get(sap + PRODUCTS + "/", headers={"APIKey": KEY}).status_code == 200


def test_writes_need_a_csrf_token(sap: str, session: requests.Session) -> None:
    csrf_refused(session.post(sap + "/API_SALES_ORDER_SRV/A_SalesOrder", json={}))
    fetched = session.get(sap + PRODUCTS + "/", headers={"x-csrf-token": "Fetch"})
    token = fetched.headers["x-csrf-token"]
    assert token
    assert token != "Required"
    other_user = requests.get(
        sap + PRODUCTS + "/", auth=("OTHER", KEY), headers={"x-csrf-token": "Fetch"}
    )
    assert other_user.headers["x-csrf-token"] != token
    # the token belongs to the session the fetch opened: sent without its cookie, refused
    assert fetched.cookies
    cookieless = requests.post(
        sap + "/API_SALES_ORDER_SRV/A_SalesOrder",
        json={},
        auth=session.auth,
        headers={"x-csrf-token": token, "Accept": "application/json"},
    )
    csrf_refused(cookieless)
    with_cookie = session.post(
        sap + "/API_SALES_ORDER_SRV/A_SalesOrder", json={}, headers={"x-csrf-token": token}
    )
    assert with_cookie.status_code == 400, with_cookie.text  # past the check: the body is bad
