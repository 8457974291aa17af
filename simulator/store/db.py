"""The store's own SQLite database: connections and the schema.

One file holds the store's tables (users, sessions, carts, web documents, outbox, events,
audit, accuracy samples) and the mirrored ERP tables that `sync.py` fills. The mirror's DDL
belongs to `sync.py` (`create_mirror`); `create_schema` calls it, then adds the store's
tables and the indexes the store's own queries need on the mirror.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sqlite3
from pathlib import Path

__all__ = ["STORE_TABLES", "connect", "create_schema", "utc_now"]

STORE_TABLES = """
CREATE TABLE IF NOT EXISTS users(
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('buyer','ap_clerk','rep')),
    contact_no TEXT UNIQUE, customer_no TEXT, salesperson_code TEXT UNIQUE,
    key_account INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('invited','registered','disabled')),
    password_hash TEXT, invited_at TEXT NOT NULL, registered_at TEXT);
CREATE INDEX IF NOT EXISTS users_customer ON users(customer_no);
CREATE TABLE IF NOT EXISTS sessions(
    token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL, acting_customer_no TEXT, created_at REAL NOT NULL,
    expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS carts(
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, customer_no TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','ordered','quoted')),
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS carts_owner ON carts(user_id, customer_no, status);
CREATE TABLE IF NOT EXISTS cart_lines(
    cart_id INTEGER NOT NULL REFERENCES carts(id) ON DELETE CASCADE, item_no TEXT NOT NULL,
    unit_of_measure_code TEXT NOT NULL, quantity REAL NOT NULL CHECK (quantity > 0),
    added_at TEXT NOT NULL, PRIMARY KEY (cart_id, item_no, unit_of_measure_code));
CREATE TABLE IF NOT EXISTS web_documents(
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL
        CHECK (kind IN ('order','quote','quote_order','payment','invoice_copy','return')),
    customer_no TEXT NOT NULL, user_id INTEGER NOT NULL, rep_user_id INTEGER,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending','accepted','rejected')),
    request_json TEXT NOT NULL,
    erp_id TEXT, erp_number TEXT, error TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS web_documents_customer ON web_documents(customer_no, kind, created_at);
CREATE TABLE IF NOT EXISTS outbox(
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL UNIQUE REFERENCES web_documents(id),
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','delivered','rejected')),
    last_error TEXT, delivered_at REAL);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(status, next_attempt_at);
CREATE TABLE IF NOT EXISTS recurring_orders(
    id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES web_documents(id),
    every_days INTEGER NOT NULL, next_date TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY, at TEXT NOT NULL,
    user_id INTEGER, contact_no TEXT, customer_no TEXT, key_account INTEGER NOT NULL DEFAULT 0,
    rep_user_id INTEGER, type TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS events_type_at ON events(type, at);
CREATE INDEX IF NOT EXISTS events_customer_at ON events(customer_no, at);
CREATE TABLE IF NOT EXISTS audit(
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, rep_user_id INTEGER NOT NULL,
    customer_no TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS accuracy_samples(
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, mode TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('price','stock')), customer_no TEXT NOT NULL,
    item_no TEXT NOT NULL, shown REAL, erp REAL, matched INTEGER NOT NULL,
    stale INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync_state(
    entity TEXT PRIMARY KEY, watermark TEXT, synced_at TEXT, rows INTEGER);
"""

# Indexes the store's own queries need on mirrored tables (catalog pages, provisioning).
MIRROR_INDEXES = (
    ("items", "store_items_category", "item_category_code, blocked, no"),
    ("customer_assortment", "store_assortment_category", "item_category_code, customer_no"),
    ("customers", "store_customers_salesperson", "salesperson_code"),
    ("contacts", "store_contacts_customer", "customer_no"),
)


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection in WAL mode, waiting up to 5 s for a lock, with foreign keys on.
    Autocommit off (Python's default): writers use ``with conn:`` for a transaction."""
    conn = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    """Create every table that is missing (idempotent): the mirror first, then the store's."""
    if importlib.util.find_spec("simulator.store.sync") is not None:
        from simulator.store import sync  # noqa: PLC0415 - the mirror's DDL lives there

        sync.create_mirror(conn)
    conn.executescript(STORE_TABLES)
    existing = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table, index, columns in MIRROR_INDEXES:
        if table in existing:
            conn.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {table} ({columns})")
    conn.commit()


def utc_now() -> str:
    """Wall-clock UTC timestamp as the store writes it (ISO 8601, milliseconds, 'Z')."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
