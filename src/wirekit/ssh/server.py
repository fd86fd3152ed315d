"""SSHServer: a test SSH server on asyncssh (password/key auth, exec, SFTP in a root, forwarding).

Loopback by default, no root needed, a generated Ed25519 host key unless one is given. Exec
runs real commands (``/bin/sh -c`` in a subprocess, cwd = the root) or Python handlers
registered by command name; SFTP (and scp) is confined to ``root``; forwarding is off unless
``allow_forwarding=True``.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import shlex
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._adapter import asyncssh, encryption_preference, translate
from ._spawn import spawn
from .forward import open_forward
from .hostkeys import known_hosts_pattern
from .keys import generate_keypair, public_key_line

__all__ = ["ExecContext", "ExecHandler", "SSHServer"]


@dataclass
class ExecContext:
    """What a Python exec handler gets: the command, its argv, the user and env, and the channel."""

    command: str
    argv: list[str]
    user: str
    env: dict[str, str]
    _process: Any = field(repr=False)

    def write(self, data: str | bytes) -> None:
        """Send to the client's stdout."""
        self._process.stdout.write(data.encode() if isinstance(data, str) else data)

    def write_stderr(self, data: str | bytes) -> None:
        """Send to the client's stderr."""
        self._process.stderr.write(data.encode() if isinstance(data, str) else data)

    async def read_stdin(self) -> bytes:
        """Everything the client sends until EOF."""
        return bytes(await self._process.stdin.read())


#: ``handler(ctx) -> exit status`` (or an awaitable of it; None means 0).
ExecHandler = Callable[[ExecContext], "int | Awaitable[int | None] | None"]


class _ServerPolicy(asyncssh.SSHServer):
    """Per-connection auth and forwarding decisions, from the SSHServer's settings."""

    def __init__(self, owner: SSHServer) -> None:
        self._owner = owner

    def connection_made(self, conn: Any) -> None:
        self._owner.connections += 1

    def begin_auth(self, username: str) -> bool:
        return True  # always require auth

    def password_auth_supported(self) -> bool:
        return bool(self._owner.users)

    def validate_password(self, username: str, password: str) -> bool:
        expected = self._owner.users.get(username)
        return expected is not None and expected == password

    def public_key_auth_supported(self) -> bool:
        return bool(self._owner._authorized)

    def validate_public_key(self, username: str, key: Any) -> bool:
        keys = self._owner._authorized.get(username) or self._owner._authorized.get("*") or set()
        return key.public_data in keys

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> Any:
        if not self._owner.allow_forwarding:
            return False
        return open_forward(dest_host, dest_port)

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        return self._owner.allow_forwarding


class _RootedSFTP(asyncssh.SFTPServer):
    """asyncssh's SFTP server (chroot-confined) that ends sftp sessions with exit status 0,
    as OpenSSH's sftp-server does: OpenSSH ``scp`` (SFTP mode) fails on a missing status."""

    def exit(self) -> None:
        chan = self.channel
        if chan.get_subsystem() == "sftp" and not chan.is_closing():
            chan.exit(0)


class SSHServer:
    """A small SSH server for tests and labs.

    ``users``: user -> password (None: key only). ``authorized_keys``: public key lines, .pub
    or private key paths accepted for every user, or a mapping user -> such a list.
    ``root``: cwd of commands and the SFTP/scp root (a temporary directory if None).
    ``handlers``: command name (argv[0]) -> Python :data:`ExecHandler`; other commands run in
    a subprocess when ``subprocess=True`` (the default), else exit 127.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        users: Mapping[str, str | None] | None = None,
        authorized_keys: Sequence[str | os.PathLike[str]]
        | Mapping[str, Sequence[str | os.PathLike[str]]] = (),
        host_key: str | os.PathLike[str] | None = None,
        root: str | os.PathLike[str] | None = None,
        handlers: Mapping[str, ExecHandler] | None = None,
        subprocess: bool = True,
        sftp: bool = True,
        allow_forwarding: bool = False,
        env: Mapping[str, str] | None = None,
        shell: str = "/bin/sh",
    ) -> None:
        self.host = host
        self.port = port
        self.users = {u: p for u, p in (users or {}).items() if p is not None}
        if isinstance(authorized_keys, Mapping):
            by_user = {u: list(v) for u, v in authorized_keys.items()}
        else:
            by_user = {"*": list(authorized_keys)} if authorized_keys else {}
        self._authorized: dict[str, set[bytes]] = {}
        for user, keys in by_user.items():
            datas = set()
            for k in keys:
                with translate(phase="authorized key"):
                    datas.add(asyncssh.import_public_key(public_key_line(k)).public_data)
            self._authorized[user] = datas
        if not self.users and not self._authorized:
            raise ConfigError(
                "SSHServer needs users with passwords or authorized_keys (no anonymous logins)"
            )
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="wirekit-ssh-")
            root = self._tmp.name
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._keydir: tempfile.TemporaryDirectory[str] | None = None
        if host_key is None:
            self._keydir = tempfile.TemporaryDirectory(prefix="wirekit-ssh-hostkey-")
            host_key = Path(self._keydir.name) / "ssh_host_ed25519_key"
            generate_keypair(host_key, comment="wirekit-host")
        self.host_key_path = Path(host_key)
        with translate(phase="host key"):
            self._host_key = asyncssh.read_private_key(str(self.host_key_path))
        self.host_public_key = self._host_key.export_public_key("openssh").decode().strip()
        self.handlers = dict(handlers or {})
        self.subprocess = subprocess
        self.sftp = sftp
        self.allow_forwarding = allow_forwarding
        self.env = dict(env or {})
        self.shell = shell
        self.connections = 0
        self._acceptor: Any = None

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) actually bound."""
        return self.host, self.port

    def known_hosts_line(self) -> str:
        """A known_hosts line for this server (``[host]:port key``)."""
        return f"{known_hosts_pattern(self.host, self.port)} {self.host_public_key}"

    def write_known_hosts(self, path: str | os.PathLike[str]) -> Path:
        """Write (replace) a known_hosts file trusting this server; return its path."""
        p = Path(path)
        p.write_text(self.known_hosts_line() + "\n")
        return p

    async def start(self) -> None:
        """Bind and start accepting.

        Raises:
            ConnectError: the address cannot be bound.
        """
        kwargs: dict[str, Any] = {
            "server_host_keys": [self._host_key],
            "process_factory": self._process,
            "encoding": None,
            "allow_scp": self.sftp,
            "agent_forwarding": False,
            "x11_forwarding": False,
            "reuse_address": True,
            # the server's order only matters to clients that leave the choice to it
            "encryption_algs": encryption_preference(),
        }
        if self.sftp:
            root = os.fsencode(self.root)
            kwargs["sftp_factory"] = lambda chan: _RootedSFTP(chan, chroot=root)
        with translate(host=self.host, port=self.port, phase="connect"):
            self._acceptor = await asyncssh.create_server(
                lambda: _ServerPolicy(self), self.host, self.port, **kwargs
            )
        sockets = self._acceptor.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop accepting, close connections, remove generated files."""
        if self._acceptor is not None:
            self._acceptor.close()
            try:
                await asyncio.wait_for(self._acceptor.wait_closed(), 5)
            except TimeoutError:
                pass
            self._acceptor = None
        if self._keydir is not None:
            self._keydir.cleanup()
            self._keydir = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> SSHServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _process(self, process: Any) -> None:
        command = process.command
        try:
            if command is None:
                process.stderr.write(
                    b"wirekit SSHServer: interactive shells are not supported; pass a command\n"
                )
                process.exit(1)
                return
            try:
                argv = shlex.split(command)
            except ValueError:
                argv = command.split()
            handler = self.handlers.get(argv[0]) if argv else None
            env = {**self.env, **{str(k): str(v) for k, v in (process.env or {}).items()}}
            if handler is not None:
                ctx = ExecContext(
                    command, argv, process.get_extra_info("username") or "", env, process
                )
                status = handler(ctx)
                if inspect.isawaitable(status):
                    status = await status
                process.exit(int(status or 0))
            elif self.subprocess:
                user = process.get_extra_info("username") or ""
                process.exit(
                    await self._run_subprocess(
                        process, command, {"USER": user, "LOGNAME": user, **env}
                    )
                )
            else:
                process.stderr.write(
                    f"{argv[0] if argv else command}: command not found\n".encode()
                )
                process.exit(127)
        except (asyncssh.BreakReceived, asyncssh.SignalReceived, asyncssh.TerminalSizeChanged):
            process.exit(255)
        except (BrokenPipeError, ConnectionError, asyncssh.Error):
            process.close()  # the client went away; nothing to report to
        except Exception as exc:  # a buggy handler must not kill the server: report it
            process.stderr.write(
                f"wirekit SSHServer: handler error: {type(exc).__name__}: {exc}\n".encode()
            )
            process.exit(1)

    async def _run_subprocess(self, process: Any, command: str, env: dict[str, str]) -> int:
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "SHLVL": "1",
            **env,
        }
        # own session (process group), so a vanished client kills the whole pipeline
        proc = await spawn([self.shell, "-c", command], cwd=self.root, env=full_env)

        async def pump_out(src: asyncio.StreamReader, dst: Any) -> None:
            while chunk := await src.read(65536):
                dst.write(chunk)
                await dst.drain()

        async def pump_in() -> None:
            try:
                while chunk := await process.stdin.read(65536):
                    proc.stdin.write(chunk)
                    await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError, asyncssh.Error):
                pass
            finally:
                proc.stdin.close()

        async def finish() -> int:
            await asyncio.gather(
                pump_out(proc.stdout, process.stdout), pump_out(proc.stderr, process.stderr)
            )
            return await proc.wait()

        feeder = asyncio.ensure_future(pump_in())
        main = asyncio.ensure_future(finish())
        closed = asyncio.ensure_future(process.channel.wait_closed())
        try:
            await asyncio.wait({main, closed}, return_when=asyncio.FIRST_COMPLETED)
            if main.done():
                return main.result()
            raise ConnectionResetError("client closed the channel")
        finally:
            for t in (feeder, main, closed):
                t.cancel()
            if proc.returncode is None:
                proc.kill_group()
                await proc.wait()
            proc.close()
