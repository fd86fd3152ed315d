"""The classic small services (RFC 862 echo, 863 discard, 864 chargen, 867 daytime) as async handlers."""

from __future__ import annotations

import datetime
from typing import Any

from ..streams.aio import AsyncStream


async def echo(stream: AsyncStream) -> None:
    """RFC 862: send back every byte received."""
    while data := await stream.recv(65536):
        await stream.send_all(data)


async def discard(stream: AsyncStream) -> None:
    """RFC 863: read and drop everything."""
    while await stream.recv(65536):
        pass


def _chargen_block() -> bytes:
    chars = bytes(range(33, 127))
    lines = [(chars * 2)[i : i + 72] + b"\r\n" for i in range(len(chars))]
    return b"".join(lines)


_CHARGEN = _chargen_block()


async def chargen(stream: AsyncStream) -> None:
    """RFC 864: send the rotating 72-character pattern until the client goes away."""
    while True:
        await stream.send_all(_CHARGEN)


async def daytime(stream: AsyncStream) -> None:
    """RFC 867: send the date and time as a line, then close."""
    now = datetime.datetime.now(datetime.UTC)
    await stream.send_all(now.strftime("%A, %B %d, %Y %H:%M:%S-UTC").encode() + b"\r\n")


def echo_datagram(data: bytes, addr: Any) -> bytes:
    """RFC 862 over UDP."""
    return data


def discard_datagram(data: bytes, addr: Any) -> None:
    """RFC 863 over UDP."""
    return None


HANDLERS = {"echo": echo, "discard": discard, "chargen": chargen, "daytime": daytime}
DATAGRAM_HANDLERS = {"echo": echo_datagram, "discard": discard_datagram}
