"""The store's login, registration, sessions, CSRF and login rate limiting, against the
real mock ERP and the real store on loopback ports."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
import requests

from simulator.store.accounts import demo_password, invitation_token, is_initially_registered
from simulator.store.auth import hash_password, verify_password
from simulator.store.server import StoreThread

if TYPE_CHECKING:
    from tests.integration.store_fixtures import DemoUsers

pytest_plugins = ["tests.integration.store_fixtures"]


@pytest.fixture(scope="module")
def users(store: StoreThread, demo_users: Any) -> DemoUsers:
    return demo_users(store)  # type: ignore[no-any-return]


def _events(store: StoreThread, type_: str, user_email: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(store.settings.db)
    try:
        return conn.execute(
            "SELECT e.contact_no, e.customer_no, e.rep_user_id, e.detail FROM events e "
            "JOIN users u ON u.id = e.user_id WHERE e.type = ? AND u.email = ? ORDER BY e.id",
            (type_, user_email),
        ).fetchall()
    finally:
        conn.close()


def _error(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message"}
    return error  # type: ignore[no-any-return]


def test_provisioning_covers_every_contact_and_salesperson(
    store: StoreThread, erp_client: Any
) -> None:
    contacts = {c["number"]: c for c in erp_client.iter("contacts")}
    salespeople = {s["code"]: s for s in erp_client.iter("salespeoplePurchasers")}
    conn = sqlite3.connect(store.settings.db)
    try:
        rows = conn.execute(
            "SELECT email, role, contact_no, customer_no, salesperson_code, state, password_hash "
            "FROM users"
        ).fetchall()
    finally:
        conn.close()
    by_contact = {r[2]: r for r in rows if r[2] is not None}
    by_code = {r[4]: r for r in rows if r[4] is not None}
    assert set(by_contact) == set(contacts)
    assert set(by_code) == set(salespeople)
    for number, contact in contacts.items():
        email, role, _, customer, _, state, password_hash = by_contact[number]
        assert email == contact["email"].lower()
        assert role == ("ap_clerk" if contact["role"] == "ap_clerk" else "buyer")
        assert customer == contact["customerNumber"]
        registered = is_initially_registered(store.settings.secret, email, 0.3)
        assert state == ("registered" if registered else "invited")
        assert password_hash == ("demo" if registered else None)
    assert all(r[5] == "registered" for r in by_code.values())
    share = sum(r[5] == "registered" for r in by_contact.values()) / len(by_contact)
    assert 0.2 < share < 0.4


def test_provisioning_is_idempotent(store: StoreThread) -> None:
    from simulator.store import accounts

    conn = store.ctx.conn()
    before = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    assert accounts.provision(conn, store.settings) == 0
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == before


def test_login_gives_token_cookie_and_user(store: StoreThread, users: DemoUsers) -> None:
    buyer = users.buyer
    response = requests.post(
        store.url + "/api/login", json={"email": buyer.email.upper(), "password": buyer.password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["email"] == buyer.email
    assert body["user"]["customerNumber"] == buyer.customer_no
    assert body["user"]["contactNumber"] == buyer.contact_no
    assert body["user"]["role"] == "buyer"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"erpsim_session={body['token']}")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    bearer = requests.get(
        store.url + "/api/me", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert bearer.json()["user"]["customerNumber"] == buyer.customer_no
    by_cookie = requests.get(store.url + "/api/me", cookies={"erpsim_session": body["token"]})
    assert by_cookie.status_code == 200
    assert by_cookie.json()["user"]["email"] == buyer.email
    assert [(r[0], r[1], r[2]) for r in _events(store, "login", buyer.email)][-1] == (
        buyer.contact_no,
        buyer.customer_no,
        None,
    )


def test_wrong_password_and_unknown_email_look_the_same(
    store: StoreThread, users: DemoUsers
) -> None:
    wrong = requests.post(
        store.url + "/api/login", json={"email": users.ap_clerk.email, "password": "nope-nope"}
    )
    unknown = requests.post(
        store.url + "/api/login", json={"email": "nobody@example.invalid", "password": "x"}
    )
    assert _error(wrong, 401) == _error(unknown, 401)
    invited = requests.post(
        store.url + "/api/login", json={"email": users.invited.email, "password": "whatever1"}
    )
    assert _error(invited, 401)["code"] == "invalid_credentials"


def test_no_prices_or_data_without_a_session(store: StoreThread) -> None:
    for path in ("/api/items", "/api/categories", "/api/carts", "/api/me", "/api/items/1"):
        assert _error(requests.get(store.url + path), 401)["code"] == "unauthorized"
    bad = requests.get(store.url + "/api/items", headers={"Authorization": "Bearer forged"})
    assert _error(bad, 401)["code"] == "unauthorized"
    basic = requests.get(store.url + "/api/items", headers={"Authorization": "Basic eDp5"})
    assert _error(basic, 401)["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@b.c"}, "password"),
        ({"password": "x"}, "email"),
        ({"email": "not-an-email", "password": "x"}, "email"),
        ({"email": "a@b.c", "password": "x" * 200}, "password"),
        ({"email": "a@b.c", "password": "x", "extra": 1}, "extra"),
        ({"email": 5, "password": "x"}, "email"),
    ],
)
def test_login_input_validation(store: StoreThread, body: dict[str, Any], field: str) -> None:
    error = _error(requests.post(store.url + "/api/login", json=body), 400)
    assert error["code"] == "invalid_request"
    assert field in error["message"]


def test_malformed_bodies_are_400(store: StoreThread) -> None:
    for data in ("{not json", "[]", '"text"', ""):
        response = requests.post(
            store.url + "/api/login", data=data, headers={"Content-Type": "application/json"}
        )
        assert _error(response, 400)["code"] == "invalid_request"
    assert _error(requests.get(store.url + "/api/nowhere"), 404)["code"] == "not_found"
    assert _error(requests.delete(store.url + "/api/login"), 405)["code"] == "method_not_allowed"


def test_logout_ends_the_session_but_not_the_user(
    store: StoreThread, users: DemoUsers, login: Any
) -> None:
    session = login(store, users.other_buyer.email, users.other_buyer.password)
    try:
        assert session.get("/api/me").status_code == 200
        assert session.post("/api/logout").json() == {"loggedOut": True}
        assert _error(session.get("/api/me"), 401)["code"] == "unauthorized"
        assert _error(session.post("/api/logout"), 401)["code"] == "unauthorized"
    finally:
        session.close()
    assert len(_events(store, "logout", users.other_buyer.email)) == 1
    again = login(store, users.other_buyer.email, users.other_buyer.password)
    again.close()


def test_cookie_sessions_need_the_csrf_token_for_changes(
    store: StoreThread, users: DemoUsers
) -> None:
    response = requests.post(
        store.url + "/api/login",
        json={"email": users.buyer.email, "password": users.buyer.password},
    )
    token, csrf = response.json()["token"], response.json()["csrfToken"]
    with requests.Session() as browser:
        browser.cookies.set("erpsim_session", token)
        assert browser.get(store.url + "/api/carts").status_code == 200  # safe: no token needed
        refused = browser.post(store.url + "/api/carts", json={"name": "csrf"})
        assert _error(refused, 403)["code"] == "csrf_failed"
        wrong = browser.post(
            store.url + "/api/carts", json={"name": "csrf"}, headers={"X-CSRF-Token": "guess"}
        )
        assert _error(wrong, 403)["code"] == "csrf_failed"
        ok = browser.post(
            store.url + "/api/carts", json={"name": "csrf"}, headers={"X-CSRF-Token": csrf}
        )
        assert ok.status_code == 201, ok.text
    # A bearer client needs no CSRF token (it cannot be sent by a foreign page).
    bearer = requests.post(
        store.url + "/api/carts",
        json={"name": "api"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bearer.status_code == 201


def test_register_an_invited_contact(store: StoreThread, users: DemoUsers, login: Any) -> None:
    invited = users.invited
    url = store.url + "/api/register"
    wrong = requests.post(
        url,
        json={"email": invited.email, "invitationToken": "0" * 32, "password": "long enough"},
    )
    assert _error(wrong, 400)["code"] == "invalid_invitation"
    short = requests.post(
        url, json={"email": invited.email, "invitationToken": invited.password, "password": "x"}
    )
    assert _error(short, 400)["code"] == "invalid_password"
    assert invitation_token(store.settings.secret, invited.email) == invited.password
    done = requests.post(
        url,
        json={
            "email": invited.email,
            "invitationToken": invited.password,
            "password": "my new password",
        },
    )
    assert done.status_code == 201, done.text
    assert done.json()["user"]["customerNumber"] == invited.customer_no
    again = requests.post(
        url,
        json={
            "email": invited.email,
            "invitationToken": invited.password,
            "password": "another password",
        },
    )
    assert _error(again, 409)["code"] == "already_registered"
    session = login(store, invited.email, "my new password")
    assert session.user["contactNumber"] == invited.contact_no
    session.close()
    rows = _events(store, "register", invited.email)
    assert [(r[0], r[1]) for r in rows] == [(invited.contact_no, invited.customer_no)]
    conn = sqlite3.connect(store.settings.db)
    (stored,) = conn.execute(
        "SELECT password_hash FROM users WHERE email = ?", (invited.email,)
    ).fetchone()
    conn.close()
    assert stored.startswith("scrypt$16384$8$1$")
    assert "my new password" not in stored
    # A registered demo user cannot "register" again with its own token.
    buyer = users.buyer
    token = invitation_token(store.settings.secret, buyer.email)
    taken = requests.post(
        url, json={"email": buyer.email, "invitationToken": token, "password": "whatever12"}
    )
    assert _error(taken, 409)["code"] == "already_registered"


def test_rep_logs_in_and_must_choose_an_account(
    store: StoreThread, users: DemoUsers, login: Any
) -> None:
    session = login(store, users.rep.email, users.rep.password)
    try:
        assert session.user["role"] == "rep"
        assert session.user["customerNumber"] is None
        assert session.user["salespersonCode"] == users.rep.salesperson_code
        for path in ("/api/items", "/api/carts", "/api/categories"):
            assert _error(session.get(path), 409)["code"] == "choose_account"
    finally:
        session.close()


def test_failed_logins_are_rate_limited(store_factory: Any, demo_users: Any) -> None:
    with store_factory("batch", login_attempts=3) as limited:
        users = demo_users(limited)
        url = limited.url + "/api/login"
        for _ in range(3):
            response = requests.post(url, json={"email": users.buyer.email, "password": "wrong"})
            assert response.status_code == 401
        locked = requests.post(url, json={"email": users.buyer.email, "password": "wrong"})
        assert _error(locked, 429)["code"] == "too_many_attempts"
        assert 1 <= int(locked.headers["Retry-After"]) <= 60
        # Even the right password waits: the email is locked for the minute.
        right = requests.post(
            url, json={"email": users.buyer.email, "password": users.buyer.password}
        )
        assert right.status_code == 429
        # Another email from the same address still works (under 4x the limit).
        other = requests.post(
            url, json={"email": users.other_buyer.email, "password": users.other_buyer.password}
        )
        assert other.status_code == 200
        # The address limit: 4 x 3 failures from this client (3 above, 9 here; 429s do
        # not count).
        for index in range(9):
            miss = requests.post(url, json={"email": f"x{index}@example.invalid", "password": "x"})
            assert miss.status_code == 401
        blocked = requests.post(
            url, json={"email": users.ap_clerk.email, "password": users.ap_clerk.password}
        )
        assert _error(blocked, 429)["code"] == "too_many_attempts"


def test_password_hashing() -> None:
    stored = hash_password("correct horse")
    assert verify_password(stored, "correct horse", secret="s", email="a@b.c")
    assert not verify_password(stored, "correct horsE", secret="s", email="a@b.c")
    assert hash_password("correct horse") != stored  # salted
    assert verify_password("demo", demo_password("s", "A@b.c"), secret="s", email="a@b.c")
    assert not verify_password("demo", demo_password("t", "a@b.c"), secret="s", email="a@b.c")
    assert not verify_password(None, "x", secret="s", email="a@b.c")
    assert not verify_password("scrypt$bad", "x", secret="s", email="a@b.c")
    assert len(demo_password("s", "a@b.c")) == 12


def test_serve_store_flags_and_an_unreachable_erp_are_one_line_errors(tmp_path: Any) -> None:
    import socket

    import typer
    from typer.testing import CliRunner

    from simulator.errors import UserError
    from simulator.store.cli import parse_duration, register

    assert [parse_duration(t) for t in ("1h", "30m", "90s", "45", "1.5h", "250ms")] == [
        3600.0,
        1800.0,
        90.0,
        45.0,
        5400.0,
        0.25,
    ]
    serve = typer.Typer()
    register(serve)
    serve.command("noop")(lambda: None)  # two commands: `store` stays a sub-command
    runner = CliRunner()
    db = str(tmp_path / "store.sqlite")

    def free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    cases = [
        (["--erp-key", "k", "--sync-interval", "soon"], "--sync-interval"),
        (["--erp-key", "k", "--sync-interval", "0"], "--sync-interval"),
        (["--erp-key", "k", "--integration", "hourly"], "--integration"),
        (["--erp-key", "k", "--port", "70000"], "--port"),
        ([], "--erp-key"),
        # a free --port: the default 8200 is taken while `erpsim up` runs beside the tests
        (["--erp-key", "k", "--erp-url", "http://127.0.0.1:9", "--port", str(free_port())],
         "cannot reach the ERP"),
    ]  # fmt: skip
    for args, expected in cases:
        result = runner.invoke(serve, ["store", "--db", db, *args])
        assert isinstance(result.exception, UserError), (args, result.output)
        assert expected in str(result.exception)
        assert "\n" not in str(result.exception)
    assert not (tmp_path / "store.sqlite").exists()
