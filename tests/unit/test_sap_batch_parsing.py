"""The SAP facade's request plumbing without a server: V2 multipart batches as pyodata and
the SAP Cloud SDK write them (CRLF or LF, absolute or relative URLs), SAP item numbers,
and the Repeatability headers."""

from __future__ import annotations

import pytest

from simulator.erp_server.sap.batch import Changeset, Part, parse_multipart
from simulator.erp_server.sap.codes import our_line, sap_item
from simulator.erp_server.sap.errors import SapError
from simulator.erp_server.sap.repeatability import (
    PREFIX,
    repeatability_answer,
    repeatability_key,
)

BATCH = """--batch_1
Content-Type: application/http
Content-Transfer-Encoding: binary

GET A_SalesOrder?$top=1 HTTP/1.1
Accept: application/json


--batch_1
Content-Type: multipart/mixed; boundary=changeset_a

--changeset_a
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

POST /sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder HTTP/1.1
Content-Type: application/json
Repeatability-Request-ID: r-1

{"SoldToParty": "C000001"}
--changeset_a
Content-Type: application/http
Content-Transfer-Encoding: binary

DELETE A_SalesOrderItem(SalesOrder='1',SalesOrderItem='10') HTTP/1.1


--changeset_a--
--batch_1--
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_batch_parses_into_reads_and_changesets(newline: str) -> None:
    body = BATCH.replace("\n", newline).encode()
    read, changeset = parse_multipart(body, "multipart/mixed; boundary=batch_1")
    assert isinstance(read, Part)
    assert (read.method, read.url, read.body) == ("GET", "A_SalesOrder?$top=1", b"")
    assert read.headers["accept"] == "application/json"
    assert isinstance(changeset, Changeset)
    create, delete = changeset.parts
    assert create.url == "/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder"
    assert create.body == b'{"SoldToParty": "C000001"}'
    assert create.headers["repeatability-request-id"] == "r-1"
    assert create.content_id == "1"
    assert (delete.method, delete.body, delete.content_id) == ("DELETE", b"", None)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", BATCH),
        ("multipart/mixed; boundary=batch_1", BATCH.replace("--batch_1--", "")),
        ("multipart/mixed; boundary=batch_1", BATCH.replace("GET A_SalesOrder", "POST A_X")),
        ("multipart/mixed; boundary=batch_1", BATCH.replace("DELETE", "GET")),
        ("multipart/mixed; boundary=batch_1", BATCH.replace("application/http", "text/plain", 1)),
    ],
)
def test_what_is_not_a_v2_batch_is_a_400(content_type: str, body: str) -> None:
    with pytest.raises(SapError) as caught:
        parse_multipart(body.encode(), content_type)
    assert caught.value.status == 400


def test_items_are_numbered_as_sap_numbers_them() -> None:
    assert [sap_item(n) for n in (10000, 20000, 140000)] == ["10", "20", "140"]
    assert [our_line(i) for i in ("10", "000020", "140")] == [10000, 20000, 140000]
    assert our_line("abc") is None
    assert our_line("0") is None


def test_repeatability_headers() -> None:
    assert repeatability_key({}) is None
    assert repeatability_key({"repeatability-request-id": "abc"}) == PREFIX + "abc"
    first_sent = {"repeatability-first-sent": "Thu, 03 Dec 2026 10:00:00 GMT"}
    assert repeatability_key({"repeatability-request-id": "a", **first_sent}) == PREFIX + "a"
    for bad in (
        {"repeatability-request-id": ""},
        {"repeatability-request-id": "x" * 300},
        {"repeatability-request-id": "a", "repeatability-first-sent": "yesterday"},
    ):
        with pytest.raises(SapError):
            repeatability_key(bad)


def test_sap_gateway_repeatability_headers() -> None:
    """SAP Gateway's own form: RequestID with RepeatabilityCreation."""
    gateway = {"requestid": "0A1B", "repeatabilitycreation": "2026-12-03T10:00:00Z"}
    assert repeatability_key(gateway) == PREFIX + "0A1B"
    assert repeatability_answer(gateway) == {"repeatabilityresult": "accepted"}
    assert repeatability_key({"requestid": "0A1B"}) is None  # a RequestID alone names only
    assert repeatability_answer({"repeatability-request-id": "x"}) == {
        "repeatability-result": "accepted"
    }
    with pytest.raises(SapError):
        repeatability_key({"repeatabilitycreation": "2026-12-03T10:00:00Z"})
    with pytest.raises(SapError):
        repeatability_key({"requestid": "a", "repeatabilitycreation": "soon"})
