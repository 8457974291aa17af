"""Issue 13 point 2: parameter uncertainty enters the bands and the target probability."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simulator.adoption import display
from simulator.adoption.forecast import run_forecast
from simulator.adoption.parameters import Parameters
from simulator.adoption.population import Population
from simulator.adoption.scenario import Scenario
from simulator.adoption.uncertainty import RANGES, draw_parameters, shifted_range

ROOT = Path(__file__).resolve().parents[3]


def test_every_range_belongs_to_a_parameter_and_holds_its_default() -> None:
    defaults = Parameters()
    for name, item in RANGES.items():
        assert name in Parameters.model_fields, name
        assert item.low <= getattr(defaults, name) <= item.high, name
        assert item.low < item.high, name
        assert item.source, name


def test_the_docs_table_shows_every_range() -> None:
    text = (ROOT / "docs" / "adoption.md").read_text(encoding="utf-8")
    for name, item in RANGES.items():
        assert f"| {item.low:g} - {item.high:g} |" in text, name
        assert f"`{name}`" in text


def test_draws_follow_the_seed_not_the_scenario() -> None:
    seeds = np.random.SeedSequence(4).spawn(30)
    first = draw_parameters(Parameters(), seeds, structural=True)
    again = draw_parameters(Parameters(), np.random.SeedSequence(4).spawn(30), structural=True)
    assert first == again
    values = np.array([p.trust_weight for p in first])
    item = RANGES["trust_weight"]
    assert np.all((values >= item.low) & (values <= item.high))
    assert values.std() > 0.2
    # A scenario override moves the range with it: the same draws, shifted.
    moved = draw_parameters(Parameters(habit_weight=2.0), seeds, structural=True)
    shift = np.array([b.habit_weight - a.habit_weight for a, b in zip(first, moved, strict=True)])
    np.testing.assert_allclose(shift, 0.8, atol=1e-9)
    assert draw_parameters(Parameters(), seeds, structural=False) == [Parameters()] * 30


def test_a_shifted_range_stays_within_the_parameter_bounds() -> None:
    assert shifted_range("signup_at_need", Parameters(signup_at_need=0.95)).high == 1.0


@pytest.fixture(scope="module")
def both(population: Population) -> tuple:
    from simulator.adoption.scenario import scenario_from_dict

    scenario = scenario_from_dict(
        {
            "name": "structural",
            "start": "2027-01-04",
            "horizon_months": 12,
            "features": {"quick_reorder": True, "order_tracking": True},
            "target": {"metric": "TDA", "value": 0.12, "date": "2027-09-30"},
        }
    )
    return (
        run_forecast(scenario, population, source="t", runs=60, seed=2, workers=1,
                     structural=False),
        run_forecast(scenario, population, source="t", runs=60, seed=2, workers=1,
                     structural=True, with_noise_only=True),
    )  # fmt: skip


def test_parameter_uncertainty_widens_the_bands(both: tuple) -> None:
    noise, total = both
    width = lambda f: f.bands["TDA"][-1].p90 - f.bands["TDA"][-1].p10  # noqa: E731
    assert width(total) > 1.3 * width(noise)


def test_the_summary_reports_both_spreads(both: tuple) -> None:
    noise, total = both
    summary = total.summary()
    assert summary["structural_uncertainty"] is True
    only = summary["monte_carlo_only"]
    assert only["final"]["TDA"] == noise.summary()["final"]["TDA"]
    assert only["target"]["probability"] == noise.summary()["target"]["probability"]
    line = display.target_line(summary)
    assert "Monte Carlo noise only" in line


def test_the_target_line_shows_the_median_at_the_target_date(both: tuple) -> None:
    """Issue 13 point 7: the median next to the probability is the target month's."""
    _, total = both
    summary = total.summary()
    target = summary["target"]
    line = display.target_line(summary)
    assert target["month"] == "2027-09"
    assert f"TDA median at 2027-09 {target['median_at_date']:.1%}" in line
    at_date = float(np.median(total.values["TDA"][:, 8]))
    assert target["median_at_date"] == pytest.approx(at_date, abs=1e-6)
    assert at_date != pytest.approx(summary["tda_median_final"], abs=1e-4)


def test_common_random_numbers_across_scenarios(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    """Two scenarios with one seed draw the same parameters: the difference is the lever."""
    base = make_scenario()
    better = make_scenario(features={"quick_reorder": True})
    runs = [
        run_forecast(item, population, source="t", runs=30, seed=8, workers=1)
        for item in (base, better)
    ]
    gain = runs[1].values["online_order_share"][:, -1] - runs[0].values["online_order_share"][:, -1]
    assert np.mean(gain > 0) >= 0.8
