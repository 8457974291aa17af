"""The warm-up: the first seconds of a run, left out of the figures the SLOs judge.

At the start every virtual user logs in at once and the store's caches are cold, so the
first seconds are slower than the steady state; counted in, that ramp becomes the
headline p95. With ``--erpsim-warmup S`` the master (or the only process) resets Locust's
request statistics S seconds after the test started, and tells its workers to drop what
they have not reported yet. What was dropped is kept as the summary's ``warmup`` block:
the excluded requests per class, their count, failures and percentiles, so nothing
disappears without a trace (the documents placed during the warm-up are still checked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # plain Python at import: `simulator.load` prints `warmup_line`
    from locust.stats import RequestStats

__all__ = ["WARMUP_MESSAGE", "end_warmup", "not_reached", "warmup_line"]

WARMUP_MESSAGE = "erpsim_warmup_over"  # master -> workers: reset your unreported stats


def end_warmup(stats: RequestStats, seconds: float) -> dict[str, Any]:
    """Reset `stats` and return what they held: the warm-up's facts for the summary."""
    from loadtests.summary import entry_row  # noqa: PLC0415 - it imports Locust

    entries = sorted(
        (e for e in stats.entries.values() if e.num_requests), key=lambda e: (e.name, e.method)
    )
    facts: dict[str, Any] = {
        "seconds": seconds,
        "reached": True,
        "excluded": entry_row(stats.total),
        "requests": [entry_row(e) for e in entries],
    }
    stats.reset_all()
    return facts


def not_reached(seconds: float) -> dict[str, Any]:
    """The facts of a run that ended before its warm-up did (nothing was excluded)."""
    return {"seconds": seconds, "reached": False, "excluded": None, "requests": []}


def warmup_line(facts: dict[str, Any] | None) -> str | None:
    """One line saying what the warm-up left out (None without a warm-up)."""
    if not facts or not facts.get("seconds"):
        return None
    seconds = float(facts["seconds"])
    if not facts.get("reached"):
        return (
            f"warm-up: the run ended within its {seconds:g} s warm-up; nothing was excluded "
            "(use a longer --duration or a shorter --warmup)"
        )
    excluded = facts["excluded"]
    logins = sum(row["requests"] for row in facts["requests"] if row["name"] == "/api/login")
    p95 = excluded.get("p95_ms")
    return (
        f"warm-up: the first {seconds:g} s are excluded from the figures and SLOs "
        f"({excluded['requests']} requests, {excluded['failures']} failed, {logins} logins"
        + (f", p95 {p95:.0f} ms" if p95 is not None else "")
        + "; summary.json 'warmup')"
    )
