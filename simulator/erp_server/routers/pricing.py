"""`calculatePrice`: a customer's price for an item, unit, quantity and date, as the ERP
would put it on a sales line. It calls the shared pricing engine (`resolve_price`) over the
live database, so a price shown here and the order line the ERP creates always agree."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.routing import Route

from simulator.erp.pricing import LineRef, PriceRequest, PricingError, resolve_price
from simulator.erp_server.deps import json_response, read_json
from simulator.erp_server.live import pricing_error
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.routers.entities import _context

__all__ = ["fast_routes", "router"]

router = APIRouter(tags=["pricing"])
FIELDS = frozenset(
    {"customerNumber", "itemNumber", "unitOfMeasureCode", "quantity", "date", "currencyCode"}
)
EXAMPLE = {
    "customerNumber": "C000001",
    "itemNumber": "1000001",
    "unitOfMeasureCode": "",
    "quantity": 10,
    "date": "2026-10-01",
}


def _source(ref: LineRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {
        "priceListCode": ref.price_list_code,
        "lineNumber": ref.line_no,
        "sourceType": ref.source_type,
        "sourceNumber": ref.source_no,
    }


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 50:
        raise ODataError(
            400,
            "invalid_value",
            f"{name} is required, a text of at most 50 chars"
            if required
            else f"{name} must be a text of at most 50 chars",
        )
    return value


def parse_request(body: dict[str, Any], today: dt.date) -> PriceRequest:
    unknown = set(body) - FIELDS
    if unknown:
        raise ODataError(400, "unknown_field", f"unknown field {sorted(unknown)[0]!r}")
    quantity = body.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int | float):
        raise ODataError(400, "invalid_value", "quantity is required and must be a number")
    if not math.isfinite(quantity) or abs(quantity) > 1e12:
        raise ODataError(400, "invalid_value", "quantity is out of range")
    on = today
    date_text = _text(body, "date")
    if date_text is not None:
        try:
            on = dt.date.fromisoformat(date_text)
        except ValueError:
            raise ODataError(400, "invalid_value", "date must be YYYY-MM-DD") from None
    return PriceRequest(
        customer_no=_text(body, "customerNumber", required=True) or "",
        item_no=_text(body, "itemNumber", required=True) or "",
        quantity=float(quantity),
        on=on,
        unit_of_measure_code=_text(body, "unitOfMeasureCode") or "",
        currency_code=_text(body, "currencyCode"),
    )


async def calculate_price(request: Request) -> Response:
    """Price a sales line for a customer (Business Central's best-price rules)."""
    services, urls = _context(request)
    body = await read_json(request, services.settings.max_body_bytes)
    price_request = parse_request(body, services.gateway.mapping.now().date())
    try:
        result = resolve_price(services.store.price_data, price_request)
    except PricingError as exc:
        raise pricing_error(exc) from None
    return json_response(
        {
            "@odata.context": f"{urls.root}/$metadata#Microsoft.NAV.priceCalculation",
            "customerNumber": price_request.customer_no,
            "itemNumber": price_request.item_no,
            "quantity": price_request.quantity,
            "date": price_request.on.isoformat(),
            "unitOfMeasureCode": result.unit_of_measure_code,
            "quantityPerUnitOfMeasure": result.qty_per_unit_of_measure,
            "currencyCode": result.currency_code,
            "unitPrice": result.unit_price,
            "discountPercent": result.line_discount_pct,
            "netUnitPrice": result.net_unit_price,
            "lineAmount": result.line_amount,
            "priceSource": _source(result.price_source),
            "discountSource": _source(result.discount_source),
        }
    )


router.add_api_route(
    "/calculatePrice",
    calculate_price,
    methods=["POST"],
    summary="Price a sales line for a customer (BC best-price rules)",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": EXAMPLE}}}},
)


def fast_routes(prefix: str) -> list[Route]:
    """Served as a plain Starlette route, like the reads (see `app.py`)."""
    return [Route(prefix + "/calculatePrice", calculate_price, methods=["POST"])]
