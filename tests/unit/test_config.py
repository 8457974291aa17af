"""Profiles: the built-in sizes, and every way a profile can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.config import builtin_profiles, load_profile
from simulator.errors import UserError

# (profile, items, customers): Magento Performance Toolkit sizes, customers per the issue.
SIZES = [
    ("small", 800, 200),
    ("medium", 24_000, 2_000),
    ("large", 300_000, 10_000),
    ("xlarge", 600_000, 50_000),
]


@pytest.mark.parametrize(("name", "items", "customers"), SIZES)
def test_builtin_profile_sizes(name: str, items: int, customers: int) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.catalog.items == items
    assert profile.customers.count == customers


def test_builtin_profiles_are_listed() -> None:
    assert builtin_profiles() == ["large", "medium", "small", "xlarge"]


def test_custom_profile_path_keeps_defaults_for_unset_keys(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text("[catalog]\nitems = 50\n[customers]\ncount = 10\n")
    profile = load_profile(str(path))
    assert profile.name == "tiny"
    assert profile.catalog.items == 50
    assert profile.customers.count == 10
    assert profile.pricing.customer_price_above_list_share == 0.0


def test_profiles_are_immutable() -> None:
    profile = load_profile("small")
    with pytest.raises(ValueError, match="frozen"):
        profile.catalog.items = 5  # type: ignore[misc]


BAD_PROFILES = [
    ("unknown-top-key", "colour = 'red'\n", "field colour: unknown key"),
    ("unknown-nested-key", "[catalog]\nitemz = 5\n", "field catalog.itemz: unknown key"),
    ("typo", "[catalog]\nitemz = 5\n", "unknown key (did you mean items?)"),
    ("zero-items", "[catalog]\nitems = 0\n", "field catalog.items"),
    ("negative-share", "[catalog]\nblocked_share = -0.1\n", "field catalog.blocked_share"),
    ("share-above-one", "[pricing]\ncustomer_price_share = 1.5\n", "customer_price_share"),
    ("wrong-type", "[customers]\ncount = 'many'\n", "field customers.count"),
    ("bad-date", "as_of = 'yesterday'\n", "field as_of"),
    ("reversed-range", "[catalog]\nmargin = { min = 0.5, max = 0.2 }\n", "must not exceed max"),
    ("margin-zero", "[catalog]\nmargin = { min = 0.0, max = 0.2 }\n", "cost stays below price"),
    (
        "breaks-not-increasing",
        "[pricing]\nquantity_breaks = [50.0, 10.0]\nquantity_break_discounts = [0.01, 0.02]\n",
        "strictly increasing",
    ),
    (
        "breaks-length-mismatch",
        "[pricing]\nquantity_breaks = [10.0]\nquantity_break_discounts = [0.01, 0.02]\n",
        "differ in length",
    ),
    (
        "too-many-foreign",
        "[customers]\nforeign_countries = { FR = 0.6, DE = 0.5 }\n",
        "less than 1",
    ),
    (
        "managers-exceed-reps",
        "[sales]\nsalespeople = 2\nkey_account_managers = 2\n",
        "fewer than salespeople",
    ),
    ("not-toml", "[catalog\nitems = 5\n", "not valid TOML"),
]


@pytest.mark.parametrize(
    ("case", "text", "message"), BAD_PROFILES, ids=[c[0] for c in BAD_PROFILES]
)
def test_bad_profile_names_file_field_and_problem(
    tmp_path: Path, case: str, text: str, message: str
) -> None:
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        load_profile(str(path))
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_profile_name_lists_the_builtin_ones() -> None:
    with pytest.raises(UserError, match=r"unknown profile 'huge' \(built-in profiles: large, "):
        load_profile("huge")


def test_missing_profile_file() -> None:
    with pytest.raises(UserError, match=r"profile file not found: nowhere/p\.toml"):
        load_profile("nowhere/p.toml")
