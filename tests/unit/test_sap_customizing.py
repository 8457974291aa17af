"""The SAP customizing file: exported from the small world, loaded, applied to a store
mirror (replacing, idempotent, seen by the catalog), every mistake a one-line UserError,
and the derived customizing when no file is given."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.erp_server.sap.codes import HIERARCHY, Codes
from simulator.erp_server.sap.customizing import export, write
from simulator.errors import UserError
from simulator.store import db as store_db
from simulator.store.catalog import VERSION_QUERY, CatalogIndex
from simulator.store.sap_customizing import FORMAT, apply, derive, load

STAMP = "2026-10-01T00:00:00Z"


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = store_db.connect(tmp_path / "store.sqlite")
    store_db.create_schema(conn)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def exported(small_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("customizing") / "sap-customizing.json"
    write(small_db, out, force=False)
    return out


def small_document() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "salesArea": {"salesOrganization": "1010", "distributionChannel": "10", "division": "00"},
        "productHierarchy": [
            {"node": "00001", "text": "Adhesives & chemicals"},
            {"node": "0000100001", "text": "Adhesives"},
            {"node": "000010000100000001", "text": "Adhesives – Standard"},
            {"node": "00002", "text": "Cleaning"},
        ],
        "salesEmployees": [
            {"personnelNumber": "50000001", "name": "Ana", "email": "ana@x.example", "phone": "1"}
        ],
        "listings": [
            {"customer": "C000001", "node": "0000100001"},
            {"customer": "C000002", "node": "00002"},
        ],
    }


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def rows(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql).fetchall()


def test_export_is_the_world_in_sap_keys(conn: sqlite3.Connection) -> None:
    document = export(conn)
    codes = Codes(conn)
    assert document["format"] == FORMAT
    assert document["salesArea"] == {
        "salesOrganization": "1010",
        "distributionChannel": "10",
        "division": "00",
    }
    hierarchy = {entry["node"]: entry["text"] for entry in document["productHierarchy"]}
    for code, name in rows(conn, "SELECT code, display_name FROM item_categories"):
        assert hierarchy[codes.to_sap(HIERARCHY, code)] == name
    assert hierarchy["00001"] == "Adhesives & chemicals"
    assert [e["node"] for e in document["productHierarchy"]] == sorted(hierarchy)
    people = rows(conn, "SELECT code, name, email, phone_no FROM salespeople ORDER BY code")
    assert document["salesEmployees"] == [
        {"personnelNumber": codes.to_sap("personnel", c), "name": n, "email": e, "phone": p}
        for c, n, e, p in people
    ]
    world = {
        (customer, codes.to_sap(HIERARCHY, category))
        for customer, category in rows(
            conn, "SELECT customer_no, item_category_code FROM customer_assortment"
        )
    }
    assert [(x["customer"], x["node"]) for x in document["listings"]] == sorted(world)
    assert export(conn) == document  # deterministic


def test_round_trip_into_the_store_mirror(
    conn: sqlite3.Connection, exported: Path, mirror: sqlite3.Connection
) -> None:
    customizing = load(exported)
    counts = apply(mirror, customizing, stamp=STAMP)
    world = {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("item_categories", "salespeople", "customer_assortment")
    }
    assert counts == world  # 66 categories, 8 people, 2395 listings on small
    codes = Codes(conn)
    expected = {
        codes.to_sap(HIERARCHY, code): (name, codes.to_sap(HIERARCHY, parent), level)
        for code, name, parent, level in rows(
            conn, "SELECT code, display_name, parent_code, level FROM item_categories"
        )
    }
    mirrored = rows(
        mirror,
        "SELECT code, display_name, parent_code, level, last_modified_date_time, id "
        "FROM item_categories",
    )
    assert {code: (name, parent, level) for code, name, parent, level, *_ in mirrored} == expected
    assert {stamp for *_, stamp, _ in mirrored} == {STAMP}
    assert len({row[-1] for row in mirrored}) == len(mirrored)  # one uuid per node
    people = rows(
        mirror,
        "SELECT code, name, email, commission_pct, key_account_manager FROM salespeople",
    )
    assert {p[0] for p in people} == {
        codes.to_sap("personnel", code) for (code,) in rows(conn, "SELECT code FROM salespeople")
    }
    assert {(p[3], p[4]) for p in people} == {(0, 0)}
    state = dict(
        (entity, (watermark, count))
        for entity, watermark, count in rows(
            mirror, "SELECT entity, watermark, rows FROM sync_state"
        )
    )
    assert state == {table: (STAMP, count) for table, count in counts.items()}
    # the catalog reads it: a customer's listings cover its world assortment's subtrees
    index = CatalogIndex(mirror, "v")
    assert len(index.categories) == counts["item_categories"]
    assert index.subtree("00001")[0] == "00001"


def test_apply_replaces_is_idempotent_and_the_catalog_notices(
    tmp_path: Path, mirror: sqlite3.Connection
) -> None:
    mirror.execute(
        "INSERT INTO item_categories (id, code, display_name, parent_code, level, "
        "last_modified_date_time) VALUES ('x', 'CHEM', 'BC category', '', 1, ?)",
        (STAMP,),
    )
    mirror.commit()
    first = load(write_json(tmp_path / "a.json", small_document()))
    assert apply(mirror, first, stamp=STAMP) == {
        "item_categories": 4,
        "salespeople": 1,
        "customer_assortment": 2,
    }
    assert "CHEM" not in {code for (code,) in rows(mirror, "SELECT code FROM item_categories")}
    ids = rows(mirror, "SELECT code, id FROM item_categories ORDER BY code")
    version = mirror.execute(VERSION_QUERY).fetchone()[0]

    # the same content again (another file layout, a later stamp): nothing written
    again = load(write_json(tmp_path / "b.json", json.loads(json.dumps(small_document()))))
    assert apply(mirror, again, stamp="2026-10-02T00:00:00Z") == {
        "item_categories": 0,
        "salespeople": 0,
        "customer_assortment": 0,
    }
    assert mirror.execute(VERSION_QUERY).fetchone()[0] == version

    # a renamed node, same row counts, applied within the same second: a new version
    changed = small_document()
    changed["productHierarchy"][3]["text"] = "Cleaning & hygiene"
    assert (
        apply(mirror, load(write_json(tmp_path / "c.json", changed)), stamp=STAMP)[
            "item_categories"
        ]
        == 4
    )
    assert mirror.execute(VERSION_QUERY).fetchone()[0] != version
    assert rows(mirror, "SELECT code, id FROM item_categories ORDER BY code") == ids
    assert rows(mirror, "SELECT display_name FROM item_categories WHERE code = '00002'") == [
        ("Cleaning & hygiene",)
    ]

    # rows someone else removed are put back even though the content is the same
    mirror.execute("DELETE FROM customer_assortment")
    mirror.commit()
    assert apply(mirror, load(tmp_path / "c.json"), stamp=STAMP)["customer_assortment"] == 2


def test_a_failed_apply_leaves_the_old_rows(tmp_path: Path, mirror: sqlite3.Connection) -> None:
    apply(mirror, load(write_json(tmp_path / "a.json", small_document())), stamp=STAMP)
    before = rows(mirror, "SELECT * FROM item_categories ORDER BY code")
    mirror.execute("DROP TABLE customer_assortment")  # the last insert will fail
    mirror.commit()
    changed = small_document()
    changed["productHierarchy"][0]["text"] = "Renamed"
    with pytest.raises(sqlite3.OperationalError):
        apply(mirror, load(write_json(tmp_path / "b.json", changed)), stamp=STAMP)
    assert rows(mirror, "SELECT * FROM item_categories ORDER BY code") == before


def _set(path: str, value: object) -> dict[str, Any]:
    """The small document with one value replaced (``a.0.b``), or removed (value ...)."""
    document = copy.deepcopy(small_document())
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return document


BAD_FILES = [
    ("not json {", "bad.json: not JSON (Expecting value at line 1 column 1)"),
    ([1, 2], "bad.json: is not an object (got a list)"),
    (_set("format", "erpsim-sap-customizing/2"), "bad.json: format 'erpsim-sap-customizing/2'"),
    (_set("listings", ...), "bad.json: has no key 'listings'"),
    (_set("extra", 1), "bad.json: has an unknown key 'extra'"),
    (_set("salesArea.division", ...), "bad.json: salesArea has no 'division'"),
    (_set("salesArea.salesOrganization", "10100"), "salesArea.salesOrganization '10100'"),
    (_set("productHierarchy", {}), "bad.json: productHierarchy is not a list (got an object)"),
    (_set("productHierarchy.3", "00002"), "productHierarchy[3] is not an object (got a string)"),
    (
        _set("productHierarchy.3.node", "0001"),
        "bad.json: productHierarchy[3].node '0001' is not a 5, 10 or 18 digit node",
    ),
    (_set("productHierarchy.3.node", 2), "productHierarchy[3].node 2 is not a 5, 10 or 18"),
    (_set("productHierarchy.3.node", "0000A"), "productHierarchy[3].node '0000A' is not a 5"),
    (
        _set("productHierarchy.3.node", "0000900001"),
        "bad.json: productHierarchy[3].node '0000900001' has no parent node '00009'",
    ),
    (
        _set("productHierarchy.3.node", "00001"),
        "bad.json: productHierarchy[3].node '00001' repeats productHierarchy[0]",
    ),
    (_set("productHierarchy.1.text", ""), "bad.json: productHierarchy[1].text is empty"),
    (_set("productHierarchy.1.text", None), "productHierarchy[1].text is not a string (got null)"),
    (_set("productHierarchy.1.txt", "x"), "productHierarchy[1] has an unknown key 'txt'"),
    (_set("salesEmployees.0.email", ...), "bad.json: salesEmployees[0] has no 'email'"),
    (
        _set("salesEmployees.0.email", "ana.x.example"),
        "bad.json: salesEmployees[0].email 'ana.x.example' is not an e-mail address",
    ),
    (
        _set("salesEmployees.0.personnelNumber", "5000001"),
        "salesEmployees[0].personnelNumber '5000001' is not an 8 digit personnel number",
    ),
    (
        {
            **small_document(),
            "salesEmployees": [small_document()["salesEmployees"][0]] * 2,
        },
        "bad.json: salesEmployees[1].personnelNumber '50000001' repeats salesEmployees[0]",
    ),
    (
        _set("listings.1.node", "00003"),
        "bad.json: listings[1].node '00003' is not in productHierarchy",
    ),
    (_set("listings.1.customer", ""), "bad.json: listings[1].customer is empty"),
    (
        {**small_document(), "listings": [small_document()["listings"][0]] * 2},
        "bad.json: listings[1] repeats listings[0]",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_every_mistake_is_one_line_naming_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: object, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path("bad.json")
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        write_json(path, content)
    with pytest.raises(UserError) as caught:
        load(path)
    text = str(caught.value)
    assert message in text
    assert text.startswith("bad.json: ")
    assert "\n" not in text
    assert caught.value.__cause__ is None  # no chained traceback behind it


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"missing\.json: no such file"):
        load(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UserError, match="not UTF-8"):
        load(binary)


def test_phone_is_optional(tmp_path: Path) -> None:
    loaded = load(write_json(tmp_path / "a.json", _set("salesEmployees.0.phone", ...)))
    assert loaded.employees[0].phone == ""


def _mirror_items(conn: sqlite3.Connection, items: dict[str, str], customers: list[str]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO items (id, no, item_category_code, blocked) VALUES (?, ?, ?, 0)",
        [(no, no, node) for no, node in items.items()],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO customers (id, no, name) VALUES (?, ?, ?)",
        [(no, no, no) for no in customers],
    )
    conn.commit()


def test_derive_from_the_mirror_and_rerun_after_a_sync(mirror: sqlite3.Connection) -> None:
    _mirror_items(
        mirror,
        {"I1": "000010000100000001", "I2": "000010000200000003", "I3": "", "I4": "CHEM-ADH"},
        ["C000001"],
    )
    assert derive(mirror, stamp=STAMP) == {
        "item_categories": 5,
        "salespeople": 0,
        "customer_assortment": 1,
    }
    assert rows(
        mirror, "SELECT code, display_name, parent_code, level FROM item_categories ORDER BY code"
    ) == [
        ("00001", "00001", "", 1),
        ("0000100001", "0000100001", "00001", 2),
        ("000010000100000001", "000010000100000001", "0000100001", 3),
        ("0000100002", "0000100002", "00001", 2),
        ("000010000200000003", "000010000200000003", "0000100002", 3),
    ]
    assert rows(mirror, "SELECT customer_no, item_category_code FROM customer_assortment") == [
        ("C000001", "00001")
    ]
    assert derive(mirror, stamp=STAMP) == dict.fromkeys(
        ("item_categories", "salespeople", "customer_assortment"), 0
    )
    _mirror_items(mirror, {"I5": "0000200001"}, ["C000002"])  # the next sync brought these
    assert derive(mirror, stamp="2026-10-02T00:00:00Z") == {
        "item_categories": 7,
        "salespeople": 0,
        "customer_assortment": 4,
    }
    assert rows(
        mirror, "SELECT customer_no, item_category_code FROM customer_assortment ORDER BY 1, 2"
    ) == [("C000001", "00001"), ("C000001", "00002"), ("C000002", "00001"), ("C000002", "00002")]
    assert rows(mirror, "SELECT DISTINCT watermark FROM sync_state") == [("2026-10-02T00:00:00Z",)]


def test_derive_after_a_file_replaces_its_rows(tmp_path: Path, mirror: sqlite3.Connection) -> None:
    apply(mirror, load(write_json(tmp_path / "a.json", small_document())), stamp=STAMP)
    _mirror_items(mirror, {"I1": "00003"}, ["C000009"])
    assert derive(mirror, stamp=STAMP)["item_categories"] == 1
    assert rows(mirror, "SELECT count(*) FROM salespeople") == [(0,)]
