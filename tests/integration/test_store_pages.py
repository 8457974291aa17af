"""The store's HTML pages, against the real mock ERP and the real store on loopback ports.

Two kinds of tests: plain HTTP with `requests` (always run: login round trip with the CSRF
token, redirects without a session, 403 without the token, 404 for another account's
order, escaping, a checkout), and a headless Chromium smoke test with selenium driving the
pages as a person would (skipped, with the reason, where Debian's chromium, chromedriver or
selenium are not installed; CI installs them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from simulator.erp_server.client import ErpClient
from simulator.store.server import StoreThread
from tests.integration.page_helpers import WAIT, chromium_driver, csrf_token, page_login

if TYPE_CHECKING:
    from tests.integration.store_fixtures import DemoUsers

pytest_plugins = ["tests.integration.store_fixtures"]


@pytest.fixture(scope="module")
def users(store: StoreThread, demo_users: Any) -> DemoUsers:
    return demo_users(store)  # type: ignore[no-any-return]


@pytest.fixture
def buyer_session(store: StoreThread, users: DemoUsers) -> Iterator[requests.Session]:
    session = page_login(store, users.buyer.email, users.buyer.password)
    try:
        yield session
    finally:
        session.close()


def first_order(erp_client: ErpClient, customer_no: str) -> str:
    page = erp_client.get_json(
        "salesOrders",
        {"$filter": f"customerNumber eq '{customer_no}'", "$top": 1, "$orderby": "number"},
    )
    assert page["value"], f"account {customer_no} has no orders in the dataset"
    return str(page["value"][0]["number"])


# --- plain HTTP -------------------------------------------------------------------------


def test_pages_without_login_redirect_to_login(store: StoreThread) -> None:
    with requests.Session() as anonymous:
        for path in ("/catalog", "/catalog?q=a", "/items/X", "/cart", "/orders", "/invoices"):
            answer = anonymous.get(store.url + path, allow_redirects=False)
            assert answer.status_code == 303, path
            target = urlsplit(answer.headers["location"])
            assert target.path == "/login"
            assert parse_qs(target.query)["next"] == [path]
        root = anonymous.get(store.url + "/", allow_redirects=False)
        assert root.headers["location"] == "/login"
        form = anonymous.get(store.url + "/login")
        assert form.status_code == 200
        assert form.headers["content-type"].startswith("text/html")
        assert 'name="password"' in form.text
        assert 'class="price"' not in form.text


def test_login_form_round_trip_with_csrf(store: StoreThread, users: DemoUsers) -> None:
    buyer = users.buyer
    with requests.Session() as browser:
        form = browser.get(f"{store.url}/login?next=/orders")
        token = csrf_token(form.text)
        assert browser.cookies.get("erpsim_login_csrf") == token
        fields = {"email": buyer.email, "password": buyer.password, "next": "/orders"}

        missing = browser.post(f"{store.url}/login", data=fields, allow_redirects=False)
        assert missing.status_code == 403
        assert missing.headers["content-type"].startswith("text/html")
        wrong_token = {**fields, "csrf_token": "not-the-token"}
        assert browser.post(f"{store.url}/login", data=wrong_token).status_code == 403

        wrong = browser.post(
            f"{store.url}/login",
            data={**fields, "password": "wrong password", "csrf_token": token},
            allow_redirects=False,
        )
        assert wrong.status_code == 401
        assert wrong.text.count("Unknown email or wrong password.") == 1
        assert f'value="{buyer.email}"' in wrong.text
        assert "erpsim_session" not in browser.cookies

        ok = browser.post(
            f"{store.url}/login", data={**fields, "csrf_token": token}, allow_redirects=False
        )
        assert ok.status_code == 303
        assert ok.headers["location"] == "/orders"
        assert browser.cookies.get("erpsim_session")
        assert "httponly" in ok.headers["set-cookie"].lower()

        catalog = browser.get(f"{store.url}/catalog")
        assert catalog.status_code == 200
        assert catalog.headers["cache-control"] == "no-store"
        assert catalog.text.count('class="item-row"') > 0
        assert 'class="price"' in catalog.text
        session_token = csrf_token(catalog.text)
        assert session_token != token  # the session's own token, not the login form's

        out = browser.post(
            f"{store.url}/logout", data={"csrf_token": session_token}, allow_redirects=False
        )
        assert out.headers["location"] == "/login"
        again = browser.get(f"{store.url}/catalog", allow_redirects=False)
        assert again.status_code == 303


def test_invitation_link_registers_and_logs_in(store: StoreThread) -> None:
    from simulator.store.accounts import invitation_token

    conn = store.ctx.conn()
    # the last invited buyer: the rate-limit test uses the first one (failures count per e-mail)
    (email,) = conn.execute(
        "SELECT email FROM users WHERE state = 'invited' AND role = 'buyer'"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    token = invitation_token(store.settings.secret, email)
    with requests.Session() as browser:
        form = browser.get(f"{store.url}/register", params={"email": email, "token": token})
        assert form.status_code == 200
        assert f'value="{email}"' in form.text
        fields = {"email": email, "invitation": token, "csrf_token": csrf_token(form.text)}
        differ = browser.post(
            f"{store.url}/register",
            data={**fields, "password": "a-good-password", "password_again": "another-one"},
        )
        assert differ.status_code == 400
        assert "The passwords differ." in differ.text
        forged = browser.post(
            f"{store.url}/register",
            data={**fields, "invitation": "guess", "password": "a-good-password",
                  "password_again": "a-good-password"},
        )  # fmt: skip
        assert forged.status_code == 400
        ok = browser.post(
            f"{store.url}/register",
            data={**fields, "password": "a-good-password", "password_again": "a-good-password"},
            allow_redirects=False,
        )
        assert ok.status_code == 303
        assert browser.get(f"{store.url}/catalog").status_code == 200
    state, password_hash = conn.execute(
        "SELECT state, password_hash FROM users WHERE email = ?", (email,)
    ).fetchone()
    assert state == "registered"
    assert password_hash.startswith("scrypt$")
    registered = conn.execute(
        "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id"
        " WHERE e.type = 'register' AND u.email = ?",
        (email,),
    ).fetchone()[0]
    assert registered == 1
    with requests.Session() as again:  # the invitation works once
        form = again.get(f"{store.url}/register")
        twice = again.post(
            f"{store.url}/register",
            data={**fields, "csrf_token": csrf_token(form.text), "password": "a-good-password",
                  "password_again": "a-good-password"},
        )  # fmt: skip
        assert twice.status_code == 409


def test_login_refuses_a_foreign_next(store: StoreThread, users: DemoUsers) -> None:
    with requests.Session() as browser:
        form = browser.get(f"{store.url}/login")
        answer = browser.post(
            f"{store.url}/login",
            data={
                "email": users.buyer.email,
                "password": users.buyer.password,
                "next": "//evil.example/",
                "csrf_token": csrf_token(form.text),
            },
            allow_redirects=False,
        )
        assert answer.headers["location"] == "/catalog"


def test_login_rate_limit_shows_a_message(store: StoreThread, users: DemoUsers) -> None:
    """An invited user cannot log in yet: every try is a failure, then the limit applies."""
    email = users.invited.email
    with requests.Session() as browser:
        token = csrf_token(browser.get(f"{store.url}/login").text)
        fields = {"email": email, "password": "not the password", "csrf_token": token}
        answers = [
            browser.post(f"{store.url}/login", data=fields)
            for _ in range(store.settings.login_attempts + 1)
        ]
        assert [a.status_code for a in answers[:-1]] == [401] * store.settings.login_attempts
        limited = answers[-1]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert limited.text.count("Too many failed logins.") == 1
        assert 'id="login-form"' in limited.text


def test_post_without_csrf_token_is_403(
    store: StoreThread, buyer_session: requests.Session
) -> None:
    catalog = buyer_session.get(f"{store.url}/catalog")
    item = re.search(r'class="item-link" href="/items/([^"]+)"', catalog.text)
    assert item is not None
    add = {"item": item.group(1), "quantity": "1"}
    for data in (add, {**add, "csrf_token": "forged"}):
        answer = buyer_session.post(f"{store.url}/cart/add", data=data, allow_redirects=False)
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("text/html")
        assert "CSRF" in answer.text
    logout = buyer_session.post(f"{store.url}/logout", data={}, allow_redirects=False)
    assert logout.status_code == 403
    assert buyer_session.get(f"{store.url}/cart", allow_redirects=False).status_code == 200


def test_another_accounts_order_page_is_404(
    store: StoreThread,
    users: DemoUsers,
    erp_client: ErpClient,
    buyer_session: requests.Session,
) -> None:
    assert users.buyer.customer_no is not None
    assert users.other_buyer.customer_no is not None
    own = first_order(erp_client, users.buyer.customer_no)
    foreign = first_order(erp_client, users.other_buyer.customer_no)

    mine = buyer_session.get(f"{store.url}/orders/{own}")
    assert mine.status_code == 200
    assert 'id="order-status"' in mine.text

    theirs = buyer_session.get(f"{store.url}/orders/{foreign}")
    assert theirs.status_code == 404
    assert theirs.headers["content-type"].startswith("text/html")
    assert users.other_buyer.customer_no not in theirs.text
    assert 'id="order-status"' not in theirs.text
    assert "Traceback" not in theirs.text

    bad = buyer_session.get(f"{store.url}/orders/not%20a%20number")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("text/html")


def test_pages_escape_data(store: StoreThread, buyer_session: requests.Session) -> None:
    evil = '<script>alert("x")</script>'
    answer = buyer_session.get(f"{store.url}/catalog", params={"q": evil})
    assert answer.status_code == 200
    assert "<script>" not in answer.text
    assert "&lt;script&gt;" in answer.text
    unknown = buyer_session.get(f"{store.url}/items/{quote(evil, safe='')}")
    assert unknown.status_code == 404
    assert "<script>" not in unknown.text
    too_long = buyer_session.get(f"{store.url}/catalog", params={"q": "x" * 101})
    assert too_long.status_code == 400
    assert too_long.headers["content-type"].startswith("text/html")


def test_cart_checkout_and_history(store: StoreThread, buyer_session: requests.Session) -> None:
    """The journey the browser test makes, over plain HTTP (runs where chromium is absent)."""
    catalog = buyer_session.get(f"{store.url}/catalog")
    token = csrf_token(catalog.text)
    item = re.search(r'class="item-link" href="/items/([^"]+)"', catalog.text)
    assert item is not None
    product = buyer_session.get(f"{store.url}/items/{item.group(1)}")
    assert product.status_code == 200
    assert 'id="add-form"' in product.text

    added = buyer_session.post(
        f"{store.url}/cart/add",
        data={"item": item.group(1), "quantity": "2", "csrf_token": token},
        allow_redirects=False,
    )
    assert added.status_code == 303
    cart = buyer_session.get(store.url + added.headers["location"])
    assert cart.text.count('class="cart-line"') >= 1
    credit = re.search(r'<p class="credit-note" id="cart-credit">([^<]+)</p>', cart.text)
    assert credit is not None  # the credit headroom, in words, before checkout
    assert credit.group(1).startswith(("Credit available: ", "Your account has no credit limit"))
    cart_id = re.search(r'data-cart="(\d+)"', cart.text)
    assert cart_id is not None

    bad_qty = buyer_session.post(
        f"{store.url}/cart/{cart_id.group(1)}/lines",
        data={"item": item.group(1), "quantity": "-1", "csrf_token": token},
    )
    assert bad_qty.status_code == 400
    assert 'id="cart-error"' in bad_qty.text

    past = buyer_session.post(
        f"{store.url}/cart/{cart_id.group(1)}/checkout",
        data={"requested_delivery_date": "2000-01-01", "csrf_token": token},
    )
    assert past.status_code == 400
    assert 'id="cart-error"' in past.text

    date = re.search(r'id="delivery-date" value="([0-9-]+)"', cart.text)
    assert date is not None
    placed = buyer_session.post(
        f"{store.url}/cart/{cart_id.group(1)}/checkout",
        data={"requested_delivery_date": date.group(1), "csrf_token": token},
        allow_redirects=False,
    )
    assert placed.status_code == 303
    confirmation = buyer_session.get(store.url + placed.headers["location"])
    assert 'data-status="accepted"' in confirmation.text
    number = re.search(r'id="order-number">([^<]+)<', confirmation.text)
    assert number is not None

    history = buyer_session.get(f"{store.url}/orders")
    assert f">{number.group(1)}</a>" in history.text
    tracking = buyer_session.get(f"{store.url}/orders/{number.group(1)}")
    assert tracking.status_code == 200
    reorder = buyer_session.post(
        f"{store.url}/orders/{number.group(1)}/reorder", data={"csrf_token": token}
    )
    assert reorder.status_code == 200
    assert 'id="reorder-cart"' in reorder.text


def test_invoices_page(store: StoreThread, buyer_session: requests.Session) -> None:
    answer = buyer_session.get(f"{store.url}/invoices")
    assert answer.status_code == 200
    assert 'class="invoice-row"' in answer.text
    pay = re.search(r'action="(/invoices/[^"/]+/pay)"', answer.text)
    assert pay is not None, "account A has no open invoice to pay"
    paid = buyer_session.post(
        store.url + pay.group(1), data={"csrf_token": csrf_token(answer.text)}
    )
    assert paid.status_code == 200
    assert 'data-status="accepted"' in paid.text
    bad = buyer_session.get(f"{store.url}/invoices", params={"status": "maybe"})
    assert bad.status_code == 400


def test_rep_chooses_an_assigned_account(store: StoreThread, users: DemoUsers) -> None:
    rep = page_login(store, users.rep.email, users.rep.password)
    try:
        home = rep.get(f"{store.url}/catalog", allow_redirects=False)
        assert home.headers["location"] == "/rep"
        accounts = rep.get(f"{store.url}/rep")
        assert accounts.status_code == 200
        assert f'value="{users.buyer.customer_no}"' in accounts.text
        token = csrf_token(accounts.text)
        foreign = rep.post(
            f"{store.url}/rep/act-as",
            data={"customer": users.other_buyer.customer_no, "csrf_token": token},
        )
        assert foreign.status_code == 404
        chosen = rep.post(
            f"{store.url}/rep/act-as",
            data={"customer": users.buyer.customer_no, "csrf_token": token},
            allow_redirects=False,
        )
        assert chosen.headers["location"] == "/catalog"
        catalog = rep.get(f"{store.url}/catalog")
        assert catalog.status_code == 200
        assert "acting as rep" in catalog.text
    finally:
        rep.close()


# --- headless Chromium ------------------------------------------------------------------


def test_browser_smoke(store: StoreThread, users: DemoUsers) -> None:
    """A person's journey in headless Chromium: log in, browse, search, open a product,
    add it to the cart, check out, see the confirmation and the order in the history."""
    with chromium_driver() as driver:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        wait = WebDriverWait(driver, WAIT)

        driver.get(f"{store.url}/catalog")
        wait.until(ec.presence_of_element_located((By.ID, "login-form")))
        driver.find_element(By.ID, "email").send_keys(users.buyer.email)
        driver.find_element(By.ID, "password").send_keys(users.buyer.password)
        driver.find_element(By.ID, "login-submit").click()
        wait.until(ec.presence_of_element_located((By.ID, "items")))
        assert urlsplit(driver.current_url).path == "/catalog"
        first = driver.find_element(By.CSS_SELECTOR, "a.item-link").text

        search = driver.find_element(By.ID, "search")
        search.send_keys(first)
        driver.find_element(By.ID, "search-submit").click()
        wait.until(ec.url_contains("q="))
        links = wait.until(ec.presence_of_all_elements_located((By.CSS_SELECTOR, "a.item-link")))
        assert first in [link.text for link in links]

        driver.find_element(By.LINK_TEXT, first).click()
        wait.until(ec.presence_of_element_located((By.ID, "add-form")))
        assert driver.find_element(By.ID, "item-number").text == first
        quantity = driver.find_element(By.ID, "quantity")
        quantity.clear()
        quantity.send_keys("3")
        driver.find_element(By.ID, "add-to-cart").click()
        wait.until(ec.presence_of_element_located((By.ID, "checkout-form")))
        lines = driver.find_elements(By.CSS_SELECTOR, "tr.cart-line")
        assert any(first in line.text for line in lines)

        driver.find_element(By.ID, "checkout").click()
        confirmation = wait.until(ec.presence_of_element_located((By.ID, "confirmation")))
        assert confirmation.get_attribute("data-status") == "accepted"
        number = driver.find_element(By.ID, "order-number").text

        driver.find_element(By.LINK_TEXT, "All orders").click()
        wait.until(ec.presence_of_element_located((By.ID, "orders")))
        rows = driver.find_elements(By.CSS_SELECTOR, "tr.order-row")
        mine = [row for row in rows if number in row.text]
        assert mine
        assert mine[0].find_element(By.CSS_SELECTOR, "td.channel").text == "web"
