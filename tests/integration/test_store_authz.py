"""Who may see and change which documents: a buyer never reaches another account's orders,
quotes, invoices, shipments, carts or web documents (404, never the data, and nothing
changes in the ERP); a sales rep sees only assigned accounts, and everything a rep does
while acting for one is audited with the rep's identity. Real ERP, real store."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import requests

from simulator.erp_server.client import ErpClient
from simulator.store.accounts import demo_password
from simulator.store.server import StoreThread

if TYPE_CHECKING:
    from tests.integration.store_fixtures import DemoUsers, StoreSession

pytest_plugins = ["tests.integration.store_fixtures"]


@dataclass(frozen=True)
class AccountA:
    """Documents of account A made or found for the isolation checks."""

    order: str
    document: int
    quote: str
    cart: int
    invoice: str
    remaining: float
    shipment: str
    line: int
    payments: int  # the invoice's payments and inquiries in the ERP at the start
    inquiries: int


@pytest.fixture(scope="module")
def users(store: StoreThread, demo_users: Any) -> DemoUsers:
    return demo_users(store)  # type: ignore[no-any-return]


@contextlib.contextmanager
def session(store: StoreThread, login: Any, email: str, password: str) -> Iterator[StoreSession]:
    client = login(store, email, password)
    try:
        yield client
    finally:
        client.close()


@contextlib.contextmanager
def store_db(store: StoreThread) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(store.settings.db)
    try:
        yield conn
    finally:
        conn.close()


def error(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert set(body) == {"code", "message"}
    return str(body["code"])


def cheap_item(client: StoreSession) -> str:
    items = client.get("/api/items", params={"pageSize": 100}).json()["items"]
    priced = [i for i in items if i["offer"] and i["offer"]["available"] >= 10]
    return str(min(priced, key=lambda i: (i["offer"]["netUnitPrice"], i["number"]))["number"])


def cart_with(client: StoreSession, item: str) -> int:
    cart_id = int(client.post("/api/carts", json={"name": "authz"}).json()["id"])
    answer = client.put(f"/api/carts/{cart_id}/lines", json={"itemNumber": item, "quantity": 1})
    assert answer.status_code == 200, answer.text
    return cart_id


@pytest.fixture(scope="module")
def today(erp_client: ErpClient) -> dt.date:
    return dt.date.fromisoformat(erp_client.clock()["today"])


@pytest.fixture(scope="module")
def account_a(
    store: StoreThread, users: DemoUsers, login: Any, erp_client: ErpClient, today: dt.date
) -> AccountA:
    customer = users.buyer.customer_no
    with session(store, login, users.buyer.email, users.buyer.password) as buyer:
        item = cheap_item(buyer)
        placed = buyer.post(
            f"/api/carts/{cart_with(buyer, item)}/checkout",
            json={"requestedDeliveryDate": today.isoformat()},
        ).json()
        quote = buyer.post(f"/api/carts/{cart_with(buyer, item)}/quote").json()
        open_cart = cart_with(buyer, item)
    (invoice,) = erp_client.iter(
        "salesInvoices", filter=f"customerNumber eq '{customer}' and status eq 'Open'", top=1
    )
    (shipment,) = erp_client.iter(
        "salesShipments", filter=f"customerNumber eq '{customer}'", expand="salesShipmentLines",
        top=1,
    )  # fmt: skip
    return AccountA(
        placed["erpNumber"], placed["document"], quote["erpNumber"], open_cart,
        invoice["number"], invoice["remainingAmount"], shipment["number"],
        shipment["salesShipmentLines"][0]["sequence"],
        erp_client.count("customerPayments", filter=f"invoiceNumber eq '{invoice['number']}'"),
        erp_client.count("inquiries", filter=f"invoiceNumber eq '{invoice['number']}'"),
    )  # fmt: skip


def foreign_requests(a: AccountA, today: dt.date) -> list[tuple[str, str, Any]]:
    """Every document endpoint, aimed at account A's documents."""
    return [
        ("GET", f"/api/orders/{a.order}", None),
        ("POST", f"/api/orders/{a.order}/reorder", None),
        ("GET", f"/api/documents/{a.document}", None),
        ("POST", f"/api/carts/{a.cart}/checkout", {"requestedDeliveryDate": today.isoformat()}),
        ("POST", f"/api/carts/{a.cart}/quote", None),
        ("GET", f"/api/quotes/{a.quote}", None),
        ("POST", f"/api/quotes/{a.quote}/accept", None),
        ("GET", f"/api/invoices/{a.invoice}", None),
        ("POST", f"/api/invoices/{a.invoice}/pay", None),
        ("POST", f"/api/invoices/{a.invoice}/copy", None),
        ("POST", "/api/returns", {"shipmentNumber": a.shipment, "lineSequence": a.line,
                                  "quantity": 1}),
    ]  # fmt: skip


def assert_a_untouched(erp: ErpClient, a: AccountA, buyer_view: StoreSession) -> None:
    (invoice,) = erp.iter("salesInvoices", filter=f"number eq '{a.invoice}'")
    assert invoice["remainingAmount"] == a.remaining
    assert erp.count("customerPayments", filter=f"invoiceNumber eq '{a.invoice}'") == a.payments
    assert erp.count("inquiries", filter=f"invoiceNumber eq '{a.invoice}'") == a.inquiries
    (quote,) = erp.iter("salesQuotes", filter=f"number eq '{a.quote}'")
    assert quote["lifecycleStatus"] == "Open"
    assert buyer_view.get(f"/api/carts/{a.cart}").json()["status"] == "open"


def test_another_accounts_documents_are_404(
    store: StoreThread,
    users: DemoUsers,
    login: Any,
    erp_client: ErpClient,
    account_a: AccountA,
    today: dt.date,
) -> None:
    a_orders = {
        o["number"]
        for o in erp_client.iter(
            "salesOrders", filter=f"customerNumber eq '{users.buyer.customer_no}'"
        )
    }
    with session(store, login, users.other_buyer.email, users.other_buyer.password) as other:
        for method, path, body in foreign_requests(account_a, today):
            answer = other.request(method, path, json=body)
            assert error(answer, 404) == "not_found", (method, path)
            assert set(answer.json()) == {"error"}  # nothing of the document itself
        listed = other.get("/api/orders").json()["orders"]
        assert listed
        assert not {o["number"] for o in listed} & a_orders
        quotes = other.get("/api/quotes").json()["quotes"]
        assert account_a.quote not in {q["number"] for q in quotes}
        invoices = other.get("/api/invoices", params={"q": account_a.invoice}).json()
        assert invoices["total"] == 0
    with session(store, login, users.buyer.email, users.buyer.password) as buyer:
        assert_a_untouched(erp_client, account_a, buyer)
        # The owner reaches them all.
        assert buyer.get(f"/api/orders/{account_a.order}").status_code == 200
        assert buyer.get(f"/api/quotes/{account_a.quote}").status_code == 200
        assert buyer.get(f"/api/invoices/{account_a.invoice}").status_code == 200


def test_a_colleague_may_not_use_anothers_cart(
    store: StoreThread, login: Any, today: dt.date
) -> None:
    """Carts belong to the user: a colleague of the same account gets 404 too."""
    with store_db(store) as conn:
        first, second = conn.execute(
            "SELECT u.email FROM users u WHERE u.state = 'registered' AND u.password_hash = 'demo' "
            "AND u.role <> 'rep' AND u.customer_no = (SELECT customer_no FROM users WHERE "
            "state = 'registered' AND password_hash = 'demo' AND role <> 'rep' "
            "GROUP BY customer_no HAVING count(*) >= 2 ORDER BY customer_no LIMIT 1) "
            "ORDER BY u.id LIMIT 2"
        ).fetchall()
    secret = store.settings.secret
    with session(store, login, first[0], demo_password(secret, first[0])) as owner:
        cart_id = cart_with(owner, cheap_item(owner))
    with session(store, login, second[0], demo_password(secret, second[0])) as colleague:
        body = {"requestedDeliveryDate": today.isoformat()}
        answer = colleague.post(f"/api/carts/{cart_id}/checkout", json=body)
        assert error(answer, 404) == "not_found"
        assert error(colleague.post(f"/api/carts/{cart_id}/quote"), 404) == "not_found"


def test_requests_without_a_session_are_401(store: StoreThread, account_a: AccountA) -> None:
    with requests.Session() as anonymous:
        for path in ("/api/orders", f"/api/orders/{account_a.order}", "/api/invoices",
                     "/api/quotes", "/api/rep/accounts"):  # fmt: skip
            assert error(anonymous.get(store.url + path), 401) == "unauthorized"


def _assigned(erp: ErpClient, code: str) -> set[str]:
    return {c["number"] for c in erp.iter("customers", filter=f"salespersonCode eq '{code}'")}


def _rep_accounts(rep: StoreSession) -> set[str]:
    numbers: set[str] = set()
    page = 1
    while True:
        body = rep.get("/api/rep/accounts", params={"page": page}).json()
        numbers |= {a["number"] for a in body["accounts"]}
        if page * body["pageSize"] >= body["total"]:
            return numbers
        page += 1


def test_rep_sees_and_acts_only_for_assigned_accounts(
    store: StoreThread,
    users: DemoUsers,
    login: Any,
    erp_client: ErpClient,
    account_a: AccountA,
    today: dt.date,
) -> None:
    customer_a, customer_b = users.buyer.customer_no, users.other_buyer.customer_no
    code = users.rep.salesperson_code
    assert code is not None
    with session(store, login, users.rep.email, users.rep.password) as rep:
        assert _rep_accounts(rep) == _assigned(erp_client, code)
        assert customer_a in _assigned(erp_client, code)
        assert customer_b not in _assigned(erp_client, code)
        # Nothing account-bound before choosing an account.
        assert error(rep.get("/api/orders"), 409) == "choose_account"
        for number in (customer_b, "C9999999"):
            answer = rep.post("/api/rep/act-as", json={"customerNumber": number})
            assert error(answer, 404) == "not_found"
        assert error(rep.post("/api/rep/act-as", json={"customerNumber": "C'1"}), 400) == (
            "invalid_number"
        )
        assert error(rep.get("/api/orders"), 409) == "choose_account"
        acting = rep.post("/api/rep/act-as", json={"customerNumber": customer_a})
        assert acting.status_code == 200, acting.text
        assert rep.get("/api/me").json()["user"]["customerNumber"] == customer_a
        assert rep.get(f"/api/orders/{account_a.order}").status_code == 200
        history = rep.get("/api/orders").json()
        assert account_a.order in {o["number"] for o in history["orders"]}
        # Another rep's account stays out of reach while acting.
        (order_b,) = erp_client.iter(
            "salesOrders", filter=f"customerNumber eq '{customer_b}'", top=1
        )
        assert error(rep.get(f"/api/orders/{order_b['number']}"), 404) == "not_found"
        # An order on the account's behalf, audited with the rep's identity.
        placed = rep.post(
            f"/api/carts/{cart_with(rep, cheap_item(rep))}/checkout",
            json={"requestedDeliveryDate": today.isoformat()},
        ).json()
        assert placed["status"] == "accepted"
        (order,) = erp_client.iter("salesOrders", filter=f"number eq '{placed['erpNumber']}'")
        assert order["customerNumber"] == customer_a
        stopped = rep.delete("/api/rep/act-as")
        assert stopped.json() == {"actingAs": None}
        assert error(rep.get("/api/orders"), 409) == "choose_account"
    with store_db(store) as conn:
        (rep_id,) = conn.execute(
            "SELECT id FROM users WHERE email = ?", (users.rep.email,)
        ).fetchone()
        rows = conn.execute(
            "SELECT type, user_id, customer_no, detail FROM events WHERE rep_user_id = ? "
            "ORDER BY id",
            (rep_id,),
        ).fetchall()
        audit = conn.execute(
            "SELECT action, customer_no, detail FROM audit WHERE rep_user_id = ? ORDER BY id",
            (rep_id,),
        ).fetchall()
        document = conn.execute(
            "SELECT user_id, rep_user_id, customer_no FROM web_documents WHERE id = ?",
            (placed["document"],),
        ).fetchone()
    types = [row[0] for row in rows]
    assert types[0] == "act_as"
    assert "order" in types
    assert all(row[2] == customer_a for row in rows)
    assert all(row[1] == rep_id for row in rows)
    order_event = next(orjson.loads(row[3]) for row in rows if row[0] == "order")
    assert order_event["document"] == placed["document"]
    actions = [row[0] for row in audit]
    assert actions[0] == "act_as"
    assert {"orders", "track_order", "add_to_cart", "order", "act_as_end"} <= set(actions)
    assert {row[1] for row in audit} == {customer_a}
    assert document == (rep_id, rep_id, customer_a)


def test_rep_searches_assigned_accounts_by_name_or_number(
    store: StoreThread, users: DemoUsers, login: Any, erp_client: ErpClient
) -> None:
    code = users.rep.salesperson_code
    assert code is not None
    names = {
        c["number"]: c["displayName"]
        for c in erp_client.iter("customers", filter=f"salespersonCode eq '{code}'")
    }
    wanted = {no for no, name in names.items() if "a" in no.lower() or "a" in name.lower()}
    assert wanted, "the rep has no account with an 'a' in its name"
    with session(store, login, users.rep.email, users.rep.password) as rep:
        answer = rep.get("/api/rep/accounts", params={"q": "a"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
    found = {a["number"]: a["displayName"] for a in body["accounts"]}
    assert body["total"] == len(wanted)
    first_page = sorted(wanted, key=lambda no: (names[no], no))[: body["pageSize"]]
    assert list(found) == first_page
    assert all(found[no] == names[no] for no in found)


def test_rep_loses_an_account_reassigned_meanwhile(
    store: StoreThread, users: DemoUsers, login: Any, account_a: AccountA
) -> None:
    customer_a = users.buyer.customer_no
    with session(store, login, users.rep.email, users.rep.password) as rep:
        assert rep.post("/api/rep/act-as", json={"customerNumber": customer_a}).status_code == 200
        assert rep.get(f"/api/orders/{account_a.order}").status_code == 200
        with store_db(store) as conn, conn:  # a sync brings the ERP's reassignment
            conn.execute(
                "UPDATE customers SET salesperson_code = 'SP-OTHER' WHERE no = ?", (customer_a,)
            )
        try:
            assert error(rep.get(f"/api/orders/{account_a.order}"), 404) == "not_found"
            assert error(rep.get("/api/invoices"), 404) == "not_found"
        finally:
            with store_db(store) as conn, conn:
                conn.execute(
                    "UPDATE customers SET salesperson_code = ? WHERE no = ?",
                    (users.rep.salesperson_code, customer_a),
                )


def test_buyers_are_not_reps(store: StoreThread, users: DemoUsers, login: Any) -> None:
    with session(store, login, users.buyer.email, users.buyer.password) as buyer:
        assert error(buyer.get("/api/rep/accounts"), 403) == "not_a_rep"
        answer = buyer.post("/api/rep/act-as", json={"customerNumber": users.buyer.customer_no})
        assert error(answer, 403) == "not_a_rep"
