"""`erpsim serve erp` as a user runs it: bad flags are one-line errors, and the server
(with two workers) serves, takes orders through its single writer and stops on Ctrl-C."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from simulator.erp_server.cli import serve_app
from simulator.erp_server.client import ErpClient
from simulator.errors import UserError

KEY = "cli-key"


def run(*args: str) -> BaseException | None:
    app = typer.Typer()
    app.add_typer(serve_app, name="serve")
    return CliRunner().invoke(app, ["serve", "erp", *args]).exception


@pytest.fixture(scope="module")
def db(small_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("erp-cli") / "erp.sqlite"
    shutil.copy(small_run.path, path)
    return path


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--latency", "p50=fast"], "--latency"),
        (["--latency", "sometimes:5ms"], "--latency"),
        (["--error-rate", "1.5"], "--error-rate"),
        (["--error-rate", "lots"], "--error-rate"),
        (["--error-mix", "500=x"], "--error-mix"),
        (["--outage", "for=10s"], "--outage"),
        (["--drip", "ratio=2"], "--drip"),
        (["--workers", "0"], "workers"),
        (["--base-path", "bc"], "--base-path"),
        (["--base-path", "/bc/"], "--base-path"),
        (["--base-path", "/b c"], "--base-path"),
    ],
)
def test_bad_flags_are_one_line_user_errors(db: Path, flags: list[str], message: str) -> None:
    error = run("--db", str(db), *flags)
    assert isinstance(error, UserError)
    assert message in str(error)
    assert "\n" not in str(error)


def test_missing_database_and_busy_port(db: Path, tmp_path: Path) -> None:
    error = run("--db", str(tmp_path / "none.sqlite"))
    assert isinstance(error, UserError)
    assert "not found" in str(error)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        error = run("--db", str(db), "--port", str(port), "--scratch")
    assert isinstance(error, UserError)
    assert "in use" in str(error)
    assert "use --port N for another port" in str(error)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(db: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    code = "from simulator.erp_server.cli import serve_app; serve_app()"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "--db",
            str(db),
            "--port",
            str(port),
            "--api-key",
            KEY,
            "--workers",
            "2",
            "--clock-speed",
            "600",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_two_workers_serve_and_stop_on_ctrl_c(served: tuple[str, subprocess.Popen[str]]) -> None:
    url, process = served
    with ErpClient(url, api_key=KEY, max_attempts=80, backoff=0.25, max_backoff=0.5) as erp:
        item = next(erp.iter("items", filter="blocked eq false", top=1))
        customer = next(
            erp.iter("customers", filter="blocked eq ''", orderby="creditLimit desc", top=1)
        )
        orders = [
            erp.create_order(customer["number"], [(item["number"], "", 1)], idempotency_key="w-1")
            for _ in range(6)
        ]
        assert len({o["id"] for o in orders}) == 1
        assert erp.get("salesOrders", orders[0]["id"])["number"] == orders[0]["number"]
        erp.request(
            "PUT", f"{url}/_admin/faults", json={"error_rate": 1.0, "error_mix": {"500": 1}}
        )
        deadline = time.monotonic() + 20
        failing = 0
        while failing < 4 and time.monotonic() < deadline:  # every worker picks it up
            status = erp.session.get(f"{url}/api/v2.0/items?$top=1").status_code
            failing = failing + 1 if status == 500 else 0
        assert failing == 4
        erp.request("PUT", f"{url}/_admin/faults", json={})
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "API key" in output
    assert "Traceback" not in output
