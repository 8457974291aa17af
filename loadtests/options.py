"""The suite's own command-line options (``--erpsim-*``, added to Locust's parser) and what
they turn into: the shape's plan, the persona weights, the test data.

Everything has a default that works with `erpsim up` on ``data/erp.sqlite``; `erpsim load`
passes them all explicitly (to the master and to every worker).
"""

from __future__ import annotations

import sys
from typing import Any

from loadtests.mix import LoadMix, load_mix
from loadtests.plan import SHAPES, Plan, make_plan

__all__ = ["ALL_SHAPES", "add_arguments", "plan_from_options", "wants_shape"]

ALL_SHAPES = ("constant", *SHAPES)


def add_arguments(parser: Any) -> None:  # fmt: skip
    group = parser.add_argument_group("erpsim", "erpsim's B2B suite (docs/load.md)")
    add = group.add_argument
    add(
        "--erpsim-shape",
        choices=ALL_SHAPES,
        default=None,
        help="Load shape: constant, step, spike or adoption (default: Locust's -u/-r).",
    )
    add(
        "--erpsim-duration",
        type=float,
        default=None,
        help="Seconds the shape runs (default: --run-time, else 60).",
    )
    add(
        "--erpsim-warmup",
        type=float,
        default=0.0,
        help="Seconds at the start left out of the figures and SLOs (the login ramp); 0: none.",
    )
    add("--erpsim-users", type=int, default=None, help="Peak users (closed model).")
    add(
        "--erpsim-rate",
        type=float,
        default=None,
        help="Peak sessions started per second (open model, paced users).",
    )
    add("--erpsim-mix", default=None, help="Load scenario TOML (scenarios/load-*.toml).")
    add(
        "--erpsim-forecast",
        default=None,
        help="Adoption shape: an `erpsim simulate --out` directory.",
    )
    add("--erpsim-month", default=None, help="Adoption shape: month (1-based or YYYY-MM).")
    add("--erpsim-db", default="data/erp.sqlite", help="The ERP dataset (test data).")
    add(
        "--erpsim-store-db",
        default=None,
        help="The store's database (registered users); default: derived from the dataset.",
    )
    add(
        "--erpsim-secret",
        default=None,
        help="The store's secret (demo passwords); default: the one beside --erpsim-store-db.",
    )
    add(
        "--erpsim-registered-share",
        type=float,
        default=0.3,
        help="The store's registered_share (when its database is not at hand).",
    )
    add("--erpsim-erp-url", default=None, help="ERP API base URL (ErpIntegrationClient).")
    add("--erpsim-erp-key", default=None, help="ERP API key (ErpIntegrationClient).")
    add(
        "--erpsim-erp-flavor",
        choices=("bc", "sap"),
        default="bc",
        help="ErpIntegrationClient speaks Business Central's API (bc) or SAP's OData V2 (sap).",
    )
    add(
        "--erpsim-slo",
        action="append",
        default=None,
        help="SLO gate, repeatable: 'p95<300ms', 'fail_ratio<0.5%%', 'p95[/api/items]<200ms'.",
    )
    add("--erpsim-summary", default=None, help="Write summary.json here at the end.")
    add(
        "--erpsim-workers",
        type=int,
        default=1,
        help="Worker processes of the run (each takes its own logins: worker index w of N).",
    )
    add("--erpsim-seed", type=int, default=0, help="Seed of the login order and choices.")
    add(
        "--erpsim-adapter",
        default=None,
        help="Store client adapter 'module:Class' (default: erpsim's reference store).",
    )


def wants_shape(argv: list[str] | None = None) -> bool:
    """Whether the command line asks for a shape (the locustfile then defines one)."""
    args = sys.argv if argv is None else argv
    return any(a.split("=")[0] in ("--erpsim-shape", "--erpsim-rate") for a in args)


def mix_of(options: Any) -> LoadMix:
    return load_mix(getattr(options, "erpsim_mix", None))


def plan_from_options(options: Any) -> Plan:
    """The shape's plan from the parsed options (the adoption shape reads its forecast)."""
    mix = mix_of(options)
    shape = options.erpsim_shape or "constant"
    duration = options.erpsim_duration or getattr(options, "run_time", None) or 60.0
    if shape == "adoption":
        from loadtests.forecast import activity, arrival_rate, read_forecast  # noqa: PLC0415

        table = read_forecast(options.erpsim_forecast or "")
        month = activity(table, options.erpsim_month or "1", mix.adoption)
        return make_plan("adoption", duration, rate=arrival_rate(month, mix.adoption, duration),
                         pacing=mix.pacing)  # fmt: skip
    rate = options.erpsim_rate
    users = options.erpsim_users or getattr(options, "num_users", None) or 1
    return make_plan(
        None if shape == "constant" else shape,
        duration,
        users=None if rate else users,
        rate=rate,
        pacing=mix.pacing,
    )
