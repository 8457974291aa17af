"""`/_admin`: change fault injection at run time, see webhook delivery figures.

Key-protected like the API, never faulted itself. With several workers the settings go to
the writer process and every worker picks them up within its sync interval."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from simulator.erp_server.deps import Services, ServicesDep, json_response, read_json
from simulator.erp_server.faults import FaultSettings
from simulator.erp_server.odata.errors import ODataError

__all__ = ["router"]

router = APIRouter(prefix="/_admin", tags=["admin"])


def _shown(settings: FaultSettings, effective_at: float) -> dict[str, Any]:
    return {
        **settings.model_dump(mode="json"),
        "effectiveFor": round(time.time() - effective_at, 3),
    }


@router.get("/faults", summary="Current fault settings")
async def get_faults(services: ServicesDep) -> Response:
    settings, effective_at, _ = await services.gateway.call("get_faults")
    return json_response(_shown(settings, effective_at))


async def _store(services: Services, data: dict[str, Any]) -> Response:
    try:
        settings = FaultSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(body)"
        raise ODataError(400, "invalid_faults", f"{where}: {first['msg']}") from None
    settings, effective_at, _ = await services.gateway.call("set_faults", settings)
    services.injector.apply(settings, effective_at)
    return json_response(_shown(settings, effective_at))


@router.put("/faults", summary="Replace the fault settings (outage windows restart now)")
async def put_faults(request: Request, services: ServicesDep) -> Response:
    return await _store(services, await read_json(request, services.settings.max_body_bytes))


@router.patch("/faults", summary="Change some fault settings (outage windows restart now)")
async def patch_faults(request: Request, services: ServicesDep) -> Response:
    body = await read_json(request, services.settings.max_body_bytes)
    current, _, _ = await services.gateway.call("get_faults")
    return await _store(services, {**current.model_dump(mode="json"), **body})


@router.get("/webhooks", summary="Webhook delivery figures")
async def webhook_stats(services: ServicesDep) -> Response:
    return json_response(await services.gateway.call("webhook_stats"))
