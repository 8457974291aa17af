"""OData V2 JSON as SAP Gateway writes it, and the reverse for request bodies.

Values follow the V2 JSON format: Edm.Decimal and Edm.Double as strings (with the
property's scale), Edm.DateTime as ``/Date(<ms>)/``, Edm.DateTimeOffset as
``/Date(<ms>+0000)/``, Edm.Time as ``PT14H30M00S``. SAP sends initial values rather than
nulls for strings, numbers and flags ("", "0.000", false), and null for an initial date.
Entities carry ``__metadata`` (id, uri, type, etag) and a ``__deferred`` link per navigation
property that was not expanded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from simulator.erp_server.sap.catalog import EntityType, Property
from simulator.erp_server.sap.errors import SapError

__all__ = [
    "date_literal",
    "entity_id",
    "etag",
    "format_value",
    "key_predicate",
    "parse_value",
    "payload",
]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NULL_GUID = "00000000-0000-0000-0000-000000000000"
_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{4}))?\)/$")
_TIME = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
_SAFE = "'()=,:@!$*;"


def _moment(value: Any) -> dt.datetime:
    """Our stored dates ('2026-09-30', '2026-09-30T15:50:09Z') as aware datetimes."""
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _ms(value: Any) -> int:
    return int((_moment(value) - EPOCH).total_seconds() * 1000)


def format_value(prop: Property, value: Any) -> Any:
    """One stored value as V2 JSON shows it for `prop`."""
    edm = prop.edm
    if edm == "Edm.String":
        return "" if value is None else str(value)
    if edm == "Edm.Boolean":
        return bool(value)
    if edm == "Edm.Decimal":
        number = 0 if value is None or value == "" else value
        scale = prop.scale if prop.scale is not None else 0
        return f"{Decimal(str(number)).quantize(Decimal(1).scaleb(-scale)):f}"
    if edm == "Edm.DateTime":
        return None if value in (None, "") else f"/Date({_ms(value)})/"
    if edm == "Edm.DateTimeOffset":
        return None if value in (None, "") else f"/Date({_ms(value)}+0000)/"
    if edm == "Edm.Time":
        text = "00:00:00" if value in (None, "") else str(value)
        hours, minutes, seconds = [*text.split(":"), "0", "0"][:3]
        return f"PT{int(hours):02d}H{int(minutes):02d}M{int(float(seconds)):02d}S"
    if edm in ("Edm.Byte", "Edm.Int16", "Edm.Int32", "Edm.SByte"):
        return int(value or 0)
    if edm == "Edm.Int64":
        return str(int(value or 0))
    if edm in ("Edm.Double", "Edm.Single"):
        return f"{float(value or 0):.16E}"
    if edm == "Edm.Guid":
        return NULL_GUID if value in (None, "") else str(value)
    return value


def date_literal(prop: Property, value: Any) -> str:
    """The URI literal of a key or ETag value (``'X'``, ``datetime'...'``, ``guid'...'``)."""
    edm = prop.edm
    if edm == "Edm.DateTime":
        return f"datetime'{_moment(value).strftime('%Y-%m-%dT%H:%M:%S')}'"
    if edm == "Edm.DateTimeOffset":
        moment = _moment(value)
        return f"datetimeoffset'{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{moment.microsecond:06d}0Z'"
    if edm == "Edm.Guid":
        return f"guid'{value}'"
    if edm == "Edm.Time":
        return f"time'{format_value(prop, value)}'"
    if edm in ("Edm.Byte", "Edm.Int16", "Edm.Int32", "Edm.SByte"):
        return str(int(value or 0))
    if edm == "Edm.Decimal":
        return f"{format_value(prop, value)}M"
    return "'" + str("" if value is None else value).replace("'", "''") + "'"


def key_predicate(entity: EntityType, row: dict[str, Any]) -> str:
    """``('X')`` for one key property, ``(A='1',B='2')`` for several, percent-encoded."""
    props = [entity.by_name[name] for name in entity.key]
    if len(props) == 1:
        inner = date_literal(props[0], row[props[0].name])
    else:
        inner = ",".join(f"{p.name}={date_literal(p, row[p.name])}" for p in props)
    return "(" + quote(inner, safe=_SAFE) + ")"


def entity_id(base: str, entity: EntityType, row: dict[str, Any]) -> str:
    return f"{base}{entity.set_name}{key_predicate(entity, row)}"


def etag(entity: EntityType, row: dict[str, Any]) -> str | None:
    """SAP's weak ETag from the property marked ConcurrencyMode="Fixed", if the type has one."""
    for prop in entity.properties:
        if prop.attrs.get("ConcurrencyMode") == "Fixed":
            value = row.get(prop.name)
            if value in (None, ""):
                return None
            return 'W/"' + quote(date_literal(prop, value), safe="'") + '"'
    return None


def payload(
    entity: EntityType,
    row: dict[str, Any],
    base: str,
    *,
    select: Sequence[str] | None = None,
    expanded: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One entity as V2 JSON. `row` holds stored values by property name; `expanded` the
    already-formatted results of expanded navigation properties."""
    uri = entity_id(base, entity, row)
    metadata: dict[str, Any] = {"id": uri, "uri": uri, "type": entity.qualified}
    tag = etag(entity, row)
    if tag is not None:
        metadata["etag"] = tag
    body: dict[str, Any] = {"__metadata": metadata}
    names = select if select is not None else [p.name for p in entity.properties]
    by_name = entity.by_name
    for name in names:
        prop = by_name.get(name)
        if prop is not None:
            body[name] = format_value(prop, row.get(name))
    expanded = expanded or {}
    for nav in entity.navigations:
        if nav in expanded:
            body[nav] = expanded[nav]
        elif select is None or nav in select:
            body[nav] = {"__deferred": {"uri": f"{uri}/{nav}"}}
    return body


def parse_value(prop: Property, value: Any) -> Any:
    """A request body's V2 JSON value as we store it; 400 (SAP's wording) if it is not one."""

    def bad(expected: str) -> SapError:
        return SapError(
            400,
            "/IWBEP/CM_MGW_RT/022",
            f"Invalid value for property '{prop.name}': expected {expected}, got {value!r}",
            target=prop.name,
        )

    edm = prop.edm
    if value is None:
        if not prop.nullable:
            raise bad("a value (the property is not nullable)")
        return None
    if edm == "Edm.String":
        if not isinstance(value, str):
            raise bad("a string")
        if prop.max_length is not None and len(value) > prop.max_length:
            raise bad(f"at most {prop.max_length} characters")
        return value
    if edm == "Edm.Boolean":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if edm in ("Edm.Decimal", "Edm.Double", "Edm.Single"):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise bad("a decimal number as a string")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise bad("a decimal number as a string") from None
        if not number.is_finite():
            raise bad("a finite number")
        return float(number)
    if edm in ("Edm.Byte", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.SByte"):
        try:
            return int(str(value))
        except ValueError:
            raise bad("an integer") from None
    if edm in ("Edm.DateTime", "Edm.DateTimeOffset"):
        match = _DATE.match(value) if isinstance(value, str) else None
        if match is not None:
            try:
                moment = EPOCH + dt.timedelta(milliseconds=int(match.group(1)))
            except OverflowError:  # before year 1 or after 9999
                raise bad("a /Date(<milliseconds>)/ between years 1 and 9999") from None
        else:
            try:  # SAP also accepts ISO 8601 in requests
                moment = _moment(value)
            except (TypeError, ValueError):
                raise bad("/Date(<milliseconds>)/") from None
        if edm == "Edm.DateTime":
            return (
                moment.date().isoformat()
                if moment.time() == dt.time()
                else (moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
            )
        if moment.microsecond:  # /Date()/ carries milliseconds: keep them
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if edm == "Edm.Time":
        match = _TIME.match(value) if isinstance(value, str) else None
        if match is None:
            raise bad("a duration such as PT14H30M00S")
        hours, minutes, seconds = (match.group(i) or "0" for i in (1, 2, 3))
        return f"{int(hours):02d}:{int(minutes):02d}:{int(float(seconds)):02d}"
    if edm == "Edm.Guid":
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F-]{36}", value):
            raise bad("a GUID")
        return value.lower()
    return value
