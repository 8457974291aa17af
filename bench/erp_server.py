"""Benchmark of the mock ERP API (`erpsim serve erp`) on the `large` dataset.

Figures, never assertions. The server runs in its own process (pinned to CPU 0 with one
worker); Locust (FastHttpUser, headless) drives it from another process pinned to CPU 1.
Each request class is measured alone at saturation (single reads, paged reads of 100 items,
price calculations, order creations), then a mix, with zero injected latency; then the same
with ``--workers 2`` (unpinned: the two workers and Locust share both cores); then one run
with injected latency to show throughput is bounded by latency x concurrency, not by the
server.

    .venv/bin/python bench/erp_server.py          # builds data/bench/erp-large-h0.sqlite once
    .venv/bin/python bench/erp_server.py --profile small --seconds 5   # quick look

Needs locust (``pip install locust``); the dataset is generated into ``--cache`` if missing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key"
TARGETS = {"read": 3000.0, "price": 1500.0, "page100": 500.0}
P99_TARGET_MS = {"price": 20.0}

LOCUSTFILE = """
import json, os, random, uuid
from locust import FastHttpUser, constant, task

SAMPLE = json.load(open(os.environ["ERP_BENCH_SAMPLE"]))
CLASSES = set(os.environ["ERP_BENCH_CLASSES"].split(","))
HEADERS = {"api-key": SAMPLE["key"], "Content-Type": "application/json"}
CUSTOM = "/api/erpsim/commerce/v1.0"  # the custom API group


class Integration(FastHttpUser):
    wait_time = constant(0)

    @task(10 if "read" in CLASSES else 0)
    def read(self):
        self.client.get(f"/api/v2.0/items({random.choice(SAMPLE['item_ids'])})",
                        headers=HEADERS, name="read")

    @task(3 if "page100" in CLASSES else 0)
    def page100(self):
        start = random.choice(SAMPLE["item_numbers"])
        self.client.get(f"/api/v2.0/items?$top=100&$filter=number ge '{start}'",
                        headers=HEADERS, name="page100")

    @task(6 if "price" in CLASSES else 0)
    def price(self):
        customer = random.choice(SAMPLE["customers"])
        item, unit = random.choice(SAMPLE["lines"])
        body = {"customerNumber": customer, "itemNumber": item, "unitOfMeasureCode": unit,
                "quantity": random.choice([1, 5, 12, 50])}
        self.client.post(f"{CUSTOM}/calculatePrice", data=json.dumps(body), headers=HEADERS,
                         name="price")

    @task(1 if "order" in CLASSES else 0)
    def order(self):
        customer = random.choice(SAMPLE["customers"])
        item, unit = random.choice(SAMPLE["lines"])
        body = {"customerNumber": customer,
                "salesOrderLines": [{"itemNumber": item, "unitOfMeasureCode": unit, "quantity": 1}]}
        headers = {**HEADERS, "Idempotency-Key": str(uuid.uuid4())}
        with self.client.post("/api/v2.0/salesOrders", data=json.dumps(body), headers=headers,
                              name="order", catch_response=True) as response:
            if response.status_code == 409:  # credit limit: a correct ERP answer
                response.success()
"""


def ensure_dataset(cache: Path, profile: str, months: int | None) -> Path:
    if cache.is_file():
        return cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(ROOT / ".venv/bin/erpsim"),
        "generate",
        "--profile",
        profile,
        "--out",
        str(cache),
        "--quiet",
        "--force",
    ]
    if months is not None:
        command += ["--history-months", str(months)]
    print(f"building {cache} (once): {' '.join(command)}", flush=True)
    subprocess.run(command, check=True)
    return cache


def sample(db: Path, out: Path) -> None:
    """Real keys for the load: item ids and numbers, buyable (customer, item, unit) lines."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rng = random.Random(7)
    items = conn.execute("SELECT id, no FROM items WHERE blocked = 0").fetchall()
    picked = rng.sample(items, min(20000, len(items)))
    customers = [
        r[0]
        for r in conn.execute(
            "SELECT no FROM customers WHERE blocked = '' ORDER BY credit_limit DESC LIMIT 2000"
        )
    ]
    lines = conn.execute(
        "SELECT item_no, unit_of_measure_code FROM customer_preferred_items p"
        " JOIN items i ON i.no = p.item_no WHERE i.blocked = 0 LIMIT 20000"
    ).fetchall()
    conn.close()
    out.write_text(
        json.dumps(
            {
                "key": KEY,
                "item_ids": [r[0] for r in picked],
                "item_numbers": sorted(r[1] for r in picked),
                "customers": customers,
                "lines": [list(r) for r in lines],
            }
        )
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(db: Path, port: int, workers: int, latency: str | None) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "from simulator.erp_server.cli import serve_app; serve_app()",
        "--db",
        str(db),
        "--port",
        str(port),
        "--api-key",
        KEY,
        "--scratch",
        "--clock-speed",
        "60",
        "--workers",
        str(workers),
    ]
    if latency:
        command += ["--latency", latency]
    pin = (lambda: os.sched_setaffinity(0, {0})) if workers == 1 else None
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=pin,  # noqa: PLW1509 - the bench runs no threads
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"server failed: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("server did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_locust(
    port: int, classes: str, users: int, seconds: int, workdir: Path
) -> list[dict[str, str]]:
    locustfile = workdir / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    prefix = workdir / f"stats-{classes.replace(',', '-')}-{port}"
    env = {
        **os.environ,
        "ERP_BENCH_SAMPLE": str(workdir / "sample.json"),
        "ERP_BENCH_CLASSES": classes,
    }
    command = [
        str(ROOT / ".venv/bin/locust"),
        "-f",
        str(locustfile),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "-H",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
    ]
    subprocess.run(
        command,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {1}),
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]


def report(
    title: str, rows: list[dict[str, str]], results: list[tuple[str, dict[str, str]]]
) -> None:
    print(f"\n{title}")
    header = ("class", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "failures")
    print(f"{header[0]:<10}" + "".join(f"{h:>10}" for h in header[1:]))
    for row in rows:
        print(
            f"{row['Name']:<10}{float(row['Requests/s']):>10,.0f}{row['50%']:>9}{row['95%']:>9}"
            f"{row['99%']:>9}{int(row['Request Count']):>10,}{int(row['Failure Count']):>10,}"
        )
        results.append((title, row))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", default="large")
    parser.add_argument("--cache", type=Path, default=None, help="dataset file (built if missing)")
    parser.add_argument(
        "--history-months",
        type=int,
        default=0,
        help="months of history to generate (default 0: reads and prices cost the same with"
        " history; the full large history takes long to build)",
    )
    parser.add_argument("--seconds", type=int, default=15, help="per measurement")
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--skip-workers", action="store_true")
    args = parser.parse_args()
    name = f"erp-{args.profile}-h{args.history_months}.sqlite"
    cache = args.cache or ROOT / "data" / "bench" / name
    db = ensure_dataset(cache, args.profile, args.history_months)
    results: list[tuple[str, dict[str, str]]] = []
    with tempfile.TemporaryDirectory(prefix="erp-bench-") as tmp:
        workdir = Path(tmp)
        sample(db, workdir / "sample.json")
        configs = [(1, "1 worker (server on CPU 0, Locust on CPU 1)")]
        if not args.skip_workers:
            configs.append((2, "--workers 2 (unpinned, Locust on CPU 1)"))
        for workers, label in configs:
            port = free_port()
            server = start_server(db, port, workers, None)
            try:
                for classes in ("read", "page100", "price", "order"):
                    rows = run_locust(port, classes, args.users, args.seconds, workdir)
                    report(f"{label}: {classes} alone", rows, results)
                rows = run_locust(
                    port, "read,page100,price,order", args.users, args.seconds, workdir
                )
                report(f"{label}: mix 10 read : 3 page100 : 6 price : 1 order", rows, results)
            finally:
                stop_server(server)
        port = free_port()
        users, latency_ms = 200, 50
        server = start_server(db, port, 1, f"{latency_ms}ms")
        try:
            rows = run_locust(port, "read", users, args.seconds, workdir)
            report(
                f"1 worker, injected latency {latency_ms}ms, {users} users "
                f"(bound: {users / (latency_ms / 1000):,.0f} req/s)",
                rows,
                results,
            )
        finally:
            stop_server(server)
    print("\nsummary against the issue's targets (1 worker, each class alone):")
    for title, row in results:
        name = row["Name"]
        if not title.startswith("1 worker (") or not title.endswith(f"{name} alone"):
            continue
        if name in TARGETS:
            rate = float(row["Requests/s"])
            ok = rate >= TARGETS[name] and int(row["Failure Count"]) == 0
            p99 = P99_TARGET_MS.get(name)
            if p99 is not None:
                ok = ok and float(row["99%"]) <= p99
            extra = f", p99 {row['99%']} ms (target <= {p99:g})" if p99 else ""
            print(
                f"  {name:<8} {rate:>8,.0f} req/s (target >= {TARGETS[name]:,.0f}){extra}, "
                f"failures {row['Failure Count']}: {'PASS' if ok else 'MISS'}"
            )
    print(f"\nmachine: {os.cpu_count()} CPUs; dataset {db} ({db.stat().st_size / 1e9:.2f} GB)")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
