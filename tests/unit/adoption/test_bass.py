"""The Bass fit recovers p, q, m from noiseless curves, in both forms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.adoption.bass import bass_adoptions, bass_cdf, bass_pdf, fit_bass
from simulator.adoption.history import read_periods
from simulator.errors import UserError

TRUE = {"m": 1000.0, "p": 0.03, "q": 0.38}


@pytest.mark.parametrize("form", ["interval", "instantaneous"])
@pytest.mark.parametrize("periods", [8, 20])
def test_recovers_a_noiseless_bass_curve(form: str, periods: int) -> None:
    t = np.arange(1, periods + 1, dtype=float)
    fit = fit_bass(bass_adoptions(t, TRUE["m"], TRUE["p"], TRUE["q"], form), form)  # type: ignore[arg-type]
    assert fit.m == pytest.approx(TRUE["m"], rel=1e-4)
    assert fit.p == pytest.approx(TRUE["p"], rel=1e-4)
    assert fit.q == pytest.approx(TRUE["q"], rel=1e-4)
    assert fit.residual_se < 1e-6
    assert fit.form == form
    assert set(fit.as_dict()) == {"m", "p", "q", "se_m", "se_p", "se_q", "residual_se", "form"}


def test_standard_errors_match_the_spread_of_refits() -> None:
    t = np.arange(1, 21, dtype=float)
    curve = bass_adoptions(t, 1000.0, 0.03, 0.38, "interval")
    rng = np.random.default_rng(4)
    fits = [fit_bass(curve + rng.normal(0.0, 3.0, len(t))) for _ in range(40)]
    spread = np.std([fit.q for fit in fits])
    reported = np.mean([fit.se_q for fit in fits])
    assert 0.6 < reported / spread < 1.6
    assert np.mean([fit.residual_se for fit in fits]) == pytest.approx(3.0, rel=0.25)


def test_pdf_is_the_derivative_of_the_cdf() -> None:
    t = np.linspace(0.5, 15, 30)
    h = 1e-6
    numeric = (bass_cdf(t + h, 0.03, 0.38) - bass_cdf(t - h, 0.03, 0.38)) / (2 * h)
    np.testing.assert_allclose(bass_pdf(t, 0.03, 0.38), numeric, rtol=1e-6)


def test_bad_inputs() -> None:
    with pytest.raises(UserError, match="at least 4 periods"):
        fit_bass(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(UserError, match="every period is 0"):
        fit_bass(np.zeros(6))
    with pytest.raises(UserError, match="bad --form"):
        fit_bass(np.ones(6), "weekly")


def test_read_periods(tmp_path: Path) -> None:
    path = tmp_path / "adopters.csv"
    path.write_text("week,total\n1,5\n2,12\n3,20\n4,26\n", encoding="utf-8")
    np.testing.assert_array_equal(read_periods(path, "total", cumulative=True), [5, 7, 8, 6])
    np.testing.assert_array_equal(read_periods(path, "total", cumulative=False), [5, 12, 20, 26])
    with pytest.raises(UserError, match="no column 'totl'"):
        read_periods(path, "totl", cumulative=True)
    path.write_text("week,total\n1,5\n2,12\n3,10\n4,26\n", encoding="utf-8")
    with pytest.raises(UserError, match="line 4: total falls from 12 to 10"):
        read_periods(path, "total", cumulative=True)
    path.write_text("week,total\n1,5\n2,x\n3,10\n4,26\n", encoding="utf-8")
    with pytest.raises(UserError, match="line 3: total 'x' is not a number"):
        read_periods(path, "total", cumulative=False)
