"""Business Central's error codes: the one table from our precise reasons to BC's codes.

Business Central answers every failure as ``{"error": {"code", "message"}}`` where `code` is
a coarse class (``BadRequest_NotFound``, ``Application_DialogException``, ...) and the
message ends in ``CorrelationId: <guid>.``. Clients written against BC switch on those codes,
so `error.code` carries BC's code; our precise reason (``credit_limit_exceeded``) stays
machine-readable as OData's standard ``error.details[0].code``.

Sources: Microsoft Learn "Troubleshooting REST API/OData calls" (the AL exception -> OData
error code table), "Using OData transactional $batch requests" (the CorrelationId suffix),
and BC clients' handling of 429 ``Application_TooManyRequests``.
"""

from __future__ import annotations

import uuid

import orjson

__all__ = ["BC_CODES", "bc_code", "bc_error_body"]

_QUERY = "BadRequest_NotFound"  # BC's code for a malformed URL or query option
_BODY = "BadRequest"  # ODataBadRequestException: invalid request body, unconvertible value
_RULE = "Application_DialogException"  # a business rule refused the request

BC_CODES: dict[str, str] = {
    # 401, 404, 405, 412, 428, 429, 5xx
    "unauthorized": "Authentication_InvalidCredentials",
    "not_found": "BadRequest_NotFound",
    "resource_not_found": "BadRequest_ResourceNotFound",
    "method_not_allowed": "BadRequest_MethodNotAllowed",
    "read_only": "BadRequest_MethodNotAllowed",
    "precondition_failed": "Request_EntityChanged",
    "precondition_required": "BadRequest_InvalidToken",
    "too_many_requests": "Application_TooManyRequests",
    "service_unavailable": "Internal_TenantUnavailable",
    "internal_error": "Internal_ServerError",
    # query options and keys
    "invalid_filter": _QUERY,
    "type_mismatch": _QUERY,
    "unknown_field": _QUERY,
    "invalid_select": _QUERY,
    "invalid_orderby": _QUERY,
    "invalid_expand": _QUERY,
    "invalid_top": _QUERY,
    "invalid_skip": _QUERY,
    "invalid_count": _QUERY,
    "invalid_skiptoken": _QUERY,
    "unknown_option": _QUERY,
    "duplicate_option": _QUERY,
    "not_applicable": _QUERY,
    "invalid_key": _QUERY,
    "not_supported": "BadRequest_MethodNotImplemented",
    # request bodies
    "invalid_json": _BODY,
    "body_too_large": _BODY,
    "invalid_request": _BODY,
    "invalid_value": _BODY,
    "invalid_quantity": _BODY,
    "invalid_amount": _BODY,
    "too_many_lines": _BODY,
    "too_many_requests_in_batch": _BODY,
    "invalid_batch": _BODY,
    "invalid_idempotency_key": _BODY,
    "invalid_resource": _BODY,
    "invalid_notification_url": _BODY,
    "handshake_failed": _BODY,
    "invalid_faults": _BODY,
    "missing_field": "BadRequest_RequiredParamNotProvided",
    "read_only_field": "BadRequest_InvalidOperation",
    # references and business rules
    "customer_not_found": "Internal_RecordNotFound",
    "item_not_found": "Internal_RecordNotFound",
    "invalid_reference": "Internal_RecordNotFound",
    "unit_not_defined": "Internal_InvalidTableRelation",
    "invalid_contact": "Internal_InvalidTableRelation",
    "idempotency_key_reused": "Internal_EntityWithSameKeyExists",
    "entity_exists": "Internal_EntityWithSameKeyExists",
    "currency_mismatch": "Internal_InvalidTableRelation",
    "payment_terms_mismatch": "Internal_InvalidTableRelation",
    "unsupported_line_type": _BODY,
    "invalid_date": _BODY,
    "customer_blocked": _RULE,
    "item_blocked": _RULE,
    "no_exchange_rate": _RULE,
    "credit_limit_exceeded": _RULE,
    "quote_not_open": _RULE,
    "quote_expired": _RULE,
    "order_not_open": _RULE,
    "order_not_editable": _RULE,
    "invoice_not_open": _RULE,
    "not_invoiced": _RULE,
    "return_exceeds_shipped": _RULE,
    "conflict": _RULE,
    "too_many_subscriptions": _RULE,
    "batch_dependency_failed": _RULE,
}
_BY_STATUS = {400: _BODY, 401: "Authentication_InvalidCredentials", 404: "BadRequest_NotFound"}


def bc_code(code: str, status: int = 400) -> str:
    """BC's error code for one of our reasons (by HTTP status for a reason not listed)."""
    found = BC_CODES.get(code)
    if found is not None:
        return found
    if status >= 500:
        return "Internal_ServerError"
    if status in (409, 422):
        return _RULE
    return _BY_STATUS.get(status, "Unknown")


def bc_error_body(code: str, message: str, status: int = 400) -> bytes:
    """The JSON error BC would send: its code, the message with BC's CorrelationId suffix,
    and our reason as ``details[0]``."""
    correlation = uuid.uuid4()
    return orjson.dumps(
        {
            "error": {
                "code": bc_code(code, status),
                "message": f"{message}  CorrelationId:  {correlation}.",
                "details": [{"code": code, "message": message}],
            }
        }
    )
