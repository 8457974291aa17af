"""The mock ERP API on a real uvicorn server (free loopback port, thread) over a copy of the
small dataset with history. Reads are checked against SQLite directly; writes through the
API and then in the database. The clock is frozen here, so results are exact; the live
clock, webhooks and faults have their own modules."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp.pricing import PriceRequest, SqlitePriceData, resolve_price
from simulator.erp_server.client import ErpApiError, ErpClient
from simulator.erp_server.entities import ENTITY_SETS
from simulator.erp_server.odata.query import encode_skiptoken
from simulator.erp_server.paths import CUSTOM_SETS
from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "test-key"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
PAGE = 50


@pytest.fixture(scope="module")
def db(history_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("erp-api") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    return path


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[ServerThread]:
    settings = ServerSettings(db=db, api_key=KEY, clock_speed=0, max_page_size=PAGE)
    with ServerThread(settings) as running:
        yield running


@pytest.fixture(scope="module")
def api(server: ServerThread) -> str:
    return server.url + "/api/v2.0"


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["api-key"] = KEY
        yield session


@pytest.fixture
def erp(server: ServerThread) -> Iterator[ErpClient]:
    with ErpClient(server.url, api_key=KEY) as client:
        yield client


@pytest.fixture
def sql(db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    yield conn
    conn.close()


def error_of(response: requests.Response, status: int) -> dict[str, str]:
    """The error in Business Central's shape: BC's `code`, a message ending in a
    CorrelationId, our reason in ``details``; returned with the reason as `reason`."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"][0].isupper(), error
    assert error["message"].endswith(".")
    assert "CorrelationId:" in error["message"]
    (detail,) = error["details"]
    return {"code": error["code"], "reason": detail["code"], "message": detail["message"]}


# --- auth and service --------------------------------------------------------------------
def test_every_api_call_needs_the_key(api: str) -> None:
    for headers in ({}, {"api-key": "wrong"}, {"Authorization": "Bearer wrong"}):
        response = requests.get(f"{api}/items?$top=1", headers=headers)
        assert error_of(response, 401)["reason"] == "unauthorized"
    assert requests.get(f"{api}/$metadata").status_code == 401
    for headers in ({"api-key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        assert requests.get(f"{api}/items?$top=1", headers=headers).status_code == 200


def test_service_document_companies_and_company_paths(api: str, http: requests.Session) -> None:
    names = {s["name"] for s in http.get(f"{api}/").json()["value"]}
    assert names == {"companies", *ENTITY_SETS} - CUSTOM_SETS
    companies = http.get(f"{api}/companies").json()["value"]
    assert len(companies) == 1
    company = companies[0]["id"]
    root = http.get(f"{api}/items?$top=3").json()
    scoped = http.get(f"{api}/companies({company})/items?$top=3").json()
    assert scoped["value"] == root["value"]
    assert scoped["@odata.context"].endswith(f"$metadata#companies({company})/items")
    assert http.get(f"{api}/companies({company})").json()["id"] == company
    unknown = "00000000-0000-4000-8000-000000000000"
    assert error_of(http.get(f"{api}/companies({unknown})/items"), 404)["reason"] == "not_found"


# --- reads -------------------------------------------------------------------------------
def test_read_by_key_single_and_compound(api: str, http: requests.Session, sql) -> None:
    item_id, number = sql.execute("SELECT id, no FROM items ORDER BY no LIMIT 1").fetchone()
    response = http.get(f"{api}/items({item_id})")
    body = response.json()
    assert body["number"] == number
    assert body["@odata.context"].endswith("$metadata#items/$entity")
    assert response.headers["ETag"] == body["@odata.etag"]
    item, location, inventory = sql.execute(
        "SELECT item_no, location_code, inventory FROM item_stock LIMIT 1"
    ).fetchone()
    stock = http.get(f"{api}/itemStock(itemNumber='{item}',locationCode='{location}')").json()
    assert stock["inventory"] == inventory
    missing = "00000000-0000-4000-8000-000000000000"
    assert error_of(http.get(f"{api}/items({missing})"), 404)["reason"] == "not_found"
    assert error_of(http.get(f"{api}/items('1000001')"), 400)["reason"] == "invalid_key"
    assert error_of(http.get(f"{api}/itemStock('x')"), 400)["reason"] == "invalid_key"
    assert error_of(http.get(f"{api}/nothing"), 404)["reason"] == "not_found"


FILTERS = [
    ("items", "unitPrice gt 100 and blocked eq false", "unit_price > 100 AND blocked = 0"),
    ("items", "not (unitPrice le 10) or blocked", "NOT (unit_price <= 10) OR blocked = 1"),
    (
        "items",
        "startswith(displayName,'A') or contains(displayName,'glove')",
        "substr(display_name, 1, 1) = 'A' OR instr(display_name, 'glove') > 0",
    ),
    ("items", "endswith(number,'7') and unitPrice ge 1.5", "no LIKE '%7' AND unit_price >= 1.5"),
    (
        "items",
        "itemCategoryCode in ('TOOL-PWR-001','X') or gtin eq '1'",
        "item_category_code IN ('TOOL-PWR-001', 'X') OR gtin = '1'",
    ),
    ("customers", "blocked ne '' and creditLimit lt 1e9", "blocked != '' AND credit_limit < 1e9"),
    (
        "salesOrders",
        "orderDate ge 2026-01-01 and orderDate lt 2026-02-01",
        "order_date >= '2026-01-01' AND order_date < '2026-02-01'",
    ),
    (
        "salesOrders",
        "lastModifiedDateTime gt 2026-09-01T00:00:00Z",
        "last_modified_date_time > '2026-09-01T00:00:00Z'",
    ),
    (
        "salesOrders",
        "lastModifiedDateTime ge 2026-09-01T01:00:00.5+01:00",
        "last_modified_date_time > '2026-09-01T00:00:00Z'",
    ),
    (
        "priceListLines",
        "endingDate eq null and (minimumQuantity gt 0)",
        "ending_date IS NULL AND minimum_quantity > 0",
    ),
    (
        "salesOrders",
        "lifecycleStatus eq 'Invoiced' and (channel eq 'web' or channel eq 'edi')",
        "status = 'Invoiced' AND channel IN ('web', 'edi')",
    ),
]


@pytest.mark.parametrize(("entity_set", "odata", "where"), FILTERS)
def test_filter_counts_match_sql(
    api: str, http, sql, entity_set: str, odata: str, where: str
) -> None:
    table = ENTITY_SETS[entity_set].base_table
    expected = sql.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
    body = http.get(f"{api}/{entity_set}", params={"$filter": odata, "$count": "true", "$top": "0"})
    assert body.status_code == 200, body.text
    assert body.json()["@odata.count"] == expected
    assert body.json()["value"] == []


def test_select_orderby_top_skip(api: str, http: requests.Session, sql) -> None:
    params = {"$select": "number,unitPrice", "$orderby": "unitPrice desc,number", "$top": "30"}
    rows = http.get(f"{api}/items", params=params).json()["value"]
    expected = sql.execute("SELECT no, unit_price FROM items ORDER BY unit_price DESC, no LIMIT 30")
    assert [(r["number"], r["unitPrice"]) for r in rows] == list(expected)
    assert all(set(r) == {"@odata.etag", "number", "unitPrice"} for r in rows)
    skipped = http.get(f"{api}/items", params={**params, "$skip": "10", "$top": "5"}).json()
    assert skipped["value"] == rows[10:15]
    assert skipped["@odata.context"].endswith("$metadata#items(number,unitPrice)")


def test_paging_to_the_end_with_next_links(api: str, http: requests.Session, sql) -> None:
    everything = [no for (no,) in sql.execute("SELECT no FROM items ORDER BY no")]
    seen, pages = [], 0
    url: str | None = f"{api}/items?$select=number&$count=true"
    while url is not None:
        page = http.get(url).json()
        assert page["@odata.count"] == len(everything)
        assert len(page["value"]) <= PAGE
        seen += [row["number"] for row in page["value"]]
        url, pages = page.get("@odata.nextLink"), pages + 1
    assert seen == everything
    assert pages == -(-len(everything) // PAGE)
    ordered = http.get(f"{api}/items?$orderby=unitPrice desc&$top=120&$select=number").json()
    rows = ordered["value"]
    while "@odata.nextLink" in ordered:
        ordered = http.get(ordered["@odata.nextLink"]).json()
        rows += ordered["value"]
    expected = sql.execute("SELECT no FROM items ORDER BY unit_price DESC, no LIMIT 120")
    assert [r["number"] for r in rows] == [no for (no,) in expected]
    small = http.get(f"{api}/items?$select=number", headers={"Prefer": "odata.maxpagesize=7"})
    assert len(small.json()["value"]) == 7


def test_expand_and_navigation_to_lines(api: str, http: requests.Session, sql) -> None:
    body = http.get(f"{api}/salesOrders?$top=5&$expand=salesOrderLines&$orderby=number").json()
    for order in body["value"]:
        lines = sql.execute(
            "SELECT line_no, item_no, quantity FROM sales_order_lines WHERE document_no = ?"
            " ORDER BY line_no",
            (order["number"],),
        ).fetchall()
        got = [
            (ln["sequence"], ln["itemNumber"], ln["quantity"]) for ln in order["salesOrderLines"]
        ]
        assert got == lines
    first = body["value"][0]
    nav = http.get(f"{api}/salesOrders({first['id']})/salesOrderLines").json()["value"]
    assert nav == first["salesOrderLines"]
    invoice = http.get(f"{api}/salesInvoices?$top=1&$expand=salesInvoiceLines").json()["value"][0]
    assert invoice["salesInvoiceLines"]
    assert all(ln["documentNumber"] == invoice["number"] for ln in invoice["salesInvoiceLines"])


def test_metadata_is_csdl_matching_the_payloads(api: str, http: requests.Session) -> None:
    response = http.get(f"{api}/$metadata")
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    schema = root.find(f".//{EDM}Schema")
    assert schema is not None
    types = {t.get("Name"): t for t in schema.findall(f"{EDM}EntityType")}
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None
    sets = {s.get("Name"): s.get("EntityType") for s in container.findall(f"{EDM}EntitySet")}
    assert set(sets) == {"companies", *ENTITY_SETS}
    for name, type_name in sets.items():
        assert type_name is not None
        declared = types[type_name.split(".")[-1]]
        properties = {p.get("Name"): p.get("Type") for p in declared.findall(f"{EDM}Property")}
        keys = [k.get("Name") for k in declared.findall(f"{EDM}Key/{EDM}PropertyRef")]
        navigation = {n.get("Name") for n in declared.findall(f"{EDM}NavigationProperty")}
        if name == "companies":
            continue
        rows = http.get(f"{api}/{name}?$top=1").json()["value"]
        if not rows:
            continue
        row = {k: v for k, v in rows[0].items() if not k.startswith("@")}
        assert set(row) == set(properties), name
        assert all(key in row for key in keys)
        assert navigation == {n.name for n in ENTITY_SETS[name].navigation}
        for field, edm in properties.items():
            value = row[field]
            if value is None:
                continue
            python = {"Edm.Boolean": bool, "Edm.Decimal": (int, float), "Edm.Int32": int}
            assert isinstance(value, python.get(edm, str)), (name, field, edm)


# --- bad input ---------------------------------------------------------------------------
BAD_REQUESTS = [
    ("GET", "items?$filter=unitPrice eq", None),
    ("GET", "items?$filter=(unitPrice gt 1", None),
    ("GET", "items?$filter=unitPrice gt 'x'", None),
    ("GET", "items?$filter=nosuch eq 1", None),
    ("GET", "items?$filter=unitPrice gt 99999999999999999999999", None),
    ("GET", "items?$filter=orderDate gt 2026-13-45", None),
    ("GET", "items?$filter=" + "(" * 200 + "blocked" + ")" * 200, None),
    ("GET", "items?$filter=displayName eq 'unterminated", None),
    ("GET", "items?$filter=contains(unitPrice,'1')", None),
    ("GET", "items?$orderby=unitPrice sideways", None),
    ("GET", "items?$orderby=nosuch", None),
    ("GET", "items?$select=number,nosuch", None),
    ("GET", "items?$top=-1", None),
    ("GET", "items?$top=abc", None),
    ("GET", "items?$top=999999999999", None),
    ("GET", "items?$skip=x", None),
    ("GET", "items?$count=maybe", None),
    ("GET", "items?$expand=salesOrderLines", None),
    ("GET", "items?$skiptoken=garbage!!", None),
    # Found by fuzzing (each was a 500): a digit str.isdigit() takes and int() does not,
    # a sort value beyond SQLite's 64-bit integers, offsets that leave datetime's range.
    ("GET", "items?$top=%C2%B2", None),
    ("GET", "items?$skip=%C2%B2", None),
    ("GET", "items?$top=%D9%A3", None),
    ("GET", f"items?$skiptoken={encode_skiptoken([2**63])}", None),
    ("GET", f"items?$skiptoken={encode_skiptoken([2**64 - 1])}", None),
    ("GET", f"items?$orderby=unitPrice&$skiptoken={encode_skiptoken([2**63, 'x'])}", None),
    ("GET", "items?$filter=lastModifiedDateTime gt 9999-12-31T23:59:59-01:00", None),
    ("GET", "items?$filter=lastModifiedDateTime lt 0001-01-01T00:00:00%2B01:00", None),
    ("GET", "items?$filter=lastModifiedDateTime ge 9999-12-31T23:59:59.5-00:01", None),
    ("GET", "items?$filter=lastModifiedDateTime in (0001-01-01T00:30:00%2B00:31)", None),
    ("GET", "salesOrders?$filter=orderDate gt 9999-12-31T23:59:59-01:00", None),
    ("GET", "items?$search=x", None),
    ("GET", "items?$foo=1", None),
    ("GET", "items?$top=1&$top=2", None),
    ("POST", "calculatePrice", b"{not json"),
    ("POST", "calculatePrice", b"[1, 2]"),
    ("POST", "calculatePrice", b'{"customerNumber": 1, "itemNumber": "x", "quantity": 1}'),
    ("POST", "calculatePrice", b'{"customerNumber": "C", "itemNumber": "x", "quantity": "1"}'),
    (
        "POST",
        "calculatePrice",
        b'{"customerNumber": "C", "itemNumber": "x", "quantity": 1, "x": 1}',
    ),
    ("POST", "salesOrders", b"{}"),
    ("POST", "salesOrders", b'{"customerNumber": "C000001", "totalAmountExcludingTax": 1}'),
    ("POST", "salesOrders", b'{"customerNumber": "C000001", "salesOrderLines": [{"quantity": 1}]}'),
    (
        "POST",
        "salesOrders",
        b'{"customerNumber": "C000001", "requestedDeliveryDate": "soon",'
        b' "salesOrderLines": [{"itemNumber": "1000001", "quantity": 1}]}',
    ),
    ("POST", "salesOrders", b" " * 10 + b"{" + b'"a": "' + b"x" * 2_000_000 + b'"}'),
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_REQUESTS)
def test_bad_input_is_a_400_and_the_server_stays_healthy(
    api: str,
    server: ServerThread,
    http: requests.Session,
    method: str,
    path: str,
    body: bytes | None,
) -> None:
    response = http.request(
        method, f"{api}/{path}", data=body, headers={"Content-Type": "application/json"}
    )
    error = error_of(response, 400)
    assert error["message"]
    assert requests.get(f"{server.url}/health").json() == {"status": "ok"}
    assert http.get(f"{api}/items?$top=1").status_code == 200


def test_wrong_methods_and_paths_get_odata_errors(api: str, http: requests.Session) -> None:
    assert error_of(http.delete(f"{api}/items"), 405)["reason"] == "method_not_allowed"
    assert error_of(http.get(f"{api}/items(1)/nothing/else"), 404)
    item = http.get(f"{api}/items?$top=1").json()["value"][0]
    response = http.patch(f"{api}/items({item['id']})", json={"unitPrice": 1})
    assert error_of(response, 405)["reason"] == "read_only"


# --- pricing -----------------------------------------------------------------------------
def test_calculate_price_is_the_pricing_engine(erp: ErpClient, db: Path, sql) -> None:
    today = dt.date.fromisoformat(erp.clock()["today"])
    pairs = sql.execute(
        "SELECT p.customer_no, p.item_no, p.unit_of_measure_code FROM customer_preferred_items p"
        " JOIN customers c ON c.no = p.customer_no JOIN items i ON i.no = p.item_no"
        " WHERE c.blocked = '' AND i.blocked = 0 ORDER BY p.customer_no, p.rank LIMIT 25"
    ).fetchall()
    data = SqlitePriceData(sql)
    for customer, item, unit in pairs:
        for quantity in (1, 12):
            got = erp.calculate_price(customer, item, quantity, unit=unit)
            want = resolve_price(data, PriceRequest(customer, item, quantity, today, unit))
            assert got["unitPrice"] == want.unit_price
            assert got["discountPercent"] == want.line_discount_pct
            assert got["lineAmount"] == want.line_amount
            source = got["priceSource"]
            assert (source and source["priceListCode"]) == (
                want.price_source and want.price_source.price_list_code
            )
    on = erp.calculate_price(pairs[0][0], pairs[0][1], 1, date="2025-01-15")
    assert on["date"] == "2025-01-15"


def test_calculate_price_errors(erp: ErpClient, sql) -> None:
    customer = sql.execute("SELECT no FROM customers WHERE blocked = '' LIMIT 1").fetchone()[0]
    blocked_item = sql.execute("SELECT no FROM items WHERE blocked = 1 LIMIT 1").fetchone()[0]
    item = sql.execute("SELECT no FROM items WHERE blocked = 0 LIMIT 1").fetchone()[0]
    cases = [
        (("NOPE", item, 1), {}, 400, "customer_not_found"),
        ((customer, "NOPE", 1), {}, 400, "item_not_found"),
        ((customer, blocked_item, 1), {}, 422, "item_blocked"),
        ((customer, item, 1), {"unit": "NOUNIT"}, 422, "unit_not_defined"),
        ((customer, item, 0), {}, 400, "invalid_quantity"),
    ]
    for args, options, status, code in cases:
        with pytest.raises(ErpApiError) as caught:
            erp.calculate_price(*args, **options)
        assert (caught.value.status, caught.value.reason) == (status, code)


# --- writes ------------------------------------------------------------------------------
def _buyable(sql: sqlite3.Connection, offset: int = 0) -> tuple[str, str]:
    return sql.execute(
        "SELECT p.customer_no, p.item_no FROM customer_preferred_items p"
        " JOIN customers c ON c.no = p.customer_no JOIN items i ON i.no = p.item_no"
        " WHERE c.blocked = '' AND i.blocked = 0"
        " ORDER BY c.credit_limit DESC, p.customer_no, p.rank LIMIT 1 OFFSET ?",
        (offset,),
    ).fetchone()


def test_idempotent_post_under_concurrent_retries(server: ServerThread, sql) -> None:
    customer, item = _buyable(sql)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            with ErpClient(server.url, api_key=KEY) as client:
                results.append(
                    client.create_order(customer, [(item, "", 3)], idempotency_key="K-42")
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({r["id"] for r in results}) == 1
    order = results[0]
    assert order["customerNumber"] == customer
    assert [ln["itemNumber"] for ln in order["salesOrderLines"]] == [item]
    assert sql.execute(
        "SELECT count(*) FROM sales_orders WHERE id = ?", (order["id"],)
    ).fetchone() == (1,)
    with ErpClient(server.url, api_key=KEY) as client, pytest.raises(ErpApiError) as caught:
        client.create_order(customer, [(item, "", 4)], idempotency_key="K-42")
    assert (caught.value.status, caught.value.reason) == (422, "idempotency_key_reused")


def test_orders_are_validated_like_an_erp(erp: ErpClient, sql) -> None:
    customer, item = _buyable(sql, 1)
    blocked_customer = sql.execute("SELECT no FROM customers WHERE blocked = 'All'").fetchone()[0]
    blocked_item = sql.execute("SELECT no FROM items WHERE blocked = 1 LIMIT 1").fetchone()[0]
    limited, limit = sql.execute(
        "SELECT no, credit_limit FROM customers WHERE credit_limit > 0 AND blocked = ''"
        " ORDER BY credit_limit LIMIT 1"
    ).fetchone()
    cheap = sql.execute(
        "SELECT no, unit_price FROM items WHERE blocked = 0 ORDER BY unit_price DESC LIMIT 1"
    ).fetchone()
    too_many = limit / cheap[1] * 2 + 10
    cases = [
        ((customer, [("NOPE", "", 1)]), 400, "item_not_found"),
        (("NOPE", [(item, "", 1)]), 400, "customer_not_found"),
        ((blocked_customer, [(item, "", 1)]), 422, "customer_blocked"),
        ((customer, [(blocked_item, "", 1)]), 422, "item_blocked"),
        ((customer, [(item, "NOUNIT", 1)]), 422, "unit_not_defined"),
        ((customer, [(item, "", 0)]), 400, "invalid_quantity"),
        ((customer, [(item, "", -2)]), 400, "invalid_quantity"),
        ((limited, [(cheap[0], "", too_many)]), 409, "credit_limit_exceeded"),
    ]
    before = sql.execute("SELECT count(*) FROM sales_orders").fetchone()
    for (who, lines), status, code in cases:
        with pytest.raises(ErpApiError) as caught:
            erp.create_order(who, lines)
        assert (caught.value.status, caught.value.reason) == (status, code), (who, lines)
    assert sql.execute("SELECT count(*) FROM sales_orders").fetchone() == before


def test_patch_with_etags(erp: ErpClient, api: str, http: requests.Session, sql) -> None:
    customer_id = sql.execute("SELECT id FROM customers ORDER BY no LIMIT 1").fetchone()[0]
    before = erp.get("customers", customer_id)
    after = erp.update("customers", customer_id, before["@odata.etag"], {"phoneNumber": "+34 600"})
    assert after["phoneNumber"] == "+34 600"
    assert after["@odata.etag"] != before["@odata.etag"]
    with pytest.raises(ErpApiError) as caught:
        erp.update("customers", customer_id, before["@odata.etag"], {"phoneNumber": "+34 601"})
    assert caught.value.status == 412
    response = http.patch(f"{api}/customers({customer_id})", json={"phoneNumber": "x"})
    assert error_of(response, 428)["reason"] == "precondition_required"
    response = http.patch(
        f"{api}/customers({customer_id})",
        json={"creditLimit": 5},
        headers={"If-Match": after["@odata.etag"]},
    )
    assert error_of(response, 400)["reason"] == "read_only_field"
    customer, item = _buyable(sql, 2)
    order = erp.create_order(customer, [(item, "", 2)])
    changed = erp.update(
        "salesOrders", order["id"], order["@odata.etag"], {"requestedDeliveryDate": "2026-12-24"}
    )
    assert changed["requestedDeliveryDate"] == "2026-12-24"


def test_quote_make_order_and_release(erp: ErpClient, sql) -> None:
    customer, item = _buyable(sql, 3)
    quote = erp.create_quote(customer, [(item, "", 5)])
    assert quote["lifecycleStatus"] == "Open"
    assert [ln["quantity"] for ln in quote["salesQuoteLines"]] == [5.0]
    order = erp.make_order(quote["id"])
    assert order["quoteNumber"] == quote["number"]
    assert erp.get("salesQuotes", quote["id"])["lifecycleStatus"] == "Accepted"
    with pytest.raises(ErpApiError) as caught:
        erp.make_order(quote["id"])
    assert caught.value.status == 409
    if order["lifecycleStatus"] == "Open":
        erp.release_order(order["id"])
        assert erp.get("salesOrders", order["id"])["lifecycleStatus"] == "Released"
        erp.release_order(order["id"])  # again: nothing changes, no error


# --- Business Central error codes -----------------------------------------------------------
def test_errors_carry_business_central_codes(
    api: str, http: requests.Session, erp: ErpClient, sql
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    customer_id = sql.execute("SELECT id FROM customers ORDER BY no LIMIT 1").fetchone()[0]
    fresh = erp.get("customers", customer_id)
    erp.update("customers", customer_id, fresh["@odata.etag"], {"phoneNumber": "+34 700"})
    stale = http.patch(
        f"{api}/customers({customer_id})",
        json={"phoneNumber": "+34 701"},
        headers={"If-Match": fresh["@odata.etag"]},
    )
    blocked = sql.execute("SELECT no FROM customers WHERE blocked = 'All'").fetchone()[0]
    item = sql.execute("SELECT no FROM items WHERE blocked = 0 LIMIT 1").fetchone()[0]
    order = {"customerNumber": blocked, "salesOrderLines": [{"itemNumber": item, "quantity": 1}]}
    cases = [
        (requests.get(f"{api}/items"), 401, "Authentication_InvalidCredentials", "unauthorized"),
        (http.get(f"{api}/items({missing})"), 404, "BadRequest_NotFound", "not_found"),
        (http.get(f"{api}/items?$filter=number eq"), 400, "BadRequest_NotFound", "invalid_filter"),
        (http.get(f"{api}/items?$search=x"), 400, "BadRequest_MethodNotImplemented",
         "not_supported"),
        (http.delete(f"{api}/items"), 405, "BadRequest_MethodNotAllowed", "method_not_allowed"),
        (stale, 412, "Request_EntityChanged", "precondition_failed"),
        (http.post(f"{api}/salesOrders", data=b"{"), 400, "BadRequest", "invalid_json"),
        (http.post(f"{api}/salesOrders", json=order), 422, "Application_DialogException",
         "customer_blocked"),
    ]  # fmt: skip
    for response, status, code, reason in cases:
        error = error_of(response, status)
        assert (error["code"], error["reason"]) == (code, reason), response.url
    with pytest.raises(ErpApiError) as caught:
        erp.create_order(blocked, [(item, "", 1)])
    assert caught.value.code == "Application_DialogException"
    assert caught.value.reason == "customer_blocked"
    assert "CorrelationId" not in caught.value.message
