"""The buyers a forecast is about, read from an erpsim dataset (or made up for benchmarks).

Accounts that cannot buy online (blocked in the ERP, or excluded by the scenario) are left
out entirely: the seed guide asks to exclude them from every denominator. Each account keeps
its key-account flag, its offline order rhythm, invoice count, order value and basket size;
each contact is a buyer or an accounts-payable clerk of one account.

Order rhythm: when the dataset has a ``sales_orders`` history (the ERP world), orders per week
come from its last 12 months before the dataset's ``as_of``; otherwise from
``customers.order_interval_days``. Invoices likewise from ``sales_invoices``, else one per
order. An account's orders are split evenly over its buyers, its invoices over its AP clerks
(or over its buyers when it has none).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.adoption.scenario import PopulationFilter
from simulator.erp.database import open_database
from simulator.errors import UserError

WEEKS_PER_YEAR = 365.0 / 7.0
MONTHS_IN_WINDOW = 12
SYNTHETIC_SEGMENTS = ("wholesale", "retail", "industrial")
PROFILE_SEED = 7  # `erpsim generate`'s default seed: --profile NAME reads the same dataset


@dataclass(frozen=True)
class ChangeRates:
    """How fast the ERP's prices and stock change (they make batch-synced data stale)."""

    price_changes_per_item_month: float | None
    stock_changes_per_item_month: float | None
    price_source: str
    stock_source: str


@dataclass(frozen=True)
class Population:
    """Accounts and contacts as numpy arrays; contacts are ordered buyers first, then clerks."""

    source: str
    as_of: dt.date | None
    account_no: np.ndarray  # (A,) str
    key_account: np.ndarray  # (A,) bool
    orders_per_week: np.ndarray  # (A,) float64
    invoices_per_week: np.ndarray  # (A,) float64
    order_value: np.ndarray  # (A,) float64, revenue per order
    basket_lines: np.ndarray  # (A,) float64
    contact_account: np.ndarray  # (N,) int32 index into accounts
    buyers: int  # contacts [0, buyers) are buyers, the rest AP clerks
    rhythm_source: str
    invoice_source: str
    excluded_blocked: int
    excluded_by_scenario: int
    change_rates: ChangeRates
    segment: np.ndarray  # (A,) str: what targeted levers select on (simulator.adoption.targets)
    salesperson: np.ndarray  # (A,) str, the account's salesperson code
    country: np.ndarray  # (A,) str, its country code (the territory)

    @property
    def accounts(self) -> int:
        return len(self.account_no)

    @property
    def contacts(self) -> int:
        return len(self.contact_account)

    @property
    def clerks(self) -> int:
        return self.contacts - self.buyers

    def buyers_per_account(self) -> np.ndarray:
        return np.bincount(self.contact_account[: self.buyers], minlength=self.accounts)

    def clerks_per_account(self) -> np.ndarray:
        return np.bincount(self.contact_account[self.buyers :], minlength=self.accounts)

    def need_rate(self) -> np.ndarray:
        """Purchase needs per week per contact (0 for AP clerks)."""
        rate = np.zeros(self.contacts)
        per_buyer = self.orders_per_week / np.maximum(self.buyers_per_account(), 1)
        rate[: self.buyers] = per_buyer[self.contact_account[: self.buyers]]
        return rate

    def invoice_rate(self) -> np.ndarray:
        """Invoices per week per contact: AP clerks, or the buyers of accounts without one."""
        clerks = self.clerks_per_account()
        handlers = np.where(clerks > 0, clerks, self.buyers_per_account())
        per_handler = self.invoices_per_week / np.maximum(handlers, 1)
        is_clerk = np.arange(self.contacts) >= self.buyers
        handles = np.where(clerks[self.contact_account] > 0, is_clerk, ~is_clerk)
        return np.where(handles, per_handler[self.contact_account], 0.0)

    def describe(self) -> dict[str, object]:
        """Plain facts for summary.json and the report."""
        return {
            "source": self.source,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "accounts": self.accounts,
            "key_accounts": int(self.key_account.sum()),
            "buyers": self.buyers,
            "ap_clerks": self.clerks,
            "excluded_blocked_accounts": self.excluded_blocked,
            "excluded_by_scenario_accounts": self.excluded_by_scenario,
            "orders_per_month": round(float(self.orders_per_week.sum()) * WEEKS_PER_YEAR / 12, 1),
            "order_rhythm_from": self.rhythm_source,
            "invoices_from": self.invoice_source,
        }


def load_population(
    db: str | Path, chosen: PopulationFilter, *, label: str | None = None
) -> Population:
    """Read the accounts that can buy online, their contacts and rhythms from a dataset
    (``label`` names it in reports; default: its path)."""
    conn = open_database(db)
    try:
        return _read(conn, label or str(db), chosen)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{db}: cannot read the population ({exc})") from exc
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, source: str, chosen: PopulationFilter) -> Population:
    as_of = _as_of(conn, source)
    rows = conn.execute(
        "SELECT no, key_account, blocked, segment, annual_volume, order_interval_days,"
        " avg_basket_lines, salesperson_code, country_code FROM customers ORDER BY no"
    ).fetchall()
    if not rows:
        raise UserError(f"{source}: the dataset has no customers")
    _check_filter(chosen, rows)
    segments_out, customers_out = set(chosen.exclude_segments), set(chosen.exclude_customers)
    blocked = [row for row in rows if row[2] != ""]
    eligible = [row for row in rows if row[2] == ""]
    kept = [row for row in eligible if row[3] not in segments_out and row[0] not in customers_out]
    number = np.array([row[0] for row in kept], dtype=str)
    index = {no: i for i, no in enumerate(number.tolist())}
    orders, rhythm_source = _orders_per_week(conn, as_of, kept, index)
    invoices, invoice_source = _invoices_per_week(conn, as_of, index, orders)
    volume = np.array([row[4] for row in kept], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(orders > 0, volume / (orders * WEEKS_PER_YEAR), 0.0)
    buyers, clerks = _contacts(conn, index)
    if not buyers:
        raise UserError(f"{source}: no account that can buy online has a buyer contact")
    return Population(
        source=source,
        as_of=as_of,
        account_no=number,
        key_account=np.array([bool(row[1]) for row in kept]),
        orders_per_week=orders,
        invoices_per_week=invoices,
        order_value=value,
        basket_lines=np.array([max(float(row[6]), 1.0) for row in kept]),
        contact_account=np.array(buyers + clerks, dtype=np.int32),
        buyers=len(buyers),
        rhythm_source=rhythm_source,
        invoice_source=invoice_source,
        excluded_blocked=len(blocked),
        excluded_by_scenario=len(eligible) - len(kept),
        change_rates=_change_rates(conn, as_of),
        segment=np.array([row[3] for row in kept], dtype=str),
        salesperson=np.array([row[7] for row in kept], dtype=str),
        country=np.array([row[8] for row in kept], dtype=str),
    )


def _as_of(conn: sqlite3.Connection, source: str) -> dt.date:
    row = conn.execute("SELECT value FROM erpsim_meta WHERE key = 'as_of'").fetchone()
    try:
        return dt.date.fromisoformat(json.loads(row[0]))
    except (TypeError, ValueError) as exc:
        raise UserError(f"{source}: erpsim_meta has no valid 'as_of' date") from exc


def _check_filter(chosen: PopulationFilter, rows: list[tuple]) -> None:
    segments = sorted({row[3] for row in rows})
    for name in chosen.exclude_segments:
        if name not in segments:
            raise UserError(
                f"scenario field population.exclude_segments: no segment {name!r} in the "
                f"dataset (segments: {', '.join(segments)})"
            )
    numbers = {row[0] for row in rows}
    for number in chosen.exclude_customers:
        if number not in numbers:
            raise UserError(
                f"scenario field population.exclude_customers: no customer {number!r} in the "
                "dataset"
            )


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """Column names of ``table``, or an empty set when the dataset lacks it."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if not exists:
        return set()
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _window(as_of: dt.date) -> tuple[str, str]:
    """The 365 days before ``as_of``: (exclusive start, inclusive end) as ISO dates."""
    return (as_of - dt.timedelta(days=365)).isoformat(), as_of.isoformat()


def _counts_in_window(
    conn: sqlite3.Connection, table: str, date_column: str, as_of: dt.date, index: dict[str, int]
) -> np.ndarray | None:
    """Rows per account in the last 12 months, or None when the table is absent or empty."""
    if not {"customer_no", date_column} <= table_columns(conn, table):
        return None
    low, high = _window(as_of)
    rows = conn.execute(
        f"SELECT customer_no, count(*) FROM {table} WHERE {date_column} > ? AND "
        f"{date_column} <= ? GROUP BY customer_no",
        (low, high),
    ).fetchall()
    if not rows:
        return None
    counts = np.zeros(len(index))
    for customer, count in rows:
        if customer in index:
            counts[index[customer]] = count
    return counts


def _orders_per_week(
    conn: sqlite3.Connection, as_of: dt.date, kept: list[tuple], index: dict[str, int]
) -> tuple[np.ndarray, str]:
    counts = _counts_in_window(conn, "sales_orders", "order_date", as_of, index)
    if counts is not None:
        return counts / WEEKS_PER_YEAR, "sales_orders (last 12 months)"
    interval = np.array([max(float(row[5]), 0.1) for row in kept])
    return 7.0 / interval, "customers.order_interval_days"


def _invoices_per_week(
    conn: sqlite3.Connection, as_of: dt.date, index: dict[str, int], orders: np.ndarray
) -> tuple[np.ndarray, str]:
    counts = _counts_in_window(conn, "sales_invoices", "posting_date", as_of, index)
    if counts is not None:
        return counts / WEEKS_PER_YEAR, "sales_invoices (last 12 months)"
    return orders.copy(), "one invoice per order"


def _contacts(conn: sqlite3.Connection, index: dict[str, int]) -> tuple[list[int], list[int]]:
    buyers: list[int] = []
    clerks: list[int] = []
    for customer, role in conn.execute(
        "SELECT customer_no, role FROM contacts ORDER BY customer_no, no"
    ):
        account = index.get(customer)
        if account is None:
            continue
        if role == "buyer":
            buyers.append(account)
        elif role == "ap_clerk":
            clerks.append(account)
    return buyers, clerks


def _change_rates(conn: sqlite3.Connection, as_of: dt.date) -> ChangeRates:
    low, high = _window(as_of)
    items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    price_rate = None
    price_source = "no items in the dataset"
    if items:
        started = conn.execute(
            "SELECT count(*) FROM price_list_lines WHERE starting_date > ? AND starting_date <= ?",
            (low, high),
        ).fetchone()[0]
        price_rate = started / (items * MONTHS_IN_WINDOW)
        price_source = (
            f"price_list_lines starting in the 12 months before {as_of}: {started:,} over "
            f"{items:,} items"
        )
    stock_rate = None
    stock_source = "default (no item_ledger_entries table)"
    if {"item_no", "location_code", "posting_date"} <= table_columns(conn, "item_ledger_entries"):
        entries = conn.execute(
            "SELECT count(*) FROM item_ledger_entries WHERE posting_date > ? AND posting_date <= ?",
            (low, high),
        ).fetchone()[0]
        pairs = conn.execute("SELECT count(*) FROM item_stock").fetchone()[0] or max(items, 1)
        if entries:
            stock_rate = entries / (pairs * MONTHS_IN_WINDOW)
            stock_source = (
                f"item_ledger_entries in the 12 months before {as_of}: {entries:,} over "
                f"{pairs:,} item x location pairs"
            )
    return ChangeRates(price_rate, stock_rate, price_source, stock_source)


def synthetic_population(
    accounts: int,
    contacts: int,
    *,
    seed: int,
    key_account_share: float = 0.10,
    median_interval_days: float = 21.0,
) -> Population:
    """A made-up population for benchmarks: ``accounts`` accounts, ``contacts`` contacts
    (three quarters buyers, at least one per account), log-normal order intervals."""
    if contacts < accounts:
        raise UserError("a synthetic population needs at least one contact per account")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0xB0B])))
    interval = np.clip(rng.lognormal(np.log(median_interval_days), 0.7, accounts), 1.0, 365.0)
    volume = 3_000.0 * (1.0 + rng.pareto(1.1, accounts))
    key = np.zeros(accounts, dtype=bool)
    key[np.argsort(-volume)[: round(key_account_share * accounts)]] = True
    buyers_total = max(accounts, (contacts * 3) // 4)
    extra_buyers = rng.choice(accounts, buyers_total - accounts, p=volume / volume.sum())
    buyer_account = np.sort(np.concatenate([np.arange(accounts), extra_buyers]))
    clerk_account = np.sort(rng.choice(accounts, contacts - buyers_total))
    orders = 7.0 / interval
    return Population(
        source=f"synthetic ({accounts:,} accounts, {contacts:,} contacts, seed {seed})",
        as_of=None,
        account_no=np.array([f"S{i:07d}" for i in range(accounts)], dtype=str),
        key_account=key,
        orders_per_week=orders,
        invoices_per_week=orders.copy(),
        order_value=volume / (orders * WEEKS_PER_YEAR),
        basket_lines=np.clip(rng.lognormal(np.log(4.0), 0.6, accounts), 1.0, 80.0),
        contact_account=np.concatenate([buyer_account, clerk_account]).astype(np.int32),
        buyers=len(buyer_account),
        rhythm_source="synthetic log-normal intervals",
        invoice_source="one invoice per order",
        excluded_blocked=0,
        excluded_by_scenario=0,
        change_rates=ChangeRates(None, None, "default (synthetic population)", "default"),
        # Drawn last, so the rest of the population does not depend on them.
        segment=np.array(SYNTHETIC_SEGMENTS, dtype=str)[rng.integers(0, 3, accounts)],
        salesperson=np.array([f"R{i:02d}" for i in rng.integers(0, 12, accounts)], dtype=str),
        country=np.full(accounts, "ES", dtype=str),
    )


def sample_population(population: Population, share: float, *, seed: int) -> Population:
    """A random ``share`` of the accounts with all their contacts (for benchmark samples)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x5A])))
    keep = np.sort(
        rng.choice(population.accounts, max(1, round(share * population.accounts)), replace=False)
    )
    new_index = np.full(population.accounts, -1, dtype=np.int32)
    new_index[keep] = np.arange(len(keep), dtype=np.int32)
    mapped = new_index[population.contact_account]
    is_buyer = np.arange(population.contacts) < population.buyers
    buyers = mapped[is_buyer & (mapped >= 0)]
    clerks = mapped[~is_buyer & (mapped >= 0)]
    return Population(
        source=f"{share:.0%} sample of {population.source}",
        as_of=population.as_of,
        account_no=population.account_no[keep],
        key_account=population.key_account[keep],
        orders_per_week=population.orders_per_week[keep],
        invoices_per_week=population.invoices_per_week[keep],
        order_value=population.order_value[keep],
        basket_lines=population.basket_lines[keep],
        contact_account=np.concatenate([buyers, clerks]).astype(np.int32),
        buyers=len(buyers),
        rhythm_source=population.rhythm_source,
        invoice_source=population.invoice_source,
        excluded_blocked=0,
        excluded_by_scenario=0,
        change_rates=population.change_rates,
        segment=population.segment[keep],
        salesperson=population.salesperson[keep],
        country=population.country[keep],
    )


@dataclass(frozen=True)
class Dataset:
    """A dataset file and how reports name it (a temporary file is named by its profile, so
    the same seed gives the same summary.json)."""

    path: Path
    label: str


@contextlib.contextmanager
def dataset(db: Path | None, profile: str | None) -> Iterator[Dataset]:
    """The dataset a command reads: ``--db``, or ``--profile`` generated into a temporary
    directory (seed 7, as `erpsim generate`'s default), or the ``small`` profile."""
    if db is not None and profile is not None:
        raise UserError("use either --db or --profile, not both")
    if db is not None:
        if not db.is_file():
            raise UserError(f"database not found: {db}")
        yield Dataset(db, str(db))
        return
    from simulator.config import load_profile  # noqa: PLC0415 - only when generating
    from simulator.erp.generate import generate  # noqa: PLC0415

    chosen = load_profile(profile or "small")
    with tempfile.TemporaryDirectory(prefix="erpsim-adoption-") as tmp:
        path = Path(tmp) / "erp.sqlite"
        generate(chosen, seed=PROFILE_SEED, out=path)
        yield Dataset(path, f"profile {chosen.name} (generated with seed {PROFILE_SEED})")
