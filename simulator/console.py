"""Terminal output shared by the CLI commands: progress bars and summary tables (rich)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table


class RichProgress:
    """Generation progress on stderr: one bar per step, with the rows written so far."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<32}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rows]:>12,} rows"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._finish()
        self._progress.stop()

    def step(self, name: str, chunks: int) -> None:
        if self._task is not None:
            self._finish()
        self._task = self._progress.add_task(name, total=max(chunks, 1), rows=0)

    def advance(self, table: str, rows: int) -> None:
        del table
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(self._task, advance=1, rows=task.fields["rows"] + rows)

    def _finish(self) -> None:
        assert self._task is not None
        task = self._progress.tasks[self._task]
        self._progress.update(self._task, completed=task.total)


def counts_table(counts: Mapping[str, int], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("entity")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    table.add_row("[bold]total[/bold]", f"[bold]{sum(counts.values()):,}[/bold]")
    return table
