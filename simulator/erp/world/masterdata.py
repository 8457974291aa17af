"""Customers and items created while the world runs (the mock ERP API's creates).

The world keeps its accounts and catalog in memory (positions, numpy arrays), so a new
customer or item is added to them here, and to the price book, the moment its row is
written: an order for it can be entered at once. New accounts have no habits: the world
does not make up orders for them (only what the API enters flows); new items have no
stock until goods come in, and no reorder policy.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

from simulator.erp.pricing import CustomerTerms, ItemTerms
from simulator.erp.rng import stream

if TYPE_CHECKING:
    from simulator.erp.world.core import World

__all__ = ["add_account", "add_item"]


def add_account(world: World, customer: dict[str, object]) -> None:
    """A new customer (its `customers` row as a dict of columns) becomes an account."""
    from simulator.erp.world.core import Account  # noqa: PLC0415

    no = str(customer["no"])
    term = world.conn.execute(
        "SELECT due_days, discount_days FROM payment_terms WHERE code = ?",
        (customer["payment_terms_code"],),
    ).fetchone() or (30, 0)
    channels = list(world.cfg.channel_mix)
    mix = np.array([world.cfg.channel_mix[c] for c in channels])
    pos = len(world.accounts)
    world.accounts.append(
        Account(
            pos=pos,
            no=no,
            currency=str(customer["currency_code"]),
            due_days=int(term[0]),
            discount_days=int(term[1]),
            credit_limit=float(customer["credit_limit"]),  # type: ignore[arg-type]
            segment=str(customer["segment"]),
            key_account=bool(customer["key_account"]),
            blocked=str(customer["blocked"]),
            salesperson=str(customer["salesperson_code"]),
            location=world.location_pos.get(str(customer["location_code"]), 0),
            interval=float(customer["order_interval_days"]),  # type: ignore[arg-type]
            basket=float(customer["avg_basket_lines"]),  # type: ignore[arg-type]
            line_value=0.0,
            days_late=float(customer["payment_days_late"]),  # type: ignore[arg-type]
            buyers=[],
            ap_clerks=[],
            basket_items=[],
            basket_units=[],
            basket_qty=[],
            basket_weights=np.zeros(0),
            subfamilies=[],
            channels=channels,
            channel_weights=np.cumsum(mix / mix.sum()),
            web_from=None,
        )
    )
    world.account_pos[no] = pos
    world.account_rngs.append(stream(world.seed, "world:account", pos, world.epoch))
    world.next_order_at = np.append(world.next_order_at, np.inf)
    world.exposure = np.append(world.exposure, 0.0)
    world.prices.customers[no] = CustomerTerms(
        no,
        str(customer["currency_code"]),
        str(customer["customer_price_group"]),
        str(customer["customer_disc_group"]),
        bool(customer["allow_line_disc"]),
        str(customer["segment"]),
        str(customer["blocked"]),
    )


def add_contact(world: World, customer_no: str, contact_no: str, role: str) -> None:
    """A new contact of a customer: a buyer or an accounts-payable clerk of its account."""
    pos = world.account_pos.get(customer_no)
    if pos is not None:
        account = world.accounts[pos]
        (account.buyers if role == "buyer" else account.ap_clerks).append(contact_no)


def add_item(world: World, item: dict[str, object]) -> None:
    """A new item (its `items` row as a dict of columns) joins the catalog, with no stock."""
    no = sys.intern(str(item["no"]))
    base = sys.intern(str(item["base_unit_of_measure"]))
    world.item_pos[no] = len(world.item_no)
    world.item_no.append(no)
    world.item_base_unit.append(base)
    world.item_blocked = np.append(world.item_blocked, bool(item["blocked"]))
    world.popularity = np.append(world.popularity, 0.0)
    world.item_family = np.append(world.item_family, np.array([item["item_disc_group"]], object))
    row = np.zeros((1, len(world.location_codes)))
    for name in ("inventory", "reorder_point", "maximum", "lead_time", "on_order", "backlog"):
        setattr(world, name, np.vstack([getattr(world, name), row]))
    world.prices.items[no] = ItemTerms(
        no,
        base,
        float(item["unit_price"]),  # type: ignore[arg-type]
        str(item["item_disc_group"]),
        bool(item["blocked"]),
    )
    world.prices.units[no, base] = 1.0
