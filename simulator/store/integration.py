"""Where the store's prices and stock come from: the ERP per request, or local copies.

Both modes answer the same question, `offers(customer, [(item, unit, quantity)])` → one
`Offer` per item (net price, quantity breaks, stock at the account's shipping location):

- `RealtimeIntegration` asks the ERP once per call (``POST /calculatePrices`` with every
  line), with a short timeout and no retries (a buyer is waiting), behind a circuit
  breaker. When the ERP fails or the breaker is open it serves the last good offer of each
  (customer, item, unit, quantity) if younger than `stale_ttl`, marked ``stale`` with
  source ``cache``; the answer's `Offers.stale` tells the catalog to log ``offline_fallback``.
- `BatchIntegration` prices locally with the ERP's own engine (`resolve_price`,
  `price_with_breaks` over `SqlitePriceData` on the mirrored tables) at the ERP's today as of
  the last sync, and reads stock from the mirrored ``item_stock``. Between two syncs the
  inputs cannot change, so computed offers are memoised until the next sync.

Both run a background loop that delta-syncs the mirror every `sync_interval` (batch: every
mirrored table; realtime: master data only) and an `AccuracySampler`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import requests

from simulator.erp.pricing import (
    MemoPriceData,
    PriceData,
    PriceRequest,
    PricingError,
    SqlitePriceData,
    price_with_breaks,
)
from simulator.erp_server.client import ErpApiError, ErpClient
from simulator.store import sap_customizing, sap_prices
from simulator.store.accuracy import AccuracySampler
from simulator.store.breaker import CircuitBreaker
from simulator.store.metrics import Metrics
from simulator.store.sap_client import SapClient
from simulator.store.sap_sync import SapSynchronizer
from simulator.store.sync import MASTER_TABLES, MIRROR_TABLES, Synchronizer

__all__ = [
    "BatchIntegration",
    "Integration",
    "Offer",
    "Offers",
    "RealtimeIntegration",
    "make_integration",
]

log = logging.getLogger("erpsim.store.integration")
Wanted = Sequence[tuple[str, str, float]]
Client = TypeVar("Client", ErpClient, SapClient)
MAX_LINES = 500  # calculatePrices' limit per call
CACHE_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class Offer:
    """What the store shows for one item: price, breaks, stock, and how fresh it is."""

    item_no: str
    unit_of_measure_code: str  # the unit priced (the item's base unit when '' was asked)
    quantity: float
    unit_price: float
    discount_percent: float
    net_unit_price: float
    currency_code: str  # '' = LCY
    breaks: tuple[tuple[float, float], ...]  # (minimum quantity, net unit price) ascending
    available: float  # stock at the account's shipping location, in the base unit
    stale: bool  # shown from cache because the ERP did not answer
    source: str  # 'erp' | 'cache' | 'local'
    error: str | None = None  # e.g. 'item_blocked': not orderable


class Offers(dict[str, Offer]):
    """Offers by item number; `stale` is True when the ERP did not answer this call (some
    offers may then be cached ones, marked stale, and some missing)."""

    stale: bool = False


class Integration(Protocol):
    mode: str
    synchronizer: Synchronizer | SapSynchronizer

    def offers(self, customer_no: str, wanted: Wanted) -> Offers: ...

    def credit(self, customer_no: str) -> dict[str, Any] | None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


class _Base:
    """The sync loop, the accuracy sampler, and ERP clients of their own."""

    mode = ""
    sync_tables: tuple[str, ...] = MIRROR_TABLES

    def __init__(self, ctx: Any) -> None:
        self.settings = ctx.settings
        self.metrics: Metrics = ctx.metrics if ctx.metrics is not None else Metrics()
        self._connect: Callable[[], Any] = ctx.conn
        self._db_path = ctx.db_path
        self._clients: list[ErpClient | SapClient] = []
        self._clients_lock = threading.Lock()
        self.synchronizer: Synchronizer | SapSynchronizer
        if self.settings.erp_flavor == "sap":  # master data from SAP's A2X services
            path = self.settings.sap_customizing
            self.synchronizer = SapSynchronizer(
                self._new_connection,
                self._sap_client(timeout=30.0, max_attempts=4),
                customizing=None if path is None else sap_customizing.load(path),
                on_call=self.metrics.record_erp,
            )
        else:
            self.synchronizer = Synchronizer(
                self._new_connection,
                self._client(timeout=30.0, max_attempts=4),
                tables=self.sync_tables,
                on_call=self.metrics.record_erp,
            )
        self.sampler = AccuracySampler(
            mode=self.mode,
            share=self.settings.accuracy_sample,
            seed=self.settings.seed,
            erp_factory=lambda: self._client(timeout=5.0, max_attempts=2),
            connect=self._new_connection,
            metrics=self.metrics,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._credit_clients = threading.local()
        self.sync_errors = 0
        self.metrics.gauge("integration", self.status)

    def _new_connection(self) -> Any:
        from simulator.store import db  # noqa: PLC0415 - db imports sync, sync is ours

        return db.connect(self._db_path)

    def _client(self, *, timeout: float, max_attempts: int) -> ErpClient:
        return self._new(ErpClient, timeout=timeout, max_attempts=max_attempts)

    def _sap_client(self, *, timeout: float, max_attempts: int) -> SapClient:
        return self._new(SapClient, timeout=timeout, max_attempts=max_attempts)

    def _new(self, kind: type[Client], *, timeout: float, max_attempts: int) -> Client:
        """A client of the ERP (BC's API or SAP's services), closed by `stop`."""
        client = kind(
            self.settings.erp_url,
            api_key=self.settings.erp_key,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=0.1,
        )
        with self._clients_lock:
            self._clients.append(client)
        return client

    def credit(self, customer_no: str) -> dict[str, Any] | None:
        """The account's credit limit (local currency) and the room under it before the ERP
        refuses an order (the customer's currency; None: no limit), asked of the ERP now
        (credit is not mirrored: it moves with every order and payment) with the buyer's
        short timeout; None when the ERP did not answer."""
        client: ErpClient | None = getattr(self._credit_clients, "erp", None)
        if client is None:
            client = self._client(timeout=self.settings.erp_timeout, max_attempts=1)
            self._credit_clients.erp = client
        number = customer_no.replace("'", "''")
        started = time.monotonic()
        try:
            rows = list(
                client.iter(
                    "customerFinancialDetails",
                    filter=f"number eq '{number}'",
                    select="creditLimit,creditHeadroom",
                )
            )
        except (requests.RequestException, ErpApiError, ValueError, KeyError) as exc:
            self.metrics.record_erp("credit", time.monotonic() - started, ok=False)
            log.info("credit of %s: the ERP did not answer (%s)", customer_no, exc)
            return None
        self.metrics.record_erp("credit", time.monotonic() - started, ok=True)
        if not rows:
            return None
        return {"limit": rows[0].get("creditLimit"), "headroom": rows[0].get("creditHeadroom")}

    def start(self) -> None:
        self.sampler.start()
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="store-sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
        self.sampler.stop()
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.sync_interval):
            self.sync()

    def sync(self) -> dict[str, int] | None:
        """One delta sync now (the loop's step; tests call it too)."""
        try:
            rows = self.synchronizer.run_once()
        except (requests.RequestException, ErpApiError) as exc:
            self.sync_errors += 1
            log.warning("sync failed: %s", exc)
            return None
        if rows.get("contacts") or rows.get("salespeople"):
            self._provision()
        return rows

    def _provision(self) -> None:
        """New contacts and salespeople from the ERP become invited users (idempotent)."""
        from simulator.store.accounts import provision  # noqa: PLC0415 - accounts needs db

        conn = self._new_connection()
        try:
            provision(conn, self.settings)
        finally:
            conn.close()

    def status(self) -> dict[str, Any]:
        last = self.synchronizer.last
        return {
            "mode": self.mode,
            "erpFlavor": self.settings.erp_flavor,
            "syncInterval": self.settings.sync_interval,
            "lastSync": None
            if last is None
            else {
                "clock": last.clock,
                "seconds": round(last.seconds, 3),
                "rows": last.rows,
                "finishedAt": last.finished_at,
            },
            "syncErrors": self.sync_errors,
            "accuracy": {
                "checked": self.sampler.checked,
                "dropped": self.sampler.dropped,
                "lagSeconds": self.sampler.lag.summary(),
            },
        }


class RealtimeIntegration(_Base):
    """Prices and stock from the ERP per call, breaker and stale cache in front."""

    mode = "realtime"
    sync_tables = MASTER_TABLES

    def __init__(self, ctx: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ctx)
        self.breaker = CircuitBreaker(
            self.settings.breaker_failures, self.settings.breaker_reset, clock=clock
        )
        self._clock = clock
        self._local = threading.local()
        self._cache: OrderedDict[tuple[str, str, str, float], tuple[float, Offer]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.metrics.gauge("breaker", self.breaker.snapshot)

    def _erp(self) -> ErpClient:
        """This thread's client: a buyer waits, so one attempt with the short timeout."""
        client: ErpClient | None = getattr(self._local, "erp", None)
        if client is None:
            client = self._client(timeout=self.settings.erp_timeout, max_attempts=1)
            self._local.erp = client
        return client

    def _sap_prices(self, customer_no: str, chunk: Wanted) -> list[dict[str, Any]]:
        """The chunk priced by an SAP order simulation, with stock at the account's plant
        (this thread's SAP session: one attempt, the short timeout)."""
        sap: SapClient | None = getattr(self._local, "sap", None)
        if sap is None:
            sap = self._sap_client(timeout=self.settings.erp_timeout, max_attempts=1)
            self._local.sap = sap
        # the sales area's SupplyingPlant, as the SAP sync mirrored it
        found = (
            self._connect()
            .execute("SELECT location_code FROM customers WHERE no = ?", (customer_no,))
            .fetchone()
        )
        plant = str(found[0]) if found and found[0] else None
        return sap_prices.price_lines(sap, customer_no, chunk, plant)

    def stop(self) -> None:
        super().stop()
        self._local = threading.local()

    def offers(self, customer_no: str, wanted: Wanted) -> Offers:
        if not wanted:
            return Offers()
        answer = self._ask(customer_no, wanted) if self.breaker.allow() else None
        if answer is None:
            result = self._from_cache(customer_no, wanted)
            result.stale = True
            self.metrics.record_offers(len(wanted), stale=True, cached=len(result))
        else:
            result = answer
            self.metrics.record_offers(len(wanted), stale=False)
        self.sampler.observe(customer_no, result.values())
        return result

    def _ask(self, customer_no: str, wanted: Wanted) -> Offers | None:
        """One ERP call (per 500 lines); None when the ERP failed (the breaker hears it)."""
        result = Offers()
        for start in range(0, len(wanted), MAX_LINES):
            chunk = wanted[start : start + MAX_LINES]
            body = {
                "customerNumber": customer_no,
                "lines": [
                    {"itemNumber": item, "unitOfMeasureCode": unit, "quantity": quantity}
                    for item, unit, quantity in chunk
                ],
            }
            started = time.perf_counter()
            try:
                if self.settings.erp_flavor == "sap":
                    value = self._sap_prices(customer_no, chunk)
                else:
                    response = self._erp().request("POST", "calculatePrices", json=body)
                    value = response.json()["value"]
            except ErpApiError as exc:
                failed = exc.status >= 500 or exc.status == 429
                self.metrics.record_erp("prices", time.perf_counter() - started, not failed)
                if failed:
                    self.breaker.failure()
                    return None
                self.breaker.success()  # the ERP answered: e.g. a blocked customer
                return result
            except (requests.RequestException, ValueError, KeyError):
                self.metrics.record_erp("prices", time.perf_counter() - started, False)
                self.breaker.failure()
                return None
            self.metrics.record_erp("prices", time.perf_counter() - started, True)
            self.breaker.success()
            now = self._clock()
            with self._cache_lock:
                for (item, unit, quantity), line in zip(chunk, value, strict=False):
                    offer = _offer_from_erp(line)
                    result[offer.item_no] = offer
                    key = (customer_no, item, unit, quantity)
                    self._cache[key] = (now, offer)
                    self._cache.move_to_end(key)
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return result

    def _from_cache(self, customer_no: str, wanted: Wanted) -> Offers:
        oldest = self._clock() - self.settings.stale_ttl
        result = Offers()
        with self._cache_lock:
            for item, unit, quantity in wanted:
                found = self._cache.get((customer_no, item, unit, quantity))
                if found is not None and found[0] >= oldest:
                    result[item] = dataclasses.replace(found[1], stale=True, source="cache")
        return result

    def status(self) -> dict[str, Any]:
        with self._cache_lock:
            cached = len(self._cache)
        return {**super().status(), "breaker": self.breaker.snapshot(), "cachedOffers": cached}


def _offer_from_erp(line: dict[str, Any]) -> Offer:
    error = line.get("error")
    if error:
        return Offer(
            item_no=line["itemNumber"],
            unit_of_measure_code=line.get("unitOfMeasureCode") or "",
            quantity=line["quantity"],
            unit_price=0.0,
            discount_percent=0.0,
            net_unit_price=0.0,
            currency_code="",
            breaks=(),
            available=line.get("availableQuantity") or 0.0,
            stale=False,
            source="erp",
            error=str(error.get("code", "error")),
        )
    return Offer(
        item_no=line["itemNumber"],
        unit_of_measure_code=line["unitOfMeasureCode"],
        quantity=line["quantity"],
        unit_price=line["unitPrice"],
        discount_percent=line["discountPercent"],
        net_unit_price=line["netUnitPrice"],
        currency_code=line["currencyCode"],
        breaks=tuple((b["minimumQuantity"], b["netUnitPrice"]) for b in line["quantityBreaks"]),
        available=line["availableQuantity"],
        stale=False,
        source="erp",
    )


class BatchIntegration(_Base):
    """Local pricing and stock over the mirror; offers memoised until the next sync."""

    mode = "batch"
    sync_tables = MIRROR_TABLES

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._memo: OrderedDict[tuple[str, str, str, float], tuple[int, Offer | None]] = (
            OrderedDict()
        )
        self._memo_lock = threading.Lock()
        self._memo_generation = -1

    def today(self) -> dt.date:
        """The ERP's today as of the last sync (batch prices are that old by design)."""
        today = self.synchronizer.today
        if today is None:
            erp = self.synchronizer.erp
            assert isinstance(erp, ErpClient)  # batch is Business Central's (StoreSettings)
            clock = erp.clock()
            today = dt.date.fromisoformat(clock["today"])
            self.synchronizer.today = today
        return today

    def offers(self, customer_no: str, wanted: Wanted) -> Offers:
        result = Offers()
        if not wanted:
            return result
        with self._memo_lock:
            generation = self.synchronizer.generation
            if generation != self._memo_generation:  # a sync ran: forget older offers
                self._memo.clear()
                self._memo_generation = generation
            missing = []
            for line in wanted:
                found = self._memo.get((customer_no, *line))
                if found is not None and found[0] == generation:
                    if found[1] is not None:
                        result[found[1].item_no] = found[1]
                else:
                    missing.append(line)
        if missing:
            computed = self._compute(customer_no, missing)
            with self._memo_lock:
                if generation == self.synchronizer.generation:
                    for line, offer in zip(missing, computed, strict=True):
                        key = (customer_no, *line)
                        self._memo[key] = (generation, offer)
                        self._memo.move_to_end(key)
                    while len(self._memo) > CACHE_SIZE:
                        self._memo.popitem(last=False)
            for offer in computed:
                if offer is not None:
                    result[offer.item_no] = offer
        self.metrics.record_offers(len(wanted), stale=False, cached=len(wanted) - len(missing))
        self.sampler.observe(customer_no, result.values())
        return result

    def _compute(self, customer_no: str, wanted: Wanted) -> list[Offer | None]:
        conn = self._connect()
        cursor = conn.cursor()
        cursor.row_factory = None
        found = cursor.execute(
            "SELECT location_code FROM customers WHERE no = ?", (customer_no,)
        ).fetchone()
        if found is None:
            return [None] * len(wanted)
        items = sorted({item for item, _, _ in wanted})
        marks = ", ".join("?" * len(items))
        stock = dict(
            cursor.execute(
                "SELECT item_no, inventory FROM item_stock"
                f" WHERE location_code = ? AND item_no IN ({marks})",
                (found[0], *items),
            ).fetchall()
        )
        data = MemoPriceData(SqlitePriceData(conn))  # one page's lookups, asked once
        on = self.today()
        return [
            _local_offer(data, customer_no, item, unit, quantity, on, stock.get(item, 0.0))
            for item, unit, quantity in wanted
        ]


def _local_offer(
    data: PriceData, customer_no: str, item: str, unit: str, quantity: float, on: dt.date,
    available: float,
) -> Offer | None:  # fmt: skip
    request = PriceRequest(customer_no, item, quantity, on, unit)
    try:
        result, breaks = price_with_breaks(data, request)
    except PricingError as exc:
        if exc.code in ("customer_not_found", "customer_blocked", "item_not_found"):
            return None
        return Offer(item, unit, quantity, 0.0, 0.0, 0.0, "", (), available, False, "local",
                     exc.code)  # fmt: skip
    return Offer(
        item_no=item,
        unit_of_measure_code=result.unit_of_measure_code,
        quantity=quantity,
        unit_price=result.unit_price,
        discount_percent=result.line_discount_pct,
        net_unit_price=result.net_unit_price,
        currency_code=result.currency_code,
        breaks=tuple((q, r.net_unit_price) for q, r in breaks),
        available=available,
        stale=False,
        source="local",
    )


def make_integration(ctx: Any) -> RealtimeIntegration | BatchIntegration:
    """The integration for `ctx.settings.integration`; also sets `ctx.metrics` (if unset)
    and `ctx.synchronizer` (the store's startup sync runs it)."""
    if ctx.metrics is None:
        ctx.metrics = Metrics()
    integration: RealtimeIntegration | BatchIntegration
    if ctx.settings.integration == "realtime":
        integration = RealtimeIntegration(ctx)
    else:
        integration = BatchIntegration(ctx)
    ctx.synchronizer = integration.synchronizer
    return integration
