"""What a plan's levers cost per month, so ROI and cost-to-serve are net of them.

A lever that is free in the model but not in the budget flatters the plan: a 10 % online
discount raises online orders, and the cost-to-serve saved on them is real, but so is the
10 % of online revenue given away. The discount's cost depends on each run's online revenue,
so the buyer models count it (``discount_cost``); the other costs are fixed by the calendar
and computed here, per month, from the scenario's ``[costs]``:

- training: ``training_session`` per session held (postponed sessions count when held);
- campaigns: ``campaign`` per campaign sent;
- integration: ``realtime_per_month`` or ``batch_per_month`` for each week in that mode,
  pro rata (a batch -> realtime switch in month 9 changes the cost from then on);
- loyalty: ``loyalty_per_month`` while the programme runs (the whole horizon);
- sales advocacy programmes: ``advocacy_programme_per_month`` for the days one runs.
"""

from __future__ import annotations

import numpy as np

from simulator.adoption.calendar import Schedule
from simulator.adoption.levers import LeverPlan
from simulator.adoption.scenario import Scenario

WEEKS_PER_MONTH = 52.0 / 12.0


def monthly_fixed_costs(
    scenario: Scenario, schedule: Schedule, plan: LeverPlan
) -> tuple[float, ...]:
    """Fixed lever costs of each month of the horizon."""
    costs = scenario.costs
    realtime = np.array([phase.mode == "realtime" for phase in plan.phases])[plan.phase]
    weekly = (
        schedule.sessions_held * costs.training_session
        + schedule.campaigns_sent * costs.campaign
        + np.where(realtime, costs.realtime_per_month, costs.batch_per_month) / WEEKS_PER_MONTH
        + (costs.loyalty_per_month / WEEKS_PER_MONTH if plan.loyalty else 0.0)
        + schedule.programme_days / 7.0 * costs.advocacy_programme_per_month / WEEKS_PER_MONTH
    )
    monthly = np.bincount(schedule.week_month, weights=weekly, minlength=schedule.months)
    return tuple(float(value) for value in monthly)
