"""Built-in profiles, scenarios and load mixes: package data found by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.builtin import builtin_names, data_dir, resolve
from simulator.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_holds_the_files_and_the_checkout_links_to_them() -> None:
    assert data_dir("profile") == Path(__file__).resolve().parents[2] / "simulator/data/profiles"
    assert (ROOT / "scenarios").resolve() == data_dir("scenario")
    assert (ROOT / "fixtures/profiles").resolve() == data_dir("profile")


def test_names_per_kind() -> None:
    assert builtin_names("profile") == ["large", "medium", "small", "xlarge"]
    assert "baseline" in builtin_names("scenario")
    assert not [name for name in builtin_names("scenario") if name.startswith("load-")]
    assert builtin_names("load mix") == ["default", "month-end", "ordering-rush"]


def test_resolve_by_name_or_path(tmp_path: Path) -> None:
    assert resolve("scenario", "baseline") == data_dir("scenario") / "baseline.toml"
    assert resolve("load mix", "month-end").name == "load-month-end.toml"
    mine = tmp_path / "baseline.toml"
    mine.write_text("", encoding="utf-8")
    assert resolve("scenario", mine) == mine


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("scenario", "load-default", "unknown scenario 'load-default'"),
        ("load mix", "baseline", "unknown load mix 'baseline' (built-in load mixes: default, "),
        ("profile", "nope.toml", "profile file not found: nope.toml"),
        ("profile", "dir/small", "profile file not found: dir/small"),
    ],
)
def test_unknown_names_list_the_built_ins(kind, value: str, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        resolve(kind, value)
