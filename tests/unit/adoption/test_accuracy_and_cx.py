"""Data accuracy from the integration mode and the world's change rates; --cx-from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.adoption.accuracy import derive_accuracy
from simulator.adoption.cx import read_cx
from simulator.adoption.parameters import Parameters
from simulator.adoption.population import ChangeRates
from simulator.adoption.scenario import Integration
from simulator.errors import UserError

RATES = ChangeRates(2.0, 1.0, "test prices", "test stock")
LINES = np.array([1.0, 5.0, 20.0])


def order_wrong(mode: str, hours: float = 24.0, cx: object = None) -> np.ndarray:
    integration = Integration(mode=mode, sync_interval_hours=hours)  # type: ignore[arg-type]
    return derive_accuracy(integration, RATES, Parameters(), cx).order_wrong(LINES)  # type: ignore[arg-type]


def test_realtime_beats_batch_and_faster_sync_beats_slower() -> None:
    realtime, hourly, nightly, weekly = (
        order_wrong("realtime"), order_wrong("batch", 1), order_wrong("batch", 24),
        order_wrong("batch", 168),
    )  # fmt: skip
    assert np.all(realtime < hourly)
    assert np.all(hourly < nightly)
    assert np.all(nightly < weekly)
    assert np.all(np.diff(nightly) > 0)  # more lines, more chances to meet a wrong one
    np.testing.assert_allclose(realtime, Parameters().realtime_residual_error)


def test_batch_formula() -> None:
    params = Parameters()
    visible = 2.0 * params.price_change_visibility + 1.0 * params.stock_change_visibility
    line = 1 - np.exp(-visible / (365 / 12) * 0.5)  # nightly sync: half a day stale on average
    expected = 1 - (1 - params.batch_residual_error) * (1 - line) ** 5
    assert order_wrong("batch", 24)[1] == pytest.approx(expected, rel=1e-3)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "summary.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_cx_values_override_accuracy(tmp_path: Path) -> None:
    cx = read_cx(write(tmp_path, json.dumps({"cx": {"price_accuracy": 0.99, "p95_ms": 640}})))
    assert (cx.p95_ms, cx.price_accuracy, cx.stock_accuracy) == (640.0, 0.99, None)
    measured = order_wrong("realtime", cx=cx)
    assert measured[0] == pytest.approx(0.01)
    assert cx.as_dict() == {"source": str(tmp_path / "summary.json"), "p95_ms": 640.0,
                            "price_accuracy": 0.99}  # fmt: skip


def test_cx_object_may_be_absent_or_partial(tmp_path: Path) -> None:
    assert read_cx(write(tmp_path, "{}")).p95_ms is None
    assert read_cx(write(tmp_path, '{"cx": {"error_ratio": 0}}')).error_ratio == 0.0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "top level must be a JSON object"),
        ('{"cx": 3}', "field cx must be an object"),
        ('{"cx": {"p95_ms": "fast"}}', "cx.p95_ms must be a number, got 'fast'"),
        ('{"cx": {"error_ratio": true}}', "cx.error_ratio must be a number"),
        ('{"cx": {"price_accuracy": 1.5}}', "cx.price_accuracy must lie in [0, 1]"),
        ('{"cx": {"p95_ms": -1}}', "cx.p95_ms must be >= 0"),
    ],
)
def test_bad_cx_files(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(UserError) as caught:
        read_cx(write(tmp_path, text))
    assert fragment in str(caught.value)
    assert "summary.json" in str(caught.value)


def test_missing_cx_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--cx-from file not found"):
        read_cx(tmp_path / "nope.json")


def test_measured_accuracy_keeps_the_integration_lever(tmp_path: Path) -> None:
    """Issue 13 point 6: with measured CX, realtime, nightly and monthly batch still differ."""
    text = json.dumps({"cx": {"price_accuracy": 0.99, "stock_accuracy": 0.98}})
    cx = read_cx(write(tmp_path, text))
    realtime, nightly, monthly = (
        order_wrong("realtime", cx=cx), order_wrong("batch", 24, cx=cx),
        order_wrong("batch", 24 * 30, cx=cx),
    )  # fmt: skip
    assert np.all(realtime < nightly)
    assert np.all(nightly < monthly)


def test_accuracy_measured_on_a_batch_store_improves_when_moved_to_realtime(
    tmp_path: Path,
) -> None:
    text = json.dumps({"cx": {"price_accuracy": 0.97}, "store_accuracy": {"mode": "batch"}})
    cx = read_cx(write(tmp_path, text))
    assert cx.integration_mode == "batch"
    on_batch = order_wrong("batch", 24, cx=cx)
    assert order_wrong("realtime", cx=cx)[0] < on_batch[0]
    # The measured setup itself: the measurement is the per-line price error, as measured.
    line_right = 1 - on_batch[0]
    stock = order_wrong("batch", 24)  # derived stock part and residual are the model's
    assert line_right <= 0.97 + 1e-9
    assert stock[0] > 0


def test_bad_measured_mode(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"cx\.integration_mode must be realtime or batch"):
        read_cx(write(tmp_path, '{"cx": {"integration_mode": "carrier pigeon"}}'))
