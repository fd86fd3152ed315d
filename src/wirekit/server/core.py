"""``Server`` and ``serve``: run a handler on an endpoint with limits and graceful shutdown.

Handlers come in four shapes, chosen by what you pass:

- ``async def h(stream: AsyncStream)``: one task per connection on the event loop.
- ``def h(stream: Stream)``: a blocking handler on a bounded thread pool (accepting runs in its
  own thread; the event loop only supervises).
- a :class:`wirekit.runtime.Protocol` (or any ``asyncio.Protocol``) subclass: callbacks with no
  per-byte wrapper at all, for the highest throughput.
- for ``udp:`` endpoints, ``h(data: bytes, addr) -> bytes | None`` (or ``async def``): the
  returned bytes are sent back to ``addr``.

Limits. ``max_connections``: connections beyond it are accepted and closed at once (the client
sees EOF right after connecting) and counted in ``stats.rejected``; the listening socket keeps
accepting, so a flood cannot starve later clients once it ends. ``idle_timeout``: a connection
with no bytes received for that long is closed. ``max_line``: the default ``max_size`` of a
stream's ``recv_line``/``recv_until``; a longer line raises ``LineTooLong`` in the handler (the
connection is then closed), and memory stays bounded by it.

Shutdown. ``stop(deadline)`` stops accepting, lets running handlers finish for ``deadline``
seconds, then aborts the rest. ``serve()`` does that on SIGINT or SIGTERM. A handler's
exception is logged with the peer address and never stops the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import signal
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import (
    BrokenStreamError,
    ClosedStreamError,
    ConfigError,
    IncompleteReadError,
    ReadTimeout,
)
from ..streams.aio import AsyncStream, _StreamProtocol, create_server
from ..streams.blocking import Stream, bind_socket
from ..streams.endpoint import Endpoint, parse_endpoint
from ..streams.tls import server_context

log = logging.getLogger("wirekit.server")

#: Ends of a connection that are the peer's doing, not a handler bug: logged at debug level.
_QUIET = (BrokenStreamError, IncompleteReadError, ReadTimeout, ClosedStreamError, ConnectionError)


@dataclass
class ServerStats:
    """Counters readable while the server runs."""

    connections: int = 0
    active: int = 0
    rejected: int = 0
    idle_closed: int = 0
    datagrams: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    errors: int = 0


def _handler_kind(handler: Any, endpoint: Endpoint) -> str:
    if endpoint.kind == "udp":
        return "datagram"
    if isinstance(handler, type) and issubclass(handler, asyncio.BaseProtocol):
        return "protocol"
    if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(type(handler).__call__):
        return "async"
    if callable(handler):
        return "thread"
    raise ConfigError(f"handler {handler!r} is neither a function nor a Protocol class")


class Server:
    """A server for ``handler`` on ``endpoint``; see the module docstring for handler shapes and limits."""

    def __init__(
        self,
        handler: Any,
        endpoint: str | Endpoint,
        *,
        max_connections: int = 1024,
        idle_timeout: float | None = None,
        max_line: int = 65536,
        ssl_context: ssl.SSLContext | None = None,
        threads: int | None = None,
        backlog: int | None = None,
        name: str | None = None,
    ) -> None:
        self.handler = handler
        self.requested = parse_endpoint(endpoint)
        self.kind = _handler_kind(handler, self.requested)
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.max_line = max_line
        self.ssl_context = ssl_context
        if self.requested.kind == "tls" and ssl_context is None:
            self.ssl_context = server_context(self.requested)
        self.threads = threads or min(64, max_connections)
        self.backlog = backlog
        self.name = name or getattr(handler, "__name__", type(handler).__name__)
        self.stats = ServerStats()
        self.address: Any = None
        self._server: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._protocols: set[_StreamProtocol] = set()
        self._transports: set[asyncio.BaseTransport] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        # threaded mode
        self._lsock: socket.socket | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._accept_thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._futures: set[concurrent.futures.Future[None]] = set()

    @property
    def endpoint(self) -> str:
        """The endpoint actually bound (with the real port after binding port 0)."""
        ep = self.requested
        if ep.kind != "unix" and self.address is not None:
            ep = ep.with_port(self.address[1])
        return str(Endpoint(ep.kind, ep.host, ep.port, ep.path))

    # -- start ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start accepting; return once connections are accepted.

        Raises:
            ConnectError: the address cannot be bound. ConfigError: bad endpoint or TLS files.
        """
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        ep = self.requested
        if self.kind == "datagram":
            await self._start_udp(ep)
        elif self.kind == "thread":
            self._start_threaded(ep)
        else:
            factory = self._protocol_factory() if self.kind == "protocol" else None
            self._server = await create_server(
                ep,
                self._on_stream if factory is None else None,
                ssl_context=self.ssl_context,
                backlog=self.backlog,
                protocol_factory=factory,
            )
            socks = self._server.sockets
            self.address = socks[0].getsockname() if socks else None
        if self.idle_timeout is not None and self.kind == "async":
            self._sweeper = asyncio.create_task(self._sweep_idle())
        log.info("%s listening on %s", self.name, self.endpoint)

    def _over_limit(self) -> bool:
        if self.stats.active >= self.max_connections:
            self.stats.rejected += 1
            return True
        return False

    # async handlers
    def _on_stream(self, proto: _StreamProtocol) -> None:
        assert proto.transport is not None
        if self._over_limit():
            proto.transport.abort()
            return
        self.stats.connections += 1
        self.stats.active += 1
        stream = AsyncStream(proto, timeout=None, max_line=self.max_line)
        self._protocols.add(proto)
        task = asyncio.ensure_future(self._run_async(stream, proto))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_async(self, stream: AsyncStream, proto: _StreamProtocol) -> None:
        try:
            await self.handler(stream)
        except asyncio.CancelledError:
            pass
        except _QUIET as exc:
            log.debug("%s: %s ended: %s", self.name, stream.peer_address, exc)
        except Exception:
            self.stats.errors += 1
            log.exception("%s: handler failed for peer %s", self.name, stream.peer_address)
        finally:
            self.stats.active -= 1
            self.stats.bytes_in += proto.bytes_in
            self.stats.bytes_out += proto.bytes_out
            self._protocols.discard(proto)
            stream.close()

    async def _sweep_idle(self) -> None:
        assert self.idle_timeout is not None and self._loop is not None
        period = max(0.05, min(1.0, self.idle_timeout / 4))
        while True:
            await asyncio.sleep(period)
            cutoff = self._loop.time() - self.idle_timeout
            for proto in list(self._protocols):
                if (
                    proto.last_activity < cutoff
                    and proto.transport is not None
                    and not proto.transport.is_closing()
                ):
                    self.stats.idle_closed += 1
                    log.info(
                        "%s: closing idle connection from %s",
                        self.name,
                        proto.transport.get_extra_info("peername"),
                    )
                    proto.transport.abort()

    # Protocol classes
    def _protocol_factory(self) -> Callable[[], asyncio.BaseProtocol]:
        server = self
        base = self.handler

        class Counted(base):  # type: ignore[misc, valid-type]
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                if server._over_limit():
                    transport.abort()  # type: ignore[attr-defined]
                    self._wk_rejected = True
                    return
                server.stats.connections += 1
                server.stats.active += 1
                server._transports.add(transport)
                self._wk_transport = transport
                super().connection_made(transport)

            def connection_lost(self, exc: Exception | None) -> None:
                if getattr(self, "_wk_rejected", False):
                    return
                server.stats.active -= 1
                server._transports.discard(self._wk_transport)
                try:
                    super().connection_lost(exc)
                except Exception:
                    server.stats.errors += 1
                    log.exception(
                        "%s: connection_lost failed for %s",
                        server.name,
                        transport_peer(self._wk_transport),
                    )

        Counted.__name__ = Counted.__qualname__ = base.__name__
        return Counted

    # datagrams
    async def _start_udp(self, ep: Endpoint) -> None:
        assert self._loop is not None
        server = self
        handler = self.handler
        is_async = inspect.iscoroutinefunction(handler)

        class Datagrams(asyncio.DatagramProtocol):
            transport: asyncio.DatagramTransport

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = transport  # type: ignore[assignment]

            def datagram_received(self, data: bytes, addr: Any) -> None:
                server.stats.datagrams += 1
                server.stats.bytes_in += len(data)
                if is_async:
                    task = asyncio.ensure_future(server._run_datagram(data, addr, self.transport))
                    server._tasks.add(task)
                    task.add_done_callback(server._tasks.discard)
                    return
                try:
                    reply = handler(data, addr)
                except Exception:
                    server.stats.errors += 1
                    log.exception("%s: datagram handler failed for %s", server.name, addr)
                    return
                if reply:
                    server.stats.bytes_out += len(reply)
                    self.transport.sendto(reply, addr)

        sock = bind_socket(ep, socket.SOCK_DGRAM)
        sock.setblocking(False)
        transport, _ = await self._loop.create_datagram_endpoint(Datagrams, sock=sock)
        self._udp = transport
        self.address = transport.get_extra_info("sockname")

    async def _run_datagram(
        self, data: bytes, addr: Any, transport: asyncio.DatagramTransport
    ) -> None:
        try:
            reply = await self.handler(data, addr)
        except Exception:
            self.stats.errors += 1
            log.exception("%s: datagram handler failed for %s", self.name, addr)
            return
        if reply and not transport.is_closing():
            self.stats.bytes_out += len(reply)
            transport.sendto(reply, addr)

    # blocking handlers on threads
    def _start_threaded(self, ep: Endpoint) -> None:
        sock = bind_socket(ep)
        sock.listen(self.backlog or int(ep.options.get("backlog", 511)))
        self._lsock = sock
        self.address = sock.getsockname()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            self.threads, thread_name_prefix=f"wirekit-{self.name}"
        )
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"wirekit-{self.name}-accept", daemon=True
        )
        self._accept_thread.start()

    def _accept_loop(self) -> None:
        lsock, pool = self._lsock, self._pool
        assert lsock is not None and pool is not None
        while True:
            try:
                conn, _ = lsock.accept()
            except OSError:
                return  # listening socket closed by stop()
            with self._lock:
                if self.stats.active >= self.max_connections:
                    self.stats.rejected += 1
                    conn.close()
                    continue
                self.stats.connections += 1
                self.stats.active += 1
                self._conns.add(conn)
            try:
                fut = pool.submit(self._run_threaded, conn)
            except RuntimeError:  # pool shut down during stop()
                conn.close()
                return
            with self._lock:
                self._futures.add(fut)
            fut.add_done_callback(self._forget_future)

    def _forget_future(self, fut: concurrent.futures.Future[None]) -> None:
        with self._lock:
            self._futures.discard(fut)

    def _run_threaded(self, conn: socket.socket) -> None:
        stream: Stream | None = None
        try:
            if conn.family != socket.AF_UNIX:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            stream = Stream(conn, timeout=self.idle_timeout, max_line=self.max_line)
            if self.ssl_context is not None:
                stream.start_tls(self.ssl_context, server_side=True, timeout=30.0)
            self.handler(stream)
        except _QUIET as exc:
            if isinstance(exc, ReadTimeout):
                with self._lock:
                    self.stats.idle_closed += 1
            log.debug("%s: connection ended: %s", self.name, exc)
        except Exception:
            with self._lock:
                self.stats.errors += 1
            peer = stream.peer_address if stream is not None else None
            log.exception("%s: handler failed for peer %s", self.name, peer)
        finally:
            with self._lock:
                self.stats.active -= 1
                self._conns.discard(conn)
            if stream is not None:
                stream.close()
            else:
                conn.close()

    # -- stop -------------------------------------------------------------------------------

    async def stop(self, deadline: float = 5.0) -> None:
        """Stop accepting, let handlers finish for ``deadline`` seconds, then abort the rest."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._server is not None:
            self._server.close()
        if self._lsock is not None:
            try:
                self._lsock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._lsock.close()
            self._lsock = None
            if self.requested.kind == "unix":
                import os

                try:
                    os.unlink(self.requested.path)
                except OSError:
                    pass
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=deadline)
            for task in pending:
                task.cancel()
            for proto in list(self._protocols):
                if proto.transport is not None:
                    proto.transport.abort()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        for transport in list(self._transports):
            transport.close()
        if self._pool is not None:
            pool = self._pool
            self._pool = None
            with self._lock:
                futures = set(self._futures)
            if futures:
                await asyncio.to_thread(concurrent.futures.wait, futures, deadline)
            with self._lock:
                conns = list(self._conns)
            for conn in conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            await asyncio.to_thread(pool.shutdown, True)
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            except (TimeoutError, Exception):
                pass
            self._server = None
        if self._stopped is not None:
            self._stopped.set()
        log.info("%s stopped", self.name)

    async def wait_stopped(self) -> None:
        """Wait until :meth:`stop` has completed."""
        assert self._stopped is not None, "server not started"
        await self._stopped.wait()

    async def serve_forever(self, *, shutdown_deadline: float = 5.0) -> None:
        """Start, run until SIGINT/SIGTERM (when on the main thread) or cancellation, then stop."""
        await self.start()
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        installed = []
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, stop_requested.set)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError):
                    pass
        try:
            await stop_requested.wait()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            await self.stop(shutdown_deadline)

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def transport_peer(transport: asyncio.BaseTransport) -> Any:
    return transport.get_extra_info("peername")


def serve(handler: Any, endpoint: str | Endpoint, **options: Any) -> None:
    """Run ``handler`` on ``endpoint`` until SIGINT or SIGTERM (blocking). Options as :class:`Server`.

    Raises:
        ConfigError, ConnectError: as :meth:`Server.start`.
    """
    from ..runtime.loop import run

    run(Server(handler, endpoint, **options).serve_forever())
