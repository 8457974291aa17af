"""The store's server-rendered HTML pages for a person: templates, the stylesheet, and the
few helpers `routes/pages.py` renders with.

Pages call the same service functions as the JSON API (catalog, carts, orders, invoices,
reps); this package only turns their answers into HTML. Jinja2 autoescapes everything
(``autoescape=True``: every template here is HTML), so data from the ERP or from users is
never markup.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader

from simulator.erp_server.bc_sets import LCY

__all__ = ["PAGES", "environment", "money", "page_list", "path_part", "quantity", "stylesheet"]

# The pages a person starts from (the rest are reached from these); `erpsim up` and the
# demo print them.
PAGES = ("/catalog", "/quick-order", "/cart", "/quotes", "/orders", "/invoices", "/rep")


def page_list(base_url: str) -> str:
    """``pages: http://…/catalog, …/quick-order, …`` for a store at `base_url`."""
    return f"pages: {base_url}{PAGES[0]}, " + ", ".join(f"…{p}" for p in PAGES[1:])


def money(value: Any, currency: str | None = None) -> str:
    """``1,234.50 EUR``; '' for no value. The store keeps the ERP's local currency as ''
    (BC's blank currency code): shown as its code (`LCY`); None shows the number alone."""
    if value is None or isinstance(value, bool):
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.2f}"
    if currency is None:
        return text
    return f"{text} {currency or LCY}"


def quantity(value: Any) -> str:
    """``12`` rather than ``12.0``; up to 3 decimals."""
    if value is None or isinstance(value, bool):
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(number)
    return f"{number:,.3f}".rstrip("0").rstrip(".")


def path_part(value: Any) -> str:
    """One URL path segment (item numbers may hold '/', '?' or spaces)."""
    return quote(str(value), safe="")


@cache
def environment() -> Environment:
    """The one Jinja2 environment (templates ship inside the package)."""
    env = Environment(
        loader=PackageLoader("simulator.store.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["money"] = money
    env.filters["qty"] = quantity
    env.filters["path_part"] = path_part
    return env


@cache
def stylesheet() -> bytes:
    return resources.files("simulator.store.web").joinpath("static/store.css").read_bytes()
