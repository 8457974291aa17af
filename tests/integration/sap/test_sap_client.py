"""The store's SAP client against the real facade: Basic auth and sap-client, __next paging
to the end, $inlinecount, SAP error bodies as ErpApiError, and the CSRF dance (fetch once,
a rejected token fetched again and the write tried once more)."""

from __future__ import annotations

import sqlite3

import pytest

from simulator.erp_server.client import ErpApiError
from simulator.store.sap_client import SapClient, request_id
from tests.integration.sap.conftest import KEY, PAGE

PRODUCTS = "API_PRODUCT_SRV"


def test_iter_follows_next_to_the_end(sap_server, sql: sqlite3.Connection) -> None:
    (count,) = sql.execute("SELECT count(*) FROM items").fetchone()
    assert count > PAGE  # more than one page, so __next is followed
    with SapClient(sap_server.url, api_key=KEY) as sap:
        products = [row["Product"] for row in sap.iter(PRODUCTS, "A_Product", select="Product")]
        rows, total = sap.page(PRODUCTS, "A_Product", top=2, inlinecount="allpages")
    assert sorted(products) == sorted(no for (no,) in sql.execute("SELECT no FROM items"))
    assert len(rows) == 2
    assert total == count


def test_sap_errors_become_erp_api_errors(sap_server) -> None:
    with SapClient(sap_server.url, api_key=KEY, max_attempts=1) as sap:
        with pytest.raises(ErpApiError) as missing:
            sap.get(PRODUCTS, "A_Product('NO-SUCH-ITEM')")
        with pytest.raises(ErpApiError) as bad_filter:
            sap.page(PRODUCTS, "A_Product", filter="Product eq")
    assert missing.value.status == 404
    assert "/" in missing.value.code  # SAP's message class and number
    assert missing.value.message
    assert bad_filter.value.status == 400
    with (
        SapClient(sap_server.url, api_key="wrong", max_attempts=1) as sap,
        pytest.raises(ErpApiError) as refused,
    ):
        sap.get(PRODUCTS, "A_Product", top=1)
    assert refused.value.status == 401


def test_a_rejected_csrf_token_is_fetched_again_once(sap_server) -> None:
    with SapClient(sap_server.url, api_key=KEY, max_attempts=1) as sap:
        token = sap.token(PRODUCTS)
        assert token
        assert sap.token(PRODUCTS) == token  # fetched once
        assert sap.token_fetches == 1
        sap._tokens[PRODUCTS] = "expired"  # as after the session timed out
        with pytest.raises(ErpApiError) as answer:
            sap.write("POST", PRODUCTS, "A_Product", json={"Product": "X"})
        # the 403 'Required' led to one new token, and the write was tried with it: the
        # facade then refused the write itself, not the token
        assert sap.token_fetches == 2
        assert sap._tokens[PRODUCTS] == token
        assert answer.value.status != 403
        assert answer.value.code != "csrf_required"


def test_request_ids_are_stable_32_character_guids() -> None:
    first = request_id("order:C000001:cart:7:2026-12-03T10:00:00Z")
    assert first == request_id("order:C000001:cart:7:2026-12-03T10:00:00Z")
    assert first != request_id("order:C000001:cart:8:2026-12-03T10:00:00Z")
    assert len(first) == 32
    assert int(first, 16) >= 0


def test_a_long_or_list_is_answered(sap_server, sql: sqlite3.Connection) -> None:
    """Connectors filter by hundreds of keys at once (`Product eq 'A' or Product eq 'B'...`):
    the facade's SQL stays flat, so SQLite's parser does not overflow into a 500."""
    numbers = [no for (no,) in sql.execute("SELECT no FROM items ORDER BY no LIMIT 400")]
    either = " or ".join(f"Product eq '{no}'" for no in numbers)
    with SapClient(sap_server.url, api_key=KEY, max_attempts=1) as sap:
        found = {row["Product"] for row in sap.iter(PRODUCTS, "A_Product", filter=either)}
        both = sap.page(PRODUCTS, "A_Product", filter=f"({either}) and Product ne ''", top=1)
    assert found == set(numbers)
    assert both[0]
