"""SAP Gateway's V2 details a generated client depends on: the Cloud SDK's HEAD token fetch
on an entity set, $select into expanded entities, and where __count and __next sit in d."""

from __future__ import annotations

import sqlite3

import requests

from tests.integration.sap.conftest import PAGE, sap_error

PRODUCTS = "/API_PRODUCT_SRV"


def test_head_on_an_entity_set_fetches_a_token_without_a_body(
    sap: str, session: requests.Session
) -> None:
    fetched = session.head(sap + PRODUCTS + "/A_Product", headers={"x-csrf-token": "Fetch"})
    assert fetched.status_code == 200
    assert fetched.content == b""
    token = fetched.headers["x-csrf-token"]
    assert token not in ("", "Required")
    same = session.get(sap + PRODUCTS + "/", headers={"x-csrf-token": "Fetch"})
    assert same.headers["x-csrf-token"] == token  # one token per user, whichever URL
    assert session.head(sap + PRODUCTS + "/A_Nope").status_code == 404


def test_select_reaches_into_expanded_entities(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    response = session.get(
        sap + PRODUCTS + "/A_Product",
        params={
            "$top": "3",
            "$select": "Product,to_Description/ProductDescription",
            "$expand": "to_Description",
        },
    )
    assert response.status_code == 200, response.text
    for product in response.json()["d"]["results"]:
        assert set(product) == {"__metadata", "Product", "to_Description"}
        (description,) = product["to_Description"]["results"]
        # the selected property and the key (SAP's key is always there to build the uri)
        assert set(description) == {"__metadata", "Product", "Language", "ProductDescription"}
        name = sql.execute(
            "SELECT display_name FROM items WHERE no = ?", (product["Product"],)
        ).fetchone()[0]
        assert description["ProductDescription"] == name[:40]
    everything = session.get(
        sap + PRODUCTS + "/A_Product",
        params={"$top": "1", "$select": "Product,to_Description/*", "$expand": "to_Description"},
    ).json()["d"]["results"][0]
    (full,) = everything["to_Description"]["results"]
    assert list(full) == ["__metadata", "Product", "Language", "ProductDescription"]


def test_select_into_an_expansion_names_real_properties(
    sap: str, session: requests.Session
) -> None:
    bad = session.get(
        sap + PRODUCTS + "/A_Product",
        params={"$select": "to_Description/Nope", "$expand": "to_Description"},
    )
    error = sap_error(bad, 400)
    assert "Nope" in error["message"]["value"]
    unexpanded = session.get(sap + PRODUCTS + "/A_Product", params={"$select": "to_Plant/Plant"})
    sap_error(unexpanded, 400)


def test_count_before_results_and_next_after(sap: str, session: requests.Session) -> None:
    d = session.get(
        sap + PRODUCTS + "/A_Product", params={"$inlinecount": "allpages", "$format": "json"}
    ).json()["d"]
    assert list(d) == ["__count", "results", "__next"]
    assert len(d["results"]) == PAGE
    assert isinstance(d["__count"], str)
