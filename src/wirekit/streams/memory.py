"""In-memory stream pairs for tests: ``memory_pair()`` (blocking) and ``amemory_pair()`` (asyncio).

The async pair uses a transport that hands bytes straight to the peer's protocol on the next
loop iteration: no sockets, no kernel, deterministic. The blocking pair is a ``socketpair``.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from .aio import AsyncStream, _StreamProtocol
from .blocking import Stream


class _MemoryTransport(asyncio.Transport):
    """One direction of an in-memory pipe: ``write`` feeds the peer protocol."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, protocol: _StreamProtocol, name: str
    ) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self.peer: _MemoryTransport | None = None
        self._closing = False
        self._eof_sent = False
        self._extra = {"peername": ("memory", name), "sockname": ("memory", name)}

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._extra.get(name, default)

    def is_closing(self) -> bool:
        return self._closing

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing or self._eof_sent:
            return
        peer = self.peer
        if peer is None or peer._closing:
            return
        payload = bytes(data)
        self._loop.call_soon(peer._deliver, payload)

    def _deliver(self, data: bytes) -> None:
        if self._closing:
            return
        view = data
        while view:
            buf = self._protocol.get_buffer(len(view))
            n = min(len(buf), len(view))
            buf[:n] = view[:n]
            self._protocol.buffer_updated(n)
            view = view[n:]

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        if self._eof_sent:
            return
        self._eof_sent = True
        peer = self.peer
        if peer is not None:
            self._loop.call_soon(peer._protocol.eof_received)

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._loop.call_soon(self._protocol.connection_lost, None)
        peer = self.peer
        if peer is not None and not peer._closing:
            self._loop.call_soon(peer._protocol.eof_received)

    def abort(self) -> None:
        self.close()

    def get_write_buffer_size(self) -> int:
        return 0


async def amemory_pair(*, max_line: int = 65536) -> tuple[AsyncStream, AsyncStream]:
    """Two connected in-memory :class:`AsyncStream` ends."""
    loop = asyncio.get_running_loop()
    pa, pb = _StreamProtocol(loop), _StreamProtocol(loop)
    ta, tb = _MemoryTransport(loop, pa, "a"), _MemoryTransport(loop, pb, "b")
    ta.peer, tb.peer = tb, ta
    pa.connection_made(ta)
    pb.connection_made(tb)
    return AsyncStream(pa, max_line=max_line, label="memory:a"), AsyncStream(
        pb, max_line=max_line, label="memory:b"
    )


def memory_pair(*, timeout: float | None = 10.0, max_line: int = 65536) -> tuple[Stream, Stream]:
    """Two connected blocking :class:`Stream` ends over a local ``socketpair``."""
    a, b = socket.socketpair()
    return (
        Stream(a, timeout=timeout, max_line=max_line, label="memory:a"),
        Stream(b, timeout=timeout, max_line=max_line, label="memory:b"),
    )
