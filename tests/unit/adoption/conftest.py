"""Adoption fixtures: the small dataset's population and a scenario builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.adoption.population import Population, load_population
from simulator.adoption.scenario import PopulationFilter, Scenario, scenario_from_dict

BASE: dict[str, Any] = {"name": "test", "start": "2027-01-04", "horizon_months": 12}


@pytest.fixture(scope="session")
def population(small_db: Path) -> Population:
    return load_population(small_db, PopulationFilter())


@pytest.fixture
def make_scenario() -> Callable[..., Scenario]:
    """A 12-month scenario from 2027-01-04 with the given keys replaced."""

    def make(**changes: Any) -> Scenario:
        return scenario_from_dict({**BASE, **changes})

    return make
