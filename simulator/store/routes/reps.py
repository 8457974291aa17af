"""`/api/rep/...`: a sales rep's assigned accounts and acting for one of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from simulator.store import reps
from simulator.store.auth import PrincipalDep
from simulator.store.routes import ContextDep, json_response
from simulator.store.routes.orders import Page

__all__ = ["router"]

router = APIRouter(tags=["sales reps"])


class ActAsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    customer_number: Annotated[str, Field(alias="customerNumber", min_length=1, max_length=30)]


@router.get("/rep/accounts", summary="The rep's assigned accounts")
def list_accounts(
    principal: PrincipalDep,
    ctx: ContextDep,
    q: Annotated[str | None, Query(max_length=40)] = None,
    page: Page = 1,
) -> Response:
    return json_response(reps.list_accounts(ctx, principal, q=q, page=page))


@router.post("/rep/act-as", summary="Act for one of the rep's accounts (audited)")
def act_as(body: ActAsBody, principal: PrincipalDep, ctx: ContextDep) -> Response:
    return json_response(reps.act_as(ctx, principal, body.customer_number))


@router.delete("/rep/act-as", summary="Stop acting for an account")
def stop_acting(principal: PrincipalDep, ctx: ContextDep) -> Response:
    return json_response(reps.stop_acting(ctx, principal))
