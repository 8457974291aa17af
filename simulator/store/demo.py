"""The demo's store section: the mock ERP and the reference store on loopback ports, a demo
buyer's journey through the JSON API (catalog with the buyer's own prices, cart, checkout
into the ERP), an ERP outage that the outbox rides out, and the adoption rates measured
from the store's own event log. Takes a few seconds on the small dataset."""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.table import Table

from simulator.erp.digest import read_only_uri

__all__ = ["demo_section"]


def demo_section(db: Path, workdir: Path, console: Console) -> None:
    from simulator.erp_server.client import ErpClient  # noqa: PLC0415
    from simulator.erp_server.server import ServerThread, working_database  # noqa: PLC0415
    from simulator.erp_server.settings import ServerSettings  # noqa: PLC0415
    from simulator.store.secret import store_secret  # noqa: PLC0415
    from simulator.store.server import StoreThread  # noqa: PLC0415
    from simulator.store.settings import StoreSettings  # noqa: PLC0415
    from simulator.store.web import page_list  # noqa: PLC0415

    key = secrets.token_urlsafe(12)
    store_db = workdir / "store.sqlite"
    for stale in workdir.glob("store.sqlite*"):
        stale.unlink()
    secret = store_secret(store_db)  # a new random one: the stale .secret went with the db
    erp_settings = ServerSettings(db=db, api_key=key, clock_speed=0, scratch=True)
    with working_database(erp_settings) as working, ServerThread(working) as erp_server:
        settings = StoreSettings(
            db=store_db, erp_url=erp_server.url, erp_key=key, integration="realtime",
            secret=secret, accuracy_sample=1.0,
        )  # fmt: skip
        with (
            StoreThread(settings) as store,
            ErpClient(erp_server.url, api_key=key) as erp,
            requests.Session() as http,
        ):
            console.print(
                f"ERP {erp_server.url}  store {store.url} (realtime integration, "
                f"{store_db}); `erpsim up` runs both for you"
            )
            console.print(page_list(store.url), highlight=False)
            buyer = _with_credit(db, store, secret)
            today = dt.date.fromisoformat(erp.clock()["today"])
            _journey(store.url, http, erp, buyer, today, console)
            _outage(store.url, erp_server.url, key, http, erp, today, console)
            metrics = http.get(store.url + "/api/metrics").json()
            console.print(f"store metrics: {_metrics_line(metrics)}")
        _on_sap(settings, working.db, buyer, console)
    _adoption(store_db, console)


def _on_sap(settings: Any, world: Path, buyer: Any, console: Console) -> None:
    """A second store on the same ERP speaking only SAP's A2X services for master data,
    prices and stock (`--erp-flavor sap`): what it synced, and the buyer's catalog there."""
    from simulator.store.server import StoreThread  # noqa: PLC0415
    from simulator.store.up import customizing_for  # noqa: PLC0415

    store_db = settings.db.with_name("store-sap.sqlite")
    for stale in store_db.parent.glob("store-sap.sqlite*"):
        stale.unlink()
    customizing = customizing_for(world, store_db, None)
    on_sap = settings.model_copy(
        update={"db": store_db, "erp_flavor": "sap", "sap_customizing": customizing}
    )
    with StoreThread(on_sap) as store, requests.Session() as http:
        synced = store.ctx.integration.status()["lastSync"]
        rows = synced["rows"]
        console.print(
            f"the store on SAP ({store.url}, --erp-flavor sap): master data from API_PRODUCT_SRV"
            f" and API_BUSINESS_PARTNER, {rows['items']:,} products, {rows['customers']:,}"
            f" customers, {rows['contacts']:,} contacts in {synced['seconds']:.1f} s; category"
            f" texts, sales employees and listings from {customizing.name}"
        )
        login = http.post(
            store.url + "/api/login", json={"email": buyer.email, "password": buyer.password}
        )
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        tree = http.get(store.url + "/api/categories").json()["categories"]
        page = http.get(store.url + "/api/items", params={"pageSize": 5}).json()
        priced = next((i for i in page["items"] if i.get("offer")), None)
        shown = (
            f"{priced['number']} at {priced['offer']['netUnitPrice']:,.2f} by"
            " A_SalesOrderSimulation"
            if priced
            else "no priced item"
        )
        top = f"'{tree[0]['displayName']}' (node {tree[0]['code']})" if tree else "no category"
        console.print(
            f"buyer {buyer.email} there: {page['total']} items, first category {top}, {shown}"
        )


def _with_credit(db: Path, store: Any, secret: str) -> Any:
    """A demo buyer whose account has room under its credit limit (many real accounts are
    over it: the ERP would refuse their orders, which is right but not the demo's story)."""
    from simulator.erp.credit import credit_headroom  # noqa: PLC0415
    from simulator.store.accounts import orderable_demo_login  # noqa: PLC0415

    conn = sqlite3.connect(read_only_uri(db), uri=True)
    try:
        headroom = credit_headroom(conn)
    finally:
        conn.close()
    return orderable_demo_login(store.ctx.conn(), secret, "buyer", headroom, need=20_000)


def _journey(
    url: str, http: requests.Session, erp: Any, buyer: Any, today: dt.date, console: Console
) -> None:
    login = http.post(url + "/api/login", json={"email": buyer.email, "password": buyer.password})
    login.raise_for_status()
    http.headers["Authorization"] = f"Bearer {login.json()['token']}"
    console.print(f"buyer {buyer.name} ({buyer.email}) of {buyer.customer_no} logged in")
    page = http.get(url + "/api/items", params={"pageSize": 5}).json()
    table = Table(
        title=f"catalog: {page['total']} items in this account's assortment", title_justify="left"
    )
    for column in ("item", "name", "net price", "quantity breaks", "in stock"):
        table.add_column(column, justify="left" if column in ("item", "name") else "right")
    priced = [item for item in page["items"] if item.get("offer")]
    for item in priced:
        offer = item["offer"]
        breaks = ", ".join(
            f"{b['minimumQuantity']:g}+: {b['netUnitPrice']:,.2f}" for b in offer["breaks"]
        )
        table.add_row(
            item["number"],
            item["displayName"][:38],
            f"{offer['netUnitPrice']:,.2f}",
            breaks,
            f"{offer['available']:,.0f}",
        )
    console.print(table)
    cart = http.get(url + "/api/carts").json()["carts"][0]
    for item in priced[:2]:
        http.put(
            url + f"/api/carts/{cart['id']}/lines",
            json={"itemNumber": item["number"], "quantity": 3},
        ).raise_for_status()
    checkout = http.post(
        url + f"/api/carts/{cart['id']}/checkout",
        json={"requestedDeliveryDate": (today + dt.timedelta(days=3)).isoformat()},
    ).json()
    number = checkout.get("erpNumber")
    order = next(erp.iter("salesOrders", filter=f"number eq '{number}'"), None) if number else None
    where = f"in the ERP as {number} (channel {order['channel']})" if order else "pending"
    console.print(f"checkout of 2 lines x 3: {checkout['status']}, {where}")
    history = http.get(url + "/api/orders").json()
    channels: dict[str, int] = {}
    for row in history["orders"]:
        channels[row.get("channel", "?")] = channels.get(row.get("channel", "?"), 0) + 1
    console.print(
        "order history (page 1) mixes channels: "
        + ", ".join(f"{n} {c}" for c, n in sorted(channels.items()))
    )


def _outage(
    url: str,
    erp_url: str,
    key: str,
    http: requests.Session,
    erp: Any,
    today: dt.date,
    console: Console,
) -> None:
    """Switch the ERP off (503s) through its fault endpoint, order, switch it on again."""
    admin = {"api-key": key}
    outage = {"outages": [{"after": "0s", "duration": "600s", "mode": "503"}]}
    requests.put(erp_url + "/_admin/faults", json=outage, headers=admin, timeout=5)
    cart = http.post(url + "/api/carts", json={"name": "during the outage"}).json()
    item = http.get(url + "/api/items", params={"pageSize": 1}).json()["items"][0]["number"]
    http.put(url + f"/api/carts/{cart['id']}/lines", json={"itemNumber": item, "quantity": 1})
    checkout = http.post(
        url + f"/api/carts/{cart['id']}/checkout",
        json={"requestedDeliveryDate": (today + dt.timedelta(days=5)).isoformat()},
    ).json()
    console.print(f"ERP down (503): checkout answered {checkout.get('status')!r}")
    requests.put(erp_url + "/_admin/faults", json={}, headers=admin, timeout=5)
    document = checkout.get("document")
    status = checkout.get("status")
    deadline = time.monotonic() + 30
    while status == "pending" and document and time.monotonic() < deadline:
        time.sleep(0.5)
        status = http.get(url + f"/api/documents/{document}").json().get("status")
    found = http.get(url + f"/api/documents/{document}").json() if document else {}
    number = found.get("erpNumber")
    copies = len(list(erp.iter("salesOrders", filter=f"number eq '{number}'"))) if number else 0
    console.print(
        f"ERP back: the outbox delivered it -> {status}, {number}, {copies} copy in the ERP"
    )


def _metrics_line(metrics: dict[str, Any]) -> str:
    """Requests served, their worst p95, ERP calls and the measured accuracy."""
    rows = metrics.get("requests", [])
    count = sum(row.get("count", 0) for row in rows)
    worst = max((row.get("p95", 0.0) for row in rows), default=0.0)
    erp_calls = sum(kind.get("count", 0) for kind in metrics.get("erp", {}).values())
    parts = [f"{count} requests (worst route p95 {worst * 1000:.0f} ms)", f"{erp_calls} ERP calls"]
    for name, value in metrics.get("accuracy", {}).items():
        if value.get("ratio") is not None:
            parts.append(f"{name} accuracy {value['ratio']:.1%} of {value['samples']} samples")
    return ", ".join(parts)


def _adoption(store_db: Path, console: Console) -> None:
    from simulator.store.adoption_metrics import measure  # noqa: PLC0415

    conn = sqlite3.connect(read_only_uri(store_db), uri=True)
    try:
        result = measure(conn, period="day")
    finally:
        conn.close()
    rates = ", ".join(f"{name} {result.rates[name][-1]:.1%}" for name in ("TR", "TAU", "KAAR"))
    console.print(
        f"adoption measured from the store's event log (erpsim adoption-metrics): {rates} "
        f"of {int(result.counts['buyers_invited'][-1])} invited buyers"
    )
