"""The load section of `erpsim demo`: a short, bounded Locust run against the embedded store.

A few virtual users for a few seconds, the mock ERP and the store on 127.0.0.1 (private
copies, deleted afterwards); the run's summary, with the customer experience it measured
(``cx``), is what the demo's forecast reads as ``--cx-from``.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from simulator.load.cli import warmup_for
from simulator.load.runner import LoadSettings, run_load

__all__ = ["DEMO_SECONDS", "DEMO_USERS", "demo_section"]

DEMO_SECONDS = 4.0
DEMO_USERS = 4


def demo_section(db: Path, workdir: Path, console: Console) -> Path:
    """Load-test the store on ``db`` for DEMO_SECONDS; the path of the run's summary.json."""
    out = workdir / "load"
    settings = LoadSettings(
        out=out,
        duration=DEMO_SECONDS,
        warmup=warmup_for(None, DEMO_SECONDS),  # as `erpsim load`: the login ramp left out
        users=DEMO_USERS,
        db=db,
        clock_speed=0.0,
        force=True,
    )
    result = run_load(settings)
    total = result.summary.get("total", {})
    store = result.summary.get("store", {})
    console.print(
        f"{DEMO_USERS} virtual users for {DEMO_SECONDS:g} s against the embedded store on "
        f"127.0.0.1: {total.get('requests', 0)} requests, {total.get('failures', 0)} failed, "
        f"store p95 {store.get('p95_ms')} ms"
    )
    for line in result.messages:
        console.print(line)
    cx = result.summary.get("cx") or {}
    measured = ", ".join(f"{key} {value:g}" for key, value in cx.items() if value is not None)
    console.print(f"customer experience measured: {measured or 'none'}")
    console.print(f"report: {out / 'report.html'}  (erpsim load --help for longer runs)")
    return out / "summary.json"
