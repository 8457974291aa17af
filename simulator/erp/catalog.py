"""The catalog: item categories, items, their units of measure and stock per location.

Items are composed from the vocabulary with numpy: list prices are log-normal around each
product family's level, costs sit below price by a margin, popularity is Zipf-like so a few
items sell most. The arrays in :class:`Catalog` are what customer assortments, preferred items
and price lists are drawn from; every shard builds them (cheaply), only shard 0 writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.config import Profile
from simulator.erp import vocabulary as vocab
from simulator.erp.rng import guids, stream

ITEM_CHUNK = 100_000
GTIN_PREFIX = "843210"  # GS1 Spain (84) + a made-up company prefix


def price_round(values: np.ndarray) -> np.ndarray:
    """Prices as a distributor prints them: cents from 1 up, four decimals below 1."""
    values = np.asarray(values, dtype=float)
    return np.where(values >= 1.0, np.round(values, 2), np.round(values, 4))


@dataclass(frozen=True)
class Catalog:
    """The catalog as arrays indexed by item position (item no = 1000001 + position)."""

    item_no: np.ndarray  # object (str)
    leaf: np.ndarray  # int: index into leaf categories
    subfamily: np.ndarray  # int: index into vocab.SUBFAMILIES
    family: np.ndarray  # int: index into vocab.FAMILIES
    list_price: np.ndarray  # float, local currency per base unit
    blocked: np.ndarray  # bool
    popularity: np.ndarray  # float, sums to 1
    pack_qty: np.ndarray  # int, 0 = no alternative unit
    has_breaks: np.ndarray  # bool: quantity breaks on the all-customers list
    net_price: np.ndarray  # bool: list price allows no line discount
    leaf_codes: tuple[str, ...]
    leaf_subfamily: np.ndarray  # int per leaf

    @property
    def size(self) -> int:
        return len(self.item_no)

    def base_unit(self, positions: np.ndarray) -> np.ndarray:
        units = np.array([sub.base_unit for sub in vocab.SUBFAMILIES], dtype=object)
        return units[self.subfamily[positions]]

    def pack_unit(self, positions: np.ndarray) -> np.ndarray:
        units = np.array([sub.pack_unit for sub in vocab.SUBFAMILIES], dtype=object)
        return np.where(self.pack_qty[positions] > 0, units[self.subfamily[positions]], "")


def item_numbers(count: int) -> np.ndarray:
    return np.array([str(1_000_001 + i) for i in range(count)], dtype=object)


def leaf_categories(count: int) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """Codes, names and sub-family index of ``count`` leaf categories, dealt round-robin."""
    codes: list[str] = []
    names: list[str] = []
    owner = np.arange(count) % len(vocab.SUBFAMILIES)
    seen = np.zeros(len(vocab.SUBFAMILIES), dtype=int)
    qualifiers = vocab.LEAF_QUALIFIERS
    for sub_index in owner:
        sub = vocab.SUBFAMILIES[sub_index]
        j = seen[sub_index]
        seen[sub_index] += 1
        qualifier = qualifiers[j % len(qualifiers)]
        if j >= len(qualifiers):
            qualifier = f"{qualifier} {j // len(qualifiers) + 1}"
        codes.append(f"{sub.code}-{j + 1:03d}")
        names.append(f"{sub.name} – {qualifier}")
    return tuple(codes), tuple(names), owner


def build_catalog(profile: Profile, seed: int) -> Catalog:
    """All item attributes that later steps need, as arrays (no strings beyond item numbers)."""
    cfg = profile.catalog
    n = cfg.items
    rng = stream(seed, "catalog")
    leaf_codes, _, leaf_sub = leaf_categories(cfg.categories)
    # Leaves differ in size: a log-normal weight per leaf.
    leaf_weight = rng.lognormal(0.0, 0.8, size=len(leaf_codes))
    leaf = rng.choice(len(leaf_codes), size=n, p=leaf_weight / leaf_weight.sum())
    subfamily = leaf_sub[leaf]
    family_of_sub = np.array(
        [i for i, fam in enumerate(vocab.FAMILIES) for _ in fam.subfamilies], dtype=int
    )
    family = family_of_sub[subfamily]
    level = np.array(
        [fam.price_factor * sub.price_factor for fam in vocab.FAMILIES for sub in fam.subfamilies]
    )
    list_price = price_round(
        np.maximum(
            0.01,
            cfg.list_price.median
            * level[subfamily]
            * rng.lognormal(0.0, cfg.list_price.sigma, size=n),
        )
    )
    blocked = rng.random(n) < cfg.blocked_share
    rank = rng.permutation(n) + 1
    popularity = rank.astype(float) ** -cfg.popularity_skew
    popularity /= popularity.sum()

    pack_choices = [np.array(sub.pack_sizes or (0,)) for sub in vocab.SUBFAMILIES]
    has_pack_unit = np.array([bool(sub.pack_unit) for sub in vocab.SUBFAMILIES])[subfamily]
    pack_draw = rng.random(n)
    pack_qty = np.zeros(n, dtype=int)
    wants_pack = has_pack_unit & (rng.random(n) < cfg.alternative_units_share)
    for sub_index, choices in enumerate(pack_choices):
        mask = wants_pack & (subfamily == sub_index)
        pack_qty[mask] = choices[(pack_draw[mask] * len(choices)).astype(int)]

    pricing = profile.pricing
    has_breaks = rng.random(n) < pricing.quantity_break_share
    net_price = rng.random(n) < 0.03
    return Catalog(
        item_no=item_numbers(n),
        leaf=leaf,
        subfamily=subfamily,
        family=family,
        list_price=list_price,
        blocked=blocked,
        popularity=popularity,
        pack_qty=pack_qty,
        has_breaks=has_breaks,
        net_price=net_price,
        leaf_codes=leaf_codes,
        leaf_subfamily=leaf_sub,
    )


def category_rows(profile: Profile, seed: int, stamp: str) -> dict[str, list[Any]]:
    """The three-level category tree: families, sub-families, leaves."""
    codes: list[str] = []
    parents: list[str] = []
    names: list[str] = []
    levels: list[int] = []
    for fam in vocab.FAMILIES:
        codes.append(fam.code)
        parents.append("")
        names.append(fam.name)
        levels.append(1)
        for sub in fam.subfamilies:
            codes.append(sub.code)
            parents.append(fam.code)
            names.append(sub.name)
            levels.append(2)
    leaf_codes, leaf_names, leaf_sub = leaf_categories(profile.catalog.categories)
    codes += leaf_codes
    parents += [vocab.SUBFAMILIES[i].code for i in leaf_sub]
    names += leaf_names
    levels += [3] * len(leaf_codes)
    return {
        "code": codes,
        "id": guids(stream(seed, "category-ids"), len(codes)),
        "parent_code": parents,
        "display_name": names,
        "level": levels,
        "last_modified_date_time": [stamp] * len(codes),
    }


def gtins(positions: np.ndarray) -> list[str]:
    """Valid EAN-13 codes (GS1 check digit) for item positions."""
    positions = np.asarray(positions, dtype=np.int64)
    prefix = np.array([int(d) for d in GTIN_PREFIX])
    # The position's six digits, most significant first, after the prefix's.
    own = positions[:, None] // 10 ** np.arange(5, -1, -1) % 10
    weights = np.tile([1, 3], 6)
    total = prefix @ weights[: len(prefix)] + own @ weights[len(prefix) :]
    check = (10 - total % 10) % 10
    return [
        f"{GTIN_PREFIX}{p:06d}{c}" for p, c in zip(positions.tolist(), check.tolist(), strict=True)
    ]


def item_chunks(
    catalog: Catalog, profile: Profile, seed: int, stamp: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows of ``items`` and ``item_units_of_measure``, chunk by chunk."""
    families = vocab.FAMILIES
    subs = vocab.SUBFAMILIES
    for start in range(0, catalog.size, ITEM_CHUNK):
        pos = np.arange(start, min(start + ITEM_CHUNK, catalog.size))
        rng = stream(seed, "items", start // ITEM_CHUNK)
        k = len(pos)
        noun_draw, spec_draw, mat_draw, brand_draw = rng.random((4, k))
        sub_of, fam_of = catalog.subfamily[pos], catalog.family[pos]
        parts = (
            _pick(vocab.BRANDS, brand_draw),
            _pick_per_group([sub.nouns for sub in subs], sub_of, noun_draw),
            _pick_per_group([sub.specs for sub in subs], sub_of, spec_draw),
            _pick_per_group([fam.materials for fam in families], fam_of, mat_draw),
        )
        names = [" ".join(filter(None, words)) for words in zip(*parts, strict=True)]
        price = catalog.list_price[pos]
        margin = rng.uniform(profile.catalog.margin.min, profile.catalog.margin.max, size=k)
        cost = price_round(price * (1.0 - margin))
        weight = np.round(0.05 * np.sqrt(price) * rng.lognormal(0.0, 0.5, size=k), 3)
        items = {
            "no": catalog.item_no[pos],
            "id": guids(rng, k),
            "display_name": names,
            "item_category_code": [catalog.leaf_codes[i] for i in catalog.leaf[pos].tolist()],
            "base_unit_of_measure": catalog.base_unit(pos),
            "unit_price": price,
            "unit_cost": cost,
            "gtin": gtins(pos),
            "gross_weight": np.maximum(weight, 0.001),
            "item_disc_group": [families[f].code for f in catalog.family[pos].tolist()],
            "blocked": catalog.blocked[pos].astype(int),
            "popularity": catalog.popularity[pos],
            "last_modified_date_time": [stamp] * k,
        }
        yield "items", items
        yield "item_units_of_measure", unit_rows(catalog, pos, rng, stamp)


def _pick(words: tuple[str, ...], draw: np.ndarray) -> list[str]:
    """``words[int(draw[i] * len(words))]`` for every draw in [0, 1)."""
    return np.array(words, dtype=object)[(draw * len(words)).astype(int)].tolist()


def _pick_per_group(words: list[tuple[str, ...]], group: np.ndarray, draw: np.ndarray) -> list[str]:
    """``words[group[i]][int(draw[i] * len(words[group[i]]))]`` for every draw in [0, 1)."""
    sizes = np.array([len(w) for w in words])
    starts = np.cumsum(sizes) - sizes
    flat = np.array([word for group_words in words for word in group_words], dtype=object)
    return flat[starts[group] + (draw * sizes[group]).astype(int)].tolist()


def unit_rows(
    catalog: Catalog, pos: np.ndarray, rng: np.random.Generator, stamp: str
) -> dict[str, Any]:
    """Base unit (qty 1) for every item; pack unit and, for some packs, a pallet."""
    base = catalog.base_unit(pos)
    pack_unit = catalog.pack_unit(pos)
    pack_qty = catalog.pack_qty[pos]
    pallet = (pack_qty > 0) & (rng.random(len(pos)) < 0.25)
    pallet_qty = pack_qty * rng.integers(20, 61, size=len(pos))
    item_col: list[str] = []
    code_col: list[str] = []
    qty_col: list[float] = []
    numbers = catalog.item_no[pos].tolist()
    for i, no in enumerate(numbers):
        item_col.append(no)
        code_col.append(base[i])
        qty_col.append(1.0)
        if pack_qty[i]:
            item_col.append(no)
            code_col.append(pack_unit[i])
            qty_col.append(float(pack_qty[i]))
            if pallet[i]:
                item_col.append(no)
                code_col.append("PALLET")
                qty_col.append(float(pallet_qty[i]))
    return {
        "item_no": item_col,
        "code": code_col,
        "qty_per_unit_of_measure": qty_col,
        "last_modified_date_time": [stamp] * len(item_col),
    }


def stock_chunks(
    catalog: Catalog,
    profile: Profile,
    seed: int,
    stamp: str,
    *,
    basket_demand: np.ndarray,
    largest_line: np.ndarray,
    occasional_value: np.ndarray,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Stock per item x location, planned from expected demand as an ERP's planning would:
    reorder point = 1.5 x demand over the lead time (at least the largest usual order line),
    maximum = reorder point + a month of demand (at least two largest lines more), opening
    stock = demand x a log-normal number of days of cover (at least the largest line).

    Expected daily demand = the accounts' repeat baskets (`basket_demand`, base units per
    item x location) + occasional lines (`occasional_value`: local currency per day per
    location, spread over items by popularity).
    """
    cfg = profile.stock
    codes = stock_locations(profile)
    for start in range(0, catalog.size, ITEM_CHUNK):
        pos = np.arange(start, min(start + ITEM_CHUNK, catalog.size))
        rng = stream(seed, "stock", start // ITEM_CHUNK)
        k = len(pos)
        occasional = (catalog.popularity[pos] / catalog.list_price[pos])[:, None] * occasional_value
        daily_at = basket_demand[pos] + occasional
        lead = rng.integers(int(cfg.lead_time_days.min), int(cfg.lead_time_days.max) + 1, size=k)
        cover = rng.lognormal(
            np.log(cfg.days_of_cover.median), cfg.days_of_cover.sigma, size=(k, len(codes))
        )
        line = largest_line[pos]
        reorder = np.ceil(np.maximum(daily_at * lead[:, None] * 1.5, line))
        maximum = reorder + np.ceil(np.maximum(daily_at * 30.0, 2.0 * line)) + 1.0
        inventory = np.maximum(np.round(daily_at * cover), np.maximum(line, 1.0))
        inventory[rng.random((k, len(codes))) < cfg.stock_out_share] = 0.0
        numbers = np.repeat(catalog.item_no[pos], len(codes))
        yield (
            "item_stock",
            {
                "item_no": numbers,
                "location_code": codes * k,
                "inventory": inventory.ravel(),
                "opening_inventory": inventory.ravel(),
                "reorder_point": reorder.ravel(),
                "maximum_inventory": maximum.ravel(),
                "lead_time_days": np.repeat(lead, len(codes)),
                "last_modified_date_time": [stamp] * (k * len(codes)),
            },
        )


def stock_locations(profile: Profile) -> list[str]:
    return [loc[0] for loc in vocab.LOCATIONS[: profile.stock.locations]]


def location_rows(profile: Profile, seed: int, stamp: str) -> dict[str, Any]:
    locations = vocab.LOCATIONS[: profile.stock.locations]
    return {
        "code": [loc[0] for loc in locations],
        "id": guids(stream(seed, "location-ids"), len(locations)),
        "display_name": [loc[1] for loc in locations],
        "city": [loc[2] for loc in locations],
        "country_code": [loc[3] for loc in locations],
        "last_modified_date_time": [stamp] * len(locations),
    }


def timestamp(day: dt.date) -> str:
    """An ISO UTC timestamp at midnight of ``day``, BC's lastModifiedDateTime format."""
    return f"{day.isoformat()}T00:00:00Z"
