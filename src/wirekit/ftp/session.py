"""One FTP server session: the control connection, its commands, and its data connections.

The control channel is an ``asyncio.Protocol`` driving the sans-IO
:class:`~wirekit.ftp.protocol.ServerConnection`; commands run one at a time in a per-session
task. Data connections are raw non-blocking sockets: RETR uses ``os.sendfile`` straight from
the page cache, STOR reads into one large reusable buffer (1 MiB) and writes under a temporary
name that is renamed only when the upload completes. With PROT P, data connections go through
TLS transports instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
import socket
import ssl
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FTPReplyError
from . import filecmds
from .paths import VirtualFS
from .protocol import (
    BadCommand,
    ServerConnection,
    format_pasv,
    parse_eprt,
    parse_port,
    quote_257,
)
from .transfer import BLOCK, DataChannel
from .users import User

if TYPE_CHECKING:  # pragma: no cover
    from .server import FTPServer

__all__ = ["COMMANDS", "Session"]

log = logging.getLogger("wirekit.ftp.server")

#: Queued (pipelined) commands per session before the server stops reading from the client.
MAX_PENDING = 64


TLS_READER_LIMIT = 256 * BLOCK


class _DataError(Exception):
    """A data connection could not be made; carries the reply."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


class _Watchdog:
    """Cancels a transfer when no byte moves on its data connection for ``data_timeout``."""

    def __init__(self, session: Session, task: asyncio.Task[None], chan: DataChannel) -> None:
        self.session = session
        self.task = task
        self.chan = chan
        self.last = -1
        self.handle = session.loop.call_later(session.server.data_timeout, self.check)

    def check(self) -> None:
        if self.task.done():
            return
        if self.chan.moved == self.last:
            self.session._stalled = True
            self.task.cancel()
            return
        self.last = self.chan.moved
        self.handle = self.session.loop.call_later(self.session.server.data_timeout, self.check)

    def stop(self) -> None:
        self.handle.cancel()


class Session(asyncio.Protocol):
    """One control connection."""

    def __init__(self, server: FTPServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.machine = ServerConnection(known=frozenset(COMMANDS))
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None
        self.user: User | None = None
        self.fs: VirtualFS | None = None
        self.cwd = "/"
        self.rest = 0
        self.rnfr: str | None = None
        self.tls = False
        self.prot_private = False
        self.pasv_listener: socket.socket | None = None
        self.pasv_accept: asyncio.Task[socket.socket] | None = None
        self.active_addr: tuple[str, int] | None = None
        self.peer_ip = ""
        self.local_ip = ""
        self.idle: asyncio.TimerHandle | None = None
        self.transferring = False
        self.closing = False
        self.foreign_refused = 0
        self._stalled = False
        self.work_task: asyncio.Task[None] | None = None
        self.paused = False
        self.aborted = False

    # --- asyncio callbacks ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.peer_ip = peer[0] if peer else ""
        self.local_ip = local[0] if local else ""
        self.tls = transport.get_extra_info("sslcontext") is not None
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # ftplib and others send ABOR's last byte as TCP urgent data (RFC 959 §4.1.3
            # "Synch"); inline it or the ABOR line never completes.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
        self.server._sessions.add(self)
        if len(self.server._sessions) > self.server.max_connections:
            self.reply(421, "Too many connections; try again later.")
            self.close()
            return
        self.reply(220, self.server.banner)
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        self.machine.receive_data(data)
        if self.transferring and not self.aborted and self.machine.take_abort():
            self.aborted = True
            work = self.work_task
            if work is not None and not work.done():
                work.cancel()  # else _transfer cancels it as soon as it starts
        if self.machine.pending > MAX_PENDING and not self.paused and self.transport is not None:
            # A client pipelining faster than we run commands: stop reading (bounded memory).
            self.paused = True
            self.transport.pause_reading()
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._process())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server._sessions.discard(self)
        self._logout()
        if self.idle is not None:
            self.idle.cancel()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self._close_pasv()

    # --- plumbing ------------------------------------------------------------------------

    def reply(self, code: int, text: str | list[str] = "") -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.machine.send(code, text))

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def _arm_idle(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
        if self.server.idle_timeout:
            self.idle = self.loop.call_later(self.server.idle_timeout, self._idle_fired)

    def _idle_fired(self) -> None:
        if self.transferring:
            self._arm_idle()
            return
        self.reply(421, "Idle timeout; closing control connection.")
        self.close()

    def _logout(self) -> None:
        if self.user is not None:
            counts = self.server._per_user
            counts[self.user.name] = max(0, counts.get(self.user.name, 1) - 1)
            self.user = None

    async def _process(self) -> None:
        while not self.closing:
            if (
                self.paused
                and self.machine.pending < MAX_PENDING // 4
                and self.transport is not None
            ):
                self.paused = False
                self.transport.resume_reading()
            ev = self.machine.next_event()
            if ev is None:
                return
            if isinstance(ev, BadCommand):
                self.reply(ev.code, ev.reason)
                continue
            refusal = self.machine.gate(ev)
            if refusal is not None:
                self.reply(refusal.code, list(refusal.lines))
                continue
            handler = getattr(self, COMMANDS[ev.verb])
            try:
                await handler(ev.arg)
            except FTPReplyError as exc:
                self.reply(int(exc.code), exc.text)
            except asyncio.CancelledError:
                raise
            except OSError as exc:
                self.reply(550, _os_text(exc))
            except Exception:  # a bug must cost one command, never the server
                log.exception("FTP command %s failed", ev.verb)
                self.reply(451, "Local error in processing.")
            if ev.verb != "REST":
                self.rest = 0
            if ev.verb != "RNFR":
                self.rnfr = None
            self._arm_idle()

    def _resolve(self, arg: str) -> tuple[str, Path]:
        assert self.fs is not None
        return self.fs.resolve(self.cwd, arg)

    def _need(self, perm: str) -> None:
        assert self.user is not None
        if not self.user.can(perm):
            raise FTPReplyError(550, f"Permission denied ({perm}).")

    # --- data connections ----------------------------------------------------------------

    def _close_pasv(self) -> None:
        task = self.pasv_accept
        if task is not None:
            if not task.done():
                task.cancel()
            elif not task.cancelled() and task.exception() is None:
                task.result().close()  # accepted but never used
        self.pasv_accept = None
        if self.pasv_listener is not None:
            self.pasv_listener.close()
            self.pasv_listener = None

    def _open_listener(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.local_ip else socket.AF_INET
        ports = self.server.passive_ports
        candidates: list[int]
        if ports is None:
            candidates = [0]
        else:
            candidates = list(ports)
            start = random.randrange(len(candidates))
            candidates = candidates[start:] + candidates[:start]
        for port in candidates:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((self.local_ip, port))
                sock.listen(1)
            except OSError:
                sock.close()
                continue
            sock.setblocking(False)
            return sock
        raise FTPReplyError(425, "No free passive port.")

    async def _accept(self, listener: socket.socket) -> socket.socket:
        while True:
            conn, addr = await self.loop.sock_accept(listener)
            # No bounce/theft: the data connection must come from the control peer's address.
            if addr[0] != self.peer_ip:
                self.foreign_refused += 1
                log.warning("refused data connection from foreign address %s", addr[0])
                conn.close()
                continue
            listener.close()
            self.pasv_listener = None
            return conn

    async def _start_passive(self) -> int:
        self._close_pasv()
        self.active_addr = None
        listener = self._open_listener()
        self.pasv_listener = listener
        self.pasv_accept = self.loop.create_task(self._accept(listener))
        return int(listener.getsockname()[1])

    async def _data(self) -> DataChannel:
        """The data connection for the transfer being started (after the 150 reply)."""
        timeout = self.server.data_timeout
        if self.pasv_accept is not None:
            task = self.pasv_accept
            self.pasv_accept = None
            try:
                sock = await asyncio.wait_for(task, timeout)
            except (TimeoutError, OSError):
                self._close_pasv()
                raise _DataError(425, "Can't open data connection.") from None
        elif self.active_addr is not None:
            addr, self.active_addr = self.active_addr, None
            family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.bind((self.local_ip, 0))
                await asyncio.wait_for(self.loop.sock_connect(sock, addr), timeout)
            except (TimeoutError, OSError):
                sock.close()
                raise _DataError(425, "Can't open data connection.") from None
        else:
            raise _DataError(425, "Use PORT/EPRT or PASV/EPSV first.")
        sock.setblocking(False)
        if self.prot_private:
            assert self.server.ssl_context is not None
            # The reader's limit is set far above what one loop iteration can receive, so the
            # TLS transport is never paused: uvloop's SSL transport loses the tail of an upload
            # when the peer's close arrives while reading is paused (seen with curl: 4 of 20
            # 5 MiB uploads truncated yet acknowledged; plain asyncio: 0 of 20). The read loop
            # writes each chunk to the file synchronously, so the buffer cannot run away.
            reader = asyncio.StreamReader(limit=TLS_READER_LIMIT, loop=self.loop)
            proto = asyncio.StreamReaderProtocol(reader, loop=self.loop)
            try:
                transport, _ = await asyncio.wait_for(
                    self.loop.connect_accepted_socket(
                        lambda: proto, sock, ssl=self.server.ssl_context
                    ),
                    timeout,
                )
            except (TimeoutError, OSError, ssl.SSLError):
                sock.close()
                raise _DataError(425, "TLS negotiation on the data connection failed.") from None
            if self.server.require_ssl_reuse:
                # RFC 4217 §10.2: a data connection that does not resume the control
                # connection's TLS session may come from someone else (connection stealing).
                ssl_obj = transport.get_extra_info("ssl_object")
                if ssl_obj is None or not ssl_obj.session_reused:
                    transport.abort()
                    sock.close()
                    raise _DataError(522, "SSL connection failed: session reuse required.")
            writer = asyncio.StreamWriter(transport, proto, reader, self.loop)
            return DataChannel(sock, reader, writer)
        return DataChannel(sock)

    async def _transfer(
        self,
        opening: str,
        work: Callable[[DataChannel], Coroutine[Any, Any, None]],
        done: str = "Transfer complete.",
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        """Reply 150, open the data connection, run ``work``, reply 226. On any failure,
        ``cleanup`` runs before the error reply (so a client never sees a half file after it)."""
        if self.pasv_accept is None and self.active_addr is None:
            self.reply(425, "Use PORT/EPRT or PASV/EPSV first.")
            return
        if self.server.require_tls and not self.prot_private:
            self.reply(521, "Data connections must be protected: use PROT P.")  # RFC 4217 §9
            return
        self.reply(150, opening)
        self.aborted = False
        self.transferring = True
        try:
            try:
                chan = await self._data()
            except _DataError as exc:
                if cleanup is not None:
                    cleanup()
                self.reply(exc.code, exc.text)
                return
            ok = False
            task = self.loop.create_task(work(chan))
            self.work_task = task
            if self.aborted:
                task.cancel()
            watchdog = self._watch(task, chan)
            try:
                await task
                ok = True
            except (ConnectionError, ssl.SSLError) as exc:
                if cleanup is not None:
                    cleanup()
                self.reply(426, f"Connection closed; transfer aborted ({type(exc).__name__}).")
            except asyncio.CancelledError:
                if not task.cancelled() or self.closing or not (self._stalled or self.aborted):
                    raise
                if cleanup is not None:
                    cleanup()
                if self.aborted:  # RFC 959 §4.1.3: 426 for the transfer, then 226 for ABOR
                    self.reply(426, "Transfer aborted.")
                    self.reply(226, "ABOR successful.")
                else:
                    self.reply(
                        426, f"No data moved for {self.server.data_timeout:g} s; transfer aborted."
                    )
            finally:
                self.work_task = None
                watchdog.stop()
                if not task.done():
                    task.cancel()
                if ok:
                    await chan.close()
                else:
                    chan.abort()
            if ok:
                self.reply(226, done)
        finally:
            self.transferring = False

    def _watch(self, task: asyncio.Task[None], chan: DataChannel) -> _Watchdog:
        self._stalled = False
        return _Watchdog(self, task, chan)

    # --- login ---------------------------------------------------------------------------

    async def cmd_user(self, arg: str) -> None:
        if self.user is not None:
            self._logout()
            self.machine.logged_in = False
        if self.server.require_tls and not self.tls:
            self.machine.user = None
            self.reply(530, "TLS required: use AUTH TLS first.")
            return
        self.machine.user = arg
        self.reply(331, f"Password required for {arg}.")

    async def cmd_pass(self, arg: str) -> None:
        name = self.machine.user or ""
        self.machine.user = None
        user = self.server.users.authenticate(name, arg)
        if user is None:
            await asyncio.sleep(self.server.auth_failure_delay)
            self.reply(530, "Login incorrect.")
            return
        limit = user.max_connections or self.server.max_per_user
        count = self.server._per_user.get(user.name, 0)
        if limit and count >= limit:
            self.reply(421, f"Too many connections for user {user.name}.")
            self.close()
            return
        self.server._per_user[user.name] = count + 1
        self.user = user
        self.fs = VirtualFS(user.home)
        self.cwd = "/"
        self.machine.logged_in = True
        self.reply(230, "Login successful.")

    async def cmd_quit(self, arg: str) -> None:
        self.reply(221, "Goodbye.")
        self.close()

    async def cmd_noop(self, arg: str) -> None:
        self.reply(200, "NOOP ok.")

    async def cmd_syst(self, arg: str) -> None:
        self.reply(215, "UNIX Type: L8")

    async def cmd_feat(self, arg: str) -> None:
        feats = [
            "Features:",
            "EPRT",
            "EPSV",
            "MDTM",
            "MLST type*;size*;modify*;perm*;unix.mode*;",
            "REST STREAM",
            "SIZE",
            "UTF8",
            "TVFS",
        ]
        if self.server.ssl_context is not None:
            feats += ["AUTH TLS", "PBSZ", "PROT"]
        feats.append("End")
        self.reply(211, feats)

    async def cmd_opts(self, arg: str) -> None:
        verb = arg.strip().upper()
        if verb.startswith("UTF8"):
            self.reply(200, "UTF8 is always on.")
        elif verb.startswith("MLST"):
            self.reply(200, "MLST OPTS type;size;modify;perm;unix.mode;")
        else:
            self.reply(501, "Unknown option.")

    async def cmd_help(self, arg: str) -> None:
        self.reply(214, ["Commands:", " ".join(sorted(COMMANDS)), "End"])

    async def cmd_type(self, arg: str) -> None:
        t = arg.strip().upper()
        if t in ("I", "L 8", "L8"):
            self.reply(200, "Type set to I.")
        elif t in ("A", "A N"):
            self.reply(200, "Type set to A.")
        else:
            self.reply(504, "Type not supported.")

    async def cmd_mode(self, arg: str) -> None:
        self.reply(200 if arg.strip().upper() == "S" else 504, "Mode S only.")

    async def cmd_stru(self, arg: str) -> None:
        self.reply(200 if arg.strip().upper() == "F" else 504, "Structure F only.")

    async def cmd_allo(self, arg: str) -> None:
        self.reply(202, "No storage allocation necessary.")

    async def cmd_stat(self, arg: str) -> None:
        if arg.strip():
            self.reply(504, "STAT with a path is not supported; use MLST.")
            return
        self.reply(
            211,
            [
                "wirekit FTP server status:",
                f"Logged in as {self.user.name if self.user else '-'}",
                "End of status",
            ],
        )

    # --- TLS (RFC 4217) ------------------------------------------------------------------

    async def cmd_auth(self, arg: str) -> None:
        ctx = self.server.ssl_context
        if ctx is None:
            self.reply(502, "TLS not configured.")
            return
        if arg.strip().upper() not in ("TLS", "TLS-C", "SSL"):
            self.reply(504, "AUTH TLS only.")
            return
        if self.tls:
            self.reply(503, "Already using TLS.")
            return
        self.reply(234, "AUTH TLS successful.")
        # RFC 4217 §4 / STARTTLS injection: plaintext pipelined after AUTH must be dropped.
        self.machine._parser = type(self.machine._parser)(self.machine.max_line)
        assert self.transport is not None
        try:
            new = await self.loop.start_tls(
                self.transport,
                self,
                ctx,
                server_side=True,
                ssl_handshake_timeout=self.server.data_timeout,
            )
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError):
            self.close()
            return
        if new is None:  # pragma: no cover - closed during handshake
            self.close()
            return
        self.transport = new
        self.tls = True

    async def cmd_pbsz(self, arg: str) -> None:
        if not self.tls:
            self.reply(503, "PBSZ needs AUTH TLS first.")
            return
        self.reply(200, "PBSZ=0")

    async def cmd_prot(self, arg: str) -> None:
        level = arg.strip().upper()
        if not self.tls:
            self.reply(503, "PROT needs AUTH TLS first.")
        elif level == "P":
            self.prot_private = True
            self.reply(200, "Protection level set to P.")
        elif level == "C":
            if self.server.require_tls:
                self.reply(534, "Clear data connections refused.")
                return
            self.prot_private = False
            self.reply(200, "Protection level set to C.")
        else:
            self.reply(504, "PROT C or P only.")

    # --- navigation ----------------------------------------------------------------------

    async def cmd_pwd(self, arg: str) -> None:
        self.reply(257, f"{quote_257(self.cwd)} is the current directory.")

    async def cmd_cwd(self, arg: str) -> None:
        vpath, real = self._resolve(arg)
        if not real.is_dir():
            raise FTPReplyError(550, "No such directory.")
        self.cwd = vpath
        self.reply(250, f"Directory changed to {vpath}.")

    async def cmd_cdup(self, arg: str) -> None:
        if self.cwd == "/":
            self.reply(250, "Directory changed to /.")
            return
        await self.cmd_cwd("..")

    # --- data connection setup -----------------------------------------------------------

    async def cmd_pasv(self, arg: str) -> None:
        if ":" in self.local_ip:
            self.reply(425, "PASV is IPv4 only; use EPSV.")
            return
        port = await self._start_passive()
        host = self.server.masquerade_address or self.local_ip
        self.reply(227, format_pasv(host, port))

    async def cmd_epsv(self, arg: str) -> None:
        if arg.strip().upper() == "ALL":
            self.reply(200, "EPSV ALL ok.")
            return
        port = await self._start_passive()
        self.reply(229, f"Entering Extended Passive Mode (|||{port}|)")

    def _set_active(self, host: str, port: int) -> None:
        # No bounce (RFC 2577 §3): the data connection may only go back to the client itself,
        # and never to a privileged port.
        if host != self.peer_ip:
            raise FTPReplyError(501, "Rejected: PORT/EPRT to a foreign address (FTP bounce).")
        if port < 1024:
            raise FTPReplyError(501, "Rejected: PORT/EPRT to a privileged port.")
        self._close_pasv()
        self.active_addr = (host, port)

    async def cmd_port(self, arg: str) -> None:
        try:
            host, port = parse_port(arg)
        except ValueError:
            raise FTPReplyError(501, "Bad PORT argument.") from None
        self._set_active(host, port)
        self.reply(200, "PORT command successful.")

    async def cmd_eprt(self, arg: str) -> None:
        try:
            host, port = parse_eprt(arg)
        except ValueError:
            raise FTPReplyError(501, "Bad EPRT argument.") from None
        if host.startswith("::ffff:"):
            host = host[7:]
        self._set_active(host, port)
        self.reply(200, "EPRT command successful.")

    # --- file commands (filecmds.py) -----------------------------------------------------

    cmd_list = filecmds.cmd_list
    cmd_nlst = filecmds.cmd_nlst
    cmd_mlsd = filecmds.cmd_mlsd
    cmd_mlst = filecmds.cmd_mlst
    cmd_size = filecmds.cmd_size
    cmd_mdtm = filecmds.cmd_mdtm
    cmd_rest = filecmds.cmd_rest
    cmd_retr = filecmds.cmd_retr
    cmd_stor = filecmds.cmd_stor
    cmd_appe = filecmds.cmd_appe
    cmd_dele = filecmds.cmd_dele
    cmd_mkd = filecmds.cmd_mkd
    cmd_rmd = filecmds.cmd_rmd
    cmd_rnfr = filecmds.cmd_rnfr
    cmd_rnto = filecmds.cmd_rnto
    cmd_abor = filecmds.cmd_abor
    cmd_site = filecmds.cmd_site


def _os_text(exc: OSError) -> str:
    if exc.errno == errno.ENOTEMPTY:
        return "Directory not empty."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "Permission denied."
    if exc.errno == errno.ENOENT:
        return "No such file or directory."
    if exc.errno == errno.ENOSPC:
        return "No space left on device."
    return exc.strerror or "Filesystem error."


#: Old X-verbs (RFC 775) that mean the same as the RFC 959 ones.
_ALIASES = {"XPWD": "PWD", "XCWD": "CWD", "XCUP": "CDUP", "XMKD": "MKD", "XRMD": "RMD"}
_VERBS = [
    "USER",
    "PASS",
    "QUIT",
    "NOOP",
    "SYST",
    "FEAT",
    "OPTS",
    "HELP",
    "TYPE",
    "MODE",
    "STRU",
    "ALLO",
    "STAT",
    "AUTH",
    "PBSZ",
    "PROT",
    "PWD",
    "CWD",
    "CDUP",
    "PASV",
    "EPSV",
    "PORT",
    "EPRT",
    "LIST",
    "NLST",
    "MLSD",
    "MLST",
    "SIZE",
    "MDTM",
    "REST",
    "RETR",
    "STOR",
    "APPE",
    "DELE",
    "MKD",
    "RMD",
    "RNFR",
    "RNTO",
    "ABOR",
    "SITE",
    "XPWD",
    "XCWD",
    "XCUP",
    "XMKD",
    "XRMD",
]
#: verb -> handler method name; the ServerConnection refuses every verb not listed here.
COMMANDS: dict[str, str] = {v: "cmd_" + _ALIASES.get(v, v).lower() for v in _VERBS}
