"""Web-store adoption forecasting: scenarios, buyers, Monte Carlo, calibration, Bass.

The names below are the public API; everything else in the sub-modules may change. They are
loaded on first use (PEP 562), so `erpsim --help` does not pay for numpy, SimPy and SciPy.
(The calibration function is `simulator.adoption.calibrate.calibrate`: a lazy export named
like its sub-module would be shadowed by it.)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PARAMETER_DOCS": "simulator.adoption.parameters",
    "BassFit": "simulator.adoption.bass",
    "Calibration": "simulator.adoption.calibrate",
    "Forecast": "simulator.adoption.forecast",
    "History": "simulator.adoption.history",
    "Parameters": "simulator.adoption.parameters",
    "Population": "simulator.adoption.population",
    "Scenario": "simulator.adoption.scenario",
    "fit_bass": "simulator.adoption.bass",
    "load_population": "simulator.adoption.population",
    "load_scenario": "simulator.adoption.scenario",
    "read_history": "simulator.adoption.history",
    "run_forecast": "simulator.adoption.forecast",
    "synthetic_population": "simulator.adoption.population",
}

__all__ = [
    "PARAMETER_DOCS",
    "BassFit",
    "Calibration",
    "Forecast",
    "History",
    "Parameters",
    "Population",
    "Scenario",
    "fit_bass",
    "load_population",
    "load_scenario",
    "read_history",
    "run_forecast",
    "synthetic_population",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'simulator.adoption' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
