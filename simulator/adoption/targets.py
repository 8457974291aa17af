"""Which accounts each targeted lever reaches (issue 13 point 5).

Invitation waves, online-only discounts, campaigns and sales advocacy programmes name the
accounts they are for
(``accounts = "key"``, or a table such as ``{segments = ["retail"], salespeople = ["JR"]}``;
see ``scenario.Accounts``). The scenario's distinct targets are its *selectors*, the first
always every account. Accounts that match the same selectors behave alike, so they form one
*group*; the models read their lever tables per group (utility and discount per week and
group, campaign reach per week and group), which keeps the tables small however many
targets a scenario names (a programme's advocacy and orders on behalf are per week and
group too). A scenario without targets has one group; ``"key"`` levers give
the familiar two (other, key accounts).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from simulator.adoption.population import Population
from simulator.adoption.scenario import ALL_ACCOUNTS, Accounts, Scenario
from simulator.errors import UserError


def targeted_levers(scenario: Scenario) -> Iterator[tuple[str, Accounts]]:
    """(field, target) of every lever that names its accounts, in file order."""
    for index, wave in enumerate(scenario.invitations):
        yield f"invitations.{index}.accounts", wave.accounts
    for index, discount in enumerate(scenario.incentives.discounts):
        yield f"incentives.discounts.{index}.accounts", discount.accounts
    for index, campaign in enumerate(scenario.campaigns):
        yield f"campaigns.{index}.accounts", campaign.accounts
    for index, programme in enumerate(scenario.sales.programmes):
        yield f"sales.programmes.{index}.accounts", programme.accounts


def scenario_selectors(scenario: Scenario) -> tuple[Accounts, ...]:
    """The scenario's distinct targets: every account first, then in file order."""
    found = [ALL_ACCOUNTS]
    for _, target in targeted_levers(scenario):
        if target not in found:
            found.append(target)
    return tuple(found)


def matches(target: Accounts, population: Population) -> np.ndarray:
    """(A,) bool: the accounts ``target`` selects."""
    chosen = np.ones(population.accounts, dtype=bool)
    if target.key is not None:
        chosen &= population.key_account == target.key
    for values, column in (
        (target.segments, population.segment),
        (target.salespeople, population.salesperson),
        (target.countries, population.country),
    ):
        if values:
            chosen &= np.isin(column, values)
    return chosen


@dataclass(frozen=True)
class AccountGroups:
    """Accounts grouped by the selectors they match."""

    selectors: tuple[Accounts, ...]
    group: np.ndarray  # (A,) int64, each account's group
    member: np.ndarray  # (G, S) bool: the group's accounts match selector s

    @property
    def count(self) -> int:
        return len(self.member)

    def mask(self, selector: int) -> np.ndarray:
        """(A,) bool: the accounts of selector ``selector``."""
        return np.asarray(self.member[self.group, selector], dtype=bool)

    def reach(self, per_selector: np.ndarray) -> np.ndarray:
        """(W, S) campaign reach per selector -> (W, G) per group: touches combine as
        independent chances, 1 - prod(1 - reach of each selector the group matches)."""
        miss = np.where(self.member[np.newaxis, :, :], 1.0 - per_selector[:, np.newaxis, :], 1.0)
        return np.asarray(1.0 - miss.prod(axis=2), dtype=float)


def account_groups(scenario: Scenario, population: Population) -> AccountGroups:
    """Group the population's accounts by the scenario's selectors; a segment, salesperson
    or country the dataset's buyable accounts do not have is a UserError naming the field."""
    for field, target in targeted_levers(scenario):
        _check_values(field, target, population)
    selectors = scenario_selectors(scenario)
    signature = np.stack([matches(target, population) for target in selectors], axis=1)
    member, group = np.unique(signature, axis=0, return_inverse=True)
    return AccountGroups(selectors, group.reshape(-1).astype(np.int64), member)


def _check_values(field: str, target: Accounts, population: Population) -> None:
    for name, label, values, column in (
        ("segments", "segment", target.segments, population.segment),
        ("salespeople", "salesperson", target.salespeople, population.salesperson),
        ("countries", "country", target.countries, population.country),
    ):
        known = sorted(set(column.tolist()))
        for value in values:
            if value not in known:
                listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
                raise UserError(
                    f"scenario field {field}.{name}: no {label} {value!r} among the accounts "
                    f"that can buy online ({name}: {listed})"
                )
