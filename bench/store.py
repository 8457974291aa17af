"""Benchmark of the reference store (`erpsim serve store`) against the mock ERP on `medium`.

Figures, never assertions. The ERP runs in its own process with its clock moving
(``--erp-clock-speed``, default 3600: an hour per wall second), the store in another
(pinned to CPU 0), Locust (FastHttpUser, headless, a bounded number of users) in a third
(pinned to CPU 1): the catalog page with the buyer's own prices (``GET /api/items``, 24
items), now and then an item page, for ``--seconds`` in batch mode, then in realtime mode.
Each mode gets a fresh store database (batch: the startup sync of every mirrored table,
timed). Printed per mode: requests/s and p50/p95/p99 per endpoint, ERP calls per offers
lookup (realtime: at most one batched call per page), and the accuracy the store measured
itself (a sampled share of shown prices and stock compared with the ERP at that moment).

    .venv/bin/python bench/store.py                     # builds the medium dataset once
    .venv/bin/python bench/store.py --seconds 20 --modes realtime

Locust is a core dependency (the load suite uses it too).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key"
SECRET = "bench-secret"
TARGET_RPS = 400.0
TARGET_P95_MS = 100.0
TARGET_ACCURACY = 0.999

LOCUSTFILE = """
import json, os, random
from locust import FastHttpUser, constant, task

USERS = json.load(open(os.environ["STORE_BENCH_USERS"]))


class Buyer(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.rng = random.Random()
        user = self.rng.choice(USERS)
        with self.client.post("/api/login", json={"email": user["email"],
                              "password": user["password"]}, name="login",
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"login {response.status_code}")
                return
            self.headers = {"Authorization": "Bearer " + response.json()["token"]}
        self.pages = user["pages"]
        self.items = user["items"]

    @task(10)
    def catalog(self):
        page = self.rng.randint(1, self.pages)
        self.client.get(f"/api/items?page={page}&pageSize=24", headers=self.headers,
                        name="catalog page")

    @task(1)
    def item(self):
        self.client.get(f"/api/items/{self.rng.choice(self.items)}", headers=self.headers,
                        name="item page")
"""

STORE_MAIN = """
import sys
from simulator.erp_server.server import bind_socket
from simulator.store.server import run_store
from simulator.store.settings import StoreSettings
settings = StoreSettings.model_validate_json(sys.argv[1])
run_store(settings, bind_socket(settings.host, settings.port))
"""


def ensure_dataset(cache: Path) -> Path:
    if cache.is_file():
        return cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    # One month of history is shorter than medium's stock lead times: two is the least.
    command = [str(ROOT / ".venv/bin/erpsim"), "generate", "--profile", "medium",
               "--history-months", "2", "--out", str(cache), "--quiet", "--force"]  # fmt: skip
    print(f"building {cache} (once): {' '.join(command)}", flush=True)
    subprocess.run(command, check=True)
    return cache


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"{what} failed: {err[-2000:]}")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{what} did not start")


def start_erp(db: Path, port: int, clock_speed: float) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c",
               "from simulator.erp_server.cli import serve_app; serve_app()",
               "--db", str(db), "--port", str(port), "--api-key", KEY, "--scratch",
               "--clock-speed", str(clock_speed), "--max-page-size", "20000"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_http(f"http://127.0.0.1:{port}/health", process, "the ERP")
    return process


def start_store(settings: dict[str, Any]) -> tuple[subprocess.Popen[bytes], float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", STORE_MAIN, json.dumps(settings)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.sched_setaffinity(0, {0}),  # noqa: PLW1509 - no threads here
    )
    wait_http(f"http://127.0.0.1:{settings['port']}/api/integration", process, "the store")
    return process, time.perf_counter() - started


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def demo_users(store_db: Path, count: int) -> list[dict[str, Any]]:
    """Registered buyers with their demo passwords, their catalog size and a few items."""
    sys.path.insert(0, str(ROOT))
    from simulator.store.accounts import demo_password  # noqa: PLC0415

    conn = sqlite3.connect(f"file:{store_db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT u.email, u.customer_no FROM users u JOIN customers c ON c.no = u.customer_no"
            " WHERE u.role = 'buyer' AND u.state = 'registered' AND u.password_hash = 'demo'"
            " AND c.blocked = '' ORDER BY u.id LIMIT ?",
            (count,),
        ).fetchall()
        users = []
        for email, customer in rows:
            items = [
                r[0]
                for r in conn.execute(
                    "SELECT i.no FROM items i"
                    " JOIN item_categories c ON c.code = i.item_category_code"
                    " JOIN customer_assortment a ON a.item_category_code"
                    " IN (c.code, c.parent_code)"
                    " WHERE a.customer_no = ? AND i.blocked = 0 ORDER BY i.no LIMIT 480",
                    (customer,),
                )
            ]
            if len(items) < 24:
                continue
            users.append(
                {
                    "email": email,
                    "password": demo_password(SECRET, email),
                    "pages": max(1, min(20, len(items) // 24)),
                    "items": items,
                }
            )
        return users
    finally:
        conn.close()


def run_locust(port: int, users_file: Path, users: int, seconds: int, workdir: Path,
               mode: str) -> list[dict[str, str]]:  # fmt: skip
    locustfile = workdir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    prefix = workdir / f"stats-{mode}"
    env = {**os.environ, "STORE_BENCH_USERS": str(users_file)}
    command = [str(ROOT / ".venv/bin/locust"), "-f", str(locustfile), "--headless",
               "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
               "-H", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
               "--loglevel", "ERROR"]  # fmt: skip
    done = subprocess.run(
        command, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=lambda: os.sched_setaffinity(0, {1}),
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not any(int(row["Request Count"]) for row in rows):
        print(f"locust made no requests: {done.stderr.decode()[-3000:]}")
    return rows


def settle(url: str) -> dict[str, Any]:
    """The store's metrics once its accuracy sampler stopped adding samples."""
    last = -1
    for _ in range(100):
        snapshot: dict[str, Any] = requests.get(url, timeout=30).json()
        samples = sum(row["samples"] for row in snapshot["accuracy"].values())
        if samples == last:
            return snapshot
        last = samples
        time.sleep(0.5)
    return snapshot


def bench_mode(mode: str, args: argparse.Namespace, erp_url: str, workdir: Path) -> dict:
    port = free_port()
    store_db = workdir / f"store-{mode}.sqlite"
    settings = {
        "db": str(store_db), "erp_url": erp_url, "erp_key": KEY, "port": port,
        "integration": mode, "sync_interval": args.sync_interval,
        "accuracy_sample": args.accuracy_sample, "secret": SECRET, "seed": 7,
    }  # fmt: skip
    process, startup = start_store(settings)
    try:
        url = f"http://127.0.0.1:{port}"
        status = requests.get(f"{url}/api/integration", timeout=30).json()
        users = demo_users(store_db, 200)
        users_file = workdir / f"users-{mode}.json"
        users_file.write_text(json.dumps(users))
        clock_before = requests.get(f"{erp_url}/api/v2.0/$clock", headers={"api-key": KEY},
                                    timeout=30).json()  # fmt: skip
        rows = run_locust(port, users_file, args.users, args.seconds, workdir, mode)
        snapshot = settle(f"{url}/api/metrics")
        clock_after = requests.get(f"{erp_url}/api/v2.0/$clock", headers={"api-key": KEY},
                                   timeout=30).json()  # fmt: skip
    finally:
        stop(process)
    return {
        "mode": mode,
        "startup": startup,
        "sync": status.get("lastSync"),
        "rows": rows,
        "metrics": snapshot,
        "clock": (clock_before["now"], clock_after["now"]),
    }


def report(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    mode, snap = result["mode"], result["metrics"]
    print(f"\n== {mode} ==  store startup {result['startup']:.1f} s", end="")
    if result["sync"]:
        rows = sum(result["sync"]["rows"].values())
        print(f" (initial sync {rows:,} rows in {result['sync']['seconds']:.1f} s)", end="")
    print(f"; ERP clock {result['clock'][0]} -> {result['clock'][1]}")
    header = ("endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "failures")
    print(f"{header[0]:<14}" + "".join(f"{h:>10}" for h in header[1:]))
    for row in result["rows"]:
        print(
            f"{row['Name']:<14}{float(row['Requests/s']):>10,.1f}{row['50%']:>10}"
            f"{row['95%']:>10}{row['99%']:>10}{int(row['Request Count']):>10,}"
            f"{int(row['Failure Count']):>10,}"
        )
    offers = snap["offers"]
    prices = snap["erp"].get("prices", {}).get("count", 0)
    per_page = prices / offers["calls"] if offers["calls"] else 0.0
    print(f"offers lookups {offers['calls']:,}, ERP price calls {prices:,} "
          f"({per_page:.3f} per page), stale lookups {offers['stale']:,}")  # fmt: skip
    summary = []
    for key, acc in snap["accuracy"].items():
        ratio = acc["ratio"] if acc["ratio"] is not None else float("nan")
        print(f"accuracy {key:<16} {ratio:8.4%} of {acc['samples']:,} samples")
    checks = [v for v in snap["accuracy"].values()]
    total = sum(v["samples"] for v in checks)
    matched = sum(v["matched"] for v in checks)
    accuracy = matched / total if total else float("nan")
    catalog = next((r for r in result["rows"] if r["Name"] == "catalog page"), None)
    if catalog is not None:
        rps, p95 = float(catalog["Requests/s"]), float(catalog["95%"])
        if mode == "batch":
            verdict = "PASS" if rps >= TARGET_RPS and p95 <= TARGET_P95_MS else "MISS"
            summary.append(("batch catalog page", f">= {TARGET_RPS:.0f}/s at p95 <= "
                            f"{TARGET_P95_MS:.0f} ms", f"{rps:,.0f}/s, p95 {p95:.0f} ms",
                            verdict))  # fmt: skip
        else:
            verdict = "PASS" if per_page <= 1.0 else "MISS"
            summary.append(("realtime ERP calls per page", "<= 1", f"{per_page:.3f}", verdict))
    verdict = "PASS" if mode == "batch" or accuracy >= TARGET_ACCURACY else "MISS"
    summary.append((f"{mode} accuracy (price+stock)",
                    ">= 99.9 %" if mode == "realtime" else "(figure)",
                    f"{accuracy:.4%}", verdict))  # fmt: skip
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / "data/bench/erp-medium-h2.sqlite")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--modes", default="batch,realtime")
    parser.add_argument("--erp-clock-speed", type=float, default=3600.0)
    parser.add_argument("--sync-interval", type=float, default=30.0,
                        help="batch: wall seconds between delta syncs")  # fmt: skip
    parser.add_argument("--accuracy-sample", type=float, default=0.02)
    args = parser.parse_args()
    db = ensure_dataset(args.cache)
    erp_port = free_port()
    erp_url = f"http://127.0.0.1:{erp_port}"
    print(f"ERP on {erp_url} over a scratch copy of {db}, clock x{args.erp_clock_speed:g}; "
          f"{args.users} Locust users, {args.seconds} s per mode", flush=True)  # fmt: skip
    erp = start_erp(db, erp_port, args.erp_clock_speed)
    summary: list[tuple[str, str, str, str]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
            for mode in args.modes.split(","):
                summary += report(bench_mode(mode, args, erp_url, Path(tmp)))
    finally:
        stop(erp)
    print("\nsummary")
    for what, target, measured, verdict in summary:
        print(f"  {what:<32} target {target:<26} measured {measured:<22} {verdict}")
    print(f"  machine: {os.cpu_count()} CPUs; command: {' '.join(sys.argv)}")


if __name__ == "__main__":
    main()
