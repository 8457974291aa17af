"""Benchmark of the world over time: simulated events per second and wall time of the history.

For each profile: build the master data at the snapshot (history 0, not timed here), then
run the SimPy world over `--months` of history on one core in a fresh process, and print
wall and CPU seconds, SimPy events/s, order lines/s, rows written, peak RSS. As in
`erpsim generate`, the history tables get their indexes after the run: that step is timed
on its own ("index s"). The cost should grow with customers x orders per customer, so the
order-line rate is the figure to compare between profiles. The machine may be shared:
CPU seconds are the steadier figure, wall seconds what the target is set in.

    python bench/world.py                       # medium and large, 24 months
    python bench/world.py --profiles small --months 6

Targets (issue): large with 24 months in <= 180 s on one core, peak RSS <= 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 180.0
TARGET_RSS_MIB = 2048.0


def child(profile_name: str, master: Path, months: int) -> None:
    """Run the history on a copy of the master data; print one JSON line of figures."""
    os.sched_setaffinity(0, {0})
    from simulator.config import load_profile  # noqa: PLC0415 - child process only
    from simulator.erp.database import _configure_for_bulk_load  # noqa: PLC0415
    from simulator.erp.generate import MASTER_TABLES  # noqa: PLC0415
    from simulator.erp.history import run_history  # noqa: PLC0415
    from simulator.erp.schema import TABLES, index_sql  # noqa: PLC0415

    profile = load_profile(profile_name)
    work = master.with_suffix(".history.sqlite")
    shutil.copy(master, work)
    conn = sqlite3.connect(work)
    _configure_for_bulk_load(conn)
    # As `generate` does: the world needs the master tables' indexes (price lines above
    # all), the history tables get theirs after the run (older caches had them built).
    history_tables = tuple(t for t in TABLES if t not in MASTER_TABLES)
    for table in history_tables:
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL",
            (table.name,),
        ).fetchall():
            conn.execute(f"DROP INDEX {name}")
    before = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("sales_order_lines", "price_list_lines")
    }
    wall, cpu = time.perf_counter(), time.process_time()
    summary = run_history(conn, profile, seed=7, months=months)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    conn.commit()
    indexed = time.perf_counter()
    conn.executescript(index_sql(history_tables))
    indexed = time.perf_counter() - indexed
    after = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in before}
    written = sum(
        conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for name in (
            "sales_quotes",
            "sales_quote_lines",
            "sales_orders",
            "sales_order_lines",
            "sales_shipments",
            "sales_shipment_lines",
            "sales_invoices",
            "sales_invoice_lines",
            "customer_payments",
            "sales_credit_memos",
            "inquiries",
            "purchase_orders",
            "item_ledger_entries",
        )
    )
    conn.close()
    work.unlink()
    print(
        json.dumps(
            {
                "profile": profile_name,
                "months": months,
                "wall_s": wall,
                "index_s": indexed,
                "cpu_s": cpu,
                "events": summary.events,
                "order_lines": after["sales_order_lines"] - before["sales_order_lines"],
                "new_price_lines": after["price_list_lines"] - before["price_list_lines"],
                "rows_written": written,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def master_data(profile_name: str, months: int, cache: Path) -> Path:
    """The master data at the snapshot `months` before as_of (cached between runs)."""
    from simulator.config import load_profile  # noqa: PLC0415
    from simulator.erp.generate import MASTER_TABLES, generate  # noqa: PLC0415
    from simulator.erp.history import snapshot_date  # noqa: PLC0415
    from simulator.erp.schema import index_sql  # noqa: PLC0415

    path = cache / f"{profile_name}-snapshot-{months}.sqlite"
    if not path.exists():
        profile = load_profile(profile_name)
        snapshot = profile.model_copy(
            update={
                "as_of": snapshot_date(profile.as_of, months),
                "history": profile.history.model_copy(update={"months": 0}),
            }
        )
        print(f"building {profile_name} master data at {snapshot.as_of} ...", flush=True)
        generate(snapshot, seed=7, out=path, history_months=0)
        with sqlite3.connect(path) as conn:
            conn.executescript(index_sql(MASTER_TABLES))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="medium,large")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "erpsim-bench")
    parser.add_argument("--child", nargs=2, metavar=("PROFILE", "MASTER"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.months)
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.profiles.split(","):
        master = master_data(name, args.months, args.cache)
        out = subprocess.run(
            [sys.executable, __file__, "--months", str(args.months), "--child", name, str(master)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\n$ python bench/world.py --profiles {args.profiles} --months {args.months}")
    print(
        f"{'profile':8} {'wall s':>8} {'cpu s':>8} {'events':>10} {'events/s':>10} "
        f"{'order lines':>12} {'lines/s':>9} {'rows written':>13} {'RSS MiB':>8} {'index s':>8}"
    )
    for r in results:
        print(
            f"{r['profile']:8} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['events']:10,} "
            f"{r['events'] / r['wall_s']:10,.0f} {r['order_lines']:12,} "
            f"{r['order_lines'] / r['wall_s']:9,.0f} {r['rows_written']:13,} "
            f"{r['peak_rss_mib']:8,.0f} {r['index_s']:8.1f}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        work = last["order_lines"] / first["order_lines"]
        print(
            f"linearity: {last['profile']} has {work:.1f}x the order lines of "
            f"{first['profile']} and took {last['cpu_s'] / first['cpu_s']:.1f}x the CPU time"
        )
    for r in results:
        if r["profile"] == "large":
            verdict = "PASS" if r["wall_s"] <= TARGET_SECONDS else "MISS"
            rss = "PASS" if r["peak_rss_mib"] <= TARGET_RSS_MIB else "MISS"
            print(
                f"target large <= {TARGET_SECONDS:.0f} s: {r['wall_s']:.0f} s {verdict}; "
                f"peak RSS <= {TARGET_RSS_MIB:.0f} MiB: {r['peak_rss_mib']:.0f} MiB {rss}"
            )


if __name__ == "__main__":
    main()
