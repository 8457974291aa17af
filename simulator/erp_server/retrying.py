"""The retry policy the ERP clients share (Business Central's `ErpClient`, the store's
`SapClient`): 429, 5xx and connection errors are retried with exponential backoff and
jitter, honouring ``Retry-After``, for calls that may be repeated safely."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from typing import Any, Self

import requests

__all__ = ["RETRY_STATUSES", "RetryingClient", "retry_after_seconds"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RetryingClient:
    """A requests session with the shared retry policy; subclasses build URLs and errors."""

    def __init__(
        self,
        *,
        timeout: float,
        max_attempts: int,
        backoff: float,
        max_backoff: float,
        sleep: Callable[[float], None],
        session: requests.Session | None,
    ) -> None:
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.retries = 0  # how many retries this client made (for tests and logs)
        self.session = session or requests.Session()
        self._jitter = random.Random()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str] | None,
        retriable: bool,
        to_error: Callable[[requests.Response], Exception],
    ) -> requests.Response:
        """One call, retried while `retriable`; the successful response, else `to_error`'s."""
        attempt = 1
        while True:
            try:
                response = self.session.request(
                    method, url, params=params, json=json, headers=headers, timeout=self.timeout
                )
            except requests.ConnectionError:
                if not retriable or attempt >= self.max_attempts:
                    raise
                self._pause(attempt, None)
                attempt += 1
                continue
            if response.status_code < 400:
                return response
            if response.status_code in RETRY_STATUSES and retriable and attempt < self.max_attempts:
                retry_after = response.headers.get("Retry-After")
                response.close()
                self._pause(attempt, retry_after)
                attempt += 1
                continue
            raise to_error(response)

    def _pause(self, attempt: int, retry_after: str | None) -> None:
        self.retries += 1
        delay = retry_after_seconds(retry_after)
        if delay is None:
            delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            delay *= 0.5 + self._jitter.random() / 2
        self.sleep(min(delay, self.max_backoff * 6))


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), None if absent or unreadable."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
