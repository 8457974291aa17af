"""V2 $batch as SAP Gateway serves it: reads outside changesets, writes inside, and each
changeset all-or-nothing — a refusal anywhere in it (while checking the bodies or in the
writer itself, after earlier writes of the changeset ran) leaves nothing of it."""

from __future__ import annotations

import json
import math
import sqlite3

import requests

from tests.integration.sap.conftest import csrf_refused, sap_error
from tests.integration.sap.writing import (
    ORDERS,
    batch_body,
    batch_parts,
    count_orders,
    csrf,
    limited_customer,
    order,
    parties,
)

BOUNDARY = "batch_36522ad7-fc75-4b56-8c71-56071383e77b"


def post_batch(session: requests.Session, sap: str, parts: list) -> requests.Response:
    return session.post(
        sap + ORDERS + "/$batch",
        data=batch_body(BOUNDARY, parts),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )


def create_request(body: dict) -> str:
    return "\r\n".join(
        ["POST A_SalesOrder HTTP/1.1", "Content-Type: application/json", "", json.dumps(body)]
    )


def test_reads_and_a_changeset_in_one_batch(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, other, item = parties(sql)
    (first,) = sql.execute("SELECT no FROM sales_orders ORDER BY no LIMIT 1").fetchone()
    before = count_orders(sql)
    response = post_batch(
        csrf(session, sap),
        sap,
        [
            f"GET A_SalesOrder('{first}')?$select=SalesOrder,SoldToParty HTTP/1.1\r\n"
            "Accept: application/json\r\n",
            [create_request(order(customer, (item, 1))), create_request(order(other, (item, 2)))],
            "GET A_SalesOrder('NOSUCH') HTTP/1.1\r\n",
        ],
    )
    assert response.status_code == 202, response.text
    read, changeset, missing = batch_parts(response)
    assert read[0] == 200
    assert json.loads(read[2])["d"]["SalesOrder"] == first
    assert [status for status, _, _ in changeset] == [201, 201]
    made = [json.loads(body)["d"] for _, _, body in changeset]
    assert [m["SoldToParty"] for m in made] == [customer, other]
    assert changeset[0][1]["content-id"] == "1"
    assert missing[0] == 404
    assert count_orders(sql) == before + 2


def test_a_changeset_with_a_bad_body_writes_nothing(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    before = count_orders(sql)
    response = post_batch(
        csrf(session, sap),
        sap,
        [[create_request(order(customer, (item, 1))), create_request(order(customer, ("NO", 1)))]],
    )
    assert response.status_code == 202
    (answer,) = batch_parts(response)
    status, _, body = answer  # one error for the changeset, not one answer per write
    assert status == 400
    assert json.loads(body)["error"]["code"] == "V1/392"
    assert count_orders(sql) == before


def test_a_writer_refusal_undoes_the_writes_before_it(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    limited, limit = limited_customer(sql)
    (price,) = sql.execute("SELECT unit_price FROM items WHERE no = ?", (item,)).fetchone()
    too_much = math.ceil(3 * limit / price) + 1
    before = count_orders(sql)
    response = post_batch(
        csrf(session, sap),
        sap,
        [
            [
                create_request(order(customer, (item, 1), PurchaseOrderByCustomer="PO-UNDONE")),
                create_request(order(limited, (item, too_much))),
            ]
        ],
    )
    assert response.status_code == 202
    (answer,) = batch_parts(response)
    assert answer[0] == 400
    assert json.loads(answer[2])["error"]["code"] == "V1/154"
    assert count_orders(sql) == before
    (kept,) = sql.execute(
        "SELECT count(*) FROM erpsim_document_extras WHERE external_document_number = 'PO-UNDONE'"
    ).fetchone()
    assert kept == 0
    after = session.post(sap + ORDERS + "/A_SalesOrder", json=order(customer, (item, 1)))
    assert after.status_code == 201, after.text  # the writer goes on from the undone state
    assert count_orders(sql) == before + 1


def test_a_changeset_changes_and_deletes_items(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    customer, _, item = parties(sql)
    created = session.post(
        sap + ORDERS + "/A_SalesOrder",
        json=order(customer, (item, 1), (item, 2)),
        headers={"x-csrf-token": csrf(session, sap).headers["x-csrf-token"]},
    ).json()["d"]
    number = created["SalesOrder"]
    key = f"A_SalesOrderItem(SalesOrder='{number}',SalesOrderItem="
    response = post_batch(
        session,
        sap,
        [
            [
                f"MERGE {key}'10') HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
                '{"RequestedQuantity": "6"}',
                f"DELETE {key}'20') HTTP/1.1\r\n",
            ]
        ],
    )
    (changeset,) = batch_parts(response)
    assert [status for status, _, _ in changeset] == [204, 204]
    rows = sql.execute(
        "SELECT line_no, quantity FROM sales_order_lines WHERE document_no = ?", (number,)
    ).fetchall()
    assert rows == [(10000, 6.0)]


def test_batch_protocol_errors(sap: str, session: requests.Session) -> None:
    plain = session.post(sap + ORDERS + "/$batch", data=b"x")
    csrf_refused(plain)  # no CSRF token
    csrf(session, sap)
    sap_error(
        session.post(sap + ORDERS + "/$batch", data=b"x", headers={"Content-Type": "text/plain"}),
        400,
    )
    outside = post_batch(session, sap, [create_request({"SoldToParty": "X"})])
    sap_error(outside, 400)  # a write outside a changeset
    unclosed = session.post(
        sap + ORDERS + "/$batch",
        data=b"--b\r\nContent-Type: application/http\r\n\r\nGET A_SalesOrder HTTP/1.1\r\n",
        headers={"Content-Type": "multipart/mixed; boundary=b"},
    )
    sap_error(unclosed, 400)


def test_a_token_fetch_on_the_batch_url_gets_a_token(sap: str, session: requests.Session) -> None:
    """The SAP Cloud SDK fetches its CSRF token with HEAD on the URL it posts the batch to."""
    response = session.head(sap + ORDERS + "/$batch", headers={"x-csrf-token": "Fetch"})
    assert response.status_code == 405
    token = response.headers["x-csrf-token"]
    answer = post_batch(session, sap, ["GET A_SalesOrder?$top=1 HTTP/1.1\r\n"])
    csrf_refused(answer)
    session.headers["x-csrf-token"] = token
    assert post_batch(session, sap, ["GET A_SalesOrder?$top=1 HTTP/1.1\r\n"]).status_code == 202


def test_a_changeset_adds_items_to_the_order_it_creates(
    sap: str, session: requests.Session, sql: sqlite3.Connection
) -> None:
    """POST $1/to_Item: the order the create with Content-ID 1 makes gets the item."""
    customer, _, item = parties(sql)
    add = "\r\n".join(
        ["POST $1/to_Item HTTP/1.1", "Content-Type: application/json", "", json.dumps(
            {"Material": item, "RequestedQuantity": "3"}
        )]
    )  # fmt: skip
    response = post_batch(
        csrf(session, sap), sap, [[create_request(order(customer, (item, 1))), add]]
    )
    (changeset,) = batch_parts(response)
    assert [status for status, _, _ in changeset] == [201, 201], changeset
    number = json.loads(changeset[0][2])["d"]["SalesOrder"]
    added = json.loads(changeset[1][2])["d"]
    assert (added["SalesOrder"], added["SalesOrderItem"]) == (number, "20")
    rows = sql.execute(
        "SELECT line_no, quantity FROM sales_order_lines WHERE document_no = ? ORDER BY 1",
        (number,),
    ).fetchall()
    assert rows == [(10000, 1.0), (20000, 3.0)]
    before = count_orders(sql)
    dangling = add.replace("$1", "$7")
    response = post_batch(session, sap, [[create_request(order(customer, (item, 1))), dangling]])
    (answer,) = batch_parts(response)
    assert answer[0] == 400
    assert count_orders(sql) == before
