"""Key predicates: ``items(6f1e...)``, ``items('1000')``,
``itemStock(itemNumber='X',locationCode='Y')``.

A single-field key may be given bare; a compound key names every field. Values are parsed
as OData literals and checked against the key fields' types.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.erp_server.entities import EDM_GUID, EDM_INT, EntitySet
from simulator.erp_server.odata.errors import ODataError

__all__ = ["parse_key"]

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PART = re.compile(r"\s*(?:(\w+)\s*=\s*)?('(?:[^']|'')*'|[^,'=]+?)\s*(?:,|$)")
MAX_KEY_LENGTH = 500


def parse_key(text: str, entity: EntitySet) -> tuple[Any, ...]:
    """The key values, in `entity.key` order; 400 for a malformed key."""
    if len(text) > MAX_KEY_LENGTH:
        raise _error(entity, "the key is too long")
    values: dict[str, str] = {}
    pos = 0
    positional: list[str] = []
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or match.end() == pos:
            raise _error(entity, f"cannot read the key {text!r}")
        name, raw = match.group(1), match.group(2)
        if name is None:
            positional.append(raw)
        elif name in values:
            raise _error(entity, f"key field {name!r} given twice")
        else:
            values[name] = raw
        pos = match.end()
    if positional and (values or len(positional) > 1):
        raise _error(entity, "a compound key names each field: (field=value,...)")
    if positional:
        if len(entity.key) != 1:
            raise _error(entity, f"the key has {len(entity.key)} fields: {', '.join(entity.key)}")
        values = {entity.key[0]: positional[0]}
    if set(values) != set(entity.key):
        raise _error(entity, f"the key is ({', '.join(entity.key)})")
    return tuple(_value(entity, name, values[name]) for name in entity.key)


def _value(entity: EntitySet, name: str, raw: str) -> Any:
    field = entity.by_name[name]
    quoted = len(raw) >= 2 and raw[0] == raw[-1] == "'"
    text = raw[1:-1].replace("''", "'") if quoted else raw
    if field.edm == EDM_GUID:
        if not _GUID.fullmatch(text):
            raise _error(entity, f"{name} must be a GUID, got {raw!r}")
        return text.lower()
    if field.edm == EDM_INT:
        if quoted or not re.fullmatch(r"-?\d{1,18}", text):
            raise _error(entity, f"{name} must be an integer, got {raw!r}")
        return int(text)
    if not quoted:
        raise _error(entity, f"{name} is text: quote it, as {name}='{text}'")
    return text


def _error(entity: EntitySet, message: str) -> ODataError:
    return ODataError(400, "invalid_key", f"{entity.name}: {message}")
