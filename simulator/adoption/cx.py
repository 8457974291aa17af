"""Customer-experience inputs measured by a load test (`--cx-from SUMMARY.json`).

The load suite writes a summary whose top-level object ``cx`` may hold any of:

    {"cx": {"p95_ms": 640.0, "error_ratio": 0.004,
            "price_accuracy": 0.995, "stock_accuracy": 0.98}}

Each value present replaces the scenario's lever: ``p95_ms`` and ``error_ratio`` the site
performance, ``price_accuracy`` / ``stock_accuracy`` (share of displayed prices / stock
levels that matched the ERP) the per-line accuracy floor of the data. Accuracy is measured on
one integration setup: ``cx.integration_mode`` (``realtime`` or ``batch``, else the load
summary's ``store_accuracy.mode``) and ``cx.sync_interval_hours`` (default 24) say which, so
the model can take that setup's staleness out and put the scenario's in (issue 13 point 6:
measured CX must not erase the integration lever). A missing file, bad JSON or a value of the
wrong type or range is a UserError.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import UserError

KEYS = ("p95_ms", "error_ratio", "price_accuracy", "stock_accuracy")
SHARES = ("error_ratio", "price_accuracy", "stock_accuracy")


@dataclass(frozen=True)
class CxInputs:
    """Measured values; None where the summary had none."""

    source: str
    p95_ms: float | None = None
    error_ratio: float | None = None
    price_accuracy: float | None = None
    stock_accuracy: float | None = None
    integration_mode: str | None = None  # the setup accuracy was measured on
    sync_interval_hours: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            **{
                key: getattr(self, key)
                for key in (*KEYS, "integration_mode", "sync_interval_hours")
                if getattr(self, key) is not None
            },
        }


def read_cx(path: str | Path) -> CxInputs:
    """Read and check the ``cx`` object of a load-test summary."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UserError(f"--cx-from file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read --cx-from {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"--cx-from {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UserError(f"--cx-from {path}: the top level must be a JSON object")
    cx = data.get("cx", {})
    if not isinstance(cx, dict):
        raise UserError(f"--cx-from {path}: field cx must be an object")
    values: dict[str, float] = {}
    for key in KEYS:
        if key not in cx or cx[key] is None:
            continue
        value = cx[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserError(f"--cx-from {path}: field cx.{key} must be a number, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise UserError(f"--cx-from {path}: field cx.{key} must be >= 0, got {value!r}")
        if key in SHARES and value > 1:
            raise UserError(f"--cx-from {path}: field cx.{key} must lie in [0, 1], got {value!r}")
        if key == "p95_ms" and value == 0:
            raise UserError(f"--cx-from {path}: field cx.p95_ms must be > 0")
        values[key] = float(value)
    mode, hours = _measured_setup(path, data, cx)
    return CxInputs(source=str(path), integration_mode=mode, sync_interval_hours=hours, **values)


def _measured_setup(
    path: Path, data: dict[str, object], cx: dict[str, object]
) -> tuple[str | None, float | None]:
    store = data.get("store_accuracy")
    mode = cx.get("integration_mode")
    if mode is None and isinstance(store, dict):
        mode = store.get("mode")
    if mode is not None and mode not in ("realtime", "batch"):
        raise UserError(
            f"--cx-from {path}: field cx.integration_mode must be realtime or batch, got {mode!r}"
        )
    hours = cx.get("sync_interval_hours")
    if hours is not None and (
        isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 744
    ):
        raise UserError(f"--cx-from {path}: field cx.sync_interval_hours must be in (0, 744]")
    return mode, None if hours is None else float(hours)
