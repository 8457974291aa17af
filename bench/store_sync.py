"""The store's master-data sync through Business Central's API and through SAP's A2X
services, over one dataset served by the real mock ERP (frozen clock): wall seconds and ERP
calls of a first sync and of a delta right after, and the SAP/BC ratio of each.

Figures, never assertions. The two syncs mirror the same tables (items, units, customers,
contacts, categories, assortments; BC's also salespeople and the customizing tables SAP's
services do not carry).

    .venv/bin/python bench/store_sync.py [data/medium.sqlite]   (default: a small dataset)
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.config import load_profile  # noqa: E402
from simulator.erp.generate import generate  # noqa: E402
from simulator.erp_server.client import ErpClient  # noqa: E402
from simulator.erp_server.server import ServerThread  # noqa: E402
from simulator.erp_server.settings import ServerSettings  # noqa: E402
from simulator.store.sap_client import SapClient  # noqa: E402
from simulator.store.sap_sync import SapSynchronizer  # noqa: E402
from simulator.store.sync import MASTER_TABLES, Synchronizer, create_mirror  # noqa: E402

KEY = "bench-key"


def _timed(run: Callable[[], dict[str, int]], calls: list[float]) -> tuple[float, int, int]:
    before = len(calls)
    started = time.perf_counter()
    rows = run()
    return time.perf_counter() - started, len(calls) - before, sum(rows.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, nargs="?", help="a dataset (default: small, generated)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        served = work / "erp.sqlite"
        if args.db is None:
            generate(load_profile("small"), seed=7, out=served)
        else:
            shutil.copyfile(args.db, served)
        with ServerThread(ServerSettings(db=served, api_key=KEY, clock_speed=0.0)) as erp:
            figures = {}
            for flavor in ("bc", "sap"):
                mirror = work / f"{flavor}.sqlite"
                conn = sqlite3.connect(mirror)
                create_mirror(conn)
                conn.close()
                calls: list[float] = []
                record = lambda kind, seconds, ok, calls=calls: calls.append(seconds)  # noqa: E731
                connect = lambda mirror=mirror: sqlite3.connect(mirror)  # noqa: E731
                if flavor == "bc":
                    client: ErpClient | SapClient = ErpClient(erp.url, api_key=KEY)
                    sync: Synchronizer | SapSynchronizer = Synchronizer(
                        connect, client, tables=MASTER_TABLES, on_call=record
                    )
                else:
                    client = SapClient(erp.url, api_key=KEY)
                    sync = SapSynchronizer(connect, client, on_call=record)
                with client:
                    figures[flavor] = (_timed(sync.run_once, calls), _timed(sync.run_once, calls))
    print(f"{'':8}{'first s':>10}{'calls':>7}{'rows':>9}{'delta s':>10}{'calls':>7}{'rows':>9}")
    for flavor, (first, delta) in figures.items():
        print(f"{flavor:8}{first[0]:10.2f}{first[1]:7d}{first[2]:9,d}"
              f"{delta[0]:10.2f}{delta[1]:7d}{delta[2]:9,d}")  # fmt: skip
    (bc_first, bc_delta), (sap_first, sap_delta) = figures["bc"], figures["sap"]
    print(f"SAP/BC  first sync {sap_first[0] / bc_first[0]:.2f}x,"
          f" delta {sap_delta[0] / bc_delta[0]:.2f}x (wall seconds, one run)")  # fmt: skip


if __name__ == "__main__":
    main()
