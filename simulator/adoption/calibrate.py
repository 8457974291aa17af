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

Those errors leave out the fit seed: the simulated median is itself a Monte Carlo estimate,
so another seed gives another optimum. ``bootstrap`` (``erpsim calibrate --bootstrap N``)
refits N times, each on the fitted rates minus the fit's monthly residuals resampled by
month (a month's four residuals together) and with a fresh fit seed, starting from the
estimate with the fit's simplex size and half its evaluations (a smaller simplex or budget
keeps the refits near their start and understates the spread along the ridge of two
correlated parameters). The spread of the refits is the
bootstrap standard error; the 95 % interval is the estimate +- 1.96 bootstrap standard
deviations in the transformed space, mapped back (with a handful of refits, percentiles
would be the extremes). All draws come from the calibration seed: same seed, same intervals.
Tested: two calibration seeds agree within twice their combined bootstrap error.
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
BOOTSTRAP_STEP = SIMPLEX_STEP  # a refit's initial simplex, from the estimate
BOOTSTRAP_STREAM = 0xB007
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
        return correlation_warnings(self.names, self.correlation, "least squares")

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


def correlation_warnings(names: Sequence[str], correlation: np.ndarray, source: str) -> list[str]:
    """A line per pair of estimates correlated beyond +-CORRELATION_WARNING."""
    out = []
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            rho = float(correlation[i, j])
            if abs(rho) >= CORRELATION_WARNING:
                out.append(
                    f"{a} and {names[j]} correlate {rho:+.2f} ({source}): the history hardly "
                    "separates them; read them together"
                )
    return out


def bootstrap_budget(max_evaluations: int) -> int:
    """Evaluations per bootstrap refit: half the fit's (it starts at the estimate)."""
    return max(1, min(max_evaluations, max(20, max_evaluations // 2)))


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
    bootstrap: BootstrapSpread | None = None

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
            "bootstrap": self.bootstrap.as_dict() if self.bootstrap else None,
            "identifiability_warnings": self.warnings(),
        }

    def warnings(self) -> list[str]:
        """Identifiability warnings of the least-squares and the bootstrap correlations."""
        out = self.fit_uncertainty.warnings() if self.fit_uncertainty else []
        boot = self.bootstrap
        if boot is not None and boot.replicates > 2:
            out += correlation_warnings(boot.names, boot.correlation, "bootstrap")
        return out


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
    bootstrap: int = 0,
    bootstrap_evaluations: int | None = None,
) -> Calibration:
    """Least squares on the simulated median, with common random numbers; ``bootstrap``
    seeded refits give bootstrap standard errors and intervals (see the module's doc)."""
    months = build_schedule(scenario).month_labels
    indexes = history_month_indexes(scenario, history, months)
    observed = history.rates()
    before = {name: float(getattr(scenario.parameters, name)) for name in free}

    def decode(x: np.ndarray) -> dict[str, float]:
        return {name: _from_free(name, float(v)) for name, v in zip(free, x, strict=True)}

    def simulated(x: np.ndarray, fit_seed: int) -> dict[str, np.ndarray]:
        medians = simulated_medians(
            with_parameters(scenario, decode(x)),
            population,
            runs=fit_runs,
            seed=fit_seed,
            workers=workers,
            executor=executor,
        )
        return {name: medians[name][indexes] for name in PRIMARY}

    def errors(x: np.ndarray) -> dict[str, np.ndarray]:
        fitted = simulated(x, seed)
        return {name: fitted[name] - observed[name] for name in PRIMARY}

    x0 = np.array([_to_free(name, before[name]) for name in free])
    fit = _least_squares(simulated, observed, seed, x0, SIMPLEX_STEP, max_evaluations)
    after = decode(fit.x)
    fitted = errors(fit.x)

    def residuals(x: np.ndarray) -> np.ndarray:
        return np.concatenate(list(errors(x).values()))

    uncertainty = fit_uncertainty(residuals, fit.x, free)
    spread = None
    if bootstrap > 0:
        spread = bootstrap_fit(
            simulated,
            fit.x,
            {name: observed[name] + fitted[name] for name in PRIMARY},
            fitted,
            free,
            replicates=bootstrap,
            seed=seed,
            max_evaluations=bootstrap_evaluations or bootstrap_budget(max_evaluations),
        )
    cells = len(indexes) * len(PRIMARY)
    rmse = math.sqrt(sum(float(np.sum(e**2)) for e in fitted.values()) / cells)
    rmse_before = math.sqrt(fit.at_start / cells)
    return Calibration(
        scenario=with_parameters(scenario, after),
        before=before,
        after=after,
        rmse_before=rmse_before,
        rmse=rmse,
        rmse_by_metric={name: math.sqrt(float(np.mean(e**2))) for name, e in fitted.items()},
        evaluations=fit.evaluations,
        fit_runs=fit_runs,
        seed=seed,
        history=history,
        bass=_bass(history),
        fit_uncertainty=uncertainty,
        bootstrap=spread,
    )


Simulated = Callable[[np.ndarray, int], dict[str, np.ndarray]]


@dataclass(frozen=True)
class _Fit:
    x: np.ndarray
    evaluations: int
    at_start: float  # the objective at the start point


def _least_squares(
    simulated: Simulated,
    target: dict[str, np.ndarray],
    fit_seed: int,
    x0: np.ndarray,
    step: float,
    max_evaluations: int,
) -> _Fit:
    """Nelder-Mead on the squared distance of the simulated medians (seed ``fit_seed``)
    from ``target``, from ``x0`` with an initial simplex of size ``step``."""
    cache: dict[tuple[float, ...], float] = {}

    def objective(x: np.ndarray) -> float:
        key = tuple(np.round(x, 9))
        if key not in cache:
            medians = simulated(x, fit_seed)
            cache[key] = float(sum(np.sum((medians[n] - target[n]) ** 2) for n in PRIMARY))
        return cache[key]

    simplex = np.vstack([x0] + [x0 + step * np.eye(len(x0))[i] for i in range(len(x0))])
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
    at_start = objective(x0)
    return _Fit(np.asarray(result.x, dtype=float), len(cache), at_start)


@dataclass(frozen=True)
class BootstrapSpread:
    """Standard errors, 95 % intervals and correlations from seeded bootstrap refits."""

    names: tuple[str, ...]
    estimates: np.ndarray  # (B, k) each refit's parameters, natural units
    se: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    correlation: np.ndarray  # (k, k) of the refits' transformed parameters
    evaluations: int
    max_evaluations: int

    @property
    def replicates(self) -> int:
        return len(self.estimates)

    def as_dict(self) -> dict[str, object]:
        return {
            "method": (
                f"seeded residual bootstrap: {self.replicates} refits, each on the fitted "
                "rates plus the fit's monthly residuals resampled by month, with a new "
                f"fit seed, from the estimate ({self.max_evaluations} evaluations at most)"
            ),
            "replicates": self.replicates,
            "evaluations": self.evaluations,
            "standard_errors": {k: round(v, 6) for k, v in self.se.items()},
            "ci95": {k: [round(lo, 6), round(hi, 6)] for k, (lo, hi) in self.ci95.items()},
            "correlation": np.round(self.correlation, 4).tolist(),
            "estimates": np.round(self.estimates, 6).tolist(),
        }


def bootstrap_fit(
    simulated: Simulated,
    x_hat: np.ndarray,
    fitted_rates: dict[str, np.ndarray],
    residuals: dict[str, np.ndarray],
    free: Sequence[str],
    *,
    replicates: int,
    seed: int,
    max_evaluations: int,
) -> BootstrapSpread:
    """Refit ``replicates`` times on ``fitted_rates`` minus the residuals of months drawn
    with replacement (a month's four residuals stay together), each refit with its own fit
    seed, so the spread holds both the history's noise and the fit seeds' Monte Carlo noise.
    Everything is drawn from ``SeedSequence([seed, BOOTSTRAP_STREAM])``: same seed, same
    intervals."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, BOOTSTRAP_STREAM])))
    months = len(next(iter(residuals.values())))
    draws = []
    evaluations = 0
    for _ in range(replicates):
        picked = rng.integers(0, months, months)
        target = {
            name: np.clip(fitted_rates[name] - residuals[name][picked], 0.0, 1.0)
            for name in PRIMARY
        }
        fit_seed = int(rng.integers(0, 2**31 - 1))
        fit = _least_squares(simulated, target, fit_seed, x_hat, BOOTSTRAP_STEP, max_evaluations)
        draws.append(fit.x)
        evaluations += fit.evaluations
    free_draws = np.stack(draws)  # (B, k) transformed
    natural = np.array(
        [[_from_free(n, float(v)) for n, v in zip(free, row, strict=True)] for row in free_draws]
    )
    sd_free = free_draws.std(axis=0, ddof=1) if replicates > 1 else np.zeros(len(free))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.corrcoef(free_draws, rowvar=False) if replicates > 2 else np.eye(len(free))
    return BootstrapSpread(
        names=tuple(free),
        estimates=natural,
        se={
            n: float(natural[:, i].std(ddof=1)) if replicates > 1 else 0.0
            for i, n in enumerate(free)
        },
        ci95={
            n: (
                _from_free(n, float(x_hat[i] - 1.96 * sd_free[i])),
                _from_free(n, float(x_hat[i] + 1.96 * sd_free[i])),
            )
            for i, n in enumerate(free)
        },
        correlation=np.nan_to_num(np.atleast_2d(correlation)),
        evaluations=evaluations,
        max_evaluations=max_evaluations,
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
