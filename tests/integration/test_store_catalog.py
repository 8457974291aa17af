"""The store's catalog (categories, item pages, search, item detail with offers) and carts,
against the real mock ERP (frozen clock) and the real store on loopback ports."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests

from simulator.erp_server.client import ErpClient
from simulator.store.server import StoreThread

if TYPE_CHECKING:
    from tests.integration.store_fixtures import DemoUsers, StoreSession

pytest_plugins = ["tests.integration.store_fixtures"]


# --- what the ERP says the account may see ----------------------------------------------


class Assortment:
    """An account's orderable items, computed from the ERP API (not from the store)."""

    def __init__(self, erp: ErpClient, customer_no: str) -> None:
        self.categories = {c["code"]: c for c in erp.iter("itemCategories")}
        self.codes = {
            row["itemCategoryCode"]
            for row in erp.iter("customerAssortment", filter=f"customerNumber eq '{customer_no}'")
        }
        self.items = {
            item["number"]: item
            for item in erp.iter("items", filter="blocked eq false")
            if self.covers(item["itemCategoryCode"])
        }

    def covers(self, code: str) -> bool:
        while code:
            if code in self.codes:
                return True
            code = self.categories[code]["parentCode"] if code in self.categories else ""
        return False

    def under(self, category: str) -> set[str]:
        def ancestors(code: str) -> Iterator[str]:
            while code:
                yield code
                code = self.categories[code]["parentCode"]

        return {
            no for no, item in self.items.items() if category in ancestors(item["itemCategoryCode"])
        }


@pytest.fixture(scope="module")
def users(store: StoreThread, demo_users: Any) -> DemoUsers:
    return demo_users(store)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def buyer(store: StoreThread, users: DemoUsers, login: Any) -> Iterator[StoreSession]:
    session = login(store, users.buyer.email, users.buyer.password)
    yield session
    session.close()


@pytest.fixture(scope="module")
def other(store: StoreThread, users: DemoUsers, login: Any) -> Iterator[StoreSession]:
    session = login(store, users.other_buyer.email, users.other_buyer.password)
    yield session
    session.close()


@pytest.fixture(scope="module")
def assortment(erp_client: ErpClient, users: DemoUsers) -> Assortment:
    assert users.buyer.customer_no is not None
    return Assortment(erp_client, users.buyer.customer_no)


def _all_pages(session: StoreSession, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = session.get("/api/items", params={**params, "page": page, "pageSize": 100}).json()
        items += body["items"]
        if page * 100 >= body["total"]:
            assert len(items) == body["total"]
            return items
        page += 1


def _error(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message"}
    return error  # type: ignore[no-any-return]


def _events(store: StoreThread, type_: str, email: str) -> list[str]:
    conn = sqlite3.connect(store.settings.db)
    try:
        return [
            row[0]
            for row in conn.execute(
                "SELECT e.detail FROM events e JOIN users u ON u.id = e.user_id "
                "WHERE e.type = ? AND u.email = ? ORDER BY e.id",
                (type_, email),
            )
        ]
    finally:
        conn.close()


# --- catalog -----------------------------------------------------------------------------


def test_categories_are_the_account_assortment(buyer: StoreSession, assortment: Assortment) -> None:
    tree = buyer.get("/api/categories").json()["categories"]
    children = {child["code"]: child for node in tree for child in node["children"]}
    assert set(children) == assortment.codes
    for node in tree:
        assert node["displayName"] == assortment.categories[node["code"]]["displayName"]
        assert node["itemCount"] == sum(c["itemCount"] for c in node["children"])
        for child in node["children"]:
            assert assortment.categories[child["code"]]["parentCode"] == node["code"]
            assert child["itemCount"] == len(assortment.under(child["code"]))
    assert sum(node["itemCount"] for node in tree) == len(assortment.items)


def test_pages_cover_the_assortment_exactly_once(
    store: StoreThread, buyer: StoreSession, assortment: Assortment, users: DemoUsers
) -> None:
    items = _all_pages(buyer)
    numbers = [item["number"] for item in items]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == set(assortment.items)
    keys = [(item["categoryCode"], item["number"]) for item in items]
    assert keys == sorted(keys)
    for item in items[:50]:
        erp_item = assortment.items[item["number"]]
        assert item["displayName"] == erp_item["displayName"]
        assert item["gtin"] == erp_item["gtin"]
        assert item["baseUnitOfMeasure"] == erp_item["baseUnitOfMeasureCode"]
        assert item["offer"] is not None
    first = buyer.get("/api/items").json()
    assert first["pageSize"] == store.settings.page_size
    assert [i["number"] for i in first["items"]] == numbers[: store.settings.page_size]
    assert first["stale"] is False
    assert '{"category":null,"page":1}' in _events(store, "browse", users.buyer.email)


def _erp_prices(
    erp: ErpClient, customer: str, lines: list[tuple[str, str, float]]
) -> list[dict[str, Any]]:
    body = {
        "customerNumber": customer,
        "lines": [
            {"itemNumber": item, "unitOfMeasureCode": unit, "quantity": qty}
            for item, unit, qty in lines
        ],
    }
    return erp.request("POST", "calculatePrices", json=body).json()["value"]  # type: ignore[no-any-return]


def test_offers_are_the_erps_prices_and_stock(
    buyer: StoreSession, erp_client: ErpClient, users: DemoUsers
) -> None:
    assert users.buyer.customer_no is not None
    page = buyer.get("/api/items", params={"pageSize": 40}).json()["items"]
    expected = _erp_prices(
        erp_client, users.buyer.customer_no, [(i["number"], "", 1.0) for i in page]
    )
    for item, erp in zip(page, expected, strict=True):
        offer = item["offer"]
        assert erp["error"] is None
        assert offer["unitPrice"] == pytest.approx(erp["unitPrice"])
        assert offer["discountPercent"] == pytest.approx(erp["discountPercent"])
        assert offer["netUnitPrice"] == pytest.approx(erp["netUnitPrice"])
        assert offer["currencyCode"] == erp["currencyCode"]
        assert offer["available"] == pytest.approx(erp["availableQuantity"])
        assert offer["unitOfMeasureCode"] == erp["unitOfMeasureCode"]
        assert [(b["minimumQuantity"], b["netUnitPrice"]) for b in offer["breaks"]] == [
            (b["minimumQuantity"], pytest.approx(b["netUnitPrice"])) for b in erp["quantityBreaks"]
        ]
        assert offer["stale"] is False


def test_realtime_and_batch_show_the_same_offers_on_a_frozen_erp(
    store_factory: Any, buyer: StoreSession, users: DemoUsers, login: Any
) -> None:
    batch = buyer.get("/api/items", params={"page": 2, "pageSize": 30}).json()
    with store_factory("realtime") as realtime:
        session = login(realtime, users.buyer.email, users.buyer.password)
        try:
            live = session.get("/api/items", params={"page": 2, "pageSize": 30}).json()
        finally:
            session.close()
    assert [i["number"] for i in live["items"]] == [i["number"] for i in batch["items"]]
    for mine, theirs in zip(live["items"], batch["items"], strict=True):
        assert mine["offer"] == theirs["offer"]


def test_category_filter_and_paging(
    buyer: StoreSession, assortment: Assortment, erp_client: ErpClient
) -> None:
    tree = buyer.get("/api/categories").json()["categories"]
    top = tree[0]
    child = top["children"][0]
    in_child = _all_pages(buyer, category=child["code"])
    assert {i["number"] for i in in_child} == assortment.under(child["code"])
    assert len(in_child) == child["itemCount"]
    in_top = buyer.get("/api/items", params={"category": top["code"]}).json()
    assert in_top["total"] == top["itemCount"]
    leaf = in_child[0]["categoryCode"]
    in_leaf = _all_pages(buyer, category=leaf)
    assert {i["number"] for i in in_leaf} == assortment.under(leaf)
    beyond = buyer.get(
        "/api/items", params={"category": child["code"], "page": 1000, "pageSize": 50}
    ).json()
    assert beyond["items"] == []
    assert beyond["total"] == child["itemCount"]
    unknown = buyer.get("/api/items", params={"category": "NO-SUCH-CATEGORY"})
    assert _error(unknown, 404)["code"] == "not_found"
    foreign = sorted(
        code
        for code, c in assortment.categories.items()
        if c["level"] == 2 and code not in assortment.codes
    )
    if foreign:
        outside = buyer.get("/api/items", params={"category": foreign[0]})
        assert _error(outside, 404)["code"] == "not_found"


def test_search(
    store: StoreThread, buyer: StoreSession, assortment: Assortment, users: DemoUsers
) -> None:
    sample = sorted(assortment.items.values(), key=lambda i: i["number"])[3]
    word = sample["displayName"].split()[0].lower()

    def matches(item: dict[str, Any], text: str) -> bool:
        return any(text.lower() in str(item[f]).lower() for f in ("number", "displayName", "gtin"))

    found = _all_pages(buyer, q=word)
    expected = {no for no, item in assortment.items.items() if matches(item, word)}
    assert {i["number"] for i in found} == expected
    assert sample["number"] in expected
    by_number = buyer.get("/api/items", params={"q": sample["number"]}).json()
    assert sample["number"] in [i["number"] for i in by_number["items"]]
    by_gtin = buyer.get("/api/items", params={"q": sample["gtin"]}).json()
    assert [i["number"] for i in by_gtin["items"]] == [sample["number"]]
    literal = buyer.get("/api/items", params={"q": "%_%"}).json()
    assert literal["total"] == 0
    assert literal["items"] == []
    blank = buyer.get("/api/items", params={"q": "   "}).json()
    assert blank["total"] == len(assortment.items)
    searches = _events(store, "search", users.buyer.email)
    assert f'"q":"{word}"' in searches[0]
    assert f'"results":{len(expected)}' in searches[0]


def test_item_detail(
    store: StoreThread,
    buyer: StoreSession,
    other: StoreSession,
    assortment: Assortment,
    erp_client: ErpClient,
    users: DemoUsers,
) -> None:
    number = sorted(assortment.items)[0]
    detail = buyer.get(f"/api/items/{number}").json()
    units = list(erp_client.iter("itemUnitsOfMeasure", filter=f"itemNumber eq '{number}'"))
    assert {u["code"]: u["quantityPerUnitOfMeasure"] for u in units} == {
        u["code"]: u["quantityPerUnitOfMeasure"] for u in detail["unitsOfMeasure"]
    }
    assert detail["number"] == number
    assert detail["blocked"] is False
    assert detail["offer"]["netUnitPrice"] > 0
    assert f'"item":"{number}"' in _events(store, "view_item", users.buyer.email)[-1]
    assert _error(buyer.get("/api/items/NO-SUCH-ITEM"), 404)["code"] == "not_found"
    assert other.user["customerNumber"] is not None
    theirs = Assortment(erp_client, other.user["customerNumber"])
    only_theirs = sorted(set(theirs.items) - set(assortment.items))
    assert only_theirs, "the two demo accounts have the same assortment"
    assert other.get(f"/api/items/{only_theirs[0]}").status_code == 200
    hidden = buyer.get(f"/api/items/{only_theirs[0]}")
    assert _error(hidden, 404)["code"] == "not_found"
    assert "offer" not in hidden.text


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": "abc"},
        {"pageSize": 0},
        {"pageSize": 101},
        {"q": "x" * 101},
        {"category": "bad'quote"},
        {"category": "x" * 51},
    ],
)
def test_catalog_input_validation(buyer: StoreSession, params: dict[str, Any]) -> None:
    assert _error(buyer.get("/api/items", params=params), 400)["code"] == "invalid_request"


# --- carts -------------------------------------------------------------------------------


def _price(erp: ErpClient, customer: str, item: str, unit: str, qty: float) -> float:
    return float(_erp_prices(erp, customer, [(item, unit, qty)])[0]["netUnitPrice"])


def test_cart_journey(
    store: StoreThread,
    buyer: StoreSession,
    assortment: Assortment,
    erp_client: ErpClient,
    users: DemoUsers,
) -> None:
    customer = users.buyer.customer_no
    assert customer is not None
    listed = buyer.get("/api/carts").json()["carts"]
    open_carts = [c for c in listed if c["status"] == "open"]
    assert open_carts
    cart = open_carts[0]["id"]
    first, second = sorted(assortment.items)[5:7]
    url = f"/api/carts/{cart}/lines"
    body = buyer.put(url, json={"itemNumber": first, "quantity": 3}).json()
    line = next(x for x in body["lines"] if x["itemNumber"] == first)
    base = assortment.items[first]["baseUnitOfMeasureCode"]
    assert line["unitOfMeasureCode"] == base
    assert line["quantity"] == 3
    assert line["offer"]["netUnitPrice"] == pytest.approx(
        _price(erp_client, customer, first, "", 3)
    )
    assert line["lineAmount"] == pytest.approx(round(line["offer"]["netUnitPrice"] * 3, 2))
    buyer.put(url, json={"itemNumber": first, "quantity": 5})  # grows: add_to_cart
    buyer.put(url, json={"itemNumber": first, "quantity": 2})  # shrinks: no event
    body = buyer.put(
        url, json={"itemNumber": second, "unitOfMeasureCode": "", "quantity": 1}
    ).json()
    assert [(x["itemNumber"], x["quantity"]) for x in body["lines"]] == [(first, 2), (second, 1)]
    assert body["totals"]["lineCount"] == 2
    assert body["totals"]["amount"] == pytest.approx(sum(x["lineAmount"] for x in body["lines"]))
    assert body["totals"]["complete"] is True
    other_units = list(
        erp_client.iter(
            "itemUnitsOfMeasure", filter=f"itemNumber eq '{second}' and code ne '{base}'"
        )
    )
    if other_units:  # another unit replaces the line
        unit = other_units[0]["code"]
        body = buyer.put(url, json={"itemNumber": second, "unitOfMeasureCode": unit, "quantity": 1})
        second_line = [x for x in body.json()["lines"] if x["itemNumber"] == second]
        assert [(x["unitOfMeasureCode"], x["quantity"]) for x in second_line] == [(unit, 1)]
    body = buyer.put(url, json={"itemNumber": first, "quantity": 0}).json()
    assert [x["itemNumber"] for x in body["lines"]] == [second]
    body = buyer.delete(f"/api/carts/{cart}/lines/{second}").json()
    assert body["lines"] == []
    assert _error(buyer.delete(f"/api/carts/{cart}/lines/{second}"), 404)["code"] == "not_found"
    adds = _events(store, "add_to_cart", users.buyer.email)
    assert len(adds) == 3 + bool(other_units)
    assert f'"item":"{first}"' in adds[0]
    assert '"quantity":5' in adds[1]


def test_several_carts_survive_logout(
    store: StoreThread, users: DemoUsers, assortment: Assortment, login: Any
) -> None:
    buyer = users.colleague or users.buyer
    session = login(store, buyer.email, buyer.password)
    created = session.post("/api/carts", json={"name": "  Project X  "})
    assert created.status_code == 201
    cart = created.json()
    assert cart["name"] == "Project X"
    assert cart["lines"] == []
    item = sorted(assortment.items)[1]
    session.put(f"/api/carts/{cart['id']}/lines", json={"itemNumber": item, "quantity": 4})
    names = [c["name"] for c in session.get("/api/carts").json()["carts"]]
    assert "Project X" in names
    assert "Cart" in names
    session.post("/api/logout")
    session.close()
    again = login(store, buyer.email, buyer.password)
    try:
        kept = again.get(f"/api/carts/{cart['id']}").json()
        assert [(x["itemNumber"], x["quantity"]) for x in kept["lines"]] == [(item, 4)]
        assert again.delete(f"/api/carts/{cart['id']}").json() == {"deleted": cart["id"]}
        assert _error(again.get(f"/api/carts/{cart['id']}"), 404)["code"] == "not_found"
    finally:
        again.close()


def test_carts_are_private(
    store: StoreThread,
    buyer: StoreSession,
    other: StoreSession,
    users: DemoUsers,
    assortment: Assortment,
    login: Any,
) -> None:
    cart = buyer.post("/api/carts", json={"name": "mine"}).json()["id"]
    item = sorted(assortment.items)[2]
    buyer.put(f"/api/carts/{cart}/lines", json={"itemNumber": item, "quantity": 1})
    attempts = [
        other.get(f"/api/carts/{cart}"),
        other.put(f"/api/carts/{cart}/lines", json={"itemNumber": item, "quantity": 9}),
        other.delete(f"/api/carts/{cart}/lines/{item}"),
        other.delete(f"/api/carts/{cart}"),
    ]
    if users.colleague is not None:  # same account, another user: still not theirs
        colleague = login(store, users.colleague.email, users.colleague.password)
        attempts.append(colleague.get(f"/api/carts/{cart}"))
        colleague.close()
    for response in attempts:
        assert _error(response, 404)["code"] == "not_found"
        assert item not in response.text
    assert cart not in [c["id"] for c in other.get("/api/carts").json()["carts"]]
    still = buyer.get(f"/api/carts/{cart}").json()
    assert [(x["itemNumber"], x["quantity"]) for x in still["lines"]] == [(item, 1)]


def test_cart_input_validation(
    store: StoreThread,
    buyer: StoreSession,
    assortment: Assortment,
    erp_client: ErpClient,
) -> None:
    cart = buyer.post("/api/carts", json={"name": "validation"}).json()["id"]
    url = f"/api/carts/{cart}/lines"
    item = sorted(assortment.items)[0]
    for body in (
        {"itemNumber": item, "quantity": -1},
        {"itemNumber": item, "quantity": 100_001},
        {"itemNumber": item, "quantity": "many"},
        {"itemNumber": item},
        {"quantity": 1},
        {"itemNumber": "", "quantity": 1},
        {"itemNumber": item, "quantity": 1, "price": 0.01},
    ):
        assert _error(buyer.put(url, json=body), 400)["code"] == "invalid_request", body
    for raw in (
        f'{{"itemNumber": "{item}", "quantity": NaN}}',
        f'{{"itemNumber": "{item}", "quantity": Infinity}}',
        "not json",
    ):
        response = buyer.put(url, data=raw, headers={"Content-Type": "application/json"})
        assert _error(response, 400)["code"] == "invalid_request", raw
    unknown = buyer.put(url, json={"itemNumber": "NO-SUCH-ITEM", "quantity": 1})
    assert _error(unknown, 400)["code"] == "unknown_item"
    outside = sorted(
        i["number"]
        for i in erp_client.iter("items", filter="blocked eq false", top=400)
        if i["number"] not in assortment.items
    )
    assert outside
    foreign = buyer.put(url, json={"itemNumber": outside[0], "quantity": 1})
    assert _error(foreign, 400)["code"] == "unknown_item"
    bad_unit = buyer.put(url, json={"itemNumber": item, "unitOfMeasureCode": "NOPE", "quantity": 1})
    assert _error(bad_unit, 400)["code"] == "unknown_unit"
    blocked = [
        i["number"]
        for i in erp_client.iter("items", filter="blocked eq true")
        if assortment.covers(i["itemCategoryCode"])
    ]
    if blocked:
        refused = buyer.put(url, json={"itemNumber": blocked[0], "quantity": 1})
        assert _error(refused, 400)["code"] == "item_blocked"
    for name in ("", " ", "x" * 61):
        assert buyer.post("/api/carts", json={"name": name}).status_code == 400
    assert _error(buyer.post("/api/carts", json={"name": 5}), 400)["code"] == "invalid_request"
    for path in ("/api/carts/0", "/api/carts/abc", "/api/carts/99999999999999999999"):
        assert buyer.get(path).status_code in (400, 404)
        assert buyer.get(path).json()["error"]["code"] in ("invalid_request", "not_found")
    assert _error(buyer.get("/api/carts/987654"), 404)["code"] == "not_found"
    # A cart that was ordered no longer changes.
    conn = sqlite3.connect(store.settings.db)
    with conn:
        conn.execute("UPDATE carts SET status = 'ordered' WHERE id = ?", (cart,))
    conn.close()
    closed = buyer.put(url, json={"itemNumber": item, "quantity": 1})
    assert _error(closed, 409)["code"] == "cart_closed"
    assert _error(buyer.delete(f"/api/carts/{cart}"), 409)["code"] == "cart_closed"


def test_a_cart_holds_at_most_200_lines(buyer: StoreSession, assortment: Assortment) -> None:
    if len(assortment.items) <= 200:
        pytest.skip("the account's assortment has at most 200 items")
    cart = buyer.post("/api/carts", json={"name": "big"}).json()["id"]
    numbers = sorted(assortment.items)
    conn_url = f"/api/carts/{cart}/lines"
    for number in numbers[:200]:
        response = buyer.put(conn_url, json={"itemNumber": number, "quantity": 1})
        assert response.status_code == 200
    full = buyer.put(conn_url, json={"itemNumber": numbers[200], "quantity": 1})
    assert _error(full, 409)["code"] == "cart_full"
    # Changing a line already in the cart still works.
    assert buyer.put(conn_url, json={"itemNumber": numbers[0], "quantity": 2}).status_code == 200
    assert buyer.get(f"/api/carts/{cart}").json()["totals"]["lineCount"] == 200
