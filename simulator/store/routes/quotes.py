"""`/api/carts/{id}/quote`, `/api/quotes...`: request a quote, read quotes, accept one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from simulator.store import quotes
from simulator.store.routes import ContextDep, json_response
from simulator.store.routes.orders import AssignedAccountDep, ClientKey, DocumentNumber, Page

__all__ = ["router"]

router = APIRouter(tags=["quotes"])


class KeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    idempotency_key: ClientKey = None


@router.post("/carts/{cart_id}/quote", status_code=201, summary="Ask the ERP for a quote")
def request_quote(
    cart_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: AssignedAccountDep,
    ctx: ContextDep,
    body: KeyBody | None = None,
) -> Response:
    key = None if body is None else body.idempotency_key
    return json_response(quotes.request_quote(ctx, principal, cart_id, client_key=key), 201)


@router.get("/quotes", summary="The account's quotes (all channels) and requests on their way")
def list_quotes(principal: AssignedAccountDep, ctx: ContextDep, page: Page = 1) -> Response:
    return json_response(quotes.list_quotes(ctx, principal, page))


@router.get("/quotes/{number}", summary="A quote with its lines")
def quote_detail(
    number: DocumentNumber, principal: AssignedAccountDep, ctx: ContextDep
) -> Response:
    return json_response(quotes.quote_detail(ctx, principal, number))


@router.post(
    "/quotes/{number}/accept", status_code=201, summary="Accept a quote: an order at its prices"
)
def accept_quote(
    number: DocumentNumber,
    principal: AssignedAccountDep,
    ctx: ContextDep,
    body: KeyBody | None = None,
) -> Response:
    key = None if body is None else body.idempotency_key
    return json_response(quotes.accept_quote(ctx, principal, number, client_key=key), 201)
