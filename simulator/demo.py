"""`erpsim demo`: one command that shows everything that works, on the small dataset.

It grows with the product; each capability adds a short section here. Today: generate the
small dataset with its simulated history, check it looks like a real distributor, price a
real order line for a key account the way Business Central would, prove determinism (two
shards merged give the single run's digest), call the mock ERP API, walk a buyer through
the reference store (an ERP outage included), load-test the store for a few seconds with
Locust, forecast adoption with the customer experience that run measured (``--cx-from``)
and export to CSV.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simulator.adoption.demo import demo_section as adoption_demo
from simulator.atomic import check_target
from simulator.config import load_profile
from simulator.console import counts_table
from simulator.erp.export import export_database
from simulator.erp.generate import Shard, generate
from simulator.erp.merge import merge_shards
from simulator.erp.pricing import LineRef, PriceRequest, SqlitePriceData, resolve_price
from simulator.erp.stats import compute_stats, render_stats
from simulator.erp_server.cli import demo_section as erp_api_demo
from simulator.load.demo import demo_section as load_demo
from simulator.store.demo import demo_section as store_demo

DEMO_SEED = 7


def run_demo(workdir: Path, out: Console, err: Console) -> None:
    del err
    check_target(workdir, kind="directory", force=True)  # never `.` or a device
    workdir.mkdir(parents=True, exist_ok=True)
    profile = load_profile("small")
    db = workdir / "erp.sqlite"

    out.rule("1. Generate the small ERP dataset with 24 months of history")
    summary = generate(profile, seed=DEMO_SEED, out=db, force=True)
    out.print(counts_table(summary.counts, f"{db} (profile small, seed {DEMO_SEED})"))
    out.print(
        f"{sum(summary.counts.values()):,} rows in {summary.seconds:.2f} s, "
        f"digest {summary.digest[:16]}…"
    )

    out.rule("2. Does it look like a real distributor?")
    render_stats(compute_stats(db), out)

    out.rule("3. Price an order line as Business Central would")
    _pricing_example(db, profile.as_of, out)

    out.rule("4. Same seed, same data: two shards merged = the single run")
    single = generate(
        profile, seed=DEMO_SEED, out=workdir / "master.sqlite", force=True, history_months=0
    )
    shards = []
    for index in range(2):
        path = workdir / f"shard-{index}.sqlite"
        generate(
            profile, seed=DEMO_SEED, out=path, shard=Shard(index, 2), force=True, history_months=0
        )
        shards.append(path)
    merged = merge_shards(shards, workdir / "merged.sqlite", force=True)
    verdict = "identical" if merged.digest == single.digest else "DIFFERENT"
    out.print(
        f"master data: single run {single.digest[:16]}…  merged shards "
        f"{merged.digest[:16]}…  -> {verdict}"
    )

    out.rule("5. The mock ERP API (Business Central shaped, OData v4)")
    erp_api_demo(db, out)

    out.rule("6. The reference B2B store on the mock ERP (realtime integration)")
    store_demo(db, workdir, out)

    out.rule("7. Load-test the store: a short Locust run on 127.0.0.1")
    load_summary = load_demo(db, workdir, out)

    out.rule("8. Forecast web-store adoption with the measured site (--cx-from the load run)")
    adoption_demo(db, workdir, out, cx_from=load_summary)

    out.rule("9. Export for your connector tests")
    files = export_database(db, "csv", workdir / "csv", force=True)
    out.print(f"{len(files)} CSV files, {sum(f.rows for f in files):,} rows in {workdir / 'csv'}")
    out.print(f"\nNext: erpsim up --db {db}   (the mock ERP and the store, with demo logins)")
    out.print(f"      erpsim up --db {db} --erp-flavor sap   (the store on the ERP's SAP APIs)")
    out.print("      erpsim generate --profile medium --out data/medium.sqlite")


def _pricing_example(db: Path, as_of: dt.date, out: Console) -> None:
    """A key account's most reordered item at 1 unit and at a quantity break."""
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "SELECT c.no, c.name, p.item_no, i.display_name FROM customers c"
            " JOIN customer_preferred_items p ON p.customer_no = c.no"
            " JOIN items i ON i.no = p.item_no"
            " JOIN price_list_lines l ON l.price_list_code = 'C-' || c.no"
            "  AND l.asset_no = p.item_no AND l.minimum_quantity > 0"
            " WHERE c.key_account = 1 AND c.blocked = '' AND c.currency_code = ''"
            " ORDER BY c.no, p.rank LIMIT 1"
        ).fetchone()
        if row is None:
            out.print("(no key account with a quantity-break agreement in this dataset)")
            return
        customer, name, item, item_name = row
        data = SqlitePriceData(conn)
        table = Table(title=f"{name} ({customer}) buys {item_name} ({item})", title_justify="left")
        for column in ("quantity", "unit price", "discount %", "line amount"):
            table.add_column(column, justify="right")
        table.add_column("price from")
        table.add_column("discount from")
        list_price = conn.execute("SELECT unit_price FROM items WHERE no = ?", (item,)).fetchone()
        for quantity in (1, 10, 100):
            result = resolve_price(data, PriceRequest(customer, item, quantity, as_of))
            table.add_row(
                str(quantity),
                f"{result.unit_price:,.4f}",
                f"{result.line_discount_pct:g}",
                f"{result.line_amount:,.2f}",
                _describe(result.price_source, "item card"),
                _describe(result.discount_source, "-"),
            )
        out.print(table)
        out.print(f"list price {list_price[0]:,.4f} EUR per base unit")
    finally:
        conn.close()


def _describe(source: LineRef | None, default: str) -> str:
    if source is None:
        return default
    return f"{source.price_list_code} #{source.line_no}"
