"""Running the app: a supervisor and its worker processes, or a background thread (tests,
the demo: one process, the writer on a thread of its own).

The listening socket is bound here, so a busy port is a clear `UserError` before anything
starts. This process is the supervisor: it owns the single writer
(`LiveErp`: the World, the clock, idempotency keys, subscriptions, fault settings) and
spawns the N (default 1) HTTP worker processes on the shared socket; workers read the
database through their own read-only connections and send every write to the supervisor
over a pipe.

``--scratch`` serves a private copy of the database (in a temporary directory, removed at
exit); otherwise the server advances the given file in place: it is the live ERP's database,
and a restart continues from the simulated time it had reached.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import uvicorn

from simulator.erp.database import open_database
from simulator.erp_server.app import create_app
from simulator.erp_server.faults import FaultInjector
from simulator.erp_server.gateway import RemoteGateway, serve_worker_pipe
from simulator.erp_server.protocol import refusing_protocol
from simulator.erp_server.settings import ServerSettings
from simulator.errors import UserError

__all__ = [
    "ServerThread",
    "ThreadedServer",
    "bind_for_thread",
    "bind_socket",
    "run_server",
    "working_database",
]

log = logging.getLogger("erpsim.erp_server")
STARTUP_TIMEOUT = 120.0


def bind_socket(host: str, port: int, *, flag: str = "--port") -> socket.socket:
    """A listening TCP socket; a busy port or bad address is a UserError (naming `flag`,
    the option that chose the port)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UserError(f"cannot listen on {host}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(
                f"port {port} is already in use on {host}: use {flag} N for another port, "
                "or stop the process that holds it"
            ) from None
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def working_database(settings: ServerSettings) -> Iterator[ServerSettings]:
    """The settings to serve with: the file itself, or (``scratch``) a private copy."""
    conn = open_database(settings.db)  # missing or foreign file: UserError
    try:
        if not settings.scratch:
            conn.close()
            path = settings.db.resolve()
            if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
                raise UserError(
                    f"{settings.db} is not writable (the live ERP advances it; use --scratch "
                    "to serve a copy)"
                )
            yield settings
            return
        directory = Path(tempfile.mkdtemp(prefix="erpsim-serve-"))
        try:
            copy = directory / settings.db.name
            target = sqlite3.connect(copy)
            with target:
                conn.backup(target)
            target.close()
            conn.close()
            yield settings.model_copy(update={"db": copy})
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    finally:
        conn.close()


def _config(app: Any, injector: FaultInjector) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=refusing_protocol(injector),
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        backlog=2048,
    )


def run_server(settings: ServerSettings, sock: socket.socket) -> None:
    """Serve until Ctrl-C / SIGTERM (blocking). Even with one worker the writer lives in
    this (supervisor) process and HTTP in a worker process: the world's batches then never
    hold the request handlers' GIL (on `large` they would stall every request behind them)."""
    _supervise(settings, sock)


def _company_id(settings: ServerSettings) -> str:
    from simulator.erp_server.app import _company  # noqa: PLC0415 - shared with create_app

    return str(_company(settings)["id"])


def _supervise(settings: ServerSettings, sock: socket.socket) -> None:
    from simulator.erp_server.live import LiveErp  # noqa: PLC0415 - supervisor only

    context = multiprocessing.get_context("spawn")
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="erp-writer")
    live = executor.submit(LiveErp, settings, settings.db, _company_id(settings)).result()
    processes = []
    # Explicit handlers: a process started in the background inherits SIGINT ignored.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for index in range(settings.workers):
            parent, child = context.Pipe()
            serve_worker_pipe(parent, executor, live)
            process = context.Process(
                target=_worker_main, args=(settings, sock, child, index), name=f"erp-worker-{index}"
            )
            process.start()
            child.close()
            processes.append(process)
        while all(p.is_alive() for p in processes):
            processes[0].join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for process in processes:  # a worker gone means the server is broken: stop all
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        executor.submit(live.close).result()
        executor.shutdown()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _worker_main(
    settings: ServerSettings, sock: socket.socket, conn: Connection, index: int
) -> None:
    """One HTTP worker process: reads locally, writes through the supervisor."""

    def gateway(injector: FaultInjector) -> RemoteGateway:
        return RemoteGateway(conn, interval=settings.sync_interval, injector=injector)

    app = create_app(settings, gateway_factory=gateway, worker=index)
    server = uvicorn.Server(_config(app, app.state.injector))
    _watch_parent(server)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


def _watch_parent(server: uvicorn.Server) -> None:
    """Stop this worker if the supervisor disappears (killed): never serve without it."""
    parent = os.getppid()

    def watch() -> None:
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
                return
            time.sleep(1.0)

    threading.Thread(target=watch, name="erp-parent-watch", daemon=True).start()


class ThreadedServer:
    """uvicorn serving a bound socket from a daemon thread (tests, the demo, `erpsim up`):
    constructing it returns once the server accepts requests; `stop()` ends it and closes
    the socket. A server that dies or is not up within STARTUP_TIMEOUT is stopped, its
    socket closed, and RuntimeError names `what`."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, what: str) -> None:
        self.sock = sock
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.server.should_exit = True
                self.thread.join(timeout=10)
                sock.close()
                raise RuntimeError(f"the {what} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


def bind_for_thread(
    host: str, port: int, *, fixed_port: bool, flag: str = "--port"
) -> socket.socket:
    """The socket a threaded server listens on: a free loopback port, or (`fixed_port`)
    `host`:`port`, where a busy port is a UserError."""
    return bind_socket(host, port, flag=flag) if fixed_port else bind_socket("127.0.0.1", 0)


@dataclass
class ServerThread:
    """The server on a free loopback port in a background thread (tests, the demo).

    ``with ServerThread(settings) as server: ... server.url ...``; leaving the block stops
    it. A free loopback port is chosen unless `fixed_port` (`erpsim up`): then
    `settings.host`/`settings.port`. One worker only."""

    settings: ServerSettings
    url: str = ""
    fixed_port: bool = False
    port_flag: str = "--port"  # named when the fixed port is busy

    def __enter__(self) -> ServerThread:
        sock = bind_for_thread(
            self.settings.host, self.settings.port, fixed_port=self.fixed_port, flag=self.port_flag
        )
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self.app = create_app(self.settings.model_copy(update={"port": port, "workers": 1}))
        self._running = ThreadedServer(
            _config(self.app, self.app.state.injector), sock, "ERP server"
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._running.stop()
