"""`ErpClient`: a small client for the mock ERP API (and, by design, for a BC-shaped one).

It needs only `requests` and the standard library, so it can be copied into a connector.
What it does for you:

- every call carries the API key and retries with exponential backoff on 429 and 5xx and on
  connection errors, honouring ``Retry-After``; a POST is retried only when it carries an
  ``Idempotency-Key`` (every create here does), so a retry never makes a duplicate;
- `iter` follows ``@odata.nextLink`` to the end of a collection;
- `DeltaSync` reads what changed since its watermark (``lastModifiedDateTime``), without
  losing rows that change within the same second as the last one it saw;
- errors are `ErpApiError` with the OData error code and message.

Example::

    with ErpClient("http://127.0.0.1:8100", api_key="KEY") as erp:
        for item in erp.iter("items", filter="blocked eq false", select="number,unitPrice"):
            ...
        price = erp.calculate_price("C000001", "1000001", 10)
        order = erp.create_order("C000001", [("1000001", "", 10)])
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import requests

from simulator.erp_server.retrying import RetryingClient

__all__ = ["CUSTOM_SETS", "DeltaSync", "ErpApiError", "ErpClient"]

STANDARD_API = "/api/v2.0"
CUSTOM_API = "/api/erpsim/commerce/v1.0"
# The sets and operations of the custom API group (the server's list is
# `simulator.erp_server.paths`; a unit test keeps the two equal, so this file stays
# copyable on its own).
CUSTOM_SETS = frozenset(
    {
        "calculatePrice",
        "calculatePrices",
        "priceLists",
        "priceListLines",
        "campaigns",
        "customerPriceGroups",
        "itemStock",
        "inquiries",
        "returnRequests",
        "customerAssortment",
        "itemUnitsOfMeasure",
    }
)
CUSTOM_OPERATIONS = frozenset({("customerPayments", "POST")})

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class ErpApiError(Exception):
    """An error answer of the API (after retries): HTTP status, Business Central's error
    code (`code`, e.g. ``Application_DialogException``), the precise reason the server gave
    in ``error.details`` (`reason`, e.g. ``credit_limit_exceeded``; BC's code when there is
    none) and the message."""

    def __init__(self, status: int, code: str, message: str, reason: str | None = None) -> None:
        self.reason = reason or code
        super().__init__(f"{status} {code} ({self.reason}): {message}")
        self.status = status
        self.code = code
        self.message = message


class ErpClient(RetryingClient):
    """A session against one ERP API root (``http://host:port``)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        company_id: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff: float = 0.2,
        max_backoff: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        base = base.removesuffix(STANDARD_API)
        company = f"/companies({company_id})" if company_id else ""
        self.root = base + STANDARD_API + company
        self.custom_root = base + CUSTOM_API + company
        super().__init__(
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            sleep=sleep,
            session=session,
        )
        self.session.headers.update(
            {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        )

    # --- transport -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """One call with retries; returns the successful response, raises ErpApiError."""
        url = path_or_url if "://" in path_or_url else self.url_for(method, path_or_url)
        retriable = method in IDEMPOTENT_METHODS or bool(headers and "Idempotency-Key" in headers)
        return self._send(
            method,
            url,
            params=params,
            json=json,
            headers=headers,
            retriable=retriable,
            to_error=_api_error,
        )

    def url_for(self, method: str, path: str) -> str:
        """Custom sets live in the custom API group, the rest in the standard API."""
        path = path.lstrip("/")
        name = path.split("(", 1)[0].split("/", 1)[0].split("?", 1)[0]
        custom = name in CUSTOM_SETS or (name, method) in CUSTOM_OPERATIONS
        return f"{self.custom_root if custom else self.root}/{path}"

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params).json()  # type: ignore[no-any-return]

    # --- reads -----------------------------------------------------------------------------
    def get(
        self, entity_set: str, key: str, *, select: str | None = None, expand: str | None = None
    ) -> dict[str, Any]:
        """One entity by key (a GUID, or an OData key such as ``itemNumber='X',...``)."""
        return self.get_json(f"{entity_set}({key})", _options(select=select, expand=expand))

    def iter(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: str | None = None,
        orderby: str | None = None,
        expand: str | None = None,
        top: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every entity of a collection, page after page (following @odata.nextLink)."""
        params = _options(filter=filter, select=select, orderby=orderby, expand=expand, top=top)
        headers = {"Prefer": f"odata.maxpagesize={page_size}"} if page_size else None
        url: str | None = entity_set
        while url is not None:
            page = self.request("GET", url, params=params, headers=headers).json()
            yield from page["value"]
            url, params = page.get("@odata.nextLink"), None

    def count(self, entity_set: str, *, filter: str | None = None) -> int:
        page = self.get_json(entity_set, _options(filter=filter, top=0, count="true"))
        return int(page["@odata.count"])

    def delta(self, entity_set: str, since: str | None = None, **options: Any) -> DeltaSync:
        """A delta reader for one entity set, starting after `since` (None: everything)."""
        return DeltaSync(self, entity_set, since, **options)

    def clock(self) -> dict[str, Any]:
        return self.get_json("$clock")

    # --- writes ----------------------------------------------------------------------------
    def create_order(
        self,
        customer_number: str,
        lines: Sequence[tuple[str, str, float]],
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Create a sales order with (item number, unit code or '', quantity) lines. The
        idempotency key (a new UUID if not given) makes every retry return the same order."""
        return self._create(
            "salesOrders", "salesOrderLines", customer_number, lines, idempotency_key, fields
        )

    def create_quote(
        self,
        customer_number: str,
        lines: Sequence[tuple[str, str, float]],
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        return self._create(
            "salesQuotes", "salesQuoteLines", customer_number, lines, idempotency_key, fields
        )

    def _create(
        self,
        entity_set: str,
        lines_field: str,
        customer_number: str,
        lines: Sequence[tuple[str, str, float]],
        idempotency_key: str | None,
        fields: dict[str, Any],
    ) -> dict[str, Any]:
        body = {
            "customerNumber": customer_number,
            **fields,
            lines_field: [
                {"itemNumber": item, "unitOfMeasureCode": unit, "quantity": quantity}
                for item, unit, quantity in lines
            ],
        }
        key = idempotency_key or str(uuid.uuid4())
        response = self.request("POST", entity_set, json=body, headers={"Idempotency-Key": key})
        return response.json()  # type: ignore[no-any-return]

    def make_order(self, quote_id: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        key = idempotency_key or str(uuid.uuid4())
        response = self.request(
            "POST",
            f"salesQuotes({quote_id})/Microsoft.NAV.makeOrder",
            # BC answers 204; this server returns the order when asked for it
            headers={"Idempotency-Key": key, "Prefer": "return=representation"},
        )
        return response.json()  # type: ignore[no-any-return]

    def release_order(self, order_id: str) -> None:
        # Releasing twice is harmless, so the action may be retried.
        self.request(
            "POST",
            f"salesOrders({order_id})/Microsoft.NAV.release",
            headers={"Idempotency-Key": "release"},
        )

    def update(
        self, entity_set: str, key: str, etag: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """PATCH with If-Match: raises ErpApiError 412 if someone changed it since `etag`."""
        response = self.request(
            "PATCH", f"{entity_set}({key})", json=changes, headers={"If-Match": etag}
        )
        return response.json()  # type: ignore[no-any-return]

    def calculate_price(
        self,
        customer_number: str,
        item_number: str,
        quantity: float,
        *,
        unit: str = "",
        date: str | None = None,
        currency_code: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "customerNumber": customer_number,
            "itemNumber": item_number,
            "quantity": quantity,
            "unitOfMeasureCode": unit,
        }
        if date is not None:
            body["date"] = date
        if currency_code is not None:
            body["currencyCode"] = currency_code
        # Pricing changes nothing: safe to retry, so it gets a key like the creates.
        response = self.request(
            "POST", "calculatePrice", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        return response.json()  # type: ignore[no-any-return]


class DeltaSync:
    """Reads rows changed since a watermark, oldest first, and moves the watermark.

    It asks for ``lastModifiedDateTime ge <watermark>`` and skips the rows it already
    returned at exactly the watermark second, so a row written later within that same
    second is not lost (``gt`` would miss it)."""

    def __init__(
        self, client: ErpClient, entity_set: str, since: str | None, **options: Any
    ) -> None:
        self.client = client
        self.entity_set = entity_set
        self.watermark = since
        self.options = options
        self._seen_at_watermark: set[str] = set()

    def changes(self) -> Iterator[dict[str, Any]]:
        condition = None if self.watermark is None else f"lastModifiedDateTime ge {self.watermark}"
        extra = self.options.get("filter")
        text = " and ".join(f"({c})" for c in (condition, extra) if c) or None
        options = {k: v for k, v in self.options.items() if k != "filter"}
        for row in self.client.iter(
            self.entity_set, filter=text, orderby="lastModifiedDateTime", **options
        ):
            stamp = row["lastModifiedDateTime"]
            ident = row.get("@odata.etag", "") + "|" + str(row.get("id") or row)
            if stamp == self.watermark and ident in self._seen_at_watermark:
                continue
            if stamp != self.watermark:
                self.watermark, self._seen_at_watermark = stamp, set()
            self._seen_at_watermark.add(ident)
            yield row


def _options(**options: Any) -> dict[str, Any]:
    return {f"${name}": value for name, value in options.items() if value is not None}


def _api_error(response: requests.Response) -> ErpApiError:
    reason = None
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        details = error.get("details")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            reason = str(details[0].get("code", code))
            message = str(details[0].get("message", message))
    except (ValueError, KeyError, TypeError, AttributeError):
        code, message = "http_error", response.text[:200]
    finally:
        response.close()
    return ErpApiError(response.status_code, code, message, reason)
