"""Helpers of the load-test integration tests (no tests here): run `erpsim load` as a user
does (a subprocess: Locust's gevent patching stays out of the test process), write a fast
load mix, and look for processes left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240

# Short think times so that a run of a few seconds walks every journey several times.
FAST_MIX = """
name = "test-fast"
pacing = 2.0
[personas.Reorderer]
weight = 2
think_min = 0.05
think_max = 0.2
[personas.CatalogBrowser]
weight = 2
think_min = 0.05
think_max = 0.2
[personas.QuoteRequester]
weight = 2
think_min = 0.05
think_max = 0.2
[personas.InvoicePayer]
weight = 2
think_min = 0.05
think_max = 0.2
[personas.OrderTracker]
weight = 1
think_min = 0.05
think_max = 0.2
[personas.SalesRep]
weight = 2
think_min = 0.05
think_max = 0.2
[personas.ErpIntegrationClient]
weight = 1
think_min = 0.2
think_max = 0.5
[journeys]
save_cart_share = 0.5
pay_share = 1.0
"""


def fast_mix(directory: Path) -> Path:
    path = directory / "load-test-fast.toml"
    path.write_text(FAST_MIX, encoding="utf-8")
    return path


def erpsim_load(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``erpsim load ARGS`` (``python -m simulator load``), run from `cwd`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "simulator", "load", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that contain `text` (the process table)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found
