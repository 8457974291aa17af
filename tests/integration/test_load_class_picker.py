"""docs/load.md promises the personas selectable in Locust's web UI with ``--class-picker``:
the UI lists all seven, and a swarm of the one picked runs only that persona."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from loadtests.mix import PERSONAS
from simulator.load.runner import free_port
from tests.integration.test_load_helpers import ROOT


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return bytes(answer.read())


def _wait_for(url: str, process: subprocess.Popen[bytes], deadline: float) -> bytes:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"locust exited with {process.returncode}")
        try:
            return _get(url)
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"no answer from {url}")


def test_the_web_ui_picks_personas(small_db: Path, tmp_path: Path):
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    log = (tmp_path / "locust.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "loadtests/locustfile.py"),
         "--class-picker", "--web-host", "127.0.0.1", "--web-port", str(port),
         "--host", "http://127.0.0.1:1", "--erpsim-db", str(small_db), "--erpsim-secret", "s"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=tmp_path,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        page = _wait_for(base + "/", process, time.monotonic() + 60).decode()
        assert '"show_userclass_picker": true' in page
        listed = json.dumps(sorted(PERSONAS))
        assert f'"available_user_classes": {listed}' in page
        form = urllib.parse.urlencode(
            {"user_count": 1, "spawn_rate": 1, "host": "http://127.0.0.1:1",
             "user_classes": "OrderTracker"}
        ).encode()  # fmt: skip
        with urllib.request.urlopen(base + "/swarm", data=form, timeout=10) as answer:
            started = json.loads(answer.read())
        assert started["success"] is True
        assert started["user_classes"] == ["OrderTracker"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
