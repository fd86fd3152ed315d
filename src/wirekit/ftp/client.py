"""Blocking FTP/FTPS client: the sans-IO control channel on a wirekit Stream, raw data sockets.

Data connections are plain sockets on purpose: downloads ``recv_into`` one reusable buffer
(1 MiB by default) and uploads use ``socket.sendfile`` (zero-copy on plain connections).
"""

from __future__ import annotations

import builtins
import os
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import unquote, urlsplit

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

__all__ = ["DEFAULT_BLOCK", "FTPURL", "FTPClient", "Progress", "parse_ftp_url"]

#: Default transfer block: at least 256 KiB (aioftp's 8 KiB doubles client CPU).
DEFAULT_BLOCK = 1 << 20
SENDFILE_CHUNK = 1 << 26  # progress granularity of sendfile uploads

#: ``progress(done, total)``; total is None when unknown.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class FTPURL:
    """The parts of ``ftp://user:pass@host:port/path`` (``ftps://`` means implicit TLS)."""

    host: str
    port: int
    user: str
    password: str
    path: str
    tls: str | None  # None, "explicit" or "implicit"


def parse_ftp_url(url: str) -> FTPURL:
    """Split an ``ftp://``, ``ftpes://`` (explicit TLS) or ``ftps://`` (implicit TLS) URL.

    Raises:
        ConfigError: another scheme, or no host.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    tls = {"ftp": None, "ftpes": "explicit", "ftps": "implicit"}
    if scheme not in tls or not parts.hostname:
        raise ConfigError(
            f"bad FTP URL {url!r}: expected ftp://[user[:pass]@]host[:port]/path (or ftpes://, ftps://)"
        )
    try:
        port = parts.port or (990 if scheme == "ftps" else 21)
    except ValueError:
        raise ConfigError(f"bad port in FTP URL {url!r}") from None
    user = unquote(parts.username) if parts.username else "anonymous"
    password = (
        unquote(parts.password)
        if parts.password is not None
        else ("anonymous@" if user == "anonymous" else "")
    )
    return FTPURL(parts.hostname, port, user, password, unquote(parts.path) or "/", tls[scheme])


def _check(reply: Reply, *ok: int) -> Reply:
    if reply.code in ok:
        return reply
    if reply.code in (530, 331, 332) and reply.code not in ok:
        raise AuthenticationError(f"FTP login refused: {reply.code} {reply.text}")
    raise FTPReplyError(reply.code, reply.text)


class FTPClient:
    """A blocking FTP client. ``with FTPClient("127.0.0.1", 2121, "u", "p") as ftp: ftp.list("/")``.

    ``tls``: ``None`` (plain), ``"explicit"`` (AUTH TLS, then PBSZ 0 / PROT P) or
    ``"implicit"``. Certificates are verified unless ``verify=False``; ``ca`` names a CA file.
    ``passive=False`` uses active mode (EPRT, then PORT). Every call is bounded by ``timeout``.
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
        login: bool = True,
    ) -> None:
        if tls not in (None, "explicit", "implicit"):
            raise ConfigError(f"tls must be None, 'explicit' or 'implicit', not {tls!r}")
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.tls = tls
        self.passive = passive
        self.timeout = timeout
        self.block_size = max(block_size, 1 << 16)
        self.ssl_context = ssl_context or (self._make_context(verify, ca) if tls else None)
        self.welcome: Reply | None = None
        self._conn = ClientConnection()
        self._stream: Any = None
        self._epsv_ok = True
        self._eprt_ok = True
        self._mlsd_ok: bool | None = None
        self._private = False
        try:
            self.connect()
            if login:
                self.login()
        except BaseException:
            self._abort()
            raise

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> FTPClient:
        """A logged-in client for ``ftp://user:pass@host:port/`` (the path is ignored here).

        Raises:
            ConfigError, ConnectError, AuthenticationError, TLSError.
        """
        u = parse_ftp_url(url)
        kwargs.setdefault("tls", u.tls)
        return cls(u.host, u.port, u.user, u.password, **kwargs)

    @staticmethod
    def _make_context(verify: bool, ca: str | os.PathLike[str] | None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    # --- control channel -----------------------------------------------------------------

    def connect(self) -> Reply:
        """Open the control connection and read the greeting.

        Raises:
            ConnectError, ConnectTimeout, TLSError, FTPReplyError.
        """
        from ..streams import connect

        self._stream = connect(f"tcp:{_ep_host(self.host)}:{self.port}", timeout=self.timeout)
        if self.tls == "implicit":
            assert self.ssl_context is not None
            self._stream.start_tls(self.ssl_context, server_hostname=self.host)
        self.welcome = _check(self._read_reply(), 220)
        if self.tls == "explicit":
            _check(self.command("AUTH", "TLS"), 234)
            assert self.ssl_context is not None
            self._stream.start_tls(self.ssl_context, server_hostname=self.host)
        return self.welcome

    def login(self) -> Reply:
        """USER/PASS (then PBSZ 0 and PROT P over TLS, RFC 4217 §9).

        Raises:
            AuthenticationError: the server refused the credentials.
        """
        reply = self.command("USER", self.user)
        if reply.code == 331:
            reply = self.command("PASS", self.password)
        if reply.code == 332:
            raise AuthenticationError("FTP server wants an ACCT; not supported")
        _check(reply, 230, 202)
        if self.tls:
            _check(self.command("PBSZ", "0"), 200)
            _check(self.command("PROT", "P"), 200)
            self._private = True
        _check(self.command("TYPE", "I"), 200)
        return reply

    def _read_reply(self) -> Reply:
        while True:
            reply = self._conn.next_event()
            if reply is not None:
                return reply
            data = self._stream.recv(65536)
            if not data:
                raise BrokenStreamError("FTP server closed the control connection")
            self._conn.receive_data(data)

    def _read_final(self) -> Reply:
        while True:
            reply = self._read_reply()
            if reply.kind != 1:
                return reply

    def command(self, verb: str, arg: str = "") -> Reply:
        """Send one command and return its final reply (1xx preliminaries are skipped)."""
        self._stream.send_all(self._conn.send(verb, arg))
        return self._read_final()

    def quote(self, line: str) -> Reply:
        """Send a raw command line; return the reply without checking it."""
        verb, _, arg = line.partition(" ")
        return self.command(verb, arg)

    def close(self) -> None:
        """QUIT (best effort) and close."""
        if self._stream is None:
            return
        try:
            self._stream.send_all(self._conn.send("QUIT"), timeout=2)
            self._read_reply()
        except Exception:  # closing must not raise
            pass
        self._stream.close()
        self._stream = None

    def _abort(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def __enter__(self) -> FTPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- data connections ----------------------------------------------------------------

    def _open_passive(self) -> socket.socket:
        peer_host = self._stream.peer_address[0]
        if self._epsv_ok:
            reply = self.command("EPSV")
            if reply.code == 229:
                return self._dial(peer_host, parse_229(reply.text))
            self._epsv_ok = False
        reply = _check(self.command("PASV"), 227)
        _host, port = parse_227(reply.text)
        # Connect to the control peer, not the address in the reply (NAT and bounce safety).
        return self._dial(peer_host, port)

    def _dial(self, host: str, port: int) -> socket.socket:
        try:
            sock = socket.create_connection((host, port), timeout=self.timeout)
        except TimeoutError:
            raise ConnectTimeout(
                f"FTP data connection to {host}:{port} timed out", address=(host, port)
            ) from None
        except OSError as exc:
            raise ConnectError(
                f"FTP data connection to {host}:{port} failed: {exc}", address=(host, port)
            ) from exc
        return sock

    @contextmanager
    def _transfer(self, verb: str, arg: str = "", rest: int = 0) -> Iterator[socket.socket]:
        """Open a data connection, send ``verb``, yield the socket, then read the 226."""
        listener: socket.socket | None = None
        sock: socket.socket | None = None
        try:
            if self.passive:
                sock = self._open_passive()
            else:
                listener = self._open_active()
            if rest:
                _check(self.command("REST", str(rest)), 350)
            self._stream.send_all(self._conn.send(verb, arg))
            reply = self._read_reply()
            if reply.kind != 1:
                _check(reply, 150, 125)  # raises for refusals
            if listener is not None:
                listener.settimeout(self.timeout)
                server_ip = _ip(self._stream.peer_address[0])
                while sock is None:
                    try:
                        conn, addr = listener.accept()
                    except TimeoutError:
                        raise ReadTimeout(
                            "FTP server did not open the active data connection"
                        ) from None
                    if _ip(addr[0]) == server_ip:
                        sock = conn
                    else:  # only the server may connect (no data-connection hijack)
                        conn.close()
            assert sock is not None
            sock.settimeout(self.timeout)
            if self._private:
                assert self.ssl_context is not None
                ctrl = self._stream.sock
                session = ctrl.session if isinstance(ctrl, ssl.SSLSocket) else None
                try:
                    sock = self.ssl_context.wrap_socket(
                        sock, server_hostname=self.host, session=session
                    )
                except (ssl.SSLError, ssl.CertificateError) as exc:
                    raise TLSError(f"TLS on the FTP data connection failed: {exc}") from exc
            try:
                yield sock
            except TimeoutError:
                raise ReadTimeout("FTP data connection timed out") from None
            except OSError as exc:
                raise BrokenStreamError(f"FTP data connection broke: {exc}") from exc
            _close_data(sock)
            sock = None
            if reply.kind == 1:
                _check(self._read_final(), 226, 250)
        finally:
            if sock is not None:
                sock.close()
            if listener is not None:
                listener.close()

    def _open_active(self) -> socket.socket:
        local = self._stream.local_address[0]
        family = socket.AF_INET6 if ":" in local else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.bind((local, 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        if self._eprt_ok or family != socket.AF_INET:
            reply = self.command("EPRT", format_eprt(local, port))
            if reply.code == 200:
                return listener
            if family != socket.AF_INET:
                listener.close()
                raise FTPReplyError(reply.code, reply.text)
            self._eprt_ok = False  # RFC 2428 §2: fall back to PORT for IPv4
        try:
            _check(self.command("PORT", format_port(local, port)), 200)
        except BaseException:
            listener.close()
            raise
        return listener

    def _read_all(self, verb: str, arg: str = "") -> bytes:
        chunks = []
        with self._transfer(verb, arg) as sock:
            while True:
                data = sock.recv(self.block_size)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks)

    # --- listings ------------------------------------------------------------------------

    def list(self, path: str = "") -> list[Entry]:
        """Entries of a directory: MLSD when the server has it, else LIST parsed (Unix or DOS).

        Raises:
            FTPReplyError: the server refused the listing.
        """
        if self._mlsd_ok is not False:
            try:
                body = self._read_all("MLSD", path)
                self._mlsd_ok = True
                return parse_listing(body.decode("utf-8", "surrogateescape"), mlsd=True)
            except FTPReplyError as exc:
                if exc.code not in (500, 502, 504) or self._mlsd_ok:
                    raise
                self._mlsd_ok = False
        return parse_listing(self.list_raw(path), mlsd=False)

    def list_raw(self, path: str = "") -> str:
        """The LIST text as the server sent it."""
        return self._read_all("LIST", path).decode("utf-8", "surrogateescape")

    def nlst(self, path: str = "") -> builtins.list[str]:
        """Names from NLST."""
        body = self._read_all("NLST", path).decode("utf-8", "surrogateescape")
        return [n for line in body.split("\n") if (n := line.removesuffix("\r"))]

    def mlst(self, path: str) -> Entry:
        """Facts about one path (RFC 3659 §7).

        Raises:
            FTPReplyError: no such path, or no MLST.
        """
        reply = _check(self.command("MLST", path), 250)
        for line in reply.lines[1:]:
            if line.startswith(" ") or "=" in line.split(" ", 1)[0]:
                return parse_mlsx_line(line)
        raise FTPReplyError(reply.code, "MLST reply had no entry line")

    # --- file commands -------------------------------------------------------------------

    def pwd(self) -> str:
        return parse_257(_check(self.command("PWD"), 257).text)

    def cwd(self, path: str) -> None:
        _check(self.command("CWD", path), 250, 200)

    def size(self, path: str) -> int:
        """Size in bytes (SIZE, RFC 3659 §4)."""
        return int(_check(self.command("SIZE", path), 213).text.strip())

    def mdtm(self, path: str) -> Any:
        """Modification time as a UTC datetime (MDTM, RFC 3659 §3)."""
        return parse_mdtm(_check(self.command("MDTM", path), 213).text)

    def mkdir(self, path: str) -> str:
        reply = _check(self.command("MKD", path), 257)
        try:
            return parse_257(reply.text)
        except ValueError:
            return path

    def rmdir(self, path: str) -> None:
        _check(self.command("RMD", path), 250)

    def delete(self, path: str) -> None:
        _check(self.command("DELE", path), 250)

    def rename(self, src: str, dst: str) -> None:
        _check(self.command("RNFR", src), 350)
        _check(self.command("RNTO", dst), 250)

    def exists(self, path: str) -> bool:
        reply = self.command("SIZE", path)
        if reply.code == 213:
            return True
        return self.command("MLST", path).code == 250

    # --- transfers -----------------------------------------------------------------------

    def retrieve(
        self,
        path: str,
        write: Callable[[memoryview], Any],
        *,
        offset: int = 0,
        progress: Progress | None = None,
        total: int | None = None,
    ) -> int:
        """RETR ``path`` from ``offset``, calling ``write`` with each block. Returns bytes read."""
        buf = bytearray(self.block_size)
        view = memoryview(buf)
        done = 0
        with self._transfer("RETR", path, rest=offset) as sock:
            recv_into = sock.recv_into
            while True:
                n = recv_into(buf)
                if not n:
                    break
                write(view[:n])
                done += n
                if progress is not None:
                    progress(offset + done, total)
        return done

    def download(
        self,
        path: str,
        local: str | os.PathLike[str] | IO[bytes],
        *,
        resume: bool = False,
        progress: Progress | None = None,
    ) -> int:
        """Download ``path`` into a local file (or a binary file object). ``resume`` continues a
        partial local file with REST. Returns the bytes transferred.

        Raises:
            FTPReplyError, BrokenStreamError, ReadTimeout.
        """
        total: int | None = None
        try:
            total = self.size(path)
        except FTPReplyError:
            total = None
        if not isinstance(local, (str, os.PathLike)):
            return self.retrieve(path, local.write, progress=progress, total=total)
        offset = 0
        if resume and os.path.exists(local):
            offset = os.path.getsize(local)
            if total is not None and offset >= total:
                return 0
        with open(local, "r+b" if offset else "wb") as f:
            if offset:
                f.seek(offset)
                f.truncate()
            return self.retrieve(path, f.write, offset=offset, progress=progress, total=total)

    def read_bytes(self, path: str) -> bytes:
        """The whole remote file in memory."""
        out = bytearray()
        self.retrieve(path, out.extend)
        return bytes(out)

    def upload(
        self,
        local: str | os.PathLike[str] | IO[bytes],
        path: str,
        *,
        resume: bool = False,
        append: bool = False,
        progress: Progress | None = None,
    ) -> int:
        """Upload a local file (or binary file object) to ``path`` with ``socket.sendfile``.

        ``resume`` asks the server for the size it has and sends the rest with APPE;
        ``append`` appends the whole file. Returns the bytes transferred.

        Raises:
            FTPReplyError, BrokenStreamError, WriteTimeout.
        """
        if isinstance(local, (str, os.PathLike)):
            with open(local, "rb") as f:
                return self._upload(f, path, resume=resume, append=append, progress=progress)
        return self._upload(local, path, resume=resume, append=append, progress=progress)

    def _upload(
        self, f: IO[bytes], path: str, *, resume: bool, append: bool, progress: Progress | None
    ) -> int:
        offset = 0
        if resume:
            try:
                offset = self.size(path)
            except FTPReplyError:
                offset = 0
        try:
            total: int | None = os.fstat(f.fileno()).st_size
        except (OSError, AttributeError, ValueError):
            total = None
        if total is not None and offset >= total and resume:
            return 0
        verb = "APPE" if (append or offset) else "STOR"
        f.seek(offset)
        sent = 0
        with self._transfer(verb, path) as sock:
            if not isinstance(sock, ssl.SSLSocket) and total is not None:
                pos = offset
                while pos < total:
                    n = sock.sendfile(f, pos, min(SENDFILE_CHUNK, total - pos))
                    if not n:
                        break
                    pos += n
                    if progress is not None:
                        progress(pos, total)
                sent = pos - offset
            else:
                block = self.block_size
                while True:
                    chunk = f.read(block)
                    if not chunk:
                        break
                    sock.sendall(chunk)
                    sent += len(chunk)
                    if progress is not None:
                        progress(offset + sent, total)
        return sent

    def write_bytes(self, path: str, data: bytes) -> int:
        """Upload ``data`` to ``path``."""
        import io

        return self._upload(io.BytesIO(data), path, resume=False, append=False, progress=None)


def _close_data(sock: socket.socket) -> None:
    if isinstance(sock, ssl.SSLSocket):
        try:
            sock = sock.unwrap()  # close_notify: some servers (vsftpd) want a clean TLS end
        except (OSError, ValueError):
            pass
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    sock.close()


def _ep_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _ip(host: str) -> str:
    # An IPv4 peer seen through a dual-stack socket looks like ::ffff:a.b.c.d.
    return host[7:] if host.startswith("::ffff:") else host
