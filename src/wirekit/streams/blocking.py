"""The blocking-socket stream driver: ``Stream``, ``Listener`` and ``DatagramSocket``.

Every call that may block takes ``timeout`` (seconds; ``None`` waits forever; the default is
the stream's ``timeout``). A timeout raises :class:`ReadTimeout` whose ``.partial`` is a copy of
the bytes buffered so far; those bytes stay buffered, so a retry loses nothing.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import struct
import time
from collections.abc import Callable, Iterator
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
from .buffer import ReceiveBuffer
from .endpoint import Endpoint, parse_endpoint
from .tls import client_context, server_context, server_hostname, tls_error
from .trace import Trace, make_trace

T = TypeVar("T")


class _Default:
    def __repr__(self) -> str:
        return "<stream default>"


DEFAULT: Any = _Default()
RECV_SIZE = 65536


def _set_nodelay(sock: socket.socket) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _fmt_addr(addr: Any) -> str:
    if isinstance(addr, tuple):
        host = addr[0]
        return f"[{host}]:{addr[1]}" if ":" in host else f"{host}:{addr[1]}"
    return str(addr)


class Stream:
    """A connected byte stream over a blocking socket (TCP, TLS or Unix)."""

    def __init__(
        self,
        sock: socket.socket,
        *,
        timeout: float | None = None,
        max_line: int = 65536,
        trace: bool | Trace | None = None,
        label: str | None = None,
    ) -> None:
        self.sock = sock
        self.timeout = timeout
        self.max_line = max_line
        self._buf = ReceiveBuffer()
        # One reused receive area: recv() of a large size would malloc (and, past glibc's mmap
        # threshold, mmap/munmap) a fresh buffer on every call.
        self._chunk = bytearray(RECV_SIZE)
        self._view = memoryview(self._chunk)
        self._eof = False
        self._closed = False
        # Timeouts are kernel socket options (SO_RCVTIMEO/SO_SNDTIMEO) on a blocking socket:
        # CPython's own timeout mode polls before every send and recv, doubling the syscalls of
        # a small round trip. The values are cached so an unchanged timeout costs nothing.
        # TLS sockets keep CPython's timeout mode: OpenSSL retries a kernel timeout forever.
        self._kernel_timeouts = not isinstance(sock, ssl.SSLSocket)
        sock.settimeout(None)
        self._rcv_timeout: float | _Default | None = DEFAULT
        self._snd_timeout: float | _Default | None = DEFAULT
        try:
            peer = sock.getpeername()
        except OSError:
            peer = None
        self.peer_address: Any = peer
        self.local_address: Any = sock.getsockname()
        self.label = label or _fmt_addr(peer)
        self.trace: Trace | None = make_trace(trace, self.label)

    # -- plumbing ---------------------------------------------------------------------------

    def _set_snd_timeout(self, value: float | None) -> None:
        if value != self._snd_timeout:
            if self._kernel_timeouts:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(value))
            else:
                self.sock.settimeout(value)
                self._rcv_timeout = value
            self._snd_timeout = value

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedStreamError(f"stream {self.label} is closed")

    def _fill(self, timeout: float | None) -> bool:
        """Read once into the buffer, waiting at most ``timeout``; False at EOF."""
        if timeout != self._rcv_timeout:
            if timeout is not None and timeout <= 0:
                raise ReadTimeout(f"read from {self.label} timed out", partial=self._buf.peek())
            if self._kernel_timeouts:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(timeout))
            else:
                self.sock.settimeout(timeout)
                self._snd_timeout = timeout
            self._rcv_timeout = timeout
        try:
            n = self.sock.recv_into(self._chunk)
        except (TimeoutError, BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise ReadTimeout(
                f"read from {self.label} timed out", partial=self._buf.peek()
            ) from None
        except ssl.SSLError as exc:
            raise tls_error(exc, self.label) from exc
        except OSError as exc:
            if self._closed:
                raise ClosedStreamError(f"stream {self.label} is closed") from exc
            raise BrokenStreamError(f"connection to {self.label} broke: {exc}") from exc
        if not n:
            self._eof = True
            return False
        data = self._view[:n]
        if self.trace is not None:
            self.trace.received(bytes(data))
        self._buf.feed(data)
        return True

    def _read_frame(self, take: Callable[[], T | None], timeout: float | None, what: str) -> T:
        if timeout is DEFAULT:
            timeout = self.timeout
        # The first read waits the whole timeout (usually the cached socket timeout: no syscall);
        # later reads of the same call wait what is left of it.
        deadline = None if timeout is None else time.monotonic() + timeout
        wait = timeout
        while True:
            if self._eof:
                raise IncompleteReadError(
                    f"{self.label} closed before {what}", partial=self._buf.peek()
                )
            if self._fill(wait):
                frame = take()
                if frame is not None:
                    return frame
            if deadline is not None:
                wait = deadline - time.monotonic()

    # -- receiving --------------------------------------------------------------------------

    def recv(self, max_bytes: int = 65536, *, timeout: float | None = DEFAULT) -> bytes:
        """Up to ``max_bytes`` bytes; ``b""`` only at EOF.

        Raises:
            ReadTimeout: nothing arrived in time. BrokenStreamError, TLSError, ClosedStreamError.
        """
        self._check_open()
        if not self._buf and not self._eof:
            self._fill(self.timeout if timeout is DEFAULT else timeout)
        return self._buf.take(max_bytes)

    def recv_exactly(self, n: int, *, timeout: float | None = DEFAULT) -> bytes:
        """Exactly ``n`` bytes.

        Raises:
            IncompleteReadError: EOF first (``.partial`` has what came). ReadTimeout.
        """
        self._check_open()
        frame = self._buf.take_exactly(n)
        if frame is not None:
            return frame
        return self._read_frame(lambda: self._buf.take_exactly(n), timeout, f"{n} bytes")

    def recv_until(
        self,
        delim: bytes,
        *,
        keep: bool = True,
        max_size: int | None = None,
        timeout: float | None = DEFAULT,
    ) -> bytes:
        """Bytes through ``delim`` (included when ``keep``).

        Raises:
            LineTooLong: no delimiter within ``max_size`` (default ``max_line``). IncompleteReadError. ReadTimeout.
        """
        self._check_open()
        limit = self.max_line if max_size is None else max_size
        frame = self._buf.take_until(delim, keep=keep, max_size=limit)
        if frame is not None:
            return frame
        return self._read_frame(
            lambda: self._buf.take_until(delim, keep=keep, max_size=limit), timeout, repr(delim)
        )

    def recv_line(
        self, *, keep: bool = False, max_size: int | None = None, timeout: float | None = DEFAULT
    ) -> bytes:
        """One line; without ``keep`` the ``\\n`` (and a ``\\r`` before it) is removed.

        Raises:
            LineTooLong: the line exceeds ``max_size`` (default ``max_line``). IncompleteReadError. ReadTimeout.
        """
        self._check_open()
        limit = self.max_line if max_size is None else max_size
        line = self._buf.take_line(keep=keep, max_size=limit)
        if line is not None:
            return line
        return self._read_frame(
            lambda: self._buf.take_line(keep=keep, max_size=limit), timeout, "end of line"
        )

    def lines(self, *, keep: bool = False, timeout: float | None = DEFAULT) -> Iterator[bytes]:
        """Iterate lines until EOF (a last unterminated line is yielded too)."""
        while True:
            try:
                yield self.recv_line(keep=keep, timeout=timeout)
            except IncompleteReadError as exc:
                if exc.partial:
                    yield self._buf.take()
                return

    def expect(
        self,
        pattern: bytes | str | re.Pattern[bytes],
        *,
        max_size: int | None = None,
        timeout: float | None = DEFAULT,
    ) -> re.Match[bytes]:
        """Read until ``pattern`` matches; consume through the match and return it.

        Raises:
            LineTooLong: no match within ``max_size``. IncompleteReadError. ReadTimeout.
        """
        self._check_open()
        regex = _compile(pattern)
        limit = self.max_line if max_size is None else max_size
        m = self._buf.take_match(regex, max_size=limit)
        if m is not None:
            return m
        return self._read_frame(
            lambda: self._buf.take_match(regex, max_size=limit), timeout, f"/{regex.pattern!r}/"
        )

    # -- sending ----------------------------------------------------------------------------

    def send_all(
        self, data: bytes | bytearray | memoryview, *, timeout: float | None = DEFAULT
    ) -> None:
        """Send every byte.

        Raises:
            WriteTimeout: the peer did not take the bytes in time. BrokenStreamError. ClosedStreamError.
        """
        self._check_open()
        if timeout is DEFAULT:
            timeout = self.timeout
        self._set_snd_timeout(timeout)
        if self.trace is not None:
            self.trace.sent(bytes(data))
        try:
            self.sock.sendall(data)
        except (TimeoutError, BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise WriteTimeout(f"write to {self.label} timed out") from None
        except ssl.SSLError as exc:
            raise tls_error(exc, self.label) from exc
        except OSError as exc:
            raise BrokenStreamError(f"connection to {self.label} broke: {exc}") from exc

    def send_line(
        self, line: bytes | str, *, newline: bytes = b"\n", timeout: float | None = DEFAULT
    ) -> None:
        """Send ``line`` plus ``newline`` (str is UTF-8 encoded)."""
        data = line.encode() if isinstance(line, str) else line
        self.send_all(data + newline, timeout=timeout)

    def sendfile(
        self,
        file: IO[bytes],
        offset: int = 0,
        count: int | None = None,
        *,
        timeout: float | None = DEFAULT,
    ) -> int:
        """Send a file's bytes (``os.sendfile`` zero-copy on plain sockets). Returns bytes sent.

        Raises:
            WriteTimeout, BrokenStreamError.
        """
        self._check_open()
        # socket.sendfile retries EAGAIN on a blocking socket: use CPython's timeout mode here.
        self.sock.settimeout(self.timeout if timeout is DEFAULT else timeout)
        try:
            return self.sock.sendfile(file, offset, count)
        except TimeoutError:
            raise WriteTimeout(f"sendfile to {self.label} timed out") from None
        except OSError as exc:
            raise BrokenStreamError(f"connection to {self.label} broke: {exc}") from exc
        finally:
            self.sock.settimeout(None)
            self._rcv_timeout = self._snd_timeout = DEFAULT

    def send_eof(self) -> None:
        """Half-close: the peer sees EOF; we can still receive."""
        self._check_open()
        try:
            if isinstance(self.sock, ssl.SSLSocket):
                raise RemoteProtocolError("TLS streams cannot half-close; close the stream instead")
            self.sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise BrokenStreamError(f"half-close of {self.label} failed: {exc}") from exc

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        *,
        server_hostname: str | None = None,
        server_side: bool = False,
        timeout: float | None = DEFAULT,
    ) -> None:
        """Upgrade to TLS in place (STARTTLS). Buffered plaintext would be an injection: refused.

        Raises:
            RemoteProtocolError: the peer sent bytes after the STARTTLS command. TLSError.
        """
        self._check_open()
        if self._buf:
            raise RemoteProtocolError(
                "peer sent plaintext after STARTTLS (possible command injection)"
            )
        self.sock.settimeout(self.timeout if timeout is DEFAULT else timeout)
        try:
            self.sock = ssl_context.wrap_socket(
                self.sock, server_side=server_side, server_hostname=server_hostname
            )
            self._kernel_timeouts = False
            self.sock.settimeout(None)
            self._rcv_timeout = self._snd_timeout = None
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise tls_error(exc, self.label) from exc
        except TimeoutError:
            raise ReadTimeout(f"TLS handshake with {self.label} timed out") from None
        except OSError as exc:
            raise BrokenStreamError(f"TLS handshake with {self.label} broke: {exc}") from exc

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def at_eof(self) -> bool:
        """True once the peer closed and every buffered byte was consumed."""
        return self._eof and not self._buf

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if not self._closed:
            self._closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Stream {self.label}{' closed' if self._closed else ''}>"


def _timeval(seconds: float | None) -> bytes:
    """A struct timeval for SO_RCVTIMEO/SO_SNDTIMEO; None (and 0) mean wait forever."""
    if seconds is None:
        return _TIMEVAL.pack(0, 0)
    whole = int(seconds)
    micros = (
        max(1, int((seconds - whole) * 1_000_000))
        if whole == 0
        else int((seconds - whole) * 1_000_000)
    )
    return _TIMEVAL.pack(whole, micros)


_TIMEVAL = struct.Struct("@ll")


def _compile(pattern: bytes | str | re.Pattern[bytes]) -> re.Pattern[bytes]:
    if isinstance(pattern, re.Pattern):
        return pattern
    return re.compile(pattern.encode() if isinstance(pattern, str) else pattern)


def connect(
    endpoint: str | Endpoint,
    *,
    timeout: float | None = 30.0,
    ssl_context: ssl.SSLContext | None = None,
    trace: bool | Trace | None = None,
    max_line: int = 65536,
) -> Stream:
    """Connect to ``endpoint`` and return a :class:`Stream` whose calls default to ``timeout``.

    Raises:
        ConfigError: a bad endpoint (the message lists the accepted forms).
        ConnectTimeout, ConnectError (naming the address), TLSError (with the reason).
    """
    ep = parse_endpoint(endpoint)
    if ep.kind == "udp":
        raise ConfigError(f"{ep} is a datagram endpoint: use wirekit.streams.open_udp()")
    try:
        if ep.kind == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(ep.path)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection((ep.host, ep.port), timeout=timeout)
            if ep.flag("nodelay", True):
                _set_nodelay(sock)
    except TimeoutError:
        raise ConnectTimeout(
            f"connecting to {ep} timed out after {timeout}s", address=ep.address
        ) from None
    except OSError as exc:
        raise ConnectError(
            f"cannot connect to {ep}: {exc.strerror or exc}", address=ep.address
        ) from exc
    stream = Stream(sock, timeout=timeout, trace=trace, max_line=max_line, label=str(ep))
    if stream.trace is not None:
        stream.trace.event("connected")
    if ep.kind == "tls":
        ctx = ssl_context or client_context(ep)
        try:
            stream.start_tls(ctx, server_hostname=server_hostname(ep))
        except BaseException:
            stream.close()
            raise
    return stream


class Listener:
    """A listening socket; ``accept()`` returns a :class:`Stream`."""

    def __init__(
        self,
        sock: socket.socket,
        endpoint: Endpoint,
        ssl_context: ssl.SSLContext | None,
        trace: bool | Trace | None,
    ) -> None:
        self.sock = sock
        self.endpoint = endpoint
        self.ssl_context = ssl_context
        self._trace = trace
        self.address: Any = sock.getsockname()

    def accept(self, *, timeout: float | None = None) -> Stream:
        """Wait for a connection.

        Raises:
            ReadTimeout: none arrived in time. TLSError: the TLS handshake failed.
        """
        self.sock.settimeout(timeout)
        try:
            conn, _ = self.sock.accept()
        except TimeoutError:
            raise ReadTimeout(f"no connection on {self.endpoint} within {timeout}s") from None
        except OSError as exc:
            raise ClosedStreamError(f"listener {self.endpoint} is closed") from exc
        _set_nodelay(conn)
        stream = Stream(conn, trace=self._trace)
        if self.ssl_context is not None:
            try:
                stream.start_tls(self.ssl_context, server_side=True, timeout=timeout or 30.0)
            except BaseException:
                stream.close()
                raise
        return stream

    @property
    def bound_endpoint(self) -> Endpoint:
        """The endpoint with the real port (after binding port 0)."""
        if self.endpoint.kind == "unix":
            return self.endpoint
        return self.endpoint.with_port(self.address[1])

    def close(self) -> None:
        self.sock.close()
        if self.endpoint.kind == "unix":
            try:
                os.unlink(self.endpoint.path)
            except OSError:
                pass

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bind_socket(ep: Endpoint, kind: int = socket.SOCK_STREAM) -> socket.socket:
    """A bound (not yet listening) socket for ``ep``.

    Raises:
        ConnectError: the address cannot be bound (in use, not ours, ...).
    """
    try:
        if ep.kind == "unix":
            sock = socket.socket(socket.AF_UNIX, kind)
            if os.path.exists(ep.path):
                # A stale socket file from a dead server; a live one refuses the bind below anyway.
                try:
                    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    probe.connect(ep.path)
                    probe.close()
                    raise ConnectError(f"{ep} is in use by a live server", address=ep.path)
                except ConnectionRefusedError:
                    os.unlink(ep.path)
            sock.bind(ep.path)
            if "mode" in ep.options:
                os.chmod(ep.path, int(ep.options["mode"], 8))
            return sock
        infos = socket.getaddrinfo(ep.host, ep.port, type=kind, flags=socket.AI_PASSIVE)
        family, _, _, _, addr = infos[0]
        sock = socket.socket(family, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if ep.flag("reuseport", False):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(addr)
        return sock
    except ConnectError:
        raise
    except OSError as exc:
        raise ConnectError(f"cannot bind {ep}: {exc.strerror or exc}", address=ep.address) from exc


def listen(
    endpoint: str | Endpoint,
    *,
    ssl_context: ssl.SSLContext | None = None,
    backlog: int | None = None,
    trace: bool | Trace | None = None,
) -> Listener | DatagramSocket:
    """Listen on ``endpoint``: a :class:`Listener` (tcp, tls, unix) or a bound :class:`DatagramSocket` (udp).

    Raises:
        ConfigError: a bad endpoint, or tls without a certificate. ConnectError: cannot bind.
    """
    ep = parse_endpoint(endpoint)
    if ep.kind == "udp":
        return open_udp(bind=ep)
    ctx = None
    if ep.kind == "tls":
        ctx = ssl_context or server_context(ep)
    sock = bind_socket(ep)
    sock.listen(backlog or int(ep.options.get("backlog", 128)))
    return Listener(sock, ep, ctx, trace)


class DatagramSocket:
    """A UDP socket: ``sendto``/``recvfrom``, or ``send``/``recv`` when opened towards a peer."""

    def __init__(
        self,
        sock: socket.socket,
        *,
        timeout: float | None = None,
        trace: bool | Trace | None = None,
    ) -> None:
        self.sock = sock
        self.timeout = timeout
        self.address: Any = sock.getsockname()
        self.trace = make_trace(trace, f"udp {_fmt_addr(self.address)}")

    def sendto(self, data: bytes, address: tuple[str, int]) -> None:
        """Send one datagram to ``address``.

        Raises:
            BrokenStreamError: the kernel refused it.
        """
        if self.trace is not None:
            self.trace.sent(data)
        try:
            self.sock.sendto(data, address)
        except OSError as exc:
            raise BrokenStreamError(f"sendto {address} failed: {exc}") from exc

    def send(self, data: bytes) -> None:
        """Send one datagram to the connected peer."""
        if self.trace is not None:
            self.trace.sent(data)
        try:
            self.sock.send(data)
        except OSError as exc:
            raise BrokenStreamError(f"send failed: {exc}") from exc

    def recvfrom(
        self, max_bytes: int = 65535, *, timeout: float | None = DEFAULT
    ) -> tuple[bytes, Any]:
        """One datagram and its sender.

        Raises:
            ReadTimeout: none arrived in time. BrokenStreamError: e.g. ICMP port unreachable.
        """
        self.sock.settimeout(self.timeout if timeout is DEFAULT else timeout)
        try:
            data, addr = self.sock.recvfrom(max_bytes)
        except TimeoutError:
            raise ReadTimeout(f"no datagram on {_fmt_addr(self.address)} in time") from None
        except OSError as exc:
            raise BrokenStreamError(f"recvfrom failed: {exc}") from exc
        if self.trace is not None:
            self.trace.received(data)
        return data, addr

    def recv(self, max_bytes: int = 65535, *, timeout: float | None = DEFAULT) -> bytes:
        """One datagram's payload."""
        return self.recvfrom(max_bytes, timeout=timeout)[0]

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> DatagramSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_udp(
    endpoint: str | Endpoint | None = None,
    *,
    bind: str | Endpoint | None = None,
    timeout: float | None = 30.0,
    trace: bool | Trace | None = None,
) -> DatagramSocket:
    """A UDP socket, connected to ``endpoint`` (when given) and/or bound to ``bind``.

    Raises:
        ConfigError: bad endpoints. ConnectError: cannot bind or resolve.
    """
    remote = parse_endpoint(endpoint) if endpoint is not None else None
    local = parse_endpoint(bind) if bind is not None else None
    for ep in (remote, local):
        if ep is not None and ep.kind != "udp":
            raise ConfigError(f"{ep} is not a udp: endpoint")
    if local is not None:
        sock = bind_socket(local, socket.SOCK_DGRAM)
    else:
        family = socket.AF_INET6 if remote is not None and ":" in remote.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
    if (remote or local) is not None and (remote or local).flag("broadcast", False):  # type: ignore[union-attr]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    if remote is not None:
        try:
            sock.connect((remote.host, remote.port))
        except OSError as exc:
            sock.close()
            raise ConnectError(f"cannot open {remote}: {exc}", address=remote.address) from exc
    return DatagramSocket(sock, timeout=timeout, trace=trace)
