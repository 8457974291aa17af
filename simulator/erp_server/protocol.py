"""Connection-level outages: while a ``refuse`` outage window is open, connections are reset.

A listening server cannot make the kernel refuse connections (the handshake completes
before the application sees them), and closing the listening socket would lose the port.
The closest a running server gets: reset each connection (RST, via SO_LINGER 0) the moment
it arrives or sends data. Clients see a connection error, as they would with a refused one.
This is a subclass of uvicorn's own HTTP protocol, passed as ``Config(http=...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Any

from simulator.erp_server.faults import FaultInjector

__all__ = ["refusing_protocol"]

LINGER_RESET = struct.pack("ii", 1, 0)


def _base() -> type[asyncio.Protocol]:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: PLC0415
    except ImportError:  # httptools missing: uvicorn's pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol  # noqa: PLC0415

        return H11Protocol
    return HttpToolsProtocol


def _reset(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    transport.abort()


def refusing_protocol(injector: FaultInjector) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class, resetting connections during ``refuse`` outages."""
    base: Any = _base()

    class RefusingProtocol(base):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if injector.refusing():
                _reset(transport)

        def data_received(self, data: bytes) -> None:
            if injector.refusing():
                _reset(self.transport)
                return
            super().data_received(data)

    return RefusingProtocol
