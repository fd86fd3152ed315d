"""Port forwarding over an SSH connection: local (-L), remote (-R) and dynamic SOCKS (-D)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ReplyError
from ._adapter import asyncssh, translate

if TYPE_CHECKING:  # pragma: no cover
    from .client import AsyncSSHClient

__all__ = [
    "ChannelForwarder",
    "Forward",
    "forward_local",
    "forward_remote",
    "forward_socks",
    "open_forward",
]


class ChannelForwarder(asyncssh.forward.SSHForwarder):
    """Channel side of a direct-tcpip forward that first delivers what the destination sent
    before the channel was up (and bytes arriving before it is). asyncssh 2.24's own forwarder keeps such early bytes in the
    TCP side's buffer and never flushes them: with uvloop a server-speaks-first protocol
    (SSH, SMTP, FTP banners) then hangs."""

    def __init__(self, peer: Any) -> None:
        self._early = b""
        self._early_eof = False
        super().__init__(peer)

    def write(self, data: bytes) -> None:
        if self._transport is None:  # the channel is not up yet: keep, never drop
            self._early += data
        else:
            super().write(data)

    def write_eof(self) -> None:
        if self._transport is None:
            self._early_eof = True
        else:
            super().write_eof()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        peer = self._peer
        early = self._early
        if peer is not None:
            early = peer._inpbuf + early
            peer._inpbuf = b""
        self._early = b""
        if early:
            self.write(early)
        if self._early_eof or (peer is not None and peer._eof_received):
            self.write_eof()


async def open_forward(dest_host: str, dest_port: int) -> Any:
    """Dial ``dest`` and return the channel-side session for a tunnelled connection (either side).

    Raises:
        asyncssh.ChannelOpenError: the destination refused (reported to the peer as open failure).
    """
    loop = asyncio.get_running_loop()
    try:
        _, tcp_side = await loop.create_connection(
            asyncssh.forward.SSHForwarder, dest_host, dest_port
        )
    except OSError as exc:
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, str(exc)) from None
    return ChannelForwarder(tcp_side)


@dataclass
class Forward:
    """A running forward. ``port`` is the bound listen port (useful with 0). Close with ``aclose``."""

    kind: str  # "local" | "remote" | "socks"
    listen_host: str
    port: int
    dest: str
    _listener: Any

    async def aclose(self) -> None:
        """Stop listening (open tunnelled connections are closed too)."""
        self._listener.close()
        try:
            await asyncio.wait_for(self._listener.wait_closed(), 5)
        except (TimeoutError, asyncssh.Error):
            pass

    async def __aenter__(self) -> Forward:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def wait_closed(self) -> None:
        """Block until the forward is closed (or the connection drops)."""
        await self._listener.wait_closed()


async def forward_local(
    client: AsyncSSHClient, listen_host: str, listen_port: int, dest_host: str, dest_port: int
) -> Forward:
    """Listen locally; tunnel each connection to ``dest_host:dest_port`` as seen from the server.

    Raises:
        ConnectError: the local port cannot be bound.
    """
    with translate(host=listen_host, port=listen_port, phase="connect"):
        lst = await client.connection.forward_local_port(
            listen_host, listen_port, dest_host, dest_port
        )
    return Forward("local", listen_host, lst.get_port(), f"{dest_host}:{dest_port}", lst)


async def forward_remote(
    client: AsyncSSHClient, listen_host: str, listen_port: int, dest_host: str, dest_port: int
) -> Forward:
    """Ask the server to listen; connections to it come back to ``dest_host:dest_port`` here.

    Raises:
        ReplyError: the server refused the forward (forwarding disabled or port taken).
    """
    # Not conn.forward_remote_port: its dialer loses bytes a destination sends before the
    # channel is up (uvloop); ChannelForwarder keeps them.
    with translate(host=client.target.host, port=client.target.port, phase="remote forward"):
        lst = await client.connection.create_server(
            lambda _orig_host, _orig_port: open_forward(dest_host, dest_port),
            listen_host,
            listen_port,
        )
    if lst is None:
        raise ReplyError(
            "listen",
            "refused",
            f"{client.host}: server refused to listen on {listen_host}:{listen_port}",
        )
    return Forward("remote", listen_host, lst.get_port(), f"{dest_host}:{dest_port}", lst)


async def forward_socks(client: AsyncSSHClient, listen_host: str, listen_port: int) -> Forward:
    """A local SOCKS4/4a/5 proxy whose connections leave from the server.

    Raises:
        ConnectError: the local port cannot be bound.
    """
    with translate(host=listen_host, port=listen_port, phase="connect"):
        lst = await client.connection.forward_socks(listen_host, listen_port)
    return Forward("socks", listen_host, lst.get_port(), "SOCKS", lst)
