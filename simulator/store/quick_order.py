"""Quick order: items typed or pasted by number (SKU) and quantity, added to a cart at once.

A B2B buyer often knows the item numbers already (from a printed list, a spreadsheet, last
month's order) and wants them in the cart without browsing. `parse_lines` reads pasted text,
one ``sku,qty`` line each (or ``sku,qty,unit``; comma, semicolon or tab between; a heading
line such as ``sku,qty`` and blank lines are skipped), and `add_lines` adds every good line
to the cart through `carts.add_quantity` (the same checks as any add to cart: the account's
assortment, not blocked, a unit the item has). Every line that cannot be added comes back
as a `Problem` naming its line number and the reason; the good lines are added all the same.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.store import ApiError, carts

if TYPE_CHECKING:
    from simulator.store.app import StoreContext
    from simulator.store.auth import Principal

__all__ = ["MAX_LINES", "Entry", "Problem", "add_lines", "parse_line", "parse_lines", "parse_row"]

MAX_LINES = carts.MAX_LINES  # lines read from one paste
MAX_TEXT = 60  # characters of a bad line repeated back
SEPARATOR = re.compile(r"\s*[,;\t]\s*")
HEADINGS = {"sku", "item", "item no", "item number", "number", "no"}
SKU = re.compile(r"[^\x00-\x1f\x7f]{1,50}")
UNIT = re.compile(r"[A-Za-z0-9_-]{1,20}")


@dataclass(frozen=True, slots=True)
class Entry:
    """One line to add; `where` it came from ("line 3" of a paste, "row 2" of a form)."""

    where: str
    sku: str
    quantity: float
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    """A line that was not added: where, what it said, why."""

    where: str
    text: str
    message: str


def _quantity(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value <= 0 or value > carts.MAX_QUANTITY:
        return None
    return value


def _shown(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def parse_row(where: str, sku: str, quantity: str, unit: str = "") -> Entry | Problem | None:
    """One item number, quantity and (optional) unit: an `Entry`, a `Problem`, or None when
    all are blank."""
    sku, quantity, unit = sku.strip(), quantity.strip(), unit.strip()
    if not sku and not quantity:
        return None
    shown = _shown(",".join(part for part in (sku, quantity, unit) if part))
    if not sku:
        return Problem(where, shown, "the item number is missing")
    if not SKU.fullmatch(sku):
        return Problem(where, shown, "the item number is too long (at most 50 characters)")
    value = _quantity(quantity)
    if value is None:
        return Problem(
            where, shown, f"the quantity must be a number above 0, at most {carts.MAX_QUANTITY:g}"
        )
    if unit and not UNIT.fullmatch(unit):
        return Problem(where, shown, "the unit must be a unit code such as PCS or BOX")
    return Entry(where, sku, value, unit.upper())


def parse_line(number: int, raw: str) -> Entry | Problem | None:
    """One pasted line: an `Entry`, a `Problem`, or None for a blank or heading line."""
    text = raw.strip()
    if not text:
        return None
    where = f"line {number}"
    parts = SEPARATOR.split(text)
    if len(parts) == 1 and " " in text:  # "sku qty" with spaces only
        parts = text.rsplit(None, 1)
    if len(parts) < 2 or len(parts) > 3:
        return Problem(where, _shown(text), "write the item number and the quantity: sku,qty")
    if parts[0].lower() in HEADINGS:
        return None
    return parse_row(where, *parts)


def parse_lines(text: str) -> tuple[list[Entry], list[Problem]]:
    """The entries of pasted text and the problems of its bad lines (at most `MAX_LINES`
    entries; the lines after those are one problem)."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parsed = parse_line(number, raw)
        if parsed is None:
            continue
        if isinstance(parsed, Problem):
            problems.append(parsed)
        elif len(entries) < MAX_LINES:
            entries.append(parsed)
        else:
            problems.append(
                Problem(
                    f"line {number}",
                    "",
                    f"at most {MAX_LINES} lines at once: the rest was not read",
                )
            )
            break
    return entries, problems


def add_lines(
    ctx: StoreContext, principal: Principal, cart_id: int, entries: list[Entry]
) -> tuple[list[Entry], list[Problem]]:
    """Add each entry to the cart (on top of what is there); the entries added and the
    problems of the others (unknown item, blocked, no such unit, cart full)."""
    added: list[Entry] = []
    problems: list[Problem] = []
    for entry in entries:
        try:
            carts.add_quantity(ctx, principal, cart_id, entry.sku, entry.unit, entry.quantity)
        except ApiError as exc:
            if exc.status not in (400, 409):
                raise
            text = ",".join(part for part in (entry.sku, f"{entry.quantity:g}", entry.unit) if part)
            problems.append(Problem(entry.where, _shown(text), exc.message))
        else:
            added.append(entry)
    return added, problems
