"""`/api/carts/{id}/checkout`, `/api/orders...`, `/api/documents/{id}`: checkout, order
history, tracking, reorder, and the state of a web document on its way to the ERP.

`AssignedAccountDep` (also used by the quote and invoice routes) is `AccountDep` plus, for
a rep acting for an account, the check that the account is still the rep's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from simulator.store import orders, reps
from simulator.store.auth import AccountDep
from simulator.store.routes import ContextDep, json_response

if TYPE_CHECKING:
    from simulator.store.auth import Principal

__all__ = ["AssignedAccountDep", "ClientKey", "DocumentNumber", "Page", "router"]

router = APIRouter(tags=["orders"])

CartId = Annotated[int, Path(ge=1, le=2**62)]
DocumentNumber = Annotated[str, Path(min_length=1, max_length=30)]
Page = Annotated[int, Query(ge=1, le=orders.MAX_PAGE)]
ClientKey = Annotated[str | None, Field(alias="idempotencyKey", min_length=8, max_length=100)]


async def _assigned(principal: AccountDep, request: Request) -> Principal:
    return reps.require_assigned(request.app.state.ctx, principal)


if TYPE_CHECKING:
    AssignedAccountDep = Annotated[Principal, Depends(_assigned)]
else:
    AssignedAccountDep = Annotated[Any, Depends(_assigned)]


class Recurrence(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    every_days: Annotated[int, Field(alias="everyDays", ge=7, le=365)]


class CheckoutBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    requested_delivery_date: Annotated[
        str, Field(alias="requestedDeliveryDate", min_length=10, max_length=10)
    ]
    recurrence: Recurrence | None = None
    # the PO number and a ship-to address (orders.check_order_header checks them)
    external_document_number: Annotated[str | None, Field(alias="externalDocumentNumber")] = None
    ship_to_name: Annotated[str | None, Field(alias="shipToName")] = None
    ship_to_address_line1: Annotated[str | None, Field(alias="shipToAddressLine1")] = None
    ship_to_address_line2: Annotated[str | None, Field(alias="shipToAddressLine2")] = None
    ship_to_post_code: Annotated[str | None, Field(alias="shipToPostCode")] = None
    ship_to_city: Annotated[str | None, Field(alias="shipToCity")] = None
    idempotency_key: ClientKey = None


HEADER_FIELDS = {
    "external_document_number",
    "ship_to_name",
    "ship_to_address_line1",
    "ship_to_address_line2",
    "ship_to_post_code",
    "ship_to_city",
}


class ReorderBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str | None, Field(min_length=1, max_length=60)] = None


@router.post(
    "/carts/{cart_id}/checkout",
    status_code=201,
    summary="Order the cart (through the outbox: accepted, or pending while the ERP is down)",
)
def checkout(
    cart_id: CartId, body: CheckoutBody, principal: AssignedAccountDep, ctx: ContextDep
) -> Response:
    recurrence = None if body.recurrence is None else {"everyDays": body.recurrence.every_days}
    header = body.model_dump(by_alias=True, include=HEADER_FIELDS, exclude_none=True)
    result = orders.checkout(
        ctx,
        principal,
        cart_id,
        requested_delivery_date=body.requested_delivery_date,
        recurrence=recurrence,
        header=header,
        client_key=body.idempotency_key,
    )
    return json_response(result, 201)


@router.get("/orders", summary="The account's orders (all channels) and web orders on their way")
def list_orders(principal: AssignedAccountDep, ctx: ContextDep, page: Page = 1) -> Response:
    return json_response(orders.list_orders(ctx, principal, page))


@router.get("/orders/{number}", summary="Track an order: lines, shipments, invoices")
def order_detail(
    number: DocumentNumber, principal: AssignedAccountDep, ctx: ContextDep
) -> Response:
    return json_response(orders.order_detail(ctx, principal, number))


@router.post(
    "/orders/{number}/reorder",
    status_code=201,
    summary="A new cart with the order's lines at today's prices, with notices",
)
def reorder(
    number: DocumentNumber,
    principal: AssignedAccountDep,
    ctx: ContextDep,
    body: ReorderBody | None = None,
) -> Response:
    name = None if body is None else body.name
    return json_response(orders.reorder(ctx, principal, number, name), 201)


@router.get("/documents/{document_id}", summary="A web document's delivery state")
def get_document(
    document_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: AssignedAccountDep,
    ctx: ContextDep,
) -> Response:
    return json_response(orders.get_document(ctx, principal, document_id))
