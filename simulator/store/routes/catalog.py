"""`/api/categories`, `/api/items`, `/api/items/{no}`: the account's catalog with offers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from simulator.store import catalog
from simulator.store.routes import ContextDep, json_response
from simulator.store.routes.orders import AssignedAccountDep

__all__ = ["router"]

router = APIRouter(tags=["catalog"])

Code = Annotated[str, Query(min_length=1, max_length=50, pattern=r"^[\w.\- ]+$")]


@router.get("/categories", summary="The account's assortment categories, with item counts")
def get_categories(principal: AssignedAccountDep, ctx: ContextDep) -> Response:
    return json_response(catalog.categories(ctx, principal))


@router.get("/items", summary="A page of the account's items, with net prices and stock")
def list_items(
    principal: AssignedAccountDep,
    ctx: ContextDep,
    category: Code | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int | None, Query(alias="pageSize", ge=1, le=100)] = None,
) -> Response:
    text = q.strip() if q else None
    return json_response(
        catalog.item_page(
            ctx,
            principal,
            category=category,
            q=text or None,
            page=page,
            page_size=page_size or ctx.settings.page_size,
        )
    )


@router.get("/items/{number}", summary="One item: units of measure, net price, stock")
def get_item(
    principal: AssignedAccountDep,
    ctx: ContextDep,
    number: Annotated[str, Path(min_length=1, max_length=50)],
) -> Response:
    return json_response(catalog.item_detail(ctx, principal, number))
