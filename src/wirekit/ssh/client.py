"""AsyncSSHClient: one connection, many commands (each its own channel), on asyncssh.

Commands run on a lean session object (bytes appended to a list, lines split only when
someone listens) rather than asyncssh's process layer: less CPU per command.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from ..errors import ClosedStreamError, ConfigError, HostKeyError, ReadTimeout
from ._adapter import asyncssh, to_wirekit, translate
from .inventory import Target, parse_target, resolve
from .options import EngineOptions, SSHOptions
from .results import CommandResult, OutputLine, command_failed

__all__ = ["AsyncSSHClient", "LineCallback"]

#: ``callback(stream, line)``: stream is "stdout" or "stderr"; line has no newline.
LineCallback = Callable[[str, "str | bytes"], None]

_STDERR = asyncssh.EXTENDED_DATA_STDERR


class _PolicyClient(asyncssh.SSHClient):
    """asyncssh client callbacks: unknown host keys go to wirekit's HostKeyPolicy."""

    def __init__(self, engine: EngineOptions) -> None:
        self._engine = engine

    def validate_host_public_key(self, host: str, addr: str, port: int, key: Any) -> bool:
        return self._engine.policy.unknown_key(host, addr, port, key)


class _Collector(asyncssh.SSHClientSession):  # type: ignore[type-arg]
    """Collects one command's output and exit status; splits lines only for listeners."""

    def __init__(
        self, done: asyncio.Future[None], on_line: LineCallback | None, encoding: str | None
    ) -> None:
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.exit_status: int | None = None
        self.exit_signal: str | None = None
        self.lost: BaseException | None = None
        self._done = done
        self._on_line = on_line
        self._encoding = encoding
        self._partial = {"stdout": b"", "stderr": b""}

    def data_received(self, data: bytes, datatype: Any) -> None:
        if datatype == _STDERR:
            self.err.append(data)
            name = "stderr"
        else:
            self.out.append(data)
            name = "stdout"
        if self._on_line is not None:
            buf = self._partial[name] + data
            *lines, self._partial[name] = buf.split(b"\n")
            for line in lines:
                self._emit(name, line)

    def _emit(self, name: str, line: bytes) -> None:
        assert self._on_line is not None
        if line.endswith(b"\r"):
            line = line[:-1]
        self._on_line(name, line.decode(self._encoding, "replace") if self._encoding else line)

    def exit_status_received(self, status: int) -> None:
        self.exit_status = status

    def exit_signal_received(self, signal: str, core_dumped: bool, msg: str, lang: str) -> None:
        self.exit_signal = signal

    def connection_lost(self, exc: Exception | None) -> None:
        if self._on_line is not None:
            for name, rest in self._partial.items():
                if rest:
                    self._emit(name, rest)
            self._partial = {"stdout": b"", "stderr": b""}
        self.lost = exc
        if not self._done.done():
            self._done.set_result(None)


def _join(parts: list[bytes], encoding: str | None) -> str | bytes:
    data = b"".join(parts)
    return data.decode(encoding, "replace") if encoding else data


class AsyncSSHClient:
    """An SSH connection to one host.

    ``async with AsyncSSHClient("user@host:2222", password="pw") as c: r = await c.run("uname")``.
    ``host`` may be an ssh_config alias. Keyword arguments are :class:`SSHOptions` fields;
    or pass ``options=`` (or ``prepared=`` EngineOptions, shared by a fan-out).
    """

    def __init__(
        self,
        host: str | Target,
        *,
        options: SSHOptions | None = None,
        prepared: EngineOptions | None = None,
        **option_fields: Any,
    ) -> None:
        if prepared is None:
            opts = options or SSHOptions()
            if option_fields:
                try:
                    opts = opts.with_(**option_fields)
                except TypeError as exc:
                    raise ConfigError(f"unknown SSH option: {exc}") from None
            prepared = opts.prepare()
        elif option_fields or options is not None:
            raise ConfigError("pass either prepared= or options/option fields, not both")
        self.engine = prepared
        target = host if isinstance(host, Target) else parse_target(host)
        self.target = resolve(target, prepared.config)
        self._conn: Any = None
        self._closed = False
        self._jumps: list[AsyncSSHClient] = []
        self._tunnel: Any = None  # an asyncssh connection to tunnel through (ProxyJump hop)

    @property
    def host(self) -> str:
        """The label of this client's target (``user@host:port`` or alias)."""
        return self.target.label

    @property
    def connection(self) -> Any:
        """The underlying asyncssh connection (escape hatch).

        Raises:
            ClosedStreamError: not connected, or closed.
        """
        if self._conn is None:
            raise ClosedStreamError(f"SSH client for {self.host} is not connected")
        return self._conn

    async def connect(self) -> AsyncSSHClient:
        """Connect and authenticate (within ``connect_timeout``).

        Raises:
            ConnectError: refused/unreachable/unresolvable. ConnectTimeout: too slow.
            HostKeyError: unknown (and not accept_new) or changed host key.
            AuthenticationError: credentials refused.
        """
        if self._closed:
            raise ClosedStreamError(f"SSH client for {self.host} was closed")
        if self._conn is not None:
            return self
        kw = self.engine.for_target(self.target)
        host, port = kw["host"], kw["port"]
        if self._tunnel is not None:
            kw["tunnel"] = self._tunnel
        elif self.target.proxy_jump:
            kw["tunnel"] = await self._connect_jumps(self.target.proxy_jump)
        try:
            # asyncssh bounds TCP connect + handshake + auth by connect_timeout itself
            self._conn = await asyncssh.connect(
                client_factory=lambda: _PolicyClient(self.engine), **kw
            )
        except (asyncssh.Error, OSError, TimeoutError, ValueError) as exc:
            await self._close_jumps()
            raise self._connect_error(exc, host, port) from exc
        return self

    async def _close_jumps(self) -> None:
        jumps, self._jumps = self._jumps, []
        for jump in reversed(jumps):
            await jump.aclose()

    async def _connect_jumps(self, spec: str) -> Any:
        """ProxyJump ``a,b``: connect to each hop through the previous one, with this client's
        options and host-key policy (unlike asyncssh's own string tunnels).

        Raises:
            as :meth:`connect`, for the failing hop.
        """
        prev: Any = None
        for hop in (h.strip() for h in spec.split(",") if h.strip()):
            jump = AsyncSSHClient(
                resolve(parse_target(hop), self.engine.config), prepared=self.engine
            )
            jump._tunnel = prev
            try:
                await jump.connect()
            except BaseException:
                await self._close_jumps()
                raise
            self._jumps.append(jump)
            prev = jump.connection
        return prev

    def _connect_error(self, exc: BaseException, host: str, port: int) -> BaseException:
        from .hostkeys import known_hosts_pattern

        if isinstance(exc, asyncssh.HostKeyNotVerifiable):
            pattern = known_hosts_pattern(host, port)
            fp = self.engine.policy.changed.get(pattern)
            if fp is not None:
                return HostKeyError(
                    f"{pattern}: HOST KEY CHANGED: the server offered {fp}, known_hosts lists another key "
                    f"({self.engine.policy.path}); refusing to connect",
                    host=pattern,
                    reason="changed",
                )
            hint = (
                "" if self.engine.policy.accept_new else " (accept_new=True to trust and record it)"
            )
            return HostKeyError(
                f"{pattern}: unknown host key, not in {self.engine.policy.path}{hint}",
                host=pattern,
                reason="unknown",
            )
        if isinstance(exc, ValueError) and not isinstance(exc, asyncssh.Error):
            return ConfigError(f"{host}:{port}: {exc}")
        return to_wirekit(exc, host=host, port=port, phase="connect")

    async def __aenter__(self) -> AsyncSSHClient:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection (idempotent)."""
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            try:
                await asyncio.wait_for(conn.wait_closed(), 5)
            except (TimeoutError, asyncssh.Error, OSError):
                pass
        await self._close_jumps()

    async def run(
        self,
        command: str,
        *,
        timeout: float | None = None,
        check: bool = False,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        encoding: str | None = "utf-8",
        on_line: LineCallback | None = None,
    ) -> CommandResult:
        """Run ``command`` on a new channel; return its output and exit status.

        stdin gets ``stdin`` then EOF (EOF at once when None, like ``ssh -n``). ``env`` is
        sent as environment requests (the server must accept them: sshd's AcceptEnv).
        ``on_line(stream, line)`` is called for each output line as it arrives.

        Raises:
            ReadTimeout: ``timeout`` passed (``partial`` holds stdout so far; the channel is closed).
            RemoteCommandFailed: ``check=True`` and the exit status was not 0.
            BrokenStreamError: the connection dropped mid-command.
            ReplyError: the server refused the channel.
        """
        conn = self.connection
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        start = time.perf_counter()
        with translate(host=self.target.host, port=self.target.port, phase="command"):
            chan, session = await conn.create_session(
                lambda: _Collector(done, on_line, encoding),
                command,
                env=dict(env) if env else (),
                encoding=None,
            )
        if stdin is not None:
            chan.write(stdin.encode() if isinstance(stdin, str) else stdin)
        chan.write_eof()
        try:
            if timeout is None:
                await done
            else:
                await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            chan.close()
            partial = b"".join(session.out)
            raise ReadTimeout(
                f"{self.host}: {command!r} still running after {timeout}s", partial=partial
            ) from None
        if session.lost is not None and session.exit_status is None and session.exit_signal is None:
            raise to_wirekit(
                session.lost,
                host=self.target.host,
                port=self.target.port,
                phase=f"command {command!r}",
            ) from session.lost
        if session.exit_status is None and session.exit_signal is None and conn.is_closed():
            raise to_wirekit(
                asyncssh.ConnectionLost("connection closed before the exit status"),
                host=self.target.host,
                port=self.target.port,
                phase=f"command {command!r}",
            )
        result = CommandResult(
            command=command,
            exit_status=session.exit_status,
            stdout=_join(session.out, encoding),
            stderr=_join(session.err, encoding),
            duration=time.perf_counter() - start,
            exit_signal=session.exit_signal,
            host=self.host,
        )
        if check and not result.ok:
            raise command_failed(result)
        return result

    async def stream(
        self,
        command: str,
        *,
        timeout: float | None = None,
        check: bool = False,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        encoding: str | None = "utf-8",
    ) -> AsyncIterator[OutputLine]:
        """Yield output lines (stdout and stderr interleaved, as they arrive).

        Raises:
            as :meth:`run` (at the end of iteration for check and drops).
        """
        queue: asyncio.Queue[OutputLine | None] = asyncio.Queue()
        task = asyncio.ensure_future(
            self.run(
                command,
                timeout=timeout,
                check=check,
                env=env,
                stdin=stdin,
                encoding=encoding,
                on_line=lambda s, t: queue.put_nowait(OutputLine(s, t)),
            )
        )
        task.add_done_callback(lambda _t: queue.put_nowait(None))
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                yield item
            task.result()
        finally:
            if not task.done():
                task.cancel()

    async def sftp(self) -> Any:
        """An :class:`~wirekit.ssh.sftp.AsyncSFTP` session on this connection.

        Raises:
            ReplyError: the server has no SFTP subsystem.
        """
        from .sftp import AsyncSFTP

        with translate(host=self.target.host, port=self.target.port, phase="sftp start"):
            sftp = await self.connection.start_sftp_client()
        return AsyncSFTP(sftp, self.host, self.run)

    async def forward_local(
        self, listen_port: int, dest_host: str, dest_port: int, *, listen_host: str = "127.0.0.1"
    ) -> Any:
        """``ssh -L``: a local listener whose connections are tunnelled to dest (returns a Forward)."""
        from .forward import forward_local

        return await forward_local(self, listen_host, listen_port, dest_host, dest_port)

    async def forward_remote(
        self, listen_port: int, dest_host: str, dest_port: int, *, listen_host: str = "127.0.0.1"
    ) -> Any:
        """``ssh -R``: a listener on the server whose connections come back to dest here."""
        from .forward import forward_remote

        return await forward_remote(self, listen_host, listen_port, dest_host, dest_port)

    async def forward_socks(self, listen_port: int, *, listen_host: str = "127.0.0.1") -> Any:
        """``ssh -D``: a local SOCKS4/5 proxy tunnelled through the server."""
        from .forward import forward_socks

        return await forward_socks(self, listen_host, listen_port)
