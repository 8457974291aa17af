"""The Locust load shape of the suite: `ErpsimShape` follows a `loadtests.plan.Plan`
(step, spike, constant or adoption; see that module for the stage tables, the open model
and pacing). The locustfile defines it only when ``--erpsim-shape`` or ``--erpsim-rate`` is
given, so a plain ``locust -f loadtests/locustfile.py`` keeps Locust's own -u / -r.
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtests.plan import SHAPES, Pacing, Plan, make_plan, pacing_stats

__all__ = ["SHAPES", "ErpsimShape", "Pacing", "Plan", "make_plan", "pacing_stats"]


class ErpsimShape(LoadTestShape):
    """The selected shape (the locustfile defines it only when ``--erpsim-shape`` is given).

    Built from the parsed options at the first tick, since Locust creates shapes before it
    parses the custom options; tests set `plan` directly."""

    plan: Plan | None = None

    def tick(self) -> tuple[int, float] | None:
        if self.plan is None:
            from loadtests.options import plan_from_options  # noqa: PLC0415

            assert self.runner is not None
            self.plan = plan_from_options(self.runner.environment.parsed_options)
        return self.plan.tick(self.get_run_time())
