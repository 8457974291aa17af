"""`/api/carts...`: the buyer's saved carts and their lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from simulator.store import carts
from simulator.store.routes import ContextDep, json_response
from simulator.store.routes.orders import AssignedAccountDep

__all__ = ["router"]

router = APIRouter(tags=["carts"])

CartId = Annotated[int, Path(ge=1, le=2**62)]
ItemNo = Annotated[str, Field(min_length=1, max_length=50)]


class NewCart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=carts.MAX_NAME)] = carts.DEFAULT_NAME


class CartLineBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    item_number: Annotated[ItemNo, Field(alias="itemNumber")]
    unit_of_measure_code: Annotated[str, Field(alias="unitOfMeasureCode", max_length=20)] = ""
    quantity: Annotated[float, Field(ge=0, le=carts.MAX_QUANTITY, allow_inf_nan=False)]


@router.get("/carts", summary="The buyer's carts for the account (a first one is created)")
def list_carts(principal: AssignedAccountDep, ctx: ContextDep) -> Response:
    return json_response({"carts": carts.list_carts(ctx.conn(), principal)})


@router.post("/carts", status_code=201, summary="A new, empty, named cart")
def create_cart(body: NewCart, principal: AssignedAccountDep, ctx: ContextDep) -> Response:
    cart_id = carts.create_cart(ctx.conn(), principal, body.name)
    return json_response(carts.cart_json(ctx, principal, cart_id), 201)


@router.get(
    "/carts/{cart_id}",
    summary="A cart, priced now, with totals and the account's credit headroom (before checkout)",
)
def get_cart(cart_id: CartId, principal: AssignedAccountDep, ctx: ContextDep) -> Response:
    return json_response(carts.cart_json(ctx, principal, cart_id, credit=True))


@router.put("/carts/{cart_id}/lines", summary="Set an item's quantity in the cart (0 removes it)")
def set_line(
    cart_id: CartId, body: CartLineBody, principal: AssignedAccountDep, ctx: ContextDep
) -> Response:
    carts.set_line(
        ctx, principal, cart_id, body.item_number, body.unit_of_measure_code, body.quantity
    )
    return json_response(carts.cart_json(ctx, principal, cart_id))


@router.delete("/carts/{cart_id}/lines/{item_no}", summary="Remove an item from the cart")
def remove_line(
    cart_id: CartId,
    item_no: Annotated[str, Path(min_length=1, max_length=50)],
    principal: AssignedAccountDep,
    ctx: ContextDep,
) -> Response:
    carts.remove_line(ctx, principal, cart_id, item_no)
    return json_response(carts.cart_json(ctx, principal, cart_id))


@router.delete("/carts/{cart_id}", summary="Delete an open cart")
def delete_cart(cart_id: CartId, principal: AssignedAccountDep, ctx: ContextDep) -> Response:
    carts.delete_cart(ctx.conn(), principal, cart_id)
    return json_response({"deleted": cart_id})
