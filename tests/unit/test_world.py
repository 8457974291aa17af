"""The world over time: every document consistent with the master data and the others."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from simulator.erp.database import content_digest
from simulator.erp.generate import generate
from simulator.erp.history import month_ends, snapshot_date
from simulator.erp.pricing import PriceRequest, PricingError, SqlitePriceData, resolve_price
from simulator.erp.schema import TABLES
from simulator.erp.stats import EXPECTED, compute_stats
from simulator.erp.world import World
from simulator.erp.world.documents import (
    CreditMemo,
    DocLine,
    Inquiry,
    Invoice,
    Order,
    OrderLine,
    Payment,
    PurchaseOrder,
    Quote,
    Shipment,
    ShipmentLine,
)


def scalar(conn: sqlite3.Connection, sql: str, *params: object) -> object:
    return conn.execute(sql, params).fetchone()[0]


def test_history_fills_every_document_table(history_run) -> None:
    empty = [name for name, rows in history_run.counts.items() if rows == 0]
    assert empty == []
    assert history_run.counts["sales_orders"] > 3000


def test_stock_balances_with_the_ledger(history) -> None:
    mismatched = scalar(
        history,
        """
        WITH moved AS (SELECT item_no, location_code, sum(quantity) AS q
                       FROM item_ledger_entries GROUP BY 1, 2)
        SELECT count(*) FROM item_stock s LEFT JOIN moved m
          ON m.item_no = s.item_no AND m.location_code = s.location_code
        WHERE abs(s.inventory - s.opening_inventory - coalesce(m.q, 0)) > 1e-6""",
    )
    assert mismatched == 0
    assert scalar(history, "SELECT count(*) FROM item_stock WHERE inventory < 0") == 0


def test_every_shipment_and_sale_entry_matches(history) -> None:
    # Each shipment line is a sale ledger entry of the same base quantity at the order's site.
    assert scalar(
        history,
        """
        SELECT count(*) FROM sales_shipment_lines sl
        JOIN sales_shipments s ON s.no = sl.document_no""",
    ) == scalar(history, "SELECT count(*) FROM item_ledger_entries WHERE entry_type = 'Sale'")
    assert (
        scalar(
            history,
            """
        SELECT abs(sum(quantity_base) + (SELECT sum(quantity) FROM item_ledger_entries
                                          WHERE entry_type = 'Sale'))
        FROM sales_shipment_lines""",
        )
        < 1e-6
    )


def test_invoice_shipment_order_line_chain(history) -> None:
    broken = {
        "invoice line without its shipment line": """
            SELECT count(*) FROM sales_invoice_lines il LEFT JOIN sales_shipment_lines sl
            ON sl.document_no = il.shipment_no AND sl.line_no = il.shipment_line_no
            WHERE sl.document_no IS NULL OR sl.quantity != il.quantity
               OR sl.item_no != il.item_no OR sl.order_no != il.order_no""",
        "shipment line without its order line": """
            SELECT count(*) FROM sales_shipment_lines sl LEFT JOIN sales_order_lines ol
            ON ol.document_no = sl.order_no AND ol.line_no = sl.order_line_no
            WHERE ol.document_no IS NULL OR ol.item_no != sl.item_no
               OR ol.unit_of_measure_code != sl.unit_of_measure_code
               OR abs(sl.quantity * ol.qty_per_unit_of_measure - sl.quantity_base) > 1e-9""",
        "invoice not from a shipment of its order": """
            SELECT count(*) FROM sales_invoices i JOIN sales_shipments s ON s.no = i.shipment_no
            WHERE s.order_no != i.order_no OR s.customer_no != i.customer_no""",
        "invoice without a shipment": """
            SELECT count(*) FROM sales_invoices i WHERE NOT EXISTS
            (SELECT 1 FROM sales_shipments s WHERE s.no = i.shipment_no)""",
        "shipped quantity disagrees": """
            WITH shipped AS (SELECT order_no, order_line_no, sum(quantity) AS q
                             FROM sales_shipment_lines GROUP BY 1, 2)
            SELECT count(*) FROM sales_order_lines ol LEFT JOIN shipped s
              ON s.order_no = ol.document_no AND s.order_line_no = ol.line_no
            WHERE abs(ol.quantity_shipped - coalesce(s.q, 0)) > 1e-9
               OR ol.quantity_shipped > ol.quantity""",
        "invoiced quantity disagrees": """
            WITH invoiced AS (SELECT order_no, order_line_no, sum(quantity) AS q
                              FROM sales_invoice_lines GROUP BY 1, 2)
            SELECT count(*) FROM sales_order_lines ol LEFT JOIN invoiced i
              ON i.order_no = ol.document_no AND i.order_line_no = ol.line_no
            WHERE abs(ol.quantity_invoiced - coalesce(i.q, 0)) > 1e-9""",
        "invoice amount is not its lines": """
            WITH totals AS (SELECT document_no, sum(line_amount) AS amount
                            FROM sales_invoice_lines GROUP BY 1)
            SELECT count(*) FROM sales_invoices i JOIN totals t ON t.document_no = i.no
            WHERE abs(i.amount - t.amount) > 0.005""",
        "shipped before ordered": """
            SELECT count(*) FROM sales_shipments s JOIN sales_orders o ON o.no = s.order_no
            WHERE s.shipment_date < o.order_date""",
        "invoiced order not fully invoiced": """
            SELECT count(*) FROM sales_orders o WHERE o.status = 'Invoiced' AND EXISTS
            (SELECT 1 FROM sales_order_lines l WHERE l.document_no = o.no
             AND l.quantity_invoiced < l.quantity)""",
    }
    assert {name: scalar(history, sql) for name, sql in broken.items()} == dict.fromkeys(broken, 0)


def test_payments_follow_their_invoices(history) -> None:
    assert (
        scalar(
            history,
            """
        SELECT count(*) FROM customer_payments p JOIN sales_invoices i ON i.no = p.invoice_no
        WHERE p.posting_date <= i.posting_date OR abs(p.amount - i.amount) > 0.005
           OR i.status != 'Paid' OR i.remaining_amount != 0""",
        )
        == 0
    )
    assert (
        scalar(
            history,
            "SELECT count(*) FROM customer_payments p WHERE NOT EXISTS"
            " (SELECT 1 FROM sales_invoices i WHERE i.no = p.invoice_no)",
        )
        == 0
    )
    unpaid_old = scalar(
        history,
        "SELECT count(*) FROM sales_invoices WHERE status = 'Open' AND due_date < '2026-06-01'",
    )
    assert unpaid_old < 0.01 * scalar(history, "SELECT count(*) FROM sales_invoices")


def test_credit_memos_return_goods_of_invoiced_shipments(history) -> None:
    assert (
        scalar(
            history,
            """
        SELECT count(*) FROM sales_credit_memo_lines m
        JOIN sales_shipment_lines s ON s.document_no = m.shipment_no
            AND s.line_no = m.shipment_line_no
        WHERE m.quantity > s.quantity OR m.item_no != s.item_no""",
        )
        == 0
    )
    returns = scalar(history, "SELECT count(*) FROM sales_credit_memos")
    assert returns == scalar(
        history, "SELECT count(*) FROM item_ledger_entries WHERE entry_type = 'Return'"
    )
    assert returns == scalar(history, "SELECT count(*) FROM inquiries WHERE type = 'return'")


def test_inquiries_refer_to_real_documents(history) -> None:
    assert (
        scalar(
            history,
            """
        SELECT count(*) FROM inquiries q WHERE q.order_no != ''
        AND NOT EXISTS (SELECT 1 FROM sales_orders o WHERE o.no = q.order_no
                        AND o.customer_no = q.customer_no AND o.created_at <= q.created_at)""",
        )
        == 0
    )
    assert (
        scalar(
            history,
            """
        SELECT count(*) FROM inquiries q WHERE q.invoice_no != ''
        AND NOT EXISTS (SELECT 1 FROM sales_invoices i WHERE i.no = q.invoice_no)""",
        )
        == 0
    )


def test_quotes_become_orders_at_their_prices(history) -> None:
    assert (
        scalar(
            history,
            """
        SELECT count(*) FROM sales_quotes q WHERE q.status = 'Accepted' AND NOT EXISTS
        (SELECT 1 FROM sales_orders o WHERE o.no = q.order_no AND o.quote_no = q.no)""",
        )
        == 0
    )
    assert (
        scalar(
            history,
            """
        SELECT count(*) FROM sales_order_lines ol JOIN sales_orders o ON o.no = ol.document_no
        JOIN sales_quote_lines ql ON ql.document_no = o.quote_no AND ql.line_no = ol.line_no
        WHERE ql.unit_price != ol.unit_price OR ql.quantity != ol.quantity""",
        )
        == 0
    )


def test_order_lines_are_priced_by_the_engine_as_of_their_date(history) -> None:
    """Re-price every line with the final database at the order's date (the quote's date
    for quoted orders): history is preserved, so the answer is the same."""
    data = SqlitePriceData(history)
    rows = history.execute("""
        SELECT o.customer_no, l.item_no, l.quantity, l.unit_of_measure_code,
               coalesce(q.document_date, o.order_date), l.unit_price, l.line_discount_pct,
               l.line_amount, l.price_list_code, l.price_line_no
        FROM sales_order_lines l JOIN sales_orders o ON o.no = l.document_no
        LEFT JOIN sales_quotes q ON q.no = o.quote_no""").fetchall()
    assert len(rows) > 10_000
    for customer, item, qty, unit, day, price, disc, amount, code, line_no in rows[::5]:
        result = resolve_price(
            data, PriceRequest(customer, item, qty, dt.date.fromisoformat(day), unit)
        )
        assert (result.unit_price, result.line_discount_pct, result.line_amount) == (
            price,
            disc,
            amount,
        ), (customer, item, day)
        source = result.price_source
        assert (source.price_list_code, source.line_no) == (code, line_no)


def test_price_history_is_preserved(history) -> None:
    """Changes are new lines; an old line only ever gets an ending date before its
    successor starts."""
    overlaps = scalar(
        history,
        """
        SELECT count(*) FROM price_list_lines a JOIN price_list_lines b
          ON a.price_list_code = b.price_list_code AND a.asset_no = b.asset_no
         AND a.unit_of_measure_code = b.unit_of_measure_code
         AND a.minimum_quantity = b.minimum_quantity AND a.line_no < b.line_no
        WHERE a.price_list_code NOT LIKE 'CMP-%'
          AND coalesce(a.ending_date, '9999') >= b.starting_date
          AND coalesce(b.ending_date, '9999') >= coalesce(a.starting_date, '0000')""",
    )
    assert overlaps == 0
    increases = scalar(
        history,
        "SELECT count(*) FROM price_list_lines WHERE price_list_code"
        " = 'S-ALL' AND starting_date > '2024-10-01'",
    )
    assert increases > 500


def test_last_modified_is_monotone_and_inside_the_history(history, history_run) -> None:
    start, end = "2024-10-01T00:00:00Z", "2026-10-01T00:00:00Z"
    for table in TABLES:
        low, high = history.execute(
            f"SELECT min(last_modified_date_time), max(last_modified_date_time) FROM {table.name}"
        ).fetchone()
        assert start <= low <= high <= end, table.name
    checks = {
        "orders": "SELECT count(*) FROM sales_orders WHERE last_modified_date_time < created_at",
        "invoices": "SELECT count(*) FROM sales_invoices WHERE substr(last_modified_date_time,"
        " 1, 10) < posting_date",
        "payments": "SELECT count(*) FROM customer_payments WHERE substr(last_modified_date_time,"
        " 1, 10) != posting_date",
        "paid invoice stamped after payment": """SELECT count(*) FROM sales_invoices i
            JOIN customer_payments p ON p.invoice_no = i.no
            WHERE i.last_modified_date_time < p.last_modified_date_time""",
        "stock stamped at its last movement": """
            WITH moved AS (SELECT item_no, location_code, max(last_modified_date_time) AS t
                           FROM item_ledger_entries GROUP BY 1, 2)
            SELECT count(*) FROM item_stock s JOIN moved m
              ON m.item_no = s.item_no AND m.location_code = s.location_code
            WHERE s.last_modified_date_time != m.t""",
    }
    assert {name: scalar(history, sql) for name, sql in checks.items()} == dict.fromkeys(checks, 0)


def test_stats_lie_in_their_documented_ranges(history_run) -> None:
    figures = compute_stats(history_run.path)
    assert len(figures["orders_per_month"]) == 24
    for name, expected in EXPECTED.items():
        assert expected.low <= figures[name] <= expected.high, (name, figures[name])
    months = figures["orders_per_month"]
    august = (months["2025-08"] + months["2026-08"]) / 2
    assert august < 0.85 * sum(months.values()) / len(months)  # the holiday dip


def test_history_is_deterministic(history_run, small_profile, tmp_path: Path) -> None:
    again = generate(small_profile, seed=7, out=tmp_path / "again.sqlite")
    assert again.digest == history_run.digest


def master_copy(small_profile, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    generate(small_profile, seed=7, out=path, history_months=4)
    return path


def test_advance_in_steps_equals_one_advance(small_profile, tmp_path: Path) -> None:
    """A world advanced to t1 then t2 writes exactly what one advance to t2 writes."""
    base = tmp_path / "base.sqlite"
    generate(small_profile, seed=7, out=base, history_months=0)
    start = dt.datetime(2026, 10, 1)
    results = []
    for steps in (
        [dt.datetime(2026, 11, 20, 15, 30)],
        [
            dt.datetime(2026, 10, 9, 10, 0),
            dt.datetime(2026, 10, 30, 16, 0),
            dt.datetime(2026, 11, 20, 15, 30),
        ],
    ):
        path = tmp_path / f"steps-{len(steps)}.sqlite"
        shutil.copy(base, path)
        with sqlite3.connect(path) as conn:
            world = World(conn, small_profile, seed=11, start=start)
            for point in steps:
                world.advance(point)
            results.append(content_digest(conn))
            assert conn.execute("SELECT count(*) FROM sales_orders").fetchone()[0] > 100
    assert results[0] == results[1]


def test_changes_after_an_advance_carry_fresh_stamps(small_profile, tmp_path: Path) -> None:
    """Delta sync: after a second advance, exactly the rows it changed are newer than t1."""
    path = tmp_path / "live.sqlite"
    generate(small_profile, seed=7, out=path, history_months=0)
    with sqlite3.connect(path) as conn:
        world = World(conn, small_profile, seed=11, start=dt.datetime(2026, 10, 1))
        world.advance(dt.datetime(2026, 10, 20))
        before = {
            t.name: dict(
                ((r[: len(t.primary_key)]), r)
                for r in conn.execute(f"SELECT {', '.join(t.primary_key)}, * FROM {t.name}")
            )
            for t in TABLES
        }
        world.advance(dt.datetime(2026, 10, 27))
        for table in TABLES:
            stamp = table.columns.index("last_modified_date_time")
            for row in conn.execute(f"SELECT {', '.join(table.primary_key)}, * FROM {table.name}"):
                key, data = row[: len(table.primary_key)], row[len(table.primary_key) :]
                old = before[table.name].get(key)
                changed = old is None or old[len(table.primary_key) :] != data
                fresh = data[stamp] > "2026-10-20T00:00:00Z"
                assert changed == fresh, (table.name, key)


def test_cannot_go_back_in_time(small_profile, tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    generate(small_profile, seed=7, out=path, history_months=0)
    with sqlite3.connect(path) as conn:
        world = World(conn, small_profile, seed=1, start=dt.datetime(2026, 10, 1))
        world.advance(dt.datetime(2026, 10, 5))
        with pytest.raises(ValueError, match="back in time"):
            world.advance(dt.datetime(2026, 10, 4))


@pytest.mark.parametrize(
    ("document", "table"),
    [
        (
            Quote("Q", "i", "C", "CT", "d", "v", "phone", "", [DocLine(1, "I", "", 1, 1, 0, 1)]),
            "sales_quotes",
        ),
        (
            Order("O", "i", 0, "C", "CT", "d", "d", "phone", "", "SP", 0, "MAIN", "", "t", []),
            "sales_orders",
        ),
        (Payment("P", "i", "C", "I", "d", 1.0, "bank", "t"), "customer_payments"),
        (Inquiry("N", "C", "CT", "return", "phone", "t", "", ""), "inquiries"),
        (PurchaseOrder("PO", 0, "I", 0, "MAIN", 1.0, "d", "d", 0.0), "purchase_orders"),
    ],
)
def test_document_rows_match_the_schema(document, table: str) -> None:
    assert len(document.row()) == len(next(t for t in TABLES if t.name == table).columns)


def test_line_rows_match_the_schema() -> None:
    line = OrderLine(10000, "I", 0, "PCS", 1.0, 2.0, 3.0, 0.0, 6.0, "", 0, "", 0, True)
    order = Order("O", "i", 0, "C", "CT", "d", "d", "phone", "", "SP", 0, "MAIN", "", "t", [line])
    shipment = Shipment("S", "i", order, "d", [ShipmentLine(10000, line, 2.0)])
    invoice = Invoice(
        "I", "i", shipment, "d", "d", [DocLine(10000, "I", "PCS", 2, 3, 0, 6)], 6.0, 6.0
    )
    memo = CreditMemo(
        "M", "i", "C", "I", "d", "", "Damaged", DocLine(1, "I", "", 1, 1, 0, 1), "S", 10000, "t"
    )
    widths = {t.name: len(t.columns) for t in TABLES}
    assert len(order.line_rows()[0]) == widths["sales_order_lines"]
    assert len(shipment.row()) == widths["sales_shipments"]
    assert len(shipment.line_rows()[0]) == widths["sales_shipment_lines"]
    assert len(invoice.row()) == widths["sales_invoices"]
    assert len(invoice.line_rows()[0]) == widths["sales_invoice_lines"]
    assert len(memo.row()) == widths["sales_credit_memos"]
    assert len(memo.line_rows()[0]) == widths["sales_credit_memo_lines"]


def test_snapshot_and_month_points() -> None:
    assert snapshot_date(dt.date(2026, 10, 1), 24) == dt.date(2024, 10, 1)
    assert snapshot_date(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    points = month_ends(dt.date(2026, 1, 15), dt.date(2026, 4, 10))
    assert points == [
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 4, 10),
    ]


def live_world(small_profile, tmp_path: Path) -> tuple[sqlite3.Connection, World]:
    path = tmp_path / "live.sqlite"
    generate(small_profile, seed=7, out=path, history_months=0)
    conn = sqlite3.connect(path)
    return conn, World(conn, small_profile, seed=5, start=dt.datetime(2026, 10, 1))


def test_an_order_from_outside_flows_through_the_lifecycle(small_profile, tmp_path) -> None:
    conn, world = live_world(small_profile, tmp_path)
    world.advance(dt.datetime(2026, 10, 5, 9, 0))
    customer, item = conn.execute(
        "SELECT p.customer_no, p.item_no FROM customer_preferred_items p JOIN customers c"
        " ON c.no = p.customer_no WHERE c.blocked = '' ORDER BY p.customer_no LIMIT 1"
    ).fetchone()
    order = world.enter_order(customer, [(item, "", 2.0)], channel="web")
    assert order.status in ("Open", "Pending Approval")
    expected = resolve_price(
        SqlitePriceData(conn), PriceRequest(customer, item, 2.0, dt.date(2026, 10, 5))
    )
    assert order.lines[0].unit_price == expected.unit_price
    world.advance(dt.datetime(2026, 12, 31))
    status, channel = conn.execute(
        "SELECT status, channel FROM sales_orders WHERE no = ?", (order.no,)
    ).fetchone()
    assert (status, channel) == ("Invoiced", "web")
    assert (
        conn.execute(
            "SELECT count(*) FROM sales_invoices WHERE order_no = ?", (order.no,)
        ).fetchone()[0]
        >= 1
    )
    conn.close()


def test_orders_from_outside_are_refused_like_an_erp_would(small_profile, tmp_path) -> None:
    conn, world = live_world(small_profile, tmp_path)
    customer = conn.execute("SELECT no FROM customers WHERE blocked = '' LIMIT 1").fetchone()[0]
    blocked = conn.execute("SELECT no FROM customers WHERE blocked = 'All' LIMIT 1").fetchone()[0]
    item = conn.execute("SELECT no FROM items WHERE blocked = 0 LIMIT 1").fetchone()[0]
    cases = {
        "customer_not_found": ("C999999", item, "", 1.0),
        "customer_blocked": (blocked, item, "", 1.0),
        "item_not_found": (customer, "9999999", "", 1.0),
        "unit_not_defined": (customer, item, "BARREL", 1.0),
        "invalid_quantity": (customer, item, "", 0.0),
    }
    for code, (who, what, unit, qty) in cases.items():
        with pytest.raises(PricingError) as caught:
            world.enter_order(who, [(what, unit, qty)])
        assert caught.value.code == code
    assert world.open_orders == {}
    conn.close()


def test_quote_from_outside_becomes_an_order_at_its_prices(small_profile, tmp_path) -> None:
    conn, world = live_world(small_profile, tmp_path)
    customer = conn.execute("SELECT no FROM customers WHERE blocked = '' LIMIT 1").fetchone()[0]
    item = conn.execute("SELECT no FROM items WHERE blocked = 0 LIMIT 1").fetchone()[0]
    quote = world.enter_quote(customer, [(item, "", 3.0)])
    world.advance(dt.datetime(2026, 10, 3))
    order = world.accept_quote(quote.no)
    assert order.quote_no == quote.no
    assert order.lines[0].unit_price == quote.lines[0].unit_price
    world.advance(dt.datetime(2026, 10, 4))
    assert conn.execute(
        "SELECT status, order_no FROM sales_quotes WHERE no = ?", (quote.no,)
    ).fetchone() == ("Accepted", order.no)
    with pytest.raises(KeyError):
        world.accept_quote(quote.no)
    conn.close()


def test_a_world_resumes_its_open_documents(history_run, tmp_path: Path) -> None:
    """The mock ERP starts on a dataset with history: what was in flight carries on, and
    new documents are numbered after the existing ones."""
    path = tmp_path / "resumed.sqlite"
    shutil.copy(history_run.path, path)
    with sqlite3.connect(path) as conn:
        last_order = conn.execute("SELECT max(no) FROM sales_orders").fetchone()[0]
        open_orders = [
            no
            for (no,) in conn.execute(
                "SELECT no FROM sales_orders WHERE status NOT IN ('Shipped', 'Invoiced')"
            )
        ]
        unpaid = [
            no for (no,) in conn.execute("SELECT no FROM sales_invoices WHERE status = 'Open'")
        ]
        assert open_orders
        assert unpaid
        world = World.open(conn)
        assert world.now == world.clock.time_of(dt.date(2026, 10, 1))
        world.advance(dt.datetime(2027, 2, 1))
        statuses = dict(
            conn.execute(
                "SELECT no, status FROM sales_orders WHERE no IN"
                f" ({','.join('?' * len(open_orders))})",
                open_orders,
            )
        )
        assert set(statuses.values()) <= {"Invoiced", "Shipped"}
        paid = conn.execute(
            f"SELECT count(*) FROM sales_invoices WHERE status = 'Paid'"
            f" AND no IN ({','.join('?' * len(unpaid))})",
            unpaid,
        ).fetchone()[0]
        assert paid >= 0.95 * len(unpaid)
        first_new = conn.execute(
            "SELECT min(no) FROM sales_orders WHERE created_at >= '2026-10-01'"
        ).fetchone()[0]
        assert first_new > last_order
        assert (
            json.loads(
                conn.execute("SELECT value FROM erpsim_meta WHERE key = 'world_now'").fetchone()[0]
            )
            == "2027-02-01T00:00:00Z"
        )
    with sqlite3.connect(path) as conn:  # and once more, from where it stopped
        world = World.open(conn)
        assert world.clock.at(world.now) == dt.datetime(2027, 2, 1)
        world.advance(dt.datetime(2027, 2, 15, 12, 0))
        assert (
            conn.execute(
                "SELECT count(*) FROM sales_orders WHERE created_at > '2027-02-01'"
            ).fetchone()[0]
            > 50
        )


def test_resumed_worlds_are_deterministic(history_run, tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.sqlite"
        shutil.copy(history_run.path, path)
        with sqlite3.connect(path) as conn:
            World.open(conn).advance(dt.datetime(2026, 10, 20, 13, 30))
            digests.append(content_digest(conn))
    assert digests[0] == digests[1]
