"""Async FTP server: virtual users confined to their homes, passive/active data, FTPS, sendfile.

Each control connection is a :class:`~wirekit.ftp.session.Session` (``session.py``) driving the
sans-IO :class:`~wirekit.ftp.protocol.ServerConnection`. RETR uses ``os.sendfile``; STOR reads
into one 1 MiB buffer and writes under a temporary name renamed only when the upload completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from ..errors import ConfigError
from .session import Session
from .users import UserDB

__all__ = ["FTPServer"]


class FTPServer:
    """An asyncio FTP/FTPS server for virtual users.

    ``ssl_context`` enables explicit FTPS (AUTH TLS); ``implicit_tls=True`` wraps the control
    connection from the first byte instead (port 990 style). ``passive_ports`` is a range of
    ports for PASV/EPSV (default: any free port). ``require_ssl_reuse`` refuses TLS data
    connections that do not resume the control connection's session (vsftpd's default; off here
    because ftplib and some other clients never resume). Use as ``async with FTPServer(...) as srv``.
    """

    def __init__(
        self,
        users: UserDB,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        passive_ports: range | None = None,
        ssl_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        require_tls: bool = False,
        require_ssl_reuse: bool = False,
        idle_timeout: float = 300.0,
        data_timeout: float = 30.0,
        max_connections: int = 512,
        max_per_user: int | None = None,
        masquerade_address: str | None = None,
        banner: str = "wirekit FTP server ready.",
        auth_failure_delay: float = 0.2,
    ) -> None:
        if (implicit_tls or require_tls) and ssl_context is None:
            raise ConfigError("implicit_tls/require_tls need an ssl_context")
        self.users = users
        self.host = host
        self.port = port
        self.passive_ports = passive_ports
        self.ssl_context = ssl_context
        self.implicit_tls = implicit_tls
        self.require_tls = require_tls
        self.require_ssl_reuse = require_ssl_reuse
        self.idle_timeout = idle_timeout
        self.data_timeout = data_timeout
        self.max_connections = max_connections
        self.max_per_user = max_per_user
        self.masquerade_address = masquerade_address
        self.banner = banner
        self.auth_failure_delay = auth_failure_delay
        self._server: asyncio.AbstractServer | None = None
        self._sessions: set[Session] = set()
        self._per_user: dict[str, int] = {}

    @property
    def address(self) -> tuple[str, int]:
        """The bound ``(host, port)``."""
        assert self._server is not None, "server not started"
        host, port = self._server.sockets[0].getsockname()[:2]  # type: ignore[attr-defined]
        return host, port

    @property
    def url(self) -> str:
        host, port = self.address
        return f"ftp://{host}:{port}/"

    async def start(self) -> None:
        """Bind and start accepting.

        Raises:
            OSError: the address is in use or not bindable.
        """
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Session(self),
            self.host,
            self.port,
            ssl=self.ssl_context if self.implicit_tls else None,
            reuse_address=True,
            backlog=256,
        )

    async def stop(self, deadline: float = 5.0) -> None:
        """Stop accepting, close every session, wait up to ``deadline`` seconds."""
        if self._server is None:
            return
        self._server.close()
        for s in list(self._sessions):
            s.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), deadline)
        self._server = None

    async def serve_forever(self) -> None:
        """Start (if needed) and serve until cancelled."""
        if self._server is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    @property
    def connections(self) -> int:
        """Open control connections."""
        return len(self._sessions)

    async def __aenter__(self) -> FTPServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
