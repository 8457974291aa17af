"""python-odata 0.8.1 builds a Python `Enum` per CSDL enum type, and `Enum` refuses member
names like ``_x0020_`` (a "_sunder_" name): Business Central's blank option, in its
metadata and ours. So reflection fails on any BC $metadata. This shim, what a connector
would do until python-odata handles it, renames such members for Python (``x_x0020_``) and
keeps the BC name as a lookup alias, so values read back as enum members."""

from __future__ import annotations

from typing import Any

import odata.metadata
from odata.enumtype import EnumType

__all__ = ["allow_bc_enum_members"]


class _BcEnumMeta(type(EnumType)):  # type: ignore[misc]
    def __call__(cls, value: Any, names: Any = None, **kwargs: Any) -> Any:
        if names is None:
            return super().__call__(value, **kwargs)
        safe = [("x" + name if name.startswith("_") else name, v) for name, v in names]
        made = super().__call__(value, names=safe, **kwargs)
        for (name, _), (python_name, _) in zip(names, safe, strict=True):
            made._member_map_.setdefault(name, made[python_name])
        return made


class BcEnum(EnumType, metaclass=_BcEnumMeta):
    pass


def allow_bc_enum_members(monkeypatch: Any) -> None:
    monkeypatch.setattr(odata.metadata, "EnumType", BcEnum)
