"""`erpsim generate`: profile + seed -> one SQLite file of Business Central-shaped master data.

The run is a fixed sequence of steps, each yielding column chunks that are bulk-inserted as
they come, so memory stays flat however large the profile. With ``shard=I/N`` the run writes
only the accounts of the I-th contiguous slice (and, for I = 0, the catalog and every
catalog-level table); because every random stream is keyed by what it generates, the union
of the N shards is row-for-row the single run (same content digest).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from simulator import __version__
from simulator.config import Profile, check_history_months
from simulator.erp import catalog as cat
from simulator.erp import customers as cust
from simulator.erp import price_lists as prices
from simulator.erp import vocabulary as vocab
from simulator.erp.database import (
    atomic_database,
    insert_columns,
    row_counts,
    write_meta,
)
from simulator.erp.digest import content_digest
from simulator.erp.history import run_history, snapshot_date
from simulator.erp.pools import LocalePools
from simulator.erp.schema import SALES_QUOTES, TABLES, index_sql
from simulator.errors import UserError

MASTER_TABLES = TABLES[: TABLES.index(SALES_QUOTES)]

Chunk = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based): a contiguous slice of the accounts."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise UserError(f"bad --shard {text!r}: expected I/N, e.g. 0/4")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 0 <= index < count:
            raise UserError(f"bad --shard {text!r}: need 0 <= I < N and N >= 1")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def writes_catalog(self) -> bool:
        return self.index == 0

    def accounts(self, total: int) -> range:
        return range(self.index * total // self.count, (self.index + 1) * total // self.count)


class Progress(Protocol):
    """What generation reports: steps with a known number of chunks, rows per table."""

    def step(self, name: str, chunks: int) -> None: ...
    def advance(self, table: str, rows: int) -> None: ...


class SilentProgress:
    def step(self, name: str, chunks: int) -> None:
        pass

    def advance(self, table: str, rows: int) -> None:
        pass


@dataclass(frozen=True)
class GenerationSummary:
    path: Path
    profile: str
    seed: int
    shard: str
    counts: dict[str, int]
    digest: str
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "profile": self.profile,
            "seed": self.seed,
            "shard": self.shard,
            "counts": self.counts,
            "total_rows": sum(self.counts.values()),
            "digest": self.digest,
            "seconds": round(self.seconds, 3),
        }


def generate(
    profile: Profile,
    *,
    seed: int,
    out: str | Path,
    shard: Shard = Shard(),
    force: bool = False,
    progress: Progress | None = None,
    history_months: int | None = None,
) -> GenerationSummary:
    """Write the dataset for ``profile`` and ``seed`` (this shard's part of it) to ``out``:
    master data as of the snapshot ``history_months`` before as_of (default: the profile's
    history.months), then the simulated history up to as_of."""
    if seed < 0:
        raise UserError(f"bad --seed {seed}: must be >= 0")
    if shard.count > profile.customers.count:
        raise UserError(
            f"bad --shard {shard}: more shards than customers ({profile.customers.count})"
        )
    months = profile.history.months if history_months is None else history_months
    try:
        check_history_months(profile, months)
    except ValueError as exc:
        raise UserError(f"bad --history-months {months}: {exc}") from exc
    if months and shard.count > 1:
        raise UserError(
            "the history needs the whole world: generate shards with --history-months 0"
        )
    snapshot = profile.model_copy(update={"as_of": snapshot_date(profile.as_of, months)})
    progress = progress or SilentProgress()
    started = time.perf_counter()
    step_seconds: dict[str, float] = {}
    with atomic_database(out, force=force) as conn:
        for name, chunks, steps in plan(snapshot, seed, shard):
            progress.step(name, chunks)
            t0 = time.perf_counter()
            for table, columns in steps:
                rows = insert_columns(conn, table, columns)
                progress.advance(table, rows)
            step_seconds[name] = time.perf_counter() - t0
        if months:
            t0 = time.perf_counter()
            # Only what the world reads needs its index now; the history's own tables get
            # theirs after the bulk of their rows is in (atomic_database's exit).
            conn.executescript(index_sql(MASTER_TABLES))
            step_seconds["indexes"] = time.perf_counter() - t0
            progress.step("history", months + 1)
            t0 = time.perf_counter()
            history = run_history(conn, profile, seed=seed, months=months, progress=progress)
            step_seconds["history"] = time.perf_counter() - t0
            events = history.events
        else:
            events = 0
        conn.commit()  # the digest may read the file through a connection of its own
        counts = row_counts(conn)
        digest = content_digest(conn)
        write_meta(
            conn,
            {
                "profile": profile.name,
                "profile_settings": profile.model_dump(mode="json"),
                "seed": seed,
                "shard": str(shard),
                "digest": digest,
                "erpsim_version": __version__,
                "as_of": profile.as_of.isoformat(),
                "history_months": months,
                "snapshot_date": snapshot.as_of.isoformat(),
                "world_events": events,
                "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
    return GenerationSummary(
        path=Path(out),
        profile=profile.name,
        seed=seed,
        shard=str(shard),
        counts=counts,
        digest=digest,
        seconds=time.perf_counter() - started,
        step_seconds=step_seconds,
    )


Step = tuple[str, int, Iterable[Chunk]]


def plan(profile: Profile, seed: int, shard: Shard) -> Iterator[Step]:
    """The generation steps in order: (name, number of chunks, chunk iterator).

    Shard 0 also draws every other shard's accounts (without writing them): stock is planned
    from the whole customer base's expected demand.
    """
    stamp = cat.timestamp(profile.as_of)
    catalog = cat.build_catalog(profile, seed)
    sales = cust.build_salespeople(profile, seed, stamp)
    pools = cust.locale_pools(profile, seed)
    accounts = cust.build_accounts(profile, seed, sales, pools)
    mine = shard.accounts(accounts.count)
    item_chunks = -(-catalog.size // cat.ITEM_CHUNK)
    locations = cat.stock_locations(profile)
    demand = np.zeros((catalog.size, len(locations))) if shard.writes_catalog else None
    largest_line = np.zeros((catalog.size, len(locations)))

    if shard.writes_catalog:
        yield "reference data", 1, _reference(profile, seed, stamp)
        yield (
            "categories & locations",
            2,
            iter(
                [
                    ("item_categories", cat.category_rows(profile, seed, stamp)),
                    ("locations", cat.location_rows(profile, seed, stamp)),
                    ("salespeople", sales.rows),
                ]
            ),
        )
        yield "items & units", 2 * item_chunks, cat.item_chunks(catalog, profile, seed, stamp)
        yield (
            "catalog price lists",
            item_chunks + 4,
            prices.catalog_price_lists(profile, seed, catalog, accounts, stamp),
        )
    yield (
        "customers",
        1,
        iter(
            [
                (
                    "customers",
                    cust.customer_rows(accounts, np.arange(mine.start, mine.stop), seed, stamp),
                )
            ]
        ),
    )
    blocks = [block for block, _ in cust.account_blocks(0, accounts.count)]
    yield (
        "contacts, baskets & agreements",
        len(blocks),
        _account_blocks(
            profile, seed, catalog, accounts, pools, blocks, mine, stamp, demand, largest_line
        ),
    )
    if demand is not None:
        yield (
            "stock",
            item_chunks,
            cat.stock_chunks(
                catalog,
                profile,
                seed,
                stamp,
                basket_demand=demand,
                largest_line=largest_line,
                occasional_value=_occasional_value(profile, accounts, locations),
            ),
        )


def _occasional_value(
    profile: Profile, accounts: cust.Accounts, locations: list[str]
) -> np.ndarray:
    """Local currency per day per location spent on items outside the repeat baskets."""
    value = np.zeros(len(locations))
    active = accounts.blocked != "All"
    where = np.array(
        [locations.index(code) if code in locations else 0 for code in accounts.location.tolist()],
        dtype=int,
    )
    np.add.at(value, where[active], accounts.volume[active] / 365.0)
    return value * profile.history.new_item_share


def _account_blocks(
    profile: Profile,
    seed: int,
    catalog: cat.Catalog,
    accounts: cust.Accounts,
    pools: dict[str, LocalePools],
    blocks: list[int],
    mine: range,
    stamp: str,
    demand: np.ndarray | None,
    largest_line: np.ndarray,
) -> Iterator[Chunk]:
    """Per block of accounts: the rows of this shard's accounts, and (for shard 0) every
    block's expected demand."""
    index = cust.build_assortment_index(catalog)
    locations = cat.stock_locations(profile)
    for block in blocks:
        first, last = block * cust.BLOCK, min((block + 1) * cust.BLOCK, accounts.count)
        overlaps = first < mine.stop and mine.start < last
        if not overlaps and demand is None:
            continue
        draws = cust.draw_block(profile, seed, accounts, index, pools, block)
        baskets = cust.block_baskets(draws, accounts, catalog, seed, block)
        if demand is not None:
            cust.add_expected_demand(
                demand,
                largest_line,
                draws,
                baskets,
                accounts,
                locations,
                profile.history.new_item_share,
            )
        if overlaps:
            yield from cust.block_rows(draws, baskets, accounts, catalog, seed, block, stamp, mine)
            yield from prices.customer_price_lists(
                profile, seed, catalog, accounts, draws, block, mine, stamp
            )


def _reference(profile: Profile, seed: int, stamp: str) -> Iterator[Chunk]:
    rates = prices.exchange_rates(profile, seed)
    currency_codes = sorted(vocab.CURRENCIES)
    yield (
        "currencies",
        {
            "code": currency_codes,
            "description": [vocab.CURRENCIES[c][0] for c in currency_codes],
            "last_modified_date_time": [stamp] * len(currency_codes),
        },
    )
    rate_rows = [(c, start.isoformat(), rate) for c in currency_codes for start, rate in rates[c]]
    yield (
        "currency_exchange_rates",
        {
            "currency_code": [r[0] for r in rate_rows],
            "starting_date": [r[1] for r in rate_rows],
            "exchange_rate_amount": [r[2] for r in rate_rows],
            "relational_exch_rate_amount": [1.0] * len(rate_rows),
            "last_modified_date_time": [stamp] * len(rate_rows),
        },
    )
    terms = vocab.PAYMENT_TERMS
    yield (
        "payment_terms",
        {
            "code": list(terms),
            "description": [t[0] for t in terms.values()],
            "due_days": [t[1] for t in terms.values()],
            "discount_days": [t[2] for t in terms.values()],
            "discount_pct": [t[3] for t in terms.values()],
            "last_modified_date_time": [stamp] * len(terms),
        },
    )
    yield "units_of_measure", _code_table(vocab.UNITS_OF_MEASURE, stamp)
    yield (
        "customer_price_groups",
        {
            **_code_table({k: v[0] for k, v in vocab.PRICE_GROUPS.items()}, stamp),
            "allow_line_disc": [int(v[1]) for v in vocab.PRICE_GROUPS.values()],
        },
    )
    yield (
        "customer_discount_groups",
        _code_table({k: v[0] for k, v in vocab.DISCOUNT_GROUPS.items()}, stamp),
    )
    yield "item_discount_groups", _code_table({fam.code: fam.name for fam in vocab.FAMILIES}, stamp)


def _code_table(descriptions: dict[str, str], stamp: str) -> dict[str, list[Any]]:
    return {
        "code": list(descriptions),
        "description": list(descriptions.values()),
        "last_modified_date_time": [stamp] * len(descriptions),
    }
