"""The store's pages a B2B buyer expects, against the real mock ERP and the real store on
loopback ports: invoice detail, quotes (request from the cart, list, detail, accept), quick
order by item number and pasted ``sku,qty`` lines, add to cart from the catalog list, PO
number and ship-to address at checkout, item names and currency on document lines, the
rep's stop-acting button, dates from the ERP's clock, and HTML (not JSON) for a browser on
a page path that does not exist.

Plain HTTP with `requests` (always run), then one headless Chromium test that loads every
page at desktop (1280 px) and phone (390 px) width, saves a screenshot of each and checks
that nothing is wider than the viewport (skipped, with the reason, without chromium).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from simulator.erp_server.client import ErpClient
from simulator.store.server import StoreThread
from tests.integration.page_helpers import WAIT, chromium_driver, csrf_token, page_login

if TYPE_CHECKING:
    from tests.integration.store_fixtures import DemoUsers, StoreSession

pytest_plugins = ["tests.integration.store_fixtures"]

WIDTHS = (1280, 390)  # desktop, phone
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def users(store: StoreThread, demo_users: Any) -> DemoUsers:
    return demo_users(store)  # type: ignore[no-any-return]


@pytest.fixture
def browser(store: StoreThread, users: DemoUsers) -> Iterator[requests.Session]:
    """The buyer of account A in a browser-like session (cookies, forms)."""
    session = page_login(store, users.buyer.email, users.buyer.password)
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def api(store: StoreThread, users: DemoUsers, login: Any) -> Iterator[StoreSession]:
    """The same buyer as an API client (bearer token)."""
    session = login(store, users.buyer.email, users.buyer.password)
    try:
        yield session
    finally:
        session.close()


def orderable(api: StoreSession, count: int) -> list[dict[str, Any]]:
    """The account's cheapest items with a price and stock (orders far below the credit
    limit)."""
    page = api.get("/api/items", params={"pageSize": 100}).json()["items"]
    items = [i for i in page if i["offer"] and not i["offer"].get("error")]
    items = [i for i in items if i["offer"]["available"] >= 10]
    items.sort(key=lambda i: (i["offer"]["netUnitPrice"], i["number"]))
    assert len(items) >= count
    return items[:count]


def erp_today(erp_client: ErpClient) -> dt.date:
    return dt.date.fromisoformat(str(erp_client.get_json("$clock")["today"])[:10])


def fresh_cart(browser: requests.Session, store: StoreThread, name: str) -> tuple[int, str]:
    """A new open cart (the default one from now on): its id and the session's CSRF token."""
    token = csrf_token(browser.get(f"{store.url}/cart").text)
    made = browser.post(
        f"{store.url}/cart/new", data={"name": name, "csrf_token": token}, allow_redirects=False
    )
    assert made.status_code == 303
    found = re.search(r"cart=(\d+)", made.headers["location"])
    assert found is not None
    return int(found.group(1)), token


def add(browser: requests.Session, store: StoreThread, token: str, item: str, qty: str) -> None:
    added = browser.post(
        f"{store.url}/cart/add",
        data={"item": item, "quantity": qty, "csrf_token": token},
        allow_redirects=False,
    )
    assert added.status_code == 303, added.text


def delivery_date(browser: requests.Session, store: StoreThread, cart_id: int) -> str:
    page = browser.get(f"{store.url}/cart", params={"cart": cart_id})
    found = re.search(r'id="delivery-date" value="([0-9-]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_new_pages_need_a_login(store: StoreThread) -> None:
    with requests.Session() as anonymous:
        for path in ("/quick-order", "/quotes", "/quotes/SQ1", "/invoices/SI1"):
            answer = anonymous.get(store.url + path, allow_redirects=False)
            assert answer.status_code == 303, path
            assert urlsplit(answer.headers["location"]).path == "/login"
        posted = anonymous.post(f"{store.url}/quick-order", data={"lines": "x,1"},
                                allow_redirects=False)  # fmt: skip
        assert posted.status_code == 303


# --- invoices ---------------------------------------------------------------------------


def test_invoice_detail_page(
    store: StoreThread, browser: requests.Session, api: StoreSession, users: DemoUsers, login: Any
) -> None:
    invoice = api.get("/api/invoices").json()["invoices"][0]
    number = invoice["number"]
    listing = browser.get(f"{store.url}/invoices")
    assert f'href="/invoices/{number}"' in listing.text

    page = browser.get(f"{store.url}/invoices/{number}", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="invoice-title">' + number in page.text
    detail = api.get(f"/api/invoices/{number}").json()  # the JSON API is unchanged
    assert page.text.count('class="invoice-line"') == len(detail["lines"]) > 0
    names = re.findall(r'class="item-name">([^<]*)<', page.text)
    assert all(names)
    assert len(names) == len(detail["lines"])
    assert f"{detail['totalAmountExcludingTax']:,.2f} {detail['currencyCode']}" in page.text
    assert 'action="/invoices/' + number + '/copy"' in page.text

    other = login(store, users.other_buyer.email, users.other_buyer.password)
    try:
        foreign = other.get("/api/invoices").json()["invoices"][0]["number"]
    finally:
        other.close()
    theirs = browser.get(f"{store.url}/invoices/{foreign}")
    assert theirs.status_code == 404
    assert theirs.headers["content-type"].startswith("text/html")
    assert "invoice-lines" not in theirs.text
    bad = browser.get(f"{store.url}/invoices/not%20a%20number")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("text/html")


def test_unknown_page_paths_answer_html_to_browsers_and_json_to_api_clients(
    store: StoreThread, browser: requests.Session
) -> None:
    page = browser.get(f"{store.url}/no-such-page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="error-message">There is no such page.' in page.text
    plain = browser.get(f"{store.url}/no-such-page")
    assert plain.status_code == 404
    assert plain.headers["content-type"].startswith("application/json")
    api_path = browser.get(f"{store.url}/api/no-such-thing", headers=HTML)
    assert api_path.status_code == 404
    assert api_path.json()["error"]["code"] == "not_found"


# --- quotes -----------------------------------------------------------------------------


def test_quote_from_the_cart_then_accept_it_on_its_page(
    store: StoreThread, browser: requests.Session, api: StoreSession, erp_client: ErpClient
) -> None:
    items = orderable(api, 2)
    cart_id, token = fresh_cart(browser, store, "quote me")
    empty = browser.post(f"{store.url}/cart/{cart_id}/quote", data={"csrf_token": token})
    assert empty.status_code == 409
    assert 'id="cart-error"' in empty.text
    for item in items:
        add(browser, store, token, item["number"], "3")
    cart = browser.get(f"{store.url}/cart", params={"cart": cart_id})
    assert 'id="request-quote"' in cart.text

    asked = browser.post(f"{store.url}/cart/{cart_id}/quote", data={"csrf_token": token})
    assert asked.status_code == 200
    assert 'data-status="accepted"' in asked.text
    number = api.get("/api/quotes").json()["quotes"][0]["number"]
    listing = browser.get(f"{store.url}/quotes")
    assert listing.status_code == 200
    assert f'href="/quotes/{number}"' in listing.text
    assert 'class="quote-row"' in listing.text

    page = browser.get(f"{store.url}/quotes/{number}")
    assert page.status_code == 200
    assert 'id="accept-quote"' in page.text
    assert page.text.count('class="quote-line"') == 2
    names = re.findall(r'class="item-name">([^<]*)<', page.text)
    assert sorted(names) == sorted(i["displayName"] for i in items)

    accepted = browser.post(
        f"{store.url}/quotes/{number}/accept", data={"csrf_token": token}, allow_redirects=False
    )
    assert accepted.status_code == 303
    confirmation = browser.get(store.url + accepted.headers["location"])
    assert 'data-status="accepted"' in confirmation.text
    order_no = re.search(r'id="order-number">([^<]+)<', confirmation.text)
    assert order_no is not None
    (order,) = erp_client.iter("salesOrders", filter=f"number eq '{order_no.group(1)}'")
    assert order["quoteNumber"] == number

    again = browser.get(f"{store.url}/quotes/{number}")
    assert 'id="accept-quote"' not in again.text
    assert 'id="quote-closed"' in again.text
    twice = browser.post(
        f"{store.url}/quotes/{number}/accept", data={"csrf_token": token}, allow_redirects=False
    )
    assert twice.headers["location"] == accepted.headers["location"]  # the same order
    assert len(list(erp_client.iter("salesOrders", filter=f"quoteNumber eq '{number}'"))) == 1


# --- quick order and the catalog list ----------------------------------------------------


def test_quick_order_rows_and_pasted_lines(
    store: StoreThread, browser: requests.Session, api: StoreSession
) -> None:
    first, second, third = (i["number"] for i in orderable(api, 3))
    cart_id, token = fresh_cart(browser, store, "quick")
    form = browser.get(f"{store.url}/quick-order")
    assert form.status_code == 200
    assert 'id="paste"' in form.text

    pasted = f"sku,qty\n{second},4\nNO-SUCH-ITEM,1\n{third};x\n{third}\t2\n"
    answer = browser.post(
        f"{store.url}/quick-order",
        data={"csrf_token": token, "sku_1": first, "qty_1": "2", "lines": pasted},
    )
    assert answer.status_code == 200
    assert 'id="quick-added"' in answer.text
    assert "Added 3 lines" in answer.text
    problems = re.findall(r'<li class="quick-problem">(.*?)</li>', answer.text, re.S)
    assert len(problems) == 2
    assert "line 3" in problems[1] or "line 3" in problems[0]
    assert any("NO-SUCH-ITEM" in p and "no item NO-SUCH-ITEM in your assortment" in p
               for p in problems)  # fmt: skip
    assert any("line 4" in p and "quantity must be a number" in p for p in problems)
    # The form keeps only what was not added, to fix and send again.
    assert 'name="sku_1" id="sku-1" maxlength="50" value=""' in answer.text
    kept = re.search(r'<textarea name="lines"[^>]*>([^<]*)</textarea>', answer.text)
    assert kept is not None
    assert kept.group(1).splitlines() == ["NO-SUCH-ITEM,1", f"{third};x"]

    cart = api.get(f"/api/carts/{cart_id}").json()
    assert sorted((x["itemNumber"], x["quantity"]) for x in cart["lines"]) == sorted(
        [(first, 2.0), (second, 4.0), (third, 2.0)]
    )
    # The same again adds on top.
    browser.post(f"{store.url}/quick-order", data={"csrf_token": token, "lines": f"{first},1"})
    cart = api.get(f"/api/carts/{cart_id}").json()
    assert {x["itemNumber"]: x["quantity"] for x in cart["lines"]}[first] == 3.0

    for data in (
        {},
        {"lines": "garbage without a quantity\n\x00\x01,2\n,3"},
        {"sku_1": first, "qty_1": "1e999"},
        {"sku_2": first, "qty_2": "-1"},
        {"lines": f"{first},100001"},
    ):
        bad = browser.post(f"{store.url}/quick-order", data={"csrf_token": token, **data})
        assert bad.status_code == 400, data
        assert 'id="quick-problems"' in bad.text
        assert "Nothing was added" in bad.text
    huge = browser.post(
        f"{store.url}/quick-order", data={"csrf_token": token, "lines": "x,1\n" * 5000}
    )
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("text/html")
    no_token = browser.post(f"{store.url}/quick-order", data={"lines": f"{first},1"})
    assert no_token.status_code == 403


def test_add_to_cart_from_the_catalog_list(
    store: StoreThread, browser: requests.Session, api: StoreSession
) -> None:
    catalog = browser.get(f"{store.url}/catalog", params={"page": 2})
    forms = re.findall(r'<form method="post" action="/cart/add" class="row-add">', catalog.text)
    assert len(forms) > 0
    back = re.search(r'name="next" value="([^"]+)"', catalog.text)
    assert back is not None
    assert back.group(1) == "/catalog?page=2"
    item = re.search(r'name="item" value="([^"]+)"', catalog.text)
    assert item is not None
    cart_id, token = fresh_cart(browser, store, "from the list")
    added = browser.post(
        f"{store.url}/cart/add",
        data={"item": item.group(1), "quantity": "2", "next": back.group(1), "csrf_token": token},
        allow_redirects=False,
    )
    assert added.status_code == 303
    target = urlsplit(added.headers["location"])
    assert (target.path, target.query) == ("/catalog", f"page=2&added={item.group(1)}")
    shown = browser.get(store.url + added.headers["location"])
    assert 'id="added-note"' in shown.text
    cart = api.get(f"/api/carts/{cart_id}").json()
    assert [(x["itemNumber"], x["quantity"]) for x in cart["lines"]] == [(item.group(1), 2.0)]
    elsewhere = browser.post(
        f"{store.url}/cart/add",
        data={"item": item.group(1), "quantity": "1", "next": "//evil.example/",
              "csrf_token": token},
        allow_redirects=False,
    )  # fmt: skip
    assert elsewhere.headers["location"] == f"/cart?cart={cart_id}"
    bad = browser.post(
        f"{store.url}/cart/add",
        data={"item": item.group(1), "quantity": "lots", "csrf_token": token},
    )
    assert bad.status_code == 400
    assert "quantity must be a number" in bad.text


# --- checkout: PO number and ship-to ----------------------------------------------------


def test_checkout_with_po_number_and_ship_to(
    store: StoreThread, browser: requests.Session, api: StoreSession, erp_client: ErpClient
) -> None:
    (item,) = orderable(api, 1)
    cart_id, token = fresh_cart(browser, store, "po")
    add(browser, store, token, item["number"], "2")
    date = delivery_date(browser, store, cart_id)
    cart = browser.get(f"{store.url}/cart", params={"cart": cart_id})
    assert 'id="po-number"' in cart.text
    assert 'name="ship_to_city"' in cart.text
    fields = {"requested_delivery_date": date, "csrf_token": token, "po_number": "PO-4711"}

    half = browser.post(
        f"{store.url}/cart/{cart_id}/checkout", data={**fields, "ship_to_city": "Lyon"}
    )
    assert half.status_code == 400
    assert "a ship-to address needs ship-to address, ship-to post code" in half.text
    assert 'value="PO-4711"' in half.text  # what was typed stays
    long_po = browser.post(
        f"{store.url}/cart/{cart_id}/checkout", data={**fields, "po_number": "P" * 36}
    )
    assert long_po.status_code == 400
    assert "PO number has at most 35 characters" in long_po.text

    ship_to = {
        "ship_to_name": "Site B, gate 3",
        "ship_to_address": "Rue de la Gare 12",
        "ship_to_post_code": "69001",
        "ship_to_city": "Lyon",
    }
    placed = browser.post(
        f"{store.url}/cart/{cart_id}/checkout", data={**fields, **ship_to}, allow_redirects=False
    )
    assert placed.status_code == 303
    confirmation = browser.get(store.url + placed.headers["location"])
    assert 'id="confirmation-po">PO-4711<' in confirmation.text
    assert item["displayName"] in confirmation.text
    number = re.search(r'id="order-number">([^<]+)<', confirmation.text)
    assert number is not None
    (order,) = erp_client.iter("salesOrders", filter=f"number eq '{number.group(1)}'")
    assert order["externalDocumentNumber"] == "PO-4711"
    assert (order["shipToName"], order["shipToAddressLine1"]) == ("Site B, gate 3",
                                                                  "Rue de la Gare 12")  # fmt: skip
    assert (order["shipToPostCode"], order["shipToCity"]) == ("69001", "Lyon")

    page = browser.get(f"{store.url}/orders/{number.group(1)}")
    assert 'id="order-po">PO-4711<' in page.text
    assert "Rue de la Gare 12" in page.text
    assert f'id="order-currency">{order["currencyCode"]}<' in page.text
    names = re.findall(r'class="item-name">([^<]*)<', page.text)
    assert names == [item["displayName"]]
    amount = f"{order['totalAmountExcludingTax']:,.2f} {order['currencyCode']}"
    assert f'id="order-total">{amount}<' in page.text
    tracked = api.get(f"/api/orders/{number.group(1)}").json()
    assert tracked["externalDocumentNumber"] == "PO-4711"


def test_api_checkout_takes_a_po_number_and_refuses_bad_ones(
    store: StoreThread, api: StoreSession, erp_client: ErpClient
) -> None:
    (item,) = orderable(api, 1)
    today = erp_today(erp_client)

    def cart() -> int:
        made = api.post("/api/carts", json={"name": "api po"}).json()["id"]
        put = api.put(f"/api/carts/{made}/lines", json={"itemNumber": item["number"],
                                                         "quantity": 1})  # fmt: skip
        assert put.status_code == 200
        return int(made)

    cart_id = cart()
    body = {"requestedDeliveryDate": (today + dt.timedelta(days=3)).isoformat()}
    for extra, message in (
        ({"externalDocumentNumber": "x" * 36}, "PO number has at most 35 characters"),
        ({"externalDocumentNumber": "a\nb"}, "PO number must be one line of text"),
        ({"shipToCity": "Lyon"}, "a ship-to address needs"),
        ({"shipToName": 5}, "shipToName"),
    ):
        refused = api.post(f"/api/carts/{cart_id}/checkout", json={**body, **extra})
        assert refused.status_code == 400, extra
        assert message in refused.json()["error"]["message"]
    placed = api.post(
        f"/api/carts/{cart_id}/checkout", json={**body, "externalDocumentNumber": " PO-API-1 "}
    )
    assert placed.status_code == 201, placed.text
    (order,) = erp_client.iter("salesOrders", filter=f"number eq '{placed.json()['erpNumber']}'")
    assert order["externalDocumentNumber"] == "PO-API-1"
    assert placed.json()["request"]["erpDate"] == today.isoformat()


# --- dates from the ERP's clock -----------------------------------------------------------


def test_a_refused_order_shows_the_erps_date(
    store: StoreThread, browser: requests.Session, api: StoreSession, erp_client: ErpClient
) -> None:
    """An order the ERP refuses (over the credit limit) stays in the store's history, dated
    by the ERP's calendar, not by the machine's."""
    today = erp_today(erp_client)
    assert today != dt.datetime.now(dt.UTC).date(), "the ERP's clock should differ here"
    dearest = max(
        (i for i in api.get("/api/items", params={"pageSize": 100}).json()["items"]
         if i["offer"] and not i["offer"].get("error")),
        key=lambda i: i["offer"]["netUnitPrice"],
    )  # fmt: skip
    cart_id, token = fresh_cart(browser, store, "too much")
    add(browser, store, token, dearest["number"], "100000")
    placed = browser.post(
        f"{store.url}/cart/{cart_id}/checkout",
        data={"requested_delivery_date": delivery_date(browser, store, cart_id),
              "csrf_token": token},
        allow_redirects=False,
    )  # fmt: skip
    assert placed.status_code == 303
    confirmation = browser.get(store.url + placed.headers["location"])
    assert 'data-status="rejected"' in confirmation.text
    history = browser.get(f"{store.url}/orders")
    rows = re.findall(r'<tr class="order-row">(.*?)</tr>', history.text, re.S)
    refused = next(row for row in rows if "Rejected" in row)
    assert f'class="order-date">{today.isoformat()}<' in refused
    assert api.delete(f"/api/carts/{cart_id}").status_code in (200, 204)  # open again: gone


# --- sales reps ---------------------------------------------------------------------------


def test_rep_accounts_have_names_search_and_a_stop_acting_button(
    store: StoreThread, users: DemoUsers
) -> None:
    rep = page_login(store, users.rep.email, users.rep.password)
    try:
        accounts = rep.get(f"{store.url}/rep")
        names = re.findall(r'class="account-name">([^<]*)<', accounts.text)
        assert names
        assert "None" not in names
        assert all(names)
        part = names[0].split()[0]
        found = rep.get(f"{store.url}/rep", params={"q": part})
        assert found.status_code == 200
        assert names[0] in found.text
        odd = rep.get(f"{store.url}/rep", params={"q": "%_<x>"})
        assert odd.status_code == 400
        assert odd.headers["content-type"].startswith("text/html")

        token = csrf_token(accounts.text)
        rep.post(
            f"{store.url}/rep/act-as",
            data={"customer": users.buyer.customer_no, "csrf_token": token},
        )
        catalog = rep.get(f"{store.url}/catalog")
        assert 'id="stop-acting-top"' in catalog.text
        stopped = rep.post(
            f"{store.url}/rep/stop", data={"csrf_token": token}, allow_redirects=False
        )
        assert stopped.headers["location"] == "/rep"
        after = rep.get(f"{store.url}/catalog", allow_redirects=False)
        assert after.headers["location"] == "/rep"  # no account chosen any more
    finally:
        rep.close()


# --- headless Chromium: every page at desktop and phone width ---------------------------

OVERFLOW = """
const width = window.innerWidth;
const wide = [];
for (const el of document.querySelectorAll('body *')) {
  const box = el.getBoundingClientRect();
  if (box.width > 0 && box.right > width + 1) {
    wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
              (el.className ? '.' + String(el.className).split(' ').join('.') : '') +
              ' right=' + Math.round(box.right));
  }
}
return {width: width, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
"""


def check_here(driver: Any, name: str, shots: Path) -> None:
    """The page the browser shows now (a form's answer): nothing wider than the viewport."""
    found = driver.execute_script(OVERFLOW)
    driver.save_screenshot(str(shots / f"{name}-{found['width']}.png"))
    assert found["scroll"] <= found["width"], (name, found)
    assert not found["wide"], (name, found)


def check_widths(driver: Any, url: str, name: str, shots: Path, ready: str) -> None:
    """Load `url` at each width: nothing wider than the viewport; a screenshot of each."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    for width in WIDTHS:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        driver.get(url)
        WebDriverWait(driver, WAIT).until(ec.presence_of_element_located((By.ID, ready)))
        found = driver.execute_script(OVERFLOW)
        driver.save_screenshot(str(shots / f"{name}-{width}.png"))
        assert found["width"] == width, (name, found)
        assert found["scroll"] <= width, (name, width, found)
        assert not found["wide"], (name, width, found)


def test_every_page_fits_desktop_and_phone_width(
    store: StoreThread,
    users: DemoUsers,
    api: StoreSession,
    tmp_path: Path,
) -> None:
    """Registration, login, catalog, product, quick order (and its answer with a problem),
    cart, confirmation, orders, order, reorder, invoices, invoice, invoice copy, quotes,
    quote, an error page, the rep's accounts and the catalog while acting: at 1280 and
    390 px (form answers at 390), `document.scrollWidth` stays within the viewport and no
    element sticks out. Screenshots land in the test's tmp_path."""
    with chromium_driver() as driver:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        wait = WebDriverWait(driver, WAIT)
        url = store.url
        items = orderable(api, 2)
        invoice = api.get("/api/invoices").json()["invoices"][0]["number"]
        order = next(o["number"] for o in api.get("/api/orders").json()["orders"]
                     if o["source"] == "erp")  # fmt: skip
        quote = next(q["number"] for q in api.get("/api/quotes").json()["quotes"]
                     if q.get("source") == "erp")  # fmt: skip

        check_widths(driver, f"{url}/register", "register", tmp_path, "register-form")
        check_widths(driver, f"{url}/login", "login", tmp_path, "login-form")
        driver.find_element(By.ID, "email").send_keys(users.buyer.email)
        driver.find_element(By.ID, "password").send_keys(users.buyer.password)
        driver.find_element(By.ID, "login-submit").click()
        wait.until(ec.presence_of_element_located((By.ID, "items")))

        pages = [
            ("/catalog", "catalog", "items"),
            (f"/items/{items[0]['number']}", "item", "add-form"),
            ("/quick-order", "quick-order", "quick-form"),
            ("/orders", "orders", "orders"),
            (f"/orders/{order}", "order", "order-lines"),
            ("/invoices", "invoices", "invoices"),
            (f"/invoices/{invoice}", "invoice", "invoice-lines"),
            ("/quotes", "quotes", "quotes"),
            (f"/quotes/{quote}", "quote", "quote-lines"),
            ("/orders/SO9999999", "error", "error-message"),
        ]
        for path, name, ready in pages:
            check_widths(driver, url + path, name, tmp_path, ready)
        # Answers to forms, at phone width (the last one set): a reorder, an invoice copy.
        driver.get(f"{url}/orders/{order}")
        wait.until(ec.presence_of_element_located((By.ID, "reorder"))).click()
        wait.until(ec.presence_of_element_located((By.ID, "reorder-message")))
        check_here(driver, "reorder", tmp_path)
        driver.get(f"{url}/invoices/{invoice}")
        wait.until(ec.presence_of_element_located((By.ID, "copy"))).click()
        wait.until(ec.presence_of_element_located((By.ID, "confirmation")))
        check_here(driver, "invoice-copy", tmp_path)

        # Quick order in the browser: rows and a paste with a bad line, at phone width.
        driver.get(f"{url}/quick-order")
        wait.until(ec.presence_of_element_located((By.ID, "quick-form")))
        driver.find_element(By.ID, "sku-1").send_keys(items[0]["number"])
        driver.find_element(By.ID, "qty-1").send_keys("2")
        driver.find_element(By.ID, "paste").send_keys(f"{items[1]['number']},3\nNOPE,1")
        driver.find_element(By.ID, "quick-submit").click()
        wait.until(ec.presence_of_element_located((By.ID, "quick-added")))
        problems = driver.find_elements(By.CSS_SELECTOR, "li.quick-problem")
        assert len(problems) == 1
        assert "NOPE" in problems[0].text
        check_here(driver, "quick-order-result", tmp_path)

        driver.find_element(By.ID, "quick-cart").click()
        wait.until(ec.presence_of_element_located((By.ID, "checkout-form")))
        cart_url = driver.current_url
        check_widths(driver, cart_url, "cart", tmp_path, "cart-lines")
        driver.find_element(By.ID, "po-number").send_keys("PO-BROWSER-1")
        driver.find_element(By.ID, "checkout").click()
        confirmation = wait.until(ec.presence_of_element_located((By.ID, "confirmation")))
        assert confirmation.get_attribute("data-status") == "accepted"
        assert driver.find_element(By.ID, "confirmation-po").text == "PO-BROWSER-1"
        check_widths(driver, driver.current_url, "confirmation", tmp_path, "confirmation")

        driver.find_element(By.ID, "logout").click()
        wait.until(ec.presence_of_element_located((By.ID, "login-form")))
        driver.find_element(By.ID, "email").send_keys(users.rep.email)
        driver.find_element(By.ID, "password").send_keys(users.rep.password)
        driver.find_element(By.ID, "login-submit").click()
        wait.until(ec.presence_of_element_located((By.ID, "accounts")))
        check_widths(driver, f"{url}/rep", "rep", tmp_path, "accounts")
        driver.find_element(By.CSS_SELECTOR, "button.act-as").click()
        wait.until(ec.presence_of_element_located((By.ID, "stop-acting-top")))
        check_widths(driver, f"{url}/catalog", "rep-catalog", tmp_path, "stop-acting-top")
        driver.find_element(By.ID, "stop-acting-top").click()
        wait.until(ec.presence_of_element_located((By.ID, "accounts")))
        assert urlsplit(driver.current_url).path == "/rep"
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(shots) == 2 * 16 + 3
