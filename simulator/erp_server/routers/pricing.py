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

from simulator.erp.pricing import (
    LineRef,
    PriceRequest,
    PriceResult,
    PricingError,
    price_with_breaks,
    resolve_price,
)
from simulator.erp_server.deps import json_response, read_json
from simulator.erp_server.live import pricing_error
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.routers.entities import _context

__all__ = ["fast_routes", "router"]

MAX_BATCH_LINES = 500
BATCH_FIELDS = frozenset({"customerNumber", "date", "currencyCode", "lines"})
BATCH_LINE_FIELDS = frozenset({"itemNumber", "unitOfMeasureCode", "quantity"})

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
            **_result_fields(result),
        }
    )


def _result_fields(result: PriceResult) -> dict[str, Any]:
    """A priced line as both price calls answer it."""
    return {
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


async def calculate_prices(request: Request) -> Response:
    """Price many lines of one customer in one call, with each line's quantity breaks and
    the stock available at the customer's shipping location: what a store needs for a
    catalog page or a cart (one round trip, not one per item). A line the ERP cannot price
    (unknown or blocked item, unit not defined) carries an `error` instead of failing the
    whole call; an unknown or blocked customer fails it."""
    services, urls = _context(request)
    body = await read_json(request, services.settings.max_body_bytes)
    unknown = set(body) - BATCH_FIELDS
    if unknown:
        raise ODataError(400, "unknown_field", f"unknown field {sorted(unknown)[0]!r}")
    lines = body.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_BATCH_LINES:
        raise ODataError(
            400, "invalid_value", f"lines must be a list of 1 to {MAX_BATCH_LINES} lines"
        )
    today = services.gateway.mapping.now().date()
    header = {k: body[k] for k in ("customerNumber", "date", "currencyCode") if k in body}
    requests = []
    for position, line in enumerate(lines):
        if not isinstance(line, dict):
            raise ODataError(400, "invalid_value", f"lines[{position}] must be an object")
        extra = set(line) - BATCH_LINE_FIELDS
        if extra:
            raise ODataError(
                400, "unknown_field", f"lines[{position}]: unknown field {sorted(extra)[0]!r}"
            )
        requests.append(parse_request({**header, **line}, today))
    data = services.store.price_data
    customer = data.customer(requests[0].customer_no)
    if customer is None:
        raise ODataError(400, "customer_not_found", f"no customer {requests[0].customer_no!r}")
    if customer.blocked == "All":
        raise ODataError(422, "customer_blocked", f"customer {customer.no!r} is blocked for all")
    location = services.store.conn.execute(
        "SELECT location_code FROM customers WHERE no = ?", (customer.no,)
    ).fetchone()[0]
    value = [_priced_line(services, data, price_request, location) for price_request in requests]
    return json_response(
        {
            "@odata.context": f"{urls.root}/$metadata#Collection(Microsoft.NAV.priceCalculation)",
            "customerNumber": customer.no,
            "date": requests[0].on.isoformat(),
            "locationCode": location,
            "value": value,
        }
    )


def _priced_line(
    services: Any, data: Any, price_request: PriceRequest, location: str
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "itemNumber": price_request.item_no,
        "quantity": price_request.quantity,
    }
    stock = services.store.conn.execute(
        "SELECT inventory FROM item_stock WHERE item_no = ? AND location_code = ?",
        (price_request.item_no, location),
    ).fetchone()
    try:
        result, breaks = price_with_breaks(data, price_request)
    except PricingError as exc:
        return {
            **line,
            "unitOfMeasureCode": price_request.unit_of_measure_code,
            "availableQuantity": stock[0] if stock else None,
            "error": {"code": exc.code, "message": str(exc)},
        }
    return {
        **line,
        **_result_fields(result),
        "quantityBreaks": [
            {"minimumQuantity": quantity, "netUnitPrice": found.net_unit_price}
            for quantity, found in breaks
        ],
        "availableQuantity": stock[0] if stock else 0.0,
        "error": None,
    }


router.add_api_route(
    "/calculatePrices",
    calculate_prices,
    methods=["POST"],
    summary="Price many lines of one customer at once, with quantity breaks and stock",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "customerNumber": "C000001",
                        "lines": [
                            {"itemNumber": "1000001", "quantity": 1},
                            {"itemNumber": "1000002", "unitOfMeasureCode": "", "quantity": 12},
                        ],
                    }
                }
            }
        }
    },
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
    return [
        Route(prefix + "/calculatePrice", calculate_price, methods=["POST"]),
        Route(prefix + "/calculatePrices", calculate_prices, methods=["POST"]),
    ]
