"""Webhook subscriptions, Business Central style: create (with the validationToken
handshake), list, read, renew (PATCH, handshake again), delete."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from simulator.erp_server.deps import ServicesDep, UrlsDep, json_response, read_json
from simulator.erp_server.odata.errors import ODataError
from simulator.erp_server.webhooks import check_url, handshake, parse_resource

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])


def _subscription_id(key: str) -> str:
    text = key.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1]
    if not text.isalnum() or len(text) > 64:
        raise ODataError(400, "invalid_key", f"subscriptions: bad key {key!r}")
    return text


def _text(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise ODataError(400, "invalid_value", f"{name} must be a text of 1-2048 chars")
    return value


@router.post("/subscriptions", status_code=201, summary="Subscribe to changes of an entity set")
async def subscribe(request: Request, services: ServicesDep, urls: UrlsDep) -> Response:
    body = await read_json(request, services.settings.max_body_bytes)
    unknown = set(body) - {"notificationUrl", "resource", "clientState"}
    if unknown:
        raise ODataError(400, "unknown_field", f"unknown field {sorted(unknown)[0]!r}")
    url = _text(body, "notificationUrl", required=True) or ""
    resource = _text(body, "resource", required=True) or ""
    state = _text(body, "clientState", required=False) or ""
    check_url(url)
    parse_resource(resource, services.company_id)
    settings = services.settings
    if settings.webhook_handshake:
        await asyncio.to_thread(handshake, url, settings.webhook_timeout)
    created = await services.gateway.call("subscribe", url, resource, state)
    return json_response({"@odata.context": urls.context("subscriptions/$entity"), **created}, 201)


@router.get("/subscriptions", summary="List subscriptions")
async def list_subscriptions(services: ServicesDep, urls: UrlsDep) -> Response:
    value = await services.gateway.call("subscription", "list", "")
    return json_response({"@odata.context": urls.context("subscriptions"), "value": value})


@router.get("/subscriptions({key})", summary="Read a subscription")
async def read_subscription(key: str, services: ServicesDep, urls: UrlsDep) -> Response:
    found = await services.gateway.call("subscription", "get", _subscription_id(key))
    return json_response({"@odata.context": urls.context("subscriptions/$entity"), **found})


@router.patch("/subscriptions({key})", summary="Renew a subscription (three more days)")
async def renew_subscription(
    key: str, request: Request, services: ServicesDep, urls: UrlsDep
) -> Response:
    subscription_id = _subscription_id(key)
    body = await read_json(request, services.settings.max_body_bytes)
    unknown = (
        set(body)
        - {"notificationUrl", "clientState", "resource"}
        - {k for k in body if k.startswith("@")}
    )
    if unknown:
        raise ODataError(400, "unknown_field", f"unknown field {sorted(unknown)[0]!r}")
    changes = {
        name: value
        for name in ("notificationUrl", "clientState")
        if (value := _text(body, name, required=False)) is not None
    }
    current = await services.gateway.call("subscription", "get", subscription_id)
    settings = services.settings
    if settings.webhook_handshake:
        url = changes.get("notificationUrl", current["notificationUrl"])
        check_url(url)
        await asyncio.to_thread(handshake, url, settings.webhook_timeout)
    renewed = await services.gateway.call("subscription", "renew", subscription_id, changes)
    return json_response({"@odata.context": urls.context("subscriptions/$entity"), **renewed})


@router.delete("/subscriptions({key})", status_code=204, summary="Delete a subscription")
async def delete_subscription(key: str, services: ServicesDep) -> Response:
    await services.gateway.call("subscription", "delete", _subscription_id(key))
    return Response(status_code=204, headers={"OData-Version": "4.0"})
