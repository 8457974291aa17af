"""SAP's exactly-once headers (OData "Repeatable Requests", as S/4HANA's APIs take them):
``Repeatability-Request-ID`` names a request, ``Repeatability-First-Sent`` says when it was
first sent (an HTTP date). The ID becomes a key of the idempotency store the Business
Central API keys with ``Idempotency-Key``, in its own namespace, so a repeated create
answers the first one's document and makes nothing (across restarts: the key is committed
with the document)."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from simulator.erp_server.idempotency import MAX_KEY_LENGTH
from simulator.erp_server.sap.errors import SapError

__all__ = ["PREFIX", "repeatability_key"]

PREFIX = "sap-repeatability:"
MAX_ID_LENGTH = MAX_KEY_LENGTH - len(PREFIX)


def repeatability_key(headers: Mapping[str, str]) -> str | None:
    """The store key of a request's Repeatability-Request-ID (None without one); 400 for
    an ID that is not 1-`MAX_ID_LENGTH` printable characters, or a First-Sent that is not
    an HTTP date."""
    request_id = headers.get("repeatability-request-id")
    first_sent = headers.get("repeatability-first-sent")
    if first_sent is not None:
        try:
            parsedate_to_datetime(first_sent)
        except (TypeError, ValueError):
            raise SapError(
                400,
                "/IWBEP/CM_MGW_RT/175",
                f"Repeatability-First-Sent {first_sent!r} is not an HTTP date"
                " (e.g. 'Tue, 01 Dec 2026 10:00:00 GMT')",
            ) from None
    if request_id is None:
        return None
    if not 0 < len(request_id) <= MAX_ID_LENGTH or not request_id.isprintable():
        raise SapError(
            400,
            "/IWBEP/CM_MGW_RT/175",
            f"Repeatability-Request-ID must be 1-{MAX_ID_LENGTH} printable characters",
        )
    return PREFIX + request_id
