"""The store client adapter: every persona talks to the store through it.

Pointing the suite at another B2B store means writing one class with these methods (see
docs/load.md for a worked example) and passing it with ``--erpsim-adapter module:Class``.
Each method makes the store's requests for one buyer action through Locust's HTTP client
(so Locust times them), names them by request class (``/api/items/[id]``: ids grouped, so
reports stay readable) and returns only what the personas need next: ids, numbers, or None /
False / ``[]`` when the store refused (the request is then a failure in Locust's stats).

The interface (`StoreClient`):

    login(email, password) -> bool          logout() -> None
    categories() -> list[str]               browse(category) -> list[str]      item numbers
    search(text) -> list[str]               item(number) -> bool               product page
    new_cart(name) -> int | None            set_line(cart, item, unit, quantity) -> bool
    cart(cart) -> bool                      delete_cart(cart) -> None
    checkout(cart, delivery_date, key) -> Placed | None
    orders() -> list[str]                   order(number) -> bool              tracking
    reorder(number) -> int | None           (a new cart)
    request_quote(cart, key) -> Placed | None            (erp_number: the quote's number)
    quote(number) -> bool                   accept_quote(number, key) -> Placed | None
    invoices(status=None, q=None) -> list[str]           invoice(number) -> bool
    pay(number, key) -> Placed | None       (None also when there was nothing left to pay)
    rep_accounts() -> list[str]             act_as(customer) -> bool      stop_acting() -> None

`Placed` says what the store answered for a document sent to the ERP (orders, quotes,
payments): its id in the store, its state (accepted / pending / rejected), the ERP number.
The integrity check after `erpsim load` compares the orders placed with what the ERP has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import orjson

__all__ = ["ErpsimStoreClient", "Placed", "StoreClient"]


@dataclass(frozen=True, slots=True)
class Placed:
    document: int | str
    status: str  # 'accepted' | 'pending' | 'rejected'
    erp_number: str | None
    key: str  # the idempotency key the client sent


class StoreClient(Protocol):
    """What a persona may ask a B2B store (see the module docstring)."""

    def login(self, email: str, password: str) -> bool: ...
    def logout(self) -> None: ...
    def categories(self) -> list[str]: ...
    def browse(self, category: str) -> list[str]: ...
    def search(self, text: str) -> list[str]: ...
    def item(self, number: str) -> bool: ...
    def new_cart(self, name: str) -> int | None: ...
    def set_line(self, cart: int, item: str, unit: str, quantity: float) -> bool: ...
    def cart(self, cart: int) -> bool: ...
    def delete_cart(self, cart: int) -> None: ...
    def checkout(self, cart: int, delivery_date: str, key: str) -> Placed | None: ...
    def orders(self) -> list[str]: ...
    def order(self, number: str) -> bool: ...
    def reorder(self, number: str) -> int | None: ...
    def request_quote(self, cart: int, key: str) -> Placed | None: ...
    def quote(self, number: str) -> bool: ...
    def accept_quote(self, number: str, key: str) -> Placed | None: ...
    def invoices(self, status: str | None = None, q: str | None = None) -> list[str]: ...
    def invoice(self, number: str) -> bool: ...
    def pay(self, number: str, key: str) -> Placed | None: ...
    def rep_accounts(self) -> list[str]: ...
    def act_as(self, customer: str) -> bool: ...
    def stop_acting(self) -> None: ...


class ErpsimStoreClient:
    """The adapter for erpsim's reference store (`erpsim serve store`, JSON API under /api).

    `http` is the persona's Locust client (`FastHttpUser.client`); a bearer token from the
    login is sent with every later request."""

    def __init__(self, http: Any) -> None:
        self.http = http
        self.headers: dict[str, str] = {}

    # --- plumbing ---------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        name: str,
        body: Any = None,
        ok: tuple[int, ...] = (),
        parse: bool = True,
    ) -> Any:
        """One request; the parsed JSON body (``{}`` unparsed with ``parse=False``), or None
        when the store refused it. Statuses in `ok` (e.g. 409 'already paid') are expected
        answers, not failures."""
        kwargs: dict[str, Any] = {"name": name, "headers": self.headers}
        if body is not None:
            kwargs["data"] = orjson.dumps(body)
            kwargs["headers"] = {**self.headers, "Content-Type": "application/json"}
        if not ok:
            response = self.http.request(method, path, **kwargs)
            if not 200 <= response.status_code < 300:
                return None
            return orjson.loads(response.content) if parse and response.content else {}
        with self.http.request(method, path, catch_response=True, **kwargs) as response:
            if response.status_code in ok:
                response.success()
                return None
            if not 200 <= response.status_code < 300:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            return orjson.loads(response.content) if response.content else {}

    @staticmethod
    def _placed(body: Any, key: str) -> Placed | None:
        if not body or "document" not in body:
            return None
        return Placed(body["document"], body.get("status", ""), body.get("erpNumber"), key)

    # --- session ----------------------------------------------------------------------

    def login(self, email: str, password: str) -> bool:
        credentials = {"email": email, "password": password}
        body = self._call("POST", "/api/login", "/api/login", credentials)
        if not body or "token" not in body:
            return False
        self.headers = {"Authorization": f"Bearer {body['token']}"}
        return True

    def logout(self) -> None:
        self._call("POST", "/api/logout", "/api/logout", parse=False)
        self.headers = {}

    # --- catalog ----------------------------------------------------------------------

    def categories(self) -> list[str]:
        body = self._call("GET", "/api/categories", "/api/categories")
        if not body:
            return []
        found: list[str] = []
        stack = list(body.get("categories", body) if isinstance(body, dict) else body)
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if node.get("code"):
                    found.append(str(node["code"]))
                stack.extend(node.get("children", []))
        return found

    def browse(self, category: str) -> list[str]:
        body = self._call("GET", f"/api/items?category={category}", "/api/items?category=[code]")
        return [item["number"] for item in body.get("items", [])] if body else []

    def search(self, text: str) -> list[str]:
        body = self._call("GET", f"/api/items?q={text}", "/api/items?q=[text]")
        return [item["number"] for item in body.get("items", [])] if body else []

    def item(self, number: str) -> bool:
        return self._call("GET", f"/api/items/{number}", "/api/items/[id]", parse=False) is not None

    # --- carts and orders -------------------------------------------------------------

    def new_cart(self, name: str) -> int | None:
        body = self._call("POST", "/api/carts", "/api/carts [new]", {"name": name})
        return int(body["id"]) if body else None

    def set_line(self, cart: int, item: str, unit: str, quantity: float) -> bool:
        body = {"itemNumber": item, "unitOfMeasureCode": unit, "quantity": quantity}
        path = f"/api/carts/{cart}/lines"
        return self._call("PUT", path, "/api/carts/[id]/lines", body, parse=False) is not None

    def cart(self, cart: int) -> bool:
        return self._call("GET", f"/api/carts/{cart}", "/api/carts/[id]", parse=False) is not None

    def delete_cart(self, cart: int) -> None:
        self._call("DELETE", f"/api/carts/{cart}", "/api/carts/[id] [delete]", parse=False)

    def checkout(self, cart: int, delivery_date: str, key: str) -> Placed | None:
        body = {"requestedDeliveryDate": delivery_date, "idempotencyKey": key}
        path = f"/api/carts/{cart}/checkout"
        return self._placed(self._call("POST", path, "/api/carts/[id]/checkout", body), key)

    def orders(self) -> list[str]:
        body = self._call("GET", "/api/orders", "/api/orders")
        if not body:
            return []
        return [str(o["number"]) for o in body.get("orders", []) if o.get("number")]

    def order(self, number: str) -> bool:
        return (
            self._call("GET", f"/api/orders/{number}", "/api/orders/[number]", parse=False)
            is not None
        )

    def reorder(self, number: str) -> int | None:
        path = f"/api/orders/{number}/reorder"
        body = self._call("POST", path, "/api/orders/[number]/reorder")
        return int(body["cart"]) if body else None

    # --- quotes -----------------------------------------------------------------------

    def request_quote(self, cart: int, key: str) -> Placed | None:
        path = f"/api/carts/{cart}/quote"
        body = self._call("POST", path, "/api/carts/[id]/quote", {"idempotencyKey": key})
        return self._placed(body, key)

    def quote(self, number: str) -> bool:
        return (
            self._call("GET", f"/api/quotes/{number}", "/api/quotes/[number]", parse=False)
            is not None
        )

    def accept_quote(self, number: str, key: str) -> Placed | None:
        path = f"/api/quotes/{number}/accept"
        body = self._call("POST", path, "/api/quotes/[number]/accept", {"idempotencyKey": key})
        return self._placed(body, key)

    # --- invoices ---------------------------------------------------------------------

    def invoices(self, status: str | None = None, q: str | None = None) -> list[str]:
        if q is not None:
            body = self._call("GET", f"/api/invoices?q={q}", "/api/invoices?q=[text]")
        elif status is not None:
            body = self._call("GET", f"/api/invoices?status={status}", "/api/invoices?status=")
        else:
            body = self._call("GET", "/api/invoices", "/api/invoices")
        return [str(i["number"]) for i in body.get("invoices", [])] if body else []

    def invoice(self, number: str) -> bool:
        return (
            self._call("GET", f"/api/invoices/{number}", "/api/invoices/[number]", parse=False)
            is not None
        )

    def pay(self, number: str, key: str) -> Placed | None:
        path = f"/api/invoices/{number}/pay"
        body = self._call(
            "POST", path, "/api/invoices/[number]/pay", {"idempotencyKey": key}, ok=(409,)
        )
        return self._placed(body, key)

    # --- sales reps -------------------------------------------------------------------

    def rep_accounts(self) -> list[str]:
        body = self._call("GET", "/api/rep/accounts", "/api/rep/accounts")
        return [str(a["number"]) for a in body.get("accounts", [])] if body else []

    def act_as(self, customer: str) -> bool:
        body = {"customerNumber": customer}
        return (
            self._call("POST", "/api/rep/act-as", "/api/rep/act-as", body, parse=False) is not None
        )

    def stop_acting(self) -> None:
        self._call("DELETE", "/api/rep/act-as", "/api/rep/act-as [stop]", parse=False)
