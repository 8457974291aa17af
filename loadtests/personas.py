"""The B2B personas, as Locust `FastHttpUser` classes.

Each persona runs one *journey* per task (a session of a real buyer), with think times
between its steps, and logs in once as its own distinct real user (`testdata`). Weights
and think times come from the load mix (`scenarios/load-*.toml`, applied by the
locustfile); the numbers below are only the defaults Locust shows without a mix.

    Reorderer             login; order history -> a past order -> reorder -> cart -> checkout
    CatalogBrowser        categories -> a category -> search -> product pages -> cart ->
                          save it (a saved cart) or abandon it (deleted)
    QuoteRequester        cart -> quote request -> the ERP's quote -> accept -> order
    InvoicePayer          (an AP clerk) open invoices -> one invoice -> search -> pay
    OrderTracker          order history -> order status with shipments and invoices
    SalesRep              assigned accounts -> act as one -> order on its behalf -> stop
    ErpIntegrationClient  the connector itself, on the ERP API: delta polling of items and
                          sales orders, price calculation for a page of a customer's items;
                          with --erpsim-erp-flavor sap the same on SAP's OData V2 services,
                          plus a sales order created exactly once (`sap_connector`)

Every store request goes through the store client adapter (`store_client`), so another
store needs one adapter, not new personas.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import gevent
import orjson
from locust import FastHttpUser, task

from loadtests.mix import LoadMix, PersonaMix
from loadtests.plan import Pacing
from loadtests.sap_connector import SapConnector
from loadtests.store_client import ErpsimStoreClient, Placed
from loadtests.testdata import Account, Login, TestData

__all__ = [
    "PERSONA_CLASSES",
    "CatalogBrowser",
    "ErpIntegrationClient",
    "InvoicePayer",
    "OrderTracker",
    "QuoteRequester",
    "Reorderer",
    "Runtime",
    "SalesRep",
    "runtime",
]


@dataclass
class Runtime:
    """What this Locust process's personas share: set up by the locustfile's init hook."""

    mix: LoadMix = field(default_factory=LoadMix)
    data: TestData | None = None
    pacing: Pacing | None = None  # open model when set
    worker: int = 0
    workers: int = 1
    erp_url: str | None = None
    erp_key: str | None = None
    erp_flavor: str = "bc"  # the ERP connector speaks Business Central's API or SAP's
    client_factory: Any = ErpsimStoreClient
    seed: int = 0
    placed: list[dict[str, Any]] = field(default_factory=list)  # not yet reported
    logins: list[str] = field(default_factory=list)  # emails taken, not yet reported
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _keys: Any = field(default_factory=itertools.count)
    run_id: str = field(default_factory=lambda: os.urandom(4).hex())

    def key(self, kind: str) -> str:
        return f"lt-{kind}-{self.run_id}-{self.worker}-{next(self._keys)}"

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def record(self, kind: str, customer: str | None, placed: Placed) -> None:
        """A document the store took (orders for the integrity check, and the rest)."""
        self.count(f"{kind}_{placed.status or 'unknown'}")
        if placed.status in ("accepted", "pending"):
            entry = {
                "kind": kind,
                "customer": customer,
                "document": placed.document,
                "key": placed.key,
                "status": placed.status,
                "erp_number": placed.erp_number,
            }
            with self.lock:
                self.placed.append(entry)

    def record_connector_order(self, customer: str, key: str, number: str) -> None:
        """A sales order the ERP connector created itself (SAP mode), for the integrity
        check: it must be in the ERP, and is no duplicate of a store order."""
        entry = {"kind": "connector_order", "customer": customer, "document": None,
                 "key": key, "status": "accepted", "erp_number": number}  # fmt: skip
        with self.lock:
            self.placed.append(entry)

    def take_report(self) -> dict[str, Any]:
        with self.lock:
            placed, self.placed = self.placed, []
            counts, self.counts = self.counts, {}
            logins, self.logins = self.logins, []
        return {"placed": placed, "counts": counts, "logins": logins}


runtime = Runtime()
REPLAY_EVERY = 4  # SAP mode: the connector sends its 1st, 5th... created order again


class Persona(FastHttpUser):
    """Common parts: login as a distinct user, think times, pacing (open model)."""

    abstract = True
    role = "buyer"
    mix_name = ""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.rng = random.Random()
        self.store: Any = None
        self.login: Login | None = None
        self.account: Account | None = None
        self.today = dt.date.today()

    @property
    def settings(self) -> PersonaMix:
        return getattr(runtime.mix.personas, self.mix_name)  # type: ignore[no-any-return]

    def wait_time(self) -> float:
        if runtime.pacing is not None:
            return runtime.pacing(self)
        return self.rng.uniform(self.settings.think_min, self.settings.think_max)

    def think(self) -> None:
        gevent.sleep(self.rng.uniform(self.settings.think_min, self.settings.think_max))

    def begin(self) -> None:
        """The start of a session (journey): pacing records its lag behind schedule."""
        runtime.count(f"sessions_{self.mix_name}")
        if runtime.pacing is not None:
            runtime.pacing.started(self)

    def on_start(self) -> None:
        data = runtime.data
        assert data is not None, "test data not loaded (the locustfile's init hook)"
        self.login = data.pool(self.role).take(runtime.worker, runtime.workers)
        with runtime.lock:
            runtime.logins.append(self.login.email)
        self.rng.seed(f"{runtime.seed}:{self.login.email}")
        if data.today:
            self.today = dt.date.fromisoformat(data.today)
        self.store = runtime.client_factory(self.client)
        if not self.store.login(self.login.email, self.login.password):
            runtime.count("login_failed")
        if self.login.customer_no:
            self.account = data.account(self.login.customer_no)
        if runtime.pacing is not None:
            gevent.sleep(runtime.pacing.first(self))

    def delivery_date(self) -> str:
        journeys = runtime.mix.journeys
        days = self.rng.randint(journeys.delivery_days_min, journeys.delivery_days_max)
        return (self.today + dt.timedelta(days=days)).isoformat()

    def lines(self, account: Account, count: int) -> list[tuple[str, str, float]]:
        """Items the account buys (its history first), with its usual quantities."""
        bought = account.items[: max(count, min(len(account.items), 20))]
        return self.rng.sample(bought, min(count, len(bought)))

    def fill_cart(self, cart: int, account: Account, count: int) -> bool:
        filled = False
        for item, unit, quantity in self.lines(account, count):
            filled = self.store.set_line(cart, item, unit, quantity) or filled
        return filled


class Reorderer(Persona):
    """A buyer who orders again what the account ordered before."""

    weight = 3
    mix_name = "Reorderer"

    @task
    def reorder_journey(self) -> None:
        self.begin()
        orders = self.store.orders()
        if not orders:
            return
        number = self.rng.choice(orders[:5])
        self.think()
        self.store.order(number)
        self.think()
        cart = self.store.reorder(number)
        if cart is None:
            return
        self.store.cart(cart)
        self.think()
        placed = self.store.checkout(cart, self.delivery_date(), runtime.key("order"))
        if placed is not None:
            runtime.record("order", self.login.customer_no if self.login else None, placed)


class CatalogBrowser(Persona):
    """A buyer who browses and searches, looks at prices, fills a cart, saves or leaves it."""

    weight = 5
    mix_name = "CatalogBrowser"

    @task
    def browse_journey(self) -> None:
        self.begin()
        assert self.account is not None
        journeys = runtime.mix.journeys
        categories = self.store.categories()
        if categories:
            self.think()
            self.store.browse(urllib.parse.quote(self.rng.choice(categories)))
        if self.account.search_terms:
            self.think()
            self.store.search(urllib.parse.quote(self.rng.choice(self.account.search_terms)))
        for item, _unit, _quantity in self.lines(self.account, journeys.product_pages):
            self.think()
            self.store.item(item)
        cart = self.store.new_cart(f"Browse {self.rng.randrange(10**6)}")
        if cart is None:
            return
        self.fill_cart(cart, self.account, journeys.cart_lines)
        self.store.cart(cart)
        self.think()
        if self.rng.random() < journeys.save_cart_share:
            runtime.count("carts_saved")
        else:
            self.store.delete_cart(cart)
            runtime.count("carts_abandoned")


class QuoteRequester(Persona):
    """A buyer who asks for a quote, reads it and turns it into an order."""

    weight = 1
    mix_name = "QuoteRequester"

    @task
    def quote_journey(self) -> None:
        self.begin()
        assert self.account is not None
        cart = self.store.new_cart(f"Quote {self.rng.randrange(10**6)}")
        if cart is None or not self.fill_cart(cart, self.account, runtime.mix.journeys.quote_lines):
            return
        self.think()
        quote = self.store.request_quote(cart, runtime.key("quote"))
        if quote is None:
            return
        runtime.record("quote", self.login.customer_no if self.login else None, quote)
        if quote.status != "accepted" or not quote.erp_number:
            return
        self.think()
        self.store.quote(quote.erp_number)
        self.think()
        placed = self.store.accept_quote(quote.erp_number, runtime.key("quote-order"))
        if placed is not None:
            runtime.record("quote_order", self.login.customer_no if self.login else None, placed)


class InvoicePayer(Persona):
    """An accounts-payable clerk: open invoices, invoice history search, online payment."""

    weight = 2
    role = "ap_clerk"
    mix_name = "InvoicePayer"

    @task
    def invoice_journey(self) -> None:
        self.begin()
        open_invoices = self.store.invoices(status="open")
        self.think()
        history = self.store.invoices()
        known = open_invoices or history
        if not known:
            return
        number = self.rng.choice(known[:10])
        self.think()
        self.store.invoice(number)
        self.think()
        self.store.invoices(q=number[: max(2, len(number) - 2)])
        if open_invoices and self.rng.random() < runtime.mix.journeys.pay_share:
            self.think()
            placed = self.store.pay(self.rng.choice(open_invoices[:10]), runtime.key("pay"))
            if placed is not None:
                runtime.record("payment", self.login.customer_no if self.login else None, placed)
            else:
                runtime.count("payment_nothing_open")


class OrderTracker(Persona):
    """A buyer who checks where the account's orders are (status, shipments, invoices)."""

    weight = 3
    mix_name = "OrderTracker"

    @task
    def track_journey(self) -> None:
        self.begin()
        orders = self.store.orders()
        for number in self.rng.sample(orders[:10], min(2, len(orders[:10]))):
            self.think()
            self.store.order(number)


class SalesRep(Persona):
    """A sales rep who acts as one of the assigned accounts and orders on its behalf."""

    weight = 1
    role = "rep"
    mix_name = "SalesRep"

    @task
    def on_behalf_journey(self) -> None:
        self.begin()
        assert runtime.data is not None
        accounts = self.store.rep_accounts()
        if not accounts:
            return
        orderable = [a for a in accounts if runtime.data.has_credit_room(a)]
        customer = self.rng.choice(orderable or accounts)
        self.think()
        if not self.store.act_as(customer):
            return
        try:
            account = runtime.data.account(customer)
            if not account.items:
                return
            item = self.lines(account, 1)[0][0]
            self.store.item(item)
            cart = self.store.new_cart(f"Rep {self.rng.randrange(10**6)}")
            if cart is None:
                return
            if not self.fill_cart(cart, account, runtime.mix.journeys.rep_order_lines):
                return
            self.think()
            placed = self.store.checkout(cart, self.delivery_date(), runtime.key("rep-order"))
            if placed is not None:
                runtime.record("order", customer, placed)
        finally:
            self.store.stop_acting()


class ErpIntegrationClient(FastHttpUser):
    """The store's connector as the ERP sees it: delta polling and price calculation,
    straight on the ERP API (``--erpsim-erp-url``: absolute URLs, since Locust gives every
    user class the ``--host`` of the store)."""

    weight = 1
    mix_name = "ErpIntegrationClient"
    ERP = "/api/v2.0"
    CUSTOM = "/api/erpsim/commerce/v1.0"  # the custom API group: calculatePrices

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.rng = random.Random()
        self.headers: dict[str, str] = {}
        self.watermark = ""
        self.sap: SapConnector | None = None
        self.sap_created = 0

    def wait_time(self) -> float:
        if runtime.pacing is not None:
            return runtime.pacing(self)
        settings = runtime.mix.personas.ErpIntegrationClient
        return self.rng.uniform(settings.think_min, settings.think_max)

    @property
    def base(self) -> str:
        return f"{(runtime.erp_url or '').rstrip('/')}{self.ERP}"

    @property
    def custom(self) -> str:
        return f"{(runtime.erp_url or '').rstrip('/')}{self.CUSTOM}"

    def on_start(self) -> None:
        self.headers = {"api-key": runtime.erp_key or ""}
        today = runtime.data.today if runtime.data and runtime.data.today else "2000-01-01"
        self.watermark = f"{today}T00:00:00Z"
        if runtime.pacing is not None:
            gevent.sleep(runtime.pacing.first(self))

    def _delta(self, entity: str) -> None:
        query = urllib.parse.urlencode(
            {
                "$filter": f"lastModifiedDateTime ge {self.watermark}",
                "$orderby": "lastModifiedDateTime",
                "$top": "100",
                "$select": "number,lastModifiedDateTime",
            }
        )
        response = self.client.get(
            f"{self.base}/{entity}?{query}", headers=self.headers, name=f"[erp] /{entity}?delta"
        )
        if response.status_code == 200:
            rows = orjson.loads(response.content).get("value", [])
            if rows:
                self.watermark = max(self.watermark, rows[-1]["lastModifiedDateTime"])

    @task
    def connector_journey(self) -> None:
        runtime.count("sessions_ErpIntegrationClient")
        if runtime.pacing is not None:
            runtime.pacing.started(self)
        if runtime.erp_flavor == "sap":
            self._sap_journey()
            return
        self._delta("items")
        self._delta("salesOrders")
        picked = self._priced_account()
        if picked is None:
            return
        customer, account, count = picked
        lines = [
            {"itemNumber": item, "unitOfMeasureCode": unit, "quantity": quantity}
            for item, unit, quantity in self.rng.sample(account.items, count)
        ]
        self.client.post(
            f"{self.custom}/calculatePrices",
            data=orjson.dumps({"customerNumber": customer, "lines": lines}),
            headers={**self.headers, "Content-Type": "application/json"},
            name="[erp] /calculatePrices",
        )

    def _priced_account(self) -> tuple[str, Any, int] | None:
        """A buyer's account to price and how many of its items (None: nothing to price)."""
        data = runtime.data
        if data is None or not data.buyers.logins:
            return None
        customer = self.rng.choice(data.buyers.logins).customer_no
        if customer is None:
            return None
        account = data.account(customer)
        count = min(runtime.mix.journeys.price_lines, len(account.items))
        return (customer, account, count) if count else None

    def _sap_journey(self) -> None:
        """The same work spoken to SAP's services (`loadtests.sap_connector`)."""
        if self.sap is None:
            today = runtime.data.today if runtime.data and runtime.data.today else "2000-01-01"
            self.sap = SapConnector(
                self.client, runtime.erp_url or "", runtime.erp_key or "", f"{today}T00:00:00Z"
            )
        self.sap.delta("API_PRODUCT_SRV", "A_Product", "Product")
        self.sap.delta("API_SALES_ORDER_SRV", "A_SalesOrder", "SalesOrder")
        picked = self._priced_account()
        if picked is None:
            return
        customer, account, count = picked
        self.sap.simulate(customer, self.rng.sample(account.items, count))
        if runtime.data is not None and runtime.data.has_credit_room(customer):
            lines = self.rng.sample(account.items, min(3, len(account.items)))
            key, sent = runtime.key("sap-order"), time.time()
            created = self.sap.create_order(customer, lines, key, sent)
            if created is not None and created.status_code == 201:
                runtime.count("sap_orders_created")
                number = orjson.loads(created.content)["d"]["SalesOrder"]
                runtime.record_connector_order(customer, key, number)
                if self.sap_created % REPLAY_EVERY == 0:  # as after an answer lost on the way
                    self.sap.replay_order(customer, lines, key, sent, number)
                self.sap_created += 1
            elif created is not None and 400 <= created.status_code < 500:
                runtime.count("sap_orders_refused")  # e.g. the credit limit, as for buyers


PERSONA_CLASSES: dict[str, type[FastHttpUser]] = {
    cls.__name__: cls
    for cls in (
        Reorderer,
        CatalogBrowser,
        QuoteRequester,
        InvoicePayer,
        OrderTracker,
        SalesRep,
        ErpIntegrationClient,
    )
}
