"""Who may call the SAP facade, and SAP's CSRF protection of writes.

S/4HANA takes Basic authentication (user and password) and, on the API hub sandbox, an
``APIKey`` header; here the password (or key) is the server's API key and the user name is
whoever the connector says it is (it becomes ``CreatedByUser``). Before a write a client
fetches a token (``x-csrf-token: Fetch`` on any GET) and sends it back; a write without it is
403 with ``x-csrf-token: Required``. The token is derived from the API key and the user, so
every worker process accepts the token any of them issued.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

__all__ = ["SAP_CLIENT", "csrf_token", "user_of"]

SAP_CLIENT = "100"
SYSTEM_ID = "ERP"


def user_of(scope: dict[str, Any], key: bytes) -> str | None:
    """The calling user if the request carries valid credentials, else None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, rest = value.partition(b" ")
            if scheme.lower() == b"basic":
                try:
                    user, _, password = base64.b64decode(rest.strip()).partition(b":")
                except (binascii.Error, ValueError):
                    return None
                if hmac.compare_digest(password, key):
                    return user.decode("utf-8", "replace").upper()[:12] or "ERPSIM"
            elif scheme.lower() == b"bearer" and hmac.compare_digest(rest.strip(), key):
                return "ERPSIM"
        elif name in (b"apikey", b"api-key") and hmac.compare_digest(value, key):
            return "ERPSIM"
    return None


def csrf_token(key: bytes, user: str) -> str:
    digest = hmac.new(key, b"csrf:" + user.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest[:18]).decode()
