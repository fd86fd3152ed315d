"""Notification receiver: v1/v2c/v3 traps and informs on one UDP socket (``TrapReceiver``), with
its sans-IO core (``NotificationDecoder``). Informs are acknowledged; v3 informs are answered
by our own engine (we are authoritative), v3 traps are checked with the sender's engineID."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import AuthenticationError, DecodeError
from .client import parse_agent
from .message import V1, V2C, CommunityMessage, V3Message, decode_message
from .mibtree import MibTree
from .notify import SNMP_TRAP_OID, SYS_UPTIME, trap_v1_to_v2
from .pdu import PDUType, TrapV1PDU, VarBind
from .responder import AgentConfig, Responder
from .usm import USMUser, unprotect

__all__ = ["Notification", "NotificationDecoder", "TrapReceiver"]

_VERSION_NAMES = {V1: "1", V2C: "2c", 3: "3"}


@dataclass
class Notification:
    """One received trap or inform."""

    source: str
    version: str
    kind: str  # "trap", "inform" or "trap-v1"
    trap_oid: str
    uptime: int
    security: str  # community, or v3 user name
    varbinds: list[VarBind] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "version": self.version,
            "kind": self.kind,
            "trap_oid": self.trap_oid,
            "uptime": self.uptime,
            "security": self.security,
            "varbinds": [vb.to_json() for vb in self.varbinds],
        }


def _from_v2_varbinds(varbinds: list[VarBind]) -> tuple[str, int, list[VarBind]]:
    trap_oid = ""
    uptime = 0
    rest = []
    for vb in varbinds:
        if vb.oid == SNMP_TRAP_OID:
            trap_oid = str(vb.value)
        elif vb.oid == SYS_UPTIME:
            uptime = int(vb.value)  # type: ignore[call-overload]
        else:
            rest.append(vb)
    return trap_oid, uptime, rest


class NotificationDecoder:
    """Sans-IO: ``handle(data, source, now) -> (Notification | None, reply | None)``.

    ``communities=None`` accepts any community. ``users`` are the v3 users accepted, for traps
    (any sender engineID) and informs (our ``engine_id``). Never raises.
    """

    def __init__(
        self,
        communities: list[str] | None = None,
        users: list[USMUser] | None = None,
        engine_id: bytes | None = None,
        start_time: float = 0.0,
    ) -> None:
        self.communities = None if communities is None else {c.encode() for c in communities}
        self.users = {u.user_name: u for u in users or []}
        config = AgentConfig(engine_id=engine_id or b"")
        for community in communities or ["public"]:
            config.add_community(community)
        for user in users or []:
            config.add_user(user)
        self.engine_id = config.engine_id
        self._inform_responder = Responder(MibTree(), config, start_time=start_time)
        self.dropped = 0

    def handle(
        self, data: bytes, source: str, now: float = 0.0
    ) -> tuple[Notification | None, bytes | None]:
        try:
            msg = decode_message(data)
            if isinstance(msg, CommunityMessage):
                return self._community(msg, source, data, now)
            return self._v3(msg, source, data, now)
        except (DecodeError, AuthenticationError):
            self.dropped += 1
            return None, None
        except Exception:  # never crash the receiver on a datagram
            self.dropped += 1
            return None, None

    def _community(
        self, msg: CommunityMessage, source: str, data: bytes, now: float
    ) -> tuple[Notification | None, bytes | None]:
        if self.communities is not None and msg.community not in self.communities:
            self.dropped += 1
            return None, None
        community = msg.community.decode("utf-8", "replace")
        pdu = msg.pdu
        version = _VERSION_NAMES.get(msg.version, str(msg.version))
        if isinstance(pdu, TrapV1PDU):
            vbs = trap_v1_to_v2(pdu)
            trap_oid, uptime, rest = _from_v2_varbinds(vbs)
            return Notification(source, version, "trap-v1", trap_oid, uptime, community, rest), None
        if pdu.type not in (PDUType.TRAP_V2, PDUType.INFORM):
            self.dropped += 1
            return None, None
        trap_oid, uptime, rest = _from_v2_varbinds(pdu.varbinds)
        kind = "inform" if pdu.type == PDUType.INFORM else "trap"
        reply = None
        if kind == "inform":
            # RFC 3416 §4.2.7: acknowledge with a Response carrying the same varbinds.
            from .message import encode_community_message
            from .pdu import PDU

            reply = encode_community_message(
                msg.version, msg.community, PDU(PDUType.RESPONSE, pdu.request_id, pdu.varbinds)
            )
        return Notification(source, version, kind, trap_oid, uptime, community, rest), reply

    def _v3(
        self, msg: V3Message, source: str, data: bytes, now: float
    ) -> tuple[Notification | None, bytes | None]:
        usm = msg.usm
        if not usm.engine_id or usm.engine_id == self.engine_id:
            # Discovery or an inform addressed to our engine: the responder answers.
            reply = self._inform_responder.handle(data, now)
            if usm.engine_id != self.engine_id:
                return None, reply
            user = self.users.get(usm.user_name)
            scoped = unprotect(msg, user)
            pdu = scoped.pdu
            if isinstance(pdu, TrapV1PDU) or pdu.type != PDUType.INFORM or reply is None:
                return None, reply
            # The responder already checked time and answered; only a Response means accepted.
            trap_oid, uptime, rest = _from_v2_varbinds(pdu.varbinds)
            return Notification(
                source,
                "3",
                "inform",
                trap_oid,
                uptime,
                usm.user_name.decode("utf-8", "replace"),
                rest,
            ), reply
        # A trap: the sender is authoritative; keys are localised to its engineID.
        user = self.users.get(usm.user_name)
        if user is None and msg.flags & 1:
            self.dropped += 1
            return None, None
        scoped = unprotect(msg, user)
        pdu = scoped.pdu
        if isinstance(pdu, TrapV1PDU) or pdu.type != PDUType.TRAP_V2:
            self.dropped += 1
            return None, None
        trap_oid, uptime, rest = _from_v2_varbinds(pdu.varbinds)
        return Notification(
            source, "3", "trap", trap_oid, uptime, usm.user_name.decode("utf-8", "replace"), rest
        ), None


class _ReceiverProtocol(asyncio.DatagramProtocol):
    def __init__(
        self, decoder: NotificationDecoder, callback: Callable[[Notification], Any], started: float
    ) -> None:
        self.decoder = decoder
        self.callback = callback
        self.transport: asyncio.DatagramTransport | None = None
        self.started = started

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        source = f"{addr[0]}:{addr[1]}"
        note, reply = self.decoder.handle(data, source, time.monotonic())
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)
        if note is not None:
            try:
                self.callback(note)
            except Exception:  # a failing user callback must not stop the receiver
                pass

    def error_received(self, exc: Exception) -> None:
        pass


class TrapReceiver:
    """Receive notifications on ``endpoint`` (``udp:HOST:PORT``); each goes to ``callback`` and
    into :attr:`received` (bounded by ``keep``)."""

    def __init__(
        self,
        endpoint: str = "udp:127.0.0.1:162",
        *,
        callback: Callable[[Notification], Any] | None = None,
        communities: list[str] | None = None,
        users: list[USMUser] | None = None,
        engine_id: bytes | None = None,
        keep: int = 10000,
    ) -> None:
        self.host, self.port = parse_agent(endpoint, 162, allow_zero=True)
        self.decoder = NotificationDecoder(
            communities, users, engine_id, start_time=time.monotonic()
        )
        self.received: list[Notification] = []
        self._keep = keep
        self._user_callback = callback
        self._transport: asyncio.DatagramTransport | None = None
        self._arrived: asyncio.Event | None = None
        self.address: tuple[str, int] = (self.host, self.port)

    @property
    def engine_id(self) -> bytes:
        return self.decoder.engine_id

    def _on(self, note: Notification) -> None:
        self.received.append(note)
        if len(self.received) > self._keep:
            del self.received[: len(self.received) - self._keep]
        if self._arrived is not None:
            self._arrived.set()
        if self._user_callback is not None:
            self._user_callback(note)

    async def start(self) -> None:
        """Bind and start receiving."""
        loop = asyncio.get_running_loop()
        self._arrived = asyncio.Event()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _ReceiverProtocol(self.decoder, self._on, time.monotonic()),
            local_addr=(self.host, self.port),
            family=family,
        )
        self._transport = transport
        self.address = transport.get_extra_info("socket").getsockname()[:2]

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[Notification]:
        """Wait until at least ``count`` notifications have arrived; return them.

        Raises:
            ReadTimeout: fewer arrived in time.
        """
        from ..errors import ReadTimeout

        assert self._arrived is not None
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReadTimeout(
                    f"only {len(self.received)} of {count} notifications arrived at {self.address[0]}:{self.address[1]}"
                )
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                pass
        return list(self.received)

    async def __aenter__(self) -> TrapReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
