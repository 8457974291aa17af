"""Structural (parameter) uncertainty: a range per behavioural parameter, drawn per run.

Most weights of the model are assumptions with a documented direction and a guessed
magnitude (parameters.py says which). Bands that cover only Monte Carlo noise would hide that,
so with ``structural=True`` (the default of every command) each run draws its own value of
every parameter below from a triangular distribution on ``[low, high]`` whose mode is the
point value, and the bands and the target probability carry both sources of spread.

A scenario that overrides a parameter (a calibration, say) moves the whole range with it: the
range keeps its width around the new value, clipped to the parameter's bounds.

The draws come from a stream of their own (a child of each run's seed), in a fixed order, so
turning structural uncertainty on or off does not change a run's other random numbers, and
two scenarios compared with the same seed share their parameter draws (common random
numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from simulator.adoption.parameters import Parameters

PARAMETER_STREAM = 0x5EED  # spawn-key suffix of the parameter stream of a run


@dataclass(frozen=True)
class Range:
    """Where a parameter may plausibly lie, and why."""

    low: float
    high: float
    source: str


_A = "assumption: plausible range, not measured"
_R: dict[str, Range] = {
    "invitation_response": Range(
        0.05, 0.20, "B2B e-mail click rates 2-5 %; own-price invitations more; calibrated"
    ),
    "awareness_per_week": Range(
        0.003, 0.012, "halving / doubling of the assumed hazard; calibrated"
    ),
    "campaign_response": Range(0.02, 0.10, "B2B reminder e-mail click-through a few per cent"),
    "on_behalf_nudge": Range(0.03, 0.25, _A + " (seed strategy 1 gives the direction only)"),
    "advocacy_awareness": Range(0.3, 1.2, _A + " (x1.3 to x3.3 per unit advocacy)"),
    "signup_at_need": Range(0.10, 0.50, _A + " (sign-up completion at the point of need)"),
    "online_intercept": Range(-2.3, -0.9, "calibrated on pilots; +-0.7 log-odds"),
    "first_order_barrier": Range(0.8, 2.2, _A + " (seed cause 5 gives the direction)"),
    "taste_sd": Range(0.6, 1.4, _A),
    "weight_customer_prices": Range(0.3, 1.1, _A + " (seed strategy 2)"),
    "weight_quick_reorder": Range(0.2, 0.8, _A + " (seed strategy 2)"),
    "weight_saved_carts": Range(0.0, 0.3, _A + " (seed strategy 2)"),
    "weight_quote_to_order": Range(0.1, 0.5, _A + " (seed strategy 2)"),
    "weight_order_tracking": Range(
        0.1, 0.5, "seed: 72 % want self-service access; magnitude assumed"
    ),
    "weight_online_invoices": Range(
        0.05, 0.4, "seed: 72 % want self-service access; magnitude assumed"
    ),
    "trust_weight": Range(2.5, 5.5, _A + " (seed cause 2)"),
    "initial_trust": Range(0.75, 0.95, _A),
    "trust_loss": Range(0.3, 0.7, _A + " (seed cause 2)"),
    "trust_gain": Range(0.015, 0.06, _A + " (10 to 40 good orders undo a bad one)"),
    "habit_weight": Range(0.7, 1.7, _A + " (channel inertia)"),
    "advocacy_weight": Range(0.4, 1.2, _A + " (seed cause 3, strategy 1)"),
    "discount_weight": Range(0.07, 0.25, _A + " (seed strategy 3; per percentage point)"),
    "loyalty_weight": Range(0.05, 0.4, _A + " (seed strategy 3)"),
    "training_weight": Range(0.2, 0.8, _A + " (seed strategy 3)"),
    "imitation_weight": Range(
        0.4, 1.6, "Bass q/p ratios of B2B innovations vary ~x2 around the mode"
    ),
    "campaign_weight": Range(0.15, 0.7, _A + " (seed cause 5)"),
    "latency_weight": Range(
        0.25, 0.8, "Google/SOASTA 2017 (+32 % bounce 1->3 s); log-odds scale assumed"
    ),
    "pages_per_order": Range(5.0, 12.0, _A + " (requests per order)"),
    "realtime_residual_error": Range(0.001, 0.015, _A + " (outages, caches)"),
    "batch_residual_error": Range(
        0.01, 0.06, "seed cause 1 (copies drift into silos); 1-6 % assumed"
    ),
    "price_change_visibility": Range(0.3, 0.7, _A),
    "stock_change_visibility": Range(0.3, 0.7, _A),
    "status_question_share": Range(0.2, 0.4, _A),
    "return_inquiry_share": Range(0.02, 0.05, _A),
    "invoice_question_share": Range(0.05, 0.15, _A),
    "track_online_share": Range(0.4, 0.8, "seed: 72 % want self-service access"),
    "returns_online_share": Range(0.3, 0.7, _A),
    "invoice_self_service_share": Range(0.5, 0.85, _A),
    "pay_online_share": Range(0.4, 0.8, _A),
    "invoice_search_share": Range(0.3, 0.7, _A),
    "order_search_share": Range(0.1, 0.3, _A),
    "login_per_week": Range(0.08, 0.25, _A),
}
RANGES: Mapping[str, Range] = MappingProxyType(_R)
# Fixed on purpose: a spread of opinion about the population, not about behaviour
# (run_propensity_sd is itself an uncertainty), a unit (latency_reference_ms) and a fallback
# for datasets without stock movements (stock_changes_per_item_month).
FIXED = ("run_propensity_sd", "latency_reference_ms", "stock_changes_per_item_month")


def shifted_range(name: str, params: Parameters) -> Range:
    """The range of ``name`` moved to the scenario's value (same width, clipped to bounds)."""
    base = RANGES[name]
    default = Parameters.model_fields[name].default
    value = float(getattr(params, name))
    low, high = base.low + value - default, base.high + value - default
    floor, ceiling = _bounds(name)
    return Range(max(low, floor), min(high, ceiling), base.source)


def _bounds(name: str) -> tuple[float, float]:
    low, high = -np.inf, np.inf
    for item in Parameters.model_fields[name].metadata:
        for attribute in ("ge", "gt"):
            bound = getattr(item, attribute, None)
            if bound is not None:
                low = float(bound)
        bound = getattr(item, "le", None)
        if bound is not None:
            high = float(bound)
    return float(low), float(high)


def parameter_generator(seed: np.random.SeedSequence) -> np.random.Generator:
    """The run's own stream for parameter draws, independent of its other draws."""
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, PARAMETER_STREAM))
    return np.random.Generator(np.random.PCG64(child))


def draw_parameters(
    params: Parameters, seeds: Sequence[np.random.SeedSequence], *, structural: bool
) -> list[Parameters]:
    """One ``Parameters`` per run: the point values, or a draw from every range."""
    if not structural:
        return [params] * len(seeds)
    ranges = {name: shifted_range(name, params) for name in RANGES}
    out = []
    for seed in seeds:
        gen = parameter_generator(seed)
        update = {}
        for name, item in ranges.items():  # fixed order: common random numbers
            mode = float(np.clip(getattr(params, name), item.low, item.high))
            u = float(gen.random())
            update[name] = _triangular(u, item.low, mode, item.high)
        out.append(params.model_copy(update=update))
    return out


def _triangular(u: float, low: float, mode: float, high: float) -> float:
    """Inverse CDF of the triangular distribution (one uniform per draw, so the stream's
    use does not depend on the values)."""
    if high <= low:
        return low
    cut = (mode - low) / (high - low)
    if u < cut:
        return low + float(np.sqrt(u * (high - low) * (mode - low)))
    return high - float(np.sqrt((1.0 - u) * (high - low) * (high - mode)))
