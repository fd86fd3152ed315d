"""Data-connection plumbing for asyncio drivers: ``os.sendfile`` on any loop, and a large-buffer
receive sink. Shared by the server and the async client."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from typing import Any

__all__ = ["BLOCK", "FileSink", "sink_socket", "sock_sendfile"]

#: Receive buffer and TLS write block.
BLOCK = 1 << 20
SENDFILE_CHUNK = 1 << 24


async def _wait_fd(loop: asyncio.AbstractEventLoop, fd: int, write: bool) -> None:
    fut = loop.create_future()
    add, remove = (
        (loop.add_writer, loop.remove_writer) if write else (loop.add_reader, loop.remove_reader)
    )

    def ready() -> None:
        if not fut.done():
            fut.set_result(None)

    add(fd, ready)
    try:
        await fut
    finally:
        remove(fd)


async def sock_sendfile(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, fileno: int, offset: int
) -> int:
    """Send a file from ``offset`` to EOF with ``os.sendfile`` on a non-blocking socket.

    Works on every loop (uvloop has no ``sock_sendfile``). Returns the bytes sent.
    """
    fd = sock.fileno()
    sent = 0
    while True:
        try:
            n = os.sendfile(fd, fileno, offset + sent, SENDFILE_CHUNK)
        except BlockingIOError:
            await _wait_fd(loop, fd, write=True)
            continue
        if n == 0:
            return sent
        sent += n


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
