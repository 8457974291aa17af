"""Shared fixtures: the small dataset, master data only (about a second) and with its
24-month simulated history (a few seconds), each built once per test session."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.config import Profile, load_profile
from simulator.erp.generate import GenerationSummary, generate

SEED = 7


@pytest.fixture(scope="session")
def small_profile() -> Profile:
    return load_profile("small")


@pytest.fixture(scope="session")
def small_run(
    tmp_path_factory: pytest.TempPathFactory, small_profile: Profile
) -> GenerationSummary:
    """Master data only: the snapshot is as_of itself."""
    out = tmp_path_factory.mktemp("small") / "erp.sqlite"
    return generate(small_profile, seed=SEED, out=out, history_months=0)


@pytest.fixture(scope="session")
def small_db(small_run: GenerationSummary) -> Path:
    return small_run.path


@pytest.fixture
def conn(small_db: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{small_db}?mode=ro", uri=True)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def history_run(
    tmp_path_factory: pytest.TempPathFactory, small_profile: Profile
) -> GenerationSummary:
    """Master data at the snapshot 24 months before as_of, then the simulated history."""
    out = tmp_path_factory.mktemp("history") / "erp.sqlite"
    return generate(small_profile, seed=SEED, out=out)


@pytest.fixture
def history(history_run: GenerationSummary) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{history_run.path}?mode=ro", uri=True)
    yield connection
    connection.close()
