"""The warm-up: the first seconds of a run, left out of the figures the SLOs judge.

At the start every virtual user logs in at once and the store's caches are cold, so the
first seconds are slower than the steady state; counted in, that ramp becomes the
headline p95. With ``--erpsim-warmup S`` the master (or the only process) moves Locust's
request statistics into a `Warmup` S seconds after the test started and resets them; in a
distributed run it tells its workers to do the same with what they have not reported yet,
and they send that to the master, which adds it to the warm-up. The summary's ``warmup``
block says what was left out: the excluded requests per class, their count, failures and
percentiles, so nothing disappears without a trace (the documents placed during the
warm-up are still checked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # plain Python at import: `simulator.load` prints `warmup_line`
    from locust.stats import RequestStats

__all__ = ["DROPPED_MESSAGE", "WARMUP_MESSAGE", "Warmup", "not_reached", "warmup_line"]

WARMUP_MESSAGE = "erpsim_warmup_over"  # master -> workers: hand over your unreported stats
DROPPED_MESSAGE = "erpsim_warmup_dropped"  # worker -> master: what it left out


class Warmup:
    """The figures of the warm-up, taken out of the run's statistics."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.excluded: RequestStats | None = None  # set when the warm-up ended

    def end(self, stats: RequestStats) -> None:
        """The warm-up is over: move everything `stats` holds into the warm-up, reset them."""
        from locust.stats import RequestStats  # noqa: PLC0415 - Locust only at run time

        self.excluded = RequestStats()
        for entry in stats.entries.values():
            if entry.num_requests or entry.num_failures:
                self.excluded.get(entry.name, entry.method).extend(entry)
        self.excluded.total.extend(stats.total)
        stats.reset_all()

    def add(self, entries: list[dict[str, Any]], total: dict[str, Any]) -> None:
        """What a worker left out (its serialized stats entries and total)."""
        from locust.stats import StatsEntry  # noqa: PLC0415

        if self.excluded is None:
            return
        for data in entries:
            entry = StatsEntry.unserialize(data, self.excluded)  # type: ignore[arg-type]
            self.excluded.get(entry.name, entry.method).extend(entry)
        self.excluded.total.extend(StatsEntry.unserialize(total, self.excluded))  # type: ignore[arg-type]

    def facts(self) -> dict[str, Any]:
        """The summary's ``warmup`` block."""
        from loadtests.summary import entry_row  # noqa: PLC0415 - it imports Locust

        if self.excluded is None:
            return not_reached(self.seconds)
        entries = sorted(
            (e for e in self.excluded.entries.values() if e.num_requests),
            key=lambda e: (e.name, e.method),
        )
        return {
            "seconds": self.seconds,
            "reached": True,
            "excluded": entry_row(self.excluded.total),
            "requests": [entry_row(e) for e in entries],
        }


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
