"""`SapClient`: what a connector needs to talk to SAP S/4HANA's A2X OData V2 services.

It needs only `requests`, and speaks V2 as SAP Gateway does:

- Basic authentication (the communication user and its password; here the password is the
  ERP's API key) and ``sap-client`` on every call;
- before a write it fetches a CSRF token (``x-csrf-token: Fetch`` on a GET of the service
  root, keeping the session cookie), sends it back, and when Gateway answers 403 with
  ``x-csrf-token: Required`` (the token expired) fetches a new one and tries once more;
- creates carry ``Repeatability-Request-ID`` (a UUID; the outbox derives it from its own
  key) and ``Repeatability-First-Sent``, SAP's idempotent-request headers, so a retried
  create answers the first one's document instead of making a second;
- `iter` follows ``d.__next`` to the end of a collection;
- SAP's error body (``error.code``, ``error.message.value``, ``innererror.errordetails``)
  becomes the store's `ErpApiError`: code = SAP's message class and number, reason = the
  store's name for a sales-document refusal it acts on (`REASONS`: ``item_blocked``,
  ``credit_limit_exceeded``...), else the first detail's code.

Reads and idempotent creates are retried on 429, 5xx and connection errors with exponential
backoff, honouring ``Retry-After``; with ``max_attempts=1`` a call is tried once (a buyer is
waiting).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import requests

from simulator.erp_server.client import ErpApiError
from simulator.erp_server.retrying import RetryingClient

__all__ = [
    "SAP_ROOT",
    "SapClient",
    "request_id",
    "sap_error",
    "v2_date",
    "v2_date_value",
    "v2_number",
    "v2_quoted",
    "v2_results",
]

SAP_ROOT = "/sap/opu/odata/sap"
BC_API = "/api/v2.0"  # an ERP URL given as its Business Central root serves SAP beside it
# SAP's sales-document messages (class V1) that name a refusal the store acts on, as the
# store's own reasons (those the Business Central flavor's errors carry): a blocked item
# marks its offer, a refused order tells the buyer why.
REASONS = {
    "V1/302": "customer_not_found",
    "V1/462": "customer_blocked",
    "V1/392": "item_not_found",
    "V1/028": "item_blocked",
    "V1/093": "unit_not_defined",
    "V1/201": "no_exchange_rate",
    "V1/154": "credit_limit_exceeded",
}
REQUEST_IDS = uuid.UUID("5a9c3f0e-2f4b-4e4b-9a57-4e7270736170")  # namespace of our UUIDs


def request_id(key: str) -> str:
    """The Repeatability-Request-ID for an idempotency key: the same key, the same UUID."""
    return str(uuid.uuid5(REQUEST_IDS, key)).upper().replace("-", "")


class SapClient(RetryingClient):
    """A session against one S/4HANA host (``http://host:port``), for every A2X service."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        user: str = "ERPSIM_STORE",
        sap_client: str = "100",
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff: float = 0.2,
        max_backoff: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        base = base_url.rstrip("/").removesuffix(SAP_ROOT).removesuffix(BC_API)
        self.root = base + SAP_ROOT
        self.sap_client = sap_client
        super().__init__(
            timeout=timeout,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            sleep=sleep,
            session=session,
        )
        self.token_fetches = 0  # CSRF tokens fetched (tests look at it)
        self.session.auth = (user, api_key)
        self.session.headers.update({"Accept": "application/json"})
        self._tokens: dict[str, str] = {}  # per service

    def url(self, service: str, path: str = "") -> str:
        return f"{self.root}/{service}/{path.lstrip('/')}"

    # --- transport -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        retriable: bool | None = None,
    ) -> requests.Response:
        """One call with retries (GETs, and writes marked `retriable`); raises ErpApiError."""
        params = {"sap-client": self.sap_client, **(params or {})}
        if "sap-client=" in url:
            params.pop("sap-client")
        may_retry = method == "GET" if retriable is None else retriable
        return self._send(
            method,
            url,
            params=params,
            json=json,
            headers=headers,
            retriable=may_retry,
            to_error=sap_error,
        )

    def token(self, service: str, *, fresh: bool = False) -> str:
        """The service's CSRF token (fetched once, again when `fresh`)."""
        if fresh or service not in self._tokens:
            response = self.request("GET", self.url(service), headers={"x-csrf-token": "Fetch"})
            response.close()
            self.token_fetches += 1
            self._tokens[service] = response.headers.get("x-csrf-token", "")
        return self._tokens[service]

    def write(
        self,
        method: str,
        service: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        retriable: bool = False,
    ) -> requests.Response:
        """A write with the CSRF token; a 403 'Required' (expired token) fetches a new one
        and tries once more."""
        url = self.url(service, path)
        for fresh in (False, True):
            sent = {**(headers or {}), "x-csrf-token": self.token(service, fresh=fresh)}
            try:
                return self.request(method, url, json=json, headers=sent, retriable=retriable)
            except ErpApiError as exc:
                if fresh or exc.status != 403 or exc.code != "csrf_required":
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # --- reads -----------------------------------------------------------------------------
    def get(self, service: str, path: str, **options: Any) -> dict[str, Any]:
        """One entity (``d``) or one page (``d`` with ``results``) as JSON."""
        response = self.request("GET", self.url(service, path), params=_options(options))
        return response.json()["d"]  # type: ignore[no-any-return]

    def iter(self, service: str, entity_set: str, **options: Any) -> Iterator[dict[str, Any]]:
        """Every entity of a collection, page after page (following ``__next``)."""
        url: str | None = self.url(service, entity_set)
        params: dict[str, Any] | None = _options(options)
        while url is not None:
            page = self.request("GET", url, params=params).json()["d"]
            yield from page["results"]
            url, params = page.get("__next"), None

    def page(
        self, service: str, entity_set: str, **options: Any
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page and, with ``inlinecount='allpages'``, the collection's size."""
        data = self.get(service, entity_set, **options)
        count = data.get("__count")
        return list(data["results"]), None if count is None else int(count)

    # --- writes ----------------------------------------------------------------------------
    def create(
        self,
        service: str,
        entity_set: str,
        body: dict[str, Any],
        *,
        key: str | None = None,
        first_sent: float | None = None,
    ) -> dict[str, Any]:
        """POST an entity (a deep insert when `body` has navigation arrays). With `key` the
        create is idempotent (Repeatability-Request-ID) and therefore retried; `first_sent`
        (epoch seconds, default now) is when the request was first made, the same on
        every repetition."""
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Repeatability-Request-ID"] = request_id(key)
            headers["Repeatability-First-Sent"] = email.utils.formatdate(first_sent, usegmt=True)
        response = self.write(
            "POST", service, entity_set, json=body, headers=headers, retriable=key is not None
        )
        return response.json()["d"]  # type: ignore[no-any-return]


def _options(options: dict[str, Any]) -> dict[str, Any]:
    return {f"${name}": value for name, value in options.items() if value is not None}


def sap_error(response: requests.Response) -> ErpApiError:
    """SAP Gateway's error body as an ErpApiError: code = the message class/number (or
    ``csrf_required`` for an expired token), reason = the first detail's code."""
    reason = None
    try:
        if response.status_code == 403 and (
            response.headers.get("x-csrf-token", "").lower() == "required"
        ):
            return ErpApiError(403, "csrf_required", "CSRF token validation failed")
        error = response.json()["error"]
        code = str(error["code"])
        message = error["message"]
        message = str(message["value"] if isinstance(message, dict) else message)
        details = (error.get("innererror") or {}).get("errordetails") or []
        if details and isinstance(details[0], dict):
            reason = str(details[0].get("code") or code)
            message = str(details[0].get("message") or message)
        reason = REASONS.get(reason or code, reason)
    except (ValueError, KeyError, TypeError, AttributeError):
        code, message = "http_error", response.text[:200]
    finally:
        response.close()
    return ErpApiError(response.status_code, code, message, reason)


# --- V2 values ----------------------------------------------------------------------------

_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")


def v2_date(value: Any) -> str | None:
    """``/Date(ms)/`` (or an ISO text) as an ISO date; None for SAP's initial date."""
    if not value:
        return None
    found = _DATE.fullmatch(str(value))
    if found is None:
        return str(value)[:10]
    moment = dt.datetime.fromtimestamp(int(found.group(1)) / 1000, dt.UTC)
    return moment.date().isoformat()


def v2_date_value(iso: str) -> str:
    """An ISO date as an Edm.DateTime of a request body (``/Date(ms)/``, midnight UTC)."""
    day = dt.date.fromisoformat(iso)
    ms = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)
    return f"/Date({ms})/"


def v2_number(value: Any) -> float:
    """An Edm.Decimal (a string in V2 JSON) as a float; SAP's initial value is 0."""
    return float(Decimal(str(value or 0)))


def v2_results(value: Any) -> list[dict[str, Any]]:
    """A V2 navigation's entities (``{"results": [...]}`` or a bare list)."""
    if isinstance(value, dict):
        value = value.get("results", [])
    return list(value or [])


def v2_quoted(value: str) -> str:
    """A string inside a V2 literal (``'...'``): quotes doubled."""
    return value.replace("'", "''")
