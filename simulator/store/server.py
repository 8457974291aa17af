"""Running the store: `run_store` (the CLI, blocking) and `StoreThread` (tests, `erpsim up`:
a free loopback port, a background thread).

Both open the store's context first (schema, initial sync, provisioning), so an unreachable
ERP or a busy port is a clear `UserError` before anything serves.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from typing import Any

import uvicorn

from simulator.erp_server.server import ThreadedServer, bind_for_thread
from simulator.store.app import StoreContext, create_app, open_context
from simulator.store.settings import StoreSettings

__all__ = ["StoreThread", "run_store"]


def _config(app: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        backlog=2048,
    )


def run_store(
    settings: StoreSettings, sock: socket.socket, context: StoreContext | None = None
) -> None:
    """Serve on `sock` until Ctrl-C / SIGTERM (blocking). `context` defaults to a fresh
    `open_context(settings)`; it is closed at shutdown."""
    ctx = context if context is not None else open_context(settings)
    server = uvicorn.Server(_config(create_app(settings, context=ctx)))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


@dataclass
class StoreThread:
    """The store on a free loopback port in a background thread.

    ``with StoreThread(settings) as store: ... store.url, store.ctx ...``; leaving the block
    stops it and closes its context. A free loopback port is chosen, unless `fixed_port`
    (then `settings.host` and `settings.port`; a busy port is a UserError)."""

    settings: StoreSettings
    url: str = ""
    fixed_port: bool = False
    port_flag: str = "--port"  # named when the fixed port is busy

    def __enter__(self) -> StoreThread:
        sock = bind_for_thread(
            self.settings.host, self.settings.port, fixed_port=self.fixed_port, flag=self.port_flag
        )
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self.settings = self.settings.model_copy(update={"host": host, "port": port})
        try:
            self.ctx = open_context(self.settings)
        except BaseException:
            sock.close()
            raise
        self.app = create_app(self.settings, context=self.ctx)
        try:
            self._running = ThreadedServer(_config(self.app), sock, "store")
        except RuntimeError:
            self.ctx.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._running.stop()
