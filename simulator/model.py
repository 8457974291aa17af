"""The base of every model read from a user's TOML file (profiles, scenarios, load mixes).

Frozen, unknown keys refused, numbers finite (no ``inf``/``nan``) and never a boolean where
a number belongs (TOML's ``items = true`` would otherwise be read as 1).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

__all__ = ["FIRST_DATE", "LAST_DATE", "InputModel", "check_date"]

# Dates a simulation can move months and years around without leaving the calendar.
FIRST_DATE = dt.date(1970, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)


def _allows_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _allows_bool(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_allows_bool(arg) for arg in typing.get_args(annotation))
    return False


def check_date(value: dt.date, field: str) -> None:
    """A date outside FIRST_DATE..LAST_DATE is a ValueError naming ``field``."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"{field} {value} is outside {FIRST_DATE.year}..{LAST_DATE.year}")


class InputModel(BaseModel):
    """Frozen, strict about keys, finite numbers, booleans only where booleans belong."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, bool) and not _allows_bool(annotation):
            raise ValueError(f"expected {_kind(annotation)}, not {str(value).lower()}")
        if annotation is bool and not isinstance(value, bool):
            raise ValueError(f"expected true or false, not {value!r}")
        items = value.values() if isinstance(value, dict) else value
        if isinstance(value, (dict, list)) and any(isinstance(item, bool) for item in items):
            inner = typing.get_args(annotation)[-1:] or (Any,)
            if not _allows_bool(inner[0]):
                raise ValueError("expected numbers, not true/false")
        if isinstance(value, dt.date) and not FIRST_DATE <= value <= LAST_DATE:
            raise ValueError(f"date {value} is outside {FIRST_DATE.year}..{LAST_DATE.year}")
        return value


def _kind(annotation: Any) -> str:
    return "a number" if annotation in (int, float) else "a value of the documented type"
