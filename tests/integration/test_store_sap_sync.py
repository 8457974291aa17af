"""The store's master data synced from SAP's A2X services (`SapSynchronizer`) against the
real mock ERP: the mirror holds what the Business Central sync gives for the same world,
in SAP's keys (product hierarchy nodes, plants, personnel numbers, SAP's group codes), and
a later run reads only what changed since (with its overlap)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.erp_server.client import ErpClient
from simulator.erp_server.sap.codes import Codes
from simulator.store.sap_client import SapClient
from simulator.store.sap_sync import SapSynchronizer
from simulator.store.sync import MASTER_TABLES, Synchronizer, create_mirror

pytest_plugins = ["tests.integration.store_fixtures"]
ERP_KEY = "store-test-key"  # store_fixtures' (a plugin module is not imported here)


def _mirror(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    create_mirror(conn)
    return conn


@pytest.fixture(scope="module")
def world(erp_server: Any) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(erp_server.settings.db)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def mirrors(
    tmp_path_factory: pytest.TempPathFactory, erp_server: Any
) -> Iterator[tuple[sqlite3.Connection, sqlite3.Connection, SapSynchronizer]]:
    """The same world mirrored through Business Central's API and through SAP's."""
    folder = tmp_path_factory.mktemp("mirrors")
    bc_path, sap_path = folder / "bc.sqlite", folder / "sap.sqlite"
    bc, sap = _mirror(bc_path), _mirror(sap_path)
    with (
        ErpClient(erp_server.url, api_key=ERP_KEY) as erp,
        SapClient(erp_server.url, api_key=ERP_KEY) as session,
    ):
        Synchronizer(lambda: sqlite3.connect(bc_path), erp, tables=MASTER_TABLES).run_once()
        synchronizer = SapSynchronizer(lambda: sqlite3.connect(sap_path), session)
        synchronizer.run_once()
        yield bc, sap, synchronizer
    bc.close()
    sap.close()


def _rows(conn: sqlite3.Connection, query: str) -> dict[str, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in conn.execute(query)}


def test_items_and_units_are_sap_products(mirrors: Any, world: sqlite3.Connection) -> None:
    bc, sap, _ = mirrors
    codes = Codes(world)
    columns = "no, display_name, item_category_code, blocked, gtin, base_unit_of_measure,"
    columns += " gross_weight, item_disc_group, last_modified_date_time FROM items"
    ours, theirs = _rows(bc, f"SELECT {columns}"), _rows(sap, f"SELECT {columns}")
    assert set(theirs) == set(ours)
    for number, (name, category, blocked, gtin, unit, weight, group, stamp) in ours.items():
        assert theirs[number] == (
            name[:40],  # SAP's product description has 40 characters
            codes.to_sap("product_hierarchy", category),
            blocked,
            gtin,
            unit,
            pytest.approx(weight),
            codes.to_sap("pricing_group", group),
            stamp,
        ), number
    units = "SELECT item_no || '/' || code, qty_per_unit_of_measure FROM item_units_of_measure"
    assert _rows(sap, units) == _rows(bc, units)


def test_customers_are_business_partners_of_the_sales_area(
    mirrors: Any, world: sqlite3.Connection
) -> None:
    bc, sap, _ = mirrors
    codes = Codes(world)
    columns = (
        "no, name, address, city, country_code, post_code, phone_no, email, salesperson_code,"
        " currency_code, blocked, payment_terms_code, customer_price_group, customer_disc_group,"
        " location_code, key_account, segment, id FROM customers"
    )
    ours, theirs = _rows(bc, f"SELECT {columns}"), _rows(sap, f"SELECT {columns}")
    assert set(theirs) == set(ours)
    for number, row in ours.items():
        (name, street, city, country, post, phone, mail, rep, currency, blocked, terms,
         price_group, disc_group, location, key, segment, uuid) = row  # fmt: skip
        assert theirs[number] == (
            name, street, city, country, post, phone, mail,
            codes.to_sap("personnel", rep),
            currency, blocked,
            codes.to_sap("payment_terms", terms),
            codes.to_sap("price_group", price_group),
            codes.to_sap("discount_group", disc_group),
            codes.to_sap("plant", location),
            key,
            codes.to_sap("customer_group", segment),
            uuid,
        ), number  # fmt: skip
    assert {row[9] for row in ours.values()} > {""}  # blocked customers were compared
    assert any(row[14] for row in ours.values())  # and key accounts


def test_contacts_are_contact_persons_and_the_clerk_is_the_company_codes(
    mirrors: Any, world: sqlite3.Connection
) -> None:
    bc, sap, _ = mirrors
    columns = "no, customer_no, first_name, surname, email, phone_no, id FROM contacts"
    assert _rows(sap, f"SELECT {columns}") == _rows(bc, f"SELECT {columns}")
    clerks = {  # SAP keeps one accounting clerk per company code: the first of ours
        customer: email.lower()
        for customer, email in world.execute(
            "SELECT customer_no, email FROM contacts WHERE role = 'ap_clerk' ORDER BY no DESC"
        )
    }
    roles = dict(sap.execute("SELECT no, role FROM contacts"))
    for number, customer, email in bc.execute("SELECT no, customer_no, email FROM contacts"):
        expected = "ap_clerk" if clerks.get(customer) == email.lower() else "buyer"
        assert roles[number] == expected, number
    assert "ap_clerk" in roles.values()


def test_a_later_run_reads_only_what_changed(mirrors: Any, world: sqlite3.Connection) -> None:
    _, sap, synchronizer = mirrors
    (newest,) = sap.execute("SELECT max(last_modified_date_time) FROM items").fetchone()
    later = (
        dt.datetime.fromisoformat(newest.replace("Z", "+00:00")) + dt.timedelta(minutes=5)
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    (item,) = world.execute("SELECT min(no) FROM items").fetchone()
    (customer,) = world.execute("SELECT min(no) FROM customers").fetchone()
    with world:  # the ERP changes a product and a customer
        world.execute(
            "UPDATE items SET display_name = 'Renamed in SAP', last_modified_date_time = ?"
            " WHERE no = ?",
            (later, item),
        )
        world.execute(
            "UPDATE customers SET city = 'Teruel', last_modified_date_time = ? WHERE no = ?",
            (later, customer),
        )
    rows = synchronizer.run_once()  # what changed since the first run, only that
    assert (rows["items"], rows["customers"], rows["contacts"]) == (1, 1, 0)
    assert sap.execute("SELECT display_name FROM items WHERE no = ?", (item,)).fetchone() == (
        "Renamed in SAP",
    )
    assert sap.execute("SELECT city FROM customers WHERE no = ?", (customer,)).fetchone() == (
        "Teruel",
    )
    rows = synchronizer.run_once()  # the rows at the newest stamp are scanned, not read
    assert (rows["items"], rows["customers"], rows["contacts"]) == (0, 0, 0)
