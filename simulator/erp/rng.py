"""Named random streams derived from one seed.

Every random choice in generation draws from a stream named after what it generates (and, for
per-customer data, the block of customers it covers). A stream depends only on the seed and its
name, never on which shard runs it or on what was drawn before, so shard I of N produces exactly
the rows the single run produces for the same customers.
"""

from __future__ import annotations

import zlib

import numpy as np
from faker import Faker


def stream(seed: int, name: str, *index: int) -> np.random.Generator:
    """The generator for ``name`` (and optional integer sub-indexes) under ``seed``."""
    entropy = [seed, zlib.crc32(name.encode()), *index]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def seeded_faker(seed: int, locale: str) -> Faker:
    """A Faker instance of its own, seeded from the run seed and the locale."""
    fake = Faker(locale)
    fake.seed_instance(int(stream(seed, f"faker:{locale}").integers(0, 2**63 - 1)))
    return fake


def guids(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` random version-4 GUIDs in Business Central's lower-case 8-4-4-4-12 form."""
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    text = raw.tobytes().hex()
    return [
        f"{text[i : i + 8]}-{text[i + 8 : i + 12]}-{text[i + 12 : i + 16]}-"
        f"{text[i + 16 : i + 20]}-{text[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]
