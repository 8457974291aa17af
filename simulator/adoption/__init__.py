"""Web-store adoption forecasting: scenarios, buyers, Monte Carlo, calibration, Bass.

The names below are the public API; everything else in the sub-modules may change.
"""

from simulator.adoption.bass import BassFit, fit_bass
from simulator.adoption.calibrate import Calibration, calibrate
from simulator.adoption.forecast import Forecast, run_forecast
from simulator.adoption.history import History, read_history
from simulator.adoption.parameters import PARAMETER_DOCS, Parameters
from simulator.adoption.population import Population, load_population, synthetic_population
from simulator.adoption.scenario import Scenario, load_scenario

__all__ = [
    "PARAMETER_DOCS",
    "BassFit",
    "Calibration",
    "Forecast",
    "History",
    "Parameters",
    "Population",
    "Scenario",
    "calibrate",
    "fit_bass",
    "load_population",
    "load_scenario",
    "read_history",
    "run_forecast",
    "synthetic_population",
]
