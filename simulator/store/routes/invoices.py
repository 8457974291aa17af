"""`/api/invoices...`, `/api/returns`: invoice history and search, pay, copy, returns."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from simulator.store import invoices
from simulator.store.routes import ContextDep, json_response
from simulator.store.routes.orders import AssignedAccountDep, ClientKey, DocumentNumber, Page

__all__ = ["router"]

router = APIRouter(tags=["invoices"])

DateText = Annotated[str | None, Query(min_length=10, max_length=10)]


class PayBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    amount: Annotated[float | None, Field(gt=0, le=1e12, allow_inf_nan=False)] = None
    idempotency_key: ClientKey = None


class KeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    idempotency_key: ClientKey = None


class ReturnBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    shipment_number: Annotated[str, Field(alias="shipmentNumber", min_length=1, max_length=30)]
    line_sequence: Annotated[int, Field(alias="lineSequence", ge=1, lt=2**31)]
    quantity: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)]
    reason: Annotated[str | None, Field(max_length=invoices.MAX_REASON)] = None
    idempotency_key: ClientKey = None


@router.get("/invoices", summary="The account's invoices: list, filter by status, search")
def list_invoices(
    principal: AssignedAccountDep,
    ctx: ContextDep,
    q: Annotated[str | None, Query(max_length=30)] = None,
    status: Literal["open", "paid"] | None = None,
    date_from: Annotated[DateText, Query(alias="from")] = None,
    date_to: Annotated[DateText, Query(alias="to")] = None,
    page: Page = 1,
) -> Response:
    result = invoices.list_invoices(
        ctx, principal, q=q, status=status, date_from=date_from, date_to=date_to, page=page
    )
    return json_response(result)


@router.get("/invoices/{number}", summary="An invoice with its lines and payments")
def invoice_detail(
    number: DocumentNumber, principal: AssignedAccountDep, ctx: ContextDep
) -> Response:
    return json_response(invoices.invoice_detail(ctx, principal, number))


@router.post(
    "/invoices/{number}/pay", status_code=201, summary="Pay an invoice online (a customer payment)"
)
def pay_invoice(
    number: DocumentNumber,
    principal: AssignedAccountDep,
    ctx: ContextDep,
    body: PayBody | None = None,
) -> Response:
    amount = None if body is None else body.amount
    key = None if body is None else body.idempotency_key
    result = invoices.pay_invoice(ctx, principal, number, amount=amount, client_key=key)
    return json_response(result, 201)


@router.post("/invoices/{number}/copy", status_code=201, summary="Request a copy of an invoice")
def copy_invoice(
    number: DocumentNumber,
    principal: AssignedAccountDep,
    ctx: ContextDep,
    body: KeyBody | None = None,
) -> Response:
    key = None if body is None else body.idempotency_key
    return json_response(invoices.copy_invoice(ctx, principal, number, client_key=key), 201)


@router.post("/returns", status_code=201, summary="Request a return of a shipped line")
def request_return(body: ReturnBody, principal: AssignedAccountDep, ctx: ContextDep) -> Response:
    result = invoices.request_return(
        ctx,
        principal,
        shipment_number=body.shipment_number,
        line_sequence=body.line_sequence,
        quantity=body.quantity,
        reason=body.reason,
        client_key=body.idempotency_key,
    )
    return json_response(result, 201)
