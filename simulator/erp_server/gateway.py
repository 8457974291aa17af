"""How request handlers reach the single writer (`live.LiveErp`).

Handlers `await gateway.call("method", *args)`; the call runs on the writer's one thread.
`LocalGateway` is for one server process: the writer lives in the same process, on a
dedicated thread. With ``--workers N`` the supervisor process owns the writer and serves
each worker over a `multiprocessing` pipe (`serve_worker_pipe`); workers use
`RemoteGateway`, which sends the same calls down their pipe. Either way the event loop never
blocks on the world, and concurrent lazy clock advances are coalesced into one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, Protocol

from simulator.erp_server.clock import ClockMapping
from simulator.erp_server.faults import FaultInjector
from simulator.erp_server.odata.errors import ODataError

__all__ = ["Gateway", "LocalGateway", "RemoteGateway", "serve_worker_pipe"]

log = logging.getLogger("erpsim.erp_server")
REMOTE_SYNC_INTERVAL = 0.1
PIPE_POLL = 0.5


class Gateway(Protocol):
    mapping: ClockMapping

    async def call(self, method: str, *args: Any) -> Any: ...

    async def maybe_sync(self) -> None: ...

    def close(self) -> None: ...


class _Coalescing:
    """Lazy sync shared by both gateways: at most one in flight, at most every interval.

    The request that finds a sync due starts it and goes on without waiting: it reads the
    world as of the last advance (at most one interval behind), and no request ever queues
    behind the writer's work (creates, batches) just to read."""

    interval: float
    injector: FaultInjector
    _last: float
    _inflight: asyncio.Task[None] | None

    async def maybe_sync(self) -> None:
        if self._inflight is not None or time.monotonic() - self._last < self.interval:
            return
        self._last = time.monotonic()
        self._inflight = asyncio.create_task(self._background_sync())

    async def _background_sync(self) -> None:
        try:
            await self._sync()
        except Exception:
            log.exception("lazy clock advance failed")
        finally:
            self._inflight = None

    async def _sync(self) -> None:
        raise NotImplementedError


class LocalGateway(_Coalescing):
    """The writer in this process, on one dedicated thread."""

    def __init__(self, factory: Any, *, interval: float, injector: FaultInjector) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="erp-writer")
        self.live = self._executor.submit(factory).result()
        self.mapping: ClockMapping = self.live.mapping()
        self.interval = interval if self.mapping.speed > 0 else float("inf")
        self.injector = injector
        self._last = time.monotonic()
        self._inflight = None

    async def call(self, method: str, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, getattr(self.live, method), *args)

    async def _sync(self) -> None:
        await self.call("sync")

    def close(self) -> None:
        self._executor.submit(self.live.close).result()
        self._executor.shutdown()


class RemoteGateway(_Coalescing):
    """A worker's line to the writer in the supervisor (one request at a time on the pipe)."""

    def __init__(self, conn: Connection, *, interval: float, injector: FaultInjector) -> None:
        self._conn = conn
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="erp-pipe")
        self.mapping = self._executor.submit(self._roundtrip, "mapping", ()).result()
        # Ask often (a cheap round trip; the writer advances only when its own interval has
        # passed): the answer also carries fault setting changes, even with a frozen clock.
        self.interval = min(max(interval, 0.01), REMOTE_SYNC_INTERVAL)
        self.injector = injector
        self._version = -1
        self._closed = False
        self._last = time.monotonic() - self.interval
        self._inflight = None

    def _roundtrip(self, method: str, args: tuple[Any, ...]) -> Any:
        try:
            self._conn.send((method, args))
            while not self._conn.poll(PIPE_POLL):
                if self._closed:
                    raise ODataError(503, "service_unavailable", "the server is stopping")
            ok, value = self._conn.recv()
        except (EOFError, OSError):
            self._writer_gone()
            raise ODataError(503, "service_unavailable", "the ERP writer is gone") from None
        if not ok:
            raise value
        return value

    def _writer_gone(self) -> None:
        """The supervisor died: stop this worker too (never serve without a writer)."""
        if not self._closed:
            self._closed = True
            os.kill(os.getpid(), signal.SIGTERM)

    async def call(self, method: str, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._roundtrip, method, args)

    async def _sync(self) -> None:
        version = await self.call("sync")
        if version != self._version:
            settings, effective_at, version = await self.call("get_faults")
            self.injector.apply(settings, effective_at)
            self._version = version

    def close(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=True)
        with contextlib.suppress(OSError):
            self._conn.close()


def serve_worker_pipe(
    conn: Connection, executor: ThreadPoolExecutor, live: Any
) -> threading.Thread:
    """In the supervisor: answer one worker's calls on the writer's thread until it hangs up."""

    def loop() -> None:
        while True:
            try:
                method, args = conn.recv()
            except (EOFError, OSError):
                return
            try:
                value = executor.submit(getattr(live, method), *args).result()
                reply: tuple[bool, Any] = (True, value)
            except ODataError as exc:
                reply = (False, exc)
            except Exception as exc:
                log.exception("writer call %s failed", method)
                reply = (False, ODataError(500, "internal_error", f"{type(exc).__name__}: {exc}"))
            try:
                conn.send(reply)
            except (OSError, ValueError):
                return

    thread = threading.Thread(target=loop, name="erp-pipe-server", daemon=True)
    thread.start()
    return thread
