"""Authentication: password hashing, sessions, the `Principal` of a request, CSRF and
login rate limiting.

A session is a random token; the database keeps only its SHA-256 (a leaked database opens
no session). API clients send ``Authorization: Bearer <token>``; browsers get the same token
as an HTTP-only, SameSite=Lax cookie, and every unsafe cookie-authenticated request must
echo the session's CSRF token (``X-CSRF-Token`` header, or a ``csrf_token`` form field).

Passwords users set are stored as ``scrypt$n$r$p$salt$hash``; provisioned demo users have
``'demo'`` and log in with `accounts.demo_password` (compared in constant time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from simulator.store import ApiError, events
from simulator.store.accounts import DEMO_HASH, demo_password, invitation_token
from simulator.store.db import utc_now
from simulator.store.settings import StoreSettings

__all__ = [
    "SESSION_COOKIE",
    "AccountDep",
    "LoginLimiter",
    "Principal",
    "PrincipalDep",
    "check_csrf",
    "hash_password",
    "login",
    "logout",
    "principal_for_token",
    "register",
    "user_json",
    "verify_password",
]

SESSION_COOKIE = "erpsim_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD, MAX_PASSWORD = 8, 128
WINDOW = 60.0  # seconds over which failed logins are counted


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and for which account. `customer_no` is the buyer's own account, or
    for a rep the one chosen with act-as (else None); `rep_user_id` is set while a rep acts."""

    user_id: int
    role: str
    email: str
    name: str
    contact_no: str | None
    customer_no: str | None
    key_account: bool
    rep_user_id: int | None
    csrf_token: str
    token_hash: str
    salesperson_code: str | None = None


# --- passwords --------------------------------------------------------------------------


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(stored: str | None, password: str, *, secret: str, email: str) -> bool:
    if not stored:
        return False
    if stored == DEMO_HASH:
        return hmac.compare_digest(demo_password(secret, email).encode(), password.encode())
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ApiError(
            400,
            "invalid_password",
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
        )


# --- rate limiting ----------------------------------------------------------------------


class LoginLimiter:
    """Failed logins per email and per client address over the last minute (in memory:
    one store process)."""

    def __init__(self, per_email: int, per_address: int) -> None:
        self.limits = {"email": per_email, "address": per_address}
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, email: str, address: str, now: float | None = None) -> int | None:
        """Seconds to wait if either key is over its limit, else None."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        with self._lock:
            for kind, key in (("email", email), ("address", address)):
                times = self._recent((kind, key), now)
                if times is not None and len(times) >= self.limits[kind]:
                    wait = max(wait, times[0] + WINDOW - now)
        return max(1, int(wait + 0.999)) if wait > 0 else None

    def failed(self, email: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) > 10_000:
                for key in list(self._failures):
                    self._recent(key, now)
            for key in (("email", email), ("address", address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(("email", email), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times


# --- sessions ---------------------------------------------------------------------------

USER_COLUMNS = (
    "id, email, name, role, contact_no, customer_no, salesperson_code, key_account, state, "
    "password_hash"
)
PRINCIPAL_QUERY = (
    "SELECT u.id, u.role, u.email, u.name, u.contact_no, u.customer_no, u.key_account, "
    "u.salesperson_code, u.state, s.csrf_token, s.acting_customer_no, s.expires_at, "
    "k.key_account FROM sessions s JOIN users u ON u.id = s.user_id "
    "LEFT JOIN customers k ON k.no = s.acting_customer_no WHERE s.token_hash = ?"
)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_for_token(conn: sqlite3.Connection, token: str) -> Principal | None:
    """The session's principal, or None (unknown, expired, or the user is disabled)."""
    token_hash = _token_hash(token)
    row = conn.execute(PRINCIPAL_QUERY, (token_hash,)).fetchone()
    if row is None:
        return None
    (user_id, role, email, name, contact_no, customer_no, key_account, code, state, csrf,
     acting, expires_at, acting_key) = row  # fmt: skip
    if state != "registered" or expires_at < time.time():
        return None
    if role == "rep":
        return Principal(
            user_id, role, email, name, None, acting, bool(acting_key),
            user_id if acting else None, csrf, token_hash, code,
        )  # fmt: skip
    return Principal(
        user_id, role, email, name, contact_no, customer_no, bool(key_account),
        None, csrf, token_hash, code,
    )  # fmt: skip


def user_json(principal: Principal) -> dict[str, Any]:
    return {
        "id": principal.user_id,
        "email": principal.email,
        "name": principal.name,
        "role": principal.role,
        "contactNumber": principal.contact_no,
        "customerNumber": principal.customer_no,
        "keyAccount": principal.key_account,
        "salespersonCode": principal.salesperson_code,
        "actingAs": principal.customer_no if principal.rep_user_id is not None else None,
    }


def _open_session(conn: sqlite3.Connection, user_id: int, ttl: float) -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = time.time()
    with conn:
        conn.execute("DELETE FROM sessions WHERE user_id = ? AND expires_at < ?", (user_id, now))
        conn.execute(
            "INSERT INTO sessions(token_hash, user_id, csrf_token, acting_customer_no, "
            "created_at, expires_at) VALUES (?, ?, ?, NULL, ?, ?)",
            (_token_hash(token), user_id, csrf, now, now + ttl),
        )
    return token, csrf


def _invalid_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", "unknown email or wrong password")


def login(
    conn: sqlite3.Connection,
    settings: StoreSettings,
    limiter: LoginLimiter,
    email: str,
    password: str,
    address: str,
) -> tuple[str, Principal]:
    """A new session for valid credentials: (token, principal). Unknown email, wrong
    password, an invited or disabled user: the same 401. Too many failures: 429."""
    email = email.strip().lower()
    wait = limiter.retry_after(email, address)
    if wait is not None:
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed logins; try again in {wait} s",
            {"Retry-After": str(wait)},
        )
    row = conn.execute(
        "SELECT id, state, password_hash FROM users WHERE email = ?", (email,)
    ).fetchone()
    ok = (
        row is not None
        and row[1] == "registered"
        and verify_password(row[2], password, secret=settings.secret, email=email)
    )
    if not ok or row is None:
        limiter.failed(email, address)
        raise _invalid_credentials()
    limiter.succeeded(email)
    token, _ = _open_session(conn, row[0], settings.session_ttl)
    principal = principal_for_token(conn, token)
    assert principal is not None
    events.record(conn, principal, "login")
    return token, principal


def register(
    conn: sqlite3.Connection,
    settings: StoreSettings,
    limiter: LoginLimiter,
    email: str,
    invitation: str,
    password: str,
    address: str,
) -> tuple[str, Principal]:
    """An invited user sets a password with the invitation token: registered and logged
    in. Wrong token or not invited: 400 (rate limited like logins)."""
    email = email.strip().lower()
    _check_password_rules(password)
    wait = limiter.retry_after(email, address)
    if wait is not None:
        raise ApiError(
            429, "too_many_attempts", f"too many failed attempts; try again in {wait} s",
            {"Retry-After": str(wait)},
        )  # fmt: skip
    row = conn.execute("SELECT id, state FROM users WHERE email = ?", (email,)).fetchone()
    valid = row is not None and hmac.compare_digest(
        invitation_token(settings.secret, email).encode(), invitation.encode()
    )
    if not valid or row is None:
        limiter.failed(email, address)
        raise ApiError(400, "invalid_invitation", "unknown email or invalid invitation token")
    if row[1] != "invited":
        raise ApiError(409, "already_registered", "this account is already registered")
    password_hash = hash_password(password)
    with conn:
        changed = conn.execute(
            "UPDATE users SET state = 'registered', password_hash = ?, registered_at = ? "
            "WHERE id = ? AND state = 'invited'",
            (password_hash, utc_now(), row[0]),
        ).rowcount
    if changed != 1:
        raise ApiError(409, "already_registered", "this account is already registered")
    token, _ = _open_session(conn, row[0], settings.session_ttl)
    principal = principal_for_token(conn, token)
    assert principal is not None
    events.record(conn, principal, "register")
    return token, principal


def logout(conn: sqlite3.Connection, principal: Principal) -> None:
    events.record(conn, principal, "logout")
    with conn:
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (principal.token_hash,))


def set_session_cookie(response: Response, token: str, settings: StoreSettings) -> None:
    """The session as an HTTP-only, SameSite=Lax cookie (API logins and the HTML pages)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_ttl),
        httponly=True,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


# --- dependencies -----------------------------------------------------------------------


def _token(request: Request) -> tuple[str | None, bool]:
    """The session token and whether it came from the cookie."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), False
        return None, False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def check_csrf(principal: Principal, token: str | None) -> None:
    """403 unless `token` is the session's CSRF token (for HTML form handlers)."""
    if token is None or not hmac.compare_digest(token.encode(), principal.csrf_token.encode()):
        raise ApiError(403, "csrf_failed", "missing or wrong CSRF token")


async def current_principal(request: Request) -> Principal:
    """The request's principal; 401 without a valid session; 403 for a cookie-authenticated
    unsafe request without the CSRF token."""
    token, from_cookie = _token(request)
    if token is None:
        raise ApiError(401, "unauthorized", "log in first (a session cookie or bearer token)")
    principal = principal_for_token(request.app.state.ctx.conn(), token)
    if principal is None:
        raise ApiError(401, "unauthorized", "the session is invalid or has expired")
    if from_cookie and request.method not in SAFE_METHODS:
        # The JSON API takes the token in a header only (the HTML pages check their forms'
        # hidden field themselves, in routes/pages.py).
        check_csrf(principal, request.headers.get(CSRF_HEADER))
    request.state.principal = principal
    return principal


async def account_principal(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """A principal acting for an account; a rep who has not chosen one: 409."""
    if principal.customer_no is None:
        raise ApiError(409, "choose_account", "choose an account first (POST /api/rep/act-as)")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
AccountDep = Annotated[Principal, Depends(account_principal)]
