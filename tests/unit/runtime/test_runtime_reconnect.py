"""ReconnectingClient against real loopback listeners: retries with backoff, reconnects after loss, gives up, stops."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from wirekit.errors import ConnectError
from wirekit.runtime.backoff import Backoff
from wirekit.runtime.reconnect import ReconnectingClient
from wirekit.runtime.service import ServiceState
from wirekit.streams import AsyncStream

FAST = Backoff(initial=0.002, maximum=0.02)


@pytest.fixture
def reserved() -> Iterator[socket.socket]:
    """A bound, not-yet-listening socket: connects to its port are refused until it listens."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    yield s
    s.close()


def endpoint_of(s: socket.socket) -> str:
    return f"tcp:127.0.0.1:{s.getsockname()[1]}"


class Peer:
    """An asyncio server on a reserved socket that closes every connection it accepted on close()."""

    def __init__(self, server: asyncio.Server, writers: set[asyncio.StreamWriter]) -> None:
        self.server = server
        self.writers = writers

    @classmethod
    async def start(cls, handler, sock: socket.socket) -> Peer:  # type: ignore[no-untyped-def]
        writers: set[asyncio.StreamWriter] = set()

        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.add(writer)
            await handler(reader, writer)

        return cls(await asyncio.start_server(tracked, sock=sock), writers)

    async def close(self) -> None:
        self.server.close()
        for w in self.writers:
            w.close()
        for w in self.writers:
            try:
                await w.wait_closed()
            except OSError:
                pass  # aborted connections report their reset here
        await self.server.wait_closed()


async def until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.002)


def test_retries_until_the_server_appears_then_talks(reserved: socket.socket) -> None:
    async def main() -> ReconnectingClient:
        got: list[bytes] = []

        async def on_connect(stream: AsyncStream) -> None:
            await stream.send_line(b"hello")
            got.append(await stream.recv_line())
            await asyncio.Event().wait()  # hold the connection until stopped

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            line = await reader.readline()
            writer.write(b"echo " + line)
            await writer.drain()
            await reader.read()  # until the client closes
            writer.close()

        client = ReconnectingClient(
            endpoint_of(reserved), on_connect, backoff=FAST, rand=lambda: 1.0
        )
        await client.start()  # returns at once: connecting happens in the background
        await until(lambda: client.attempts >= 3)
        assert not client.connected and isinstance(client.last_error, ConnectError)
        server = await Peer.start(serve, reserved)
        stream = await asyncio.wait_for(client.wait_connected(), 20)
        assert stream is client.stream
        await until(lambda: bool(got))
        assert got == [b"echo hello"]
        await client.stop()
        await server.close()
        return client

    client = asyncio.run(main())
    assert client.connections == 1 and client.attempts >= 4
    assert client.state is ServiceState.STOPPED and client.stream is None


def test_reconnects_after_the_peer_drops_the_connection(reserved: socket.socket) -> None:
    async def main() -> ReconnectingClient:
        accepted = 0

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal accepted
            accepted += 1
            writer.transport.abort()  # drop it at once

        async def on_connect(stream: AsyncStream) -> None:
            await stream.recv_line()  # raises IncompleteReadError/BrokenStreamError when dropped

        server = await Peer.start(serve, reserved)
        async with ReconnectingClient(endpoint_of(reserved), on_connect, backoff=FAST) as client:
            await until(lambda: client.disconnects >= 3)
        await server.close()
        assert accepted >= 3
        return client

    client = asyncio.run(main())
    assert client.connections >= 3 and client.handler_errors == 0
    assert client.last_error is not None


def test_handler_bug_is_counted_and_the_client_reconnects(reserved: socket.socket) -> None:
    async def main() -> ReconnectingClient:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()
            writer.close()

        async def on_connect(stream: AsyncStream) -> None:
            raise ZeroDivisionError("bug")

        server = await Peer.start(serve, reserved)
        async with ReconnectingClient(endpoint_of(reserved), on_connect, backoff=FAST) as client:
            await until(lambda: client.handler_errors >= 2)
        await server.close()
        return client

    client = asyncio.run(main())
    assert client.connections >= 2 and isinstance(client.last_error, ZeroDivisionError)


def test_gives_up_after_max_attempts(reserved: socket.socket) -> None:
    async def main() -> ReconnectingClient:
        async def on_connect(stream: AsyncStream) -> None:  # pragma: no cover - never connects
            pass

        client = ReconnectingClient(
            endpoint_of(reserved), on_connect, backoff=Backoff(initial=0.001, max_attempts=2)
        )
        await client.start()
        with pytest.raises(ConnectError, match="gave up after 3 attempts"):
            await asyncio.wait_for(client.wait(), 20)
        with pytest.raises(ConnectError):
            await client.wait_connected()
        return client

    client = asyncio.run(main())
    assert client.state is ServiceState.FAILED and client.attempts == 3 and client.connections == 0


def test_stop_closes_the_live_connection(reserved: socket.socket) -> None:
    async def main() -> bytes:
        seen_eof = asyncio.Event()
        received = bytearray()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            received.extend(await reader.read())  # returns at the client's close
            seen_eof.set()
            writer.close()

        async def on_connect(stream: AsyncStream) -> None:
            await stream.send_all(b"ping")
            await asyncio.Event().wait()

        server = await Peer.start(serve, reserved)
        client = ReconnectingClient(endpoint_of(reserved), on_connect, backoff=FAST)
        await client.start()
        await client.wait_connected()
        await client.stop()
        await asyncio.wait_for(seen_eof.wait(), 20)
        with pytest.raises(ConnectError):
            await client.wait_connected()  # stopped: no connection will come
        await server.close()
        return bytes(received)

    assert asyncio.run(main()) == b"ping"
