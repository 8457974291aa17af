"""The ERP-connector persona's SAP mode (``--erpsim-erp-flavor sap``): the same journey as
on Business Central, spoken as an SAP S/4HANA connector speaks OData V2.

One journey: delta reads of ``A_Product`` and ``A_SalesOrder`` by
``LastChangeDateTime gt datetimeoffset'...'`` (following ``__next``, at most `MAX_PAGES`
pages a read, so a journey stays bounded), an ``A_SalesOrderSimulation`` pricing a page of
one customer's items, and a sales order created by deep insert with its items, once, by
``Repeatability-Request-ID`` (a share of them is sent again, as after a lost answer: SAP
must answer the same sales order). Writes carry the CSRF token fetched at the start; a 403
``x-csrf-token: Required`` fetches a new one and the write is tried once more.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import re
import urllib.parse
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

__all__ = ["SapConnector", "v2_watermark"]

ROOT = "/sap/opu/odata/sap"
PRODUCTS = "API_PRODUCT_SRV"
ORDERS = "API_SALES_ORDER_SRV"
SIMULATION = "API_SALES_ORDER_SIMULATION_SRV"
SALES_AREA = {
    "SalesOrganization": "1010",
    "DistributionChannel": "10",
    "OrganizationDivision": "00",
}
MAX_PAGES = 3
SALES_CHECKS = ("V1/",)  # SAP's message class of sales document checks (credit, blocks)
_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")


def v2_watermark(value: str) -> str | None:
    """``/Date(ms+0000)/`` as the ``datetimeoffset'...'`` text of a V2 filter (whole seconds,
    rounded down: ``gt`` then re-reads the rest of that second, it never skips it)."""
    found = _DATE.fullmatch(value or "")
    if found is None:
        return None
    moment = dt.datetime.fromtimestamp(int(found.group(1)) // 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SapConnector:
    """What one connector user holds: its session's CSRF tokens and delta watermarks.
    `client` is the Locust user's HTTP client (absolute URLs to the ERP)."""

    def __init__(self, client: Any, erp_url: str, api_key: str, since: str) -> None:
        self.client = client
        self.root = erp_url.rstrip("/") + ROOT
        credentials = base64.b64encode(f"ERPSIM_LOAD:{api_key}".encode()).decode()
        self.headers = {"Authorization": f"Basic {credentials}", "Accept": "application/json"}
        self.tokens: dict[str, str] = {}
        self.watermarks = {"A_Product": since, "A_SalesOrder": since}

    def url(self, service: str, path: str = "", **query: str) -> str:
        text = urllib.parse.urlencode({"sap-client": "100", **query})
        return f"{self.root}/{service}/{path}?{text}"

    def token(self, service: str) -> str:
        """The service's CSRF token (``x-csrf-token: Fetch`` on its service document)."""
        if service not in self.tokens:
            response = self.client.get(
                self.url(service),
                headers={**self.headers, "x-csrf-token": "Fetch"},
                name=f"[sap] {service}/ (csrf fetch)",
            )
            self.tokens[service] = response.headers.get("x-csrf-token", "") or ""
        return self.tokens[service]

    def delta(self, service: str, entity_set: str, key: str) -> int:
        """Rows changed after the watermark (at most `MAX_PAGES` pages); moves it."""
        url: str | None = self.url(
            service,
            entity_set,
            **{
                "$filter": f"LastChangeDateTime gt datetimeoffset'{self.watermarks[entity_set]}'",
                "$orderby": "LastChangeDateTime",
                "$select": f"{key},LastChangeDateTime",
            },
        )
        rows = 0
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self.client.get(
                url, headers=self.headers, name=f"[sap] {service}/{entity_set}?delta"
            )
            if response.status_code != 200:
                break
            page = orjson.loads(response.content)["d"]
            results = page.get("results", [])
            rows += len(results)
            if results:
                mark = v2_watermark(results[-1].get("LastChangeDateTime") or "")
                if mark is not None and mark > self.watermarks[entity_set]:
                    self.watermarks[entity_set] = mark
            url = page.get("__next")
            if url is not None and "sap-client=" not in url:
                url += ("&" if "?" in url else "?") + "sap-client=100"
        return rows

    def post(
        self,
        service: str,
        entity_set: str,
        body: dict[str, Any],
        headers: dict[str, str],
        refusals: tuple[str, ...] = (),
    ) -> Any:
        """A write with the CSRF token, fetched again once after a 403 'Required'. A 4xx
        whose SAP message code starts with one of `refusals` is a business answer (the
        ERP refusing the document, e.g. over the credit limit), not a failed request."""
        for attempt in (1, 2):
            sent = {
                **self.headers,
                **headers,
                "Content-Type": "application/json",
                "x-csrf-token": self.token(service),
            }
            with self.client.post(
                self.url(service, entity_set),
                data=orjson.dumps(body),
                headers=sent,
                name=f"[sap] {service}/{entity_set}",
                catch_response=True,
            ) as response:
                required = response.headers.get("x-csrf-token", "").lower() == "required"
                if response.status_code == 403 and required and attempt == 1:
                    response.success()  # an expired token is routine: fetch and retry
                    self.tokens.pop(service, None)
                    continue
                status = response.status_code
                if status >= 400:
                    refused = status < 500 and bool(refusals)
                    if refused and _code(response).startswith(refusals):
                        response.success()
                    else:
                        response.failure(f"{status} {response.text[:200]}")
                return response
        return None

    def simulate(self, customer: str, lines: Sequence[tuple[str, str, float]]) -> Any:
        """Price the lines for the customer (SAP's order simulation, nothing is saved)."""
        return self.post(SIMULATION, "A_SalesOrderSimulation", _order(customer, lines), {})

    def create_order(
        self, customer: str, lines: Sequence[tuple[str, str, float]], key: str, sent: float
    ) -> Any:
        """A sales order with its items, made once however often it is sent (`sent`: when
        it was first sent, epoch seconds)."""
        body = {**_order(customer, lines), "PurchaseOrderByCustomer": key[-35:]}
        return self.post(ORDERS, "A_SalesOrder", body, _repeatable(key, sent), SALES_CHECKS)

    def replay_order(
        self, customer: str, lines: Sequence[tuple[str, str, float]], key: str, sent: float,
        number: str,
    ) -> bool:  # fmt: skip
        """Send a created order again, as after a lost answer: SAP must answer the same
        sales order (and make none); anything else is a failed request."""
        body = {**_order(customer, lines), "PurchaseOrderByCustomer": key[-35:]}
        headers = {
            **self.headers,
            **_repeatable(key, sent),
            "Content-Type": "application/json",
            "x-csrf-token": self.token(ORDERS),
        }
        with self.client.post(
            self.url(ORDERS, "A_SalesOrder"),
            data=orjson.dumps(body),
            headers=headers,
            name=f"[sap] {ORDERS}/A_SalesOrder [replay]",
            catch_response=True,
        ) as response:
            answered = _sales_order(response) if response.status_code in (200, 201) else None
            if answered == number:
                response.success()
                return True
            response.failure(f"replay answered {response.status_code} {answered!r}, not {number}")
            return False


def _repeatable(key: str, sent: float) -> dict[str, str]:
    """SAP's exactly-once headers: the same key and first-sent time on every repetition."""
    return {
        "Repeatability-Request-ID": uuid.uuid5(uuid.NAMESPACE_URL, key).hex.upper(),
        "Repeatability-First-Sent": email.utils.formatdate(sent, usegmt=True),
    }


def _sales_order(response: Any) -> str | None:
    try:
        return str(orjson.loads(response.content)["d"]["SalesOrder"])
    except (ValueError, KeyError, TypeError):
        return None


def _code(response: Any) -> str:
    """The SAP message code of an error answer ('' when it has none)."""
    try:
        return str(orjson.loads(response.content)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def _order(customer: str, lines: Sequence[tuple[str, str, float]]) -> dict[str, Any]:
    """Header and items; the test data's lines are in the base unit (unit ''), which SAP
    takes when no unit is given."""
    return {
        "SalesOrderType": "OR",
        **SALES_AREA,
        "SoldToParty": customer,
        "to_Item": [
            {
                "SalesOrderItem": str(10 * (position + 1)),
                "Material": item,
                "RequestedQuantity": f"{quantity:g}",
            }
            for position, (item, _unit, quantity) in enumerate(lines)
        ],
    }
