"""`erpsim up`: the mock ERP and the reference store together, one command.

Both servers run in this process on loopback ports (threads), the store wired to the ERP
with a fresh API key. It prints both URLs, the key and three demo logins (a buyer, an AP
clerk and a sales rep), then serves until Ctrl-C (or `--for` seconds: scripts, the demo).

The store keeps its own database beside the dataset (`erp.sqlite` -> `erp.store.sqlite`),
so a restart keeps users, carts and the outbox; with `--scratch` both databases are
private copies deleted at exit.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import signal
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import typer

from simulator.errors import UserError
from simulator.store.cli import CUSTOMIZING_HELP, FLAVOR_HELP

__all__ = ["customizing_for", "store_db_for", "up"]


def store_db_for(erp_db: Path) -> Path:
    """The store database that belongs to an ERP dataset (beside it)."""
    return erp_db.with_name(erp_db.stem + ".store.sqlite")


def customizing_for(erp_db: Path, store_db: Path, given: Path | None) -> Path:
    """A store on SAP's customizing file: ``given``, else the world's exported beside the
    store database (``erp.sap-customizing.json``), rewritten at each start (the world may
    have changed since)."""
    if given is not None:
        return given
    from simulator.erp_server.sap.customizing import write  # noqa: PLC0415

    out = store_db.with_name(erp_db.stem + ".sap-customizing.json")
    write(erp_db, out, force=True)
    return out


def up(
    db: Annotated[Path, typer.Option(help="The ERP dataset (erpsim generate).")] = Path(
        "data/erp.sqlite"
    ),
    erp_port: Annotated[int, typer.Option(help="Port of the mock ERP.")] = 8100,
    store_port: Annotated[int, typer.Option(help="Port of the store.")] = 8200,
    integration: Annotated[
        str, typer.Option(help="realtime (ERP per request) or batch (periodic sync).")
    ] = "realtime",
    sync_interval: Annotated[
        str, typer.Option(help="Batch mode: time between delta syncs, e.g. 1h, 5m, 30s.")
    ] = "5m",
    erp_flavor: Annotated[str, typer.Option(help=FLAVOR_HELP)] = "bc",
    sap_customizing: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help=CUSTOMIZING_HELP + " Default: exported from --db at start."
        ),
    ] = None,
    clock_speed: Annotated[
        float, typer.Option(help="ERP simulated seconds per wall second (0 freezes it).")
    ] = 60.0,
    api_key: Annotated[
        str | None, typer.Option(help="ERP API key (default: a random one).")
    ] = None,
    store_db: Annotated[
        Path | None, typer.Option(help="The store's database (default: beside --db).")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            help="Store secret: derives the demo passwords (default: a random one kept "
            "beside the store database)."
        ),
    ] = None,
    scratch: Annotated[
        bool, typer.Option(help="Serve private copies of both databases (deleted at exit).")
    ] = False,
    for_seconds: Annotated[
        float | None, typer.Option("--for", help="Stop after this many seconds.")
    ] = None,
    base_path: Annotated[
        str, typer.Option(help='Serve the ERP API under this prefix, e.g. "/bc".')
    ] = "",
) -> None:
    """Start the mock ERP and the reference store; print URLs and demo logins."""
    from pydantic import ValidationError  # noqa: PLC0415 - fast --help

    from simulator.config import describe_validation_error  # noqa: PLC0415
    from simulator.erp_server.server import ServerThread, working_database  # noqa: PLC0415
    from simulator.erp_server.settings import ServerSettings  # noqa: PLC0415
    from simulator.store.cli import (  # noqa: PLC0415
        check_customizing,
        check_flavor,
        parse_duration,
    )
    from simulator.store.secret import store_secret  # noqa: PLC0415
    from simulator.store.server import StoreThread  # noqa: PLC0415
    from simulator.store.settings import StoreSettings  # noqa: PLC0415

    if integration not in ("realtime", "batch"):
        raise UserError(f"--integration must be realtime or batch, not {integration!r}")
    check_flavor(erp_flavor, integration)
    check_customizing(sap_customizing, erp_flavor)
    if erp_port == store_port:
        raise UserError("--erp-port and --store-port must differ")
    if for_seconds is not None and for_seconds <= 0:
        raise UserError("--for must be a positive number of seconds")
    interval = parse_duration(sync_interval, "--sync-interval")
    if not db.is_file():
        raise UserError(
            f"no dataset at {db}: create one with `erpsim generate --profile small --out {db}`"
        )
    key = api_key or secrets.token_urlsafe(16)
    try:
        erp_settings = ServerSettings(
            db=db,
            port=erp_port,
            api_key=key,
            clock_speed=clock_speed,
            scratch=scratch,
            base_path=base_path,
        )
    except ValidationError as exc:
        flag, _, problem = describe_validation_error(exc).partition(": ")
        flag = flag.replace("field ", "--", 1).replace("_", "-")
        raise UserError(f"{flag}: {problem}") from None
    with (
        _store_database(store_db or store_db_for(db), scratch) as store_path,
        working_database(erp_settings) as served,
        ServerThread(served, fixed_port=True, port_flag="--erp-port") as erp,
    ):
        secret = store_secret(store_path, secret)
        customizing = (
            customizing_for(served.db, store_path, sap_customizing) if erp_flavor == "sap" else None
        )
        store_settings = StoreSettings(
            db=store_path,
            erp_url=erp.url + base_path,
            erp_key=key,
            port=store_port,
            integration=integration,  # type: ignore[arg-type]
            erp_flavor=erp_flavor,  # type: ignore[arg-type]
            sap_customizing=customizing,
            sync_interval=interval,
            secret=secret,
        )
        with StoreThread(store_settings, fixed_port=True, port_flag="--store-port") as store:
            flavor = f"{integration} integration, {erp_flavor.upper()} API"
            _announce(erp.url + base_path, store.url, key, store, secret, flavor, served.db)
            _wait(for_seconds)
    typer.echo("stopped")


@contextlib.contextmanager
def _store_database(path: Path, scratch: bool) -> Iterator[Path]:
    if not scratch:
        yield path
        return
    directory = Path(tempfile.mkdtemp(prefix="erpsim-up-"))
    try:
        if path.is_file():
            shutil.copy(path, directory / path.name)
        yield directory / path.name
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _announce(
    erp_url: str,
    store_url: str,
    key: str,
    store: Any,
    secret: str,
    integration: str,
    erp_db: Path,
) -> None:
    from simulator.erp.credit import credit_headroom  # noqa: PLC0415
    from simulator.erp.digest import read_only_uri  # noqa: PLC0415
    from simulator.store.accounts import (  # noqa: PLC0415
        demo_logins,
        invitation_token,
        orderable_demo_login,
    )
    from simulator.store.web import page_list  # noqa: PLC0415

    erp = sqlite3.connect(read_only_uri(erp_db), uri=True)
    try:
        headroom = credit_headroom(erp)
    finally:
        erp.close()
    conn = store.ctx.conn()
    picked = {
        "buyer": orderable_demo_login(conn, secret, "buyer", headroom),
        "ap_clerk": next(iter(demo_logins(conn, secret, role="ap_clerk", limit=1)), None),
        "rep": orderable_demo_login(conn, secret, "rep", headroom),
    }
    logins = [login for login in picked.values() if login is not None]
    typer.echo(f"mock ERP   {erp_url}/api/v2.0/   (API key: {key})   docs {erp_url}/docs")
    typer.echo(f"store      {store_url}/   ({integration})   API docs {store_url}/docs")
    typer.echo(f"           {page_list(store_url)}")
    typer.echo("demo logins (email / password):")
    for login in logins:
        who = login.customer_no or login.salesperson_code or ""
        typer.echo(f"  {login.role:<9} {login.email} / {login.password}   ({login.name}, {who})")
    invited = conn.execute(
        "SELECT email FROM users WHERE state = 'invited' AND role = 'buyer' ORDER BY id LIMIT 1"
    ).fetchone()
    if invited is not None:
        query = urlencode({"email": invited[0], "token": invitation_token(secret, invited[0])})
        typer.echo(f"invitation link of an invited buyer: {store_url}/register?{query}")
    typer.echo("Ctrl-C stops both.")


def _wait(seconds: float | None) -> None:
    """Until Ctrl-C / SIGTERM, or `seconds`."""
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait(seconds)
    except KeyboardInterrupt:
        pass
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
