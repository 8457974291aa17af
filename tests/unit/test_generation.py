"""The generated dataset looks like a real distributor's ERP and keeps its invariants."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from simulator.config import Profile, profile_from_dict
from simulator.erp.generate import generate
from simulator.erp.pricing import PriceRequest, SqlitePriceData, resolve_price
from simulator.erp.schema import SALES_QUOTES, TABLES


def scalar(conn: sqlite3.Connection, sql: str, *params: object) -> object:
    return conn.execute(sql, params).fetchone()[0]


def test_every_master_data_entity_has_rows(small_run) -> None:
    counts = small_run.counts
    assert set(counts) == {table.name for table in TABLES}
    history = {t.name for t in TABLES[TABLES.index(SALES_QUOTES) :]}
    assert [name for name, rows in counts.items() if rows == 0] == sorted(
        history, key=[t.name for t in TABLES].index
    )
    assert counts["items"] == 800
    assert counts["customers"] == 200


def test_category_tree_has_three_levels_and_items_sit_on_leaves(conn) -> None:
    orphans = scalar(
        conn,
        "SELECT count(*) FROM item_categories c WHERE parent_code != ''"
        " AND parent_code NOT IN (SELECT code FROM item_categories)",
    )
    assert orphans == 0
    levels = dict(conn.execute("SELECT level, count(*) FROM item_categories GROUP BY level"))
    assert set(levels) == {1, 2, 3}
    assert levels[3] == 30
    off_leaf = scalar(
        conn,
        "SELECT count(*) FROM items i JOIN item_categories c"
        " ON c.code = i.item_category_code WHERE c.level != 3",
    )
    assert off_leaf == 0


def test_list_prices_are_log_normal_and_cost_is_below_price(conn) -> None:
    prices = np.array([r[0] for r in conn.execute("SELECT unit_price FROM items")])
    assert (prices > 0).all()
    assert scalar(conn, "SELECT count(*) FROM items WHERE unit_cost >= unit_price") == 0
    assert scalar(conn, "SELECT count(*) FROM items WHERE unit_cost <= 0") == 0
    logs = np.log(prices)
    # Log-normal: the log is roughly symmetric, and prices span orders of magnitude.
    skew_of_log = float(np.mean((logs - logs.mean()) ** 3) / logs.std() ** 3)
    assert abs(skew_of_log) < 0.6
    assert prices.max() / prices.min() > 1000


def test_gtins_carry_a_valid_check_digit(conn) -> None:
    for (gtin,) in conn.execute("SELECT gtin FROM items"):
        digits = [int(c) for c in gtin]
        assert len(digits) == 13
        weighted = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
        assert (10 - weighted % 10) % 10 == digits[12]


def test_every_item_has_its_base_unit_and_packs_hold_more(conn) -> None:
    missing = scalar(
        conn,
        "SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM"
        " item_units_of_measure u WHERE u.item_no = i.no"
        " AND u.code = i.base_unit_of_measure AND u.qty_per_unit_of_measure = 1)",
    )
    assert missing == 0
    assert (
        scalar(
            conn,
            "SELECT min(qty_per_unit_of_measure) FROM item_units_of_measure u"
            " JOIN items i ON i.no = u.item_no WHERE u.code != i.base_unit_of_measure",
        )
        > 1
    )
    assert (
        scalar(
            conn,
            "SELECT count(DISTINCT item_no) FROM item_units_of_measure"
            " WHERE code != 'PCS' AND code != 'M' AND code != 'L' AND code != 'PAIR'",
        )
        > 200
    )


def test_stock_exists_for_every_item_and_location_and_is_sane(conn) -> None:
    assert scalar(conn, "SELECT count(*) FROM item_stock") == 800 * 3
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM item_stock WHERE inventory < 0"
            " OR reorder_point > maximum_inventory OR lead_time_days < 1",
        )
        == 0
    )
    out_of_stock = scalar(conn, "SELECT avg(inventory = 0) FROM item_stock")
    assert 0.01 < out_of_stock < 0.25


def test_key_accounts_are_the_top_accounts_and_hold_most_volume(conn) -> None:
    smallest_key = scalar(conn, "SELECT min(annual_volume) FROM customers WHERE key_account = 1")
    largest_other = scalar(conn, "SELECT max(annual_volume) FROM customers WHERE key_account = 0")
    assert smallest_key >= largest_other
    assert scalar(conn, "SELECT count(*) FROM customers WHERE key_account = 1") == 20
    share = scalar(
        conn, "SELECT sum(annual_volume * key_account) / sum(annual_volume) FROM customers"
    )
    assert share > 0.5
    volumes = sorted(
        (r[0] for r in conn.execute("SELECT annual_volume FROM customers")), reverse=True
    )
    top_fifth = sum(volumes[: len(volumes) // 5]) / sum(volumes)
    assert 0.6 < top_fifth < 0.9  # Pareto, near the 80/20 rule


def test_customers_carry_what_the_history_needs(conn) -> None:
    bad = scalar(
        conn,
        "SELECT count(*) FROM customers WHERE order_interval_days <= 0"
        " OR avg_basket_lines < 1 OR annual_volume <= 0 OR credit_limit <= 0",
    )
    assert bad == 0
    # Bigger accounts order more often.
    key, other = conn.execute(
        "SELECT avg(CASE WHEN key_account THEN order_interval_days END),"
        " avg(CASE WHEN NOT key_account THEN order_interval_days END) FROM customers"
    ).fetchone()
    assert key < other
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM customers c WHERE NOT EXISTS"
            " (SELECT 1 FROM customer_preferred_items p WHERE p.customer_no = c.no)",
        )
        == 0
    )


def test_reference_codes_resolve(conn) -> None:
    checks = {
        "payment terms": "SELECT count(*) FROM customers WHERE payment_terms_code NOT IN"
        " (SELECT code FROM payment_terms)",
        "salesperson": "SELECT count(*) FROM customers WHERE salesperson_code NOT IN"
        " (SELECT code FROM salespeople)",
        "currency": "SELECT count(*) FROM customers WHERE currency_code != ''"
        " AND currency_code NOT IN (SELECT code FROM currencies)",
        "price group": "SELECT count(*) FROM customers WHERE customer_price_group != ''"
        " AND customer_price_group NOT IN (SELECT code FROM customer_price_groups)",
        "disc group": "SELECT count(*) FROM customers WHERE customer_disc_group NOT IN"
        " (SELECT code FROM customer_discount_groups)",
        "item disc group": "SELECT count(*) FROM items WHERE item_disc_group NOT IN"
        " (SELECT code FROM item_discount_groups)",
        "line item": "SELECT count(*) FROM price_list_lines WHERE asset_type = 'Item'"
        " AND asset_no NOT IN (SELECT no FROM items)",
        "line header": "SELECT count(*) FROM price_list_lines WHERE price_list_code NOT IN"
        " (SELECT code FROM price_lists)",
        "line unit": "SELECT count(*) FROM price_list_lines l WHERE unit_of_measure_code != ''"
        " AND NOT EXISTS (SELECT 1 FROM item_units_of_measure u"
        " WHERE u.item_no = l.asset_no AND u.code = l.unit_of_measure_code)",
        "preferred unit": "SELECT count(*) FROM customer_preferred_items p WHERE NOT EXISTS"
        " (SELECT 1 FROM item_units_of_measure u WHERE u.item_no = p.item_no"
        " AND u.code = p.unit_of_measure_code)",
    }
    assert {name: scalar(conn, sql) for name, sql in checks.items()} == dict.fromkeys(checks, 0)


def test_key_accounts_belong_to_key_account_managers(conn) -> None:
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM customers c JOIN salespeople s"
            " ON s.code = c.salesperson_code WHERE c.key_account = 1"
            " AND s.key_account_manager = 0",
        )
        == 0
    )


def test_contacts_have_unique_emails_and_every_account_has_a_buyer(conn) -> None:
    assert scalar(conn, "SELECT count(*) - count(DISTINCT email) FROM contacts") == 0
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM"
            " contacts t WHERE t.customer_no = c.no AND t.role = 'buyer')",
        )
        == 0
    )
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM"
            " contacts t WHERE t.customer_no = c.no AND t.role = 'ap_clerk')",
        )
        == 0
    )
    assert scalar(conn, "SELECT count(*) FROM contacts WHERE email NOT LIKE '%_@_%.example'") == 0


def test_preferred_items_are_sellable_and_inside_the_assortment(conn) -> None:
    outside = scalar(
        conn,
        """
        SELECT count(*) FROM customer_preferred_items p
        JOIN items i ON i.no = p.item_no
        JOIN item_categories leaf ON leaf.code = i.item_category_code
        WHERE i.blocked = 1 OR NOT EXISTS (SELECT 1 FROM customer_assortment a
            WHERE a.customer_no = p.customer_no AND a.item_category_code = leaf.parent_code)""",
    )
    assert outside == 0


def test_customer_prices_only_on_the_customers_assortment(conn) -> None:
    outside = scalar(
        conn,
        """
        SELECT count(*) FROM price_list_lines l
        JOIN items i ON i.no = l.asset_no
        JOIN item_categories leaf ON leaf.code = i.item_category_code
        WHERE l.source_type = 'Customer' AND l.asset_type = 'Item'
          AND NOT EXISTS (SELECT 1 FROM customer_assortment a
            WHERE a.customer_no = l.source_no AND a.item_category_code = leaf.parent_code)""",
    )
    assert outside == 0
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM price_list_lines WHERE source_type = 'Customer'"
            " AND amount_type = 'Price'",
        )
        > 1000
    )


def _rate(conn: sqlite3.Connection, currency: str, on: str) -> float:
    if not currency:
        return 1.0
    return scalar(
        conn,
        "SELECT exchange_rate_amount / relational_exch_rate_amount FROM"
        " currency_exchange_rates WHERE currency_code = ? AND starting_date <= ?"
        " ORDER BY starting_date DESC LIMIT 1",
        currency,
        on,
    )


def customer_prices_above_list(conn: sqlite3.Connection, as_of: dt.date) -> tuple[int, int]:
    """(customer price lines above the all-customers price for item and quantity, all lines)."""
    rows = conn.execute("""
        SELECT l.unit_price, l.currency_code,
            (SELECT min(a.unit_price) FROM price_list_lines a WHERE a.price_list_code = 'S-ALL'
              AND a.asset_no = l.asset_no AND a.unit_of_measure_code = ''
              AND a.minimum_quantity <= l.minimum_quantity)
        FROM price_list_lines l
        WHERE l.source_type = 'Customer' AND l.amount_type = 'Price'""").fetchall()
    above = 0
    for price, currency, all_customers in rows:
        converted = all_customers * _rate(conn, currency, as_of.isoformat())
        tolerance = 0.005 if converted >= 1 else 0.00005  # rounding of the stored prices
        above += price > converted + tolerance
    return above, len(rows)


def test_customer_prices_never_exceed_the_all_customers_price(conn, small_profile) -> None:
    above, total = customer_prices_above_list(conn, small_profile.as_of)
    assert total > 1000
    assert above == 0


def tiny_profile(**pricing: object) -> Profile:
    return profile_from_dict(
        {
            "name": "tiny",
            "catalog": {"items": 300, "categories": 10},
            "customers": {"count": 40},
            "pricing": pricing,
        }
    )


def test_profile_can_allow_customer_prices_above_list(tmp_path: Path) -> None:
    profile = tiny_profile(customer_price_above_list_share=0.3, customer_price_share=1.0)
    summary = generate(profile, seed=3, out=tmp_path / "above.sqlite", history_months=0)
    with sqlite3.connect(summary.path) as db:
        above, total = customer_prices_above_list(db, profile.as_of)
    assert 0.1 * total < above < 0.6 * total


def test_quantity_breaks_lower_the_price(conn) -> None:
    rows = conn.execute("""
        SELECT price_list_code, asset_no, unit_of_measure_code, currency_code,
               coalesce(starting_date, ''), minimum_quantity, unit_price
        FROM price_list_lines WHERE amount_type = 'Price'
        ORDER BY 1, 2, 3, 4, 5, 6""").fetchall()
    groups_with_breaks = 0
    previous = None
    for row in rows:
        key, minimum, price = row[:5], row[5], row[6]
        if previous is not None and previous[0] == key:
            assert minimum > previous[1]
            assert price < previous[2], f"break at {minimum} of {key} is not cheaper"
            groups_with_breaks += 1
        previous = (key, minimum, price)
    assert groups_with_breaks > 100


def test_agreement_history_does_not_overlap(conn) -> None:
    """Expired, current and upcoming agreements for one item follow each other in time."""
    rows = conn.execute("""
        SELECT price_list_code, asset_no, starting_date, ending_date FROM price_list_lines
        WHERE source_type = 'Customer' AND amount_type = 'Price' AND minimum_quantity = 0
        ORDER BY 1, 2, 3""").fetchall()
    expired = upcoming = 0
    for previous, row in itertools.pairwise(rows):
        if previous[:2] == row[:2]:
            assert previous[3] is not None
            assert previous[3] < row[2]
    for _, _, start, end in rows:
        expired += end is not None and end < "2026-10-01"
        upcoming += start > "2026-10-01"
    assert expired > 0
    assert upcoming > 0


def test_campaigns_run_now_and_later_and_lines_stay_inside_them(conn) -> None:
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM campaigns WHERE starting_date <= '2026-10-01'"
            " AND ending_date >= '2026-10-01'",
        )
        >= 1
    )
    assert scalar(conn, "SELECT count(*) FROM campaigns WHERE starting_date > '2026-10-01'") >= 1
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM price_list_lines l JOIN campaigns c"
            " ON c.no = l.source_no WHERE l.source_type = 'Campaign'"
            " AND (l.starting_date < c.starting_date OR l.ending_date > c.ending_date)",
        )
        == 0
    )


def test_the_pricing_engine_prices_every_repeat_basket_line(conn, small_profile) -> None:
    """Generated data and pricing agree: a sellable basket line gets a price at or below the
    item card's list price (converted), from a price list, never an error."""
    data = SqlitePriceData(conn)
    rows = conn.execute("""
        SELECT p.customer_no, p.item_no, p.unit_of_measure_code, p.typical_quantity,
               c.currency_code, i.unit_price, u.qty_per_unit_of_measure
        FROM customer_preferred_items p JOIN customers c ON c.no = p.customer_no
        JOIN items i ON i.no = p.item_no
        JOIN item_units_of_measure u ON u.item_no = p.item_no AND u.code = p.unit_of_measure_code
        WHERE c.blocked != 'All' AND p.rank <= 3""").fetchall()
    assert len(rows) > 300
    for customer, item, unit, quantity, currency, list_price, per_unit in rows:
        result = resolve_price(
            data, PriceRequest(customer, item, quantity, small_profile.as_of, unit)
        )
        ceiling = list_price * per_unit * _rate(conn, currency, small_profile.as_of.isoformat())
        assert result.net_unit_price <= ceiling * 1.06 + 0.01  # FCY lists sit up to 5 % above
        assert result.price_source is not None
        assert math.isclose(result.line_amount, round(quantity * result.net_unit_price, 2))


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_last_modified_is_set_everywhere(conn, table: str) -> None:
    assert (
        scalar(
            conn,
            f"SELECT count(*) FROM {table} WHERE last_modified_date_time"
            " NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'",
        )
        == 0
    )
