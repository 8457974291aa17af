"""Reading the population: who can buy online, and at what rhythm."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from simulator.adoption.population import (
    Population,
    load_population,
    sample_population,
    synthetic_population,
)
from simulator.adoption.scenario import PopulationFilter
from simulator.erp.generate import GenerationSummary
from simulator.errors import UserError


def test_blocked_accounts_are_left_out(population: Population, small_db: Path) -> None:
    with sqlite3.connect(small_db) as conn:
        total, blocked = conn.execute(
            "SELECT count(*), sum(blocked != '') FROM customers"
        ).fetchone()
        buyers = conn.execute(
            "SELECT count(*) FROM contacts k JOIN customers c ON c.no = k.customer_no"
            " WHERE c.blocked = '' AND k.role = 'buyer'"
        ).fetchone()[0]
    assert blocked > 0
    assert population.accounts == total - blocked
    assert population.excluded_blocked == blocked
    assert population.buyers == buyers
    assert population.key_account.sum() > 0


def test_contacts_are_buyers_then_clerks(population: Population) -> None:
    assert population.clerks > 0
    assert np.all(population.need_rate()[population.buyers :] == 0)
    assert np.all(population.need_rate()[: population.buyers] > 0)


def test_rates_split_over_contacts_keep_the_account_totals(population: Population) -> None:
    per_account_needs = np.bincount(
        population.contact_account, weights=population.need_rate(), minlength=population.accounts
    )
    np.testing.assert_allclose(per_account_needs, population.orders_per_week)
    per_account_invoices = np.bincount(
        population.contact_account,
        weights=population.invoice_rate(),
        minlength=population.accounts,
    )
    np.testing.assert_allclose(per_account_invoices, population.invoices_per_week)


def test_scenario_exclusions(small_db: Path, population: Population) -> None:
    with sqlite3.connect(small_db) as conn:
        public = conn.execute(
            "SELECT count(*) FROM customers WHERE segment = 'public' AND blocked = ''"
        ).fetchone()[0]
    fewer = load_population(small_db, PopulationFilter(exclude_segments=("public",)))
    assert fewer.accounts == population.accounts - public
    assert fewer.excluded_by_scenario == public
    with pytest.raises(UserError, match=r"population\.exclude_segments: no segment 'publc'"):
        load_population(small_db, PopulationFilter(exclude_segments=("publc",)))
    with pytest.raises(UserError, match=r"population\.exclude_customers"):
        load_population(small_db, PopulationFilter(exclude_customers=("NOPE",)))


def test_rhythm_from_order_history_or_from_the_customer_card(
    small_db: Path, tmp_path: Path, population: Population
) -> None:
    copy = tmp_path / "no-history.sqlite"
    shutil.copy(small_db, copy)
    with sqlite3.connect(copy) as conn:
        has_orders = (
            conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sales_orders'"
            ).fetchone()[0]
            and conn.execute(
                "SELECT count(*) FROM sales_orders WHERE order_date > '2025-10-01'"
            ).fetchone()[0]
        )
        for table in ("sales_orders", "sales_invoices", "item_ledger_entries"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        intervals = np.array(
            [
                row[0]
                for row in conn.execute(
                    "SELECT order_interval_days FROM customers WHERE blocked = '' ORDER BY no"
                )
            ]
        )
    plain = load_population(copy, PopulationFilter())
    assert plain.rhythm_source == "customers.order_interval_days"
    np.testing.assert_allclose(plain.orders_per_week, 7.0 / intervals)
    np.testing.assert_allclose(plain.invoices_per_week, plain.orders_per_week)
    assert plain.change_rates.stock_changes_per_item_month is None
    if has_orders:  # the ERP world's history is in the dataset
        assert population.rhythm_source.startswith("sales_orders")
    else:
        assert population.rhythm_source == "customers.order_interval_days"


def test_rhythm_and_change_rates_from_the_erp_world(history_run: GenerationSummary) -> None:
    """With the simulated history, orders, invoices and stock movements of the last 12
    months drive the population (sales_orders, sales_invoices, item_ledger_entries)."""
    world = load_population(history_run.path, PopulationFilter())
    with sqlite3.connect(history_run.path) as conn:
        orders = conn.execute(
            "SELECT count(*) FROM sales_orders s JOIN customers c ON c.no = s.customer_no"
            " WHERE c.blocked = '' AND s.order_date > '2025-10-01'"
            " AND s.order_date <= '2026-10-01'"
        ).fetchone()[0]
    assert world.rhythm_source == "sales_orders (last 12 months)"
    assert world.invoice_source == "sales_invoices (last 12 months)"
    assert world.orders_per_week.sum() * 365 / 7 == pytest.approx(orders)
    assert world.change_rates.stock_changes_per_item_month is not None
    assert world.change_rates.stock_changes_per_item_month > 0


def test_price_changes_come_from_price_list_lines(small_db: Path, population: Population) -> None:
    with sqlite3.connect(small_db) as conn:
        started = conn.execute(
            "SELECT count(*) FROM price_list_lines"
            " WHERE starting_date > '2025-10-01' AND starting_date <= '2026-10-01'"
        ).fetchone()[0]
    assert population.change_rates.price_changes_per_item_month == pytest.approx(
        started / (800 * 12)
    )


def test_synthetic_population_and_sample() -> None:
    big = synthetic_population(1000, 3000, seed=1)
    assert (big.accounts, big.contacts, big.buyers) == (1000, 3000, 2250)
    assert np.all(big.buyers_per_account() >= 1)
    sample = sample_population(big, 0.1, seed=1)
    assert sample.accounts == 100
    assert np.all(sample.buyers_per_account() >= 1)
    assert sample.contact_account.max() < sample.accounts
