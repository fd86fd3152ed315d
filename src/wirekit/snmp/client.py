"""SNMP manager: ``SNMPClient`` (blocking UDP socket) and ``AsyncSNMPClient`` (asyncio, many
agents over one shared UDP socket with request-id multiplexing). Both drive the sans-IO
:class:`~wirekit.snmp.session.ManagerSession` and :class:`~wirekit.snmp.session.Walker`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, ConnectError, DecodeError, ReadTimeout
from .message import V1, V2C, V3, peek_request_id
from .mib import name_of, parse_oid
from .pdu import PDU, BulkPDU, PDUType, VarBind
from .session import ManagerSession, Reply, Walker, check_error
from .usm import USMUser, auth_error
from .values import (
    NULL,
    NoSuchInstance,
    NoSuchObject,
    ObjectIdentifier,
    SNMPValue,
    value_from_python,
)

__all__ = [
    "AsyncSNMPClient",
    "AsyncSNMPTransport",
    "SNMPClient",
    "SNMPTable",
    "parse_agent",
    "parse_version",
]

OIDLike = str | tuple[int, ...] | ObjectIdentifier


def parse_version(version: str | int) -> int:
    """Wire version code of ``"1"``, ``"2c"``, ``"3"`` (or 0/1/3).

    Raises:
        ConfigError: unknown version.
    """
    v = str(version).lower().lstrip("v")
    codes = {"1": V1, "2": V2C, "2c": V2C, "3": V3}
    if v not in codes:
        raise ConfigError(f"unknown SNMP version {version!r}; use 1, 2c or 3")
    return codes[v]


def parse_agent(
    agent: str, default_port: int = 161, *, allow_zero: bool = False
) -> tuple[str, int]:
    """``(host, port)`` from ``host``, ``host:port``, ``udp:host:port``, ``[v6]:port``.
    ``allow_zero`` accepts port 0 (bind to an ephemeral port).

    Raises:
        ConfigError: a malformed address.
    """
    s = agent.strip()
    for prefix in ("udp:", "udp6:", "udp://"):
        if s.startswith(prefix):
            s = s[len(prefix) :]
            break
    if s.startswith("["):
        host, _, rest = s[1:].partition("]")
        port = rest.lstrip(":") or str(default_port)
    elif s.count(":") == 1:
        host, port = s.split(":")
    else:
        host, port = s, str(default_port)
    try:
        p = int(port)
    except ValueError:
        raise ConfigError(
            f"bad SNMP agent address {agent!r}; use HOST, HOST:PORT or udp:HOST:PORT"
        ) from None
    if not host or not (0 if allow_zero else 1) <= p < 65536:
        raise ConfigError(f"bad SNMP agent address {agent!r}; use HOST, HOST:PORT or udp:HOST:PORT")
    return host, p


def _make_user(user: str | USMUser | None, kw: dict[str, Any]) -> USMUser | None:
    if user is None or isinstance(user, USMUser):
        return user
    return USMUser(
        user,
        auth_protocol=kw.get("auth_protocol") or ("SHA" if kw.get("auth_password") else None),
        auth_password=kw.get("auth_password"),
        priv_protocol=kw.get("priv_protocol") or ("AES" if kw.get("priv_password") else None),
        priv_password=kw.get("priv_password"),
    )


@dataclass
class SNMPTable:
    """A conceptual table: ``rows`` maps the index (as a dotted string) to column -> value."""

    entry: ObjectIdentifier
    columns: list[int] = field(default_factory=list)
    rows: dict[str, dict[int, SNMPValue]] = field(default_factory=dict)

    @classmethod
    def from_varbinds(cls, entry: ObjectIdentifier, varbinds: Iterable[VarBind]) -> SNMPTable:
        table = cls(ObjectIdentifier(entry))
        n = len(entry)
        cols: dict[int, None] = {}
        for oid, value in varbinds:
            if len(oid) <= n + 1:
                continue
            col = oid[n]
            index = ".".join(map(str, oid[n + 1 :]))
            cols.setdefault(col, None)
            table.rows.setdefault(index, {})[col] = value
        table.columns = sorted(cols)
        return table

    def to_json(self) -> dict[str, Any]:
        return {
            "entry": str(self.entry),
            "columns": self.columns,
            "rows": {
                idx: {str(c): v.to_json() for c, v in row.items()} for idx, row in self.rows.items()
            },
        }


def _as_varbinds(
    oids: Iterable[OIDLike], parsed: dict[Any, ObjectIdentifier] | None = None
) -> list[VarBind]:
    """Request varbinds (value NULL); ``parsed`` caches name/dotted-string lookups."""
    if parsed is None:
        return [VarBind(parse_oid(o), NULL) for o in oids]
    out = []
    for o in oids:
        oid = parsed.get(o)
        if oid is None:
            if len(parsed) > 1024:
                parsed.clear()
            oid = parsed[o] = parse_oid(o)
        out.append(VarBind(oid, NULL))
    return out


def _set_varbinds(pairs: Iterable[tuple[OIDLike, Any]] | dict[Any, Any]) -> list[VarBind]:
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [VarBind(parse_oid(o), value_from_python(v)) for o, v in items]


def _table_entry(oid: ObjectIdentifier) -> ObjectIdentifier:
    """``ifTable`` (…2.2) names the table; its rows live under the entry (…2.2.1)."""
    return oid if name_of(oid).endswith("Entry") else ObjectIdentifier((*oid, 1))


class _Common:
    """Configuration shared by the sync and async clients."""

    def __init__(
        self,
        agent: str,
        *,
        version: str | int = "2c",
        community: str | bytes = "public",
        user: str | USMUser | None = None,
        auth_protocol: str | None = None,
        auth_password: str | bytes | None = None,
        priv_protocol: str | None = None,
        priv_password: str | bytes | None = None,
        context: str | bytes = b"",
        timeout: float = 1.0,
        retries: int = 2,
        backoff: float = 1.5,
        max_repetitions: int = 25,
        port: int = 161,
        engine_id: bytes | None = None,
    ) -> None:
        self.host, self.port = parse_agent(agent, port)
        self.agent = f"{self.host}:{self.port}"
        code = parse_version(version)
        usm_user = _make_user(
            user,
            {
                "auth_protocol": auth_protocol,
                "auth_password": auth_password,
                "priv_protocol": priv_protocol,
                "priv_password": priv_password,
            },
        )
        if code == V3 and usm_user is None:
            raise ConfigError("SNMPv3 needs a user (-u)")
        self.session = ManagerSession(
            code,
            community.encode() if isinstance(community, str) else community,
            usm_user,
            context_name=context.encode() if isinstance(context, str) else context,
        )
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_repetitions = max_repetitions
        self._next_id = int.from_bytes(os.urandom(4), "big") & 0x3FFFFFFF
        # The local engine, authoritative for the v3 traps we send (RFC 3411 §5 format 5).
        self.local_engine_id = engine_id or b"\x80\x00\x1f\x88\x05" + os.urandom(8)
        self._started = time.monotonic()
        self._parsed: dict[Any, ObjectIdentifier] = {}

    def _authoritative(self) -> tuple[bytes, int, int] | None:
        if self.version != V3:
            return None
        return self.local_engine_id, 1, int(time.monotonic() - self._started)

    @property
    def version(self) -> int:
        return self.session.version

    def _new_id(self) -> int:
        self._next_id = (self._next_id + 1) & 0x7FFFFFFF or 1
        return self._next_id

    def _timeout_error(self, what: str) -> ReadTimeout:
        return ReadTimeout(
            f"no response from SNMP agent {self.agent} to {what} after {self.retries + 1} tries ({self.timeout}s first)"
        )

    def _walker(self, oid: OIDLike, bulk: bool | None, max_repetitions: int | None) -> Walker:
        use_bulk = self.version != V1 if bulk is None else (bulk and self.version != V1)
        return Walker(
            parse_oid(oid),
            bulk=use_bulk,
            max_repetitions=max_repetitions or self.max_repetitions,
            agent=self.agent,
        )


class SNMPClient(_Common):
    """Blocking SNMP manager for one agent.

    ``SNMPClient("127.0.0.1:161", community="public")``, or v3:
    ``SNMPClient(host, version=3, user="u", auth_protocol="SHA", auth_password=..., priv_protocol="AES", priv_password=...)``.

    Raises (every request):
        ReadTimeout: no answer after all retries (the message names the agent).
        AuthenticationError: v3 credentials refused (``check`` names the usmStats check).
        SNMPErrorStatus: the agent answered with an error-status.
    """

    def __init__(self, agent: str, **kwargs: Any) -> None:
        super().__init__(agent, **kwargs)
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise ConnectError(
                f"cannot resolve SNMP agent {self.agent}: {exc}", address=self.agent
            ) from exc
        family, _, _, _, addr = infos[0]
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sock.connect(addr)  # a connected socket: the kernel drops datagrams from others
        self._sock_timeout: float | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the socket."""
        self._sock.close()

    def __enter__(self) -> SNMPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------

    def _exchange(self, build: Any, what: str) -> bytes:
        # One request at a time on this socket: threads sharing a client queue here instead of
        # reading each other's replies.
        with self._lock:
            return self._exchange_locked(build, what)

    def _exchange_locked(self, build: Any, what: str) -> bytes:
        rid = self._new_id()
        sock = self._sock
        timeout = self.timeout
        for _attempt in range(self.retries + 1):
            sock.send(build(rid))
            deadline = time.monotonic() + timeout
            wait = timeout
            while True:
                # settimeout costs syscalls: only change it when the wait changes (a stray
                # datagram, a retry), not on every request.
                if wait != self._sock_timeout:
                    sock.settimeout(wait)
                    self._sock_timeout = wait
                try:
                    data = sock.recv(65535)
                except TimeoutError:
                    break
                except ConnectionRefusedError:  # ICMP port unreachable: nobody there yet
                    time.sleep(min(max(deadline - time.monotonic(), 0), 0.05))
                    data = b""
                try:
                    if data and peek_request_id(data) == rid:
                        return data
                except DecodeError:
                    pass
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
            timeout *= self.backoff
        raise self._timeout_error(what)

    def _discover(self) -> None:
        data = self._exchange(self.session.discovery_request, "engine discovery")
        self.session.decode(data, time.monotonic())
        if self.session.engine_id is None:  # pragma: no cover - agent violated RFC 3414 §4
            raise auth_error("unknownEngineID", f"{self.agent} did not reveal its engineID")

    def request(self, pdu: PDU) -> PDU:
        """Send one request PDU and return the response PDU (v3: discovery and resync included).

        Raises:
            ReadTimeout, AuthenticationError, DecodeError: see the class.
        """
        session = self.session
        for _round in range(3):
            if session.needs_discovery:
                self._discover()

            def build(rid: int) -> bytes:
                pdu.request_id = rid
                return session.encode(pdu, time.monotonic())

            reply: Reply = session.decode(self._exchange(build, pdu.name), time.monotonic())
            if reply.report is None:
                return reply.pdu
            if reply.report == "notInTimeWindow":
                continue  # the session adopted the agent's boots/time from the report
            if reply.report == "unknownEngineID":
                session.forget_engine()
                continue
            raise auth_error(reply.report, f"{self.agent} refused the request")
        raise auth_error("notInTimeWindow", f"{self.agent} keeps reporting time-window errors")

    # -- operations -----------------------------------------------------------------------

    def get(self, *oids: OIDLike) -> list[VarBind]:
        """GET: the value of each OID (v2c exceptions such as noSuchObject come back as values)."""
        pdu = self.request(PDU(PDUType.GET, 0, _as_varbinds(oids, self._parsed)))
        check_error(pdu, self.agent)
        return pdu.varbinds

    def get_value(self, oid: OIDLike) -> SNMPValue:
        """GET one OID and return its value."""
        return self.get(oid)[0].value

    def get_next(self, *oids: OIDLike) -> list[VarBind]:
        """GETNEXT: the next OID after each."""
        pdu = self.request(PDU(PDUType.GET_NEXT, 0, _as_varbinds(oids, self._parsed)))
        check_error(pdu, self.agent)
        return pdu.varbinds

    def get_bulk(
        self, *oids: OIDLike, non_repeaters: int = 0, max_repetitions: int = 10
    ) -> list[VarBind]:
        """GETBULK (v2c/v3).

        Raises:
            ConfigError: used with SNMPv1.
        """
        if self.version == V1:
            raise ConfigError("GETBULK needs SNMP v2c or v3")
        pdu = self.request(BulkPDU(0, _as_varbinds(oids), non_repeaters, max_repetitions))
        check_error(pdu, self.agent)
        return pdu.varbinds

    def set(self, pairs: Iterable[tuple[OIDLike, Any]] | dict[Any, Any]) -> list[VarBind]:
        """SET each OID to its value (typed values, or ints/str/bytes mapped by ``value_from_python``)."""
        pdu = self.request(PDU(PDUType.SET, 0, _set_varbinds(pairs)))
        check_error(pdu, self.agent)
        return pdu.varbinds

    def walk(
        self,
        oid: OIDLike = "1.3.6.1",
        *,
        bulk: bool | None = None,
        max_repetitions: int | None = None,
    ) -> Iterator[VarBind]:
        """Every varbind under ``oid``, in order: GETBULK with adaptive max-repetitions (v2c/v3)
        or GETNEXT (v1). If the subtree is empty, a GET of ``oid`` itself (like ``snmpwalk``).

        Raises:
            RemoteProtocolError: the agent returned a non-increasing OID.
        """
        walker = self._walker(oid, bulk, max_repetitions)
        while True:
            req = walker.next_request()
            if req is None:
                break
            try:
                pdu = self.request(req)
            except ReadTimeout:
                if walker.on_timeout():
                    continue
                raise
            yield from walker.on_response(pdu)
        if walker.count == 0:
            vb = self.get(walker.root)[0]
            if not isinstance(vb.value, (NoSuchObject, NoSuchInstance)) and vb.value is not NULL:
                yield vb

    def table(self, oid: OIDLike) -> SNMPTable:
        """Walk a table (``ifTable`` or its entry) and arrange it as rows by index."""
        entry = _table_entry(parse_oid(oid))
        return SNMPTable.from_varbinds(entry, self.walk(entry))

    def send_trap(
        self, trap_oid: OIDLike, varbinds: Iterable[tuple[OIDLike, Any]] = (), *, uptime: int = 0
    ) -> None:
        """Send an SNMPv2-Trap (v2c/v3) or a v1 Trap (v1, enterprise-specific) and return at once."""
        from .notify import build_trap

        pdu = build_trap(
            self.version, parse_oid(trap_oid), _set_varbinds(varbinds), uptime, self._new_id()
        )
        self._sock.send(
            self.session.encode(pdu, time.monotonic(), authoritative=self._authoritative())
        )

    def inform(
        self, trap_oid: OIDLike, varbinds: Iterable[tuple[OIDLike, Any]] = (), *, uptime: int = 0
    ) -> list[VarBind]:
        """Send an InformRequest and wait for its acknowledgement (v2c/v3)."""
        from .notify import build_inform

        pdu = self.request(build_inform(parse_oid(trap_oid), _set_varbinds(varbinds), uptime))
        check_error(pdu, self.agent)
        return pdu.varbinds


class AsyncSNMPTransport(asyncio.DatagramProtocol):
    """One UDP socket shared by many :class:`AsyncSNMPClient`; replies are matched by id.

    ``transport = await AsyncSNMPTransport.open()``; pass ``transport=`` to each client.
    """

    def __init__(self) -> None:
        self._pending: dict[int, tuple[asyncio.Future[bytes], tuple[str, int]]] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self._next_id = int.from_bytes(os.urandom(4), "big") & 0x3FFFFFFF

    @classmethod
    async def open(
        cls, local: tuple[str, int] = ("0.0.0.0", 0), family: int = socket.AF_INET
    ) -> AsyncSNMPTransport:
        """Bind the shared socket."""
        loop = asyncio.get_running_loop()
        _t, proto = await loop.create_datagram_endpoint(cls, local_addr=local, family=family)
        return proto

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            rid = peek_request_id(data)
        except DecodeError:
            return
        entry = self._pending.get(rid)
        if entry is None:
            return
        fut, expected = entry
        # Only the agent we asked may answer (a matching id from elsewhere is ignored).
        if (addr[0], addr[1]) == expected and not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:  # ICMP errors: let the request time out
        pass

    def new_id(self) -> int:
        """A request id unique on this socket."""
        while True:
            self._next_id = (self._next_id + 1) & 0x7FFFFFFF or 1
            if self._next_id not in self._pending:
                return self._next_id

    async def exchange(
        self,
        addr: tuple[str, int],
        rid: int,
        build: Any,
        timeout: float,
        retries: int,
        backoff: float,
    ) -> bytes | None:
        """Send ``build(rid)`` to ``addr`` until a reply with ``rid`` arrives; None on timeout."""
        assert self._transport is not None
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bytes] = loop.create_future()
        self._pending[rid] = (fut, (addr[0], addr[1]))
        try:
            for _attempt in range(retries + 1):
                self._transport.sendto(build(rid), addr)
                # asyncio.wait on a plain future costs one timer, no task (wait_for+shield
                # would create two per attempt).
                done, _ = await asyncio.wait((fut,), timeout=timeout)
                if done:
                    return fut.result()
                timeout *= backoff
            return None
        finally:
            self._pending.pop(rid, None)
            if not fut.done():
                fut.cancel()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class AsyncSNMPClient(_Common):
    """Asyncio SNMP manager for one agent; many clients may share one :class:`AsyncSNMPTransport`.

    ``max_in_flight`` bounds concurrent requests to this agent. Same operations as
    :class:`SNMPClient`, awaited; ``walk`` is an async iterator.
    """

    def __init__(
        self,
        agent: str,
        *,
        transport: AsyncSNMPTransport | None = None,
        max_in_flight: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(agent, **kwargs)
        self._transport = transport
        self._own_transport = transport is None
        self._addr: tuple[str, int] | None = None
        self._limit = asyncio.Semaphore(max_in_flight)
        self._discovery: asyncio.Lock | None = None

    async def _ensure(self) -> AsyncSNMPTransport:
        if self._addr is None:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)
            except OSError as exc:
                raise ConnectError(
                    f"cannot resolve SNMP agent {self.agent}: {exc}", address=self.agent
                ) from exc
            family, _, _, _, addr = infos[0]
            self._addr = (str(addr[0]), int(addr[1]))
            if self._transport is None:
                local = ("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0)
                self._transport = await AsyncSNMPTransport.open(local, family)
        assert self._transport is not None
        return self._transport

    async def aclose(self) -> None:
        """Close the socket if this client opened it."""
        if self._own_transport and self._transport is not None:
            self._transport.close()
            self._transport = None

    async def __aenter__(self) -> AsyncSNMPClient:
        await self._ensure()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _exchange(self, build: Any, what: str) -> bytes:
        transport = await self._ensure()
        assert self._addr is not None
        async with self._limit:
            data = await transport.exchange(
                self._addr, transport.new_id(), build, self.timeout, self.retries, self.backoff
            )
        if data is None:
            raise self._timeout_error(what)
        return data

    async def _discover(self) -> None:
        if self._discovery is None:
            self._discovery = asyncio.Lock()
        async with self._discovery:  # discovery happens once, even with requests in flight
            if self.session.needs_discovery:
                data = await self._exchange(self.session.discovery_request, "engine discovery")
                self.session.decode(data, time.monotonic())

    async def request(self, pdu: PDU) -> PDU:
        """Send one request PDU and return the response PDU. Raises as :meth:`SNMPClient.request`."""
        session = self.session
        for _round in range(3):
            if session.needs_discovery:
                await self._discover()

            def build(rid: int) -> bytes:
                pdu.request_id = rid
                return session.encode(pdu, time.monotonic())

            reply = session.decode(await self._exchange(build, pdu.name), time.monotonic())
            if reply.report is None:
                return reply.pdu
            if reply.report == "notInTimeWindow":
                continue
            if reply.report == "unknownEngineID":
                session.forget_engine()
                continue
            raise auth_error(reply.report, f"{self.agent} refused the request")
        raise auth_error("notInTimeWindow", f"{self.agent} keeps reporting time-window errors")

    async def get(self, *oids: OIDLike) -> list[VarBind]:
        """GET (see :meth:`SNMPClient.get`)."""
        pdu = await self.request(PDU(PDUType.GET, 0, _as_varbinds(oids, self._parsed)))
        check_error(pdu, self.agent)
        return pdu.varbinds

    async def get_next(self, *oids: OIDLike) -> list[VarBind]:
        """GETNEXT."""
        pdu = await self.request(PDU(PDUType.GET_NEXT, 0, _as_varbinds(oids, self._parsed)))
        check_error(pdu, self.agent)
        return pdu.varbinds

    async def get_bulk(
        self, *oids: OIDLike, non_repeaters: int = 0, max_repetitions: int = 10
    ) -> list[VarBind]:
        """GETBULK (v2c/v3)."""
        if self.version == V1:
            raise ConfigError("GETBULK needs SNMP v2c or v3")
        pdu = await self.request(BulkPDU(0, _as_varbinds(oids), non_repeaters, max_repetitions))
        check_error(pdu, self.agent)
        return pdu.varbinds

    async def set(self, pairs: Iterable[tuple[OIDLike, Any]] | dict[Any, Any]) -> list[VarBind]:
        """SET."""
        pdu = await self.request(PDU(PDUType.SET, 0, _set_varbinds(pairs)))
        check_error(pdu, self.agent)
        return pdu.varbinds

    async def walk(
        self,
        oid: OIDLike = "1.3.6.1",
        *,
        bulk: bool | None = None,
        max_repetitions: int | None = None,
    ) -> AsyncIterator[VarBind]:
        """Every varbind under ``oid`` (see :meth:`SNMPClient.walk`)."""
        walker = self._walker(oid, bulk, max_repetitions)
        while True:
            req = walker.next_request()
            if req is None:
                break
            try:
                pdu = await self.request(req)
            except ReadTimeout:
                if walker.on_timeout():
                    continue
                raise
            for vb in walker.on_response(pdu):
                yield vb
        if walker.count == 0:
            vb = (await self.get(walker.root))[0]
            if not isinstance(vb.value, (NoSuchObject, NoSuchInstance)) and vb.value is not NULL:
                yield vb

    async def table(self, oid: OIDLike) -> SNMPTable:
        """Walk a table into rows by index."""
        entry = _table_entry(parse_oid(oid))
        return SNMPTable.from_varbinds(entry, [vb async for vb in self.walk(entry)])

    async def send_trap(
        self, trap_oid: OIDLike, varbinds: Iterable[tuple[OIDLike, Any]] = (), *, uptime: int = 0
    ) -> None:
        """Send a trap (see :meth:`SNMPClient.send_trap`)."""
        from .notify import build_trap

        transport = await self._ensure()
        assert self._addr is not None and transport._transport is not None
        pdu = build_trap(
            self.version, parse_oid(trap_oid), _set_varbinds(varbinds), uptime, transport.new_id()
        )
        data = self.session.encode(pdu, time.monotonic(), authoritative=self._authoritative())
        transport._transport.sendto(data, self._addr)

    async def inform(
        self, trap_oid: OIDLike, varbinds: Iterable[tuple[OIDLike, Any]] = (), *, uptime: int = 0
    ) -> list[VarBind]:
        """Send an InformRequest and wait for its acknowledgement."""
        from .notify import build_inform

        pdu = await self.request(build_inform(parse_oid(trap_oid), _set_varbinds(varbinds), uptime))
        check_error(pdu, self.agent)
        return pdu.varbinds
