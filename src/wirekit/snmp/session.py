"""Manager-side protocol state for one agent, and the walk planner; sans-IO (time is passed in).

Rules:

1. :class:`ManagerSession` turns PDUs into datagrams and datagrams into :class:`Reply` values.
   It owns the v3 state: discovered engineID, boots and time (with the local time they were
   learned), and the salt. Keys are cached on the :class:`~wirekit.snmp.usm.USMUser`.
2. :class:`Walker` plans a walk: which request next, what to do on tooBig or a timeout, when the
   subtree ends. Drivers (sync and async) only move bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AuthenticationError, DecodeError, RemoteProtocolError, SNMPErrorStatus
from .message import (
    FLAG_REPORTABLE,
    V3,
    CommunityMessage,
    ScopedPDU,
    V3Message,
    decode_message,
    encode_community_message,
)
from .pdu import PDU, BulkPDU, PDUType, TrapV1PDU, VarBind, error_name
from .usm import TIME_WINDOW, USM_STATS_BY_OID, SaltCounter, USMUser, auth_error, protect, unprotect
from .values import NULL, EndOfMibView, ObjectIdentifier

__all__ = ["ManagerSession", "Reply", "Walker", "check_error"]

#: Largest UDP payload we accept (RFC 3417 §3.2 asks for at least 484; Net-SNMP uses 65507).
MAX_MSG_SIZE = 65507


@dataclass(slots=True)
class Reply:
    """A decoded reply. ``report`` names the usmStats check of a v3 Report PDU, else None."""

    pdu: PDU
    report: str | None = None


def check_error(pdu: PDU, agent: str) -> None:
    """Raise for a non-zero error-status.

    Raises:
        SNMPErrorStatus: the response's error-status is not noError.
    """
    if pdu.error_status:
        idx = pdu.error_index
        where = ""
        if 0 < idx <= len(pdu.varbinds):
            where = f" at {pdu.varbinds[idx - 1].oid}"
        err = SNMPErrorStatus(
            pdu.error_status,
            error_name(pdu.error_status),
            f"{agent}: {error_name(pdu.error_status)}{where}",
        )
        err.index = idx  # type: ignore[attr-defined]
        raise err


class ManagerSession:
    """Protocol state toward one agent (v1, v2c or v3 USM).

    Raises (constructor):
        ConfigError: an inconsistent version/credential combination.
    """

    def __init__(
        self,
        version: int,
        community: bytes = b"public",
        user: USMUser | None = None,
        *,
        context_name: bytes = b"",
        context_engine_id: bytes | None = None,
        max_size: int = MAX_MSG_SIZE,
    ) -> None:
        self.version = version
        self.community = community
        self.user = user
        self.context_name = context_name
        self.context_engine_id = context_engine_id
        self.max_size = max_size
        # v3 state (RFC 3414 §2.3): the authoritative engine as last seen.
        self.engine_id: bytes | None = None
        self.boots = 0
        self.etime = 0
        self.learned_at = 0.0
        self._salt = SaltCounter()
        self._oid_cache: dict[bytes, tuple[int, ...]] = {}

    # -- v3 engine state ------------------------------------------------------------------

    @property
    def needs_discovery(self) -> bool:
        return self.version == V3 and self.engine_id is None

    def forget_engine(self) -> None:
        """Drop the discovered engine (after unknownEngineID): the next request rediscovers."""
        self.engine_id = None

    def engine_time(self, now: float) -> int:
        """Our estimate of the agent's engineTime at local time ``now``."""
        return self.etime + int(now - self.learned_at)

    def _learn(
        self, engine_id: bytes, boots: int, etime: int, now: float, authenticated: bool
    ) -> None:
        if engine_id != self.engine_id:
            self.engine_id = engine_id
            self.boots, self.etime, self.learned_at = boots, etime, now
            return
        # RFC 3414 §3.2.7.b: adopt newer boots, or a later time within the same boots. Only
        # authenticated messages may move the clock (a forged report must not).
        if not authenticated and self.user is not None and self.user.auth_protocol:
            return
        if boots > self.boots or (boots == self.boots and etime > self.engine_time(now)):
            self.boots, self.etime, self.learned_at = boots, etime, now

    # -- encoding -------------------------------------------------------------------------

    def discovery_request(self, request_id: int) -> bytes:
        """The noAuthNoPriv, reportable probe that makes the agent reveal its engine (RFC 3414 §4)."""
        pdu = PDU(PDUType.GET, request_id, [])
        return protect(
            msg_id=request_id,
            max_size=self.max_size,
            flags=FLAG_REPORTABLE,
            user=None,
            engine_id=b"",
            boots=0,
            etime=0,
            scoped=ScopedPDU(b"", b"", pdu),
            salt=self._salt,
            user_name=b"",
        )

    def encode(
        self,
        pdu: PDU | TrapV1PDU,
        now: float = 0.0,
        *,
        authoritative: tuple[bytes, int, int] | None = None,
    ) -> bytes:
        """Serialise ``pdu`` for this agent (v3: secured with the cached engine state).

        ``authoritative`` = (engineID, boots, time) of the local engine, for v3 traps, where
        the sender is authoritative (RFC 3412 §7.1.9.b).

        Raises:
            ValueError: the PDU cannot be encoded.
        """
        if self.version != V3:
            return encode_community_message(self.version, self.community, pdu)
        if authoritative is not None:
            engine_id, boots, etime = authoritative
            flags = self.user.flags if self.user else 0
            return protect(
                msg_id=getattr(pdu, "request_id", 0),
                max_size=self.max_size,
                flags=flags,
                user=self.user,
                engine_id=engine_id,
                boots=boots,
                etime=etime,
                scoped=ScopedPDU(engine_id, self.context_name, pdu),
                salt=self._salt,
            )
        engine_id = self.engine_id or b""
        flags = (self.user.flags if self.user else 0) | FLAG_REPORTABLE
        if pdu.type in (PDUType.TRAP_V2, PDUType.RESPONSE, PDUType.REPORT):
            flags &= ~FLAG_REPORTABLE  # RFC 3412 §6.4: unconfirmed classes are not reportable
        request_id = getattr(pdu, "request_id", 0)
        ctx_engine = self.context_engine_id if self.context_engine_id is not None else engine_id
        return protect(
            msg_id=request_id,
            max_size=self.max_size,
            flags=flags,
            user=self.user,
            engine_id=engine_id,
            boots=self.boots,
            etime=self.engine_time(now) if self.engine_id else 0,
            scoped=ScopedPDU(ctx_engine, self.context_name, pdu),
            salt=self._salt,
        )

    # -- decoding -------------------------------------------------------------------------

    def decode(self, data: bytes, now: float = 0.0) -> Reply:
        """Decode and verify a reply datagram.

        Raises:
            DecodeError: malformed bytes, or another version/community than ours.
            AuthenticationError: a v3 security check failed (``check`` names it).
        """
        cache = self._oid_cache
        if len(cache) > 4096:  # bounded: a long walk of many tables must not grow it forever
            cache.clear()
        msg = decode_message(data, cache)
        if isinstance(msg, CommunityMessage):
            if self.version == V3 or msg.version != self.version:
                raise DecodeError(
                    f"reply has SNMP version code {msg.version}, expected {self.version}",
                    layer="snmp-session",
                )
            if isinstance(msg.pdu, TrapV1PDU):
                raise DecodeError("a v1 Trap is not a reply", layer="snmp-session")
            return Reply(msg.pdu)
        return self._decode_v3(msg, now)

    def _decode_v3(self, msg: V3Message, now: float) -> Reply:
        if self.version != V3:
            raise DecodeError("unexpected SNMPv3 reply", layer="snmp-session")
        authenticated = bool(msg.flags & 1)
        user = (
            self.user
            if self.user is not None and msg.usm.user_name == self.user.user_name
            else None
        )
        if not authenticated:
            scoped = unprotect(msg, None, self._oid_cache)
        else:
            scoped = unprotect(msg, user, self._oid_cache)
        pdu = scoped.pdu
        if isinstance(pdu, TrapV1PDU):
            raise DecodeError("a v1 Trap is not a reply", layer="snmp-session")
        if pdu.type == PDUType.REPORT:
            check = None
            for vb in pdu.varbinds:
                check = USM_STATS_BY_OID.get(tuple(vb.oid))
                if check is not None:
                    break
            if check in ("unknownEngineID", "notInTimeWindow") or self.engine_id is None:
                self._learn(
                    msg.usm.engine_id, msg.usm.engine_boots, msg.usm.engine_time, now, authenticated
                )
            return Reply(pdu, check or "report")
        if authenticated:
            if self.engine_id is not None and msg.usm.engine_id != self.engine_id:
                raise auth_error("unknownEngineID", "response from another engine than discovered")
            self._learn(msg.usm.engine_id, msg.usm.engine_boots, msg.usm.engine_time, now, True)
            # RFC 3414 §3.2.7.b: a response more than 150 s behind our notion is not timely.
            if msg.usm.engine_boots < self.boots or (
                msg.usm.engine_boots == self.boots
                and msg.usm.engine_time < self.engine_time(now) - TIME_WINDOW
            ):
                raise auth_error("notInTimeWindow", "response outside the time window")
        elif self.user is not None and self.user.auth_protocol:
            raise AuthenticationError(
                "SNMPv3 unsupportedSecLevel: agent replied without authentication"
            )
        return Reply(pdu)


class Walker:
    """Plans one walk of the subtree under ``root``.

    ``bulk`` uses GETBULK with max-repetitions that halves on tooBig or a timeout; otherwise
    GETNEXT (always for v1). A non-increasing OID raises instead of looping (Net-SNMP ``-Cc``
    off). ``next_request`` returns None when the walk is done.
    """

    def __init__(
        self, root: ObjectIdentifier, *, bulk: bool, max_repetitions: int = 25, agent: str = "agent"
    ) -> None:
        self.root = ObjectIdentifier(root)
        self._root_len = len(self.root)
        self.bulk = bulk
        self.max_repetitions = max(1, max_repetitions)
        # The size to grow back to after a shrink: lowered for good by tooBig (the agent cannot
        # send more), kept after a timeout (maybe a lost datagram).
        self.ceiling = self.max_repetitions
        self._ok = 0
        self.last = self.root
        self.done = False
        self.count = 0
        self.agent = agent

    def next_request(self, request_id: int = 0) -> PDU | None:
        """The next request PDU, or None when done."""
        if self.done:
            return None
        vbs = [VarBind(self.last, NULL)]
        if self.bulk:
            return BulkPDU(request_id, vbs, 0, self.max_repetitions)
        return PDU(PDUType.GET_NEXT, request_id, vbs)

    def on_timeout(self) -> bool:
        """Shrink after a timeout; False when there is nothing left to shrink (give up)."""
        if self.bulk and self.max_repetitions > 1:
            self.max_repetitions = max(1, self.max_repetitions // 2)
            self._ok = 0
            return True
        return False

    def on_response(self, pdu: PDU) -> list[VarBind]:
        """Take a response; return the varbinds inside the subtree, in order.

        Raises:
            SNMPErrorStatus: an error other than tooBig (shrunk) or v1 noSuchName (end of MIB).
            RemoteProtocolError: the agent returned a non-increasing OID.
        """
        if pdu.error_status:
            if pdu.error_status == 1 and self.bulk and self.max_repetitions > 1:  # tooBig
                self.max_repetitions = max(1, self.max_repetitions // 2)
                self.ceiling = self.max_repetitions
                self._ok = 0
                return []
            if pdu.error_status == 2 and not self.bulk:  # v1 noSuchName: end of the MIB view
                self.done = True
                return []
            check_error(pdu, self.agent)
        out: list[VarBind] = []
        root = self.root
        n = self._root_len
        last = self.last
        append = out.append
        for vb in pdu.varbinds:
            oid, value = vb
            if oid[:n] != root or type(value) is EndOfMibView:
                self.done = True
                break
            if oid <= last:
                self.done = True
                raise RemoteProtocolError(f"{self.agent}: OID not increasing: {last} then {oid}")
            append(vb)
            last = oid
        else:
            if not pdu.varbinds:
                self.done = True
        self.last = last
        self.count += len(out)
        if self.max_repetitions < self.ceiling:
            self._ok += 1
            if self._ok >= 4:  # four good answers in a row: try twice the size again
                self.max_repetitions = min(self.ceiling, self.max_repetitions * 2)
                self._ok = 0
        return out
