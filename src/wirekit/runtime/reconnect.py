"""A client that keeps a connection up: reconnect with exponential backoff and jitter after loss.

The loop: connect; hand the stream to ``on_connect(stream)``; when that returns or the
connection breaks, close the stream, wait ``backoff.delay(retry)`` and connect again. The
retry counter resets only after a connection stayed up for ``healthy_after`` seconds, so a
peer that accepts and closes at once still gets exponentially spaced reconnects rather than
a tight loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..errors import ConnectError, TransportError
from .backoff import Backoff
from .service import Service

if TYPE_CHECKING:  # pragma: no cover
    from ..streams import AsyncStream

__all__ = ["ReconnectingClient"]

log = logging.getLogger("wirekit.runtime.reconnect")

Connector = Callable[..., Awaitable["AsyncStream"]]


class ReconnectingClient(Service):
    """Keep a connection to ``endpoint`` alive, calling ``on_connect(stream)`` for each connection.

    ``on_connect`` runs for as long as it wants the connection; when it returns, raises a
    transport error (connection lost) or any other error (logged), the client reconnects.
    Use it as a :class:`~wirekit.runtime.service.Service`: ``await client.start()`` returns at
    once (connecting happens in the background); ``await client.wait_connected()`` waits for a
    live stream; ``await client.stop()`` closes everything. With ``backoff.max_attempts`` set,
    the client gives up after that many failed attempts in a row and FAILS with
    :class:`~wirekit.errors.ConnectError` (``await client.wait()`` raises it).

    Counters: ``attempts`` (connects tried), ``connections`` (connects that succeeded),
    ``disconnects``, ``handler_errors``; ``last_error`` is the latest failure.

    ``connect_timeout`` bounds each connect; ``read_timeout`` becomes the stream's default
    timeout for its calls (``None``: wait forever, good for long-lived idle connections).
    """

    def __init__(
        self,
        endpoint: str,
        on_connect: Callable[[AsyncStream], Awaitable[Any]],
        *,
        backoff: Backoff | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float | None = None,
        healthy_after: float = 5.0,
        rand: Callable[[], float] = random.random,
        connector: Connector | None = None,
        name: str | None = None,
        **connect_options: Any,
    ) -> None:
        super().__init__(name=name or f"reconnect {endpoint}")
        self.endpoint = endpoint
        self.on_connect = on_connect
        self.backoff = backoff or Backoff(initial=0.1, maximum=30.0)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.healthy_after = healthy_after
        self._rand = rand
        self._connector = connector
        self._connect_options = connect_options
        self.attempts = 0
        self.connections = 0
        self.disconnects = 0
        self.handler_errors = 0
        self.last_error: BaseException | None = None
        self._stream: AsyncStream | None = None
        self._connected = asyncio.Event()

    @property
    def stream(self) -> AsyncStream | None:
        """The live stream, or ``None`` while disconnected."""
        return self._stream

    @property
    def connected(self) -> bool:
        """True while a connection is up."""
        return self._stream is not None

    async def wait_connected(self) -> AsyncStream:
        """Wait for a live connection and return its stream.

        Raises:
            ConnectError: the client gave up (``backoff.max_attempts``) or stopped meanwhile.
        """
        while True:
            if self._stream is not None:
                return self._stream
            got = asyncio.ensure_future(self._connected.wait())
            ended = asyncio.ensure_future(self._stopped.wait())
            try:
                await asyncio.wait({got, ended}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                got.cancel()
                ended.cancel()
            if self._stopped.is_set() and self._stream is None:
                if isinstance(self.error, ConnectError):
                    raise self.error
                raise ConnectError(
                    f"{self.name}: client stopped before connecting", address=self.endpoint
                )

    async def _connect(self) -> AsyncStream:
        connector = self._connector
        if connector is None:
            from ..streams import aconnect

            connector = aconnect
        return await connector(self.endpoint, timeout=self.connect_timeout, **self._connect_options)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.set_ready()  # connecting happens in the background
        retry = 0
        while True:
            self.attempts += 1
            try:
                stream = await self._connect()
            except (TransportError, OSError) as exc:
                self.last_error = exc
                if self.backoff.exhausted(retry):
                    raise ConnectError(
                        f"{self.name}: gave up after {self.attempts} attempts: {exc}",
                        address=self.endpoint,
                    ) from exc
                delay = self.backoff.delay(retry, self._rand)
                log.debug(
                    "%s: connect failed (%r); retry %d in %.3fs", self.name, exc, retry + 1, delay
                )
                retry += 1
                await asyncio.sleep(delay)
                continue
            stream.timeout = self.read_timeout  # aconnect made the connect timeout the default
            self.connections += 1
            began = loop.time()
            self._stream = stream
            self._connected.set()
            try:
                await self.on_connect(stream)
            except (TransportError, OSError) as exc:
                self.last_error = exc
                log.debug("%s: connection lost: %r", self.name, exc)
            except Exception as exc:
                self.last_error = exc
                self.handler_errors += 1
                log.error("%s: on_connect raised %r; reconnecting", self.name, exc, exc_info=exc)
            finally:
                self._stream = None
                self._connected.clear()
                await _close_quietly(stream)
            self.disconnects += 1
            # Only a connection that stayed up long enough resets the backoff.
            if loop.time() - began >= self.healthy_after:
                retry = 0
            delay = self.backoff.delay(retry, self._rand)
            retry += 1
            await asyncio.sleep(delay)

    async def on_stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await _close_quietly(stream)


async def _close_quietly(stream: AsyncStream) -> None:
    try:
        await stream.aclose()
    except (TransportError, OSError) as exc:
        log.debug("closing %r: %r", stream, exc)
