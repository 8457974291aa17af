"""The scenario's calendar as a SimPy simulation, sampled into weekly lever arrays.

Planner decisions happen on dates: invitation waves, communication campaigns, training
sessions, sales advocacy programmes, incidents. Each is a SimPy process that changes a shared
calendar state; training sessions need a trainer, a ``simpy.Resource`` with the scenario's
``trainers`` capacity, so overlapping sessions are postponed until one is free. A sampler
process reads the state every day (at noon, after the day's changes) and averages it into one
value per simulated week, which is what the buyer models read.

The calendar is deterministic: random outcomes (who registers, who signs up) belong to the
buyers. Simulation time is in days from the scenario start; week ``w`` covers days
``[7w, 7w + 7)`` and belongs to the calendar month its first day falls in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import simpy

from simulator.adoption.scenario import (
    Accounts,
    Campaign,
    Incident,
    Programme,
    Scenario,
    Session,
    Wave,
)
from simulator.adoption.targets import AccountGroups, scenario_selectors

Process = Generator[simpy.Event, object, None]


@dataclass(frozen=True)
class CalendarEvent:
    """One line of the calendar's log, for the report."""

    day: dt.date
    text: str


@dataclass(frozen=True)
class Schedule:
    """Weekly levers read by the buyers, plus the month layout."""

    start: dt.date
    weeks: int
    month_labels: tuple[str, ...]
    week_month: np.ndarray  # (W,) month index of each week
    wave_week: tuple[int, ...]  # per scenario wave
    wave_share: tuple[float, ...]
    wave_selector: tuple[int, ...]  # index into ``selectors``
    campaign_reach: np.ndarray  # (W, S) share of invited contacts touched, per selector
    training_seats: np.ndarray  # (W,) int
    advocacy: np.ndarray  # (W,) -1..1, for accounts no targeted programme reaches
    on_behalf: np.ndarray  # (W,) share of offline orders reps place in the store (same)
    outage: np.ndarray  # (W,) share of the week the store cannot take orders
    price_error: np.ndarray  # (W,) extra chance an online order meets a wrong price
    events: tuple[CalendarEvent, ...] = field(default=())
    sessions_held: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (W,) count
    campaigns_sent: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (W,) count
    programme_days: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (W,) days
    selectors: tuple[Accounts, ...] = ()  # the scenario's targets (simulator.adoption.targets)
    programme_on: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    """(D, P) the programme runs that day (sampled at noon), in scenario order."""
    programme_selector: tuple[int, ...] = ()  # index into ``selectors`` per programme
    base_sales: tuple[float, float] = (0.0, 0.0)  # advocacy, on-behalf share outside programmes
    programme_values: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    """(P, 2) each programme's advocacy and on-behalf share."""

    def sales_by_group(self, groups: AccountGroups) -> tuple[np.ndarray, np.ndarray]:
        """(advocacy, on-behalf share), each (W, G): a day's value for a group is the highest
        of the programmes running that day that reach the group, else the base stance; the
        week's value is the mean over its days."""
        days = len(self.programme_on)
        count = groups.count
        advocacy = np.empty((days, count))
        on_behalf = np.empty((days, count))
        values = self.programme_values
        for group in range(count):
            reach = np.array([groups.member[group, s] for s in self.programme_selector], dtype=bool)
            running = self.programme_on[:, reach] if reach.size else np.zeros((days, 0), bool)
            some = running.any(axis=1)
            for out, column, base in (
                (advocacy, 0, self.base_sales[0]),
                (on_behalf, 1, self.base_sales[1]),
            ):
                best = np.where(running, values[reach, column], -np.inf).max(
                    axis=1, initial=-np.inf
                )
                out[:, group] = np.where(some, best, base)
        return _weekly(advocacy, self.weeks), _weekly(on_behalf, self.weeks)

    @property
    def months(self) -> int:
        return len(self.month_labels)

    def month_end_weeks(self) -> np.ndarray:
        """Index of the last week of each month."""
        return np.searchsorted(self.week_month, np.arange(self.months), side="right") - 1

    def weeks_in_month(self) -> np.ndarray:
        return np.bincount(self.week_month, minlength=self.months)

    def week_of(self, day: dt.date) -> int:
        return min(max((day - self.start).days // 7, 0), self.weeks - 1)

    def month_of(self, day: dt.date) -> int:
        """Index of the calendar month of ``day`` (clamped to the horizon)."""
        index = (day.year - self.start.year) * 12 + day.month - self.start.month
        return min(max(index, 0), self.months - 1)


@dataclass
class _State:
    """What the calendar processes change and the sampler reads."""

    advocacy: float
    on_behalf: float
    programmes: list[tuple[int, Programme]] = field(default_factory=list)
    outages: int = 0
    price_errors: list[float] = field(default_factory=list)


def build_schedule(scenario: Scenario) -> Schedule:
    """Run the scenario's calendar and sample it into weekly arrays."""
    start = scenario.start
    days = (scenario.end - start).days
    weeks = -(-days // 7)
    week_month = np.array(
        [_month_index(start, start + dt.timedelta(days=7 * w)) for w in range(weeks)],
        dtype=np.int64,
    )
    labels = tuple(
        f"{(start.month - 1 + m) // 12 + start.year:04d}-{(start.month - 1 + m) % 12 + 1:02d}"
        for m in range(scenario.horizon_months)
    )
    env = simpy.Environment()
    state = _State(scenario.sales.advocacy, scenario.sales.on_behalf_share)
    arrays = {
        name: np.zeros(weeks)
        for name in (
            "seats",
            "sessions",
            "campaigns",
            "programme",
            "advocacy",
            "on_behalf",
            "outage",
            "price_error",
        )
    }
    selectors = scenario_selectors(scenario)
    reach = np.zeros((weeks, len(selectors)))
    programmes = scenario.sales.programmes
    programme_on = np.zeros((days, len(programmes)), dtype=bool)
    log: list[CalendarEvent] = []

    def day_of(offset: float) -> dt.date:
        return start + dt.timedelta(days=int(offset))

    def offset(day: dt.date) -> int:
        return (day - start).days

    def wave(index: int, item: Wave) -> Process:
        yield env.timeout(offset(item.date))
        log.append(
            CalendarEvent(
                item.date,
                f"invitation wave {index + 1}: {item.share:.0%} of {item.accounts.describe()}",
            )
        )

    def campaign(item: Campaign) -> Process:
        yield env.timeout(offset(item.date))
        week = int(env.now) // 7
        target = selectors.index(item.accounts)
        reach[week, target] = 1.0 - (1.0 - reach[week, target]) * (1.0 - item.reach)
        arrays["campaigns"][week] += 1
        name = item.name or "(unnamed)"
        who = "" if item.accounts.is_all else f" of {item.accounts.describe()}"
        log.append(CalendarEvent(item.date, f"campaign {name} reaches {item.reach:.0%}{who}"))

    def session(item: Session, day: dt.date, trainers: simpy.Resource) -> Process:
        yield env.timeout(offset(day))
        with trainers.request() as seat:
            yield seat
            held = day_of(env.now)
            if env.now >= days:
                log.append(CalendarEvent(day, "training session not held within the horizon"))
                return
            arrays["seats"][int(env.now) // 7] += item.seats
            arrays["sessions"][int(env.now) // 7] += 1
            moved = f" (postponed from {day}: no trainer free)" if held != day else ""
            log.append(CalendarEvent(held, f"training session, {item.seats} seats{moved}"))
            yield env.timeout(item.duration_days)

    def programme(index: int, item: Programme) -> Process:
        yield env.timeout(offset(item.start))
        state.programmes.append((index, item))
        log.append(
            CalendarEvent(
                item.start,
                f"sales advocacy programme starts ({item.advocacy:+g})"
                + ("" if item.accounts.is_all else f" for {item.accounts.describe()}"),
            )
        )
        yield env.timeout(offset(item.end) - offset(item.start))
        state.programmes.remove((index, item))
        log.append(CalendarEvent(item.end, "sales advocacy programme ends"))

    def incident(item: Incident) -> Process:
        yield env.timeout(offset(item.start))
        if item.kind == "outage":
            state.outages += 1
            log.append(CalendarEvent(item.start, f"ERP outage, {item.days} days"))
        else:
            state.price_errors.append(item.share)
            log.append(
                CalendarEvent(
                    item.start, f"price error for {item.days} days ({item.share:.0%} of orders)"
                )
            )
        yield env.timeout(item.days)
        if item.kind == "outage":
            state.outages -= 1
        else:
            state.price_errors.remove(item.share)

    def sampler() -> Process:
        yield env.timeout(0.5)
        while env.now < days:
            week = int(env.now) // 7
            advocacy, on_behalf = state.advocacy, state.on_behalf
            if state.programmes:
                arrays["programme"][week] += 1
                programme_on[int(env.now), [index for index, _ in state.programmes]] = True
            everyone = [item for _, item in state.programmes if item.accounts.is_all]
            if everyone:
                advocacy = max(item.advocacy for item in everyone)
                on_behalf = max(item.on_behalf_share for item in everyone)
            arrays["advocacy"][week] += advocacy
            arrays["on_behalf"][week] += on_behalf
            arrays["outage"][week] += 1.0 if state.outages else 0.0
            arrays["price_error"][week] += max(state.price_errors, default=0.0)
            yield env.timeout(1)

    for index, item in enumerate(scenario.waves):
        env.process(wave(index, item))
    for item in scenario.campaigns:
        env.process(campaign(item))
    trainers = simpy.Resource(env, capacity=scenario.training.trainers)
    for item in scenario.training.sessions:
        for repeat in range(item.repeat):
            day = item.date + dt.timedelta(days=repeat * item.every_days)
            if day < scenario.end:
                env.process(session(item, day, trainers))
    for index, item in enumerate(scenario.sales.programmes):
        env.process(programme(index, item))
    for item in scenario.incidents:
        env.process(incident(item))
    env.process(sampler())
    env.run(until=days)

    days_in_week = np.minimum(7, days - 7 * np.arange(weeks)).astype(float)
    for name in ("advocacy", "on_behalf", "outage", "price_error"):
        arrays[name] /= days_in_week
    waves = scenario.waves
    return Schedule(
        start=start,
        weeks=weeks,
        month_labels=labels,
        week_month=week_month,
        wave_week=tuple((item.date - start).days // 7 for item in waves),
        wave_share=tuple(item.share for item in waves),
        wave_selector=tuple(selectors.index(item.accounts) for item in waves),
        campaign_reach=reach,
        training_seats=arrays["seats"].astype(np.int64),
        advocacy=arrays["advocacy"],
        on_behalf=arrays["on_behalf"],
        outage=arrays["outage"],
        price_error=arrays["price_error"],
        events=tuple(sorted(log, key=lambda event: event.day)),
        sessions_held=arrays["sessions"],
        campaigns_sent=arrays["campaigns"],
        programme_days=arrays["programme"],
        selectors=selectors,
        programme_on=programme_on,
        programme_selector=tuple(selectors.index(item.accounts) for item in programmes),
        base_sales=(scenario.sales.advocacy, scenario.sales.on_behalf_share),
        programme_values=np.array(
            [[item.advocacy, item.on_behalf_share] for item in programmes], dtype=float
        ).reshape(len(programmes), 2),
    )


def _weekly(daily: np.ndarray, weeks: int) -> np.ndarray:
    """(D, G) daily values -> (W, G) means over each week's days (the last may be short)."""
    starts = np.arange(weeks) * 7
    sums = np.add.reduceat(daily, starts, axis=0)
    days = np.minimum(7, len(daily) - starts)
    return np.asarray(sums / days[:, np.newaxis], dtype=float)


def _month_index(start: dt.date, day: dt.date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def assign_invite_weeks(
    rng: np.random.Generator, groups: AccountGroups, schedule: Schedule
) -> np.ndarray:
    """Week each account is invited in (a large number when never), for one run.

    A wave invites ``share`` of its target's accounts, picked at random among those not yet
    invited; both models call this with their own run's generator.
    """
    accounts = len(groups.group)
    never = np.iinfo(np.int32).max
    week = np.full(accounts, never, dtype=np.int32)
    priority = rng.random(accounts)
    order = np.argsort(priority, kind="stable")
    for wave_week, share, selector in zip(
        schedule.wave_week, schedule.wave_share, schedule.wave_selector, strict=True
    ):
        members = groups.mask(selector)
        quota = round(share * int(members.sum()))
        candidates = order[members[order] & (week[order] == never)]
        week[candidates[:quota]] = wave_week
    return week
