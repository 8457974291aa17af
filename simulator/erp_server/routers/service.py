"""The service document, `$metadata` (CSDL), the live clock, and a health probe."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from simulator.erp_server.deps import ServicesDep, UrlsDep, json_response
from simulator.erp_server.entities import ENTITY_SETS
from simulator.erp_server.paths import CUSTOM_SETS, is_custom_root

__all__ = ["health_router", "router"]

router = APIRouter(tags=["service"])
health_router = APIRouter(tags=["service"])


@router.get("/", summary="Service document: the entity sets of this API (standard or custom)")
async def service_document(urls: UrlsDep) -> Response:
    custom = is_custom_root(urls.root)
    sets = [name for name in ENTITY_SETS if (name in CUSTOM_SETS) == custom]
    if not urls.prefix:
        sets.insert(0, "companies")
    return json_response(
        {
            "@odata.context": f"{urls.root}/$metadata",
            "value": [{"name": name, "kind": "EntitySet", "url": name} for name in sets],
        }
    )


@router.get("/$metadata", summary="OData CSDL metadata (XML)")
async def metadata(services: ServicesDep) -> Response:
    return Response(
        services.metadata, media_type="application/xml", headers={"OData-Version": "4.0"}
    )


@router.get("/$clock", summary="The live clock: simulated now, speed, how far the world ran")
async def clock(services: ServicesDep) -> Response:
    state = await services.gateway.call("clock_state")
    return json_response(state)


@health_router.get("/health", summary="Liveness (no key, no faults)")
async def health() -> Response:
    return json_response({"status": "ok"})
