"""The simulator: replay ``.snmprec`` recordings as agents (snmpsim-compatible), and record them.

One UDP socket serves many recordings, chosen by community (``public.snmprec`` answers to
community ``public``, as in snmpsim), or each recording gets its own port. v3 users see the
first recording.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DecodeError
from .ber import decode_tlv, expect_tlv
from .client import SNMPClient, parse_agent
from .mibtree import MibTree
from .responder import AgentConfig, Responder
from .snmprec import read_snmprec, write_snmprec
from .usm import USMUser
from .values import EndOfMibView, NoSuchInstance, NoSuchObject

__all__ = ["Device", "Simulator", "load_tree", "record"]


def load_tree(path: str | Path) -> MibTree:
    """A :class:`MibTree` holding a recording.

    Raises:
        ConfigError: unreadable file.
    """
    rec = read_snmprec(path)
    return MibTree(rec.varbinds)


def record(
    agent: str,
    out: str | Path,
    *,
    root: str = "1.3.6.1",
    progress: Callable[[int], Any] | None = None,
    **client_options: Any,
) -> int:
    """Walk ``agent`` under ``root`` and write what it returns as a ``.snmprec``; return the count.

    Raises:
        ReadTimeout, AuthenticationError: as :class:`SNMPClient`.
        ConfigError: the output cannot be written.
    """
    rows = []
    with SNMPClient(agent, **client_options) as client:
        for vb in client.walk(root):
            if isinstance(vb.value, (NoSuchObject, NoSuchInstance, EndOfMibView)):
                continue
            rows.append((vb.oid, vb.value))
            if progress is not None and len(rows) % 100 == 0:
                progress(len(rows))
    return write_snmprec(out, rows)


@dataclass
class Device:
    """One simulated device: its community, data and where it answers."""

    community: str
    path: str
    records: int
    endpoint: str


def _community_of(data: bytes) -> bytes | None:
    """The community of a v1/v2c message (None for v3 or garbage), without a full decode."""
    try:
        start, end = expect_tlv(data, 0, 0x30, "Message")
        tag, s, e = decode_tlv(data, start, end)
        if tag != 0x02 or e - s != 1 or data[s] == 3:
            return None
        s, e = expect_tlv(data, e, 0x04, "community", end)
        return bytes(data[s:e])
    except DecodeError:
        return None


class _RouterProtocol(asyncio.DatagramProtocol):
    def __init__(self, by_community: dict[bytes, Responder], v3: Responder | None) -> None:
        self.by_community = by_community
        self.v3 = v3
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        community = _community_of(data)
        responder = self.v3 if community is None else self.by_community.get(community)
        if responder is None:
            return
        out = responder.handle(data, time.monotonic())
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)

    def error_received(self, exc: Exception) -> None:
        pass


class Simulator:
    """Serve recordings. ``per_port=False``: one socket, the community picks the recording
    (file stem). ``per_port=True``: recording *i* on ``port + i``, community = stem.

    Raises (constructor):
        ConfigError: no recordings, or unreadable ones.
    """

    def __init__(
        self,
        recordings: Iterable[str | Path],
        endpoint: str = "udp:127.0.0.1:1161",
        *,
        per_port: bool = False,
        communities: list[str] | None = None,
        users: list[USMUser] | None = None,
    ) -> None:
        paths = [Path(p) for p in recordings]
        if not paths:
            raise ConfigError("the simulator needs at least one .snmprec recording")
        self.host, self.port = parse_agent(endpoint, 1161, allow_zero=True)
        self.per_port = per_port
        self.users = users or []
        self._trees = [(p, load_tree(p)) for p in paths]
        names = communities or [p.stem for p in paths]
        if len(names) != len(paths):
            raise ConfigError("give one community per recording")
        self._names = names
        self._transports: list[asyncio.DatagramTransport] = []
        self.devices: list[Device] = []

    def _responder(self, tree: MibTree, communities: list[str]) -> Responder:
        config = AgentConfig()
        for c in communities:
            config.add_community(c)
        for u in self.users:
            config.add_user(u)
        return Responder(tree, config, start_time=time.monotonic())

    @staticmethod
    def _protocol_factory(
        by_community: dict[bytes, Responder], v3: Responder | None
    ) -> Callable[[], _RouterProtocol]:
        return lambda: _RouterProtocol(by_community, v3)

    async def start(self) -> None:
        """Bind the socket(s)."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        if self.per_port:
            for i, ((path, tree), name) in enumerate(zip(self._trees, self._names, strict=True)):
                responder = self._responder(tree, [name])
                port = self.port + i if self.port else 0
                t, _ = await loop.create_datagram_endpoint(
                    self._protocol_factory(
                        {c: responder for c in responder.config.communities},
                        responder if self.users else None,
                    ),
                    local_addr=(self.host, port),
                    family=family,
                )
                self._transports.append(t)
                addr = t.get_extra_info("socket").getsockname()
                self.devices.append(Device(name, str(path), len(tree), f"udp:{addr[0]}:{addr[1]}"))
            return
        by_community: dict[bytes, Responder] = {}
        first: Responder | None = None
        for (_path, tree), name in zip(self._trees, self._names, strict=True):
            responder = self._responder(tree, [name])
            first = first or responder
            by_community[name.encode()] = responder
        t, _ = await loop.create_datagram_endpoint(
            lambda: _RouterProtocol(by_community, first if self.users else None),
            local_addr=(self.host, self.port),
            family=family,
        )
        sock = t.get_extra_info("socket")
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        except OSError:
            pass
        self._transports.append(t)
        addr = sock.getsockname()
        for (path, tree), name in zip(self._trees, self._names, strict=True):
            self.devices.append(Device(name, str(path), len(tree), f"udp:{addr[0]}:{addr[1]}"))

    async def stop(self) -> None:
        for t in self._transports:
            t.close()
        self._transports.clear()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
