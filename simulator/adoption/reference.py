"""The reference buyer model: one SimPy event per purchase need and per invoice.

It implements the same behaviour as the fast model (simulator.adoption.buyers) the obvious
way: every buyer is a SimPy process that sleeps until its next need (exponential gaps at its
account's rhythm) and then chooses a channel with scalar arithmetic, updating its trust and
habit at once; every invoice handler is a process too. Weekly steps that are not needs
(invitations, campaign touches, awareness registrations, training seats, logins) run in one
weekly process, one contact at a time. It is slow (tens of times the fast model's cost per
contact-week, more as the rhythm quickens; bench/adoption.py measures the ratio) and exists
to guard the fast path: on the ``small`` dataset both must give the same monthly medians
within Monte Carlo error (tests/unit/adoption/test_reference.py).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence

import numpy as np
import simpy

from simulator.adoption.calendar import Schedule, assign_invite_weeks
from simulator.adoption.levers import ModelInputs
from simulator.adoption.metrics import COUNTER_INDEX, COUNTERS, FLOW

Process = Generator[simpy.Event, object, None]


def simulate_reference(
    inputs: ModelInputs, schedule: Schedule, seeds: Sequence[np.random.SeedSequence]
) -> np.ndarray:
    """One run per seed; returns counts of shape (runs, months, counters)."""
    return np.stack([_Run(inputs, schedule, seed).run() for seed in seeds])


class _Run:
    """One run: per-contact state in plain lists, driven by a SimPy environment."""

    def __init__(
        self, inputs: ModelInputs, schedule: Schedule, seed: np.random.SeedSequence
    ) -> None:
        tables = inputs.run_tables([seed])  # this run's parameters (drawn when structural)
        self.inputs, self.schedule, self.p = inputs, schedule, tables.params[0]
        self.utility = tables.utility[0].tolist()  # [week][group]
        self.order_wrong = tables.order_wrong[0]  # (phases, A)
        self.site_bad = float(tables.site_bad[0])
        plan = inputs.plan
        self.tracking_live = plan.live("order_tracking").tolist()
        self.invoices_live = plan.live("online_invoices").tolist()
        self.group = inputs.groups.group.tolist()  # account group (simulator.adoption.targets)
        self.reach = inputs.groups.reach(schedule.campaign_reach).tolist()  # [week][group]
        self.key_account = inputs.key_account.tolist()
        advocacy, on_behalf = schedule.sales_by_group(inputs.groups)
        self.advocacy, self.on_behalf = advocacy.tolist(), on_behalf.tolist()  # [week][group]
        self.rng = np.random.Generator(np.random.PCG64(seed))
        contacts, buyers = inputs.contacts, inputs.buyers
        self.account_week = assign_invite_weeks(self.rng, inputs.groups, schedule).tolist()
        taste = self.rng.standard_normal(buyers) * self.p.taste_sd
        shock = self.rng.standard_normal() * inputs.params.run_propensity_sd
        self.taste = (taste + shock).tolist()
        self.account = inputs.contact_account.tolist()
        self.invited = [False] * contacts
        self.registered = [False] * contacts
        self.trained = [False] * contacts
        self.active = [False] * contacts
        self.touched = [False] * contacts
        self.informed = [False] * contacts
        self.ordered = [False] * buyers
        self.ever_regular = [False] * buyers
        self.habit = [False] * buyers
        self.trust = [self.p.initial_trust] * buyers
        self.window = [0] * buyers
        self.month_need = [False] * buyers
        self.month_online = [False] * buyers
        self.adopters = [0] * inputs.accounts
        self.flow = dict.fromkeys(FLOW, 0.0)
        self.tally = np.zeros((schedule.months, len(COUNTERS)))
        self.month_end = {int(w): m for m, w in enumerate(schedule.month_end_weeks())}

    def run(self) -> np.ndarray:
        env = simpy.Environment()
        env.process(self._weekly(env))
        for buyer, rate in enumerate(self.inputs.need_rate.tolist()):
            if rate > 0:
                env.process(self._buyer(env, buyer, rate))
        for contact, rate in enumerate(self.inputs.invoice_rate.tolist()):
            if rate > 0:
                env.process(self._payer(env, contact, rate))
        env.run(until=7 * self.schedule.weeks)
        self._end_week(self.schedule.weeks - 1)
        return self.tally

    # -- processes -------------------------------------------------------------------------

    def _weekly(self, env: simpy.Environment) -> Process:
        for week in range(self.schedule.weeks):
            if week > 0:
                self._end_week(week - 1)
            self._start_week(week)
            yield env.timeout(7)

    def _buyer(self, env: simpy.Environment, buyer: int, rate: float) -> Process:
        while True:
            yield env.timeout(self.rng.exponential(7.0 / rate))
            self._need(buyer, int(env.now // 7))

    def _payer(self, env: simpy.Environment, contact: int, rate: float) -> Process:
        while True:
            yield env.timeout(self.rng.exponential(7.0 / rate))
            self._invoice(contact, int(env.now // 7))

    # -- weekly steps ----------------------------------------------------------------------

    def _start_week(self, week: int) -> None:
        p, schedule, rng = self.p, self.schedule, self.rng
        newly = [False] * self.inputs.contacts
        for contact, account in enumerate(self.account):
            if self.account_week[account] == week:
                self.invited[contact] = newly[contact] = True
        reach = self.reach[week]  # per account group
        for contact in range(self.inputs.contacts):
            chance = reach[self.group[self.account[contact]]]
            self.touched[contact] = bool(
                max(reach) > 0 and self.invited[contact] and rng.random() < chance
            )
            self.informed[contact] = self.informed[contact] or self.touched[contact]
        hazards = [
            p.awareness_per_week * math.exp(p.advocacy_awareness * advocacy)
            for advocacy in self.advocacy[week]
        ]
        for contact in range(self.inputs.contacts):
            if self.invited[contact] and not self.registered[contact]:
                stay = math.exp(-hazards[self.group[self.account[contact]]])
                if newly[contact]:
                    stay *= 1.0 - p.invitation_response
                if self.touched[contact]:
                    stay *= 1.0 - p.campaign_response
                if rng.random() < 1.0 - stay:
                    self.registered[contact] = self.active[contact] = True
            elif self.registered[contact] and rng.random() < p.login_per_week:
                self.active[contact] = True
        seats = int(schedule.training_seats[week])
        if seats > 0:
            wanting = [
                contact
                for contact in range(self.inputs.contacts)
                if self.invited[contact]
                and not self.trained[contact]
                and rng.random() < self.inputs.training_signup
            ]
            if len(wanting) > seats:
                picked = rng.choice(len(wanting), size=seats, replace=False)
                wanting = [wanting[index] for index in picked]
            for contact in wanting:
                self.trained[contact] = self.registered[contact] = self.active[contact] = True

    def _end_week(self, week: int) -> None:
        month = self.month_end.get(week)
        if month is None:
            return
        inputs = self.inputs
        full = (1 << inputs.regular_window) - 1
        regular_count = lapsed_count = 0
        for buyer in range(inputs.buyers):
            if self.month_need[buyer]:
                self.window[buyer] = ((self.window[buyer] << 1) | self.month_online[buyer]) & full
            regular = self.window[buyer].bit_count() >= inputs.regular_min
            regular_count += regular
            lapsed_count += self.ever_regular[buyer] and not regular
            self.ever_regular[buyer] = self.ever_regular[buyer] or regular
        key = inputs.key_account.tolist()
        buyers = inputs.buyers
        row = self.tally[month]
        row[COUNTER_INDEX["buyers_invited"]] = sum(self.invited[:buyers])
        row[COUNTER_INDEX["buyers_registered"]] = sum(self.registered[:buyers])
        row[COUNTER_INDEX["buyers_ordered"]] = sum(self.ordered)
        row[COUNTER_INDEX["buyers_regular"]] = regular_count
        row[COUNTER_INDEX["buyers_lapsed"]] = lapsed_count
        row[COUNTER_INDEX["key_accounts_invited"]] = sum(
            1 for a, k in enumerate(key) if k and self.account_week[a] <= week
        )
        row[COUNTER_INDEX["key_accounts_ordered"]] = sum(
            1 for a, k in enumerate(key) if k and self.adopters[a] > 0
        )
        row[COUNTER_INDEX["contacts_invited"]] = sum(self.invited)
        row[COUNTER_INDEX["contacts_registered"]] = sum(self.registered)
        row[COUNTER_INDEX["key_account_active_contacts"]] = sum(
            1 for c, a in enumerate(self.account) if key[a] and self.active[c]
        )
        for name, value in self.flow.items():
            row[COUNTER_INDEX[name]] = value
        self.flow = dict.fromkeys(FLOW, 0.0)
        self.month_need = [False] * buyers
        self.month_online = [False] * buyers
        self.active = [False] * inputs.contacts

    # -- events ----------------------------------------------------------------------------

    def _need(self, buyer: int, week: int) -> None:
        inputs, p, rng, flow = self.inputs, self.p, self.rng, self.flow
        account = self.account[buyer]
        value = float(inputs.order_value[account])
        group = self.group[account]
        key = int(self.key_account[account])
        flow["orders"] += 1
        flow["key_orders"] += key
        flow["revenue"] += value
        flow["inquiries_baseline"] += p.status_question_share + p.return_inquiry_share
        ok = False
        if self.invited[buyer]:
            self.month_need[buyer] = True
            ordered = self.ordered[buyer]
            others = max(int(inputs.buyers_per_account[account]) - 1, 1)
            utility = (
                self.utility[week][group]
                + self.taste[buyer]
                + p.trust_weight * (self.trust[buyer] - 1.0)
                + p.habit_weight * self.habit[buyer]
                + p.advocacy_weight * self.advocacy[week][group]
                + p.training_weight * self.trained[buyer]
                - p.first_order_barrier * (not ordered)
                + p.imitation_weight * (self.adopters[account] - ordered) / others
                + p.campaign_weight * self.informed[buyer]
            )
            # Only registered buyers order online: an unregistered one who would signs up
            # at the point of need with signup_at_need, else orders offline.
            if rng.random() < 1.0 / (1.0 + math.exp(-utility)) and (
                self.registered[buyer] or rng.random() < p.signup_at_need
            ):
                ok = self._order_online(buyer, account, week, value)
            self.habit[buyer] = ok
            if not ok and rng.random() < self.on_behalf[week][group]:
                flow["orders_on_behalf"] += 1
                if not self.registered[buyer] and rng.random() < p.on_behalf_nudge:
                    self.registered[buyer] = self.active[buyer] = True
        registered = self.registered[buyer]
        tracked = self.tracking_live[week] and registered and rng.random() < p.track_online_share
        if tracked:
            flow["orders_tracked_online"] += 1
            flow["key_orders_tracked_online"] += key
            self.active[buyer] = True
        elif rng.random() < p.status_question_share:
            flow["status_inquiries_offline"] += 1
        if rng.random() < p.return_inquiry_share and not (
            registered and rng.random() < p.returns_online_share
        ):
            flow["return_inquiries_offline"] += 1
        if ok and self.invoices_live[week] and rng.random() < p.order_search_share:
            flow["invoice_searches"] += 1
            self.active[buyer] = True

    def _order_online(self, buyer: int, account: int, week: int, value: float) -> bool:
        """An online attempt: outage, wrong data or a good order; returns whether it went
        through."""
        inputs, p, schedule, rng, flow = self.inputs, self.p, self.schedule, self.rng, self.flow
        if rng.random() < schedule.outage[week]:
            flow["online_attempts_failed"] += 1
            self.trust[buyer] *= 1.0 - p.trust_loss
            return False
        phase = inputs.plan.phase[week]
        wrong = 1.0 - (1.0 - self.order_wrong[phase, account]) * (1.0 - self.site_bad) * (
            1.0 - schedule.price_error[week]
        )
        if rng.random() < wrong:
            flow["bad_experiences"] += 1
            self.trust[buyer] *= 1.0 - p.trust_loss
        else:
            self.trust[buyer] = 1.0 - (1.0 - self.trust[buyer]) * (1.0 - p.trust_gain)
        flow["orders_online"] += 1
        flow["revenue_online"] += value
        flow["discount_cost"] += value * inputs.plan.discount[week, self.group[account]]
        self.registered[buyer] = self.active[buyer] = True
        if not self.ordered[buyer]:
            self.ordered[buyer] = True
            self.adopters[account] += 1
        self.month_online[buyer] = True
        return True

    def _invoice(self, contact: int, week: int) -> None:
        p, rng, flow = self.p, self.rng, self.flow
        flow["invoices"] += 1
        flow["inquiries_baseline"] += p.invoice_question_share
        registered = self.registered[contact]
        question = rng.random() < p.invoice_question_share
        resolved = False
        if self.invoices_live[min(week, self.schedule.weeks - 1)] and registered:
            if rng.random() < p.pay_online_share:
                flow["invoices_paid_online"] += 1
                self.active[contact] = True
            if rng.random() < p.invoice_search_share:
                flow["invoice_searches"] += 1
                self.active[contact] = True
            resolved = question and rng.random() < p.invoice_self_service_share
        if question and not resolved:
            flow["invoice_inquiries_offline"] += 1
