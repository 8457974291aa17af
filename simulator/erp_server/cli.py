"""`erpsim serve erp`: the mock ERP API from the command line, and the demo's ERP section.

The lead wires `serve_app` into the main CLI with ``app.add_typer(serve_app, name="serve")``.
Commands parse flags into `ServerSettings` (a bad flag is a one-line UserError) and call
the library.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from simulator.errors import UserError

__all__ = ["demo_section", "serve_app"]

serve_app = typer.Typer(
    name="serve",
    help="Run erpsim's servers: the mock ERP API and the reference B2B store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@serve_app.command("erp")
def serve_erp(
    db: Annotated[Path, typer.Option(help="The ERP database (erpsim generate).")] = Path(
        "data/erp.sqlite"
    ),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    api_key: Annotated[
        str | None, typer.Option(help="The API key clients must send (default: a random one).")
    ] = None,
    clock_speed: Annotated[
        float, typer.Option(help="Simulated seconds per wall second (0 freezes the clock).")
    ] = 1.0,
    latency: Annotated[
        list[str] | None,
        typer.Option(
            help='Injected latency, e.g. "p50=40ms,p99=400ms" or "price:p50=5ms,p99=50ms" '
            "(per route class read, query, price, write; repeatable)."
        ),
    ] = None,
    error_rate: Annotated[str, typer.Option(help="Share of API calls that fail (0-1).")] = "0",
    error_mix: Annotated[
        str, typer.Option(help="Statuses of injected failures and their weights.")
    ] = "500=0.5,503=0.5",
    rate_limit: Annotated[
        float | None, typer.Option(help="Requests/s above which calls get 429 + Retry-After.")
    ] = None,
    outage: Annotated[
        list[str] | None,
        typer.Option(help='Outage window, e.g. "after=60s,duration=30s,every=300s,mode=refuse".'),
    ] = None,
    drip: Annotated[
        str, typer.Option(help='Slow-drip responses, e.g. "ratio=0.1,chunk=256,interval=100ms".')
    ] = "",
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault draws.")] = 0,
    sync_interval: Annotated[
        float, typer.Option(help="Wall seconds between two lazy advances of the world.")
    ] = 1.0,
    workers: Annotated[int, typer.Option(help="HTTP worker processes.")] = 1,
    max_page_size: Annotated[int, typer.Option(help="Server-driven page size.")] = 1000,
    scratch: Annotated[
        bool, typer.Option(help="Serve a private copy of the database (discarded at exit).")
    ] = False,
    base_path: Annotated[
        str, typer.Option(help='Serve the whole API under this prefix, e.g. "/bc".')
    ] = "",
) -> None:
    """Serve an ERP dataset as a Business Central-shaped OData API with a live clock.

    The server advances the database in place (it is the live ERP's database) unless
    --scratch is given.

    Example: erpsim serve erp --db data/erp.sqlite --port 8100 --clock-speed 60
    """
    from pydantic import ValidationError  # noqa: PLC0415 - fast --help

    from simulator.config import describe_validation_error  # noqa: PLC0415
    from simulator.erp_server.faults import settings_from_flags  # noqa: PLC0415
    from simulator.erp_server.server import bind_socket, run_server, working_database  # noqa: PLC0415
    from simulator.erp_server.settings import ServerSettings  # noqa: PLC0415

    faults = settings_from_flags(
        latency=latency or [],
        error_rate=error_rate,
        error_mix=error_mix,
        rate_limit=rate_limit,
        outages=outage or [],
        drip=drip,
        seed=fault_seed,
    )
    key = api_key or secrets.token_urlsafe(18)
    try:
        settings = ServerSettings(
            db=db,
            host=host,
            port=port,
            api_key=key,
            clock_speed=clock_speed,
            workers=workers,
            max_page_size=max_page_size,
            sync_interval=sync_interval,
            faults=faults,
            scratch=scratch,
            base_path=base_path,
        )
    except ValidationError as exc:
        flag, _, problem = describe_validation_error(exc).partition(": ")
        flag = flag.replace("field ", "--", 1).replace("_", "-")
        raise UserError(f"{flag}: {problem}") from None
    console = Console(highlight=False)
    with working_database(settings) as working:
        sock = bind_socket(host, port)
        origin = f"http://{host}:{port}"
        base = origin + base_path
        console.print(f"mock ERP API  {base}/api/v2.0/   (docs: {origin}/docs)")
        console.print(f"custom API    {base}/api/erpsim/commerce/v1.0/")
        console.print(
            f"SAP S/4HANA   {base}/sap/opu/odata/sap/<SERVICE>/   (OData V2; Basic auth, any"
            " user, the API key as password; sap-client 100)"
        )
        console.print(f"database      {working.db}{'  (scratch copy)' if scratch else ''}")
        console.print(f"API key       {key}")
        console.print(f"clock speed   {clock_speed:g}x   workers {workers}")
        console.print(f"try:  curl -H 'api-key: {key}' '{base}/api/v2.0/items?$top=2'")
        console.print("Ctrl-C stops it.")
        try:
            run_server(working, sock)
        finally:
            sock.close()


def demo_section(db: Path, console: Console) -> None:
    """The demo's ERP API section: serve a scratch copy of `db` on a free loopback port,
    make a few client calls, stop. Takes a few seconds."""
    import datetime as dt  # noqa: PLC0415 - the demo imports this module early

    from simulator.erp_server.client import ErpClient  # noqa: PLC0415
    from simulator.erp_server.server import ServerThread, working_database  # noqa: PLC0415
    from simulator.erp_server.settings import ServerSettings  # noqa: PLC0415

    key = secrets.token_urlsafe(12)
    settings = ServerSettings(db=db, api_key=key, clock_speed=3600.0, scratch=True)
    with working_database(settings) as working, ServerThread(working) as server:
        console.print(f"mock ERP API on {server.url}/api/v2.0/ (a scratch copy of {db})")
        _fidelity_line(console)
        with ErpClient(server.url, api_key=key) as erp:
            clock = erp.clock()
            items = list(
                erp.iter("items", select="number,displayName,unitPrice", top=250, page_size=100)
            )
            console.print(
                f"paged read: {len(items)} items in pages of 100, e.g. "
                f"{items[0]['number']} {items[0]['displayName']}"
            )
            since = dt.datetime.fromisoformat(clock["now"].rstrip("Z")) - dt.timedelta(days=1)
            changed = list(erp.delta("itemStock", since.strftime("%Y-%m-%dT%H:%M:%SZ")).changes())
            console.print(
                f"delta read: {len(changed)} stock rows changed in the last simulated day"
            )
            customer = next(erp.iter("customers", filter="blocked eq ''", select="number", top=1))
            item = items[0]["number"]
            price = erp.calculate_price(customer["number"], item, 10)
            console.print(
                f"calculatePrice: {customer['number']} buys 10 x {item} at "
                f"{price['unitPrice']:,.2f} less {price['discountPercent']:g} % = "
                f"{price['lineAmount']:,.2f}"
            )
            first = erp.create_order(customer["number"], [(item, "", 10)], idempotency_key="demo-1")
            again = erp.create_order(customer["number"], [(item, "", 10)], idempotency_key="demo-1")
            same = "the same order" if first["id"] == again["id"] else "TWO ORDERS"
            console.print(
                f"idempotent POST twice: {first['number']} and {again['number']} -> {same}"
            )
            _bc_connector_flow(erp, customer["number"], item, console)
        from simulator.erp_server.sap.demo import sap_connector_flow  # noqa: PLC0415

        sap_connector_flow(server.url, key, customer["number"], item, console)


def _bc_connector_flow(erp: Any, customer: str, item: str, console: Console) -> None:
    """What a connector written for Business Central does, unchanged: header first, a line
    with BC's line fields, ship and invoice, then the invoice the action posted."""
    header = erp.request(
        "POST",
        "salesOrders",
        json={"customerNumber": customer, "externalDocumentNumber": "PO-DEMO-1"},
        headers={"Idempotency-Key": "demo-bc-header"},
    ).json()
    erp.request(
        "POST",
        f"salesOrders({header['id']})/salesOrderLines",
        json={"lineType": "Item", "lineObjectNumber": item, "quantity": 2},
        headers={"Idempotency-Key": "demo-bc-line"},
    )
    erp.request("POST", f"salesOrders({header['id']})/Microsoft.NAV.shipAndInvoice")
    invoices = erp.get_json("salesInvoices", {"$filter": f"orderNumber eq '{header['number']}'"})[
        "value"
    ]
    shown = ", ".join(
        f"{i['number']} {i['totalAmountIncludingTax']:,.2f} {i['currencyCode']} ({i['status']})"
        for i in invoices
    )
    console.print(
        f"BC connector flow: POST {header['number']} (status {header['status']}, PO "
        f"{header['externalDocumentNumber']}), POST salesOrderLines (lineType Item), "
        f"Microsoft.NAV.shipAndInvoice -> invoice {shown or 'none (no stock)'}"
    )


def _fidelity_line(console: Console) -> None:
    """How much of Business Central's standard API the server shows (from its own sets)."""
    from simulator.erp_server.entities import CUSTOM_SETS, ENTITY_SETS  # noqa: PLC0415

    standard = [e for e in ENTITY_SETS.values() if e.standard]
    properties = sum(1 for e in standard for f in e.fields if not f.extension)
    console.print(
        f"Business Central API v2.0: {len(standard)} standard sets with {properties} of BC's "
        f"properties (+ companies); {len(CUSTOM_SETS)} sets of erpsim's own under "
        "/api/erpsim/commerce/v1.0/"
    )
