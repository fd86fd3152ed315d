"""Port forwarding over an SSH connection: local (-L), remote (-R) and dynamic SOCKS (-D)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._adapter import asyncssh, translate

if TYPE_CHECKING:  # pragma: no cover
    from .client import AsyncSSHClient

__all__ = ["Forward", "forward_local", "forward_remote", "forward_socks"]


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
    with translate(host=client.target.host, port=client.target.port, phase="remote forward"):
        lst = await client.connection.forward_remote_port(
            listen_host, listen_port, dest_host, dest_port
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
