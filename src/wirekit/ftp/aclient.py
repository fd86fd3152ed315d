"""Async FTP/FTPS client: the sans-IO control channel on a wirekit AsyncStream.

Plain data connections are raw non-blocking sockets: downloads land in one large buffer through
a ``BufferedProtocol`` sink, uploads go out with ``os.sendfile``. With PROT P the data connection
is an asyncio TLS connection instead.
"""

from __future__ import annotations

import asyncio
import builtins
import io
import os
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import IO, Any

from ..errors import (
    AuthenticationError,
    BrokenStreamError,
    ConfigError,
    ConnectError,
    ConnectTimeout,
    FTPReplyError,
    ReadTimeout,
    TLSError,
)
from .client import DEFAULT_BLOCK, Progress, _check, _ep_host, _ip, parse_ftp_url
from .listing import Entry, parse_listing, parse_mlsx_line
from .protocol import (
    ClientConnection,
    Reply,
    format_eprt,
    format_port,
    parse_227,
    parse_229,
    parse_257,
    parse_mdtm,
)
from .transfer import sink_socket, sock_sendfile

__all__ = ["AsyncFTPClient"]


class _TLSData:
    """TLS over a raw data socket with ``ssl.MemoryBIO``, so the control connection's TLS session
    can be reused (RFC 4217 §10.2; vsftpd's ``require_ssl_reuse``). asyncio's own TLS transport
    cannot resume a session."""

    def __init__(
        self, sock: socket.socket, ctx: ssl.SSLContext, host: str, session: ssl.SSLSession | None
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname=host, session=session)

    async def _flush(self) -> None:
        data = self.out.read()
        if data:
            await self.loop.sock_sendall(self.sock, data)

    async def _fill(self) -> None:
        data = await self.loop.sock_recv(self.sock, 262144)
        if data:
            self.inc.write(data)
        else:
            self.inc.write_eof()

    async def handshake(self) -> None:
        while True:
            try:
                self.obj.do_handshake()
                await self._flush()
                return
            except ssl.SSLWantReadError:
                await self._flush()
                await self._fill()

    async def read(self, n: int) -> bytes:
        while True:
            try:
                return self.obj.read(n)
            except ssl.SSLWantReadError:
                await self._flush()
                await self._fill()
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""  # close_notify, or a ragged close after the last record

    async def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            n = self.obj.write(view[:262144])
            view = view[n:]
            await self._flush()

    async def unwrap(self, timeout: float = 5.0) -> None:
        """Send close_notify and wait (bounded) for the peer's, or its EOF: closing with unread
        bytes would make the kernel send RST, and the server could lose the upload's tail."""

        async def shutdown() -> None:
            while True:
                try:
                    self.obj.unwrap()
                    await self._flush()
                    return
                except ssl.SSLWantReadError:
                    await self._flush()
                    data = await self.loop.sock_recv(self.sock, 262144)
                    if not data:
                        return
                    self.inc.write(data)

        try:
            await asyncio.wait_for(shutdown(), timeout)
        except (OSError, TimeoutError, ssl.SSLError):
            pass


class _Data:
    """An open data connection: a raw socket, possibly with TLS on top."""

    def __init__(self, sock: socket.socket, tls: _TLSData | None = None) -> None:
        self.sock = sock
        self.tls = tls


class AsyncFTPClient:
    """The async twin of :class:`~wirekit.ftp.client.FTPClient`.

    ``async with AsyncFTPClient("127.0.0.1", 2121, "u", "p") as ftp: await ftp.list("/")``.
    Same options; ``connect()``/``login()`` run on ``__aenter__`` (or call them yourself).
    """

    def __init__(
        self,
        host: str,
        port: int = 21,
        user: str = "anonymous",
        password: str = "anonymous@",
        *,
        tls: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        verify: bool = True,
        ca: str | os.PathLike[str] | None = None,
        passive: bool = True,
        timeout: float = 30.0,
        block_size: int = DEFAULT_BLOCK,
    ) -> None:
        if tls not in (None, "explicit", "implicit"):
            raise ConfigError(f"tls must be None, 'explicit' or 'implicit', not {tls!r}")
        from .client import FTPClient

        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.tls = tls
        self.passive = passive
        self.timeout = timeout
        self.block_size = max(block_size, 1 << 16)
        self.ssl_context = ssl_context or (FTPClient._make_context(verify, ca) if tls else None)
        self.welcome: Reply | None = None
        self._conn = ClientConnection()
        self._stream: Any = None
        self._epsv_ok = True
        self._eprt_ok = True
        self._mlsd_ok: bool | None = None
        self._private = False

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> AsyncFTPClient:
        """A client (not yet connected) for ``ftp://user:pass@host:port/``.

        Raises:
            ConfigError: a bad URL.
        """
        u = parse_ftp_url(url)
        kwargs.setdefault("tls", u.tls)
        return cls(u.host, u.port, u.user, u.password, **kwargs)

    async def __aenter__(self) -> AsyncFTPClient:
        try:
            await self.connect()
            await self.login()
        except BaseException:
            self._abort()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- control channel -----------------------------------------------------------------

    async def connect(self) -> Reply:
        """Open the control connection and read the greeting.

        Raises:
            ConnectError, ConnectTimeout, TLSError, FTPReplyError.
        """
        from ..streams import aconnect

        self._stream = await aconnect(
            f"tcp:{_ep_host(self.host)}:{self.port}", timeout=self.timeout
        )
        if self.tls == "implicit":
            assert self.ssl_context is not None
            await self._stream.start_tls(self.ssl_context, server_hostname=self.host)
        self.welcome = _check(await self._read_reply(), 220)
        if self.tls == "explicit":
            _check(await self.command("AUTH", "TLS"), 234)
            assert self.ssl_context is not None
            await self._stream.start_tls(self.ssl_context, server_hostname=self.host)
        return self.welcome

    async def login(self) -> Reply:
        """USER/PASS (then PBSZ 0 and PROT P over TLS).

        Raises:
            AuthenticationError: the server refused the credentials.
        """
        reply = await self.command("USER", self.user)
        if reply.code == 331:
            reply = await self.command("PASS", self.password)
        if reply.code == 332:
            raise AuthenticationError("FTP server wants an ACCT; not supported")
        _check(reply, 230, 202)
        if self.tls:
            _check(await self.command("PBSZ", "0"), 200)
            _check(await self.command("PROT", "P"), 200)
            self._private = True
        _check(await self.command("TYPE", "I"), 200)
        return reply

    async def _read_reply(self) -> Reply:
        while True:
            reply = self._conn.next_event()
            if reply is not None:
                return reply
            data = await self._stream.recv(65536)
            if not data:
                raise BrokenStreamError("FTP server closed the control connection")
            self._conn.receive_data(data)

    async def _read_final(self) -> Reply:
        while True:
            reply = await self._read_reply()
            if reply.kind != 1:
                return reply

    async def command(self, verb: str, arg: str = "") -> Reply:
        """Send one command and return its final reply."""
        await self._stream.send_all(self._conn.send(verb, arg))
        return await self._read_final()

    async def quote(self, line: str) -> Reply:
        """Send a raw command line; return the reply unchecked."""
        verb, _, arg = line.partition(" ")
        return await self.command(verb, arg)

    def _abort(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    async def aclose(self) -> None:
        """QUIT (best effort) and close."""
        if self._stream is None:
            return
        try:
            await asyncio.wait_for(self.command("QUIT"), 2)
        except Exception:  # closing must not raise
            pass
        await self._stream.aclose()
        self._stream = None

    # --- data connections ----------------------------------------------------------------

    async def _dial(self, host: str, port: int) -> socket.socket:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (host, port)), self.timeout)
        except TimeoutError:
            sock.close()
            raise ConnectTimeout(
                f"FTP data connection to {host}:{port} timed out", address=(host, port)
            ) from None
        except OSError as exc:
            sock.close()
            raise ConnectError(
                f"FTP data connection to {host}:{port} failed: {exc}", address=(host, port)
            ) from exc
        return sock

    async def _open_passive(self) -> socket.socket:
        peer_host = self._stream.peer_address[0]
        if self._epsv_ok:
            reply = await self.command("EPSV")
            if reply.code == 229:
                return await self._dial(peer_host, parse_229(reply.text))
            self._epsv_ok = False
        reply = _check(await self.command("PASV"), 227)
        _host, port = parse_227(reply.text)
        return await self._dial(peer_host, port)

    async def _open_active(self) -> socket.socket:
        local = self._stream.local_address[0]
        family = socket.AF_INET6 if ":" in local else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.bind((local, 0))
        listener.listen(1)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        if self._eprt_ok or family != socket.AF_INET:
            reply = await self.command("EPRT", format_eprt(local, port))
            if reply.code == 200:
                return listener
            if family != socket.AF_INET:
                listener.close()
                raise FTPReplyError(reply.code, reply.text)
            self._eprt_ok = False  # RFC 2428 §2: fall back to PORT for IPv4
        try:
            _check(await self.command("PORT", format_port(local, port)), 200)
        except BaseException:
            listener.close()
            raise
        return listener

    @asynccontextmanager
    async def _transfer(self, verb: str, arg: str = "", rest: int = 0) -> AsyncIterator[_Data]:
        loop = asyncio.get_running_loop()
        listener: socket.socket | None = None
        sock: socket.socket | None = None
        data: _Data | None = None
        try:
            if self.passive:
                sock = await self._open_passive()
            else:
                listener = await self._open_active()
            if rest:
                _check(await self.command("REST", str(rest)), 350)
            await self._stream.send_all(self._conn.send(verb, arg))
            reply = await self._read_reply()
            if reply.kind != 1:
                _check(reply, 150, 125)
            if listener is not None:
                server_ip = _ip(self._stream.peer_address[0])
                while sock is None:
                    try:
                        conn, addr = await asyncio.wait_for(
                            loop.sock_accept(listener), self.timeout
                        )
                    except TimeoutError:
                        raise ReadTimeout(
                            "FTP server did not open the active data connection"
                        ) from None
                    if _ip(addr[0]) == server_ip:
                        sock = conn
                    else:  # only the server may connect (no data-connection hijack)
                        conn.close()
            assert sock is not None
            sock.setblocking(False)
            if self._private:
                assert self.ssl_context is not None
                ssl_obj = self._stream.get_extra_info("ssl_object")
                tls = _TLSData(sock, self.ssl_context, self.host, getattr(ssl_obj, "session", None))
                try:
                    await asyncio.wait_for(tls.handshake(), self.timeout)
                except (ssl.SSLError, ssl.CertificateError) as exc:
                    raise TLSError(f"TLS on the FTP data connection failed: {exc}") from exc
                data = _Data(sock, tls)
            else:
                data = _Data(sock)
            try:
                yield data
            except TimeoutError:
                raise ReadTimeout("FTP data connection timed out") from None
            except OSError as exc:
                raise BrokenStreamError(f"FTP data connection broke: {exc}") from exc
            await self._close_data(data)
            data = None
            sock = None
            if reply.kind == 1:
                _check(await asyncio.wait_for(self._read_final(), self.timeout), 226, 250)
        finally:
            if sock is not None:
                sock.close()
            if listener is not None:
                listener.close()

    @staticmethod
    async def _close_data(data: _Data) -> None:
        if data.tls is not None:
            await data.tls.unwrap()
        try:
            data.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data.sock.close()

    async def _recv(self, data: _Data, write: Callable[[memoryview], Any]) -> int:
        if data.tls is not None:
            total = 0
            while chunk := await asyncio.wait_for(data.tls.read(self.block_size), self.timeout):
                write(memoryview(chunk))
                total += len(chunk)
            return total
        return await sink_socket(asyncio.get_running_loop(), data.sock, write)

    async def _read_all(self, verb: str, arg: str = "") -> bytes:
        out = bytearray()
        async with self._transfer(verb, arg) as data:
            await self._recv(data, out.extend)
        return bytes(out)

    # --- listings and file commands ------------------------------------------------------

    async def list(self, path: str = "") -> builtins.list[Entry]:
        """Entries of a directory: MLSD when available, else LIST parsed.

        Raises:
            FTPReplyError: the listing was refused.
        """
        if self._mlsd_ok is not False:
            try:
                body = await self._read_all("MLSD", path)
                self._mlsd_ok = True
                return parse_listing(body.decode("utf-8", "surrogateescape"), mlsd=True)
            except FTPReplyError as exc:
                if exc.code not in (500, 502, 504) or self._mlsd_ok:
                    raise
                self._mlsd_ok = False
        return parse_listing(await self.list_raw(path), mlsd=False)

    async def list_raw(self, path: str = "") -> str:
        return (await self._read_all("LIST", path)).decode("utf-8", "surrogateescape")

    async def nlst(self, path: str = "") -> builtins.list[str]:
        body = (await self._read_all("NLST", path)).decode("utf-8", "surrogateescape")
        return [n for line in body.split("\n") if (n := line.removesuffix("\r"))]

    async def mlst(self, path: str) -> Entry:
        reply = _check(await self.command("MLST", path), 250)
        for line in reply.lines[1:]:
            if line.startswith(" ") or "=" in line.split(" ", 1)[0]:
                return parse_mlsx_line(line)
        raise FTPReplyError(reply.code, "MLST reply had no entry line")

    async def pwd(self) -> str:
        return parse_257(_check(await self.command("PWD"), 257).text)

    async def cwd(self, path: str) -> None:
        _check(await self.command("CWD", path), 250, 200)

    async def size(self, path: str) -> int:
        return int(_check(await self.command("SIZE", path), 213).text.strip())

    async def mdtm(self, path: str) -> Any:
        return parse_mdtm(_check(await self.command("MDTM", path), 213).text)

    async def mkdir(self, path: str) -> str:
        reply = _check(await self.command("MKD", path), 257)
        try:
            return parse_257(reply.text)
        except ValueError:
            return path

    async def rmdir(self, path: str) -> None:
        _check(await self.command("RMD", path), 250)

    async def delete(self, path: str) -> None:
        _check(await self.command("DELE", path), 250)

    async def rename(self, src: str, dst: str) -> None:
        _check(await self.command("RNFR", src), 350)
        _check(await self.command("RNTO", dst), 250)

    # --- transfers -----------------------------------------------------------------------

    async def retrieve(
        self,
        path: str,
        write: Callable[[memoryview], Any],
        *,
        offset: int = 0,
        progress: Progress | None = None,
        total: int | None = None,
    ) -> int:
        """RETR ``path`` from ``offset``, passing each block to ``write``."""
        done = 0

        def sink(block: memoryview) -> None:
            nonlocal done
            write(block)
            done += len(block)
            if progress is not None:
                progress(offset + done, total)

        async with self._transfer("RETR", path, rest=offset) as data:
            await self._recv(data, sink)
        return done

    async def download(
        self,
        path: str,
        local: str | os.PathLike[str] | IO[bytes],
        *,
        resume: bool = False,
        progress: Progress | None = None,
    ) -> int:
        """Download into a local file (``resume`` continues it with REST) or a file object.

        Raises:
            FTPReplyError, BrokenStreamError, ReadTimeout.
        """
        try:
            total: int | None = await self.size(path)
        except FTPReplyError:
            total = None
        if not isinstance(local, (str, os.PathLike)):
            return await self.retrieve(path, local.write, progress=progress, total=total)
        offset = os.path.getsize(local) if resume and os.path.exists(local) else 0
        if total is not None and offset and offset >= total:
            return 0
        with open(local, "r+b" if offset else "wb") as f:
            if offset:
                f.seek(offset)
                f.truncate()
            return await self.retrieve(path, f.write, offset=offset, progress=progress, total=total)

    async def read_bytes(self, path: str) -> bytes:
        out = bytearray()
        await self.retrieve(path, out.extend)
        return bytes(out)

    async def upload(
        self,
        local: str | os.PathLike[str] | IO[bytes],
        path: str,
        *,
        resume: bool = False,
        append: bool = False,
        progress: Progress | None = None,
    ) -> int:
        """Upload a file (``os.sendfile`` on plain connections); ``resume`` sends the missing
        tail with APPE.

        Raises:
            FTPReplyError, BrokenStreamError.
        """
        if isinstance(local, (str, os.PathLike)):
            with open(local, "rb") as f:
                return await self._upload(f, path, resume=resume, append=append, progress=progress)
        return await self._upload(local, path, resume=resume, append=append, progress=progress)

    async def _upload(
        self, f: IO[bytes], path: str, *, resume: bool, append: bool, progress: Progress | None
    ) -> int:
        offset = 0
        if resume:
            try:
                offset = await self.size(path)
            except FTPReplyError:
                offset = 0
        try:
            total: int | None = os.fstat(f.fileno()).st_size
        except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
            total = None
        if resume and total is not None and offset >= total:
            return 0
        verb = "APPE" if (append or offset) else "STOR"
        f.seek(offset)
        loop = asyncio.get_running_loop()
        async with self._transfer(verb, path) as data:
            if data.tls is None and total is not None:
                sent = await sock_sendfile(loop, data.sock, f.fileno(), offset)
                if progress is not None:
                    progress(offset + sent, total)
                return sent
            sent = 0
            while chunk := f.read(self.block_size):
                if data.tls is not None:
                    await data.tls.write(chunk)
                else:
                    await loop.sock_sendall(data.sock, chunk)
                sent += len(chunk)
                if progress is not None:
                    progress(offset + sent, total)
        return sent

    async def write_bytes(self, path: str, data: bytes) -> int:
        return await self._upload(io.BytesIO(data), path, resume=False, append=False, progress=None)
