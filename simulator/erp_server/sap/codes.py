"""Our codes in SAP's shapes: SAP keys are short (a plant has 4 characters, a customer price
group 2, payment terms 4), so codes that do not fit get a stable SAP-style key.

`Codes` is built from the database (the distinct codes of each kind, sorted), registered on a
connection as the SQL function ``sap_code(kind, value)`` the views call, and used in reverse
for request bodies (`from_sap`). Units of measure use SAP's own unit keys and ISO codes.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

__all__ = [
    "HIERARCHY",
    "HIERARCHY_WIDTHS",
    "UNITS",
    "Codes",
    "content_ms",
    "iso_unit",
    "our_line",
    "our_unit",
    "register_content_ms",
    "sap_item",
    "sap_unit",
]

# our unit -> (SAP's commercial unit key as the APIs show it, ISO code)
UNITS: dict[str, tuple[str, str]] = {
    "PCS": ("PC", "PCE"),
    "PAIR": ("PR", "PR"),
    "BOX": ("BOX", "BX"),
    "BUNDLE": ("BDL", "BE"),
    "CAN": ("CAN", "CA"),
    "CASE": ("CS", "CS"),
    "L": ("L", "LTR"),
    "M": ("M", "MTR"),
    "PALLET": ("PAL", "PF"),
    "ROLL": ("ROL", "RO"),
}
_FROM_SAP = {sap: ours for ours, (sap, _) in UNITS.items()} | {
    iso: ours for ours, (_, iso) in UNITS.items()
}


def sap_unit(ours: str | None) -> str:
    if not ours:
        return ""
    return UNITS.get(ours, (ours[:3], ours[:3]))[0]


def iso_unit(ours: str | None) -> str:
    if not ours:
        return ""
    return UNITS.get(ours, (ours[:3], ours[:3]))[1]


def our_unit(sap: str) -> str | None:
    """The unit a request names (SAP key, ISO code or our own code), or None."""
    upper = sap.upper()
    if upper in UNITS:
        return upper
    return _FROM_SAP.get(upper)


ITEM_STEP = 1000  # our line numbers step by 10000; SAP's items by 10


def sap_item(line_no: int | None) -> str:
    """SAP's item number of one of our document lines: line 10000 is item 10, 20000 is 20
    (SAP numbers items 10, 20, 30...; a line a BC client numbered off the grid keeps its
    thousands, 10500 -> 10)."""
    return "" if line_no is None else str(int(line_no) // ITEM_STEP)


def our_line(item: str) -> int | None:
    """Our line number of an SAP item number ('10' or '000010'), or None if it is none."""
    text = item.strip()
    if not text.isdigit() or not 0 < int(text) < 10**6:
        return None
    return int(text) * ITEM_STEP


def content_ms(*values: object) -> int:
    """0-999 from what a document holds: the milliseconds its LastChangeDateTime shows, so
    SAP's ETag (that timestamp) changes with every change, also while the clock stands
    still and our change stamps (whole seconds) repeat."""
    digest = hashlib.blake2b(repr(values).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 1000


def register_content_ms(conn: sqlite3.Connection) -> None:
    conn.create_function("sap_content_ms", -1, content_ms, deterministic=True)


@dataclass(frozen=True)
class _Kind:
    query: str
    width: int
    # "fit": keep a code that fits the width; "number": always first + ordinal (SAP style)
    style: str
    first: int = 1


KINDS: dict[str, _Kind] = {
    "plant": _Kind("SELECT code FROM locations", 4, "number", 101),  # 1010, 1020...
    "product_group": _Kind("SELECT code FROM item_categories", 9, "fit"),
    "payment_terms": _Kind("SELECT code FROM payment_terms", 4, "fit"),
    "price_group": _Kind("SELECT code FROM customer_price_groups", 2, "fit"),
    "discount_group": _Kind("SELECT code FROM customer_discount_groups", 2, "fit"),
    "pricing_group": _Kind("SELECT code FROM item_discount_groups", 2, "fit"),
    "customer_group": _Kind("SELECT DISTINCT segment FROM customers", 2, "fit"),
    "personnel": _Kind("SELECT code FROM salespeople", 8, "number", 50000001),
}
# SAP's standard product hierarchy (PRODH): three levels of 5, 5 and 8 characters, a node's
# key its parent's followed by its own; our category tree goes there, numbered per parent
HIERARCHY_WIDTHS = (5, 5, 8)
HIERARCHY = "product_hierarchy"


def _hierarchy(conn: sqlite3.Connection) -> dict[str, str]:
    """Each category's product hierarchy node: its parent's node and its ordinal among its
    siblings (in code order); a category below the third level takes its ancestor's."""
    rows = conn.execute("SELECT code, parent_code FROM item_categories ORDER BY code").fetchall()
    parents = {str(code): str(parent or "") for code, parent in rows}
    children: dict[str, list[str]] = {}
    for code, parent in parents.items():
        children.setdefault(parent if parent in parents else "", []).append(code)
    nodes: dict[str, str] = {}
    todo = [("", "", 0)]
    while todo:
        parent, prefix, depth = todo.pop()
        for ordinal, code in enumerate(children.get(parent, ()), start=1):
            if depth < len(HIERARCHY_WIDTHS):
                node = prefix + f"{ordinal:0{HIERARCHY_WIDTHS[depth]}d}"
            else:
                node = prefix
            nodes[code] = node
            todo.append((code, node, depth + 1))
    return nodes


class Codes:
    """Two-way maps between our codes and SAP keys, one per kind."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._to: dict[str, dict[str, str]] = {}
        self._from: dict[str, dict[str, str]] = {}
        for kind, spec in KINDS.items():
            values = sorted({str(v) for (v,) in conn.execute(spec.query) if v not in (None, "")})
            fits = spec.style == "fit" and all(
                len(v) <= spec.width and v.isascii() and "(" not in v for v in values
            )
            mapping: dict[str, str] = {}
            for ordinal, value in enumerate(values):
                if fits:
                    mapping[value] = value.upper()
                elif spec.style == "number":
                    mapping[value] = str(spec.first + ordinal) + ("0" if kind == "plant" else "")
                else:
                    mapping[value] = f"{ordinal + 1:0{spec.width}d}"
            self._to[kind] = mapping
            self._from[kind] = {code: value for value, code in mapping.items()}
        hierarchy = _hierarchy(conn)
        self._to[HIERARCHY] = hierarchy
        self._from[HIERARCHY] = {node: code for code, node in hierarchy.items()}

    def to_sap(self, kind: str, value: object) -> str:
        if value in (None, ""):
            return ""
        if kind == HIERARCHY:  # an unknown category has no node
            return self._to[kind].get(str(value), "")
        return self._to[kind].get(str(value), str(value)[: KINDS[kind].width])

    def from_sap(self, kind: str, code: str) -> str | None:
        return self._from[kind].get(code)

    def register(self, conn: sqlite3.Connection) -> None:
        conn.create_function("sap_code", 2, self.to_sap, deterministic=True)
        conn.create_function("sap_unit", 1, sap_unit, deterministic=True)
        conn.create_function("sap_iso_unit", 1, iso_unit, deterministic=True)
        conn.create_function("sap_item", 1, sap_item, deterministic=True)
        register_content_ms(conn)
