"""Observed monthly histories (a pilot's numbers) and plain per-period CSV columns.

A history CSV has one row per month, months consecutive and increasing, and the counts at
each month's end (cumulative, like the model's snapshots):

    month,invited,registered,ordered_once,regular,key_accounts_invited,key_accounts_ordered
    2027-01,640,140,48,0,20,11

Counts must be whole and non-negative, and consistent: regular <= ordered_once <=
registered <= invited, key_accounts_ordered <= key_accounts_invited. Any problem is one
UserError naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.adoption.metrics import ratio
from simulator.errors import UserError

HISTORY_COLUMNS = (
    "month",
    "invited",
    "registered",
    "ordered_once",
    "regular",
    "key_accounts_invited",
    "key_accounts_ordered",
)
COUNT_COLUMNS = HISTORY_COLUMNS[1:]
# Each count must not exceed the one it is a part of.
WITHIN = (
    ("registered", "invited"),
    ("ordered_once", "registered"),
    ("regular", "ordered_once"),
    ("key_accounts_ordered", "key_accounts_invited"),
)
MONTH = re.compile(r"(\d{4})-(\d{2})")
MIN_BASS_PERIODS = 4
# Calibration fits two or more parameters to four rates a month: fewer months than this
# fit anything and report it as certain.
MIN_CALIBRATION_MONTHS = 3


@dataclass(frozen=True)
class History:
    """Observed month-end counts."""

    source: str
    months: tuple[str, ...]
    counts: dict[str, np.ndarray]

    def rates(self) -> dict[str, np.ndarray]:
        """The seed guide's four rates, observed."""
        c = self.counts
        return {
            "TR": ratio(c["registered"], c["invited"]),
            "TAU": ratio(c["ordered_once"], c["invited"]),
            "TDA": ratio(c["regular"], c["invited"]),
            "KAAR": ratio(c["key_accounts_ordered"], c["key_accounts_invited"]),
        }


def _read_rows(path: Path, what: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            reader.fieldnames = header
            rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError as exc:
        raise UserError(f"{what} file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read {what} {path}: {exc}") from exc
    if not header:
        raise UserError(f"{what} {path}: empty file (expected a header row)")
    if not rows:
        raise UserError(f"{what} {path}: no data rows")
    return header, rows


def _month_index(text: str) -> int | None:
    match = MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    return int(match[1]) * 12 + int(match[2]) - 1


def read_history(path: str | Path) -> History:
    """Read and check an observed history CSV."""
    path = Path(path)
    header, rows = _read_rows(path, "history")
    missing = [name for name in HISTORY_COLUMNS if name not in header]
    if missing:
        raise UserError(f"history {path}: missing column(s) {', '.join(missing)}")
    months: list[str] = []
    counts: dict[str, list[int]] = {name: [] for name in COUNT_COLUMNS}
    previous: int | None = None
    for line, row in rows:
        where = f"history {path} line {line}"
        text = (row.get("month") or "").strip()
        index = _month_index(text)
        if index is None:
            raise UserError(f"{where}: month {text!r} is not YYYY-MM")
        if previous is not None and index != previous + 1:
            raise UserError(
                f"{where}: month {text} does not follow {months[-1]} (months must be "
                "consecutive and increasing)"
            )
        previous = index
        months.append(text)
        values = {name: _count(row.get(name), where, name) for name in COUNT_COLUMNS}
        for part, whole in WITHIN:
            if values[part] > values[whole]:
                raise UserError(
                    f"{where}: {part} ({values[part]}) exceeds {whole} ({values[whole]})"
                )
        for name in COUNT_COLUMNS:
            counts[name].append(values[name])
    if len(months) < MIN_CALIBRATION_MONTHS:
        raise UserError(
            f"history {path}: {len(months)} month(s); a calibration needs at least "
            f"{MIN_CALIBRATION_MONTHS}"
        )
    return History(
        source=str(path),
        months=tuple(months),
        counts={name: np.array(values, dtype=float) for name, values in counts.items()},
    )


def _check_months(path: Path, rows: list[tuple[int, dict[str, str]]]) -> None:
    """A ``month`` column's periods are YYYY-MM, consecutive, each once."""
    previous: int | None = None
    for line, row in rows:
        text = (row.get("month") or "").strip()
        index = _month_index(text)
        if index is None:
            raise UserError(f"CSV {path} line {line}: month {text!r} is not YYYY-MM")
        if previous is not None and index != previous + 1:
            raise UserError(
                f"CSV {path} line {line}: month {text} does not follow the previous row's "
                "(months must be consecutive and increasing)"
            )
        previous = index


def _count(raw: str | None, where: str, column: str) -> int:
    text = (raw or "").strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise UserError(f"{where}: {column} {text!r} is not a whole number >= 0")
    return int(value)


def read_periods(path: str | Path, column: str, *, cumulative: bool) -> np.ndarray:
    """Adoptions per period from one column of any CSV whose rows are consecutive periods
    (running totals when ``cumulative``)."""
    path = Path(path)
    header, rows = _read_rows(path, "CSV")
    if column not in header:
        raise UserError(f"CSV {path}: no column {column!r} (columns: {', '.join(header)})")
    if all(name in header for name in HISTORY_COLUMNS):
        read_history(path)  # a history file: its months and counts must be consistent
    elif "month" in header:
        _check_months(path, rows)
    values: list[float] = []
    for line, row in rows:
        text = (row.get(column) or "").strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise UserError(f"CSV {path} line {line}: {column} {text!r} is not a number >= 0")
        if cumulative and values and value < values[-1]:
            raise UserError(
                f"CSV {path} line {line}: {column} falls from {values[-1]:g} to {value:g} "
                "(running totals cannot decrease)"
            )
        values.append(value)
    if len(values) < MIN_BASS_PERIODS:
        raise UserError(
            f"CSV {path}: {len(values)} periods; the Bass fit needs at least {MIN_BASS_PERIODS}"
        )
    series = np.array(values)
    return np.diff(series, prepend=0.0) if cumulative else series
