"""Pools of realistic values drawn from Faker once per run, then indexed with numpy.

Faker costs microseconds per call; a million contacts with one call per field would take
minutes. A pool of a few thousand names per locale, composed by index, looks just as real.
Pools depend only on the seed, the locale and their size, so every shard sees the same pools.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.erp.rng import seeded_faker

MAX_POOL = 1500
MIN_POOL = 30


@dataclass(frozen=True)
class LocalePools:
    """Values of one locale, as numpy object arrays ready for fancy indexing."""

    locale: str
    companies: np.ndarray
    first_names: np.ndarray
    last_names: np.ndarray
    streets: np.ndarray
    cities: np.ndarray
    post_codes: np.ndarray
    phones: np.ndarray


def pool_size(expected_rows: float) -> int:
    """Enough distinct values to look varied, capped so Faker never dominates run time."""
    return int(min(MAX_POOL, max(MIN_POOL, round(expected_rows * 1.2))))


def build_pools(seed: int, locale: str, size: int) -> LocalePools:
    fake = seeded_faker(seed, locale)

    def draw(method: str) -> np.ndarray:
        produce = getattr(fake, method)
        return np.array([produce() for _ in range(size)], dtype=object)

    # City and post code come from one address so that they match where the locale allows.
    cities = draw("city")
    return LocalePools(
        locale=locale,
        companies=draw("company"),
        first_names=draw("first_name"),
        last_names=draw("last_name"),
        streets=draw("street_address"),
        cities=cities,
        post_codes=draw("postcode"),
        phones=draw("phone_number"),
    )
