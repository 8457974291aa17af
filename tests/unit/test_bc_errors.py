"""The one table from our error reasons to Business Central's error codes."""

from __future__ import annotations

import orjson
import pytest

from simulator.erp_server.odata.bc_errors import BC_CODES, bc_code, bc_error_body


@pytest.mark.parametrize(
    ("reason", "status", "expected"),
    [
        ("not_found", 404, "BadRequest_NotFound"),
        ("precondition_failed", 412, "Request_EntityChanged"),
        ("credit_limit_exceeded", 409, "Application_DialogException"),
        ("idempotency_key_reused", 422, "Internal_EntityWithSameKeyExists"),
        ("too_many_requests", 429, "Application_TooManyRequests"),
        ("something_new", 409, "Application_DialogException"),
        ("something_new", 502, "Internal_ServerError"),
        ("something_new", 400, "BadRequest"),
        ("something_new", 418, "Unknown"),
    ],
)
def test_reasons_map_to_bc_codes(reason: str, status: int, expected: str) -> None:
    assert bc_code(reason, status) == expected


def test_every_code_is_one_of_bcs_categories() -> None:
    prefixes = ("BadRequest", "Authentication_", "Internal_", "Application_", "Request_")
    assert all(code.startswith(prefixes) for code in BC_CODES.values())


def test_body_keeps_the_reason_and_ends_in_a_correlation_id() -> None:
    error = orjson.loads(bc_error_body("item_blocked", "item 1 is blocked", 422))["error"]
    assert error["code"] == "Application_DialogException"
    assert error["details"] == [{"code": "item_blocked", "message": "item 1 is blocked"}]
    assert error["message"].startswith("item 1 is blocked  CorrelationId:  ")
    assert error["message"].endswith(".")
    second = orjson.loads(bc_error_body("item_blocked", "item 1 is blocked", 422))["error"]
    assert second["message"] != error["message"]
