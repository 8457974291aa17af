"""``python -m simulator.load ...``: `erpsim load` on its own (the same command and error
handling as `simulator.cli.main`), usable before and after the lead registers it."""

from __future__ import annotations

import sys

import typer

from simulator.errors import UserError
from simulator.load.cli import load


def main(argv: list[str] | None = None) -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(load)
    try:
        code = app(args=argv, prog_name="erpsim load", standalone_mode=False)
    except typer.TyperException as exc:
        print(f"erpsim: error: {exc.format_message()}", file=sys.stderr)  # noqa: T201
        sys.exit(2)
    except UserError as exc:
        print(f"erpsim: error: {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        print("erpsim: interrupted", file=sys.stderr)  # noqa: T201
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
