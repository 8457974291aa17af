"""Fit the model's free parameters to an observed monthly history.

The objective is the sum of squared differences, over the history's months and the four
rates (TR, TAU, TDA, KAAR), between the observed rate and the median of ``fit_runs``
simulated runs. Every evaluation uses the same seeds (common random numbers), so a change of
the objective comes from the parameters, not from chance. The optimiser is Nelder-Mead (the
simulated median is piecewise constant in the parameters, which defeats gradient methods) on
transformed parameters: logit for probabilities, log for hazards, identity for log-odds.

Tolerance, documented and tested: on a history simulated from known parameters (median of 60
runs with other seeds), calibration recovers ``invitation_response`` and
``awareness_per_week`` within 35 % of their values and ``online_intercept`` within 0.35
log-odds.

Uncertainty of the fit (issue 13 point 3): at the optimum the residuals' Jacobian is taken by
central differences in the transformed parameters (a step of ``JACOBIAN_STEP``, wide enough
to see through the median's steps), and the usual least-squares covariance
``s^2 (J'J)^-1`` with ``s^2 = SSR / (cells - parameters)`` gives standard errors, 95 %
intervals (symmetric in the transformed space, mapped back, so they respect the bounds) and
the correlation of the estimates. A correlation beyond +-0.7 is reported as an
identifiability warning: the history cannot tell those parameters apart (invitation response
and awareness both raise TR early), so read them together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from simulator.adoption.bass import BassFit, fit_bass
from simulator.adoption.calendar import build_schedule
from simulator.adoption.history import MIN_BASS_PERIODS, History
from simulator.adoption.levers import build_inputs
from simulator.adoption.metrics import PRIMARY, MetricContext, compute_metrics
from simulator.adoption.montecarlo import run_monte_carlo
from simulator.adoption.parameters import FREE_PARAMETERS, Parameters
from simulator.adoption.population import Population
from simulator.adoption.scenario import Scenario
from simulator.errors import UserError

SIMPLEX_STEP = 0.6  # initial simplex size in transformed units
JACOBIAN_STEP = 0.2  # central-difference step in transformed units
CORRELATION_WARNING = 0.7
LOG_PARAMETERS = frozenset({"awareness_per_week"})
IDENTITY_PARAMETERS = frozenset({"online_intercept", "first_order_barrier", "imitation_weight"})


def _to_free(name: str, value: float) -> float:
    if name in IDENTITY_PARAMETERS:
        return value
    value = min(max(value, 1e-6), 1.0 - 1e-6) if name not in LOG_PARAMETERS else max(value, 1e-6)
    return math.log(value) if name in LOG_PARAMETERS else math.log(value / (1.0 - value))


def _from_free(name: str, x: float) -> float:
    if name in IDENTITY_PARAMETERS:
        return float(min(max(x, -10.0), 10.0))
    if name in LOG_PARAMETERS:
        return float(min(math.exp(min(x, 1.6)), 5.0))
    return float(1.0 / (1.0 + math.exp(-x)))


def with_parameters(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with some parameters replaced (validated)."""
    params = Parameters.model_validate({**scenario.parameters.model_dump(), **values})
    return scenario.model_copy(update={"parameters": params})


def history_month_indexes(scenario: Scenario, history: History, months: Sequence[str]) -> list[int]:
    """Where each history month falls in the scenario's months."""
    position = {label: index for index, label in enumerate(months)}
    indexes = []
    for label in history.months:
        if label not in position:
            raise UserError(
                f"history {history.source}: month {label} is outside the scenario "
                f"{scenario.name}'s horizon ({months[0]} to {months[-1]})"
            )
        indexes.append(position[label])
    return indexes


@dataclass(frozen=True)
class FitUncertainty:
    """Standard errors, 95 % intervals and correlations of the fitted parameters."""

    names: tuple[str, ...]
    se: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    correlation: np.ndarray  # (k, k)
    residual_se: float

    def warnings(self) -> list[str]:
        """Pairs the history cannot tell apart."""
        out = []
        for i, a in enumerate(self.names):
            for j in range(i + 1, len(self.names)):
                rho = float(self.correlation[i, j])
                if abs(rho) >= CORRELATION_WARNING:
                    out.append(
                        f"{a} and {self.names[j]} correlate {rho:+.2f}: the history hardly "
                        "separates them; read them together"
                    )
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "method": "least-squares covariance from a central-difference Jacobian "
            f"(step {JACOBIAN_STEP} in transformed units)",
            "standard_errors": {k: round(v, 6) for k, v in self.se.items()},
            "ci95": {k: [round(lo, 6), round(hi, 6)] for k, (lo, hi) in self.ci95.items()},
            "correlation": np.round(self.correlation, 4).tolist(),
            "residual_se": round(self.residual_se, 6),
            "identifiability_warnings": self.warnings(),
        }


def _derivative(name: str, value: float) -> float:
    """d value / d transformed value at ``value``."""
    if name in IDENTITY_PARAMETERS:
        return 1.0
    if name in LOG_PARAMETERS:
        return value
    return value * (1.0 - value)


def fit_uncertainty(
    residuals: Callable[[np.ndarray], np.ndarray], x: np.ndarray, free: Sequence[str]
) -> FitUncertainty | None:
    """Least-squares standard errors and correlations at the optimum ``x``."""
    r0 = residuals(x)
    columns = []
    for i in range(len(x)):
        step = np.zeros(len(x))
        step[i] = JACOBIAN_STEP
        columns.append((residuals(x + step) - residuals(x - step)) / (2 * JACOBIAN_STEP))
    jacobian = np.stack(columns, axis=1)
    dof = max(len(r0) - len(x), 1)
    s2 = float(r0 @ r0) / dof
    cov = s2 * np.linalg.pinv(jacobian.T @ jacobian)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if not np.all(np.isfinite(sd)) or np.any(sd == 0):
        return None
    values = [_from_free(name, float(v)) for name, v in zip(free, x, strict=True)]
    return FitUncertainty(
        names=tuple(free),
        se={n: abs(_derivative(n, v)) * float(d) for n, v, d in zip(free, values, sd, strict=True)},
        ci95={
            n: (_from_free(n, float(xi - 1.96 * d)), _from_free(n, float(xi + 1.96 * d)))
            for n, xi, d in zip(free, x, sd, strict=True)
        },
        correlation=cov / np.outer(sd, sd),
        residual_se=math.sqrt(s2),
    )


@dataclass(frozen=True)
class Calibration:
    """The fitted scenario and how well it fits."""

    scenario: Scenario
    before: dict[str, float]
    after: dict[str, float]
    rmse_before: float
    rmse: float
    rmse_by_metric: dict[str, float]
    evaluations: int
    fit_runs: int
    seed: int
    history: History
    bass: BassFit | None
    fit_uncertainty: FitUncertainty | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "history": self.history.source,
            "months": len(self.history.months),
            "fit_runs": self.fit_runs,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "parameters": {
                name: {"before": self.before[name], "after": round(self.after[name], 6)}
                for name in self.before
            },
            "rmse_before": round(self.rmse_before, 6),
            "rmse": round(self.rmse, 6),
            "rmse_by_metric": {k: round(v, 6) for k, v in self.rmse_by_metric.items()},
            "bass": self.bass.as_dict() if self.bass else None,
            "uncertainty": self.fit_uncertainty.as_dict() if self.fit_uncertainty else None,
        }


def simulated_medians(
    scenario: Scenario,
    population: Population,
    *,
    runs: int,
    seed: int,
    workers: int | None,
    executor: Executor | None,
) -> dict[str, np.ndarray]:
    """Median of each primary rate per month, at the point parameters (the fit estimates
    them; structural uncertainty is for forecasts)."""
    inputs, _, _ = build_inputs(scenario, population, structural=False)
    schedule = build_schedule(scenario)
    tally = run_monte_carlo(
        inputs, schedule, runs=runs, seed=seed, workers=workers, executor=executor
    )
    values = compute_metrics(tally, MetricContext())
    return {name: np.median(values[name], axis=0) for name in PRIMARY}


def calibrate(
    scenario: Scenario,
    population: Population,
    history: History,
    *,
    fit_runs: int,
    seed: int,
    workers: int | None = None,
    max_evaluations: int = 120,
    free: Sequence[str] = FREE_PARAMETERS,
    executor: Executor | None = None,
) -> Calibration:
    """Least squares on the simulated median, with common random numbers."""
    months = build_schedule(scenario).month_labels
    indexes = history_month_indexes(scenario, history, months)
    observed = history.rates()
    before = {name: float(getattr(scenario.parameters, name)) for name in free}
    cache: dict[tuple[float, ...], float] = {}

    def errors(values: dict[str, float]) -> dict[str, np.ndarray]:
        medians = simulated_medians(
            with_parameters(scenario, values),
            population,
            runs=fit_runs,
            seed=seed,
            workers=workers,
            executor=executor,
        )
        return {name: medians[name][indexes] - observed[name] for name in PRIMARY}

    def decode(x: np.ndarray) -> dict[str, float]:
        return {name: _from_free(name, float(v)) for name, v in zip(free, x, strict=True)}

    def objective(x: np.ndarray) -> float:
        key = tuple(np.round(x, 9))
        if key not in cache:
            cache[key] = float(sum(np.sum(e**2) for e in errors(decode(x)).values()))
        return cache[key]

    x0 = np.array([_to_free(name, before[name]) for name in free])
    simplex = np.vstack([x0] + [x0 + SIMPLEX_STEP * np.eye(len(free))[i] for i in range(len(free))])
    result = minimize(
        objective,
        x0,
        method="Nelder-Mead",
        options={
            "initial_simplex": simplex,
            "maxfev": max_evaluations,
            "xatol": 0.01,
            "fatol": 1e-7,
        },
    )
    after = decode(result.x)
    fitted = errors(after)

    def residuals(x: np.ndarray) -> np.ndarray:
        return np.concatenate([e for e in errors(decode(x)).values()])

    uncertainty = fit_uncertainty(residuals, np.asarray(result.x, dtype=float), free)
    cells = len(indexes) * len(PRIMARY)
    rmse = math.sqrt(sum(float(np.sum(e**2)) for e in fitted.values()) / cells)
    rmse_before = math.sqrt(objective(x0) / cells)
    return Calibration(
        scenario=with_parameters(scenario, after),
        before=before,
        after=after,
        rmse_before=rmse_before,
        rmse=rmse,
        rmse_by_metric={name: math.sqrt(float(np.mean(e**2))) for name, e in fitted.items()},
        evaluations=len(cache),
        fit_runs=fit_runs,
        seed=seed,
        history=history,
        bass=_bass(history),
        fit_uncertainty=uncertainty,
    )


def _bass(history: History) -> BassFit | None:
    """Bass on buyers with a first online order, when the history is long enough."""
    adopters = history.counts["ordered_once"]
    if len(adopters) < MIN_BASS_PERIODS or adopters[-1] <= 0:
        return None
    try:
        return fit_bass(np.diff(adopters, prepend=0.0))
    except UserError:
        return None


def bass_tau(bass: BassFit, history: History, first: int, months: int) -> list[float]:
    """Bass's cumulative adopters as a share of the last observed invited buyers, for the
    months from the history's first (index ``first``) to the horizon."""
    invited = float(history.counts["invited"][-1]) or 1.0
    t = np.arange(1, months - first + 1, dtype=float)
    return (bass.cumulative(t) / invited).clip(0.0, 1.0).tolist()


def parameters_toml(calibration: Calibration) -> str:
    """A ``[parameters]`` table to paste into the scenario."""
    lines = [
        f"# Calibrated on {calibration.history.source} "
        f"(RMSE {calibration.rmse * 100:.2f} percentage points; seed {calibration.seed}, "
        f"{calibration.fit_runs} runs per evaluation).",
        "[parameters]",
    ]
    lines += [f"{name} = {value:.6g}" for name, value in calibration.after.items()]
    return "\n".join(lines) + "\n"
