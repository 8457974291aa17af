"""The store's secret: it derives the demo passwords and invitation tokens.

Unless one is given, each store database gets its own random secret, kept beside it in
``<db>.secret`` (owner-readable only) and reused when the store restarts, so the demo logins
stay valid. A fixed secret given on the command line is for tests and demos on loopback: with
it anyone can compute every demo password, so serving it beyond 127.0.0.1 gets a warning.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from pathlib import Path

from simulator.errors import UserError

__all__ = ["fixed_secret_warning", "read_secret", "secret_path", "store_secret"]


def secret_path(db: Path) -> Path:
    """Where the secret of store database ``db`` is kept."""
    return db.with_name(db.name + ".secret")


def read_secret(db: Path) -> str | None:
    """The secret kept beside ``db``, or None when there is none yet."""
    path = secret_path(db)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the store secret {path}: {exc}") from exc
    if not text:
        raise UserError(f"the store secret {path} is empty: delete it for a new one")
    return text


def store_secret(db: Path, given: str | None = None) -> str:
    """``given`` if any, else the secret kept beside ``db``, created the first time."""
    if given is not None:
        if not given.strip():
            raise UserError("--secret must not be empty")
        return given
    existing = read_secret(db)
    if existing is not None:
        return existing
    path = secret_path(db)
    secret = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secret + "\n")
            os.link(temp, path)  # appears whole, and never over another process's secret
        finally:
            os.unlink(temp)
    except FileExistsError:
        return read_secret(db) or secret
    except OSError as exc:
        raise UserError(f"cannot write the store secret {path}: {exc.strerror or exc}") from exc
    return secret


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fixed_secret_warning(given: str | None, host: str) -> str | None:
    """A warning when a fixed ``--secret`` is served on an address other machines reach."""
    if given is None or is_loopback(host):
        return None
    return (
        f"erpsim: warning: a fixed --secret served on {host}: anyone who knows it can compute "
        "every demo password and invitation token; omit --secret for a random one"
    )
