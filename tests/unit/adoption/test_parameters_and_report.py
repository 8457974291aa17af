"""Every default parameter is documented with its source; reports are self-contained."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

import simulator.adoption
from simulator.adoption.parameters import (
    ASSUMPTION,
    BENCHMARK,
    FREE_PARAMETERS,
    PARAMETER_DOCS,
    SEED_GUIDE,
    Parameters,
)
from simulator.adoption.scenario import Scenario
from simulator.report import charts, html

ROOT = Path(__file__).resolve().parents[3]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_every_parameter_is_documented_once_with_a_source() -> None:
    names = [doc.name for doc in PARAMETER_DOCS]
    assert sorted(names) == sorted(Parameters.model_fields)
    assert len(set(names)) == len(names)
    for doc in PARAMETER_DOCS:
        assert doc.kind in {SEED_GUIDE, BENCHMARK, ASSUMPTION}
        assert doc.source
        assert doc.unit
    assert set(FREE_PARAMETERS) <= set(Parameters.model_fields)


def test_adoption_exports_exactly_its_public_names() -> None:
    """Exports load lazily (fast `erpsim --help`); each one resolves to a public object."""
    assert set(simulator.adoption.__all__) == set(simulator.adoption._EXPORTS)
    for name in simulator.adoption.__all__:
        value = getattr(simulator.adoption, name)
        assert not inspect.ismodule(value)
        assert name in dir(simulator.adoption)
    with pytest.raises(AttributeError):
        _ = simulator.adoption.not_exported


def test_charts_are_png_and_deterministic() -> None:
    months = [f"2027-{m:02d}" for m in range(1, 7)]
    series = [charts.Series("TDA", [0.0, 0.1, 0.2, 0.25, 0.3, 0.32], [0] * 6, [0.4] * 6)]
    mark = charts.TargetMark("target", 5, 0.4)
    first = charts.fan_chart(months, series, title="t", target=mark)
    assert first.startswith(PNG_SIGNATURE)
    assert first == charts.fan_chart(months, series, title="t", target=mark)
    tornado = charts.tornado_chart(
        ["a", "b"], [0.1, 0.2], [0.3, 0.25], 0.22, metric="TDA", title="x"
    )
    assert tornado.startswith(PNG_SIGNATURE)
    panels = {"TDA": series}
    assert charts.comparison_chart(months, panels, title="c").startswith(PNG_SIGNATURE)


def test_html_is_self_contained_and_escaped() -> None:
    page = html.page(
        "A <b> & c",
        [html.section("s", html.image(PNG_SIGNATURE, "chart"), html.table(["x"], [["<i>"]]))],
    )
    assert "data:image/png;base64," in page
    assert "<b>" not in page
    assert "&lt;b&gt;" in page
    assert "&lt;i&gt;" in page
    assert "http://" not in page
    assert "https://" not in page


def test_every_parameter_is_in_the_docs_table() -> None:
    text = (ROOT / "docs" / "adoption.md").read_text(encoding="utf-8")
    defaults = Parameters()
    for doc in PARAMETER_DOCS:
        assert f"| `{doc.name}` | {getattr(defaults, doc.name):g} |" in text, doc.name


def _keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        keys.add(name)
        for inner in typing.get_args(field.annotation) or (field.annotation,):
            for candidate in typing.get_args(inner) or (inner,):
                if (
                    isinstance(candidate, type)
                    and issubclass(candidate, BaseModel)
                    and candidate is not Parameters
                ):
                    keys |= _keys(candidate)
    return keys


def test_every_scenario_key_is_documented() -> None:
    text = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    for key in sorted(_keys(Scenario)):
        forms = (f"`{key}`", f"[{key}]", f"[[{key}]]", f".{key}]")
        assert any(form in text for form in forms), key


def test_the_cli_knows_the_same_rates_as_the_metrics() -> None:
    """cli.py keeps its own copy so `erpsim --help` need not import numpy."""
    from simulator.adoption import cli, metrics

    assert cli.PRIMARY == metrics.PRIMARY
