"""The load mix (scenarios/load-*.toml): defaults, the documented file, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.mix import PERSONAS, LoadMix, load_mix
from simulator.errors import UserError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_default_file_matches_the_built_in_defaults():
    from_file = load_mix(SCENARIOS / "load-default.toml")
    built_in = LoadMix()
    assert from_file.model_dump(exclude={"description"}) == built_in.model_dump(
        exclude={"description"}
    )


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("load-*.toml")), ids=lambda p: p.name)
def test_every_load_scenario_loads(path: Path):
    mix = load_mix(path)
    assert set(mix.personas.weights()) == set(PERSONAS)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[personas.Reorderer]\nweigth = 2\n", "personas.Reorderer.weigth: unknown key"),
        ("[personas.Shopper]\nweight = 2\n", "personas.Shopper: unknown key"),
        ("[personas.Reorderer]\nthink_min = 3\nthink_max = 1\n", "think_min"),
        ("pacing = 0\n", "pacing"),
        ("[journeys]\ndelivery_days_min = 9\ndelivery_days_max = 2\n", "delivery_days_min"),
        ("pacing = [\n", "not valid TOML"),
        ("start = 2027-01-01\n", "adoption scenario"),
        ("\n".join(f"[personas.{name}]\nweight = 0" for name in PERSONAS), "weight 0"),
    ],
)
def test_bad_files_are_one_line(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "load-bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_mix(path)
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(UserError, match="not found"):
        load_mix(tmp_path / "nope.toml")
