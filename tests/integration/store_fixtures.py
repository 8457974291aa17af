"""Fixtures for the store's integration tests: the real mock ERP and the real store on
loopback ports.

Use them from a test module with::

    pytest_plugins = ["tests.integration.store_fixtures"]

and request them as fixtures. Do not import this module at runtime from a test module (it
must be imported by pytest first, for assertion rewriting, else pytest errors out); import
types for annotations under ``if TYPE_CHECKING:``. The fixtures:

- ``erp_server`` (module scope): a `ServerThread` over a private copy of the ``history_run``
  dataset, clock frozen (``clock_speed=0``), API key `ERP_KEY`; ``erp_client`` an
  `ErpClient` to it.
- ``store_factory(mode="batch"|"realtime", **overrides)``: a context manager giving a
  started `StoreThread` (fresh store database each time) against ``erp_server``; any
  `StoreSettings` field can be overridden (tests default: ``accuracy_sample=0``; with
  ``erp_flavor="sap"`` the world's exported customizing unless ``sap_customizing`` is given).
- ``store`` (module scope): one batch-mode store for read-mostly tests.
- ``login``: the function ``login(store, email, password) -> StoreSession``, a
  `requests.Session` with the bearer token set (``.csrf_token``, ``.user`` from the login
  answer; relative URLs such as ``"/api/items"`` go to the store); raises if refused.
- ``demo_users``: the function ``demo_users(store) -> DemoUsers``: registered buyers of two
  accounts (A, and B whose rep is another), a colleague of A if any, an AP clerk, the rep
  of account A, an invited buyer (its `password` is the invitation token).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.erp.generate import GenerationSummary
from simulator.erp_server.client import ErpClient
from simulator.erp_server.server import ServerThread
from simulator.erp_server.settings import ServerSettings
from simulator.store.accounts import demo_password, invitation_token
from simulator.store.server import StoreThread
from simulator.store.settings import StoreSettings
from simulator.store.up import customizing_for
from tests.integration.polling import poll

__all__ = [
    "ERP_KEY",
    "DemoUser",
    "DemoUsers",
    "demo_users",
    "erp_client",
    "erp_server",
    "login",
    "login_session",
    "pick_demo_users",
    "store",
    "store_factory",
]

ERP_KEY = "store-test-key"
SECRET = "store-test-secret"

StoreFactory = Callable[..., contextlib.AbstractContextManager[StoreThread]]


@pytest.fixture(scope="module")
def erp_server(
    tmp_path_factory: pytest.TempPathFactory, history_run: GenerationSummary
) -> Iterator[ServerThread]:
    """The mock ERP over a private copy of the history dataset, clock frozen."""
    copy = tmp_path_factory.mktemp("store-erp") / "erp.sqlite"
    shutil.copyfile(history_run.path, copy)
    settings = ServerSettings(db=copy, api_key=ERP_KEY, clock_speed=0.0)
    with ServerThread(settings) as server:
        yield server


@pytest.fixture(scope="module")
def erp_client(erp_server: ServerThread) -> Iterator[ErpClient]:
    with ErpClient(erp_server.url, api_key=ERP_KEY) as client:
        yield client


def store_settings(db: Path, erp_url: str, mode: str = "batch", **overrides: Any) -> StoreSettings:
    """Test defaults: no accuracy sampling (extra ERP calls), the test secret."""
    values: dict[str, Any] = {
        "db": db,
        "erp_url": erp_url,
        "erp_key": ERP_KEY,
        "integration": mode,
        "secret": SECRET,
        "accuracy_sample": 0.0,
    }
    values.update(overrides)
    return StoreSettings(**values)


@pytest.fixture(scope="module")
def store_factory(
    tmp_path_factory: pytest.TempPathFactory, erp_server: ServerThread
) -> StoreFactory:
    """``with store_factory(mode="realtime", page_size=10) as store: ...``"""

    @contextlib.contextmanager
    def factory(mode: str = "batch", **overrides: Any) -> Iterator[StoreThread]:
        db = tmp_path_factory.mktemp("store") / "store.sqlite"
        if overrides.get("erp_flavor") == "sap" and "sap_customizing" not in overrides:
            # the world's customizing, as `erpsim up --erp-flavor sap` gives the store
            overrides["sap_customizing"] = customizing_for(erp_server.settings.db, db, None)
        url = overrides.pop("erp_url", erp_server.url)  # e.g. a proxy in front of it
        settings = store_settings(db, url, mode, **overrides)
        with StoreThread(settings) as thread:
            yield thread

    return factory


@pytest.fixture(scope="module")
def store(store_factory: StoreFactory) -> Iterator[StoreThread]:
    """One batch-mode store for the module."""
    with store_factory("batch") as thread:
        yield thread


class StoreSession(requests.Session):
    """A logged-in API client: bearer token set, csrf token and user at hand."""

    csrf_token: str = ""
    user: dict[str, Any] = {}  # noqa: RUF012 - replaced per instance by login()
    base_url: str = ""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        return super().request(method, url, *args, **kwargs)


def login_session(store: StoreThread, email: str, password: str) -> StoreSession:
    """A session logged in through ``POST /api/login`` (raises AssertionError if refused).
    Relative URLs (``session.get("/api/items")``) go to the store."""
    session = StoreSession()
    session.base_url = store.url
    response = session.post("/api/login", json={"email": email, "password": password})
    if response.status_code != 200:
        session.close()
        raise AssertionError(f"login of {email} failed: {response.status_code} {response.text}")
    body = response.json()
    session.headers["Authorization"] = f"Bearer {body['token']}"
    session.csrf_token = body["csrfToken"]
    session.user = body["user"]
    session.cookies.clear()  # an API client: the bearer token alone
    return session


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    password: str
    role: str
    customer_no: str | None
    contact_no: str | None
    salesperson_code: str | None


@dataclass(frozen=True, slots=True)
class DemoUsers:
    buyer: DemoUser  # account A
    colleague: DemoUser | None  # another registered buyer of account A, if it has one
    other_buyer: DemoUser  # account B (not assigned to `rep`)
    ap_clerk: DemoUser  # a registered AP clerk (of account A if it has one)
    rep: DemoUser  # a rep assigned to account A
    invited: DemoUser  # an invited buyer; `password` is its invitation token


def pick_demo_users(store: StoreThread) -> DemoUsers:
    """Picks users deterministically from the store's provisioned users."""
    secret = store.settings.secret
    conn = sqlite3.connect(store.settings.db)
    try:

        def user(where: str, *params: Any) -> DemoUser | None:
            row = conn.execute(
                "SELECT u.email, u.role, u.customer_no, u.contact_no, u.salesperson_code "
                f"FROM users u WHERE {where} ORDER BY u.id LIMIT 1",
                params,
            ).fetchone()
            if row is None:
                return None
            return DemoUser(row[0], demo_password(secret, row[0]), *row[1:])

        registered = "u.state = 'registered' AND u.password_hash = 'demo'"
        # Account A: a customer with a rep and at least one registered buyer.
        buyer = user(
            f"{registered} AND u.role = 'buyer' AND u.customer_no IN "
            "(SELECT no FROM customers WHERE salesperson_code <> '' AND blocked = '')"
        )
        assert buyer is not None, "no registered buyer with a rep"
        assert buyer.customer_no is not None
        (salesperson,) = conn.execute(
            "SELECT salesperson_code FROM customers WHERE no = ?", (buyer.customer_no,)
        ).fetchone()
        colleague = user(
            f"{registered} AND u.role = 'buyer' AND u.customer_no = ? AND u.email <> ?",
            buyer.customer_no,
            buyer.email,
        )
        other = user(
            f"{registered} AND u.role = 'buyer' AND u.customer_no IN "
            "(SELECT no FROM customers WHERE salesperson_code <> ? AND blocked = '')",
            salesperson,
        )
        clerk = user(
            f"{registered} AND u.role = 'ap_clerk' AND u.customer_no = ?", buyer.customer_no
        ) or user(f"{registered} AND u.role = 'ap_clerk'")
        rep = user("u.role = 'rep' AND u.salesperson_code = ?", salesperson)
        invited = user("u.state = 'invited' AND u.role = 'buyer'")
        assert other is not None, "no registered buyer of another rep's account"
        assert clerk is not None, "no registered AP clerk"
        assert rep is not None, "no rep user"
        assert invited is not None, "no invited buyer"
        invited = DemoUser(
            invited.email,
            invitation_token(secret, invited.email),
            invited.role,
            invited.customer_no,
            invited.contact_no,
            invited.salesperson_code,
        )
        return DemoUsers(buyer, colleague, other, clerk, rep, invited)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def login() -> Callable[[StoreThread, str, str], StoreSession]:
    return login_session


@pytest.fixture(scope="session")
def demo_users() -> Callable[[StoreThread], DemoUsers]:
    return pick_demo_users


@pytest.fixture
def faults(erp_server: ServerThread) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Set the ERP's faults (`PUT /_admin/faults`); afterwards every fault is switched off
    again, once a connection-refusing outage window has ended by itself."""
    key = erp_server.settings.api_key

    def put(settings: dict[str, Any]) -> None:
        response = requests.put(
            f"{erp_server.url}/_admin/faults", json=settings, headers={"api-key": key}
        )
        assert response.status_code == 200, response.text

    yield put
    poll(lambda: _reachable(erp_server), "a refuse window to end", timeout=60.0)
    put({})


def _reachable(server: ServerThread) -> bool:
    try:
        return requests.get(f"{server.url}/health", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
