"""The store's category tree, sales employees and assortments on SAP, where the A2X APIs
have no source for them: from a customizing file (`load`, `apply`) or, without one, derived
from the mirrored products and customers (`derive`).

The file (``erpsim sap-customizing`` writes it from a world; format in docs/sap.md) carries
the product hierarchy's nodes and texts, the sales employees by personnel number and the
listings (customer -> hierarchy node). `load` checks everything a user could get wrong and
says what in one line (a UserError). `apply` and `derive` replace the mirror's
``item_categories``, ``salespeople`` and ``customer_assortment`` in one transaction and stamp
their ``sync_state`` rows as the synchronizer does, so the catalog sees the change.

Both are cheap when nothing changed: the digest of what was last written (the file's
content, or the derived input) and the three tables' row counts are kept in the one-row
table ``sap_customizing_state``; a call that would write the same rows again returns zeros
without touching the tables. (Not in ``sync_state``: its watermark is the ERP timestamp the
three rows' delta contract speaks of, and the catalog reads its rows.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import UserError
from simulator.store.sync import record_sync, utc_stamp

__all__ = [
    "FORMAT",
    "TABLES",
    "Customizing",
    "Listing",
    "Node",
    "SalesArea",
    "SalesEmployee",
    "apply",
    "derive",
    "load",
]

FORMAT = "erpsim-sap-customizing/1"  # simulator.erp_server.sap.customizing writes it
TABLES = ("item_categories", "salespeople", "customer_assortment")
NODE_LENGTHS = (5, 10, 18)  # SAP's product hierarchy: levels of 5, 5 and 8 digits
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://erpsim.example/sap-customizing")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PERSONNEL = re.compile(r"^[0-9]{8}$")
_KEYS = {
    "": (("format", "salesArea", "productHierarchy", "salesEmployees", "listings"), ()),
    "salesArea": (("salesOrganization", "distributionChannel", "division"), ()),
    "productHierarchy": (("node", "text"), ()),
    "salesEmployees": (("personnelNumber", "name", "email"), ("phone",)),
    "listings": (("customer", "node"), ()),
}
_STATE_DDL = (
    "CREATE TABLE IF NOT EXISTS sap_customizing_state("
    "id INTEGER PRIMARY KEY CHECK (id = 1), digest TEXT NOT NULL, counts TEXT NOT NULL, "
    "applied_at TEXT NOT NULL)"
)


@dataclass(frozen=True, slots=True)
class SalesArea:
    sales_organization: str
    distribution_channel: str
    division: str


@dataclass(frozen=True, slots=True)
class Node:
    """A product hierarchy node (T179) and its text (T179T)."""

    node: str
    text: str

    @property
    def parent(self) -> str:
        """The parent node ('' on level 1): the node's key without its own part."""
        return self.node[: NODE_LENGTHS[self.level - 2]] if self.level > 1 else ""

    @property
    def level(self) -> int:
        return NODE_LENGTHS.index(len(self.node)) + 1


@dataclass(frozen=True, slots=True)
class SalesEmployee:
    personnel_number: str
    name: str
    email: str
    phone: str


@dataclass(frozen=True, slots=True)
class Listing:
    """A customer may buy what hangs below `node` (at any level)."""

    customer: str
    node: str


@dataclass(frozen=True, slots=True)
class Customizing:
    """A loaded, checked customizing file."""

    sales_area: SalesArea
    hierarchy: tuple[Node, ...]
    employees: tuple[SalesEmployee, ...]
    listings: tuple[Listing, ...]

    @property
    def digest(self) -> str:
        """Of the content (not of the file's layout): equal content, equal digest."""
        return _digest(
            "file",
            sorted((n.node, n.text) for n in self.hierarchy),
            sorted((e.personnel_number, e.name, e.email, e.phone) for e in self.employees),
            sorted((x.customer, x.node) for x in self.listings),
        )


def load(path: str | Path) -> Customizing:
    """Read and check a customizing file; any problem is one UserError naming the entry."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    return _Checker(str(path)).customizing(document)


def apply(conn: sqlite3.Connection, customizing: Customizing, *, stamp: str) -> dict[str, int]:
    """Replace the three tables with the file's rows (stamped ``stamp``, the ERP's time).

    Returns the rows written per table; all zeros when the same content is there already."""
    categories = [
        (
            _uuid("item_categories", n.node),
            n.node,
            n.text,
            n.parent,
            n.level,
            stamp,
        )
        for n in sorted(customizing.hierarchy, key=lambda n: n.node)
    ]
    people = [
        (
            _uuid("salespeople", e.personnel_number),
            e.personnel_number,
            e.name,
            e.email,
            e.phone,
            stamp,
        )
        for e in sorted(customizing.employees, key=lambda e: e.personnel_number)
    ]
    assortment = sorted({(x.customer, x.node, stamp) for x in customizing.listings})
    return _replace(conn, customizing.digest, categories, people, assortment, stamp)


def derive(conn: sqlite3.Connection, *, stamp: str) -> dict[str, int]:
    """Without a file: the hierarchy nodes the mirrored items name (each with every prefix
    node, its key as its text), every mirrored customer listed for the level-1 nodes (it
    sees everything), no sales employees. Run it after every sync: new items and customers
    get their nodes and listings; when none came, it writes nothing."""
    nodes: set[str] = set()
    for (code,) in conn.execute("SELECT DISTINCT item_category_code FROM items"):
        text = str(code or "")
        if text.isdigit() and len(text) in NODE_LENGTHS:
            nodes.update(text[:length] for length in NODE_LENGTHS if length <= len(text))
    customers = sorted(str(no) for (no,) in conn.execute("SELECT no FROM customers") if no)
    tree = [Node(node, node) for node in sorted(nodes)]
    tops = [n.node for n in tree if n.level == 1]
    categories = [
        (_uuid("item_categories", n.node), n.node, n.text, n.parent, n.level, stamp) for n in tree
    ]
    assortment = [(customer, node, stamp) for customer in customers for node in tops]
    digest = _digest("derived", sorted(nodes), customers)
    return _replace(conn, digest, categories, [], assortment, stamp)


class _Checker:
    """Turns the parsed JSON into a `Customizing`, or raises the first problem."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, problem: str) -> UserError:
        return UserError(f"{self.name}: {where + ' ' if where else ''}{problem}")

    def customizing(self, document: object) -> Customizing:
        top = self.entry(document, "", "")
        if top["format"] != FORMAT:
            raise self.fail("format", f"{top['format']!r} is not {FORMAT!r}")
        area = self.entry(top["salesArea"], "salesArea", "salesArea")
        sales_area = SalesArea(
            self.code(area, "salesArea", "salesOrganization", 4),
            self.code(area, "salesArea", "distributionChannel", 2),
            self.code(area, "salesArea", "division", 2),
        )
        hierarchy = self.hierarchy(self.entries(top, "productHierarchy"))
        known = {n.node for n in hierarchy}
        employees = self.employees(self.entries(top, "salesEmployees"))
        listings = self.listings(self.entries(top, "listings"), known)
        return Customizing(sales_area, hierarchy, employees, listings)

    def entry(self, value: object, kind: str, where: str) -> dict[str, Any]:
        """An object with exactly the keys its kind has (the optional ones may be missing)."""
        if not isinstance(value, dict):
            raise self.fail(where, f"is not an object (got {_json_type(value)})")
        required, optional = _KEYS[kind]
        for key in required:
            if key not in value:
                raise self.fail(where, f"has no {key!r}" if where else f"has no key {key!r}")
        for key in value:
            if key not in required and key not in optional:
                raise self.fail(where, f"has an unknown key {key!r}")
        return value

    def entries(self, top: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
        values = top[kind]
        if not isinstance(values, list):
            raise self.fail(kind, f"is not a list (got {_json_type(values)})")
        return [self.entry(value, kind, f"{kind}[{i}]") for i, value in enumerate(values)]

    def text(self, entry: Mapping[str, Any], where: str, key: str, *, empty: bool = False) -> str:
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"is not a string (got {_json_type(value)})")
        if not empty and not value.strip():
            raise self.fail(f"{where}.{key}", "is empty")
        return value

    def code(self, entry: Mapping[str, Any], where: str, key: str, width: int) -> str:
        value = self.text(entry, where, key)
        if len(value) > width or not value.isalnum():
            raise self.fail(f"{where}.{key}", f"{value!r} is not an SAP key of {width} at most")
        return value

    def hierarchy(self, entries: list[dict[str, Any]]) -> tuple[Node, ...]:
        seen: dict[str, int] = {}
        nodes: list[Node] = []
        for i, entry in enumerate(entries):
            where = f"productHierarchy[{i}]"
            node = self.node(entry, where)
            if node in seen:
                raise self.fail(f"{where}.node", f"{node!r} repeats productHierarchy[{seen[node]}]")
            seen[node] = i
            nodes.append(Node(node, self.text(entry, where, "text")))
        for i, found in enumerate(nodes):
            if found.parent and found.parent not in seen:
                raise self.fail(
                    f"productHierarchy[{i}].node",
                    f"{found.node!r} has no parent node {found.parent!r} in productHierarchy",
                )
        return tuple(nodes)

    def node(self, entry: Mapping[str, Any], where: str) -> str:
        value = entry["node"]
        if not (isinstance(value, str) and value.isdigit() and value.isascii()) or (
            len(value) not in NODE_LENGTHS
        ):
            shown = repr(value) if isinstance(value, str) else json.dumps(value)
            raise self.fail(f"{where}.node", f"{shown} is not a 5, 10 or 18 digit node")
        return value

    def employees(self, entries: list[dict[str, Any]]) -> tuple[SalesEmployee, ...]:
        seen: dict[str, int] = {}
        employees: list[SalesEmployee] = []
        for i, entry in enumerate(entries):
            where = f"salesEmployees[{i}]"
            number = self.text(entry, where, "personnelNumber")
            if not _PERSONNEL.match(number):
                raise self.fail(
                    f"{where}.personnelNumber", f"{number!r} is not an 8 digit personnel number"
                )
            if number in seen:
                raise self.fail(
                    f"{where}.personnelNumber", f"{number!r} repeats salesEmployees[{seen[number]}]"
                )
            seen[number] = i
            email = self.text(entry, where, "email").strip()
            if not _EMAIL.match(email):
                raise self.fail(f"{where}.email", f"{email!r} is not an e-mail address")
            name = self.text(entry, where, "name")
            phone = self.text(entry, where, "phone", empty=True)
            employees.append(SalesEmployee(number, name, email, phone))
        return tuple(employees)

    def listings(self, entries: list[dict[str, Any]], known: set[str]) -> tuple[Listing, ...]:
        seen: dict[tuple[str, str], int] = {}
        listings: list[Listing] = []
        for i, entry in enumerate(entries):
            where = f"listings[{i}]"
            customer = self.text(entry, where, "customer")
            if len(customer) > 10 or customer != customer.strip():
                raise self.fail(f"{where}.customer", f"{customer!r} is not a customer number")
            node = self.node(entry, where)
            if node not in known:
                raise self.fail(f"{where}.node", f"{node!r} is not in productHierarchy")
            if (customer, node) in seen:
                raise self.fail(where, f"repeats listings[{seen[customer, node]}]")
            seen[customer, node] = i
            listings.append(Listing(customer, node))
        return tuple(listings)


def _replace(
    conn: sqlite3.Connection,
    digest: str,
    categories: list[tuple[Any, ...]],
    people: list[tuple[Any, ...]],
    assortment: list[tuple[Any, ...]],
    stamp: str,
) -> dict[str, int]:
    """The three tables' rows replaced and their sync_state stamped, in one transaction;
    nothing written when the state says these rows are there already."""
    counts = {
        "item_categories": len(categories),
        "salespeople": len(people),
        "customer_assortment": len(assortment),
    }
    recorded = json.dumps(counts, sort_keys=True)
    conn.execute(_STATE_DDL)
    conn.commit()
    conn.execute("BEGIN IMMEDIATE")
    try:
        if _unchanged(conn, digest, recorded):
            conn.execute("ROLLBACK")
            return dict.fromkeys(TABLES, 0)
        for table in TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.executemany(
            "INSERT INTO item_categories (id, code, display_name, parent_code, level, "
            "last_modified_date_time) VALUES (?, ?, ?, ?, ?, ?)",
            categories,
        )
        conn.executemany(
            "INSERT INTO salespeople (id, code, name, email, phone_no, commission_pct, "
            "key_account_manager, last_modified_date_time) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
            people,
        )
        conn.executemany(
            "INSERT INTO customer_assortment (customer_no, item_category_code, "
            "last_modified_date_time) VALUES (?, ?, ?)",
            assortment,
        )
        now = utc_stamp()
        for table in TABLES:
            synced_at = _after(conn, table, now)
            record_sync(conn, table, stamp, synced_at=synced_at)
        conn.execute(
            "INSERT OR REPLACE INTO sap_customizing_state (id, digest, counts, applied_at) "
            "VALUES (1, ?, ?, ?)",
            (digest, recorded, now),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return counts


def _unchanged(conn: sqlite3.Connection, digest: str, recorded: str) -> bool:
    """The same content was applied last, and the tables still hold that many rows."""
    row = conn.execute("SELECT digest, counts FROM sap_customizing_state WHERE id = 1").fetchone()
    if row is None or row[0] != digest or row[1] != recorded:
        return False
    counts = json.loads(recorded)
    return all(
        conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == counts[table]
        for table in TABLES
    )


def _after(conn: sqlite3.Connection, table: str, now: str) -> str:
    """``now``, or a second after the table's last synced_at if that is not earlier: the
    catalog tells versions by (synced_at, rows), both of which a quick re-apply may repeat."""
    row = conn.execute("SELECT synced_at FROM sync_state WHERE entity = ?", (table,)).fetchone()
    previous = str(row[0]) if row and row[0] else ""
    if previous < now:
        return now
    try:
        later = dt.datetime.strptime(previous, "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(seconds=1)
    except ValueError:
        return now
    return later.strftime("%Y-%m-%dT%H:%M:%SZ")


def _uuid(table: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{table}/{key}"))


def _digest(*parts: Iterable[Any] | str) -> str:
    data = json.dumps([list(p) if not isinstance(p, str) else p for p in parts])
    return hashlib.sha256(data.encode()).hexdigest()


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)
