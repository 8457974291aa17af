"""The `erpsim` command line: a thin layer that parses, calls one library function, prints.

Errors a user can cause (bad flags, profiles, paths) end as one line on stderr and exit
code 2, never a traceback; see `main`.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from simulator import __version__
from simulator.atomic import check_target
from simulator.config import builtin_profiles, load_profile
from simulator.console import RichProgress, counts_table
from simulator.errors import Terminated, UserError

app = typer.Typer(
    name="erpsim",
    help="Synthetic Business Central-shaped ERP data for B2B web-store teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        print(f"erpsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Synthetic Business Central-shaped ERP data for B2B web-store teams."""


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="SQLite file to write.")] = Path("data/erp.sqlite"),
    profile: Annotated[
        str,
        typer.Option(help=f"Built-in profile ({', '.join(builtin_profiles())}) or a TOML path."),
    ] = "small",
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 7,
    shard: Annotated[
        str, typer.Option(help="Write only shard I of N (0-based), e.g. 0/4; merge them later.")
    ] = "0/1",
    history_months: Annotated[
        int | None,
        typer.Option(
            help="Months of simulated history up to the profile's as_of date (0 = master "
            "data only; default: the profile's history.months, 24 in the built-ins)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output file.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Generate an ERP dataset (master data and its simulated history) into SQLite.

    Master data: catalog, customers, contacts, price lists, stock. History: quotes, orders,
    shipments, invoices, payments, price changes and service inquiries.

    Example: erpsim generate --profile small --seed 7 --out data/erp.sqlite
    """
    from simulator.erp.generate import Shard
    from simulator.erp.generate import generate as run

    chosen = load_profile(profile)
    parsed = Shard.parse(shard)
    check_target(out, kind="file", force=force)  # before the progress bar starts
    run_it = functools.partial(
        run, chosen, seed=seed, out=out, shard=parsed, force=force, history_months=history_months
    )
    if quiet or as_json:
        summary = run_it()
    else:
        with RichProgress(stderr) as progress:
            summary = run_it(progress=progress)
    if as_json:
        print(json.dumps(summary.as_dict(), indent=2))
        return
    stdout.print(
        counts_table(summary.counts, f"{out} (profile {chosen.name}, seed {seed}, shard {parsed})")
    )
    stdout.print(
        f"elapsed {summary.seconds:.2f} s  "
        f"({sum(summary.counts.values()) / summary.seconds:,.0f} rows/s)"
    )
    stdout.print(f"digest  {summary.digest}")


@app.command()
def stats(
    db: Annotated[Path, typer.Option(help="An erpsim database.")] = Path("data/erp.sqlite"),
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Check the history looks like a real distributor's (figures vs expected ranges).

    Orders per month, revenue concentration, basket size, repeat lines, stock-outs, payment
    punctuality, inquiries and price changes, each against its expected range.

    Example: erpsim stats --db data/erp.sqlite
    """
    from simulator.erp.stats import compute_stats, render_stats

    figures = compute_stats(db)
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        render_stats(figures, stdout)


@app.command()
def inspect(
    db: Annotated[Path, typer.Argument(help="An erpsim SQLite database.")],
    verify: Annotated[
        bool, typer.Option(help="Recompute the digest from the data and compare.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show row counts per entity, the profile, seed and digest of a database.

    Example: erpsim inspect data/erp.sqlite --json
    """
    from simulator.erp.database import describe

    info = describe(db, verify=verify)
    if as_json:
        print(json.dumps(info, indent=2))
    else:
        stdout.print(counts_table(info["counts"], f"{db}"))
        keys = (
            "profile",
            "seed",
            "shard",
            "as_of",
            "history_months",
            "world_now",
            "erpsim_version",
            "digest",
        )
        for key in keys:
            stdout.print(f"{key:<15} {info[key]}")
        if verify:
            stdout.print(f"{'verified':<15} {info['verified']}")
    if verify and not info["verified"]:
        raise typer.Exit(1)


@app.command()
def export(
    db: Annotated[Path, typer.Option(help="Database to export.")] = Path("data/erp.sqlite"),
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or parquet.")] = "csv",
    out: Annotated[Path, typer.Option(help="Directory to write, one file per entity.")] = Path(
        "data/export"
    ),
    tables: Annotated[
        str, typer.Option(help="Comma-separated tables to export (default: all).")
    ] = "",
    force: Annotated[bool, typer.Option(help="Replace an existing output directory.")] = False,
) -> None:
    """Export every entity to CSV, JSON Lines or Parquet (Parquet needs the parquet extra).

    Example: erpsim export --db data/erp.sqlite --format parquet --out data/parquet
    """
    from simulator.erp.export import export_database

    chosen = [name.strip() for name in tables.split(",") if name.strip()] or None
    files = export_database(db, fmt, out, force=force, tables=chosen)
    for item in files:
        stdout.print(f"{item.rows:>12,}  {item.path}")


@app.command()
def merge(
    shards: Annotated[list[Path], typer.Argument(help="Shard files from generate --shard I/N.")],
    out: Annotated[Path, typer.Option(help="SQLite file to write.")] = Path("data/erp.sqlite"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing output file.")] = False,
) -> None:
    """Join the shards of one generation; the result has the single run's digest.

    Example: erpsim merge data/shard-0.sqlite data/shard-1.sqlite --out data/erp.sqlite
    """
    from simulator.erp.merge import merge_shards

    summary = merge_shards(list(shards), out, force=force)
    stdout.print(counts_table(summary.counts, f"{out} (merged {summary.shards} shards)"))
    stdout.print(f"digest  {summary.digest}")


@app.command("sap-customizing")
def sap_customizing(
    db: Annotated[Path, typer.Option(help="The ERP dataset (erpsim generate).")] = Path(
        "data/erp.sqlite"
    ),
    out: Annotated[Path, typer.Option(help="JSON file to write.")] = Path(
        "data/sap-customizing.json"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing output file.")] = False,
) -> None:
    """Write the customizing SAP's A2X APIs don't carry, for a store on SAP.

    The product hierarchy's texts, the sales employees and the listings (assortments), in
    SAP's keys; `erpsim serve store --erp-flavor sap --sap-customizing FILE` reads it.

    Example: erpsim sap-customizing --db data/erp.sqlite --out data/sap-customizing.json
    """
    from simulator.erp_server.sap.customizing import write

    document = write(db, out, force=force)
    typer.echo(
        f"{out}: {len(document['productHierarchy'])} hierarchy nodes, "
        f"{len(document['salesEmployees'])} sales employees, "
        f"{len(document['listings'])} listings"
    )


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes its files.")] = Path(
        "data/demo"
    ),
) -> None:
    """Run everything that works so far, end to end, on the small dataset.

    Example: erpsim demo
    """
    from simulator.demo import run_demo

    run_demo(workdir, stdout, stderr)


def _register_products() -> None:
    """The other jobs' commands, each a thin layer over its own package."""
    from simulator.adoption.cli import register as register_adoption
    from simulator.erp_server.cli import serve_app
    from simulator.load.cli import load as load_command
    from simulator.store.adoption_cli import register as register_store_metrics
    from simulator.store.cli import register as register_store
    from simulator.store.up import up

    register_adoption(app)
    register_store_metrics(app)
    register_store(serve_app)
    app.command("up")(up)
    app.command("load")(load_command)
    app.add_typer(serve_app, name="serve")


_register_products()


def _terminate(signum: int, frame: object) -> None:
    del signum, frame
    raise Terminated


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage and user errors become one line and exit code 2;
    SIGTERM unwinds like Ctrl-C (temp files removed, worker processes stopped)."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(args=argv, prog_name="erpsim", standalone_mode=False)
    except typer.TyperException as exc:  # bad flags, arguments, missing files
        print(f"erpsim: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except UserError as exc:
        print(f"erpsim: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except Terminated:
        # The with-blocks have run (temp files gone, workers killed); leave now, as SIGTERM's
        # own action would: interpreter shutdown may wait on a killed pool's manager thread.
        print("erpsim: terminated", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signal.SIGTERM)
    except (typer.Abort, KeyboardInterrupt):
        print("erpsim: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
