"""The classical Bass (1969) diffusion model, fitted by nonlinear least squares.

Cumulative adopters N(t) = m F(t) with

    F(t) = (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t))
    f(t) = dF/dt = ((p + q)^2 / p) exp(-(p + q) t) / (1 + (q / p) exp(-(p + q) t))^2

where m is the market potential, p the coefficient of innovation (external influence) and q
of imitation (word of mouth). Adoptions in period t = 1..T are modelled as

- ``interval`` (default): m (F(t) - F(t - 1)), exactly what a period's count measures;
- ``instantaneous``: m f(t) at integer t, as most textbook fits do.

The fit is `scipy.optimize.least_squares` (trust region, bounds m > 0, 0 < p < 1, 0 <= q <
10) from several starting points, one of them Bass's own OLS estimate on
a(t) = b0 + b1 N(t-1) + b2 N(t-1)^2. Standard errors come from the Jacobian at the optimum,
sqrt(diag(s^2 (J'J)^-1)) with s^2 = SSR / (T - 3), the residual standard error being s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import least_squares

from simulator.errors import UserError

Form = Literal["interval", "instantaneous"]
FORMS: tuple[str, ...] = ("interval", "instantaneous")
MIN_PERIODS = 4


def bass_cdf(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """F(t): share of the market potential adopted by time t."""
    decay = np.exp(-(p + q) * t)
    return (1.0 - decay) / (1.0 + (q / p) * decay)


def bass_pdf(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """f(t) = dF/dt."""
    decay = np.exp(-(p + q) * t)
    return ((p + q) ** 2 / p) * decay / (1.0 + (q / p) * decay) ** 2


def bass_adoptions(t: np.ndarray, m: float, p: float, q: float, form: Form) -> np.ndarray:
    """Adoptions in periods ``t`` under the chosen form."""
    if form == "interval":
        return m * (bass_cdf(t, p, q) - bass_cdf(t - 1.0, p, q))
    return m * bass_pdf(t, p, q)


@dataclass(frozen=True)
class BassFit:
    """Estimates, standard errors and residual standard error of a Bass fit."""

    m: float
    p: float
    q: float
    se_m: float
    se_p: float
    se_q: float
    residual_se: float
    form: str
    periods: int

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        """m F(t): cumulative adopters at the end of period t."""
        return self.m * bass_cdf(np.asarray(t, dtype=float), self.p, self.q)

    def as_dict(self) -> dict[str, object]:
        return {
            "m": self.m,
            "p": self.p,
            "q": self.q,
            "se_m": self.se_m,
            "se_p": self.se_p,
            "se_q": self.se_q,
            "residual_se": self.residual_se,
            "form": self.form,
        }


def _ols_start(adoptions: np.ndarray) -> tuple[float, float, float] | None:
    """Bass's discrete OLS estimate, or None when it gives no valid (m, p, q)."""
    before = np.concatenate([[0.0], np.cumsum(adoptions)[:-1]])
    design = np.column_stack([np.ones_like(before), before, before**2])
    (b0, b1, b2), *_ = np.linalg.lstsq(design, adoptions, rcond=None)
    if b2 >= 0 or b1 * b1 - 4 * b0 * b2 < 0:
        return None
    m = (-b1 - math.sqrt(b1 * b1 - 4 * b0 * b2)) / (2 * b2)
    if m <= 0 or b0 <= 0:
        return None
    p, q = b0 / m, -b2 * m
    if not (0 < p < 1 and 0 <= q < 10):
        return None
    return m, p, q


def fit_bass(adoptions: np.ndarray, form: str = "interval") -> BassFit:
    """Fit (m, p, q) to adoptions per period (periods 1..T)."""
    if form not in FORMS:
        raise UserError(f"bad --form {form!r}: choose interval or instantaneous")
    y = np.asarray(adoptions, dtype=float)
    if len(y) < MIN_PERIODS:
        raise UserError(f"the Bass fit needs at least {MIN_PERIODS} periods, got {len(y)}")
    total = float(y.sum())
    if total <= 0:
        raise UserError("the Bass fit needs some adoptions: every period is 0")
    t = np.arange(1, len(y) + 1, dtype=float)
    scale = total

    def residuals(x: np.ndarray) -> np.ndarray:
        return (bass_adoptions(t, x[0] * scale, x[1], x[2], form) - y) / scale  # type: ignore[arg-type]

    starts = [(m / scale, p, q) for m, p, q in filter(None, [_ols_start(y)])]
    starts += [(factor, p, q) for factor in (1.5, 4.0) for p in (0.01, 0.05) for q in (0.1, 0.5)]
    best = None
    for start in starts:
        result = least_squares(
            residuals,
            np.array(start),
            bounds=([1e-9, 1e-9, 0.0], [1e6, 1.0, 10.0]),
            method="trf",
            x_scale="jac",
            ftol=1e-14,
            xtol=1e-14,
            gtol=1e-14,
            max_nfev=2000,
        )
        if best is None or result.cost < best.cost:
            best = result
    assert best is not None
    m, p, q = float(best.x[0] * scale), float(best.x[1]), float(best.x[2])
    dof = len(y) - 3
    ssr = float(np.sum((best.fun * scale) ** 2))
    s2 = ssr / dof
    jacobian = best.jac * scale  # d residual (unscaled) / d x
    jacobian[:, 0] /= scale  # d / d m instead of d / d (m / scale)
    covariance = s2 * np.linalg.pinv(jacobian.T @ jacobian)
    se = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    return BassFit(
        m=m,
        p=p,
        q=q,
        se_m=float(se[0]),
        se_p=float(se[1]),
        se_q=float(se[2]),
        residual_se=math.sqrt(s2),
        form=form,
        periods=len(y),
    )
