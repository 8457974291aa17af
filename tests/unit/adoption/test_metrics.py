"""Metric definitions: formulas, bands, the seed guide's bands, target probability."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.adoption.metrics import (
    COUNTERS,
    METRICS,
    MetricContext,
    bands,
    compute_metrics,
    median_ci_indices,
    ratio,
    seed_band,
    target_outcome,
    wilson,
)


def tally(**values: float) -> np.ndarray:
    """One run, one month, the given counters."""
    out = np.zeros((1, 1, len(COUNTERS)))
    for name, value in values.items():
        out[0, 0, COUNTERS.index(name)] = value
    return out


def test_the_seed_guide_formulas() -> None:
    counts = tally(
        buyers_invited=200,
        buyers_registered=120,
        buyers_ordered=80,
        buyers_regular=50,
        key_accounts_invited=10,
        key_accounts_ordered=7,
        orders=400,
        orders_online=100,
        revenue=1000.0,
        revenue_online=300.0,
        status_inquiries_offline=30,
        return_inquiries_offline=5,
        invoice_inquiries_offline=5,
        inquiries_baseline=80,
        invoices=50,
        invoices_paid_online=10,
    )
    values = {k: v[0, 0] for k, v in compute_metrics(counts, MetricContext(15.0, 3.0)).items()}
    assert values["TR"] == pytest.approx(0.6)
    assert values["TAU"] == pytest.approx(0.4)
    assert values["TDA"] == pytest.approx(0.25)
    assert values["KAAR"] == pytest.approx(0.7)
    assert values["online_order_share"] == pytest.approx(0.25)
    assert values["online_revenue_share"] == pytest.approx(0.3)
    assert values["offline_inquiries"] == 40
    assert values["offline_inquiries_decline"] == pytest.approx(0.5)
    assert values["invoices_paid_online_share"] == pytest.approx(0.2)
    assert values["cost_to_serve_saved"] == pytest.approx(1200.0)


def test_nothing_invited_means_zero_rates_not_nan() -> None:
    values = compute_metrics(tally(orders=10, inquiries_baseline=3), MetricContext())
    for name in ("TR", "TAU", "TDA", "KAAR", "logins_per_key_account"):
        assert values[name][0, 0] == 0.0
    assert all(np.isfinite(v).all() for v in values.values())
    assert ratio(np.array([1.0]), np.array([0.0]))[0] == 0.0


def test_every_metric_has_a_label_and_a_known_unit() -> None:
    assert len({metric.name for metric in METRICS}) == len(METRICS)
    for metric in METRICS:
        assert metric.label
        assert metric.unit in {"share", "count", "money", "per account", "ratio"}


@pytest.mark.parametrize(
    ("tda", "band"),
    [(0.0, "below 40 %"), (0.399, "below 40 %"), (0.40, "40-70 %"), (0.70, "40-70 %"),
     (0.7001, "above 70 %"), (1.0, "above 70 %")],
)  # fmt: skip
def test_seed_guide_bands(tda: float, band: str) -> None:
    assert seed_band(tda) == band


def test_bands_are_percentiles_across_runs() -> None:
    values = np.arange(101, dtype=float).reshape(101, 1)
    (band,) = bands(values)
    assert (band.p10, band.p50, band.p90, band.mean) == (10.0, 50.0, 90.0, 50.0)
    assert band.p50_low < 50.0 < band.p50_high


def test_median_interval_narrows_with_runs() -> None:
    low, high = median_ci_indices(20)
    wide = (high - low) / 20
    low, high = median_ci_indices(2000)
    assert (high - low) / 2000 < wide / 5
    assert median_ci_indices(1) == (0, 0)


def test_wilson_interval() -> None:
    low, high = wilson(0, 200)
    assert low == 0.0
    assert 0.015 < high < 0.025
    low, high = wilson(50, 100)
    assert low < 0.5 < high
    assert (low, high) == pytest.approx((0.4038, 0.5962), abs=1e-4)


def test_target_outcome_counts_runs_at_the_date_and_any_time() -> None:
    values = np.array([[0.1, 0.5, 0.3], [0.1, 0.2, 0.45], [0.4, 0.4, 0.4]])
    outcome = target_outcome(values, 2, "2027-03", "TDA", 0.4)
    assert outcome.reached == 2
    assert outcome.reached_any_time == 3
    assert outcome.probability == pytest.approx(2 / 3)
    assert outcome.verdict == "at risk"
    assert outcome.median_at_date == pytest.approx(0.4)
