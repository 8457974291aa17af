"""Which levers move the target metric most: a one-at-a-time tornado.

Each lever is set to an unfavourable and a favourable value, everything else as in the
scenario, and the median of the target metric at the target month (the horizon's last month
without a target) is compared with the scenario's own. All settings use the same seeds
(common random numbers), so differences come from the lever, not from chance. Levers are
ranked by their swing (favourable minus unfavourable).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from simulator.adoption.forecast import Forecast, run_forecast
from simulator.adoption.population import Population
from simulator.adoption.scenario import FEATURES, Scenario, scenario_from_dict

Changes = Callable[[Scenario], dict[str, Any]]


@dataclass(frozen=True)
class Lever:
    """A lever and its two settings, as changes to the scenario's keys."""

    name: str
    unfavourable: str
    favourable: str
    low: Changes
    high: Changes
    applies: Callable[[Scenario], bool] = lambda scenario: True


def _monthly(
    scenario: Scenario, first_day: int, count: int, item: Callable[[dt.date], dict]
) -> list:
    days = [scenario.start + dt.timedelta(days=first_day + 30 * i) for i in range(count)]
    return [item(day) for day in days if day < scenario.end]


def _training(scenario: Scenario) -> dict[str, Any]:
    return {
        "training.signup": 0.4,
        "training.sessions": _monthly(
            scenario, 14, 6, lambda day: {"date": day, "seats": 40, "repeat": 1}
        ),
    }


def _campaigns(scenario: Scenario) -> dict[str, Any]:
    return {"campaigns": _monthly(scenario, 7, 6, lambda day: {"date": day, "reach": 0.8})}


def _incidents(scenario: Scenario) -> dict[str, Any]:
    day = min(scenario.start + dt.timedelta(days=42), scenario.last_day)
    return {
        "incidents": [
            {"kind": "outage", "start": day, "days": 7},
            {"kind": "price_error", "start": day, "days": 14, "share": 0.3},
        ]
    }


LEVERS: tuple[Lever, ...] = (
    Lever(
        "ERP integration",
        "nightly batch sync",
        "realtime",
        lambda s: {"integration.mode": "batch", "integration.sync_interval_hours": 24.0},
        lambda s: {"integration.mode": "realtime"},
    ),
    Lever(
        "batch sync interval",
        "every 72 h",
        "every hour",
        lambda s: {"integration.sync_interval_hours": 72.0},
        lambda s: {"integration.sync_interval_hours": 1.0},
        applies=lambda s: s.integration.mode == "batch",
    ),
    Lever(
        "personalization features",
        "all off",
        "all on",
        lambda s: {f"features.{name}": False for name in FEATURES},
        lambda s: {f"features.{name}": True for name in FEATURES},
    ),
    Lever(
        "site latency (p95)",
        "3000 ms",
        "300 ms",
        lambda s: {"site.p95_ms": 3000.0},
        lambda s: {"site.p95_ms": 300.0},
    ),
    Lever(
        "site error ratio",
        "5 %",
        "0.1 %",
        lambda s: {"site.error_ratio": 0.05},
        lambda s: {"site.error_ratio": 0.001},
    ),
    Lever(
        "sales reps",
        "resist (-1)",
        "advocate (+1), 30 % on behalf",
        lambda s: {"sales.advocacy": -1.0, "sales.on_behalf_share": 0.0, "sales.programmes": []},
        lambda s: {"sales.advocacy": 1.0, "sales.on_behalf_share": 0.3, "sales.programmes": []},
    ),
    Lever(
        "online-only discount",
        "none",
        "3 %",
        lambda s: {"incentives.online_discount": 0.0},
        lambda s: {"incentives.online_discount": 0.03},
    ),
    Lever(
        "loyalty programme",
        "off",
        "on",
        lambda s: {"incentives.loyalty": False},
        lambda s: {"incentives.loyalty": True},
    ),
    Lever(
        "training",
        "none",
        "6 monthly sessions of 40 seats",
        lambda s: {"training.sessions": []},
        _training,
    ),
    Lever(
        "communication campaigns",
        "none",
        "6 monthly touches, 80 % reach",
        lambda s: {"campaigns": []},
        _campaigns,
    ),
    Lever(
        "definition of regular (TDA)",
        "3 of the last 3 months",
        "1 of the last 3 months",
        lambda s: {"regular.window_months": 3, "regular.min_months": 3},
        lambda s: {"regular.window_months": 3, "regular.min_months": 1},
    ),
    Lever(
        "incidents",
        "outage week + price error",
        "none",
        _incidents,
        lambda s: {"incidents": []},
    ),
)


def changed(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """The scenario with dotted keys replaced, validated like a file."""
    data = scenario.model_dump()
    for dotted, value in changes.items():
        *parents, key = dotted.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[key] = value
    return scenario_from_dict(data, source=f"{scenario.name} (sensitivity)")


@dataclass(frozen=True)
class LeverEffect:
    lever: str
    unfavourable: str
    favourable: str
    low: float
    high: float
    low_probability: float | None
    high_probability: float | None

    @property
    def swing(self) -> float:
        return self.high - self.low


def _value(forecast: Forecast, metric: str, month: int) -> float:
    return float(forecast.bands[metric][month].p50)


def _probability(forecast: Forecast) -> float | None:
    return forecast.target.probability if forecast.target else None


def sensitivity(
    scenario: Scenario,
    population: Population,
    *,
    source: str,
    runs: int,
    seed: int,
    metric: str | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    structural: bool = True,
) -> dict[str, Any]:
    """Rank the levers by their effect on ``metric`` (default: the target's, else TDA)."""
    target = scenario.target
    metric = metric or (target.metric if target else "TDA")

    def forecast(item: Scenario) -> Forecast:
        return run_forecast(
            item,
            population,
            source=source,
            runs=runs,
            seed=seed,
            workers=workers,
            executor=executor,
            structural=structural,
        )

    base = forecast(scenario)
    month = base.schedule.month_of(target.date) if target else base.schedule.months - 1
    effects = []
    for lever in LEVERS:
        if not lever.applies(scenario):
            continue
        low = forecast(changed(scenario, lever.low(scenario)))
        high = forecast(changed(scenario, lever.high(scenario)))
        effects.append(
            LeverEffect(
                lever.name,
                lever.unfavourable,
                lever.favourable,
                _value(low, metric, month),
                _value(high, metric, month),
                _probability(low),
                _probability(high),
            )
        )
    effects.sort(key=lambda effect: (-abs(effect.swing), effect.lever))
    return {
        "scenario": scenario.name,
        "scenario_file": source,
        "metric": metric,
        "month": base.months[month],
        "runs": runs,
        "seed": seed,
        "structural_uncertainty": structural,
        "base": round(_value(base, metric, month), 6),
        "base_probability": _probability(base),
        "levers": [
            {
                "lever": effect.lever,
                "unfavourable": effect.unfavourable,
                "favourable": effect.favourable,
                "low": round(effect.low, 6),
                "high": round(effect.high, 6),
                "swing": round(effect.swing, 6),
                "low_probability": effect.low_probability,
                "high_probability": effect.high_probability,
            }
            for effect in effects
        ],
    }
