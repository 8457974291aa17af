"""Load plans and the adoption shape: tick() against the forecast's numbers, by hand."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.forecast import activity, arrival_rate, peak_hour_sessions, read_forecast
from loadtests.mix import AdoptionKnobs
from loadtests.plan import make_plan
from simulator.errors import UserError

MONTHS = ("2027-01", "2027-02", "2027-03")
# Month 2 (2027-02) medians; the other months are zero.
MEDIANS = {
    "online_order_share": 0.2,
    "on_behalf_order_share": 0.05,
    "orders_tracked_online_share": 0.1,
    "invoices_paid_online_share": 0.1,
    "invoice_history_searches": 1200.0,
    "buyers_registered": 10000.0,
    "TDA": 0.3,
}
ORDERS_PER_MONTH = 30000.0
LOGIN_PER_WEEK = 0.2  # the scenario's override of the default 0.15

# By hand: online 6000 + on behalf 1500 + tracked 3000 + paid 3000 + searches 1200
# + logins 10000 x 0.2 x (365 / 7 / 12) = 8690.476... -> 23390.476 sessions a month;
# peak hour = 23390.476 / 21 x 0.15 = 167.0748; replayed in 60 s: 2.78458 sessions/s.
SESSIONS = 6000 + 1500 + 3000 + 3000 + 1200 + 10000 * 0.2 * 365 / 7 / 12
PEAK_HOUR = SESSIONS / 21 * 0.15


def write_forecast(directory: Path) -> Path:
    directory.mkdir()
    with (directory / "metrics.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["month", "metric", "mean", "p10", "p50", "p90", "p50_low", "p50_high"])
        for index, month in enumerate(MONTHS):
            for metric, value in MEDIANS.items():
                p50 = value if index == 1 else 0.0
                writer.writerow([month, metric, p50, p50, p50, p50, p50, p50])
    summary = {
        "scenario": "hand-made",
        "population": {"orders_per_month": ORDERS_PER_MONTH},
        "parameters_overridden": {"login_per_week": LOGIN_PER_WEEK},
    }
    (directory / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return directory


@pytest.fixture
def forecast_dir(tmp_path: Path) -> Path:
    return write_forecast(tmp_path / "forecast")


def test_activity_of_a_month(forecast_dir: Path):
    table = read_forecast(forecast_dir)
    month = activity(table, 2, AdoptionKnobs())
    assert month.month == "2027-02"
    assert month.online_orders == pytest.approx(6000)
    assert month.on_behalf_orders == pytest.approx(1500)
    assert month.tracked_orders == pytest.approx(3000)
    assert month.invoice_payments == pytest.approx(3000)
    assert month.invoice_searches == pytest.approx(1200)
    assert month.logins == pytest.approx(10000 * 0.2 * 365 / 7 / 12)
    assert month.sessions == pytest.approx(SESSIONS)
    assert activity(table, "2027-02", AdoptionKnobs()) == month
    assert peak_hour_sessions(month, AdoptionKnobs()) == pytest.approx(PEAK_HOUR)


def test_rate_compressed_or_real_time(forecast_dir: Path):
    month = activity(read_forecast(forecast_dir), 2, AdoptionKnobs())
    assert arrival_rate(month, AdoptionKnobs(), 60.0) == pytest.approx(PEAK_HOUR / 60)
    real = AdoptionKnobs(compress=False)
    assert arrival_rate(month, real, 60.0) == pytest.approx(PEAK_HOUR / 3600)
    knobs = AdoptionKnobs(peak_hour_share=0.3, business_days_per_month=20, sessions_per_login=0)
    month = activity(read_forecast(forecast_dir), 2, knobs)
    assert arrival_rate(month, knobs, 120.0) == pytest.approx(14700 / 20 * 0.3 / 120)


@pytest.mark.parametrize("month", ["0", "4", "2026-12", "June"])
def test_months_outside_the_forecast(forecast_dir: Path, month: str):
    with pytest.raises(UserError, match="--month"):
        activity(read_forecast(forecast_dir), month, AdoptionKnobs())


def test_missing_forecast(tmp_path: Path):
    with pytest.raises(UserError, match=r"no metrics\.csv"):
        read_forecast(tmp_path)


def test_step_and_spike_ticks():
    step = make_plan("step", 100, users=40)
    assert [step.tick(t)[0] for t in (0, 24.9, 25, 50, 99.9)] == [10, 10, 20, 30, 40]
    assert step.tick(100) is None
    spike = make_plan("spike", 100, users=50)
    assert [spike.tick(t)[0] for t in (0, 39.9, 40, 59.9, 60, 99)] == [10, 10, 50, 50, 10, 10]
    assert spike.tick(100.0) is None


def test_open_model_users_are_rate_times_pacing():
    plan = make_plan(None, 60, rate=2.5, pacing=8)
    assert plan.tick(0)[0] == 20
    assert plan.rate_at(30) == pytest.approx(2.5)
    stepped = make_plan("step", 40, rate=2.0, pacing=10)
    assert [stepped.tick(t)[0] for t in (0, 10, 20, 30)] == [5, 10, 15, 20]


TICK_SCRIPT = """
import json, sys
from loadtests.forecast import activity, arrival_rate, read_forecast
from loadtests.mix import AdoptionKnobs
from loadtests.plan import make_plan
from loadtests.shapes import ErpsimShape

knobs = AdoptionKnobs()
month = activity(read_forecast(sys.argv[1]), 2, knobs)
shape = ErpsimShape()
shape.plan = make_plan("adoption", 60.0, rate=arrival_rate(month, knobs, 60.0), pacing=10.0)
ticks = []
for elapsed in (0.0, 30.0, 59.9, 60.0):
    shape.get_run_time = lambda elapsed=elapsed: elapsed
    ticks.append(shape.tick())
print(json.dumps(ticks))
"""


def test_adoption_shape_tick_follows_the_forecast(forecast_dir: Path):
    """The Locust shape itself, in a subprocess: importing Locust monkey-patches the
    process with gevent, which must not happen inside the test run."""
    done = subprocess.run(
        [sys.executable, "-c", TICK_SCRIPT, str(forecast_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ticks = json.loads(done.stdout)
    users = math.ceil(PEAK_HOUR / 60 * 10)  # rate x pacing: 27.8458 -> 28 paced users
    assert users == 28
    assert [tick[0] for tick in ticks[:3]] == [users, users, users]
    assert ticks[0][1] == pytest.approx(users / 1.2)  # the peak within 2 % of the run
    assert ticks[3] is None
