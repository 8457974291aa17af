"""Values the store's pages and checkout check or format, without a store: the checkout's
PO number and ship-to fields, money with its currency, the page list `erpsim up` prints."""

from __future__ import annotations

import pytest

from simulator.erp_server.bc_sets import LCY
from simulator.store import ApiError
from simulator.store.orders import check_order_header
from simulator.store.web import PAGES, money, page_list


def test_order_header_is_trimmed_and_blanks_left_out() -> None:
    assert check_order_header(None) == {}
    assert check_order_header({"externalDocumentNumber": " PO-1 ", "shipToName": ""}) == {
        "externalDocumentNumber": "PO-1"
    }
    full = {"shipToAddressLine1": "Calle 1", "shipToPostCode": "28001", "shipToCity": "Madrid"}
    assert check_order_header({**full, "shipToName": None}) == full


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"externalDocumentNumber": "x" * 36}, "PO number has at most 35 characters"),
        ({"shipToCity": "c" * 31}, "ship-to city has at most 30 characters"),
        ({"externalDocumentNumber": "a\tb"}, "PO number must be one line of text"),
        ({"externalDocumentNumber": 7}, "PO number must be text"),
        ({"customerNumber": "C2"}, "unknown order field 'customerNumber'"),
        ({"shipToCity": "Madrid"}, "needs ship-to address, ship-to post code"),
        ({"shipToName": "Site B"}, "needs ship-to address, ship-to post code, ship-to city"),
        (["PO-1"], "the order header must be an object"),
    ],
)
def test_bad_order_headers_are_400(header: object, message: str) -> None:
    with pytest.raises(ApiError) as raised:
        check_order_header(header)
    assert raised.value.status == 400
    assert message in raised.value.message


def test_money_names_the_local_currency() -> None:
    assert money(1234.5, "USD") == "1,234.50 USD"
    assert money(1234.5, "") == f"1,234.50 {LCY}"  # '' is the ERP's local currency
    assert money(1234.5) == "1,234.50"
    assert money(None, "EUR") == ""


def test_page_list() -> None:
    line = page_list("http://127.0.0.1:8200")
    assert line.startswith("pages: http://127.0.0.1:8200/catalog, …/quick-order")
    assert line.count("…/") == len(PAGES) - 1
