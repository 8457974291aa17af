"""`erpsim serve store`: the reference B2B store from the command line.

The lead wires it into the main CLI with ``register(serve_app)`` (the ``serve`` sub-app of
`simulator.erp_server.cli`). The command parses flags into `StoreSettings` (a bad flag, an
unreachable ERP or a busy port is a one-line UserError) and calls the library.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from simulator.errors import UserError

__all__ = ["check_customizing", "parse_duration", "register", "serve_store"]

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?\s*$")


def parse_duration(text: str, flag: str = "--sync-interval") -> float:
    """'1h', '30m', '90s', '1.5h' or plain seconds ('3600') -> seconds (> 0)."""
    match = DURATION.match(text)
    if match is None:
        raise UserError(f"{flag}: {text!r} is not a duration (e.g. 1h, 30m, 90s or seconds)")
    number, unit = float(match.group(1)), match.group(2) or "s"
    seconds = number / 1000.0 if unit == "ms" else number * UNITS[unit]
    if seconds <= 0:
        raise UserError(f"{flag}: must be more than 0 seconds")
    return seconds


FLAVORS = ("bc", "sap")
FLAVOR_HELP = (
    "The ERP API the store speaks for prices, stock and orders: bc (Business Central v2.0) "
    "or sap (SAP S/4HANA A2X OData V2)."
)


def check_flavor(value: str, integration: str | None = None) -> str:
    """--erp-flavor's value, or a UserError naming the choices (or refusing batch pricing,
    Business Central's engine, on SAP)."""
    if value not in FLAVORS:
        raise UserError(f"--erp-flavor: {value!r} is not one of {', '.join(FLAVORS)}")
    if value == "sap" and integration == "batch":
        raise UserError(
            "--integration batch prices with Business Central's engine over mirrored price "
            "lists; with --erp-flavor sap the store prices by SAP's order simulation: use "
            "--integration realtime"
        )
    return value


CUSTOMIZING_HELP = (
    "With --erp-flavor sap: the customizing the A2X APIs don't carry (product hierarchy "
    "texts, sales employees, listings), as erpsim sap-customizing writes it."
)


def check_customizing(path: Path | None, flavor: str) -> Path | None:
    """--sap-customizing's file, loaded once to check it (a bad one fails before any server
    starts), or a UserError when the flavor is not sap."""
    if path is None:
        return None
    if flavor != "sap":
        raise UserError("--sap-customizing: only with --erp-flavor sap")
    from simulator.store.sap_customizing import load  # noqa: PLC0415 - fast --help

    load(path)
    return path


def serve_store(
    erp_url: Annotated[str, typer.Option(help="The ERP API's base URL.")] = (
        "http://127.0.0.1:8100"
    ),
    erp_key: Annotated[
        str | None, typer.Option(help="The ERP's API key (printed by erpsim serve erp).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8200,
    integration: Annotated[
        str | None,
        typer.Option(
            help="realtime (prices and stock from the ERP per request) or batch (local "
            "pricing over a periodic sync; Business Central only). Default: batch on bc, "
            "realtime on sap."
        ),
    ] = None,
    sync_interval: Annotated[
        str, typer.Option(help="Time between two delta syncs, e.g. 1h, 30m, 90s or seconds.")
    ] = "1h",
    erp_flavor: Annotated[str, typer.Option(help=FLAVOR_HELP)] = "bc",
    sap_customizing: Annotated[
        Path | None, typer.Option(metavar="FILE", help=CUSTOMIZING_HELP)
    ] = None,
    db: Annotated[Path, typer.Option(help="The store's own database (created if missing).")] = (
        Path("data/store.sqlite")
    ),
    secret: Annotated[
        str | None,
        typer.Option(
            help="Derives the demo passwords and invitation tokens (default: a random one "
            "kept beside --db in <db>.secret)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the store's random choices.")] = 0,
) -> None:
    """Serve the reference B2B web store against a running mock ERP.

    Example: erpsim serve store --erp-url http://127.0.0.1:8100 --erp-key KEY --integration realtime

    With --erp-flavor sap, master data, prices, stock and orders go through the ERP's SAP
    services.
    """
    from pydantic import ValidationError  # noqa: PLC0415 - fast --help

    from simulator.config import describe_validation_error  # noqa: PLC0415
    from simulator.erp_server.server import bind_socket  # noqa: PLC0415
    from simulator.store.accounts import demo_logins  # noqa: PLC0415
    from simulator.store.app import open_context  # noqa: PLC0415
    from simulator.store.secret import fixed_secret_warning, store_secret  # noqa: PLC0415
    from simulator.store.server import run_store  # noqa: PLC0415
    from simulator.store.settings import StoreSettings  # noqa: PLC0415

    if not erp_key:
        raise UserError("--erp-key is required (the key printed by erpsim serve erp)")
    if integration is None:
        integration = "realtime" if erp_flavor == "sap" else "batch"
    if integration not in ("realtime", "batch"):
        raise UserError(f"--integration: {integration!r} is not one of realtime, batch")
    check_flavor(erp_flavor, integration)
    check_customizing(sap_customizing, erp_flavor)
    interval = parse_duration(sync_interval)
    warning = fixed_secret_warning(secret, host)
    if warning:
        typer.echo(warning, err=True)
    secret = store_secret(db, secret)
    try:
        settings = StoreSettings(
            db=db,
            erp_url=erp_url,
            erp_key=erp_key,
            host=host,
            port=port,
            integration=integration,  # type: ignore[arg-type]
            erp_flavor=erp_flavor,  # type: ignore[arg-type]
            sap_customizing=sap_customizing,
            sync_interval=interval,
            secret=secret,
            seed=seed,
        )
    except ValidationError as exc:
        raise UserError(describe_validation_error(exc).replace("field ", "--", 1)) from None
    console = Console(highlight=False)
    sock = bind_socket(host, port)
    try:
        console.print(f"syncing master data from {erp_url} ...")
        ctx = open_context(settings)
        base = f"http://{host}:{port}"
        console.print(f"B2B store     {base}/   (API docs: {base}/docs)")
        console.print(f"integration   {integration}, sync every {interval:g} s")
        console.print(f"ERP flavor    {erp_flavor}")
        if sap_customizing is not None:
            console.print(f"customizing   {sap_customizing}")
        console.print(f"database      {db}")
        for role in ("buyer", "ap_clerk", "rep"):
            for login in demo_logins(ctx.conn(), secret, role=role, limit=1):
                console.print(f"demo login    {login.email}  {login.password}  ({role})")
        console.print("Ctrl-C stops it.")
        run_store(settings, sock, ctx)
    finally:
        sock.close()


def register(serve_app: typer.Typer) -> None:
    """Add ``store`` to the ``serve`` sub-app: ``erpsim serve store ...``."""
    serve_app.command("store")(serve_store)
