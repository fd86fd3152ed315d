"""``SNMPAgent``: the asyncio driver of the :class:`~wirekit.snmp.responder.Responder` on one
UDP socket. ``await agent.start()``; ``agent.address``; ``await agent.stop()``."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from ..errors import ConfigError
from .client import parse_agent
from .mibtree import MibTree, View
from .responder import AgentConfig, Responder
from .usm import USMUser

__all__ = ["SNMPAgent"]


class _AgentProtocol(asyncio.DatagramProtocol):
    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        out = self.responder.handle(data, time.monotonic())
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP from a vanished manager: ignore
        pass


class SNMPAgent:
    """An SNMP agent serving ``tree`` (a :class:`MibTree`, or a dict of OID -> value).

    Read-only unless a write community or user is given. ``communities`` maps a community to
    ``"ro"``/``"rw"``; ``users`` is a list of :class:`USMUser` (read-only) and ``rw_users`` of
    writable ones. ``views`` maps a community or user name to a :class:`View`.

    Raises (constructor):
        ConfigError: no community and no user configured.
    """

    def __init__(
        self,
        tree: MibTree | dict[Any, Any] | None = None,
        endpoint: str = "udp:127.0.0.1:0",
        *,
        communities: dict[str, str] | None = None,
        users: list[USMUser] | None = None,
        rw_users: list[USMUser] | None = None,
        views: dict[str, View] | None = None,
        engine_id: bytes | None = None,
        engine_boots: int = 1,
        max_size: int = 65507,
    ) -> None:
        self.tree = tree if isinstance(tree, MibTree) else MibTree(tree or {})
        self.host, self.port = parse_agent(endpoint, 161, allow_zero=True)
        views = views or {}
        self.config = AgentConfig(
            engine_id=engine_id or b"", engine_boots=engine_boots, max_size=max_size
        )
        for community, mode in (
            communities if communities is not None else {"public": "ro"}
        ).items():
            if mode not in ("ro", "rw"):
                raise ConfigError(f"community mode must be 'ro' or 'rw', got {mode!r}")
            self.config.add_community(community, writable=mode == "rw", view=views.get(community))
        for user in users or []:
            self.config.add_user(user, view=views.get(str(user.name)))
        for user in rw_users or []:
            self.config.add_user(user, writable=True, view=views.get(str(user.name)))
        if not self.config.communities and not self.config.users:
            raise ConfigError("an SNMP agent needs at least one community or user")
        self.responder = Responder(self.tree, self.config, start_time=time.monotonic())
        self._transport: asyncio.DatagramTransport | None = None
        self.address: tuple[str, int] = (self.host, self.port)

    @property
    def endpoint(self) -> str:
        return f"udp:{self.address[0]}:{self.address[1]}"

    @property
    def counters(self) -> dict[str, int]:
        """snmpInPkts, snmpInASNParseErrs, usmStats* and the other agent counters."""
        return self.responder.counters

    async def start(self) -> None:
        """Bind the UDP socket and start answering."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        transport, _proto = await loop.create_datagram_endpoint(
            lambda: _AgentProtocol(self.responder), local_addr=(self.host, self.port), family=family
        )
        sock = transport.get_extra_info("socket")
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, 1 << 20)
            except OSError:
                pass
        self._transport = transport
        self.address = sock.getsockname()[:2]

    async def stop(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def __aenter__(self) -> SNMPAgent:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        """Start (if needed) and serve until cancelled."""
        if self._transport is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()
