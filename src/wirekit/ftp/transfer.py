"""Data-connection plumbing for asyncio drivers: ``os.sendfile`` on any loop, and a large-buffer
receive sink. Shared by the server and the async client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from typing import Any

__all__ = ["BLOCK", "DataChannel", "FileSink", "sink_socket", "sock_sendfile"]

#: Receive buffer and TLS write block.
BLOCK = 1 << 20
SENDFILE_CHUNK = 1 << 24


async def sock_sendfile(
    loop: asyncio.AbstractEventLoop,
    sock: socket.socket,
    fileno: int,
    offset: int,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Send a file from ``offset`` to EOF with ``os.sendfile`` on a non-blocking socket.

    Works on every loop (uvloop has no ``sock_sendfile``). Returns the bytes sent.
    """
    fd = sock.fileno()
    sent = 0
    # The writer stays registered for the whole transfer: re-registering on every EAGAIN costs
    # two epoll_ctl calls (and, on uvloop, a poll handle) per wait. Level-triggered, it only
    # fires while the socket is writable, and the loop below refills it at once.
    waiter: asyncio.Future[None] | None = None

    def writable() -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    registered = False
    try:
        while True:
            try:
                n = os.sendfile(fd, fileno, offset + sent, SENDFILE_CHUNK)
            except BlockingIOError:
                waiter = loop.create_future()
                if not registered:
                    loop.add_writer(fd, writable)
                    registered = True
                await waiter
                continue
            if n == 0:
                return sent
            sent += n
            if on_progress is not None:
                on_progress(n)
    finally:
        if registered:
            loop.remove_writer(fd)


class FileSink(asyncio.BufferedProtocol):
    """Receives a data connection straight into one large buffer and hands each block to
    ``write`` (no per-read reader registration, unlike ``sock_recv_into``)."""

    def __init__(self, write: Callable[[memoryview], Any], done: asyncio.Future[int]) -> None:
        self.view = memoryview(bytearray(BLOCK))
        self.write = write
        self.done = done
        self.total = 0
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view

    def buffer_updated(self, nbytes: int) -> None:
        try:
            self.write(self.view[:nbytes])
        except OSError as exc:
            if not self.done.done():
                self.done.set_exception(exc)
            self.transport.abort()
            return
        self.total += nbytes

    def eof_received(self) -> bool:
        if not self.done.done():
            self.done.set_result(self.total)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if exc is not None:
                self.done.set_exception(ConnectionResetError(str(exc)))
            else:
                self.done.set_result(self.total)


async def sink_socket(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, write: Callable[[memoryview], Any]
) -> int:
    """Read a connected socket to EOF, passing each block to ``write``; returns the byte count.

    Raises:
        ConnectionResetError: the connection broke before EOF. OSError: ``write`` failed.
    """
    done: asyncio.Future[int] = loop.create_future()
    transport, _ = await loop.connect_accepted_socket(lambda: FileSink(write, done), sock)
    try:
        return await done
    finally:
        transport.close()


class DataChannel:
    """One server-side data connection: a raw socket, or a TLS stream when PROT P is on."""

    def __init__(
        self,
        sock: socket.socket,
        reader: asyncio.StreamReader | None = None,
        writer: asyncio.StreamWriter | None = None,
    ) -> None:
        self.sock = sock
        self.reader = reader
        self.writer = writer
        #: bytes moved so far; a watchdog reads it to detect a stalled transfer
        self.moved = 0

    def _count(self, n: int) -> None:
        self.moved += n

    async def send_bytes(self, loop: asyncio.AbstractEventLoop, data: bytes) -> None:
        if self.writer is not None:
            self.writer.write(data)
            await self.writer.drain()
        else:
            await loop.sock_sendall(self.sock, data)
        self.moved += len(data)

    async def send_file(self, loop: asyncio.AbstractEventLoop, f: Any, offset: int) -> int:
        if self.writer is None:
            return await sock_sendfile(loop, self.sock, f.fileno(), offset, self._count)
        f.seek(offset)
        total = 0
        while True:
            chunk = f.read(BLOCK)
            if not chunk:
                return total
            self.writer.write(chunk)
            await self.writer.drain()
            total += len(chunk)
            self.moved += len(chunk)

    async def recv_to_file(self, loop: asyncio.AbstractEventLoop, f: Any) -> int:
        total = 0
        if self.reader is not None:
            while True:
                # Take everything buffered (the TLS reader is never paused, see session.py).
                chunk = await self.reader.read(64 * BLOCK)
                if not chunk:
                    return total
                f.write(chunk)
                total += len(chunk)
                self.moved += len(chunk)
        write = f.write

        def counted(block: memoryview) -> None:
            write(block)
            self.moved += len(block)

        return await sink_socket(loop, self.sock, counted)

    def abort(self) -> None:
        """Drop the connection now (no graceful TLS close): used on errors and cancellation."""
        if self.writer is not None:
            self.writer.transport.abort()
        self.sock.close()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer.wait_closed(), 5)
        else:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)
            self.sock.close()
