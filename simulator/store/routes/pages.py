"""The HTML pages for a person: login, catalog (add to cart from the list), product, quick
order by item number (rows or a pasted ``sku,qty`` list), cart and checkout (PO number,
ship-to address), quotes, orders and tracking, invoices, and the rep's account choice.

Every page calls the same service functions as the JSON API and only renders their
answers (templates in `simulator.store.web`). Pages authenticate with the session cookie
alone; every form POST carries the session's CSRF token in a hidden ``csrf_token`` field
(the login form, before any session exists, a double-submit token in a short-lived
cookie). Without a session a page redirects to /login, so prices are never shown to
anyone not logged in. Errors render a short HTML page with the right status (`PageRoute`):
another account's order is a 404 page, never its data, never a traceback.

Forms are parsed here (``application/x-www-form-urlencoded``, small, no multipart), so the
store needs no form-parsing dependency.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import math
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from simulator.store import (
    ApiError,
    auth,
    carts,
    catalog,
    invoices,
    orders,
    quick_order,
    quotes,
    reps,
)
from simulator.store.auth import Principal
from simulator.store.routes import ContextDep
from simulator.store.web import environment, path_part, stylesheet

__all__ = ["router"]

log = logging.getLogger("erpsim.store.pages")

# Forms posted before any session exists carry a double-submit token: the same random value
# in the form and in a short-lived cookie on the form's own path.
FORM_COOKIES = {"/login": "erpsim_login_csrf", "/register": "erpsim_register_csrf"}
MAX_FORM_BYTES = 16 * 1024
MAX_FORM_FIELDS = 20
QUICK_ROWS = 5  # item-number rows on the quick-order form (beside the paste box)
DEFAULT_LEAD_DAYS = 7  # the delivery date the checkout form suggests
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STATUS_TITLES = {
    400: "Invalid request",
    403: "Not allowed",
    404: "Not found",
    409: "Cannot do that now",
    413: "Too large",
    415: "Unsupported form",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


class LoginRequired(Exception):
    """No valid session: the page redirects to /login (and back to `next` afterwards)."""

    def __init__(self, next_path: str = "") -> None:
        super().__init__(next_path)
        self.next_path = next_path


class ChooseAccount(Exception):
    """A rep without an account chosen: the page redirects to /rep."""


# --- rendering --------------------------------------------------------------------------


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    """A template rendered for the request's viewer (``user``, ``csrf_token`` at hand)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    html = (
        environment()
        .get_template(template)
        .render(
            user=principal,
            csrf_token=principal.csrf_token if principal else "",
            path=request.url.path,
            **values,
        )
    )
    return HTMLResponse(html, status_code, headers={**SECURITY_HEADERS, **(headers or {})})


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    title = STATUS_TITLES.get(status, "Error")
    return render(request, "error.html", status, headers, title=title, message=message)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body"))
    message = str(first.get("msg", "invalid value"))
    return f"{where}: {message}" if where else message


class PageRoute(APIRoute):
    """Answers every failure of a page as HTML: no session → /login, a rep without an
    account → /rep, `ApiError` and validation errors → an error page with their status,
    anything unexpected → a 500 page (logged), never a traceback or JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return redirect(_login_url(exc.next_path))
            except ChooseAccount:
                return redirect("/rep")
            except ApiError as exc:
                return error_page(request, exc.status, exc.message, exc.headers)
            except RequestValidationError as exc:
                return error_page(request, 400, _validation_message(exc))
            except StarletteHTTPException as exc:
                return error_page(request, exc.status_code, str(exc.detail))
            except Exception:
                log.exception("page %s %s failed", request.method, request.url.path)
                return error_page(request, 500, "The store failed to show this page.")

        return page_handler


router = APIRouter(include_in_schema=False, route_class=PageRoute)


# --- who is asking, and forms -----------------------------------------------------------


def _login_url(next_path: str) -> str:
    return "/login" + (f"?{urlencode({'next': next_path})}" if next_path else "")


def _safe_next(value: str | None) -> str | None:
    """A local path to go back to after login (never another site)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if len(value) > 500 or any(ch in value for ch in "\r\n\\"):
        return None
    return value


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _session(request: Request, ctx: Any) -> Principal | None:
    token = request.cookies.get(auth.SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    principal = auth.principal_for_token(ctx.conn(), token)
    request.state.principal = principal
    return principal


def viewer(request: Request, ctx: ContextDep) -> Principal:
    """The logged-in person (any role); redirect to /login otherwise."""
    principal = _session(request, ctx)
    if principal is None:
        raise LoginRequired(_here(request) if request.method == "GET" else "")
    return principal


def _for_account(ctx: Any, principal: Principal) -> Principal:
    if principal.customer_no is None:
        raise ChooseAccount
    return reps.require_assigned(ctx, principal)


def buyer(request: Request, ctx: ContextDep) -> Principal:
    """A person acting for an account (a buyer, an AP clerk, a rep who chose one)."""
    return _for_account(ctx, viewer(request, ctx))


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form (urlencoded, at most `MAX_FORM_BYTES`; an empty body is an empty
    form): the last value per name."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise ApiError(413, "too_large", "the form is too large")
    if not body:
        return {}
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise ApiError(415, "unsupported_media_type", "send the form as a web page does")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid_form", "the form could not be read") from None
    return dict(pairs)


FormDep = Annotated[dict[str, str], Depends(form_fields)]


def poster(request: Request, ctx: ContextDep, form: FormDep) -> Principal:
    """The person behind a form POST, whose form carries their session's CSRF token
    (403 otherwise)."""
    principal = viewer(request, ctx)
    auth.check_csrf(principal, form.get("csrf_token"))
    return principal


def account_poster(request: Request, ctx: ContextDep, form: FormDep) -> Principal:
    return _for_account(ctx, poster(request, ctx, form))


ViewerDep = Annotated[Principal, Depends(viewer)]
BuyerDep = Annotated[Principal, Depends(buyer)]
PosterDep = Annotated[Principal, Depends(poster)]
AccountPosterDep = Annotated[Principal, Depends(account_poster)]
Page = Annotated[int, Query(ge=1, le=10_000)]
ItemNo = Annotated[str, Path(min_length=1, max_length=50)]
DocumentNo = Annotated[str, Path(min_length=1, max_length=30)]
CartId = Annotated[int, Path(ge=1, le=2**62)]


def _float_field(form: dict[str, str], name: str, what: str) -> float:
    try:
        value = float(form.get(name, "").strip())
    except ValueError:
        raise ApiError(400, "invalid_number", f"{what} must be a number") from None
    if not math.isfinite(value):
        raise ApiError(400, "invalid_number", f"{what} must be a finite number")
    return value


def _pages(total: int, size: int) -> int:
    return max(1, math.ceil(total / size)) if size else 1


# --- static, root, login ----------------------------------------------------------------


@router.get("/static/store.css")
def store_css() -> Response:
    return Response(
        stylesheet(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/")
def home(request: Request, ctx: ContextDep) -> Response:
    principal = _session(request, ctx)
    if principal is None:
        return redirect("/login")
    return redirect(_start_page(principal))


def _start_page(principal: Principal) -> str:
    return "/rep" if principal.role == "rep" and principal.customer_no is None else "/catalog"


def _pre_session_form(
    request: Request,
    path: str,
    template: str,
    token: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A login or registration form with its double-submit token (form field and cookie)."""
    response = render(request, template, status, headers, form_token=token, **context)
    response.set_cookie(
        FORM_COOKIES[path], token, max_age=3600, httponly=True, samesite="strict", path=path
    )
    return response


def _pre_session_token(request: Request, path: str, form: dict[str, str]) -> str | None:
    """The posted form's token when it matches its cookie (else None: a 403 page)."""
    expected = request.cookies.get(FORM_COOKIES[path], "")
    sent = form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        return None
    return expected


def _signed_in(path: str, target: str, token: str, ctx: Any) -> Response:
    """After a login or registration: the session cookie, the form's cookie gone, and a
    redirect to `target`."""
    response = redirect(target)
    auth.set_session_cookie(response, token, ctx.settings)
    response.delete_cookie(FORM_COOKIES[path], path=path, httponly=True, samesite="strict")
    return response


def _login_form(
    request: Request,
    token: str,
    *,
    message: str | None = None,
    email: str = "",
    next_path: str | None = None,
    **options: Any,
) -> HTMLResponse:
    return _pre_session_form(
        request, "/login", "login.html", token,
        message=message, email=email, next_path=next_path or "", **options,
    )  # fmt: skip


@router.get("/login")
def login_page(request: Request, ctx: ContextDep, next: str | None = None) -> Response:
    principal = _session(request, ctx)
    if principal is not None:
        return redirect(_safe_next(next) or _start_page(principal))
    request.state.principal = None
    return _login_form(request, secrets.token_urlsafe(24), next_path=_safe_next(next))


@router.post("/login")
def login(request: Request, ctx: ContextDep, form: FormDep) -> Response:
    """Check the login form's double-submit token, then `auth.login`: the session cookie
    and a redirect; a wrong password shows the form again with one message."""
    request.state.principal = None
    expected = _pre_session_token(request, "/login", form)
    if expected is None:
        return error_page(
            request, 403, "The login form expired or did not come from this store; reload it."
        )
    email = form.get("email", "").strip()[:254]
    password = form.get("password", "")
    next_path = _safe_next(form.get("next"))
    again = {"email": email, "next_path": next_path}
    if not email or not password or len(password) > auth.MAX_PASSWORD:
        return _login_form(
            request, expected, status=400, message="Enter your email and password.", **again
        )
    address = request.client.host if request.client else "unknown"
    try:
        token, principal = auth.login(
            ctx.conn(), ctx.settings, ctx.limiter, email, password, address
        )
    except ApiError as exc:
        if exc.status == 429:
            message = "Too many failed logins. " + exc.message.split("; ", 1)[-1].capitalize() + "."
        else:
            message = "Unknown email or wrong password."
        return _login_form(
            request, expected, status=exc.status, message=message, headers=exc.headers, **again
        )
    return _signed_in("/login", next_path or _start_page(principal), token, ctx)


def _register_form(
    request: Request,
    token: str,
    *,
    message: str | None = None,
    email: str = "",
    invitation: str = "",
    **options: Any,
) -> HTMLResponse:
    return _pre_session_form(
        request, "/register", "register.html", token,
        message=message, email=email, invitation=invitation, **options,
    )  # fmt: skip


@router.get("/register")
def register_page(
    request: Request,
    email: Annotated[str, Query(max_length=254)] = "",
    token: Annotated[str, Query(max_length=128)] = "",
) -> Response:
    """The invitation link's page (`/register?email=…&token=…`): choose a password."""
    request.state.principal = None
    return _register_form(request, secrets.token_urlsafe(24), email=email, invitation=token)


@router.post("/register")
def register(request: Request, ctx: ContextDep, form: FormDep) -> Response:
    """An invited contact sets a password (`auth.register`: the TR's registration), is
    logged in and lands on the catalog; a problem shows the form again with one message."""
    request.state.principal = None
    expected = _pre_session_token(request, "/register", form)
    if expected is None:
        return error_page(
            request, 403, "The form expired or did not come from this store; reload it."
        )
    email = form.get("email", "").strip()[:254]
    invitation = form.get("invitation", "").strip()[:128]
    password = form.get("password", "")
    again = {"email": email, "invitation": invitation}
    if password != form.get("password_again", ""):
        return _register_form(
            request, expected, status=400, message="The passwords differ.", **again
        )
    address = request.client.host if request.client else "unknown"
    try:
        token, principal = auth.register(
            ctx.conn(), ctx.settings, ctx.limiter, email, invitation, password, address
        )
    except ApiError as exc:
        return _register_form(
            request, expected, status=exc.status, message=exc.message.capitalize() + ".",
            headers=exc.headers, **again,
        )  # fmt: skip
    return _signed_in("/register", _start_page(principal), token, ctx)


@router.post("/logout")
def logout(principal: PosterDep, ctx: ContextDep) -> Response:
    auth.logout(ctx.conn(), principal)
    response = redirect("/login")
    auth.clear_session_cookie(response)
    return response


# --- catalog ----------------------------------------------------------------------------


@router.get("/catalog")
def catalog_page(
    request: Request,
    principal: BuyerDep,
    ctx: ContextDep,
    category: Annotated[str | None, Query(max_length=50)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Page = 1,
    added: Annotated[str | None, Query(max_length=50)] = None,
) -> Response:
    category = category.strip() if category else None
    text = q.strip() if q else None
    tree = catalog.categories(ctx, principal)["categories"]
    result = catalog.item_page(
        ctx,
        principal,
        category=category or None,
        q=text or None,
        page=page,
        page_size=ctx.settings.page_size,
    )
    base = {k: v for k, v in (("category", category), ("q", text)) if v}
    links = {
        "prev": f"/catalog?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
        "next": (
            f"/catalog?{urlencode({**base, 'page': page + 1})}"
            if page * result["pageSize"] < result["total"]
            else None
        ),
    }
    here = f"/catalog?{urlencode({**base, 'page': page})}"
    return render(
        request, "catalog.html",
        categories=tree, result=result, category=category or "", q=text or "",
        pages=_pages(result["total"], result["pageSize"]), links=links, added=added or "",
        here=here,
    )  # fmt: skip


@router.get("/items/{number:path}")
def item_page(request: Request, number: ItemNo, principal: BuyerDep, ctx: ContextDep) -> Response:
    item = catalog.item_detail(ctx, principal, number)
    return render(request, "item.html", item=item)


# --- carts and checkout -----------------------------------------------------------------


# The checkout form's optional header fields: (form field, ERP field, label).
CHECKOUT_FIELDS = (
    ("po_number", "externalDocumentNumber", "Your PO number"),
    ("ship_to_name", "shipToName", "Ship to (name)"),
    ("ship_to_address", "shipToAddressLine1", "Address"),
    ("ship_to_address2", "shipToAddressLine2", "Address line 2"),
    ("ship_to_post_code", "shipToPostCode", "Post code"),
    ("ship_to_city", "shipToCity", "City"),
)


def _cart_page(
    request: Request,
    ctx: Any,
    principal: Principal,
    cart_id: int | None,
    *,
    status: int = 200,
    error: str | None = None,
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    conn = ctx.conn()
    saved = carts.list_carts(conn, principal)
    if cart_id is None:
        cart_id = carts.default_cart(conn, principal)
    cart = carts.cart_json(ctx, principal, cart_id, credit=True)
    today = orders.erp_today(ctx) or dt.date.today()  # the wall clock only if the ERP's is unknown
    entered = entered or {}
    return render(
        request, "cart.html", status,
        cart=cart, carts=saved, error=error, min_date=today.isoformat(),
        delivery_date=entered.get("requested_delivery_date")
        or (today + dt.timedelta(days=DEFAULT_LEAD_DAYS)).isoformat(),
        entered=entered, header_fields=CHECKOUT_FIELDS, header_limits=orders.ORDER_HEADER_FIELDS,
    )  # fmt: skip


@router.get("/cart")
def cart_page(
    request: Request,
    principal: BuyerDep,
    ctx: ContextDep,
    cart: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    return _cart_page(request, ctx, principal, cart)


# Where an add to cart may go back to (the list it was made from) instead of the cart.
ADD_RETURNS = ("/catalog", "/items/")


@router.post("/cart/add")
def add_to_cart(principal: AccountPosterDep, ctx: ContextDep, form: FormDep) -> Response:
    """Add a quantity of an item to the most recent open cart (on top of what is there);
    then the cart, or back to the catalog page it came from (`next`) with a notice."""
    item_no = form.get("item", "").strip()
    unit = form.get("unit", "").strip()
    added = _float_field(form, "quantity", "quantity")
    if not item_no or len(item_no) > 50 or len(unit) > 20:
        raise ApiError(400, "invalid_item", "choose an item and a unit")
    if added <= 0:
        raise ApiError(400, "invalid_quantity", "quantity must be more than 0")
    cart_id = carts.default_cart(ctx.conn(), principal)
    carts.add_quantity(ctx, principal, cart_id, item_no, unit, added)
    back = _safe_next(form.get("next"))
    if back is not None and back.startswith(ADD_RETURNS):
        query = urlencode({"added": item_no})
        return redirect(back + ("&" if "?" in back else "?") + query)
    return redirect(f"/cart?cart={cart_id}")


@router.get("/quick-order")
def quick_order_page(request: Request, principal: BuyerDep, ctx: ContextDep) -> Response:
    return render(request, "quick_order.html", rows=range(1, QUICK_ROWS + 1), entered={},
                  added=[], problems=[], cart=None)  # fmt: skip


@router.post("/quick-order")
def quick_order_add(
    request: Request, principal: AccountPosterDep, ctx: ContextDep, form: FormDep
) -> Response:
    """Add the rows (item number, quantity) and the pasted ``sku,qty`` lines to the cart;
    the page again with what was added and, per bad line, why not (400 if nothing was)."""
    entries: list[quick_order.Entry] = []
    problems: list[quick_order.Problem] = []
    for row in range(1, QUICK_ROWS + 1):
        parsed = quick_order.parse_row(
            f"row {row}", form.get(f"sku_{row}", "")[:100], form.get(f"qty_{row}", "")[:30]
        )
        if isinstance(parsed, quick_order.Problem):
            problems.append(parsed)
        elif parsed is not None:
            entries.append(parsed)
    pasted, bad = quick_order.parse_lines(form.get("lines", ""))
    entries += pasted
    problems += bad
    cart_id = None
    added: list[quick_order.Entry] = []
    if entries:
        cart_id = carts.default_cart(ctx.conn(), principal)
        added, refused = quick_order.add_lines(ctx, principal, cart_id, entries)
        problems += refused
    if not entries and not problems:
        problems.append(quick_order.Problem("", "", "enter an item number and a quantity"))
    status = 200 if added or not problems else 400
    return render(
        request, "quick_order.html", status,
        rows=range(1, QUICK_ROWS + 1), entered=_not_added(form, problems), added=added,
        problems=problems, cart=cart_id,
    )  # fmt: skip


def _not_added(form: dict[str, str], problems: list[quick_order.Problem]) -> dict[str, str]:
    """The quick-order form again with only the rows and pasted lines that were not added
    (to fix and send again without adding the others twice)."""
    failed = {p.where for p in problems}
    keep = {}
    for row in range(1, QUICK_ROWS + 1):
        if f"row {row}" in failed:
            keep |= {
                f"sku_{row}": form.get(f"sku_{row}", ""),
                f"qty_{row}": form.get(f"qty_{row}", ""),
            }
    lines = form.get("lines", "").splitlines()
    keep["lines"] = "\n".join(
        line for number, line in enumerate(lines, start=1) if f"line {number}" in failed
    )
    return keep


@router.post("/cart/new")
def new_cart(principal: AccountPosterDep, ctx: ContextDep, form: FormDep) -> Response:
    cart_id = carts.create_cart(ctx.conn(), principal, form.get("name", ""))
    return redirect(f"/cart?cart={cart_id}")


@router.post("/cart/{cart_id}/lines")
def update_line(
    request: Request, cart_id: CartId, principal: AccountPosterDep, ctx: ContextDep, form: FormDep
) -> Response:
    try:
        quantity = _float_field(form, "quantity", "quantity")
        carts.set_line(
            ctx, principal, cart_id, form.get("item", "").strip()[:50],
            form.get("unit", "").strip()[:20], quantity,
        )  # fmt: skip
    except ApiError as exc:
        if exc.status == 404:
            raise
        return _cart_page(request, ctx, principal, cart_id, status=exc.status, error=exc.message)
    return redirect(f"/cart?cart={cart_id}")


@router.post("/cart/{cart_id}/lines/{item_no:path}/remove")
def remove_line(
    cart_id: CartId, item_no: ItemNo, principal: AccountPosterDep, ctx: ContextDep
) -> Response:
    carts.remove_line(ctx, principal, cart_id, item_no)
    return redirect(f"/cart?cart={cart_id}")


@router.post("/cart/{cart_id}/checkout")
def checkout(
    request: Request, cart_id: CartId, principal: AccountPosterDep, ctx: ContextDep, form: FormDep
) -> Response:
    """Order the cart (`orders.checkout`), then show the confirmation; a date or cart the
    checkout refuses shows the cart again with the reason."""
    every = form.get("every_days", "").strip()
    try:
        recurrence = {"everyDays": int(every)} if every else None
    except ValueError:
        recurrence = {"everyDays": every}  # orders.checkout names the problem
    header = {name: form.get(field, "") for field, name, _ in CHECKOUT_FIELDS}
    try:
        view = orders.checkout(
            ctx, principal, cart_id,
            requested_delivery_date=form.get("requested_delivery_date", "").strip(),
            recurrence=recurrence, header=header,
        )  # fmt: skip
    except ApiError as exc:
        if exc.status in (404, 503):
            raise
        return _cart_page(request, ctx, principal, cart_id, status=exc.status, error=exc.message,
                          entered=form)  # fmt: skip
    return redirect(f"/confirmation/{view['document']}")


@router.post("/cart/{cart_id}/quote")
def request_quote(
    request: Request, cart_id: CartId, principal: AccountPosterDep, ctx: ContextDep
) -> Response:
    """Ask for a quote on the cart (`quotes.request_quote`); an empty or closed cart shows
    the cart again with the reason."""
    try:
        view = quotes.request_quote(ctx, principal, cart_id)
    except ApiError as exc:
        if exc.status in (404, 503):
            raise
        return _cart_page(request, ctx, principal, cart_id, status=exc.status, error=exc.message)
    return render(request, "document.html", document=view, title="Quote request",
                  back=("/quotes", "Your quotes"))  # fmt: skip


@router.get("/confirmation/{document_id}")
def confirmation(
    request: Request,
    document_id: Annotated[int, Path(ge=1, le=2**62)],
    principal: BuyerDep,
    ctx: ContextDep,
) -> Response:
    """A web document's state: accepted (with the ERP's number), accepted-pending, rejected."""
    document = orders.get_document(ctx, principal, document_id)
    lines = document["request"].get("salesOrderLines") or []
    names = catalog.item_names(ctx.conn(), (line.get("itemNumber") for line in lines))
    return render(request, "confirmation.html", document=document, names=names)


# --- orders -----------------------------------------------------------------------------


@router.get("/orders")
def orders_page(request: Request, principal: BuyerDep, ctx: ContextDep, page: Page = 1) -> Response:
    result = orders.list_orders(ctx, principal, page)
    pages = _pages(result["total"], result["pageSize"])
    return render(request, "orders.html", result=result, pages=pages)


@router.get("/orders/{number}")
def order_page(
    request: Request, number: DocumentNo, principal: BuyerDep, ctx: ContextDep
) -> Response:
    order = orders.order_detail(ctx, principal, number)
    names = catalog.item_names(ctx.conn(), (line["itemNumber"] for line in order["lines"]))
    return render(request, "order.html", order=order, names=names)


@router.post("/orders/{number}/reorder")
def reorder(
    request: Request, number: DocumentNo, principal: AccountPosterDep, ctx: ContextDep
) -> Response:
    """A new cart with the order's lines at today's prices; the notices are shown once."""
    result = orders.reorder(ctx, principal, number)
    names = catalog.item_names(ctx.conn(), (line["itemNumber"] for line in result["lines"]))
    return render(request, "reorder.html", result=result, names=names)


# --- invoices ---------------------------------------------------------------------------


@router.get("/invoices")
def invoices_page(
    request: Request,
    principal: BuyerDep,
    ctx: ContextDep,
    q: Annotated[str | None, Query(max_length=30)] = None,
    status: Annotated[str | None, Query(max_length=10)] = None,
    page: Page = 1,
) -> Response:
    text = q.strip() if q else ""
    result = invoices.list_invoices(ctx, principal, q=text or None, status=status or None,
                                    page=page)  # fmt: skip
    base = {k: v for k, v in (("q", text), ("status", status)) if v}
    links = {
        "prev": f"/invoices?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
        "next": (
            f"/invoices?{urlencode({**base, 'page': page + 1})}"
            if page * result["pageSize"] < result["total"]
            else None
        ),
    }
    return render(
        request, "invoices.html",
        result=result, q=text, status_filter=status or "", links=links,
        pages=_pages(result["total"], result["pageSize"]),
    )  # fmt: skip


@router.get("/invoices/{number}")
def invoice_page(
    request: Request, number: DocumentNo, principal: BuyerDep, ctx: ContextDep
) -> Response:
    invoice = invoices.invoice_detail(ctx, principal, number)
    names = catalog.item_names(ctx.conn(), (line["itemNumber"] for line in invoice["lines"]))
    return render(request, "invoice.html", invoice=invoice, names=names)


@router.post("/invoices/{number}/pay")
def pay_invoice(
    request: Request, number: DocumentNo, principal: AccountPosterDep, ctx: ContextDep
) -> Response:
    """Pay what is open on the invoice (a customer payment through the outbox)."""
    view = invoices.pay_invoice(ctx, principal, number)
    return render(request, "document.html", document=view, title=f"Payment of {number}",
                  back=(f"/invoices/{path_part(number)}", f"Back to invoice {number}"))  # fmt: skip


@router.post("/invoices/{number}/copy")
def copy_invoice(
    request: Request, number: DocumentNo, principal: AccountPosterDep, ctx: ContextDep
) -> Response:
    view = invoices.copy_invoice(ctx, principal, number)
    return render(request, "document.html", document=view, title=f"Copy of {number}",
                  back=(f"/invoices/{path_part(number)}", f"Back to invoice {number}"))  # fmt: skip


# --- quotes -----------------------------------------------------------------------------


@router.get("/quotes")
def quotes_page(request: Request, principal: BuyerDep, ctx: ContextDep, page: Page = 1) -> Response:
    result = quotes.list_quotes(ctx, principal, page)
    return render(request, "quotes.html", result=result,
                  pages=_pages(result["total"], result["pageSize"]))  # fmt: skip


@router.get("/quotes/{number}")
def quote_page(
    request: Request, number: DocumentNo, principal: BuyerDep, ctx: ContextDep
) -> Response:
    quote = quotes.quote_detail(ctx, principal, number)
    names = catalog.item_names(ctx.conn(), (line["itemNumber"] for line in quote["lines"]))
    today = orders.erp_today(ctx)
    expired = bool(
        today
        and quote.get("validUntilDate")
        and str(quote["validUntilDate"])[:10] < today.isoformat()
    )
    return render(request, "quote.html", quote=quote, names=names, expired=expired)


@router.post("/quotes/{number}/accept")
def accept_quote(number: DocumentNo, principal: AccountPosterDep, ctx: ContextDep) -> Response:
    """Accept the quote: an order at its prices, then the confirmation (a quote no longer
    open, or expired, is a 409 page saying so)."""
    view = quotes.accept_quote(ctx, principal, number)
    return redirect(f"/confirmation/{view['document']}")


# --- sales reps -------------------------------------------------------------------------


@router.get("/rep")
def rep_page(
    request: Request,
    principal: ViewerDep,
    ctx: ContextDep,
    q: Annotated[str | None, Query(max_length=40)] = None,
    page: Page = 1,
) -> Response:
    text = q.strip() if q else ""
    result = reps.list_accounts(ctx, principal, q=text or None, page=page)
    base = {"q": text} if text else {}
    links = {
        "prev": f"/rep?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
        "next": (
            f"/rep?{urlencode({**base, 'page': page + 1})}"
            if page * result["pageSize"] < result["total"]
            else None
        ),
    }
    return render(request, "rep.html", result=result, q=text, links=links,
                  pages=_pages(result["total"], result["pageSize"]))  # fmt: skip


@router.post("/rep/act-as")
def act_as(principal: PosterDep, ctx: ContextDep, form: FormDep) -> Response:
    reps.act_as(ctx, principal, form.get("customer", "").strip())
    return redirect("/catalog")


@router.post("/rep/stop")
def stop_acting(principal: PosterDep, ctx: ContextDep) -> Response:
    reps.stop_acting(ctx, principal)
    return redirect("/rep")
