"""The asyncio stream driver: ``AsyncStream`` on an ``asyncio.BufferedProtocol`` (not asyncio streams).

One ``_StreamProtocol`` per connection receives into a reused buffer, feeds the shared
sans-IO :class:`ReceiveBuffer`, and wakes at most one reader. Sends apply backpressure: when
the transport's buffer passes its high-water mark, ``send_all`` waits for it to drain.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from typing import IO, Any, TypeVar

from ..errors import (
    BrokenStreamError,
    ClosedStreamError,
    ConfigError,
    ConnectError,
    ConnectTimeout,
    IncompleteReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteTimeout,
)
from .blocking import DEFAULT, _compile, _fmt_addr, bind_socket
from .buffer import ReceiveBuffer
from .endpoint import Endpoint, parse_endpoint
from .tls import client_context, server_context, server_hostname, tls_error
from .trace import Trace, make_trace

T = TypeVar("T")
# Per-connection receive area: 64 KiB keeps 10,000 idle connections at 640 MB, not 2.5 GB,
# and still takes a full loopback segment burst per read.
CHUNK = 65536


class _StreamProtocol(asyncio.BufferedProtocol):
    """Transport callbacks for one AsyncStream."""

    __slots__ = (
        "_chunk",
        "_drain",
        "_paused",
        "_view",
        "buffer",
        "bytes_in",
        "bytes_out",
        "eof",
        "exc",
        "last_activity",
        "loop",
        "on_lost",
        "stream",
        "transport",
        "waiter",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.buffer = ReceiveBuffer()
        self._chunk = bytearray(CHUNK)
        self._view = memoryview(self._chunk)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused = False
        self.eof = False
        self.exc: BaseException | None = None
        self.stream: AsyncStream | None = None
        self.last_activity = loop.time()
        self.bytes_in = 0
        self.bytes_out = 0
        self.on_lost: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        data = self._view[:nbytes]
        stream = self.stream
        if stream is not None and stream.trace is not None:
            stream.trace.received(bytes(data))
        self.buffer.feed(data)
        self.bytes_in += nbytes
        self.last_activity = self.loop.time()
        w = self.waiter
        if w is not None:
            self.waiter = None
            if not w.done():
                w.set_result(None)

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        # Keep the write side open (half-close) for plain sockets; SSL cannot half-close.
        return self.transport is not None and self.transport.get_extra_info("sslcontext") is None

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.exc = exc
        self._wake()
        d = self._drain
        if d is not None and not d.done():
            d.set_result(None)
        if self.on_lost is not None:
            self.on_lost()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        d = self._drain
        if d is not None:
            self._drain = None
            if not d.done():
                d.set_result(None)

    def _wake(self) -> None:
        w = self.waiter
        if w is not None:
            self.waiter = None
            if not w.done():
                w.set_result(None)


def _expire(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError())


class AsyncStream:
    """A connected byte stream on asyncio (TCP, TLS or Unix); the async twin of :class:`Stream`."""

    def __init__(
        self,
        protocol: _StreamProtocol,
        *,
        timeout: float | None = None,
        max_line: int = 65536,
        trace: bool | Trace | None = None,
        label: str | None = None,
    ) -> None:
        self._p = protocol
        protocol.stream = self
        assert protocol.transport is not None
        self.transport: asyncio.Transport = protocol.transport
        self.timeout = timeout
        self.max_line = max_line
        self._closed = False
        self.peer_address: Any = self.transport.get_extra_info("peername")
        self.local_address: Any = self.transport.get_extra_info("sockname")
        self.label = label or _fmt_addr(self.peer_address)
        self.trace: Trace | None = make_trace(trace, self.label)

    # -- plumbing ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedStreamError(f"stream {self.label} is closed")

    async def _wait(self, timeout: float | None) -> None:
        """Wait for more bytes, EOF or loss; raise ReadTimeout after ``timeout`` seconds."""
        p = self._p
        if p.waiter is not None:
            raise RuntimeError("another task is already reading from this stream")
        fut = p.loop.create_future()
        p.waiter = fut
        handle = p.loop.call_later(timeout, _expire, fut) if timeout is not None else None
        try:
            await fut
        except TimeoutError:
            raise ReadTimeout(
                f"read from {self.label} timed out", partial=p.buffer.peek()
            ) from None
        finally:
            p.waiter = None
            if handle is not None:
                handle.cancel()

    def _raise_eof(self, what: str) -> None:
        p = self._p
        if self._closed:
            raise ClosedStreamError(f"stream {self.label} is closed")
        if p.exc is not None and not isinstance(p.exc, ssl.SSLError):
            raise BrokenStreamError(f"connection to {self.label} broke: {p.exc}") from p.exc
        if isinstance(p.exc, ssl.SSLError):
            raise tls_error(p.exc, self.label) from p.exc
        raise IncompleteReadError(f"{self.label} closed before {what}", partial=p.buffer.peek())

    async def _read_frame(
        self, take: Callable[[], T | None], timeout: float | None, what: str
    ) -> T:
        if timeout is DEFAULT:
            timeout = self.timeout
        loop = self._p.loop
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self._p.eof:
                frame = take()
                if frame is not None:
                    return frame
                self._raise_eof(what)
            await self._wait(None if deadline is None else max(0.0, deadline - loop.time()))
            frame = take()
            if frame is not None:
                return frame

    # -- receiving --------------------------------------------------------------------------

    async def recv(self, max_bytes: int = 65536, *, timeout: float | None = DEFAULT) -> bytes:
        """Up to ``max_bytes``; ``b""`` only at EOF.

        Raises:
            ReadTimeout, BrokenStreamError, TLSError, ClosedStreamError.
        """
        if self._closed:
            raise ClosedStreamError(f"stream {self.label} is closed")
        p = self._p
        buf = p.buffer
        # Hot path of every async handler: inline checks instead of method calls.
        if not buf._data and not p.eof:
            await self._wait(self.timeout if timeout is DEFAULT else timeout)
        if not buf._data and p.exc is not None:
            self._raise_eof("data")
        return buf.take(max_bytes)

    async def recv_exactly(self, n: int, *, timeout: float | None = DEFAULT) -> bytes:
        """Exactly ``n`` bytes.

        Raises:
            IncompleteReadError (``.partial``), ReadTimeout.
        """
        self._check_open()
        take = self._p.buffer.take_exactly
        frame = take(n)
        if frame is not None:
            return frame
        return await self._read_frame(lambda: take(n), timeout, f"{n} bytes")

    async def recv_until(
        self,
        delim: bytes,
        *,
        keep: bool = True,
        max_size: int | None = None,
        timeout: float | None = DEFAULT,
    ) -> bytes:
        """Bytes through ``delim``.

        Raises:
            LineTooLong, IncompleteReadError, ReadTimeout.
        """
        self._check_open()
        limit = self.max_line if max_size is None else max_size
        take = self._p.buffer.take_until
        frame = take(delim, keep=keep, max_size=limit)
        if frame is not None:
            return frame
        return await self._read_frame(
            lambda: take(delim, keep=keep, max_size=limit), timeout, repr(delim)
        )

    async def recv_line(
        self, *, keep: bool = False, max_size: int | None = None, timeout: float | None = DEFAULT
    ) -> bytes:
        """One line (without its ending unless ``keep``).

        Raises:
            LineTooLong, IncompleteReadError, ReadTimeout.
        """
        self._check_open()
        limit = self.max_line if max_size is None else max_size
        take = self._p.buffer.take_line
        line = take(keep=keep, max_size=limit)
        if line is not None:
            return line
        return await self._read_frame(
            lambda: take(keep=keep, max_size=limit), timeout, "end of line"
        )

    async def lines(
        self, *, keep: bool = False, timeout: float | None = DEFAULT
    ) -> AsyncIterator[bytes]:
        """Iterate lines until EOF (a last unterminated line is yielded too)."""
        while True:
            try:
                yield await self.recv_line(keep=keep, timeout=timeout)
            except IncompleteReadError as exc:
                if exc.partial:
                    yield self._p.buffer.take()
                return

    async def expect(
        self,
        pattern: bytes | str | re.Pattern[bytes],
        *,
        max_size: int | None = None,
        timeout: float | None = DEFAULT,
    ) -> re.Match[bytes]:
        """Read until ``pattern`` matches; consume through the match and return it.

        Raises:
            LineTooLong, IncompleteReadError, ReadTimeout.
        """
        self._check_open()
        regex = _compile(pattern)
        limit = self.max_line if max_size is None else max_size
        take = self._p.buffer.take_match
        m = take(regex, max_size=limit)
        if m is not None:
            return m
        return await self._read_frame(
            lambda: take(regex, max_size=limit), timeout, f"/{regex.pattern!r}/"
        )

    def buffered(self) -> int:
        """Bytes received and not yet consumed."""
        return len(self._p.buffer)

    # -- sending ----------------------------------------------------------------------------

    async def send_all(
        self, data: bytes | bytearray | memoryview, *, timeout: float | None = DEFAULT
    ) -> None:
        """Queue every byte; wait while the transport is over its high-water mark.

        Raises:
            WriteTimeout, BrokenStreamError, ClosedStreamError.
        """
        if self._closed:
            raise ClosedStreamError(f"stream {self.label} is closed")
        p = self._p
        if p.exc is not None or self.transport.is_closing():
            raise BrokenStreamError(f"connection to {self.label} is gone") from p.exc
        if self.trace is not None:
            self.trace.sent(bytes(data))
        self.transport.write(data)
        p.bytes_out += len(data)
        if p._paused:
            await self._drain(self.timeout if timeout is DEFAULT else timeout)

    def send_nowait(self, data: bytes | bytearray | memoryview) -> None:
        """Queue bytes without waiting for the buffer to drain (for callback-style code)."""
        self._check_open()
        if self.trace is not None:
            self.trace.sent(bytes(data))
        self.transport.write(data)

    async def _drain(self, timeout: float | None) -> None:
        p = self._p
        while p._paused and p.exc is None and not self.transport.is_closing():
            fut = p.loop.create_future()
            p._drain = fut
            try:
                await asyncio.wait_for(fut, timeout)
            except TimeoutError:
                raise WriteTimeout(f"write to {self.label} timed out (peer not reading)") from None
        if p.exc is not None:
            raise BrokenStreamError(f"connection to {self.label} broke: {p.exc}") from p.exc

    async def send_line(
        self, line: bytes | str, *, newline: bytes = b"\n", timeout: float | None = DEFAULT
    ) -> None:
        """Send ``line`` plus ``newline`` (str is UTF-8 encoded)."""
        data = line.encode() if isinstance(line, str) else line
        await self.send_all(data + newline, timeout=timeout)

    async def sendfile(self, file: IO[bytes], offset: int = 0, count: int | None = None) -> int:
        """Send a file's bytes with ``loop.sendfile`` (zero-copy on plain sockets). Returns bytes sent.

        Raises:
            BrokenStreamError.
        """
        self._check_open()
        try:
            return await self._p.loop.sendfile(self.transport, file, offset, count)
        except (ConnectionError, OSError) as exc:
            raise BrokenStreamError(f"sendfile to {self.label} failed: {exc}") from exc

    async def send_eof(self) -> None:
        """Half-close: the peer sees EOF; we can still receive.

        Raises:
            RemoteProtocolError: TLS transports cannot half-close.
        """
        self._check_open()
        if not self.transport.can_write_eof():
            raise RemoteProtocolError(
                "this transport (TLS) cannot half-close; close the stream instead"
            )
        self.transport.write_eof()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        *,
        server_hostname: str | None = None,
        server_side: bool = False,
        timeout: float | None = DEFAULT,
    ) -> None:
        """Upgrade to TLS in place (STARTTLS). Buffered plaintext would be an injection: refused.

        Raises:
            RemoteProtocolError: plaintext was buffered. TLSError. ReadTimeout.
        """
        self._check_open()
        p = self._p
        if p.buffer:
            raise RemoteProtocolError(
                "peer sent plaintext after STARTTLS (possible command injection)"
            )
        tmo = self.timeout if timeout is DEFAULT else timeout
        try:
            transport = await p.loop.start_tls(
                self.transport,
                p,
                ssl_context,
                server_side=server_side,
                server_hostname=server_hostname,
                ssl_handshake_timeout=tmo,
            )
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise tls_error(exc, self.label) from exc
        except TimeoutError:
            raise ReadTimeout(f"TLS handshake with {self.label} timed out") from None
        except (ConnectionError, OSError) as exc:
            raise BrokenStreamError(f"TLS handshake with {self.label} broke: {exc}") from exc
        if transport is None:  # pragma: no cover - only when the peer closed during handshake
            raise BrokenStreamError(f"{self.label} closed during the TLS handshake")
        self.transport = transport
        p.transport = transport

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def at_eof(self) -> bool:
        return self._p.eof and not self._p.buffer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport details: ``peername``, ``sockname``, ``ssl_object``, ``socket``, ..."""
        return self.transport.get_extra_info(name, default)

    def abort(self) -> None:
        """Close at once, dropping unsent bytes."""
        self._closed = True
        self.transport.abort()

    async def aclose(self) -> None:
        """Flush and close (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.transport.close()

    def close(self) -> None:
        """Close without waiting (for callback-style code); same as ``aclose``."""
        if not self._closed:
            self._closed = True
            self.transport.close()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncStream {self.label}{' closed' if self._closed else ''}>"


async def aconnect(
    endpoint: str | Endpoint,
    *,
    timeout: float | None = 30.0,
    ssl_context: ssl.SSLContext | None = None,
    trace: bool | Trace | None = None,
    max_line: int = 65536,
) -> AsyncStream:
    """Connect to ``endpoint``; the async twin of :func:`wirekit.connect`.

    Raises:
        ConfigError, ConnectTimeout, ConnectError (naming the address), TLSError (with the reason).
    """
    ep = parse_endpoint(endpoint)
    if ep.kind == "udp":
        raise ConfigError(f"{ep} is a datagram endpoint: use wirekit.streams.aopen_udp()")
    loop = asyncio.get_running_loop()
    ctx = None
    if ep.kind == "tls":
        ctx = ssl_context or client_context(ep)

    def factory() -> _StreamProtocol:
        return _StreamProtocol(loop)

    try:
        async with asyncio.timeout(timeout):
            if ep.kind == "unix":
                _, proto = await loop.create_unix_connection(factory, ep.path)
            else:
                _, proto = await loop.create_connection(
                    factory,
                    ep.host,
                    ep.port,
                    ssl=ctx,
                    server_hostname=server_hostname(ep) if ctx else None,
                )
    except TimeoutError:
        raise ConnectTimeout(
            f"connecting to {ep} timed out after {timeout}s", address=ep.address
        ) from None
    except (ssl.SSLError, ssl.CertificateError) as exc:
        raise tls_error(exc, ep) from exc
    except OSError as exc:
        raise ConnectError(
            f"cannot connect to {ep}: {exc.strerror or exc}", address=ep.address
        ) from exc
    sock = proto.transport.get_extra_info("socket") if proto.transport else None
    if sock is not None and ep.kind != "unix" and ep.flag("nodelay", True):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
    return AsyncStream(proto, timeout=timeout, trace=trace, max_line=max_line, label=str(ep))


class AsyncListener:
    """A listening socket on asyncio; ``await accept()`` returns an :class:`AsyncStream`."""

    def __init__(
        self, endpoint: Endpoint, server: asyncio.Server, queue: asyncio.Queue[AsyncStream]
    ) -> None:
        self.endpoint = endpoint
        self._server = server
        self._queue = queue
        sockets = server.sockets
        self.address: Any = sockets[0].getsockname() if sockets else None

    async def accept(self, *, timeout: float | None = None) -> AsyncStream:
        """Wait for a connection.

        Raises:
            ReadTimeout: none arrived in time.
        """
        try:
            async with asyncio.timeout(timeout):
                return await self._queue.get()
        except TimeoutError:
            raise ReadTimeout(f"no connection on {self.endpoint} within {timeout}s") from None

    @property
    def bound_endpoint(self) -> Endpoint:
        if self.endpoint.kind == "unix":
            return self.endpoint
        return self.endpoint.with_port(self.address[1])

    async def aclose(self) -> None:
        self._server.close()
        await self._server.wait_closed()
        if self.endpoint.kind == "unix":
            try:
                os.unlink(self.endpoint.path)
            except OSError:
                pass

    async def __aenter__(self) -> AsyncListener:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def create_server(
    endpoint: Endpoint,
    on_stream: Callable[[_StreamProtocol], None] | None,
    *,
    ssl_context: ssl.SSLContext | None = None,
    backlog: int | None = None,
    protocol_factory: Callable[[], asyncio.BaseProtocol] | None = None,
) -> asyncio.Server:
    """An asyncio server on ``endpoint`` whose connections call ``on_stream(protocol)`` when made.

    Raises:
        ConnectError: the address cannot be bound.
    """
    loop = asyncio.get_running_loop()
    if protocol_factory is None:
        assert on_stream is not None

        class _Accepted(_StreamProtocol):
            __slots__ = ()

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = transport  # type: ignore[assignment]
                sock = transport.get_extra_info("socket")
                if sock is not None and sock.family != socket.AF_UNIX:
                    try:
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    except OSError:
                        pass
                assert on_stream is not None
                on_stream(self)

        def factory() -> asyncio.BaseProtocol:
            return _Accepted(loop)

        protocol_factory = factory
    sock = bind_socket(endpoint)
    sock.setblocking(False)
    depth = backlog or int(endpoint.options.get("backlog", 511))
    if endpoint.kind == "unix":
        return await loop.create_unix_server(
            protocol_factory, sock=sock, ssl=ssl_context, backlog=depth
        )
    return await loop.create_server(protocol_factory, sock=sock, ssl=ssl_context, backlog=depth)


async def alisten(
    endpoint: str | Endpoint,
    *,
    ssl_context: ssl.SSLContext | None = None,
    backlog: int | None = None,
    trace: bool | Trace | None = None,
) -> AsyncListener:
    """Listen on ``endpoint`` (tcp, tls, unix); the async twin of :func:`wirekit.listen`.

    Raises:
        ConfigError: bad endpoint or tls without a certificate. ConnectError: cannot bind.
    """
    ep = parse_endpoint(endpoint)
    if ep.kind == "udp":
        raise ConfigError("for udp use wirekit.streams.aopen_udp(bind=...)")
    ctx = ssl_context or (server_context(ep) if ep.kind == "tls" else None)
    queue: asyncio.Queue[AsyncStream] = asyncio.Queue()

    def on_stream(proto: _StreamProtocol) -> None:
        queue.put_nowait(AsyncStream(proto, trace=trace))

    server = await create_server(ep, on_stream, ssl_context=ctx, backlog=backlog)
    return AsyncListener(ep, server, queue)


class _DatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[tuple[bytes, Any] | BaseException]) -> None:
        self.queue = queue

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait((data, addr))

    def error_received(self, exc: Exception) -> None:
        self.queue.put_nowait(exc)


class AsyncDatagramSocket:
    """A UDP socket on asyncio: ``sendto``/``await recvfrom``; the twin of :class:`DatagramSocket`."""

    def __init__(
        self,
        transport: asyncio.DatagramTransport,
        queue: asyncio.Queue[tuple[bytes, Any] | BaseException],
        timeout: float | None,
    ) -> None:
        self.transport = transport
        self._queue = queue
        self.timeout = timeout
        self.address: Any = transport.get_extra_info("sockname")

    def sendto(self, data: bytes, address: Any = None) -> None:
        """Send one datagram (to the connected peer when ``address`` is None)."""
        self.transport.sendto(data, address)

    async def recvfrom(self, *, timeout: float | None = DEFAULT) -> tuple[bytes, Any]:
        """One datagram and its sender.

        Raises:
            ReadTimeout: none in time. BrokenStreamError: an ICMP error was reported.
        """
        try:
            async with asyncio.timeout(self.timeout if timeout is DEFAULT else timeout):
                item = await self._queue.get()
        except TimeoutError:
            raise ReadTimeout(f"no datagram on {_fmt_addr(self.address)} in time") from None
        if isinstance(item, BaseException):
            raise BrokenStreamError(f"udp error: {item}") from item
        return item

    async def recv(self, *, timeout: float | None = DEFAULT) -> bytes:
        return (await self.recvfrom(timeout=timeout))[0]

    async def aclose(self) -> None:
        self.transport.close()

    def close(self) -> None:
        self.transport.close()

    async def __aenter__(self) -> AsyncDatagramSocket:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def aopen_udp(
    endpoint: str | Endpoint | None = None,
    *,
    bind: str | Endpoint | None = None,
    timeout: float | None = 30.0,
) -> AsyncDatagramSocket:
    """A UDP socket on asyncio, connected to ``endpoint`` and/or bound to ``bind``.

    Raises:
        ConfigError, ConnectError.
    """
    loop = asyncio.get_running_loop()
    remote = parse_endpoint(endpoint) if endpoint is not None else None
    local = parse_endpoint(bind) if bind is not None else None
    queue: asyncio.Queue[tuple[bytes, Any] | BaseException] = asyncio.Queue()
    kwargs: dict[str, Any] = {}
    if local is not None:
        sock = bind_socket(local, socket.SOCK_DGRAM)
        if remote is not None:
            sock.connect((remote.host, remote.port))
        sock.setblocking(False)
        kwargs["sock"] = sock
    elif remote is not None:
        kwargs["remote_addr"] = (remote.host, remote.port)
    else:
        kwargs["local_addr"] = ("0.0.0.0", 0)
    try:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _DatagramProtocol(queue), **kwargs
        )
    except OSError as exc:
        raise ConnectError(f"cannot open udp socket: {exc}", address=(remote or local)) from exc
    return AsyncDatagramSocket(transport, queue, timeout)
