"""SAP's exactly-once headers, in both forms S/4HANA takes them: OData "Repeatable
Requests" (``Repeatability-Request-ID`` names a request, ``Repeatability-First-Sent`` says
when it was first sent, an HTTP date; the answer says ``Repeatability-Result: accepted``)
and SAP Gateway's idempotent services (``RequestID``, a GUID, with
``RepeatabilityCreation``, when the request was made; the answer says
``RepeatabilityResult: accepted``). The ID becomes a key of the idempotency store the
Business Central API keys with ``Idempotency-Key``, in its own namespace, so a repeated
create answers the first one's document and makes nothing (across restarts: the key is
committed with the document)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from simulator.erp_server.idempotency import MAX_KEY_LENGTH
from simulator.erp_server.sap.errors import SapError

__all__ = ["PREFIX", "repeatability_answer", "repeatability_key"]

PREFIX = "sap-repeatability:"
MAX_ID_LENGTH = MAX_KEY_LENGTH - len(PREFIX)
ODATA = ("repeatability-request-id", "repeatability-first-sent", "repeatability-result")
GATEWAY = ("requestid", "repeatabilitycreation", "repeatabilityresult")


def _bad(message: str) -> SapError:
    return SapError(400, "/IWBEP/CM_COS/001", message)


def _when(name: str, value: str) -> None:
    """An HTTP date or an ISO 8601 moment (SAP Gateway's clients send either)."""
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        pass
    else:
        return
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(
            f"{name} {value!r} is not a date and time"
            " (e.g. 'Tue, 01 Dec 2026 10:00:00 GMT' or 2026-12-01T10:00:00Z)"
        ) from None


def _style(headers: Mapping[str, str]) -> tuple[str, str, str] | None:
    """The header names the request uses, or None when it asks for no repeatability (a
    Gateway RequestID alone only names the request, for logs)."""
    if ODATA[0] in headers or ODATA[1] in headers:
        return ODATA
    if GATEWAY[1] in headers:
        return GATEWAY
    return None


def repeatability_key(headers: Mapping[str, str]) -> str | None:
    """The store key of a repeatable request (None without one); 400 for an ID that is not
    1-`MAX_ID_LENGTH` printable characters or a creation time that is not one."""
    style = _style(headers)
    if style is None:
        return None
    id_name, when_name, _ = style
    when = headers.get(when_name)
    if when is not None:
        _when(when_name, when)
    request_id = headers.get(id_name)
    if request_id is None:
        if style is GATEWAY:
            raise _bad("RepeatabilityCreation needs the RequestID it belongs to")
        return None
    if not 0 < len(request_id) <= MAX_ID_LENGTH or not request_id.isprintable():
        raise _bad(f"{id_name} must be 1-{MAX_ID_LENGTH} printable characters")
    return PREFIX + request_id


def repeatability_answer(headers: Mapping[str, str]) -> dict[str, str]:
    """The response header that tells the client its request ran once."""
    style = _style(headers)
    if style is None or headers.get(style[0]) is None:
        return {}
    return {style[2]: "accepted"}
