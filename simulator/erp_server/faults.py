"""Fault injection: what makes the mock ERP behave like a real one on a bad day.

Settings (`FaultSettings`, JSON-friendly, set by flags or `/_admin/faults`):

- ``latency``: per route class (``read``, ``query``, ``price``, ``write``; ``all`` is the
  default) a `Latency` value such as ``"p50=40ms,p99=400ms"`` (a log-normal through both
  percentiles), ``"25ms"`` (constant) or ``"0"``.
- ``error_rate`` with ``error_mix`` (``{"500": 0.5, "503": 0.5}``): that share of API calls
  fail with those statuses.
- ``rate_limit``: requests per second (token bucket, one second of burst) above which calls
  get 429 with ``Retry-After``.
- ``outages``: windows ``{"after": "60s", "duration": "30s", "every": "300s", "mode":
  "503"|"refuse"}`` counted from when the settings took effect; ``refuse`` resets
  connections (clients see a connection error), ``503`` answers with ``Retry-After``.
- ``drip``: ``{"ratio": 0.1, "chunk": 256, "interval": "100ms"}``: that share of responses
  trickles out in small chunks.
- ``disk_full``: ``true`` makes the database refuse writes as a full disk does (see
  `storage.DiskFull`); creates answer 503 and keep nothing, their retries work once it is off.

`FaultInjector` makes the per-request decisions from a seeded `random.Random` of its own, so
a run is reproducible for a seed and a request order. With nothing configured the check is a
few attribute reads.
"""

from __future__ import annotations

import math
import random
import re
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.errors import UserError

__all__ = [
    "ROUTE_CLASSES",
    "Decision",
    "Drip",
    "FaultInjector",
    "FaultSettings",
    "Latency",
    "Outage",
    "parse_duration",
    "parse_error_mix",
]

ROUTE_CLASSES = ("read", "query", "price", "write")
Z99 = 2.3263478740408408  # standard normal quantile of 0.99
Z95 = 1.6448536269514722
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
MAX_SECONDS = 86400.0 * 7


def parse_duration(
    text: str | float | int, *, what: str = "duration", default_unit: str = "s"
) -> float:
    """``"40ms"``, ``"1.5s"``, ``"2m"``, or a number (in `default_unit`) -> seconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text) * _UNITS[default_unit]
    else:
        match = _DURATION.match(str(text))
        if match is None:
            raise ValueError(f"{what} {text!r} is not a duration like 40ms, 1.5s or 2m")
        unit = match.group(2) or default_unit
        seconds = float(match.group(1)) * _UNITS[unit]
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_SECONDS:
        raise ValueError(f"{what} {text!r} is out of range (0 to 7 days)")
    return seconds


@dataclass(frozen=True, slots=True)
class Latency:
    """A latency distribution from shorthand: log-normal through p50 and p99 (or p95), or a
    constant. `sample` takes the caller's RNG: the distribution holds no state."""

    p50: float  # seconds
    sigma: float  # of the log; 0 = constant

    @classmethod
    def parse(cls, text: str) -> Latency:
        spec = text.strip().lower()
        if spec in ("", "0", "none", "off"):
            return cls(0.0, 0.0)
        if "=" not in spec:
            return cls(parse_duration(spec, what="latency", default_unit="ms"), 0.0)
        parts: dict[str, float] = {}
        for item in spec.split(","):
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in ("p50", "p95", "p99") or name in parts:
                raise ValueError(
                    f"latency {text!r}: expected p50=..., with p95=... or p99=..., "
                    'e.g. "p50=40ms,p99=400ms"'
                )
            parts[name] = parse_duration(value, what=f"latency {name}", default_unit="ms")
        if "p50" not in parts:
            raise ValueError(f"latency {text!r} needs p50=...")
        p50 = parts["p50"]
        if "p99" in parts and "p95" in parts:
            raise ValueError(f"latency {text!r}: give p95 or p99, not both")
        tail, z = (parts["p99"], Z99) if "p99" in parts else (parts.get("p95", p50), Z95)
        if tail < p50:
            raise ValueError(f"latency {text!r}: the tail percentile is below p50")
        if p50 == 0:
            if tail > 0:
                raise ValueError(f"latency {text!r}: p50=0 with a tail is not a distribution")
            return cls(0.0, 0.0)
        return cls(p50, math.log(tail / p50) / z)

    def sample(self, rng: random.Random) -> float:
        if self.sigma == 0:
            return self.p50
        return min(self.p50 * math.exp(self.sigma * rng.gauss(0.0, 1.0)), 60.0)

    def __str__(self) -> str:
        if self.sigma == 0:
            return f"{self.p50 * 1000:g}ms"
        return f"p50={self.p50 * 1000:g}ms,p99={self.p50 * math.exp(self.sigma * Z99) * 1000:.4g}ms"

    @property
    def is_zero(self) -> bool:
        return self.p50 == 0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Outage(_Model):
    """A window of unavailability, counted from when the fault settings took effect."""

    after: float = 0.0  # seconds
    duration: float  # seconds
    every: float | None = None  # repeat period, seconds
    mode: Literal["503", "refuse"] = "503"

    @field_validator("after", "duration", "every", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        return value if value is None else parse_duration(value, what="outage time")

    @model_validator(mode="after")
    def _fits(self) -> Outage:
        if self.duration <= 0:
            raise ValueError("outage duration must be positive")
        if self.every is not None and self.every <= self.duration:
            raise ValueError("outage 'every' must be longer than its duration")
        return self

    @classmethod
    def parse(cls, text: str) -> Outage:
        """``"after=60s,duration=30s,every=300s,mode=refuse"`` (flag syntax)."""
        fields: dict[str, str] = {}
        for item in text.split(","):
            name, sep, value = item.partition("=")
            if not sep or name.strip() not in ("after", "duration", "every", "mode"):
                raise ValueError(
                    f"outage {text!r}: expected after=..,duration=..[,every=..][,mode=503|refuse]"
                )
            fields[name.strip()] = value.strip()
        return cls.model_validate(fields)

    def remaining(self, elapsed: float) -> float:
        """Seconds left in the window containing `elapsed`, 0 outside every window."""
        if elapsed < self.after:
            return 0.0
        into = elapsed - self.after
        if self.every is not None:
            into %= self.every
        return self.duration - into if into < self.duration else 0.0


class Drip(_Model):
    """Slow responses: `ratio` of them are sent `chunk` bytes at a time, `interval` apart."""

    ratio: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    chunk: Annotated[int, Field(ge=1, le=1 << 20)] = 256
    interval: float = 0.1

    @field_validator("interval", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        return parse_duration(value, what="drip interval", default_unit="s")


class FaultSettings(_Model):
    """Everything that can go wrong, as data (flags, admin endpoint and workers share it)."""

    latency: dict[str, str] = {}
    error_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    error_mix: dict[str, float] = {"500": 0.5, "503": 0.5}
    rate_limit: Annotated[float, Field(gt=0.0)] | None = None
    outages: list[Outage] = []
    drip: Drip = Drip()
    disk_full: bool = False
    seed: int = 0

    @field_validator("latency")
    @classmethod
    def _latency(cls, value: dict[str, str]) -> dict[str, str]:
        for route_class, spec in value.items():
            if route_class not in ("all", *ROUTE_CLASSES):
                raise ValueError(
                    f"latency route class {route_class!r} is not one of all, "
                    + ", ".join(ROUTE_CLASSES)
                )
            Latency.parse(spec)
        return value

    @field_validator("error_mix")
    @classmethod
    def _mix(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("error_mix needs at least one status")
        for status, weight in value.items():
            if status not in ("500", "502", "503", "504"):
                raise ValueError(f"error_mix status {status} is not one of 500, 502, 503, 504")
            if not (math.isfinite(weight) and weight >= 0):
                raise ValueError(f"error_mix weight of {status} must be >= 0")
        if sum(value.values()) <= 0:
            raise ValueError("error_mix weights must not all be 0")
        return value

    def latency_for(self, route_class: str) -> Latency:
        spec = self.latency.get(route_class, self.latency.get("all", "0"))
        return Latency.parse(spec)


def parse_error_mix(text: str) -> dict[str, float]:
    """``"500=0.5,503=0.5"`` or ``"503"`` -> weights by status."""
    mix: dict[str, float] = {}
    for item in text.split(","):
        status, sep, weight = item.partition("=")
        try:
            mix[status.strip()] = float(weight) if sep else 1.0
        except ValueError:
            raise ValueError(
                f"error mix {text!r}: weights are numbers, e.g. 500=0.5,503=0.5"
            ) from None
    return mix


def settings_from_flags(
    *,
    latency: list[str],
    error_rate: str,
    error_mix: str,
    rate_limit: float | None,
    outages: list[str],
    drip: str,
    seed: int,
) -> FaultSettings:
    """Command-line shorthand -> FaultSettings; a UserError names the bad flag."""
    per_class: dict[str, str] = {}
    for spec in latency:
        route_class, sep, rest = spec.partition(":")
        key, value = (route_class.strip(), rest) if sep else ("all", spec)
        if key not in ("all", *ROUTE_CLASSES):
            raise UserError(f"--latency: {key!r} is not one of all, {', '.join(ROUTE_CLASSES)}")
        try:
            Latency.parse(value)
        except ValueError as exc:
            raise UserError(f"--latency: {exc}") from None
        per_class[key] = value
    try:
        rate = float(error_rate)
    except ValueError:
        rate = math.nan
    if not 0.0 <= rate <= 1.0:
        raise UserError(f"--error-rate: {error_rate!r} is not a share between 0 and 1")
    try:
        mix = parse_error_mix(error_mix)
    except ValueError as exc:
        raise UserError(f"--error-mix: {exc}") from None
    try:
        windows = [Outage.parse(text) for text in outages]
    except ValueError as exc:
        raise UserError(f"--outage: {_first_line(exc)}") from None
    try:
        drip_settings = _parse_drip(drip)
    except ValueError as exc:
        raise UserError(f"--drip: {_first_line(exc)}") from None
    try:
        return FaultSettings(
            latency=per_class,
            error_rate=rate,
            error_mix=mix,
            rate_limit=rate_limit,
            outages=windows,
            drip=drip_settings,
            seed=seed,
        )
    except ValueError as exc:
        raise UserError(f"fault settings: {_first_line(exc)}") from None


def _parse_drip(text: str) -> Drip:
    if not text.strip():
        return Drip()
    fields: dict[str, str] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in ("ratio", "chunk", "interval"):
            raise ValueError(f"{text!r}: expected ratio=..[,chunk=..][,interval=..]")
        fields[name.strip()] = value.strip()
    return Drip.model_validate(fields)


def _first_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where + ': ' if where else ''}{first['msg']}"
    return str(exc).splitlines()[0]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do to one request (None fields: nothing)."""

    status: int | None = None  # answer with this error status instead
    retry_after: int | None = None
    refuse: bool = False  # reset the connection
    delay: float = 0.0  # seconds before handling
    drip: Drip | None = None


PASS = Decision()


class FaultInjector:
    """Per-process fault decisions from the current `FaultSettings`."""

    def __init__(self, settings: FaultSettings, *, stream: int = 0, share: float = 1.0) -> None:
        self.share = share  # this process's share of the rate limit (workers split it)
        self.stream = stream
        self.apply(settings, time.time())

    def apply(self, settings: FaultSettings, effective_at: float) -> None:
        """Switch to new settings (as of wall time `effective_at`, for outage windows)."""
        self.settings = settings
        self.effective_at = effective_at
        self.rng = random.Random(f"erp-faults:{settings.seed}:{self.stream}")
        self.latencies = {c: settings.latency_for(c) for c in ROUTE_CLASSES}
        self.any_latency = any(not lat.is_zero for lat in self.latencies.values())
        statuses = sorted(settings.error_mix)
        weights = [settings.error_mix[s] for s in statuses]
        total = sum(weights)
        self.error_statuses = [int(s) for s in statuses]
        self.error_cumulative = [sum(weights[: i + 1]) / total for i in range(len(weights))]
        rate = settings.rate_limit
        self.rate = None if rate is None else rate * self.share
        self.capacity = max(1.0, self.rate or 0.0)
        self.tokens = self.capacity
        self.refilled = time.monotonic()
        self.refuse_windows = any(w.mode == "refuse" for w in settings.outages)
        self.active = bool(
            self.any_latency
            or settings.error_rate > 0
            or rate is not None
            or settings.drip.ratio > 0
        )

    def outage(self) -> tuple[str, float] | None:
        """(mode, seconds left) if an outage window is open now."""
        if not self.settings.outages:
            return None
        elapsed = time.time() - self.effective_at
        for window in self.settings.outages:
            left = window.remaining(elapsed)
            if left > 0:
                return window.mode, left
        return None

    def down(self) -> Decision | None:
        """The outage answer if a window is open now (checked before authentication)."""
        if not self.settings.outages:
            return None
        window = self.outage()
        if window is None:
            return None
        mode, left = window
        return Decision(status=503, retry_after=max(1, math.ceil(left)), refuse=mode == "refuse")

    def refusing(self) -> bool:
        """Whether connections are to be reset now (a ``refuse`` outage window is open)."""
        if not self.refuse_windows:
            return False
        window = self.outage()
        return window is not None and window[0] == "refuse"

    def decide(self, route_class: str) -> Decision:
        """Rate limit, injected error, latency and drip for one authenticated API call."""
        if not self.active:
            return PASS
        if self.rate is not None:
            wait = self._take_token()
            if wait > 0:
                return Decision(status=429, retry_after=max(1, math.ceil(wait)))
        settings = self.settings
        rng = self.rng
        if settings.error_rate > 0 and rng.random() < settings.error_rate:
            draw = rng.random()
            for status, edge in zip(self.error_statuses, self.error_cumulative, strict=True):
                if draw <= edge:
                    return Decision(status=status, retry_after=1 if status == 503 else None)
        delay = 0.0
        if self.any_latency:
            delay = self.latencies[route_class].sample(rng)
        drip = None
        if settings.drip.ratio > 0 and rng.random() < settings.drip.ratio:
            drip = settings.drip
        if delay == 0.0 and drip is None:
            return PASS
        return Decision(delay=delay, drip=drip)

    def _take_token(self) -> float:
        """Token bucket: 0 if a request may pass now, else seconds until one may."""
        assert self.rate is not None
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.refilled) * self.rate)
        self.refilled = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate
