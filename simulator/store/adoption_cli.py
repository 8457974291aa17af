"""`erpsim adoption-metrics`: TR, TAU, TDA, KAAR and the secondary signals from a store's
event log, with the forecaster's definitions (see `adoption_metrics`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

from simulator.atomic import atomic_file
from simulator.errors import UserError

__all__ = ["adoption_metrics", "default_store_db", "register"]

# Where the stores keep their databases by default: `erpsim up` beside data/erp.sqlite,
# then `erpsim serve store`.
DEFAULT_STORE_DBS = (Path("data/erp.store.sqlite"), Path("data/store.sqlite"))

PRIMARY = ("TR", "TAU", "TDA", "KAAR")
SIGNALS = (
    "logins",
    "orders_online",
    "orders_on_behalf",
    "reorders",
    "orders_tracked_online",
    "invoices_paid_online",
    "invoice_history_searches",
    "return_requests_online",
    "offline_fallbacks",
)


def adoption_metrics(
    store_db: Annotated[
        Path | None,
        typer.Option(
            "--store-db",
            help="The store's SQLite database (default: data/erp.store.sqlite, what erpsim "
            "up writes, else data/store.sqlite, erpsim serve store's).",
        ),
    ] = None,
    period: Annotated[
        str, typer.Option("--period", help="month, week, day or hour (short runs: hour).")
    ] = "month",
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Take the 'regular buyer' definition from this scenario."),
    ] = None,
    history_out: Annotated[
        Path | None,
        typer.Option("--history-out", help="Also write the counts as a history CSV for calibrate."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Measure web-store adoption from a real store run, as the forecaster defines it."""
    from simulator.store.adoption_metrics import PERIODS, measure, open_store_db  # noqa: PLC0415

    if period not in PERIODS:
        raise UserError(f"--period must be one of {', '.join(PERIODS)}, not {period!r}")
    if history_out is not None and period != "month":
        raise UserError("--history-out needs --period month (calibrate reads monthly counts)")
    store_db = store_db or default_store_db()
    regular = None
    if scenario is not None:
        from simulator.adoption.scenario import load_scenario  # noqa: PLC0415

        regular = load_scenario(scenario).regular
    conn = open_store_db(store_db)
    try:
        result = measure(conn, period=period, regular=regular)  # type: ignore[arg-type,unused-ignore]
    finally:
        conn.close()
    if history_out is not None:
        _write_history(history_out, result.history_rows())
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    from simulator.adoption.display import share  # noqa: PLC0415

    table = Table(title=f"web-store adoption by {period} ({store_db})", title_justify="left")
    table.add_column(period)
    for name in (*PRIMARY, "buyers", "key acc."):
        table.add_column(name, justify="right")
    for name in SIGNALS:
        table.add_column(name.replace("_", " "), justify="right")
    for i, label in enumerate(result.periods):
        table.add_row(
            label,
            *(share(result.rates[name][i]) for name in PRIMARY),
            f"{int(result.counts['buyers_invited'][i]):,}",
            f"{int(result.counts['key_accounts_invited'][i]):,}",
            *(f"{int(result.flows[name][i]):,}" for name in SIGNALS),
        )
    Console(width=max(120, len(SIGNALS) * 12 + 60)).print(table)
    if history_out is not None:
        typer.echo(f"history written to {history_out} (erpsim calibrate --history {history_out})")


def default_store_db() -> Path:
    """The first of the stores' default databases that exists, or one clear UserError."""
    for path in DEFAULT_STORE_DBS:
        if path.is_file():
            return path
    up, serve = DEFAULT_STORE_DBS
    raise UserError(
        f"no store database at {up} (what erpsim up writes) or {serve} (erpsim serve "
        "store's): give --store-db"
    )


def _write_history(path: Path, rows: list[dict[str, object]]) -> None:
    """Atomically: a temp file beside the target, renamed into place."""
    if not rows:
        raise UserError("no periods to write")
    with atomic_file(path, force=True) as temp, temp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def register(app: typer.Typer) -> None:
    app.command("adoption-metrics")(adoption_metrics)
