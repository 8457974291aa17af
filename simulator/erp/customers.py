"""Customers, their contacts, the sales organisation, assortments and repeat baskets.

Account size follows a Pareto law, so a few accounts carry most of the volume and the top
ones are the key accounts. Cheap per-account attributes (size, segment, terms, names) are
computed for *all* accounts in every shard; the heavy per-account data (contacts, assortment,
preferred items, customer prices) is drawn per block of accounts from a stream of its own, so
any shard reproduces exactly the rows of its accounts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.config import Profile
from simulator.erp import vocabulary as vocab
from simulator.erp.catalog import Catalog
from simulator.erp.pools import LocalePools, build_pools, pool_size
from simulator.erp.rng import guids, stream

BLOCK = 256  # accounts per random stream: the unit of shard-independent generation
MAX_VOLUME_MULTIPLE = 20_000.0  # cap on the Pareto tail, in multiples of the minimum volume


def customer_numbers(count: int) -> np.ndarray:
    return np.array([f"C{i + 1:06d}" for i in range(count)], dtype=object)


def slug(text: str) -> str:
    """ASCII, lower case, words joined by '-': for e-mail addresses and domains."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words) or "x"


def interpolate(low: float, high: float, size: np.ndarray) -> np.ndarray:
    """From ``low`` for the smallest account to ``high`` for the largest, convex in size:
    most accounts are small, and only the top ones reach the high end."""
    return low + (high - low) * size**2


@dataclass(frozen=True)
class Salespeople:
    codes: list[str]
    key_account_managers: list[str]
    field_reps: list[str]
    rows: dict[str, Any]


def build_salespeople(profile: Profile, seed: int, stamp: str) -> Salespeople:
    cfg = profile.sales
    rng = stream(seed, "salespeople")
    home_locale = vocab.COUNTRIES.get(profile.customers.home_country, ("en_US", ""))[0]
    pools = build_pools(seed, home_locale, pool_size(cfg.salespeople))
    first = pools.first_names[rng.integers(0, len(pools.first_names), cfg.salespeople)]
    last = pools.last_names[rng.integers(0, len(pools.last_names), cfg.salespeople)]
    codes = [f"SP{i + 1:03d}" for i in range(cfg.salespeople)]
    kam = np.arange(cfg.salespeople) < cfg.key_account_managers
    emails = unique_local_parts(
        [f"{slug(f)}.{slug(la)}" for f, la in zip(first, last, strict=True)]
    )
    rows = {
        "code": codes,
        "id": guids(rng, cfg.salespeople),
        "name": [f"{f} {la}" for f, la in zip(first, last, strict=True)],
        "email": [f"{e}@{vocab.COMPANY_EMAIL_DOMAIN}" for e in emails],
        "phone_no": pools.phones[rng.integers(0, len(pools.phones), cfg.salespeople)],
        "commission_pct": np.where(kam, 1.5, np.round(rng.uniform(2.0, 4.0, cfg.salespeople), 1)),
        "key_account_manager": kam.astype(int),
        "last_modified_date_time": [stamp] * cfg.salespeople,
    }
    managers = [c for c, k in zip(codes, kam, strict=True) if k]
    reps = [c for c, k in zip(codes, kam, strict=True) if not k]
    return Salespeople(codes, managers, reps, rows)


def unique_local_parts(parts: list[str]) -> list[str]:
    """Make e-mail local parts unique by numbering repeats: ana.ruiz, ana.ruiz2, ..."""
    seen: dict[str, int] = {}
    unique = []
    for part in parts:
        n = seen.get(part, 0) + 1
        seen[part] = n
        unique.append(part if n == 1 else f"{part}{n}")
    return unique


@dataclass(frozen=True)
class Accounts:
    """Per-account attributes for every account, as arrays indexed by account position."""

    no: np.ndarray
    volume: np.ndarray  # expected yearly revenue, local currency
    size: np.ndarray  # volume percentile in [0, 1]
    key_account: np.ndarray
    segment: np.ndarray
    country: np.ndarray
    locale: np.ndarray
    currency: np.ndarray
    price_group: np.ndarray
    disc_group: np.ndarray
    terms: np.ndarray
    credit_limit: np.ndarray
    blocked: np.ndarray
    allow_line_disc: np.ndarray
    salesperson: np.ndarray
    basket_lines: np.ndarray
    order_interval_days: np.ndarray
    payment_days_late: np.ndarray
    location: np.ndarray
    buyers: np.ndarray
    ap_clerks: np.ndarray
    first_contact: np.ndarray  # global index of the account's first contact
    name: np.ndarray
    address: np.ndarray
    city: np.ndarray
    post_code: np.ndarray
    phone: np.ndarray
    domain: np.ndarray

    @property
    def count(self) -> int:
        return len(self.no)

    @property
    def line_value(self) -> np.ndarray:
        """Average order-line value that makes rhythm x basket x line value = volume."""
        return self.volume / (365.0 / self.order_interval_days * self.basket_lines)

    def annual_lines(self) -> float:
        return float(np.sum(365.0 / self.order_interval_days * self.basket_lines))


def country_shares(profile: Profile) -> tuple[list[str], np.ndarray]:
    cfg = profile.customers
    countries = [cfg.home_country, *cfg.foreign_countries]
    shares = np.array([1.0 - sum(cfg.foreign_countries.values()), *cfg.foreign_countries.values()])
    return countries, shares


def build_accounts(
    profile: Profile,
    seed: int,
    sales: Salespeople,
    pools: dict[str, LocalePools] | None = None,
) -> Accounts:
    """Every account's attributes; ``pools`` are ``locale_pools(profile, seed)`` if the
    caller already has them (they cost a few hundred Faker calls per locale)."""
    cfg = profile.customers
    n = cfg.count
    rng = stream(seed, "accounts")
    # Stratified Pareto quantiles (one per 1/n slice of the distribution, shuffled over the
    # accounts): the concentration the profile asks for, without the wild swings of the
    # sample top share that plain draws show at a few hundred accounts.
    quantile = rng.permutation((np.arange(n) + rng.random(n)) / n)
    volume = cfg.min_annual_volume * np.minimum(
        (1.0 - quantile) ** (-1.0 / cfg.pareto_alpha), MAX_VOLUME_MULTIPLE
    )
    volume = np.round(volume, -1)
    order = np.argsort(-volume, kind="stable")
    size = np.empty(n)
    size[order] = 1.0 - np.arange(n) / max(n - 1, 1)
    key_count = round(n * cfg.key_account_share)
    key_account = np.zeros(n, dtype=bool)
    key_account[order[:key_count]] = True

    seg_names = list(cfg.segments)
    seg_p = np.array([cfg.segments[s] for s in seg_names])
    segment = np.array(seg_names, dtype=object)[
        rng.choice(len(seg_names), n, p=seg_p / seg_p.sum())
    ]

    countries, shares = country_shares(profile)
    country = np.array(countries, dtype=object)[rng.choice(len(countries), n, p=shares)]
    locale = np.array([vocab.COUNTRIES.get(c, ("en_US", ""))[0] for c in country], dtype=object)
    currency = np.array(
        [vocab.COUNTRIES.get(c, ("", "USD"))[1] if c != cfg.home_country else "" for c in country],
        dtype=object,
    )

    segments = [vocab.SEGMENTS.get(s) for s in segment]
    group_draw = rng.random(n)
    price_group = np.array(
        [
            seg.price_group if seg and (k or d < 0.85) else ""
            for seg, k, d in zip(segments, key_account, group_draw, strict=True)
        ],
        dtype=object,
    )
    disc_group = np.where(size >= 0.9, "A", np.where(size >= 0.5, "B", "C")).astype(object)
    term_draw = rng.random(n)
    term_options = [seg.payment_terms if seg else ("30D",) for seg in segments]
    terms = np.array(
        [opts[int(t * len(opts))] for opts, t in zip(term_options, term_draw, strict=True)],
        dtype=object,
    )
    due_days = np.array([vocab.PAYMENT_TERMS[t][1] for t in terms])
    credit_limit = np.ceil(volume * (due_days + 30) / 365.0 * 1.5 / 1000.0) * 1000.0

    blocked_draw = rng.random(n)
    kind_draw = rng.random(n)
    blocked = np.where(
        (~key_account) & (blocked_draw < cfg.blocked_share),
        np.where(kind_draw < 0.7, "All", np.where(kind_draw < 0.9, "Ship", "Invoice")),
        "",
    ).astype(object)
    allow_line_disc = (rng.random(n) >= 0.05).astype(int)

    salesperson = np.empty(n, dtype=object)
    managers = sales.key_account_managers or sales.field_reps
    salesperson[key_account] = np.array(managers, dtype=object)[
        rng.integers(0, len(managers), int(key_account.sum()))
    ]
    salesperson[~key_account] = np.array(sales.field_reps, dtype=object)[
        rng.integers(0, len(sales.field_reps), int((~key_account).sum()))
    ]

    basket_lines = np.clip(
        rng.lognormal(np.log(cfg.basket_lines.median * (1.0 + size)), cfg.basket_lines.sigma),
        1.0,
        80.0,
    )
    target_line_value = rng.lognormal(np.log(60.0 * (1.0 + 2.0 * size)), 0.4)
    orders_per_year = np.clip(volume / (basket_lines * target_line_value), 2.0, 260.0)
    order_interval_days = np.round(365.0 / orders_per_year, 2)
    basket_lines = np.round(basket_lines, 2)

    size_sq = size**2
    buyers = np.minimum(
        cfg.buyers.max,
        cfg.buyers.min + rng.poisson((cfg.buyers.max - cfg.buyers.min) * size_sq * 0.6),
    ).astype(int)
    ap_clerks = np.where(key_account, cfg.ap_clerks.max, cfg.ap_clerks.min).astype(int)
    per_account = buyers + ap_clerks
    first_contact = np.concatenate([[0], np.cumsum(per_account)[:-1]]).astype(int)

    payment_days_late = _payment_habits(rng, segment)
    location = _shipping_locations(profile, rng, country)
    pools = pools if pools is not None else locale_pools(profile, seed)
    name, address, city, post_code, phone = _identities(pools, locale, rng)
    domain = np.array(_domains(name), dtype=object)
    return Accounts(
        no=customer_numbers(n),
        volume=volume,
        size=size,
        key_account=key_account,
        segment=segment,
        country=country,
        locale=locale,
        currency=currency,
        price_group=price_group,
        disc_group=disc_group,
        terms=terms,
        credit_limit=credit_limit,
        blocked=blocked,
        allow_line_disc=allow_line_disc,
        salesperson=salesperson,
        basket_lines=basket_lines,
        order_interval_days=order_interval_days,
        payment_days_late=payment_days_late,
        location=location,
        buyers=buyers,
        ap_clerks=ap_clerks,
        first_contact=first_contact,
        name=name,
        address=address,
        city=city,
        post_code=post_code,
        phone=phone,
        domain=domain,
    )


def _payment_habits(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    """Mean days late per account: most pay around the due date, some are slow, a few
    chronic; public bodies pay later (a well-known pattern in Spanish B2B)."""
    n = len(segment)
    habit = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    days = np.choose(
        habit, [rng.normal(-1.0, 3.0, n), rng.normal(12.0, 6.0, n), rng.normal(32.0, 10.0, n)]
    )
    days += np.where(segment == "public", 15.0, 0.0)
    return np.round(np.maximum(days, -5.0), 1)


def _shipping_locations(
    profile: Profile, rng: np.random.Generator, country: np.ndarray
) -> np.ndarray:
    """Foreign accounts ship from their country's hub when there is one; the others from
    the home warehouses, in proportion to the warehouses' size."""
    locations = vocab.LOCATIONS[: profile.stock.locations]
    home = [loc for loc in locations if loc[3] == profile.customers.home_country] or [locations[0]]
    share = np.array([loc[4] for loc in home])
    drawn = np.array([loc[0] for loc in home], dtype=object)[
        rng.choice(len(home), size=len(country), p=share / share.sum())
    ]
    hubs = {
        loc[3]: loc[0] for loc in reversed(locations) if loc[3] != profile.customers.home_country
    }
    return np.array([hubs.get(c, d) for c, d in zip(country, drawn, strict=True)], dtype=object)


def locale_pools(profile: Profile, seed: int) -> dict[str, LocalePools]:
    """One pool per locale in use, sized from the *expected* accounts of its countries."""
    countries, shares = country_shares(profile)
    expected: dict[str, float] = {}
    for country, share in zip(countries, shares, strict=True):
        locale = vocab.COUNTRIES.get(country, ("en_US", ""))[0]
        expected[locale] = expected.get(locale, 0.0) + share * profile.customers.count * 4
    return {loc: build_pools(seed, loc, pool_size(rows)) for loc, rows in sorted(expected.items())}


def _identities(
    pools: dict[str, LocalePools], locale: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    n = len(locale)
    picks = rng.integers(0, 2**31, size=(5, n))
    fields: list[list[str]] = [[], [], [], [], []]
    for i, loc in enumerate(locale.tolist()):
        pool = pools[loc]
        fields[0].append(pool.companies[picks[0, i] % len(pool.companies)])
        fields[1].append(pool.streets[picks[1, i] % len(pool.streets)].strip())
        fields[2].append(pool.cities[picks[2, i] % len(pool.cities)])
        fields[3].append(pool.post_codes[picks[3, i] % len(pool.post_codes)])
        fields[4].append(pool.phones[picks[4, i] % len(pool.phones)])
    # The same company name twice reads like a data error: tell repeats apart by city.
    seen: set[str] = set()
    names = fields[0]
    for i, company in enumerate(names):
        if company in seen:
            names[i] = f"{company} ({fields[2][i]})"
        seen.add(names[i])
    return tuple(np.array(f, dtype=object) for f in fields)


def _domains(names: np.ndarray) -> list[str]:
    """A unique e-mail domain per account, under the reserved ``.example`` top-level domain."""
    bases = ["-".join(slug(name).split("-")[:3]) for name in names.tolist()]
    return [f"{part}.example" for part in unique_local_parts(bases)]


@dataclass(frozen=True)
class AssortmentIndex:
    """Per sub-family: its sellable items and their cumulative popularity, for fast draws.

    ``keys`` holds every sub-family's cumulative popularity as the complex numbers
    ``sub + 1j * cumulative``, sub-family after sub-family. numpy orders complex numbers
    lexicographically, so one ``searchsorted`` over ``keys`` draws from many sub-families at
    once, with exactly the comparisons a search in each sub-family's own array would make."""

    items: list[np.ndarray]
    cumulative: list[np.ndarray]
    mass: np.ndarray
    family_affinity: dict[str, np.ndarray]
    keys: np.ndarray
    starts: np.ndarray  # per sub-family: index of its first item in keys and flat_items
    sizes: np.ndarray  # per sub-family: number of items
    totals: np.ndarray  # per sub-family: cumulative popularity of all its items
    flat_items: np.ndarray

    def pick(self, subs: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Per draw: the item of sub-family ``subs[i]`` at popularity quantile ``u[i]``."""
        query = np.empty(len(subs), dtype=complex)
        query.real = subs
        query.imag = u * self.totals[subs]
        at = np.searchsorted(self.keys, query, side="right") - self.starts[subs]
        return self.flat_items[self.starts[subs] + np.minimum(at, self.sizes[subs] - 1)]


def build_assortment_index(catalog: Catalog) -> AssortmentIndex:
    items, cumulative, mass = [], [], []
    sellable = ~catalog.blocked
    for sub_index in range(len(vocab.SUBFAMILIES)):
        members = np.flatnonzero((catalog.subfamily == sub_index) & sellable)
        weights = catalog.popularity[members]
        items.append(members)
        cumulative.append(np.cumsum(weights))
        mass.append(weights.sum())
    family_of_sub = [fam.code for fam in vocab.FAMILIES for _ in fam.subfamilies]
    subs_per_family = {fam.code: len(fam.subfamilies) for fam in vocab.FAMILIES}
    affinity = {
        name: np.array(
            [seg.family_affinity.get(f, 0.1) / subs_per_family[f] for f in family_of_sub]
        )
        for name, seg in vocab.SEGMENTS.items()
    }
    sizes = np.array([len(c) for c in cumulative], dtype=int)
    keys = np.empty(int(sizes.sum()), dtype=complex)
    keys.real = np.repeat(np.arange(len(sizes)), sizes)
    keys.imag = np.concatenate(cumulative)
    return AssortmentIndex(
        items=items,
        cumulative=cumulative,
        mass=np.array(mass),
        family_affinity=affinity,
        keys=keys,
        starts=np.cumsum(sizes) - sizes,
        sizes=sizes,
        totals=np.array([c[-1] if len(c) else 0.0 for c in cumulative]),
        flat_items=np.concatenate(items),
    )


@dataclass(frozen=True)
class AccountDraw:
    """What one block draws for one account: people, assortment and ordered basket items."""

    position: int
    contacts: list[tuple[str, str, str, str, str]]  # first, last, title, role, phone
    subfamilies: np.ndarray
    items: np.ndarray  # catalog positions, most frequently bought first
    preferred: int  # how many of ``items`` form the repeat basket
    price_items: int  # how many of ``items`` carry a customer price


def draw_items(
    rng: np.random.Generator, index: AssortmentIndex, subs: np.ndarray, count: int
) -> np.ndarray:
    """Up to ``count`` distinct sellable items of ``subs``, popular ones more likely and first."""
    available = sum(len(index.items[s]) for s in subs)
    count = min(count, available)
    if count == 0:
        return np.zeros(0, dtype=int)
    mass = index.mass[subs]
    chosen: list[np.ndarray] = []
    total = 0
    for _ in range(6):
        m = int((count - total) * 1.6) + 8
        which = rng.choice(len(subs), size=m, p=mass / mass.sum())
        chosen.append(index.pick(subs[which], rng.random(m)))
        merged = np.concatenate(chosen)
        _, first = np.unique(merged, return_index=True)
        total = len(first)
        if total >= count:
            break
    merged = np.concatenate(chosen)
    _, first = np.unique(merged, return_index=True)
    ordered = merged[np.sort(first)]
    if len(ordered) < count:  # small assortments: top up deterministically by popularity
        pool = np.concatenate([index.items[s] for s in subs])
        rest = np.setdiff1d(pool, ordered)
        ordered = np.concatenate([ordered, rest[: count - len(ordered)]])
    return ordered[:count]


def account_blocks(lo: int, hi: int) -> Iterator[tuple[int, range]]:
    """Blocks overlapping accounts [lo, hi), each with its full range of positions."""
    for block in range(lo // BLOCK, (hi - 1) // BLOCK + 1 if hi > lo else lo // BLOCK):
        yield block, range(block * BLOCK, (block + 1) * BLOCK)


def draw_block(
    profile: Profile,
    seed: int,
    accounts: Accounts,
    index: AssortmentIndex,
    pools: dict[str, LocalePools],
    block: int,
) -> list[AccountDraw]:
    """Everything drawn per account for one block (all of it, whatever the shard keeps)."""
    cfg = profile.customers
    rng = stream(seed, "account-block", block)
    draws = []
    for pos in range(block * BLOCK, min((block + 1) * BLOCK, accounts.count)):
        pool = pools[accounts.locale[pos]]
        n_buyers, n_ap = int(accounts.buyers[pos]), int(accounts.ap_clerks[pos])
        people = []
        picks = rng.integers(0, 2**31, size=(4, n_buyers + n_ap))
        for j in range(n_buyers + n_ap):
            buyer = j < n_buyers
            titles = vocab.BUYER_TITLES if buyer else vocab.AP_TITLES
            people.append(
                (
                    pool.first_names[picks[0, j] % len(pool.first_names)],
                    pool.last_names[picks[1, j] % len(pool.last_names)],
                    titles[picks[2, j] % len(titles)],
                    "buyer" if buyer else "ap_clerk",
                    pool.phones[picks[3, j] % len(pool.phones)],
                )
            )
        size = accounts.size[pos]
        n_subs = len(vocab.SUBFAMILIES)
        k_subs = min(
            n_subs,
            round(
                float(
                    interpolate(cfg.assortment_categories.min, cfg.assortment_categories.max, size)
                )
            ),
        )
        weights = index.family_affinity.get(accounts.segment[pos])
        if weights is None:
            weights = np.ones(n_subs)
        weights = weights * (index.mass > 0)
        k_subs = min(k_subs, int((weights > 0).sum()))
        subs = np.sort(rng.choice(n_subs, size=k_subs, replace=False, p=weights / weights.sum()))
        preferred = round(
            float(interpolate(cfg.preferred_items.min, cfg.preferred_items.max, size))
        )
        pricing = profile.pricing
        has_prices = accounts.key_account[pos] or rng.random() < pricing.customer_price_share
        price_items = round(
            float(
                interpolate(
                    pricing.customer_price_items.min, pricing.customer_price_items.max, size
                )
            )
        )
        price_items = price_items if has_prices else 0
        items = draw_items(rng, index, subs, max(preferred, price_items))
        draws.append(
            AccountDraw(
                position=pos,
                contacts=people,
                subfamilies=subs,
                items=items,
                preferred=min(preferred, len(items)),
                price_items=min(price_items, len(items)),
            )
        )
    return draws


def customer_rows(
    accounts: Accounts, positions: np.ndarray, seed: int, stamp: str
) -> dict[str, Any]:
    k = len(positions)
    ids = np.array(guids(stream(seed, "customer-ids"), accounts.count), dtype=object)
    return {
        "no": accounts.no[positions],
        "id": ids[positions],
        "name": accounts.name[positions],
        "address": accounts.address[positions],
        "city": accounts.city[positions],
        "post_code": accounts.post_code[positions],
        "country_code": accounts.country[positions],
        "phone_no": accounts.phone[positions],
        "email": [f"info@{d}" for d in accounts.domain[positions]],
        "currency_code": accounts.currency[positions],
        "payment_terms_code": accounts.terms[positions],
        "credit_limit": accounts.credit_limit[positions],
        "customer_price_group": accounts.price_group[positions],
        "customer_disc_group": accounts.disc_group[positions],
        "allow_line_disc": accounts.allow_line_disc[positions],
        "salesperson_code": accounts.salesperson[positions],
        "location_code": accounts.location[positions],
        "key_account": accounts.key_account[positions].astype(int),
        "segment": accounts.segment[positions],
        "blocked": accounts.blocked[positions],
        "annual_volume": accounts.volume[positions],
        "order_interval_days": accounts.order_interval_days[positions],
        "avg_basket_lines": accounts.basket_lines[positions],
        "payment_days_late": accounts.payment_days_late[positions],
        "last_modified_date_time": [stamp] * k,
    }


# Weight of the k-th basket item (k = 0 most frequent) when an order picks its lines; the
# world's demand and the stock planning below share it.
BASKET_RANK_EXPONENT = 0.7


def basket_weights(count: int) -> np.ndarray:
    return 1.0 / (np.arange(count) + 1.0) ** BASKET_RANK_EXPONENT


def basket_quantities(
    draw: AccountDraw, accounts: Accounts, catalog: Catalog, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The repeat basket: items, usual quantity in base units, usual unit and quantity in it.
    A line is worth about the account's typical line value; big quantities go in packs."""
    basket = draw.items[: draw.preferred]
    base_qty = np.maximum(
        1.0,
        np.round(
            accounts.line_value[draw.position]
            / catalog.list_price[basket]
            * rng.lognormal(0.0, 0.3, size=len(basket))
        ),
    )
    pack = catalog.pack_qty[basket]
    in_packs = (pack > 0) & (base_qty >= pack)
    units = np.where(in_packs, catalog.pack_unit(basket), catalog.base_unit(basket))
    qty = np.where(in_packs, np.maximum(1.0, np.round(base_qty / np.maximum(pack, 1))), base_qty)
    return basket, np.where(in_packs, qty * pack, qty), units, qty


Basket = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def block_baskets(
    draws: list[AccountDraw], accounts: Accounts, catalog: Catalog, seed: int, block: int
) -> list[Basket]:
    """``basket_quantities`` of every drawn account of the block, from the block's stream."""
    rng = stream(seed, "preferred-quantities", block)
    return [basket_quantities(draw, accounts, catalog, rng) for draw in draws]


def add_expected_demand(
    demand: np.ndarray,
    largest_line: np.ndarray,
    draws: list[AccountDraw],
    baskets: list[Basket],
    accounts: Accounts,
    locations: list[str],
    new_item_share: float,
) -> None:
    """Add the block's expected daily demand (base units) per item x location: each basket
    item's chance to be on an order times its usual quantity, at the account's rhythm; and
    keep the largest usual line, which the stock must be able to serve in one shipment."""
    where = {code: j for j, code in enumerate(locations)}
    for draw, (basket, base_qty, _, _) in zip(draws, baskets, strict=True):
        pos = draw.position
        if accounts.blocked[pos] == "All" or not len(basket):
            continue
        weights = basket_weights(len(basket))
        lines = accounts.basket_lines[pos] * (1.0 - new_item_share)
        chance = np.minimum(1.0, lines * weights / weights.sum())
        column = where.get(accounts.location[pos], 0)
        np.add.at(demand[:, column], basket, chance * base_qty / accounts.order_interval_days[pos])
        np.maximum.at(largest_line[:, column], basket, base_qty)


def block_rows(
    draws: list[AccountDraw],
    baskets: list[Basket],
    accounts: Accounts,
    catalog: Catalog,
    seed: int,
    block: int,
    stamp: str,
    keep: range,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Contacts, assortment and preferred items of the drawn accounts whose position is in
    ``keep`` (all of the block is computed, so a shard's rows match the single run's)."""
    contacts: dict[str, list[Any]] = {
        c: []
        for c in (
            "no",
            "customer_no",
            "first_name",
            "surname",
            "job_title",
            "role",
            "email",
            "phone_no",
        )
    }
    assortment: dict[str, list[Any]] = {"customer_no": [], "item_category_code": []}
    preferred: dict[str, list[Any]] = {
        c: []
        for c in ("customer_no", "rank", "item_no", "unit_of_measure_code", "typical_quantity")
    }
    for draw, (basket, _, units, qty) in zip(draws, baskets, strict=True):
        pos = draw.position
        customer = accounts.no[pos]
        locals_ = unique_local_parts([f"{slug(p[0])}.{slug(p[1])}" for p in draw.contacts])
        for j, (person, local) in enumerate(zip(draw.contacts, locals_, strict=True)):
            contacts["no"].append(f"CT{accounts.first_contact[pos] + j + 1:07d}")
            contacts["customer_no"].append(customer)
            contacts["first_name"].append(person[0])
            contacts["surname"].append(person[1])
            contacts["job_title"].append(person[2])
            contacts["role"].append(person[3])
            contacts["email"].append(f"{local}@{accounts.domain[pos]}")
            contacts["phone_no"].append(person[4])
        for sub in draw.subfamilies.tolist():
            assortment["customer_no"].append(customer)
            assortment["item_category_code"].append(vocab.SUBFAMILIES[sub].code)
        preferred["customer_no"] += [customer] * len(basket)
        preferred["rank"] += list(range(1, len(basket) + 1))
        preferred["item_no"] += catalog.item_no[basket].tolist()
        preferred["unit_of_measure_code"] += units.tolist()
        preferred["typical_quantity"] += qty.tolist()
    contacts["id"] = guids(stream(seed, "contact-ids", block), len(contacts["no"]))
    first, last = accounts.no[keep.start], accounts.no[min(keep.stop, accounts.count) - 1]
    for table, columns in (
        ("contacts", contacts),
        ("customer_assortment", assortment),
        ("customer_preferred_items", preferred),
    ):
        owner = np.array(columns["customer_no"], dtype=object)
        mask = (owner >= first) & (owner <= last)
        kept = {name: np.asarray(values, dtype=object)[mask] for name, values in columns.items()}
        kept["last_modified_date_time"] = [stamp] * int(mask.sum())
        yield table, kept
