"""Calibration recovers known parameters from a history simulated with them.

Documented tolerance (docs/adoption.md, simulator/adoption/calibrate.py): within 35 % of
the value for invitation_response and awareness_per_week, within 0.35 log-odds for
online_intercept, when the history is the median of 60 runs simulated with other seeds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from simulator.adoption.calendar import build_schedule
from simulator.adoption.calibrate import calibrate, history_month_indexes, with_parameters
from simulator.adoption.history import History
from simulator.adoption.levers import build_inputs
from simulator.adoption.metrics import COUNTER_INDEX
from simulator.adoption.montecarlo import run_monte_carlo
from simulator.adoption.population import Population
from simulator.adoption.scenario import Scenario
from simulator.errors import UserError

TRUE = {"invitation_response": 0.18, "awareness_per_week": 0.010, "online_intercept": -0.9}
COLUMNS = {
    "invited": "buyers_invited",
    "registered": "buyers_registered",
    "ordered_once": "buyers_ordered",
    "regular": "buyers_regular",
    "key_accounts_invited": "key_accounts_invited",
    "key_accounts_ordered": "key_accounts_ordered",
}


def simulated_history(scenario: Scenario, population: Population, months: int) -> History:
    truth = with_parameters(scenario, TRUE)
    inputs, _, _ = build_inputs(truth, population, structural=False)
    schedule = build_schedule(truth)
    tally = run_monte_carlo(inputs, schedule, runs=60, seed=99, workers=1)
    median = np.median(tally[:, :months], axis=0)
    return History(
        source="simulated",
        months=schedule.month_labels[:months],
        counts={column: median[:, COUNTER_INDEX[name]] for column, name in COLUMNS.items()},
    )


def test_recovers_known_parameters(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    scenario = make_scenario(horizon_months=8)
    history = simulated_history(scenario, population, months=8)
    result = calibrate(
        scenario, population, history, fit_runs=12, seed=1, workers=1, max_evaluations=90
    )
    after = result.after
    assert after["invitation_response"] == pytest.approx(TRUE["invitation_response"], rel=0.35)
    assert after["awareness_per_week"] == pytest.approx(TRUE["awareness_per_week"], rel=0.35)
    assert after["online_intercept"] == pytest.approx(TRUE["online_intercept"], abs=0.35)
    assert result.rmse < result.rmse_before
    assert result.scenario.parameters.online_intercept == after["online_intercept"]
    assert result.bass is not None


def test_history_months_must_fall_in_the_horizon(make_scenario: Callable[..., Scenario]) -> None:
    scenario = make_scenario(horizon_months=3)
    history = History("h.csv", ("2026-12", "2027-01"), {})
    with pytest.raises(UserError, match="month 2026-12 is outside"):
        history_month_indexes(scenario, history, build_schedule(scenario).month_labels)


def test_reports_standard_errors_and_identifiability(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    """Issue 13 point 3: intervals for the fitted parameters, by least squares and by a
    seeded bootstrap, their correlation, and results independent of the calibration seed
    within their reported standard errors."""
    scenario = make_scenario(horizon_months=8)
    history = simulated_history(scenario, population, months=8)
    fits = [
        calibrate(
            scenario,
            population,
            history,
            fit_runs=12,
            seed=seed,
            workers=1,
            max_evaluations=90,
            bootstrap=6,
        )
        for seed in (1, 2)
    ]
    spread = fits[0].fit_uncertainty
    assert spread is not None
    rho = spread.correlation
    np.testing.assert_allclose(np.diag(rho), 1.0)
    np.testing.assert_allclose(rho, rho.T)
    for name, se in spread.se.items():
        low, high = spread.ci95[name]
        assert se > 0
        assert low < fits[0].after[name] < high
    details = fits[0].as_dict()
    least_squares, bootstrap = details["uncertainty"], details["bootstrap"]
    assert isinstance(least_squares, dict)
    assert isinstance(bootstrap, dict)
    assert set(least_squares["standard_errors"]) == set(TRUE)
    boots = [fit.bootstrap for fit in fits]
    assert all(boot is not None and boot.replicates == 6 for boot in boots)
    assert boots[0] is not None
    assert boots[1] is not None
    assert bootstrap["estimates"] == np.round(boots[0].estimates, 6).tolist()
    # invitation_response and awareness_per_week trade off (the issue's -0.79).
    assert boots[0].correlation[0, 1] < -0.5
    assert any("invitation_response and awareness_per_week" in w for w in fits[0].warnings())
    for name in TRUE:
        low, high = boots[0].ci95[name]
        assert boots[0].se[name] > 0
        assert low < fits[0].after[name] < high
        # Another calibration seed lands within twice the estimates' combined bootstrap
        # error (the difference of two independent estimates: about a 95 % bound).
        combined = np.hypot(boots[0].se[name], boots[1].se[name])
        assert abs(fits[0].after[name] - fits[1].after[name]) <= 2 * combined, name


def test_the_bootstrap_is_seeded(
    population: Population, make_scenario: Callable[..., Scenario]
) -> None:
    scenario = make_scenario(horizon_months=4)
    history = simulated_history(scenario, population, months=4)

    def boot(seed: int) -> np.ndarray:
        fit = calibrate(
            scenario, population, history, fit_runs=4, seed=seed, workers=1,
            max_evaluations=8, bootstrap=2,
        )  # fmt: skip
        assert fit.bootstrap is not None
        return fit.bootstrap.estimates

    np.testing.assert_array_equal(boot(3), boot(3))
    assert not np.array_equal(boot(3), boot(4))
