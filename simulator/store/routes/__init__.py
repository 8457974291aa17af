"""The store's JSON API routers, one module per resource; `app.create_app` includes them.

`json_response` is the one way handlers answer (orjson, no pydantic response models: the
catalog page is the hot path); `context` is the `StoreContext` dependency."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response

if TYPE_CHECKING:
    from simulator.store.app import StoreContext

__all__ = ["ContextDep", "json_response"]

JSON_TYPE = "application/json"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status,
        media_type=JSON_TYPE,
        headers=headers,
    )


async def _context(request: Request) -> StoreContext:
    # async: FastAPI would run a plain function in its thread pool, on every request
    return request.app.state.ctx  # type: ignore[no-any-return]


if TYPE_CHECKING:
    ContextDep = Annotated[StoreContext, Depends(_context)]
else:  # the real class would be a circular import (app.py includes these routers)
    ContextDep = Annotated[Any, Depends(_context)]
