"""Who may log in: users provisioned from the ERP's contacts and salespeople.

Every contact becomes a buyer (or an AP clerk, if that is its ERP role) of its customer,
every salesperson a rep. A deterministic share of contacts (chosen by an HMAC of the email
under the store's secret) and every rep start registered with a *demo password* derived
from the secret, so load tests and the demo can log in without a password list; the others
are invited and register with their *invitation token* (also derived). Provisioned users
store ``password_hash = 'demo'`` instead of a real hash: hashing 50k passwords with scrypt
would take minutes, and the derived password is checked with a constant-time compare.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from simulator.store.db import utc_now
from simulator.store.settings import StoreSettings

__all__ = [
    "DEMO_HASH",
    "DemoLogin",
    "demo_logins",
    "demo_password",
    "invitation_token",
    "is_initially_registered",
    "orderable_demo_login",
    "provision",
]

DEMO_HASH = "demo"
# Readable: no 0/O, 1/l/I.
ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _mac(secret: str, purpose: str, email: str) -> bytes:
    message = f"{purpose}:{email.strip().lower()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def demo_password(secret: str, email: str) -> str:
    """The demo password of a provisioned registered user: 12 readable characters."""
    digest = _mac(secret, "password", email)
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:12])


def invitation_token(secret: str, email: str) -> str:
    """The token an invited user registers with (what the invitation e-mail would carry)."""
    return _mac(secret, "invitation", email)[:16].hex()


def is_initially_registered(secret: str, email: str, share: float) -> bool:
    """Whether a contact starts registered: a uniform draw from the email's HMAC."""
    draw = int.from_bytes(_mac(secret, "registered", email)[:8], "big") / 2.0**64
    return draw < share


def provision(conn: sqlite3.Connection, settings: StoreSettings) -> int:
    """Create a user for every mirrored contact and salesperson that has none yet
    (idempotent: run again after a sync, it adds the new ones). Returns how many it added."""
    now = utc_now()
    rows: list[tuple[object, ...]] = []
    contacts = conn.execute(
        "SELECT c.no, c.customer_no, c.first_name, c.surname, c.role, c.email, "
        "COALESCE(k.key_account, 0) FROM contacts c LEFT JOIN customers k ON k.no = c.customer_no "
        "WHERE c.no NOT IN (SELECT contact_no FROM users WHERE contact_no IS NOT NULL)"
    ).fetchall()
    for no, customer_no, first, surname, role, raw_email, key_account in contacts:
        email = str(raw_email).strip().lower()
        registered = is_initially_registered(settings.secret, email, settings.registered_share)
        rows.append(
            (
                email,
                f"{first} {surname}".strip(),
                "ap_clerk" if role == "ap_clerk" else "buyer",
                no,
                customer_no,
                None,
                int(bool(key_account)),
                "registered" if registered else "invited",
                DEMO_HASH if registered else None,
                now,
                now if registered else None,
            )
        )
    reps = conn.execute(
        "SELECT code, name, email FROM salespeople "
        "WHERE code NOT IN (SELECT salesperson_code FROM users WHERE salesperson_code IS NOT NULL)"
    ).fetchall()
    for code, name, email in reps:
        rows.append(
            (str(email).strip().lower(), name, "rep", None, None, code, 0,
             "registered", DEMO_HASH, now, now)
        )  # fmt: skip
    with conn:
        before = conn.total_changes
        conn.executemany(
            "INSERT INTO users(email, name, role, contact_no, customer_no, salesperson_code, "
            "key_account, state, password_hash, invited_at, registered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            rows,
        )
        return conn.total_changes - before


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    password: str
    role: str
    name: str
    customer_no: str | None
    salesperson_code: str | None


def demo_logins(
    conn: sqlite3.Connection, secret: str, *, role: str | None = None, limit: int = 3
) -> list[DemoLogin]:
    """Registered users with their demo passwords, for `erpsim up` and the load tests
    (in id order: the same ones every time)."""
    sql = (
        "SELECT email, role, name, customer_no, salesperson_code FROM users "
        "WHERE state = 'registered' AND password_hash = ?"
    )
    params: list[object] = [DEMO_HASH]
    if role is not None:
        sql += " AND role = ?"
        params.append(role)
    sql += " ORDER BY id LIMIT ?"
    params.append(limit)
    return [
        DemoLogin(email, demo_password(secret, email), role_, name, customer_no, code)
        for email, role_, name, customer_no, code in conn.execute(sql, params)
    ]


DEMO_CART_ROOM = 5_000.0
"""Credit room (local currency) an account needs for a demo cart of a few lines."""


def orderable_demo_login(
    conn: sqlite3.Connection,
    secret: str,
    role: str,
    headroom: Mapping[str, float],
    *,
    need: float = DEMO_CART_ROOM,
) -> DemoLogin | None:
    """The first demo login of `role` (id order) whose account can order a typical cart:
    a buyer's own account, a rep's first account (by name, as the store lists them) with
    at least `need` of credit `headroom` (`simulator.erp.credit.credit_headroom`). Many
    real accounts are over their limit, and the ERP rightly refuses their orders; that is
    not what a newcomer should meet first. Falls back to the one with the most room."""
    best: tuple[float, DemoLogin] | None = None
    for login in demo_logins(conn, secret, role=role, limit=1_000):
        customer_no = login.customer_no
        if role == "rep":
            first = conn.execute(
                "SELECT no FROM customers WHERE salesperson_code = ? ORDER BY name, no LIMIT 1",
                (login.salesperson_code,),
            ).fetchone()
            customer_no = first[0] if first else None
        room = headroom.get(customer_no or "", -math.inf)
        if room >= need:
            return login
        if best is None or room > best[0]:
            best = (room, login)
    return best[1] if best else None
