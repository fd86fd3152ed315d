"""SMTPServer: the asyncio driver of :class:`ServerConnection`, with pluggable handlers and the mail sink.

The driver is a thin ``asyncio.Protocol`` (not asyncio streams, which cost 2-3x the CPU):
bytes in, events out, one ``write`` per batch of replies. A handler decides MAIL, RCPT,
the message and AUTH; each method may return its answer directly or an awaitable (the
machine pauses until it resolves, so pipelined commands keep their order).
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from .protocol import NEED_DATA, PAUSED, Reply
from .server_protocol import (
    CLOSED,
    R_AUTH_FAIL,
    R_AUTH_OK,
    R_MAIL_OK,
    R_QUEUED,
    R_RCPT_OK,
    AuthAttempt,
    Hello,
    MailFrom,
    Message,
    RcptTo,
    ServerConnection,
    StartTLS,
)
from .store import MemoryStore, Store

__all__ = ["Handler", "RecipientPolicy", "SMTPServer", "ServerStats", "Session", "SinkHandler"]

R_RELAY_DENIED = Reply(550, "Relaying denied: recipient not accepted here", "5.7.1")
R_STORE_FAILED = Reply(451, "Local error in processing", "4.3.0")
R_TOO_MANY_CONN = Reply(421, "Too many connections, try again later", "4.7.0")
R_IDLE = Reply(421, "Timeout, closing connection", "4.4.2")


@dataclass(slots=True)
class Session:
    """What a handler knows about the connection."""

    peer: Any
    helo: str | None = None
    tls: bool = False
    authenticated: str | None = None
    messages: int = 0


@dataclass(slots=True)
class ServerStats:
    connections: int = 0
    active: int = 0
    refused: int = 0
    messages: int = 0
    bytes: int = 0
    errors: int = 0


class Handler:
    """Base handler: accept every sender and recipient, discard messages, refuse AUTH.

    Override any of the four methods; each returns a Reply (or bool for ``authenticate``)
    directly or as an awaitable.
    """

    accept_all = False

    def mail_from(
        self, session: Session, address: str, params: Mapping[str, str | None]
    ) -> Reply | Awaitable[Reply]:
        return R_MAIL_OK

    def rcpt_to(
        self, session: Session, address: str, params: Mapping[str, str | None]
    ) -> Reply | Awaitable[Reply]:
        return R_RCPT_OK

    def message(self, session: Session, event: Message) -> Reply | Awaitable[Reply]:
        return R_QUEUED

    def authenticate(
        self, session: Session, mechanism: str, username: str, password: str
    ) -> bool | Awaitable[bool]:
        return False


@dataclass
class RecipientPolicy:
    """Which recipients the sink accepts: listed ``domains`` or ``recipients``, or everything
    (``accept_all``, allowed only while bound to loopback). Authenticated sessions may send anywhere."""

    domains: frozenset[str] = field(default_factory=frozenset)
    recipients: frozenset[str] = field(default_factory=frozenset)
    accept_all: bool = False

    @classmethod
    def of(
        cls, domains: Iterable[str] = (), recipients: Iterable[str] = (), accept_all: bool = False
    ) -> RecipientPolicy:
        return cls(
            frozenset(d.lower().lstrip("@") for d in domains),
            frozenset(r.lower() for r in recipients),
            accept_all,
        )

    def accepts(self, address: str) -> bool:
        if self.accept_all:
            return True
        addr = address.lower()
        if addr in self.recipients or addr == "postmaster":
            return True
        return addr.rpartition("@")[2] in self.domains


class SinkHandler(Handler):
    """The mail sink: stores each accepted message durably before answering 250.

    ``credentials`` (user -> password) enables AUTH checks. A store that fsyncs runs on a
    small thread pool so the event loop keeps serving other connections.
    """

    def __init__(
        self,
        store: Store | None = None,
        policy: RecipientPolicy | None = None,
        *,
        credentials: Mapping[str, str] | None = None,
        on_message: Callable[[str, Message], None] | None = None,
    ) -> None:
        self.store: Store = store if store is not None else MemoryStore()
        self.policy = policy or RecipientPolicy()
        self.credentials = dict(credentials or {})
        self.on_message = on_message
        self._durable = bool(getattr(self.store, "durable", False))
        self._pool: ThreadPoolExecutor | None = None

    @property
    def accept_all(self) -> bool:  # type: ignore[override]
        return self.policy.accept_all

    def rcpt_to(self, session: Session, address: str, params: Mapping[str, str | None]) -> Reply:
        if session.authenticated is not None or self.policy.accepts(address):
            return R_RCPT_OK
        return R_RELAY_DENIED

    def message(self, session: Session, event: Message) -> Reply | Awaitable[Reply]:
        if not self._durable:
            # _save inlined for the in-memory store (the benchmark's and the tests' sink)
            try:
                msg_id = self.store.save(event.mail_from, event.rcpt_tos, event.data)
            except OSError:
                return R_STORE_FAILED
            if self.on_message is not None:
                self.on_message(msg_id, event)
            return Reply(250, f"OK: queued as {msg_id}", "2.0.0")
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wirekit-smtp-store")
        return asyncio.get_running_loop().run_in_executor(self._pool, self._save, event)

    def _save(self, event: Message) -> Reply:
        try:
            msg_id = self.store.save(event.mail_from, event.rcpt_tos, event.data)
        except OSError:
            return R_STORE_FAILED
        if self.on_message is not None:
            self.on_message(msg_id, event)
        return Reply(250, f"OK: queued as {msg_id}", "2.0.0")

    def authenticate(self, session: Session, mechanism: str, username: str, password: str) -> bool:
        import hmac

        expected = self.credentials.get(username)
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


RECV_BUFFER = 65536


class _SMTPProtocol(asyncio.BufferedProtocol):
    """One connection: feeds the machine and runs the handler's decisions in order.

    A BufferedProtocol: the transport (plain, or the SSL transport after STARTTLS) reads into
    one preallocated buffer, so no bytes object is allocated per read (the SSL transport
    would otherwise allocate its 256 KiB read size for every record).
    """

    def __init__(self, server: SMTPServer) -> None:
        self.server = server
        self._recv = bytearray(RECV_BUFFER)
        self._recv_view = memoryview(self._recv)
        self.transport: asyncio.Transport | None = None
        self.conn: ServerConnection | None = None
        self.session: Session | None = None
        self._busy = False
        self._closed = False
        self._idle: asyncio.TimerHandle | None = None
        self._activity = 0
        self._seen = 0
        self._task: asyncio.Future[None] | None = None  # the decision or TLS upgrade in progress

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        srv = self.server
        # uvloop transports are not asyncio.Transport subclasses: no isinstance check
        self.transport = transport  # type: ignore[assignment]
        tr: Any = transport
        stats = srv.stats
        stats.connections += 1
        if stats.active >= srv.max_connections:
            stats.refused += 1
            tr.write(R_TOO_MANY_CONN.to_bytes())
            tr.close()
            self._closed = True
            return
        stats.active += 1
        srv._protocols.add(self)
        self.session = Session(transport.get_extra_info("peername"), tls=srv.implicit_tls)
        self.conn = ServerConnection(srv.hostname, tls=srv.implicit_tls, **srv._conn_options)
        tr.write(self.conn.data_to_send())
        if srv.idle_timeout:
            loop = srv._loop
            assert loop is not None
            self._idle = loop.call_later(srv.idle_timeout, self._check_idle)

    def _check_idle(self) -> None:
        # cheaper than reading the clock per segment: data_received bumps a counter, and a
        # session is idle when the counter did not move for a whole idle_timeout
        loop = self.server._loop
        if self._closed or loop is None:
            return
        if self._activity != self._seen:
            self._seen = self._activity
            self._idle = loop.call_later(self.server.idle_timeout, self._check_idle)
            return
        # RFC 5321 §4.5.3.2.7: the server may close an idle session with 421
        if self.transport is not None:
            self.transport.write(R_IDLE.to_bytes())
            self.transport.close()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._recv_view

    def buffer_updated(self, nbytes: int) -> None:
        """Bytes arrived in the receive buffer: feed the machine and run its events.

        data_received, ServerConnection.receive_data and the event pump are inlined here:
        this runs once per read, so every Python call saved is saved per command.
        """
        conn: Any = self.conn
        if conn is None or conn.state is CLOSED:
            return
        buf = conn._buf  # the machine's input buffer (same object for the connection's life)
        if nbytes:
            self.server.stats.bytes += nbytes
            self._activity += 1
            buf += self._recv_view[:nbytes]
        if self._busy:
            return
        session: Any = self.session
        handler = self.server.handler
        while True:
            ev = conn.next_event()
            if ev is NEED_DATA or ev is PAUSED:
                break
            t = type(ev)
            result: Any
            if t is RcptTo:
                result = handler.rcpt_to(session, ev.address, ev.params)
            elif t is MailFrom:
                result = handler.mail_from(session, ev.address, ev.params)
            elif t is Message:
                result = handler.message(session, ev)
            elif t is AuthAttempt:
                result = handler.authenticate(session, ev.mechanism, ev.username, ev.password)
            elif t is Hello:
                session.helo = ev.domain
                continue
            elif t is StartTLS:
                self._write(conn.data_to_send())
                self._busy = True
                self._task = asyncio.ensure_future(self._start_tls())
                return
            else:  # pragma: no cover - every event type is handled above
                continue
            rt = type(result)
            if rt is Reply:
                if t is Message and result.code == 250:
                    session.messages += 1
                    self.server.stats.messages += 1
                conn.answer(result)
            elif rt is not bool and inspect.isawaitable(result):
                self._write(conn.data_to_send())
                self._busy = True
                assert self.transport is not None
                self.transport.pause_reading()
                self._task = asyncio.ensure_future(self._finish(ev, result))
                return
            else:
                conn.answer(self._to_reply(ev, result))
            if not buf:
                break  # an empty buffer yields no event: skip the NEED_DATA round trip
        queued = conn._out  # data_to_send() inlined: one write of every queued reply
        if queued:
            data = queued[0] if len(queued) == 1 else b"".join(queued)
            queued.clear()
            if not self._closed:
                self.transport.write(data)  # type: ignore[union-attr]
        if conn.should_close and self.transport is not None:
            self.transport.close()

    def _pump(self) -> None:
        """Run the events already buffered (after a decision or a TLS upgrade finished)."""
        self.buffer_updated(0)

    def data_received(self, data: bytes | memoryview) -> None:
        conn = self.conn
        if conn is None:
            return
        self.server.stats.bytes += len(data)
        self._activity += 1
        conn.receive_data(data)
        if not self._busy:
            self._pump()

    def _count(self, result: Reply) -> None:
        if result.code == 250:
            self.session.messages += 1  # type: ignore[union-attr]
            self.server.stats.messages += 1

    def _to_reply(self, ev: Any, result: Any) -> Reply:
        t = type(ev)
        session = self.session
        assert session is not None
        if t is AuthAttempt:
            if result is True:
                session.authenticated = ev.username
                return R_AUTH_OK
            self.server.stats.errors += 1
            return result if isinstance(result, Reply) else R_AUTH_FAIL
        if t is Message:
            self._count(result)
        return result  # type: ignore[no-any-return]

    def _write(self, data: bytes) -> None:
        if data and self.transport is not None and not self._closed:
            self.transport.write(data)

    async def _finish(self, ev: Any, awaitable: Awaitable[Any]) -> None:
        try:
            result = await awaitable
        except Exception:
            result = R_STORE_FAILED if type(ev) is Message else Reply(451, "Local error", "4.3.0")
        if self._closed or self.conn is None:
            return
        data = self.conn.send(self._to_reply(ev, result))
        self._write(data)
        self._busy = False
        if self.transport is not None and not self._closed:
            self.transport.resume_reading()
        self._pump()

    async def _start_tls(self) -> None:
        srv = self.server
        assert self.transport is not None and self.conn is not None and srv.ssl_context is not None
        loop = asyncio.get_running_loop()
        try:
            transport = await loop.start_tls(
                self.transport, self, srv.ssl_context, server_side=True
            )
        except (OSError, ssl.SSLError, ConnectionError, asyncio.CancelledError):
            srv.stats.errors += 1
            if self.transport is not None:
                self.transport.abort()
            return
        if transport is None or self._closed:
            return
        self.transport = transport
        self.conn.tls_started()
        if self.session is not None:
            self.session.tls = True
            self.session.authenticated = None
            self.session.helo = None
        self._busy = False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._closed:
            return
        self._closed = True
        self.server.stats.active -= 1
        self.server._protocols.discard(self)
        if self._idle is not None:
            self._idle.cancel()
        if self.conn is not None:
            self.conn.receive_data(b"")  # a message not yet at CRLF.CRLF is dropped, never stored

    def close(self) -> None:
        if self.transport is not None and not self._closed:
            self.transport.close()


def _is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SMTPServer:
    """An SMTP server on ``endpoint`` (``tcp:HOST:PORT`` or implicit TLS ``tls:HOST:PORT``).

    Args:
        handler: decides MAIL/RCPT/message/AUTH; default a :class:`SinkHandler` on a memory store.
        ssl_context: offers STARTTLS on tcp endpoints (and serves tls endpoints).
        max_connections: concurrent sessions; more get ``421`` and are closed.
        idle_timeout: seconds without input before ``421`` and close (RFC 5321 §4.5.3.2.7: 5 min).
        **options: passed to :class:`ServerConnection` (max_message_size, max_recipients,
            max_line, max_data_line, max_errors, max_commands, auth_without_tls, require_auth).

    Raises (from ``start``):
        ConfigError: accept-all policy on a non-loopback address, or a bad endpoint.
        OSError: the address could not be bound.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        endpoint: str = "tcp:127.0.0.1:2525",
        *,
        hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
        idle_timeout: float = 300.0,
        auth: bool | None = None,
        **options: Any,
    ) -> None:
        from ..streams.endpoint import parse_endpoint

        self.endpoint_spec = parse_endpoint(endpoint)
        if self.endpoint_spec.kind not in ("tcp", "tls"):
            raise ConfigError(
                f"SMTP serves on tcp: or tls: endpoints, not {self.endpoint_spec.kind}:"
            )
        self.handler = handler if handler is not None else SinkHandler()
        self.ssl_context = ssl_context
        self.implicit_tls = self.endpoint_spec.kind == "tls"
        if self.implicit_tls and ssl_context is None:
            raise ConfigError("a tls: endpoint needs ssl_context")
        self.hostname = hostname or "localhost"
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        if auth is None:
            auth = bool(getattr(self.handler, "credentials", None))
        self._conn_options = dict(
            options, starttls=ssl_context is not None and not self.implicit_tls, auth=auth
        )
        self.stats = ServerStats()
        self._server: asyncio.base_events.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._protocols: set[_SMTPProtocol] = set()

    async def start(self) -> None:
        host = self.endpoint_spec.host
        if getattr(self.handler, "accept_all", False) and not _is_loopback(host):
            raise ConfigError(
                f"refusing to accept mail for every recipient on {host}: that is an open relay. "
                "Bind to 127.0.0.1/::1, or configure accepted domains/recipients"
            )
        self._loop = asyncio.get_running_loop()
        self._server = await self._loop.create_server(
            lambda: _SMTPProtocol(self),
            host or None,
            self.endpoint_spec.port,
            ssl=self.ssl_context if self.implicit_tls else None,
            reuse_address=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "server not started"
        sockname = self._server.sockets[0].getsockname()
        return sockname[0], sockname[1]

    @property
    def endpoint(self) -> str:
        host, port = self.address
        host = f"[{host}]" if ":" in host else host
        return f"{self.endpoint_spec.kind}:{host}:{port}"

    async def stop(self, deadline: float = 5.0) -> None:
        """Stop accepting, let sessions finish until ``deadline`` seconds, then close them."""
        if self._server is None:
            return
        self._server.close()
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        while self._protocols and loop.time() < end:
            if all(not p._busy for p in self._protocols):
                break
            await asyncio.sleep(0.02)
        for p in list(self._protocols):
            p.close()
        await self._server.wait_closed()
        self._server = None
        close = getattr(self.handler, "close", None)
        if close is not None:
            await asyncio.to_thread(close)

    async def __aenter__(self) -> SMTPServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()


def sink(
    store: Store | None = None,
    *,
    domains: Iterable[str] = (),
    recipients: Iterable[str] = (),
    accept_all: bool = False,
    credentials: Mapping[str, str] | None = None,
    endpoint: str = "tcp:127.0.0.1:2525",
    **kwargs: Any,
) -> SMTPServer:
    """A mail-sink SMTPServer: ``await sink(MaildirStore("mail"), accept_all=True).start()``."""
    handler = SinkHandler(
        store, RecipientPolicy.of(domains, recipients, accept_all), credentials=credentials
    )
    return SMTPServer(handler, endpoint, **kwargs)
