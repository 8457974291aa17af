"""`/api/login`, `/api/logout`, `/api/register`, `/api/me`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from simulator.store import auth
from simulator.store.auth import Principal, PrincipalDep
from simulator.store.routes import ContextDep, json_response

__all__ = ["router"]

router = APIRouter(tags=["auth"])

Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=auth.MAX_PASSWORD)]


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    email: Email
    invitation_token: Annotated[str, Field(alias="invitationToken", min_length=1, max_length=128)]
    password: Annotated[str, Field(min_length=1, max_length=auth.MAX_PASSWORD)]


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _session_answer(ctx: ContextDep, token: str, principal: Principal, status: int) -> Response:
    response = json_response(
        {"token": token, "csrfToken": principal.csrf_token, "user": auth.user_json(principal)},
        status,
    )
    auth.set_session_cookie(response, token, ctx.settings)
    return response


@router.post("/login", summary="Log in: a session token (also set as an HTTP-only cookie)")
def login(body: LoginBody, request: Request, ctx: ContextDep) -> Response:
    token, principal = auth.login(
        ctx.conn(), ctx.settings, ctx.limiter, body.email, body.password, _address(request)
    )
    return _session_answer(ctx, token, principal, 200)


@router.post("/register", status_code=201, summary="Register an invited contact")
def register(body: RegisterBody, request: Request, ctx: ContextDep) -> Response:
    token, principal = auth.register(
        ctx.conn(),
        ctx.settings,
        ctx.limiter,
        body.email,
        body.invitation_token,
        body.password,
        _address(request),
    )
    return _session_answer(ctx, token, principal, 201)


@router.post("/logout", summary="End the session")
def logout(principal: PrincipalDep, ctx: ContextDep) -> Response:
    auth.logout(ctx.conn(), principal)
    response = json_response({"loggedOut": True})
    auth.clear_session_cookie(response)
    return response


@router.get("/me", summary="The logged-in user and the account acted for")
def me(principal: PrincipalDep) -> Response:
    return json_response({"user": auth.user_json(principal)})
