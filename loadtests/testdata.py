"""Real test data from the dataset: who logs in, what each account may order, how much.

- **Logins**: registered buyers, AP clerks and sales reps with their demo passwords
  (`simulator.store.accounts.demo_password` under the store's secret). Read from the store's
  database when it is at hand (``--erpsim-store-db``), else derived from the ERP's contacts
  the way the store provisions them (`is_initially_registered` with the same share).
  Buyers of blocked accounts are left out (they cannot order). Buyers whose account has
  credit room for a cart (``CREDIT_ROOM``, `simulator.erp.credit.credit_headroom`) come
  first in the shuffled pool, as a real order mix is mostly accepted; those over their
  limit are taken only when the others are (the ERP refuses their orders: counted refusals).
  A SalesRep orders for one of its accounts with room, when it has one.
- **Distinct logins, no collisions**: each virtual user takes the next login of its pool.
  Pools are shuffled once with the seed (the same order in every process), and worker ``w``
  of ``n`` takes positions ``w, w + n, w + 2n, ...``, so no two users of the whole run share
  a login until a pool is exhausted; then it wraps around and the reuse is counted.
- **Accounts**: the items of the account's assortment (not blocked), those it bought before
  first, each with the account's median quantity of it (scaled by the mix's
  ``quantity_factor``), and its past orders (newest first), read when a user starts.

Plain sqlite3, no Locust; the ERP dataset is opened read-only.
"""

from __future__ import annotations

import math
import random
import sqlite3
import statistics
import threading
from dataclasses import dataclass, field
from pathlib import Path

from simulator.errors import UserError

__all__ = ["Account", "Login", "LoginPool", "TestData", "load_testdata"]

MAX_ITEMS = 200  # items kept per account (bought ones first)
MAX_ORDERS = 50
CREDIT_ROOM = 5_000.0  # local currency an account needs for a typical cart


@dataclass(frozen=True, slots=True)
class Login:
    email: str
    password: str
    role: str  # 'buyer', 'ap_clerk', 'rep'
    customer_no: str | None
    salesperson_code: str | None


@dataclass(frozen=True, slots=True)
class Account:
    customer_no: str
    items: tuple[tuple[str, str, float], ...]  # (item no, unit '' = base, quantity)
    orders: tuple[str, ...]  # past order numbers, newest first
    search_terms: tuple[str, ...]


class LoginPool:
    """Logins of one role, handed out so that users never share one while any is left."""

    def __init__(self, role: str, logins: list[Login]) -> None:
        self.role = role
        self.logins = logins
        self.taken = 0
        self.reused = 0
        self._lock = threading.Lock()

    def take(self, worker: int, workers: int) -> Login:
        if not self.logins:
            raise UserError(f"the dataset has no registered {self.role} to log in with")
        with self._lock:
            position = worker + self.taken * workers
            self.taken += 1
        if position >= len(self.logins):
            self.reused += 1
        return self.logins[position % len(self.logins)]


@dataclass
class TestData:
    erp_db: Path
    buyers: LoginPool
    clerks: LoginPool
    reps: LoginPool
    quantity_factor: float = 1.0
    today: str | None = None
    buyers_with_credit_room: int = 0
    headroom: dict[str, float] = field(default_factory=dict)  # customer -> credit room
    _accounts: dict[str, Account] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pool(self, role: str) -> LoginPool:
        return {"buyer": self.buyers, "ap_clerk": self.clerks, "rep": self.reps}[role]

    def account(self, customer_no: str) -> Account:
        with self._lock:
            known = self._accounts.get(customer_no)
        if known is not None:
            return known
        account = read_account(self.erp_db, customer_no, self.quantity_factor)
        with self._lock:
            self._accounts[customer_no] = account
        return account

    def has_credit_room(self, customer_no: str) -> bool:
        """Room under the account's credit limit for a typical cart (``CREDIT_ROOM``)."""
        return self.headroom.get(customer_no, -math.inf) >= CREDIT_ROOM

    def rep_accounts(self, salesperson_code: str) -> list[str]:
        conn = _open(self.erp_db)
        try:
            rows = conn.execute(
                "SELECT no FROM customers WHERE salesperson_code = ? AND blocked = '' ORDER BY no",
                (salesperson_code,),
            ).fetchall()
        finally:
            conn.close()
        return [row[0] for row in rows]

    def checks(self) -> dict[str, int]:
        return {
            "buyer_logins": len(self.buyers.logins),
            "buyers_with_credit_room": self.buyers_with_credit_room,
            "buyers_taken": self.buyers.taken,
            "buyers_reused": self.buyers.reused,
            "ap_clerk_logins": len(self.clerks.logins),
            "ap_clerks_reused": self.clerks.reused,
            "rep_logins": len(self.reps.logins),
            "reps_reused": self.reps.reused,
        }


def _open(path: Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise UserError(f"no ERP dataset at {path} (--erpsim-db)")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def load_testdata(
    erp_db: str | Path,
    *,
    store_db: str | Path | None = None,
    secret: str | None = None,
    registered_share: float = 0.3,
    seed: int = 0,
    quantity_factor: float = 1.0,
) -> TestData:
    """The login pools (shuffled with `seed`) of a dataset and, if given, its store."""
    from simulator.erp.credit import credit_headroom  # noqa: PLC0415 - sqlite3 only
    from simulator.store.accounts import demo_password  # noqa: PLC0415 - hashlib only
    from simulator.store.secret import read_secret  # noqa: PLC0415

    if secret is None:  # the store's own, kept beside its database
        secret = read_secret(Path(store_db)) if store_db is not None else None
    if secret is None:
        raise UserError(
            "the demo passwords need the store's secret: give --erpsim-secret, or "
            "--erpsim-store-db with its <db>.secret beside it"
        )
    erp_db = Path(erp_db)
    conn = _open(erp_db)
    try:
        blocked = {row[0] for row in conn.execute("SELECT no FROM customers WHERE blocked <> ''")}
        if store_db is not None and Path(store_db).is_file():
            rows = _store_users(Path(store_db))
        else:
            rows = _derived_users(conn, secret, registered_share)
        today = erp_today(conn)
        headroom = credit_headroom(conn)
    finally:
        conn.close()
    pools: dict[str, list[Login]] = {"buyer": [], "ap_clerk": [], "rep": []}
    for email, role, customer_no, code in rows:
        if role in ("buyer", "ap_clerk") and (customer_no is None or customer_no in blocked):
            continue
        pools[role].append(Login(email, demo_password(secret, email), role, customer_no, code))
    rng = random.Random(seed)
    for logins in pools.values():
        logins.sort(key=lambda login: login.email)
        rng.shuffle(logins)
    room = {login.email for login in pools["buyer"] if _has_room(headroom, login)}
    pools["buyer"].sort(key=lambda login: login.email not in room)  # stable: still shuffled
    return TestData(
        erp_db,
        LoginPool("buyer", pools["buyer"]),
        LoginPool("ap_clerk", pools["ap_clerk"]),
        LoginPool("rep", pools["rep"]),
        quantity_factor,
        today,
        buyers_with_credit_room=len(room),
        headroom=headroom,
    )


def _has_room(headroom: dict[str, float], login: Login) -> bool:
    return headroom.get(login.customer_no or "", -math.inf) >= CREDIT_ROOM


def erp_today(conn: sqlite3.Connection) -> str | None:
    """The ERP's simulated date where the dataset stands (the live server's clock starts
    there): the server's saved clock, else the world's now, else as_of."""
    meta = dict(conn.execute("SELECT key, value FROM erpsim_meta").fetchall())
    for key in ("erp_server_clock", "world_now", "as_of"):
        if key in meta:
            text = str(meta[key]).strip('"')
            return text[:10]
    return None


def _store_users(store_db: Path) -> list[tuple[str, str, str | None, str | None]]:
    conn = sqlite3.connect(f"file:{store_db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT email, role, customer_no, salesperson_code FROM users "
            "WHERE state = 'registered' AND password_hash = 'demo' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


def _derived_users(
    conn: sqlite3.Connection, secret: str, share: float
) -> list[tuple[str, str, str | None, str | None]]:
    from simulator.store.accounts import is_initially_registered  # noqa: PLC0415

    rows: list[tuple[str, str, str | None, str | None]] = []
    for raw, role, customer_no in conn.execute("SELECT email, role, customer_no FROM contacts"):
        email = str(raw).strip().lower()
        if is_initially_registered(secret, email, share):
            rows.append((email, "ap_clerk" if role == "ap_clerk" else "buyer", customer_no, None))
    for raw, code in conn.execute("SELECT email, code FROM salespeople"):
        rows.append((str(raw).strip().lower(), "rep", None, code))
    return rows


def read_account(erp_db: Path, customer_no: str, quantity_factor: float = 1.0) -> Account:
    """The account's orderable assortment with its usual quantities, and its past orders."""
    conn = _open(erp_db)
    try:
        assortment = conn.execute(
            "SELECT i.no, i.base_unit_of_measure, i.display_name FROM items i "
            "JOIN item_categories c ON c.code = i.item_category_code "
            "WHERE i.blocked = 0 AND (c.code IN (SELECT item_category_code FROM "
            "customer_assortment WHERE customer_no = ?) OR c.parent_code IN (SELECT "
            "item_category_code FROM customer_assortment WHERE customer_no = ?)) ORDER BY i.no",
            (customer_no, customer_no),
        ).fetchall()
        history: dict[str, list[float]] = {}
        for item_no, quantity in conn.execute(
            "SELECT l.item_no, l.quantity * l.qty_per_unit_of_measure FROM sales_order_lines l "
            "JOIN sales_orders o ON o.no = l.document_no WHERE o.customer_no = ?",
            (customer_no,),
        ):
            history.setdefault(item_no, []).append(float(quantity))
        orders = tuple(
            row[0]
            for row in conn.execute(
                "SELECT no FROM sales_orders WHERE customer_no = ? "
                "ORDER BY order_date DESC, no DESC LIMIT ?",
                (customer_no, MAX_ORDERS),
            )
        )
    finally:
        conn.close()
    every = [q for quantities in history.values() for q in quantities]
    fallback = statistics.median(every) if every else 1.0
    bought = [row for row in assortment if row[0] in history]
    other = [row for row in assortment if row[0] not in history]
    items = []
    for item_no, _unit, _name in (bought + other)[:MAX_ITEMS]:
        usual = statistics.median(history[item_no]) if item_no in history else fallback
        items.append((item_no, "", float(max(1, math.ceil(usual * quantity_factor)))))
    terms = sorted({word for _, _, name in assortment for word in str(name).split()[:1]})
    return Account(customer_no, tuple(items), orders, tuple(terms[:20]))
