"""SAP Gateway's error body, so a connector's error handling meets what S/4HANA sends.

``{"error": {"code", "message": {"lang", "value"}, "innererror": {..., "errordetails"}}}``:
`code` is a message class and number (``SY/530``, ``V1/302``...), as SAP's application
log gives it; clients show `message.value` and read `errordetails` for each problem.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson

__all__ = ["SapError", "error_body"]


class SapError(Exception):
    """A request the facade refuses, with SAP's message code and an HTTP status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str = "",
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        plain: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.headers = headers or {}
        self.plain = plain  # answered as the bare message (text/plain), as Gateway's ICF does


def error_body(
    code: str,
    message: str,
    *,
    service: str = "",
    target: str = "",
    details: list[dict[str, Any]] | None = None,
) -> bytes:
    now = dt.datetime.now(dt.UTC)
    transaction = uuid.uuid4().hex.upper()
    detail = details or [
        {
            "code": code,
            "message": message,
            "propertyref": "",
            "severity": "error",
            "target": target,
            "transition": False,
        }
    ]
    return orjson.dumps(
        {
            "error": {
                "code": code,
                "message": {"lang": "en", "value": message},
                "innererror": {
                    "application": {
                        "component_id": "",
                        "service_namespace": "/SAP/",
                        "service_id": service,
                        "service_version": "0001",
                    },
                    "transactionid": transaction,
                    "timestamp": now.strftime("%Y%m%d%H%M%S.") + f"{now.microsecond:06d}0",
                    "Error_Resolution": {
                        "SAP_Transaction": "For backend administrators: use ADT feed reader"
                        ' "SAP Gateway Error Log" or run transaction /IWFND/ERROR_LOG on SAP'
                        " Gateway hub system and search for entries with the timestamp above"
                        " for more details",
                        "SAP_Note": "See SAP Note 1797736 for error analysis"
                        " (https://service.sap.com/sap/support/notes/1797736)",
                    },
                    "errordetails": detail,
                },
            }
        }
    )
