"""`erpsim stats`: the figures that say whether the world looks like a real distributor.

Each figure comes with the range a mid-sized B2B distributor typically shows and why; the
CLI marks figures outside their range, and the tests hold the `small` dataset to them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from simulator.erp.database import open_database, read_meta

SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Expected:
    low: float
    high: float
    why: str


EXPECTED: dict[str, Expected] = {
    "top20_revenue_share": Expected(
        0.60, 0.90, "Pareto: the top fifth of accounts buys most (the 80/20 rule)"
    ),
    "avg_lines_per_order": Expected(
        2.0, 12.0, "replenishment orders of industrial supplies carry a handful of lines"
    ),
    "repeat_line_share": Expected(0.75, 0.95, "B2B buyers mostly reorder what they bought before"),
    "stock_out_rate": Expected(
        0.01, 0.12, "line fill rates of 90-99 % are typical for a distributor"
    ),
    "on_time_payment_rate": Expected(
        0.35, 0.85, "in Spanish B2B most invoices are paid, but many a little late"
    ),
    "inquiries_per_100_orders": Expected(
        3.0, 25.0, "where-is-my-order calls, invoice copies and returns, offline"
    ),
    "price_changes_per_month": Expected(
        1.0, float("inf"), "list-price reviews, campaigns and renegotiations never stop"
    ),
    "quote_conversion_rate": Expected(0.4, 0.9, "most quotes to existing accounts are accepted"),
}


def _scalar(conn: sqlite3.Connection, sql: str, *params: object) -> Any:
    return conn.execute(sql, params).fetchone()[0]


def compute_stats(db: str | Path) -> dict[str, Any]:
    """Every figure of `erpsim stats` for one database (empty history gives zeros)."""
    conn = open_database(db)
    try:
        meta = read_meta(conn)
        orders = _scalar(conn, "SELECT count(*) FROM sales_orders")
        months = conn.execute(
            "SELECT substr(order_date, 1, 7), count(*) FROM sales_orders GROUP BY 1 ORDER BY 1"
        ).fetchall()
        figures: dict[str, Any] = {
            "history_months": meta.get("history_months", 0),
            "as_of": meta.get("as_of"),
            "orders": orders,
            "orders_per_month": dict(months),
            "top20_revenue_share": _top_share(conn, 0.2),
            "avg_lines_per_order": _ratio(
                _scalar(conn, "SELECT count(*) FROM sales_order_lines"), orders
            ),
            "repeat_line_share": _scalar(conn, "SELECT avg(repeat_item) FROM sales_order_lines")
            or 0.0,
            "stock_out_rate": _stock_out_rate(conn),
            "on_time_payment_rate": _scalar(
                conn,
                """
                SELECT avg(p.posting_date <= i.due_date) FROM customer_payments p
                JOIN sales_invoices i ON i.no = p.invoice_no""",
            )
            or 0.0,
            "inquiries_per_100_orders": 100.0
            * _ratio(_scalar(conn, "SELECT count(*) FROM inquiries"), orders),
            "inquiries_by_type": dict(
                conn.execute(
                    "SELECT type, count(*) FROM inquiries GROUP BY 1 ORDER BY 1"
                ).fetchall()
            ),
            "price_changes_per_month": _price_changes(conn, meta),
            "quote_conversion_rate": _scalar(
                conn,
                """
                SELECT avg(status = 'Accepted') FROM sales_quotes
                WHERE status != 'Open'""",
            )
            or 0.0,
            "channels": dict(
                conn.execute(
                    "SELECT channel, count(*) FROM sales_orders GROUP BY 1 ORDER BY 1"
                ).fetchall()
            ),
            "credit_memos": _scalar(conn, "SELECT count(*) FROM sales_credit_memos"),
        }
        return figures
    finally:
        conn.close()


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _top_share(conn: sqlite3.Connection, top: float) -> float:
    """Share of invoiced revenue (local currency) earned from the top `top` of accounts."""
    rates = dict(
        conn.execute("""
        SELECT currency_code, exchange_rate_amount / relational_exch_rate_amount
        FROM currency_exchange_rates r WHERE starting_date = (
            SELECT max(starting_date) FROM currency_exchange_rates s
            WHERE s.currency_code = r.currency_code)""").fetchall()
    )
    revenue = sorted(
        (
            amount / rates.get(currency, 1.0) if currency else amount
            for amount, currency in conn.execute(
                "SELECT sum(amount), currency_code FROM sales_invoices GROUP BY customer_no"
            )
        ),
        reverse=True,
    )
    if not revenue:
        return 0.0
    count = max(1, round(len(revenue) * top))
    return sum(revenue[:count]) / sum(revenue)


def _stock_out_rate(conn: sqlite3.Connection) -> float:
    """Share of order lines the warehouse could not ship in full at its first attempt:
    shipped in more than one go, or not shipped yet although released."""
    return (
        _scalar(
            conn,
            """
        WITH first AS (
            SELECT order_no, order_line_no, min(document_no) AS shipment
            FROM sales_shipment_lines GROUP BY 1, 2)
        SELECT avg(coalesce(s.quantity, 0) < l.quantity)
        FROM sales_order_lines l JOIN sales_orders o ON o.no = l.document_no
        LEFT JOIN first f ON f.order_no = l.document_no AND f.order_line_no = l.line_no
        LEFT JOIN sales_shipment_lines s ON s.document_no = f.shipment
            AND s.order_no = f.order_no AND s.order_line_no = f.order_line_no
        WHERE o.status NOT IN ('Open', 'Pending Approval')
          AND (f.shipment IS NOT NULL OR o.status != 'Released')""",
        )
        or 0.0
    )


def _price_changes(conn: sqlite3.Connection, meta: dict[str, Any]) -> float:
    """New price list lines per month of history (a change is always a new line)."""
    months = meta.get("history_months") or 0
    if not months:
        return 0.0
    snapshot = meta.get("snapshot_date")
    changes = _scalar(
        conn,
        "SELECT count(*) FROM price_list_lines WHERE last_modified_date_time > ?",
        f"{snapshot}T00:00:00Z",
    )
    return changes / months


def sparkline(values: list[int]) -> str:
    if not values:
        return ""
    top = max(values) or 1
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1)))] for v in values)


def verdicts(figures: dict[str, Any]) -> dict[str, bool]:
    """Whether each figure with an expected range lies inside it."""
    return {name: exp.low <= figures[name] <= exp.high for name, exp in EXPECTED.items()}


LABELS = {
    "top20_revenue_share": ("revenue share of the top 20 % accounts", "{:.0%}"),
    "avg_lines_per_order": ("lines per order", "{:.1f}"),
    "repeat_line_share": ("lines from the repeat basket", "{:.0%}"),
    "stock_out_rate": ("lines short at first shipment attempt", "{:.1%}"),
    "on_time_payment_rate": ("invoices paid by their due date", "{:.0%}"),
    "inquiries_per_100_orders": ("offline inquiries per 100 orders", "{:.1f}"),
    "price_changes_per_month": ("price list changes per month", "{:,.0f}"),
    "quote_conversion_rate": ("quotes accepted", "{:.0%}"),
}


def render_stats(figures: dict[str, Any], console: Console) -> None:
    """The stats as a terminal report: sparkline of orders per month, then the checks."""
    months = figures["orders_per_month"]
    if not months:
        console.print("no history in this database (generated with --history-months 0)")
        return
    console.print(
        f"{figures['orders']:,} orders over {len(months)} months "
        f"({min(months)} .. {max(months)}), as of {figures['as_of']}"
    )
    console.print(
        f"orders per month  {sparkline(list(months.values()))}  "
        f"min {min(months.values()):,}  max {max(months.values()):,}"
    )
    table = Table(title_justify="left")
    for column in ("figure", "value", "expected", "", "why"):
        table.add_column(column)
    checks = verdicts(figures)
    for name, (label, fmt) in LABELS.items():
        exp = EXPECTED[name]
        high = "" if exp.high == float("inf") else fmt.format(exp.high)
        table.add_row(
            label,
            fmt.format(figures[name]),
            f"{fmt.format(exp.low)} .. {high}",
            "ok" if checks[name] else "[red]OUT[/red]",
            exp.why,
        )
    console.print(table)
    console.print("channels: " + ", ".join(f"{k} {v:,}" for k, v in figures["channels"].items()))
    console.print(
        "inquiries: " + ", ".join(f"{k} {v:,}" for k, v in figures["inquiries_by_type"].items())
    )
