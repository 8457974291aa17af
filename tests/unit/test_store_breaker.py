"""The circuit breaker's states on a hand-driven clock: closed → open after N consecutive
failures, refusing while open, one half-open trial after the reset time."""

from __future__ import annotations

import pytest

from simulator.store.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_opens_after_consecutive_failures_only(clock: Clock) -> None:
    breaker = CircuitBreaker(3, 10.0, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.failure()
    assert breaker.allow()
    breaker.success()  # a success resets the count
    for _ in range(2):
        breaker.failure()
    assert breaker.state == "closed"
    breaker.failure()
    assert breaker.state == "open"
    assert breaker.opened == 1
    assert not breaker.allow()
    assert breaker.refused == 1


def test_half_open_lets_one_trial_through(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 10.0, clock=clock)
    breaker.failure()
    clock.now += 9.99
    assert not breaker.allow()
    clock.now += 0.01
    assert breaker.state == "half_open"
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # nobody else while it runs
    breaker.success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_failed_trial_opens_again_for_a_full_reset(clock: Clock) -> None:
    breaker = CircuitBreaker(5, 10.0, clock=clock)
    for _ in range(5):
        breaker.failure()
    clock.now += 10.0
    assert breaker.allow()
    breaker.failure()  # one failure in half-open is enough
    assert breaker.state == "open"
    assert breaker.opened == 2
    clock.now += 5.0
    assert not breaker.allow()
    clock.now += 5.0
    assert breaker.allow()
    assert breaker.snapshot() == {
        "state": "half_open",
        "consecutiveFailures": 6,
        "opened": 2,
        "refused": 1,
    }


def test_needs_at_least_one_failure() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CircuitBreaker(0, 1.0)
