"""The fast buyer model: every contact of every run in a batch, advanced one week at a time.

State lives in arrays of shape (runs, contacts); contacts are buyers first, then AP clerks.
Each simulated week, for all contacts at once:

1. invitation waves reach their accounts' contacts;
2. invited, unregistered contacts register with the week's chance: the awareness hazard
   (scaled by sales advocacy), plus the invitation itself and any campaign touch (a touched
   contact stays informed about what the store offers); registered ones log in now and then;
3. training seats go to contacts who sign up (trained contacts are registered);
4. purchase needs arrive (Poisson at the account's rhythm, split over its buyers); each need
   of an invited buyer goes online with the logistic utility of the levers, the buyer's
   trust, habit, training, taste and colleagues' adoption; online orders can fail (outage) or
   meet wrong data (accuracy, site errors, price incidents), which costs trust; good ones
   rebuild it; offline orders may be placed in the store by the rep; status questions and
   returns are answered online or offline;
5. invoices arrive for AP clerks, who pay and search online once registered;
6. at a month's last week, regularity is updated and the month's counts recorded.

Randomness: each run has its own generator (spawned from the Monte Carlo seed) and draws, in
a fixed order, only what its own state asks for, so a run's result does not depend on which
other runs share its batch. Sparse steps (needs, invoices) touch only the contacts with an
event that week.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

import numpy as np

from simulator.adoption.calendar import Schedule, assign_invite_weeks
from simulator.adoption.levers import ModelInputs
from simulator.adoption.metrics import COUNTERS, FLOW, SNAPSHOT

FLOW_INDEX = MappingProxyType({name: index for index, name in enumerate(FLOW)})
NEED_DRAWS = 10  # uniforms per buyer with a need in a week (one per decision)
INVOICE_DRAWS = 4  # uniforms per contact with an invoice in a week
MAX_POISSON_TERMS = 2000


def _popcount_table() -> np.ndarray:
    table = np.array([bin(value).count("1") for value in range(256)], dtype=np.uint8)
    table.setflags(write=False)
    return table


POPCOUNT = _popcount_table()  # read-only: bits set in each uint8


def popcount8(values: np.ndarray) -> np.ndarray:
    """Number of set bits of each uint8 (months with an online order in the window)."""
    return POPCOUNT[values]


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Inverse-CDF Poisson counts for uniforms known to exceed P(0) (so every count >= 1).

    Most counts are 1, so after the first step only the few larger ones are carried on.
    """
    k = np.ones(u.shape, dtype=np.int64)
    p0 = np.exp(-lam)
    term = p0 * lam
    more = np.flatnonzero(u > p0 + term)
    if more.size == 0:
        return k
    u, lam, term = u[more], lam[more], term[more]
    cdf = p0[more] + term
    j = 1
    while more.size and j < MAX_POISSON_TERMS:
        k[more] += 1
        j += 1
        term = term * lam / j
        cdf = cdf + term
        keep = u > cdf
        more, u, lam, term, cdf = more[keep], u[keep], lam[keep], term[keep], cdf[keep]
    return k


def simulate_batch(
    inputs: ModelInputs, schedule: Schedule, seeds: Sequence[np.random.SeedSequence]
) -> np.ndarray:
    """Simulate one run per seed; returns counts of shape (runs, months, counters)."""
    return _Batch(inputs, schedule, seeds).run()


class _Batch:
    """The state of a batch of runs and one method per step of the week."""

    def __init__(
        self, inputs: ModelInputs, schedule: Schedule, seeds: Sequence[np.random.SeedSequence]
    ) -> None:
        self.inputs = inputs
        self.schedule = schedule
        self.tables = inputs.run_tables(seeds)  # this batch's parameters, drawn per run
        self.v = self.tables.value
        self.gens = [np.random.Generator(np.random.PCG64(seed)) for seed in seeds]
        runs, contacts, buyers = len(seeds), inputs.contacts, inputs.buyers
        self.runs, self.contacts, self.buyers = runs, contacts, buyers
        self.account_week = np.stack(
            [assign_invite_weeks(gen, inputs.groups, schedule) for gen in self.gens]
        )
        self.taste = (
            np.stack([gen.standard_normal(buyers, dtype=np.float32) for gen in self.gens])
            * self.v("taste_sd").astype(np.float32)[:, np.newaxis]
        )
        shock = (
            np.array([gen.standard_normal() for gen in self.gens]) * inputs.params.run_propensity_sd
        )
        self.taste += shock[:, np.newaxis].astype(np.float32)
        self.invited = np.zeros((runs, contacts), dtype=bool)
        self.registered = np.zeros((runs, contacts), dtype=bool)
        self.trained = np.zeros((runs, contacts), dtype=bool)
        self.active = np.zeros((runs, contacts), dtype=bool)
        self.informed = np.zeros((runs, contacts), dtype=bool)  # reached by a campaign
        self.ordered = np.zeros((runs, buyers), dtype=bool)
        self.ever_regular = np.zeros((runs, buyers), dtype=bool)
        self.habit = np.zeros((runs, buyers), dtype=bool)
        self.trust = np.repeat(self.v("initial_trust")[:, np.newaxis], buyers, axis=1)
        self.window = np.zeros((runs, buyers), dtype=np.uint8)
        self.month_need = np.zeros((runs, buyers), dtype=bool)
        self.month_online = np.zeros((runs, buyers), dtype=bool)
        self.adopters = np.zeros((runs, inputs.accounts), dtype=np.int64)
        self.flow = np.zeros((runs, len(FLOW)))
        self.tally = np.zeros((runs, schedule.months, len(COUNTERS)))
        self.need_p0 = np.exp(-inputs.need_rate).astype(np.float32)
        handlers = np.flatnonzero(inputs.invoice_rate > 0)
        self.invoice_from = int(handlers[0]) if handlers.size else contacts
        self.invoice_p0 = np.exp(-inputs.invoice_rate[self.invoice_from :]).astype(np.float32)
        self.key_contact = inputs.key_account[inputs.contact_account]
        self.group = inputs.groups.group  # (A,) account group (simulator.adoption.targets)
        self.contact_group = self.group[inputs.contact_account]
        self.reach = inputs.groups.reach(schedule.campaign_reach)  # (W, G)
        self.advocacy, self.on_behalf = schedule.sales_by_group(inputs.groups)  # (W, G) each
        self.sales_alike = np.ptp(self.advocacy, axis=1) == 0  # (W,) every group the same
        self.tracking_live = inputs.plan.live("order_tracking")
        self.invoices_live = inputs.plan.live("online_invoices")
        self.others = np.maximum(inputs.buyers_per_account - 1, 1).astype(np.float64)

    # -- helpers ---------------------------------------------------------------------------

    def _uniform(self, width: int) -> np.ndarray:
        out = np.empty((self.runs, width), dtype=np.float32)
        for row, gen in enumerate(self.gens):
            gen.random(dtype=np.float32, out=out[row])
        return out

    def _subset_uniforms(self, bounds: np.ndarray, columns: int) -> np.ndarray:
        """``columns`` uniforms per subset element, one generator call per run."""
        out = np.empty((int(bounds[-1]), columns), dtype=np.float32)
        for row, gen in enumerate(self.gens):
            low, high = bounds[row], bounds[row + 1]
            if high > low:
                gen.random(dtype=np.float32, out=out[low:high])
        return out

    def _binomial(
        self, bounds: np.ndarray, n: np.ndarray, p: np.ndarray | float, u: np.ndarray
    ) -> np.ndarray:
        """Binomial(n, p) per subset element, each run drawing from its own generator.

        Most counts are 0 or 1 (one need in a week): those are the uniform ``u`` compared
        with p; the rare larger counts get numpy's binomial from their run's generator.
        """
        out = ((u < p) & (n == 1)).astype(np.int64)
        many = np.flatnonzero(n >= 2)
        if many.size:
            chance = np.broadcast_to(p, n.shape)
            for row, gen in enumerate(self.gens):
                low, high = np.searchsorted(many, bounds[row : row + 2])
                if high > low:
                    picked = many[low:high]
                    out[picked] = gen.binomial(n[picked], chance[picked])
        return out

    def _add(self, bounds: np.ndarray, counts: dict[str, np.ndarray]) -> None:
        """Add per-run sums of subset values. Elements are sorted by run, so each run's sum
        is a contiguous segment summed on its own: a run's totals do not depend on the other
        runs of its batch."""
        present = bounds[1:] > bounds[:-1]
        starts = bounds[:-1][present]
        for name, values in counts.items():
            if values.any():
                self.flow[present, FLOW_INDEX[name]] += np.add.reduceat(values, starts)

    def _bounds(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(rows, np.arange(self.runs + 1))

    # -- the week --------------------------------------------------------------------------

    def run(self) -> np.ndarray:
        schedule = self.schedule
        month_end = {int(week): month for month, week in enumerate(schedule.month_end_weeks())}
        wave_weeks = set(schedule.wave_week)
        for week in range(schedule.weeks):
            newly = self._invite(week) if week in wave_weeks else None
            touched = self._touch(week)
            self._register(week, newly, touched)
            if touched is not None:
                self.informed |= touched
            if schedule.training_seats[week] > 0:
                self._train(int(schedule.training_seats[week]))
            self._needs(week)
            self._invoices(week)
            if week in month_end:
                self._close_month(month_end[week], week)
        return self.tally

    def _invite(self, week: int) -> np.ndarray:
        newly = (self.account_week == week)[:, self.inputs.contact_account]
        self.invited |= newly
        return newly

    def _touch(self, week: int) -> np.ndarray | None:
        reach = self.reach[week]  # (G,) per account group
        if reach.max() <= 0:
            return None
        chance = reach[self.contact_group].astype(np.float32)
        return self.invited & (self._uniform(self.contacts) < chance)

    def _register(self, week: int, newly: np.ndarray | None, touched: np.ndarray | None) -> None:
        v = self.v
        u = self._uniform(self.contacts)
        if self.sales_alike[week]:
            hazard = v("awareness_per_week") * np.exp(
                v("advocacy_awareness") * self.advocacy[week, 0]
            )
            stay = np.exp(-hazard).astype(np.float32)[:, np.newaxis]
        else:  # a programme for some accounts: each group's reps promote differently
            hazard = v("awareness_per_week")[:, np.newaxis] * np.exp(
                v("advocacy_awareness")[:, np.newaxis] * self.advocacy[week][np.newaxis, :]
            )
            stay = np.exp(-hazard).astype(np.float32)[:, self.contact_group]
        if newly is not None:
            stay = stay * np.where(newly, (1.0 - v("invitation_response"))[:, np.newaxis], 1.0)
        if touched is not None:
            stay = stay * np.where(touched, (1.0 - v("campaign_response"))[:, np.newaxis], 1.0)
        chance = (1 - stay).astype(np.float32)
        candidate = self.invited & ~self.registered
        new = candidate & (u < chance)
        login = self.registered & (u < v("login_per_week").astype(np.float32)[:, np.newaxis])
        self.registered |= new
        self.active |= new | login

    def _train(self, seats: int) -> None:
        signup = np.float32(self.inputs.training_signup)
        for row, gen in enumerate(self.gens):
            u = gen.random(self.contacts, dtype=np.float32)
            wants = self.invited[row] & ~self.trained[row] & (u < signup)
            chosen = np.flatnonzero(wants)
            if len(chosen) > seats:
                priority = gen.random(len(chosen))
                chosen = chosen[np.argsort(priority, kind="stable")[:seats]]
            self.trained[row, chosen] = True
            self.registered[row, chosen] = True
            self.active[row, chosen] = True

    def _needs(self, week: int) -> None:
        inputs, schedule, tables = self.inputs, self.schedule, self.tables
        u = self._uniform(self.buyers)
        flat = np.flatnonzero(u > self.need_p0)
        if flat.size == 0:
            return
        rows, cols = np.divmod(flat, self.buyers)
        bounds = self._bounds(rows)
        wide = rows * self.contacts + cols  # index into (runs, contacts) arrays
        k = poisson_from_uniform(u.reshape(-1)[flat].astype(np.float64), inputs.need_rate[cols])
        account = inputs.contact_account[cols]
        group = self.group[account]
        invited = self.invited.reshape(-1)[wide]
        registered_before = self.registered.reshape(-1)[wide]
        ordered = self.ordered.reshape(-1)[flat]
        trust = self.trust.reshape(-1)[flat]

        def v(name: str) -> np.ndarray:
            return self.v(name)[rows]

        utility = (
            tables.utility[rows, week, group]
            + self.taste.reshape(-1)[flat]
            + v("trust_weight") * (trust - 1.0)
            + v("habit_weight") * self.habit.reshape(-1)[flat]
            + v("advocacy_weight") * self.advocacy[week, group]
            + v("training_weight") * self.trained.reshape(-1)[wide]
            - v("first_order_barrier") * ~ordered
            + v("imitation_weight")
            * (self.adopters[rows, account] - ordered)
            / self.others[account]
            + v("campaign_weight") * self.informed.reshape(-1)[wide]
        )
        # Only registered buyers order online; an unregistered one who would signs up at
        # the point of need with ``signup_at_need`` (registration friction), else goes offline.
        gate = np.where(registered_before, 1.0, v("signup_at_need"))
        chance = np.where(invited, gate / (1.0 + np.exp(-utility)), 0.0)
        u = self._subset_uniforms(bounds, NEED_DRAWS)
        attempts = self._binomial(bounds, k, chance, u[:, 0])
        outage = schedule.outage[week]
        failed = (
            self._binomial(bounds, attempts, outage, u[:, 1]) if outage > 0 else np.zeros_like(k)
        )
        ok = attempts - failed
        phase = inputs.plan.phase[week]
        wrong = 1.0 - (1.0 - tables.order_wrong[rows, phase, account]) * (
            1.0 - tables.site_bad[rows]
        ) * (1.0 - schedule.price_error[week])
        bad = self._binomial(bounds, ok, wrong, u[:, 2])
        good = ok - bad
        offline = k - ok
        on_behalf = self.on_behalf[week].max() > 0
        behalf = (
            self._binomial(bounds, offline, self.on_behalf[week, group] * invited, u[:, 3])
            if on_behalf
            else np.zeros_like(k)
        )

        # Trust, habit, registration, adoption.
        tried = attempts > 0
        if tried.any():
            trust = trust * (1.0 - v("trust_loss")) ** (bad + failed)
            trust = 1.0 - (1.0 - trust) * (1.0 - v("trust_gain")) ** good
            self.trust.reshape(-1)[flat[tried]] = trust[tried]
        self.habit.reshape(-1)[flat[invited]] = (2 * ok >= k)[invited]
        bought = ok > 0
        self.registered.reshape(-1)[wide[bought]] = True
        self.active.reshape(-1)[wide[bought]] = True
        first = bought & ~ordered
        np.add.at(self.adopters, (rows[first], account[first]), 1)
        self.ordered.reshape(-1)[flat[bought]] = True
        self.month_need.reshape(-1)[flat[invited]] = True
        self.month_online.reshape(-1)[flat[bought]] = True
        if on_behalf:
            nudge = u[:, 4] < 1.0 - (1.0 - v("on_behalf_nudge")) ** behalf
            registered = self.registered.reshape(-1)
            newly = nudge & invited & ~registered[wide]
            registered[wide[newly]] = True
            self.active.reshape(-1)[wide[newly]] = True

        # Questions, tracking and searches.
        registered_now = self.registered.reshape(-1)[wide]
        tracked = (
            self._binomial(bounds, k, v("track_online_share") * registered_now, u[:, 5])
            if self.tracking_live[week]
            else np.zeros_like(k)
        )
        status_offline = self._binomial(bounds, k - tracked, v("status_question_share"), u[:, 6])
        returns = self._binomial(bounds, k, v("return_inquiry_share"), u[:, 7])
        returns_offline = returns - self._binomial(
            bounds, returns, v("returns_online_share") * registered_now, u[:, 8]
        )
        searches = (
            self._binomial(bounds, ok, v("order_search_share"), u[:, 9])
            if self.invoices_live[week]
            else np.zeros_like(k)
        )
        self.active.reshape(-1)[wide[(tracked > 0) | (searches > 0)]] = True

        value = inputs.order_value[account]
        key = inputs.key_account[account]
        self._add(
            bounds,
            {
                "discount_cost": ok * value * inputs.plan.discount[week, group],
                "key_orders": k * key,
                "key_orders_tracked_online": tracked * key,
                "inquiries_baseline": k * (v("status_question_share") + v("return_inquiry_share")),
                "revenue": k * value,
                "revenue_online": ok * value,
                "orders": k,
                "orders_online": ok,
                "orders_on_behalf": behalf,
                "online_attempts_failed": failed,
                "bad_experiences": bad,
                "orders_tracked_online": tracked,
                "status_inquiries_offline": status_offline,
                "return_inquiries_offline": returns_offline,
                "invoice_searches": searches,
            },
        )

    def _invoices(self, week: int) -> None:
        """Invoices for the contacts from ``invoice_from`` on (the AP clerks, usually)."""
        inputs = self.inputs
        offset, width = self.invoice_from, self.contacts - self.invoice_from
        if width == 0:
            return
        u = self._uniform(width)
        local = np.flatnonzero(u > self.invoice_p0)
        if local.size == 0:
            return
        rows, local_cols = np.divmod(local, width)
        cols = local_cols + offset
        flat = rows * self.contacts + cols
        bounds = self._bounds(rows)
        m = poisson_from_uniform(u.reshape(-1)[local].astype(np.float64), inputs.invoice_rate[cols])
        registered = self.registered.reshape(-1)[flat]

        def v(name: str) -> np.ndarray:
            return self.v(name)[rows]

        u = self._subset_uniforms(bounds, INVOICE_DRAWS)
        questions = self._binomial(bounds, m, v("invoice_question_share"), u[:, 0])
        if self.invoices_live[week]:
            paid = self._binomial(bounds, m, v("pay_online_share") * registered, u[:, 1])
            searches = self._binomial(bounds, m, v("invoice_search_share") * registered, u[:, 2])
            resolved = self._binomial(
                bounds, questions, v("invoice_self_service_share") * registered, u[:, 3]
            )
            self.active.reshape(-1)[flat[(paid > 0) | (searches > 0)]] = True
        else:
            paid = searches = resolved = np.zeros_like(m)
        self._add(
            bounds,
            {
                "invoices": m,
                "invoices_paid_online": paid,
                "invoice_searches": searches,
                "invoice_inquiries_offline": questions - resolved,
                "inquiries_baseline": m * v("invoice_question_share"),
            },
        )

    def _close_month(self, month: int, week: int) -> None:
        inputs = self.inputs
        full = np.uint8((1 << inputs.regular_window) - 1)
        shifted = ((self.window << 1) | self.month_online).astype(np.uint8) & full
        self.window = np.where(self.month_need, shifted, self.window)
        regular = popcount8(self.window) >= inputs.regular_min
        lapsed = self.ever_regular & ~regular
        self.ever_regular |= regular
        account_invited = self.account_week <= week
        key = inputs.key_account
        buyers = self.buyers
        snapshot = {
            "buyers_invited": self.invited[:, :buyers].sum(axis=1),
            "buyers_registered": self.registered[:, :buyers].sum(axis=1),
            "buyers_ordered": self.ordered.sum(axis=1),
            "buyers_regular": regular.sum(axis=1),
            "buyers_lapsed": lapsed.sum(axis=1),
            "key_accounts_invited": (account_invited & key).sum(axis=1),
            "key_accounts_ordered": ((self.adopters > 0) & key).sum(axis=1),
            "contacts_invited": self.invited.sum(axis=1),
            "contacts_registered": self.registered.sum(axis=1),
            "key_account_active_contacts": (self.active & self.key_contact).sum(axis=1),
        }
        for index, name in enumerate(SNAPSHOT):
            self.tally[:, month, index] = snapshot[name]
        self.tally[:, month, len(SNAPSHOT) :] = self.flow
        self.flow[:] = 0.0
        self.month_need[:] = False
        self.month_online[:] = False
        self.active[:] = False
