"""The naive baseline: the generator as a first attempt would write it.

The benchmark's speed-up is only meaningful against a fair baseline, so this writes the same
tables with the same columns (``schema.create_schema_sql()``, secondary indexes included, as a
first attempt creates them) and, per table, the row count of the fast run it is compared
with. What makes it naive is how the values are made and stored:

- a seeded ``Faker("es_ES")`` is called once per field of every row, as the issue defines
  the baseline ("one Faker call per field"): free text (names, addresses, e-mails, phones,
  job titles, descriptions), GUIDs, GTINs, dates, codes picked from a vocabulary and
  references to rows already written (``fake.random_element``), and numbers
  (``fake.random_int``, ``fake.pyfloat``) — see ``FakerNumbers``; the few draws Faker has no
  provider for (log-normal, Pareto, exponential) use Faker's own ``random`` instance;
- the snapshot timestamp is a constant, as in the fast generator;
- one ``conn.execute("INSERT ...")`` per row, one commit at the end, default journal.

Rows per table can be capped (``cap``): rates are then measured on the first ``cap`` rows and
the table's full time is extrapolated as target rows / rate.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faker import Faker

from simulator.erp import schema
from simulator.erp import vocabulary as vocab

SEED = 7
AS_OF = dt.date(2026, 10, 1)
STAMP = "2026-10-01T00:00:00Z"
# Vocabularies the naive rows pick from with Faker; repeated blanks weight the local currency.
COUNTRIES = OrderedDict(
    [("ES", 0.81), ("PT", 0.06), ("FR", 0.05), ("DE", 0.03), ("GB", 0.03), ("US", 0.02)]
)
CURRENCY_CODES = tuple(sorted(vocab.CURRENCIES))
CUSTOMER_CURRENCIES = ("", "", "", "", "GBP", "USD")
LINE_CURRENCIES = ("", "", "", "", *CURRENCY_CODES)
TERMS = tuple(vocab.PAYMENT_TERMS)
PRICE_GROUPS = tuple(vocab.PRICE_GROUPS)
DISCOUNT_GROUPS = tuple(vocab.DISCOUNT_GROUPS)
FAMILY_CODES = tuple(family.code for family in vocab.FAMILIES)
SEGMENTS = tuple(vocab.SEGMENTS)
BLOCKED = OrderedDict([("", 0.98), ("Ship", 0.01), ("All", 0.01)])
AMOUNT_TYPES = (schema.AMOUNT_PRICE, schema.AMOUNT_DISCOUNT)
UNIT_CODES = tuple(vocab.UNITS_OF_MEASURE)
LOCATION_CODES = tuple(location[0] for location in vocab.LOCATIONS)

Row = dict[str, Any]


@dataclass(frozen=True)
class NaiveTable:
    """One table of the naive run: rows asked for, rows written, and the time they took."""

    table: str
    target_rows: int
    rows: int
    seconds: float
    # Columns the schema has and NaiveGenerator does not know yet (filled by declared type),
    # and columns it makes that the schema no longer has (not written).
    generic_columns: tuple[str, ...] = ()
    dropped_columns: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else math.inf

    @property
    def capped(self) -> bool:
        return self.rows < self.target_rows

    @property
    def full_seconds(self) -> float:
        """Seconds for all target rows: measured, or extrapolated at the measured rate."""
        if not self.capped:
            return self.seconds
        return self.target_rows / self.rate if self.rows else 0.0


@dataclass(frozen=True)
class NaiveRun:
    """The whole naive run; ``commit_seconds`` is the single commit at the end."""

    tables: list[NaiveTable]
    commit_seconds: float
    cap: int
    # Tables the fast run filled that NaiveGenerator has no method for (not written).
    skipped: tuple[str, ...] = ()

    @property
    def target_rows(self) -> int:
        return sum(t.target_rows for t in self.tables)

    @property
    def seconds(self) -> float:
        """Total time for all target rows (extrapolated where a table was capped)."""
        return sum(t.full_seconds for t in self.tables) + self.commit_seconds

    @property
    def extrapolated(self) -> bool:
        return any(t.capped for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tables": [vars(t) for t in self.tables],
            "commit_seconds": self.commit_seconds,
            "cap": self.cap,
            "skipped": self.skipped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NaiveRun:
        return cls(
            tables=[
                NaiveTable(
                    **{
                        **t,
                        "generic_columns": tuple(t["generic_columns"]),
                        "dropped_columns": tuple(t["dropped_columns"]),
                    }
                )
                for t in data["tables"]
            ],
            commit_seconds=data["commit_seconds"],
            cap=data["cap"],
            skipped=tuple(data["skipped"]),
        )


def _spread(i: int, count: int, parents: int) -> tuple[int, int]:
    """Row ``i`` of ``count`` rows spread evenly over ``parents``: (parent, index within it).

    Rows come parent by parent, in key order, as a first attempt would loop over them."""
    per_parent = max(1, -(-count // parents))
    return i // per_parent, i % per_parent


class FakerNumbers:
    """The number and pick draws of the baseline, each one Faker provider call (the issue's
    "one Faker call per field"); same interface as the ``random.Random`` it replaces."""

    def __init__(self, fake: Faker) -> None:
        self.fake = fake

    def random(self) -> float:
        return self.fake.pyfloat(min_value=0, max_value=1)

    def uniform(self, low: float, high: float) -> float:
        return self.fake.pyfloat(min_value=low, max_value=high)

    def randint(self, low: int, high: int) -> int:
        return self.fake.random_int(low, high)

    def choice(self, values: Any) -> Any:
        return self.fake.random_element(values)

    def lognormvariate(self, mu: float, sigma: float) -> float:
        return self.fake.random.lognormvariate(mu, sigma)

    def paretovariate(self, alpha: float) -> float:
        return self.fake.random.paretovariate(alpha)

    def expovariate(self, rate: float) -> float:
        return self.fake.random.expovariate(rate)


class NaiveGenerator:
    """One method per table, each making one row (a dict by column name) from row index ``i``.

    ``counts`` are the fast run's row counts: they size the key lists rows refer to."""

    def __init__(self, counts: dict[str, int], seed: int = SEED) -> None:
        self.fake = Faker("es_ES")
        self.fake.seed_instance(seed)
        self.rng: FakerNumbers | random.Random = FakerNumbers(self.fake)
        self.counts = counts
        self.item_nos = [f"IT{i + 1:06d}" for i in range(counts["items"])]
        self.customer_nos = [f"C{i + 1:05d}" for i in range(counts["customers"])]
        self.category_codes = [f"CAT{i + 1:05d}" for i in range(counts["item_categories"])]
        self.salesperson_codes = [f"SP{i + 1:03d}" for i in range(counts["salespeople"])]
        self.price_list_codes = [f"PL{i + 1:05d}" for i in range(counts["price_lists"])]
        self.location_codes = LOCATION_CODES[: max(1, counts["locations"])]
        self.rows: dict[str, Callable[[int], Row]] = {
            "currencies": self.currency,
            "currency_exchange_rates": self.exchange_rate,
            "payment_terms": self.payment_term,
            "units_of_measure": self.unit_of_measure,
            "customer_price_groups": self.customer_price_group,
            "customer_discount_groups": self.customer_discount_group,
            "item_discount_groups": self.item_discount_group,
            "item_categories": self.item_category,
            "locations": self.location,
            "salespeople": self.salesperson,
            "items": self.item,
            "item_units_of_measure": self.item_unit,
            "item_stock": self.stock,
            "customers": self.customer,
            "contacts": self.contact,
            "customer_assortment": self.assortment,
            "customer_preferred_items": self.preferred_item,
            "campaigns": self.campaign,
            "price_lists": self.price_list,
            "price_list_lines": self.price_list_line,
        }

    # -- small helpers a first attempt would write ------------------------------------------

    def date(self, days_back: int = 730, days_ahead: int = 90) -> str:
        start = AS_OF - dt.timedelta(days=days_back)
        return self.fake.date_between_dates(
            start, AS_OF + dt.timedelta(days=days_ahead)
        ).isoformat()

    def filler(self, sql_type: str) -> Callable[[], Any]:
        """A value maker for a column this class does not know yet, by its declared type."""
        if sql_type == "TEXT":
            return self.fake.word
        if sql_type == "INTEGER":
            return lambda: self.rng.randint(0, 100)
        return lambda: round(self.rng.uniform(0, 100), 2)

    def maybe_date(self, share: float) -> str | None:
        return self.date() if self.rng.random() < share else None

    # -- reference data: the vocabulary, row by row ------------------------------------------

    def currency(self, i: int) -> Row:
        code = CURRENCY_CODES[i % len(CURRENCY_CODES)]
        return {
            "code": code,
            "description": vocab.CURRENCIES[code][0],
            "last_modified_date_time": STAMP,
        }

    def exchange_rate(self, i: int) -> Row:
        currency, month = _spread(i, self.counts["currency_exchange_rates"], len(CURRENCY_CODES))
        code = CURRENCY_CODES[currency % len(CURRENCY_CODES)]
        return {
            "currency_code": code,
            "starting_date": (AS_OF - dt.timedelta(days=30 * month)).isoformat(),
            "exchange_rate_amount": round(
                vocab.CURRENCIES[code][1] * self.rng.uniform(0.95, 1.05), 4
            ),
            "relational_exch_rate_amount": 1.0,
            "last_modified_date_time": STAMP,
        }

    def payment_term(self, i: int) -> Row:
        code = TERMS[i % len(TERMS)]
        description, due, discount_days, discount = vocab.PAYMENT_TERMS[code]
        return {
            "code": code,
            "description": description,
            "due_days": due,
            "discount_days": discount_days,
            "discount_pct": discount,
            "last_modified_date_time": STAMP,
        }

    def unit_of_measure(self, i: int) -> Row:
        code = UNIT_CODES[i % len(UNIT_CODES)]
        return {
            "code": code,
            "description": vocab.UNITS_OF_MEASURE[code],
            "last_modified_date_time": STAMP,
        }

    def customer_price_group(self, i: int) -> Row:
        code, (description, allow) = list(vocab.PRICE_GROUPS.items())[i % len(vocab.PRICE_GROUPS)]
        return {
            "code": code,
            "description": description,
            "allow_line_disc": int(allow),
            "last_modified_date_time": STAMP,
        }

    def customer_discount_group(self, i: int) -> Row:
        code, (description, _) = list(vocab.DISCOUNT_GROUPS.items())[i % len(vocab.DISCOUNT_GROUPS)]
        return {"code": code, "description": description, "last_modified_date_time": STAMP}

    def item_discount_group(self, i: int) -> Row:
        family = vocab.FAMILIES[i % len(vocab.FAMILIES)]
        return {"code": family.code, "description": family.name, "last_modified_date_time": STAMP}

    # -- catalog ------------------------------------------------------------------------------

    def item_category(self, i: int) -> Row:
        level = 1 if i < 8 else 2 if i < 60 else 3
        parent = (
            "" if level == 1 else self.rng.choice(self.category_codes[: 8 if level == 2 else 60])
        )
        return {
            "code": self.category_codes[i],
            "id": self.fake.uuid4(),
            "parent_code": parent,
            "display_name": self.fake.catch_phrase(),
            "level": level,
            "last_modified_date_time": STAMP,
        }

    def location(self, i: int) -> Row:
        return {
            "code": LOCATION_CODES[i % len(LOCATION_CODES)],
            "id": self.fake.uuid4(),
            "display_name": self.fake.company(),
            "city": self.fake.city(),
            "country_code": "ES",
            "last_modified_date_time": STAMP,
        }

    def salesperson(self, i: int) -> Row:
        return {
            "code": self.salesperson_codes[i],
            "id": self.fake.uuid4(),
            "name": self.fake.name(),
            "email": self.fake.email(),
            "phone_no": self.fake.phone_number(),
            "commission_pct": round(self.rng.uniform(0.5, 3.0), 2),
            "key_account_manager": int(i < 5),
            "last_modified_date_time": STAMP,
        }

    def item(self, i: int) -> Row:
        price = round(self.rng.lognormvariate(math.log(24.0), 1.0), 2)
        return {
            "no": self.item_nos[i],
            "id": self.fake.uuid4(),
            "display_name": self.fake.catch_phrase(),
            "item_category_code": self.rng.choice(self.category_codes),
            "base_unit_of_measure": self.fake.random_element(UNIT_CODES),
            "unit_price": price,
            "unit_cost": round(price * self.rng.uniform(0.45, 0.82), 2),
            "gtin": self.fake.ean13(),
            "gross_weight": round(self.rng.uniform(0.01, 20.0), 3),
            "item_disc_group": self.fake.random_element(FAMILY_CODES),
            "blocked": int(self.rng.random() < 0.01),
            "popularity": self.rng.random() / len(self.item_nos),
            "last_modified_date_time": STAMP,
        }

    def item_unit(self, i: int) -> Row:
        item, unit = _spread(i, self.counts["item_units_of_measure"], len(self.item_nos))
        return {
            "item_no": self.item_nos[item],
            "code": UNIT_CODES[unit % len(UNIT_CODES)],
            "qty_per_unit_of_measure": 1.0 if unit == 0 else float(self.rng.choice((10, 20, 50))),
            "last_modified_date_time": STAMP,
        }

    def stock(self, i: int) -> Row:
        item, location = _spread(i, self.counts["item_stock"], len(self.item_nos))
        reorder = round(self.rng.uniform(0, 200))
        inventory = float(self.rng.randint(0, 1000))
        return {
            "item_no": self.item_nos[item],
            "location_code": LOCATION_CODES[location % len(LOCATION_CODES)],
            "inventory": inventory,
            "opening_inventory": inventory,
            "reorder_point": float(reorder),
            "maximum_inventory": float(reorder * 3 + 10),
            "lead_time_days": self.rng.randint(3, 35),
            "last_modified_date_time": STAMP,
        }

    # -- customers ----------------------------------------------------------------------------

    def customer(self, i: int) -> Row:
        return {
            "no": self.customer_nos[i],
            "id": self.fake.uuid4(),
            "name": self.fake.company(),
            "address": self.fake.street_address(),
            "city": self.fake.city(),
            "post_code": self.fake.postcode(),
            "country_code": self.fake.random_element(COUNTRIES),
            "phone_no": self.fake.phone_number(),
            "email": self.fake.company_email(),
            "currency_code": self.fake.random_element(CUSTOMER_CURRENCIES),
            "payment_terms_code": self.fake.random_element(TERMS),
            "credit_limit": float(self.rng.randint(1, 100) * 1000),
            "customer_price_group": self.fake.random_element(PRICE_GROUPS),
            "customer_disc_group": self.fake.random_element(DISCOUNT_GROUPS),
            "allow_line_disc": int(self.rng.random() < 0.9),
            "salesperson_code": self.rng.choice(self.salesperson_codes),
            "location_code": self.fake.random_element(self.location_codes),
            "key_account": int(self.rng.random() < 0.1),
            "segment": self.fake.random_element(SEGMENTS),
            "blocked": self.fake.random_element(BLOCKED),
            "annual_volume": round(3000.0 * self.rng.paretovariate(1.1), 2),
            "order_interval_days": round(self.rng.uniform(3, 60), 1),
            "avg_basket_lines": round(self.rng.uniform(1, 20), 1),
            "payment_days_late": round(self.rng.expovariate(1 / 6), 1),
            "last_modified_date_time": STAMP,
        }

    def contact(self, i: int) -> Row:
        customer, _ = _spread(i, self.counts["contacts"], len(self.customer_nos))
        buyer = self.rng.random() < 0.8
        return {
            "no": f"CT{i + 1:07d}",
            "id": self.fake.uuid4(),
            "customer_no": self.customer_nos[customer],
            "first_name": self.fake.first_name(),
            "surname": self.fake.last_name(),
            "job_title": self.fake.job(),
            "role": "buyer" if buyer else "ap_clerk",
            "email": self.fake.unique.email(),  # the column is UNIQUE
            "phone_no": self.fake.phone_number(),
            "last_modified_date_time": STAMP,
        }

    def assortment(self, i: int) -> Row:
        customer, j = _spread(i, self.counts["customer_assortment"], len(self.customer_nos))
        return {
            "customer_no": self.customer_nos[customer],
            "item_category_code": self.category_codes[j % len(self.category_codes)],
            "last_modified_date_time": STAMP,
        }

    def preferred_item(self, i: int) -> Row:
        customer, rank = _spread(i, self.counts["customer_preferred_items"], len(self.customer_nos))
        return {
            "customer_no": self.customer_nos[customer],
            "rank": rank + 1,
            "item_no": self.rng.choice(self.item_nos),
            "unit_of_measure_code": self.fake.random_element(UNIT_CODES),
            "typical_quantity": float(self.rng.randint(1, 50)),
            "last_modified_date_time": STAMP,
        }

    # -- pricing ------------------------------------------------------------------------------

    def campaign(self, i: int) -> Row:
        return {
            "no": f"CMP{i + 1:03d}",
            "description": self.fake.bs(),
            "starting_date": self.date(),
            "ending_date": self.date(days_back=0),
            "target_segment": self.fake.random_element(("", *SEGMENTS)),
            "last_modified_date_time": STAMP,
        }

    def price_list(self, i: int) -> Row:
        return {
            "code": self.price_list_codes[i],
            "description": self.fake.bs(),
            "source_type": self.fake.random_element(schema.SOURCE_TYPES),
            "source_no": self.rng.choice(self.customer_nos),
            "currency_code": self.fake.random_element(LINE_CURRENCIES),
            "starting_date": self.maybe_date(0.3),
            "ending_date": self.maybe_date(0.2),
            "amount_type": self.fake.random_element(AMOUNT_TYPES),
            "status": schema.STATUS_ACTIVE,
            "last_modified_date_time": STAMP,
        }

    def price_list_line(self, i: int) -> Row:
        price_list, line = _spread(i, self.counts["price_list_lines"], len(self.price_list_codes))
        return {
            "price_list_code": self.price_list_codes[price_list],
            "line_no": (line + 1) * 10_000,
            "source_type": self.fake.random_element(schema.SOURCE_TYPES),
            "source_no": self.rng.choice(self.customer_nos),
            "asset_type": schema.ASSET_ITEM,
            "asset_no": self.rng.choice(self.item_nos),
            "unit_of_measure_code": self.fake.random_element(("", *UNIT_CODES)),
            "minimum_quantity": float(self.rng.choice((0, 0, 10, 50, 100))),
            "currency_code": self.fake.random_element(LINE_CURRENCIES),
            "starting_date": self.date(),
            "ending_date": self.maybe_date(0.15),
            "amount_type": schema.AMOUNT_PRICE,
            "unit_price": round(self.rng.lognormvariate(math.log(24.0), 1.0), 2),
            "line_discount_pct": round(self.rng.uniform(0, 20), 1),
            "allow_line_disc": int(self.rng.random() < 0.9),
            "status": schema.STATUS_ACTIVE,
            "last_modified_date_time": STAMP,
        }


def run(counts: dict[str, int], out: str | Path, *, cap: int) -> NaiveRun:
    """Write ``counts`` rows per table (at most ``cap`` each, 0 = no cap) to a new ``out``."""
    out = Path(out)
    out.unlink(missing_ok=True)
    conn = sqlite3.connect(out)
    conn.executescript(schema.create_schema_sql())
    generator = NaiveGenerator(counts)
    tables, skipped = [], []
    for table in schema.TABLES:
        target = counts.get(table.name, 0)
        if not target:
            continue
        if table.name not in generator.rows:
            skipped.append(table.name)
            continue
        rows = min(target, cap) if cap else target
        tables.append(_insert_table(conn, table, generator, target, rows))
    started = time.perf_counter()
    conn.commit()
    commit_seconds = time.perf_counter() - started
    conn.close()
    return NaiveRun(tables=tables, commit_seconds=commit_seconds, cap=cap, skipped=tuple(skipped))


def _insert_table(
    conn: sqlite3.Connection,
    table: schema.Table,
    generator: NaiveGenerator,
    target: int,
    rows: int,
) -> NaiveTable:
    """One INSERT per row. The schema is edited while the generator grows: columns the
    naive rows lack are filled by declared type (and reported), so the bench keeps running
    and the comparison stays column for column."""
    make_row = generator.rows[table.name]
    names = ", ".join(table.columns)
    values = ", ".join(f":{column}" for column in table.columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({values})"
    declared = _declared_types(table)
    started = time.perf_counter()
    first = make_row(0) if rows else {}
    generic = tuple(column for column in table.columns if column not in first)
    dropped = tuple(column for column in first if column not in declared)
    fillers = {column: generator.filler(declared[column]) for column in generic}
    for i in range(rows):
        row = first if i == 0 else make_row(i)
        for column, fill in fillers.items():
            row[column] = fill()
        conn.execute(sql, row)
    seconds = time.perf_counter() - started
    return NaiveTable(table.name, target, rows, seconds, generic, dropped)


def _declared_types(table: schema.Table) -> dict[str, str]:
    """Each column's declared SQL type (TEXT, INTEGER, REAL), read from the table's DDL."""
    types = {}
    for line in table.ddl.splitlines()[1:]:
        parts = line.strip().rstrip(",").split()
        if len(parts) > 1 and parts[0] in table.columns:
            types[parts[0]] = parts[1]
    return types
