"""OData protocol features on a real server over a copy of the history dataset: JSON
``$batch``, ``/$count``, ``$expand`` with nested options, and ``Prefer`` preferences."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings

KEY = "protocol-key"
CUSTOM = "/api/erpsim/commerce/v1.0"


@pytest.fixture(scope="module")
def db(history_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("erp-protocol") / "erp.sqlite"
    shutil.copy(history_run.path, path)
    return path


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[ServerThread]:
    settings = ServerSettings(db=db, api_key=KEY, clock_speed=0, max_page_size=20)
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
def sql(db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    yield conn
    conn.close()


def _buyable(sql: sqlite3.Connection, offset: int) -> tuple[str, str]:
    customer, item = sql.execute(
        "SELECT p.customer_no, p.item_no FROM customer_preferred_items p"
        " JOIN customers c ON c.no = p.customer_no JOIN items i ON i.no = p.item_no"
        " WHERE c.blocked = '' AND i.blocked = 0"
        " ORDER BY c.credit_limit DESC, p.customer_no, p.rank LIMIT 1 OFFSET ?",
        (offset,),
    ).fetchone()
    return customer, item


def _order(customer: str, item: str, quantity: float = 1) -> dict[str, Any]:
    return {
        "customerNumber": customer,
        "salesOrderLines": [{"itemNumber": item, "unitOfMeasureCode": "", "quantity": quantity}],
    }


def _batch(http: requests.Session, url: str, requests_: list[dict[str, Any]]) -> Any:
    return http.post(url, json={"requests": requests_})


def _orders(sql: sqlite3.Connection) -> int:
    return int(sql.execute("SELECT count(*) FROM sales_orders").fetchone()[0])


# --- $batch ------------------------------------------------------------------------------
def test_batch_runs_reads_and_writes_through_the_app(server, api, http, sql) -> None:
    customer, item = _buyable(sql, 0)
    company = http.get(f"{api}/companies").json()["value"][0]["id"]
    response = _batch(
        http,
        f"{api}/$batch",
        [
            {"id": "r", "method": "GET", "url": "items?$top=2&$select=number&$orderby=number"},
            {"id": "a", "method": "GET", "url": f"{server.url}/api/v2.0/items/$count"},
            {"id": "p", "method": "GET", "url": f"/api/v2.0/companies({company})/items?$top=1"},
            {"id": "w", "method": "POST", "url": "salesOrders", "body": _order(customer, item),
             "dependsOn": ["r"]},
            {"id": "x", "method": "GET", "url": "nothing"},
            {"id": "y", "method": "GET", "url": "items?$top=1", "dependsOn": ["x"]},
        ],
    )  # fmt: skip
    assert response.status_code == 200
    answers = {a["id"]: a for a in response.json()["responses"]}
    assert [a["id"] for a in response.json()["responses"]] == ["r", "a", "p", "w", "x", "y"]
    numbers = [row[0] for row in sql.execute("SELECT no FROM items ORDER BY no LIMIT 2")]
    assert [v["number"] for v in answers["r"]["body"]["value"]] == numbers
    assert answers["a"]["body"] == str(sql.execute("SELECT count(*) FROM items").fetchone()[0])
    assert answers["p"]["body"]["@odata.context"].endswith(f"#companies({company})/items")
    assert answers["w"]["status"] == 201
    order_id = answers["w"]["body"]["id"]
    assert answers["w"]["headers"]["location"] == f"{api}/salesOrders({order_id})"
    assert sql.execute("SELECT count(*) FROM sales_orders WHERE id = ?", (order_id,)).fetchone()
    assert answers["x"]["status"] == 404
    assert answers["x"]["body"]["error"]["code"] == "BadRequest_NotFound"
    assert answers["y"]["status"] == 424


def test_batch_sub_requests_are_authenticated_and_validated(api, http) -> None:
    refused = requests.post(f"{api}/$batch", json={"requests": []})
    assert refused.status_code == 401
    bad = _batch(http, f"{api}/$batch", [{"id": "1", "method": "GET", "url": "items?$top=x"}])
    (answer,) = bad.json()["responses"]
    assert answer["status"] == 400
    assert answer["body"]["error"]["details"][0]["code"] == "invalid_top"
    override = _batch(
        http,
        f"{api}/$batch",
        [{"id": "1", "method": "GET", "url": "items?$top=1", "headers": {"api-key": "wrong"}}],
    )
    assert override.json()["responses"][0]["status"] == 401


def test_failed_atomicity_group_keeps_none_of_its_writes(api, http, sql) -> None:
    customer, item = _buyable(sql, 1)
    before = _orders(sql)
    response = _batch(
        http,
        f"{api}/$batch",
        [
            {"id": "1", "method": "GET", "url": "items?$filter=nope eq 1", "atomicityGroup": "g"},
            {"id": "2", "method": "POST", "url": "salesOrders", "body": _order(customer, item),
             "atomicityGroup": "g"},
            {"id": "3", "method": "GET", "url": "items?$top=1", "dependsOn": ["g"]},
            {"id": "4", "method": "GET", "url": "items?$top=1", "atomicityGroup": "h"},
            {"id": "5", "method": "POST", "url": "salesOrders", "body": _order(customer, "NOPE"),
             "atomicityGroup": "h"},
        ],
    )  # fmt: skip
    statuses = [a["status"] for a in response.json()["responses"]]
    assert statuses == [400, 424, 424, 424, 400]
    assert _orders(sql) == before
    ok = _batch(
        http,
        f"{api}/$batch",
        [
            {"id": "1", "method": "GET", "url": "items?$top=1", "atomicityGroup": "g"},
            {"id": "2", "method": "POST", "url": "salesOrders", "body": _order(customer, item),
             "atomicityGroup": "g"},
        ],
    )  # fmt: skip
    assert [a["status"] for a in ok.json()["responses"]] == [200, 201]
    assert _orders(sql) == before + 1


def test_batch_limits_and_shape(server, api, http) -> None:
    many = [{"id": str(n), "method": "GET", "url": "items?$top=1"} for n in range(101)]
    response = _batch(http, f"{api}/$batch", many)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["code"] == "too_many_requests_in_batch"
    assert _batch(http, f"{api}/$batch", many[:100]).status_code == 200
    two_writes = [
        {"id": "1", "method": "POST", "url": "salesOrders", "body": {}, "atomicityGroup": "g"},
        {"id": "2", "method": "POST", "url": "salesOrders", "body": {}, "atomicityGroup": "g"},
    ]
    assert _batch(http, f"{api}/$batch", two_writes).status_code == 400
    forward = [{"id": "1", "method": "GET", "url": "items", "dependsOn": ["2"]}]
    assert _batch(http, f"{api}/$batch", forward).status_code == 400
    multipart = http.post(
        f"{api}/$batch", data=b"--b--", headers={"Content-Type": "multipart/mixed; boundary=b"}
    )
    assert multipart.status_code == 400
    company = http.get(f"{api}/companies").json()["value"][0]["id"]
    scoped = _batch(
        http,
        f"{server.url}/v2.0/t/e/api/v2.0/companies({company})/$batch",
        [{"id": "1", "method": "GET", "url": "items?$top=1"}],
    )
    body = scoped.json()["responses"][0]["body"]
    assert body["@odata.context"].startswith(f"{server.url}/v2.0/t/e/api/v2.0/$metadata#companies(")
    custom = _batch(
        http, f"{server.url}{CUSTOM}/$batch", [{"id": "1", "method": "GET", "url": "itemStock"}]
    )
    answer = custom.json()["responses"][0]
    assert answer["status"] == 200
    assert "deprecation" not in answer["headers"]


# --- $count ------------------------------------------------------------------------------
def test_count_segment_is_plain_text_and_honours_filter(api, http, sql) -> None:
    response = http.get(f"{api}/items/$count")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == str(sql.execute("SELECT count(*) FROM items").fetchone()[0])
    blocked = http.get(f"{api}/items/$count?$filter=blocked eq true")
    assert blocked.text == str(
        sql.execute("SELECT count(*) FROM items WHERE blocked = 1").fetchone()[0]
    )
    order_id, document = sql.execute(
        "SELECT id, no FROM sales_orders ORDER BY no LIMIT 1"
    ).fetchone()
    lines = http.get(f"{api}/salesOrders({order_id})/salesOrderLines/$count")
    expected = sql.execute(
        "SELECT count(*) FROM sales_order_lines WHERE document_no = ?", (document,)
    ).fetchone()[0]
    assert lines.text == str(expected)
    assert http.get(f"{api}/items/$count?$filter=nope eq 1").status_code == 400
    assert http.get(f"{api}/nothing/$count").status_code == 404


# --- $expand with options ------------------------------------------------------------------
def test_expand_with_nested_options(api, http, sql) -> None:
    expand = (
        "salesOrderLines($select=sequence,quantity;$filter=quantity gt 1;"
        "$orderby=quantity desc;$top=2)"
    )
    body = http.get(f"{api}/salesOrders?$top=10&$orderby=number&$expand={expand}").json()
    assert body["value"]
    for order in body["value"]:
        expected = sql.execute(
            "SELECT line_no, quantity FROM sales_order_lines WHERE document_no = ?"
            " AND quantity > 1 ORDER BY quantity DESC, line_no LIMIT 2",
            (order["number"],),
        ).fetchall()
        lines = order["salesOrderLines"]
        assert [(ln["sequence"], ln["quantity"]) for ln in lines] == expected
        assert all(set(ln) == {"@odata.etag", "sequence", "quantity"} for ln in lines)
    one = http.get(
        f"{api}/salesOrders({body['value'][0]['id']})?$expand=salesOrderLines($skip=1;$top=1)"
    ).json()
    everything = http.get(f"{api}/salesOrders({body['value'][0]['id']})/salesOrderLines").json()
    assert one["salesOrderLines"] == everything["value"][1:2]
    for bad in ("salesOrderLines($expand=x)", "salesOrderLines($top=x)", "salesOrderLines(",
                "salesOrderLines($filter=nope eq 1)"):  # fmt: skip
        assert http.get(f"{api}/salesOrders?$expand={bad}").status_code == 400, bad


# --- Prefer ------------------------------------------------------------------------------
def test_prefer_maxpagesize_is_applied(api, http) -> None:
    response = http.get(f"{api}/items", headers={"Prefer": "odata.maxpagesize=3"})
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=3"
    assert len(response.json()["value"]) == 3
    capped = http.get(f"{api}/items", headers={"Prefer": "odata.maxpagesize=5000"})
    assert capped.headers["Preference-Applied"] == "odata.maxpagesize=20"
    assert "Preference-Applied" not in http.get(f"{api}/items").headers


def test_prefer_return_minimal_on_writes(api, http, sql) -> None:
    customer, item = _buyable(sql, 2)
    created = http.post(
        f"{api}/salesOrders", json=_order(customer, item), headers={"Prefer": "return=minimal"}
    )
    assert created.status_code == 204
    assert created.content == b""
    assert created.headers["Preference-Applied"] == "return=minimal"
    location = created.headers["Location"]
    assert created.headers["OData-EntityId"] == location
    order = http.get(location).json()
    assert order["customerNumber"] == customer
    patched = http.patch(
        location,
        json={"requestedDeliveryDate": "2026-12-24"},
        headers={"If-Match": order["@odata.etag"], "Prefer": "return=minimal"},
    )
    assert patched.status_code == 204
    assert patched.headers["OData-EntityId"] == location
    assert http.get(location).json()["requestedDeliveryDate"] == "2026-12-24"
    full = http.patch(
        location,
        json={"requestedDeliveryDate": "2026-12-23"},
        headers={"If-Match": "*", "Prefer": "return=representation"},
    )
    assert full.status_code == 200
    assert full.headers["Preference-Applied"] == "return=representation"
    assert full.json()["requestedDeliveryDate"] == "2026-12-23"
