"""Waiting for a condition in an integration test: polled with a deadline, never timed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

INTERVAL = 0.02


def poll(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """The condition's first truthy value; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(INTERVAL)
