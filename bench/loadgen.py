"""Benchmark of the load generator itself (`loadtests/`), and `erpsim load` end to end.

Figures, never assertions. One Locust process (one core, gevent) at saturation (zero wait)
against servers running in another process:

1. requests/s and CPU microseconds per request of HttpUser vs FastHttpUser on a trivial
   endpoint of the store (``GET /api/integration``) and of a minimal Starlette app
   (``GET /ping``): what one worker process can offer;
2. the suite's own overhead per request: a bare FastHttpUser task ``GET /api/items/{no}``
   vs the same request made through the personas' store client adapter (bearer header,
   request-class name, JSON body parsed), both against the Starlette app serving a
   catalog-sized item body. Target: the adapter adds <= 20 % CPU per request;
3. ``erpsim load`` with the default mix on ``medium`` (dataset generated once into
   ``data/load-medium.sqlite``): requests/s, store p50/p95/p99, failures, integrity.

    .venv/bin/python bench/loadgen.py                  # everything (medium takes minutes)
    .venv/bin/python bench/loadgen.py --skip-e2e --seconds 5   # the generator alone

CPU per request is the Locust process's user+system CPU time over its requests (from
``getrusage`` of the child), which does not depend on how fast the server answers.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ITEM = {
    "number": "1000001",
    "displayName": "Alpen cable tie 200 mm, black, pack of 100",
    "categoryCode": "ELEC-CBL-001",
    "baseUnitOfMeasure": "PCS",
    "gtin": "8412345678901",
    "unitsOfMeasure": [
        {"code": "PCS", "qtyPerUnitOfMeasure": 1},
        {"code": "BOX", "qtyPerUnitOfMeasure": 100},
    ],
    "offer": {"unitPrice": 12.5, "discountPercent": 8.0, "netUnitPrice": 11.5, "currencyCode": "",
              "breaks": [{"minimumQuantity": 1, "netUnitPrice": 11.5},
                         {"minimumQuantity": 50, "netUnitPrice": 10.81}],
              "available": 420.0, "stale": False},
}  # fmt: skip

LOCUSTFILE = '''
from locust import FastHttpUser, HttpUser, constant, task
from loadtests.store_client import ErpsimStoreClient

PATH = "{path}"

class BareHttp(HttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get(PATH, name=PATH)

class BareFast(FastHttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get(PATH, name=PATH)

class BareFastItem(FastHttpUser):
    """What a hand-written locustfile does: one GET, grouped name."""
    wait_time = constant(0)
    n = 0
    @task
    def get(self):
        self.n += 1
        self.client.get(f"/api/items/{{1000000 + self.n % 500}}", name="/api/items/[id]")

class PersonaItem(FastHttpUser):
    """The same request through the personas' adapter (login once, then item pages)."""
    wait_time = constant(0)
    n = 0
    def on_start(self):
        self.store = ErpsimStoreClient(self.client)
        self.store.login("bench@example.com", "secret")
    @task
    def get(self):
        self.n += 1
        self.store.item(str(1000000 + self.n % 500))
'''


def starlette_app():
    import orjson  # noqa: PLC0415
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.responses import Response  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    item = orjson.dumps(ITEM)
    token = orjson.dumps({"token": "t" * 43, "csrfToken": "c", "user": {}})

    async def ping(request):
        return Response(b'{"ok":true}', media_type="application/json")

    async def login(request):
        return Response(token, media_type="application/json")

    async def items(request):
        return Response(item, media_type="application/json")

    return Starlette(
        routes=[
            Route("/ping", ping),
            Route("/api/login", login, methods=["POST"]),
            Route("/api/items/{number}", items),
        ]
    )


def serve_store(ready: Path) -> None:
    """Child process: the mock ERP and the store on loopback ports until stdin closes."""
    from simulator.load.runner import LoadSettings, dataset_path, embedded  # noqa: PLC0415

    settings = LoadSettings(out=Path("unused"), duration=1, profile="small", clock_speed=0.0)
    with (
        tempfile.TemporaryDirectory() as tmp,
        embedded(settings, dataset_path(settings), Path(tmp)) as servers,
    ):
        ready.write_text(servers.store_url, encoding="utf-8")
        sys.stdin.read()


def free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 300.0) -> None:
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
        else:
            return
    raise RuntimeError(f"{url} did not come up")


def locust_run(host: str, path: str, user_class: str, users: int, seconds: int) -> dict:
    """One saturated Locust process; rps and CPU per request."""
    with tempfile.TemporaryDirectory() as tmp:
        locustfile = Path(tmp) / "bench_locustfile.py"
        locustfile.write_text(LOCUSTFILE.format(path=path), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host,
             "-u", str(users), "-r", str(users), "--run-time", f"{seconds}s", "--only-summary",
             "--csv", str(Path(tmp) / "r"), "--loglevel", "ERROR", user_class],
            env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with (Path(tmp) / "r_stats.csv").open(encoding="utf-8") as handle:
            rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    requests = int(total["Request Count"])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "requests": requests,
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "cpu_us_per_request": cpu / max(requests, 1) * 1e6,
        "p50": total["50%"],
        "p95": total["95%"],
    }


def show(label: str, figures: dict) -> None:
    print(
        f"  {label:<46} {figures['rps']:>8,.0f} req/s  {figures['cpu_us_per_request']:>6.0f} "
        f"us CPU/req  p50 {figures['p50']:>4} ms  p95 {figures['p95']:>4} ms  "
        f"({figures['requests']:,} requests, {figures['failures']} failed)"
    )


def generator(seconds: int, users: int) -> None:
    port = free_port()
    starlette = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "loadgen:starlette_app", "--port",
         str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT / "bench", env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "store-url"
        store = subprocess.Popen(
            [sys.executable, __file__, "--serve-store", str(ready)], stdin=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
        )  # fmt: skip
        try:
            mini = f"http://127.0.0.1:{port}"
            wait_for(mini + "/ping")
            deadline = time.monotonic() + 600
            while not ready.is_file() and time.monotonic() < deadline:
                time.sleep(0.2)
            store_url = ready.read_text(encoding="utf-8")
            print(f"one Locust process, {users} users, zero wait, {seconds} s per run "
                  f"(cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f})")  # fmt: skip
            print("trivial endpoints (what one worker process offers):")
            figures = {}
            for server, host, path in (
                ("store GET /api/integration", store_url, "/api/integration"),
                ("Starlette GET /ping", mini, "/ping"),
            ):
                for cls in ("BareHttp", "BareFast"):
                    name = "HttpUser" if cls == "BareHttp" else "FastHttpUser"
                    figures[(server, cls)] = locust_run(host, path, cls, users, seconds)
                    show(f"{server}, {name}", figures[(server, cls)])
            for server in ("store GET /api/integration", "Starlette GET /ping"):
                fast, slow = figures[(server, "BareFast")], figures[(server, "BareHttp")]
                speed = fast["rps"] / max(slow["rps"], 1)
                cheaper = slow["cpu_us_per_request"] / max(fast["cpu_us_per_request"], 1)
                print(f"  -> {server}: FastHttpUser {speed:.2f}x the requests/s of HttpUser, "
                      f"{cheaper:.2f}x less CPU per request")  # fmt: skip
            print("the suite's overhead per request (Starlette serving an item page):")
            bare = locust_run(mini, "/ping", "BareFastItem", users, seconds)
            show("bare FastHttpUser task", bare)
            persona = locust_run(mini, "/ping", "PersonaItem", users, seconds)
            show("the same through the store client adapter", persona)
            overhead = persona["cpu_us_per_request"] / bare["cpu_us_per_request"] - 1
            verdict = "meets" if overhead <= 0.20 else "MISSES"
            print(f"  -> adapter overhead {overhead:+.1%} CPU per request "
                  f"({verdict} the <= 20 % target)")  # fmt: skip
        finally:
            for process in (starlette, store):
                if process.stdin:
                    process.stdin.close()
                process.terminate()
                process.wait(timeout=30)


def end_to_end(duration: str, users: int, profile: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        print(f"erpsim load --profile {profile} --users {users} --duration {duration} "
              "(default mix; dataset generated once into data/load-<profile>.sqlite)")  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "simulator.load", "--profile", profile, "--users", str(users),
             "--duration", duration, "--out", str(out), "--slo", "p95<1s"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
            text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - started
        if not (out / "summary.json").is_file():
            print(f"  failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
            return
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    total, store = summary["total"], summary["store"]
    integrity = summary["data_checks"]["integrity"]
    print(f"  exit {done.returncode}, wall {wall:.0f} s (run {summary['run']['wall_seconds']} s)")
    print(f"  all requests   {total['requests']:,} ({total['failures']} failed), "
          f"{total['rps']:.1f} req/s")  # fmt: skip
    print(f"  store requests {store['requests']:,}, p50 {store['p50_ms']} ms, "
          f"p95 {store['p95_ms']} ms, p99 {store['p99_ms']} ms, "
          f"error ratio {store['fail_ratio']:.4f}")  # fmt: skip
    slowest = sorted(summary["requests"], key=lambda r: -(r["p95_ms"] or 0))[:5]
    for row in slowest:
        print(f"    {row['method']:>6} {row['name']:<34} {row['requests']:>6} req  "
              f"p50 {row['p50_ms']:>5} ms  p95 {row['p95_ms']:>5} ms  "
              f"p99 {row['p99_ms']:>5} ms")  # fmt: skip
    state = "ok" if integrity["ok"] else "VIOLATED"
    print(f"  orders placed {integrity['placed_orders']}, found in the ERP "
          f"{integrity['erp_orders_found']}, integrity {state}; cx {summary['cx']}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per generator run")
    parser.add_argument("--users", type=int, default=32, help="generator runs' users")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--e2e-duration", default="60s")
    parser.add_argument("--e2e-users", type=int, default=50)
    parser.add_argument("--profile", default="medium")
    parser.add_argument("--serve-store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_store:
        serve_store(args.serve_store)
        return
    generator(args.seconds, args.users)
    if not args.skip_e2e:
        end_to_end(args.e2e_duration, args.e2e_users, args.profile)


if __name__ == "__main__":
    main()
