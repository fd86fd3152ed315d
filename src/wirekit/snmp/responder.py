"""The agent's protocol core (sans-IO): one datagram in, at most one datagram out.

Rules:

1. ``handle(data, now)`` never raises: malformed input is counted (snmpInASNParseErrs,
   usmStats*) and dropped, or answered with a Report when RFC 3414 asks for one.
2. SET runs test, commit, undo (RFC 3416 §4.2.5) and only for a write community or user.
3. GETBULK answers are cut to fit msgMaxSize, never tooBig (RFC 3416 §4.2.3).
4. Time is passed in (``now``, seconds on any monotonic clock); engineTime derives from it.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import AuthenticationError, DecodeError
from .ber import encode_integer, encode_length, tlv
from .message import (
    FLAG_AUTH,
    FLAG_PRIV,
    V1,
    V2C,
    V3,
    CommunityMessage,
    ScopedPDU,
    V3Message,
    decode_message,
)
from .mibtree import MibTree, View
from .pdu import PDU, PDUType, TrapV1PDU, VarBind, encode_varbinds
from .usm import TIME_WINDOW, USM_STATS, SaltCounter, USMUser, protect, unprotect
from .values import (
    END_OF_MIB_VIEW,
    NO_SUCH_OBJECT,
    Counter32,
    Counter64,
    Integer,
    ObjectIdentifier,
    OctetString,
)

__all__ = ["Access", "AgentConfig", "Responder"]

# RFC 3416 error-status codes used here.
NO_ERROR, TOO_BIG, NO_SUCH_NAME, BAD_VALUE, READ_ONLY, GEN_ERR = 0, 1, 2, 3, 4, 5
NO_ACCESS, WRONG_TYPE, COMMIT_FAILED, UNDO_FAILED, NOT_WRITABLE = 6, 7, 14, 15, 17

SNMP_IN_PKTS = (1, 3, 6, 1, 2, 1, 11, 1, 0)
SNMP_OUT_PKTS = (1, 3, 6, 1, 2, 1, 11, 2, 0)
SNMP_IN_BAD_VERSIONS = (1, 3, 6, 1, 2, 1, 11, 3, 0)
SNMP_IN_BAD_COMMUNITY = (1, 3, 6, 1, 2, 1, 11, 4, 0)
SNMP_IN_ASN_PARSE_ERRS = (1, 3, 6, 1, 2, 1, 11, 6, 0)
SNMP_UNKNOWN_PDU_HANDLERS = (1, 3, 6, 1, 6, 3, 11, 2, 1, 3, 0)
SNMP_ENGINE = (1, 3, 6, 1, 6, 3, 10, 2, 1)

_COUNTERS = {
    "snmpInPkts": SNMP_IN_PKTS,
    "snmpOutPkts": SNMP_OUT_PKTS,
    "snmpInBadVersions": SNMP_IN_BAD_VERSIONS,
    "snmpInBadCommunityNames": SNMP_IN_BAD_COMMUNITY,
    "snmpInASNParseErrs": SNMP_IN_ASN_PARSE_ERRS,
    "snmpUnknownPDUHandlers": SNMP_UNKNOWN_PDU_HANDLERS,
    **USM_STATS,
}

# Response PDU header with request-id filled in per request: tag A2, then error fields.
_NO_ERRORS = b"\x02\x01\x00\x02\x01\x00"


@dataclass
class Access:
    """What a community or user may do: a view, and whether SET is allowed."""

    view: View = field(default_factory=View)
    writable: bool = False


@dataclass
class AgentConfig:
    """Communities and v3 users with their access, the engine identity and limits."""

    communities: dict[bytes, Access] = field(default_factory=dict)
    users: dict[bytes, tuple[USMUser, Access]] = field(default_factory=dict)
    engine_id: bytes = b""
    engine_boots: int = 1
    max_size: int = 65507
    versions: tuple[int, ...] = (V1, V2C, V3)

    def __post_init__(self) -> None:
        if not self.engine_id:
            # RFC 3411 §5 SnmpEngineID format 5 (octets), enterprise 8072 style prefix.
            self.engine_id = b"\x80\x00\x1f\x88\x05" + os.urandom(8)

    def add_community(
        self, community: str | bytes, *, writable: bool = False, view: View | None = None
    ) -> None:
        """Allow ``community`` (read-only unless ``writable``)."""
        key = community.encode() if isinstance(community, str) else community
        self.communities[key] = Access(view or View(), writable)

    def add_user(self, user: USMUser, *, writable: bool = False, view: View | None = None) -> None:
        """Allow a v3 user (read-only unless ``writable``)."""
        self.users[user.user_name] = (user, Access(view or View(), writable))


class Responder:
    """Answers requests from a :class:`MibTree` under an :class:`AgentConfig`."""

    def __init__(self, tree: MibTree, config: AgentConfig, *, start_time: float = 0.0) -> None:
        self.tree = tree
        self.config = config
        self.start_time = start_time
        self.counters: dict[str, int] = dict.fromkeys(_COUNTERS, 0)
        self._salt = SaltCounter()
        self._now = start_time
        self._install_builtin_objects()

    # -- bookkeeping ----------------------------------------------------------------------

    def _install_builtin_objects(self) -> None:
        tree = self.tree
        for name, oid in _COUNTERS.items():
            if oid not in tree:
                tree.register(oid, self._counter_getter(name))
        if (*SNMP_ENGINE, 1, 0) not in tree:
            tree.register((*SNMP_ENGINE, 1, 0), lambda: OctetString(self.config.engine_id))
            tree.register((*SNMP_ENGINE, 2, 0), lambda: Integer(self.config.engine_boots))
            tree.register((*SNMP_ENGINE, 3, 0), lambda: Integer(self.engine_time(self._now)))
            tree.register((*SNMP_ENGINE, 4, 0), lambda: Integer(self.config.max_size))

    def _counter_getter(self, name: str) -> Callable[[], Counter32]:
        def get() -> Counter32:
            return Counter32(self.counters[name] & 0xFFFFFFFF)

        return get

    def engine_time(self, now: float) -> int:
        """Seconds since the engine (re)started (RFC 3414 §2.2.1)."""
        return max(0, int(now - self.start_time))

    # -- entry point ----------------------------------------------------------------------

    def handle(self, data: bytes, now: float = 0.0) -> bytes | None:
        """Process one request datagram; return the response datagram, or None to drop it."""
        self._now = now
        self.counters["snmpInPkts"] += 1
        try:
            msg = decode_message(data)
        except DecodeError:
            self.counters["snmpInASNParseErrs"] += 1
            return None
        except Exception:  # never crash on a datagram
            self.counters["snmpInASNParseErrs"] += 1
            return None
        try:
            if isinstance(msg, CommunityMessage):
                out = self._community(msg)
            else:
                out = self._v3(msg, now)
        except Exception:  # a bug or a callback failure must not take the agent down
            return None
        if out is not None:
            self.counters["snmpOutPkts"] += 1
        return out

    # -- v1 / v2c -------------------------------------------------------------------------

    def _community(self, msg: CommunityMessage) -> bytes | None:
        if msg.version not in self.config.versions:
            self.counters["snmpInBadVersions"] += 1
            return None
        access = self.config.communities.get(msg.community)
        if access is None:
            self.counters["snmpInBadCommunityNames"] += 1
            return None
        pdu = msg.pdu
        if isinstance(pdu, TrapV1PDU) or pdu.type not in _HANDLED:
            self.counters["snmpUnknownPDUHandlers"] += 1
            return None
        if pdu.type == PDUType.GET_BULK and msg.version == V1:
            self.counters["snmpInASNParseErrs"] += 1
            return None
        limit = self.config.max_size
        header_len = 16 + len(msg.community)
        body = self._process(pdu, access, msg.version, limit - header_len)
        return tlv(0x30, b"\x02\x01" + bytes((msg.version,)) + tlv(0x04, msg.community) + body)

    # -- v3 -------------------------------------------------------------------------------

    def _report(
        self, msg: V3Message, check: str, user: USMUser | None = None, flags: int = 0
    ) -> bytes | None:
        """A Report PDU carrying the usmStats counter (RFC 3414 §3.2, RFC 3412 §7.1.3.c)."""
        self.counters[check] += 1
        if not msg.reportable:
            return None
        oid = USM_STATS[check]
        rid = 0
        if msg.scoped is not None and not isinstance(msg.scoped.pdu, TrapV1PDU):
            rid = msg.scoped.pdu.request_id
        pdu = PDU(
            PDUType.REPORT, rid, [VarBind(ObjectIdentifier(oid), Counter32(self.counters[check]))]
        )
        cfg = self.config
        return protect(
            msg_id=msg.msg_id,
            max_size=cfg.max_size,
            flags=flags & FLAG_AUTH,
            user=user,
            engine_id=cfg.engine_id,
            boots=cfg.engine_boots,
            etime=self.engine_time(self._now),
            scoped=ScopedPDU(cfg.engine_id, b"", pdu),
            salt=self._salt,
            user_name=msg.usm.user_name,
        )

    def _v3(self, msg: V3Message, now: float) -> bytes | None:
        cfg = self.config
        if V3 not in cfg.versions:
            self.counters["snmpInBadVersions"] += 1
            return None
        usm = msg.usm
        entry = cfg.users.get(usm.user_name)
        if usm.engine_id != cfg.engine_id:
            # RFC 3414 §3.2.3: discovery probes land here.
            return self._report(msg, "unknownEngineID")
        if entry is None:
            return self._report(msg, "unknownUserName")
        user, access = entry
        level_flags = msg.flags & (FLAG_AUTH | FLAG_PRIV)
        if level_flags != user.flags:
            # RFC 3414 §3.2.5: a level the user is not configured for is refused.
            return self._report(msg, "unsupportedSecLevel")
        try:
            scoped = unprotect(msg, user)
        except AuthenticationError as exc:
            check = getattr(exc, "check", "wrongDigest")
            return self._report(msg, check)
        if msg.flags & FLAG_AUTH:
            # RFC 3414 §3.2.7.a: the authoritative side checks boots and a 150 s window.
            etime = self.engine_time(now)
            if usm.engine_boots != cfg.engine_boots or abs(usm.engine_time - etime) > TIME_WINDOW:
                return self._report(msg, "notInTimeWindow", user, FLAG_AUTH)
        pdu = scoped.pdu
        if isinstance(pdu, TrapV1PDU) or pdu.type not in _HANDLED:
            self.counters["snmpUnknownPDUHandlers"] += 1
            return None
        # Size budget: the security wrapper costs about 100 octets plus the MAC and salt.
        budget = min(cfg.max_size, msg.max_size) - 160 - len(usm.user_name)
        body = self._process(pdu, access, V3, budget)
        response = tlv(
            0x30, tlv(0x04, scoped.context_engine_id) + tlv(0x04, scoped.context_name) + body
        )
        return protect(
            msg_id=msg.msg_id,
            max_size=cfg.max_size,
            flags=msg.flags & (FLAG_AUTH | FLAG_PRIV),
            user=user,
            engine_id=cfg.engine_id,
            boots=cfg.engine_boots,
            etime=self.engine_time(now),
            scoped=response,
            salt=self._salt,
        )

    # -- PDU processing -------------------------------------------------------------------

    def _process(self, pdu: PDU, access: Access, version: int, budget: int) -> bytes:
        """The encoded Response PDU."""
        t = pdu.type
        if t == PDUType.GET_BULK:
            return self._bulk(pdu, access, budget)
        if t == PDUType.SET:
            status, index, vbs = self._set(pdu, access, version)
            return _response(pdu.request_id, status, index, encode_varbinds(vbs))
        if t == PDUType.INFORM:
            return _response(pdu.request_id, 0, 0, encode_varbinds(pdu.varbinds))
        parts = []
        for i, vb in enumerate(pdu.varbinds, 1):
            enc = (
                self._get(vb.oid, access, version)
                if t == PDUType.GET
                else self._next(vb.oid, access, version)
            )
            if enc is None:  # v1: noSuchName for the whole request (RFC 1157 §4.1.2)
                return _response(pdu.request_id, NO_SUCH_NAME, i, encode_varbinds(pdu.varbinds))
            parts.append(enc)
        body = b"".join(parts)
        if len(body) > budget:
            return _response(
                pdu.request_id,
                TOO_BIG,
                0,
                encode_varbinds(pdu.varbinds) if version == V1 else b"\x30\x00",
                raw=True,
            )
        return _response(pdu.request_id, 0, 0, tlv(0x30, body))

    def _get(self, oid: ObjectIdentifier, access: Access, version: int) -> bytes | None:
        key = tuple(oid)
        entry = self.tree.entry(key) if access.view.everything or access.view.allows(key) else None
        if entry is None:
            if version == V1:
                return None
            missing = (
                self.tree.missing(key)
                if access.view.everything or access.view.allows(key)
                else NO_SUCH_OBJECT
            )
            return tlv(0x30, tlv(0x06, oid.encode_body()) + missing.encode())
        if version == V1:
            value = entry.current()
            if isinstance(value, Counter64):  # RFC 3584 §4.2.2.1: v1 cannot carry Counter64
                return None
            return tlv(0x30, entry.oid_tlv + value.encode())
        return entry.varbind_bytes()

    def _next_entry(
        self, key: tuple[int, ...], access: Access, version: int, index: int | None = None
    ) -> tuple[int, bytes | None]:
        """(index of the entry used, its VarBind TLV), or (-1, None) at the end of the view."""
        tree = self.tree
        i = tree.next_index(key) if index is None else index
        everything = access.view.everything
        while True:
            entry = tree.at(i)
            if entry is None:
                return -1, None
            if everything or access.view.allows(entry.oid):
                try:
                    if version == V1:
                        value = entry.current()
                        if not isinstance(value, Counter64):
                            return i, tlv(0x30, entry.oid_tlv + value.encode())
                    else:
                        return i, entry.varbind_bytes()
                except Exception:  # a failing callback is skipped, as if absent
                    pass
            i += 1

    def _next(self, oid: ObjectIdentifier, access: Access, version: int) -> bytes | None:
        _i, enc = self._next_entry(tuple(oid), access, version)
        if enc is None:
            if version == V1:
                return None
            return tlv(0x30, tlv(0x06, oid.encode_body()) + END_OF_MIB_VIEW.encode())
        return enc

    def _bulk(self, pdu: PDU, access: Access, budget: int) -> bytes:
        """GETBULK (RFC 3416 §4.2.3), cut to ``budget`` octets of varbinds."""
        vbs = pdu.varbinds
        n = min(max(pdu.error_status, 0), len(vbs))
        m = max(pdu.error_index, 0)
        parts: list[bytes] = []
        size = 0
        for vb in vbs[:n]:
            enc = self._next(vb.oid, access, V2C)
            assert enc is not None
            size += len(enc)
            if size > budget:
                return _response(pdu.request_id, TOO_BIG, 0, b"\x30\x00", raw=True)
            parts.append(enc)
        repeaters = vbs[n:]
        if repeaters and m and access.view.everything:
            return self._bulk_everything(pdu.request_id, repeaters, m, parts, size, budget)
        if repeaters and m:
            cursors: list[int | None] = [None] * len(repeaters)
            keys = [tuple(vb.oid) for vb in repeaters]
            for _rep in range(m):
                all_end = True
                for j, key in enumerate(keys):
                    c = cursors[j]
                    if c == -1:
                        enc = tlv(
                            0x30,
                            tlv(0x06, ObjectIdentifier(key).encode_body())
                            + END_OF_MIB_VIEW.encode(),
                        )
                    else:
                        idx, enc = self._next_entry(key, access, V2C, None if c is None else c + 1)
                        if enc is None:
                            cursors[j] = -1
                            enc = tlv(
                                0x30,
                                tlv(0x06, ObjectIdentifier(key).encode_body())
                                + END_OF_MIB_VIEW.encode(),
                            )
                        else:
                            cursors[j] = idx
                            entry = self.tree.at(idx)
                            assert entry is not None
                            keys[j] = entry.oid
                            all_end = False
                    size += len(enc)
                    if size > budget:
                        # RFC 3416 §4.2.3: send what fits, never tooBig for repetitions.
                        return _response(pdu.request_id, 0, 0, tlv(0x30, b"".join(parts)))
                    parts.append(enc)
                if all_end:
                    break
        return _response(pdu.request_id, 0, 0, tlv(0x30, b"".join(parts)))

    def _bulk_everything(
        self,
        request_id: int,
        repeaters: list[VarBind],
        m: int,
        parts: list[bytes],
        size: int,
        budget: int,
    ) -> bytes:
        """GETBULK repetitions over the whole tree: index arithmetic on the sorted entries, the
        hot path of every walk of a replayed recording."""
        keys, entries = self.tree.ordered()
        total = len(keys)
        cursors = [bisect.bisect_right(keys, tuple(vb.oid)) for vb in repeaters]
        ends: list[bytes | None] = [None] * len(repeaters)
        names: list[tuple[int, ...]] = [tuple(vb.oid) for vb in repeaters]
        append = parts.append
        for _rep in range(m):
            live = False
            for j, i in enumerate(cursors):
                enc: bytes | None = None
                while i < total:
                    entry = entries[i]
                    enc = entry.encoded
                    if enc is not None:
                        break
                    try:
                        enc = entry.varbind_bytes()
                        break
                    except Exception:  # a failing callback is skipped, as if absent
                        enc = None
                        i += 1
                if enc is None:
                    enc = ends[j]
                    if enc is None:
                        # RFC 3416 §4.2.3: endOfMibView carries the last name of that column.
                        enc = ends[j] = tlv(
                            0x30,
                            tlv(0x06, ObjectIdentifier(names[j]).encode_body())
                            + END_OF_MIB_VIEW.encode(),
                        )
                    cursors[j] = total + 1
                else:
                    live = True
                    names[j] = keys[i]
                    cursors[j] = i + 1
                size += len(enc)
                if size > budget:
                    # RFC 3416 §4.2.3: send what fits, never tooBig for repetitions.
                    return _response(request_id, 0, 0, tlv(0x30, b"".join(parts)))
                append(enc)
            if not live:
                break
        return _response(request_id, 0, 0, tlv(0x30, b"".join(parts)))

    def _set(self, pdu: PDU, access: Access, version: int) -> tuple[int, int, list[VarBind]]:
        """Test, commit, undo (RFC 3416 §4.2.5). Returns (error-status, error-index, varbinds)."""
        vbs = pdu.varbinds
        if not access.writable:
            return (NO_SUCH_NAME if version == V1 else NO_ACCESS), 1 if vbs else 0, vbs
        entries = []
        for i, vb in enumerate(vbs, 1):  # phase 1: test
            key = tuple(vb.oid)
            entry = self.tree.entry(key) if access.view.allows(key) else None
            if entry is None:
                return (NO_SUCH_NAME if version == V1 else NOT_WRITABLE), i, vbs
            if not entry.writable:
                return (NO_SUCH_NAME if version == V1 else NOT_WRITABLE), i, vbs
            try:
                old = entry.current()
            except Exception:
                return GEN_ERR, i, vbs
            if type(old) is not type(vb.value):
                return (BAD_VALUE if version == V1 else WRONG_TYPE), i, vbs
            entries.append((entry, old, vb.value))
        done = []
        for i, (entry, old, new) in enumerate(entries, 1):  # phase 2: commit
            try:
                entry.store(new)
                done.append((entry, old))
            except Exception:
                for e, o in reversed(done):  # phase 3: undo
                    try:
                        e.store(o)
                    except Exception:
                        return (GEN_ERR if version == V1 else UNDO_FAILED), i, vbs
                return (GEN_ERR if version == V1 else COMMIT_FAILED), i, vbs
        return NO_ERROR, 0, [VarBind(vb.oid, vb.value) for vb in vbs]


_HANDLED = frozenset((PDUType.GET, PDUType.GET_NEXT, PDUType.GET_BULK, PDUType.SET, PDUType.INFORM))


def _response(
    request_id: int, status: int, index: int, varbinds: bytes, raw: bool = False
) -> bytes:
    """A Response PDU TLV around already-encoded varbinds (a VarBindList TLV)."""
    head = tlv(0x02, encode_integer(request_id))
    if status == 0 and index == 0:
        body = head + _NO_ERRORS + varbinds
    else:
        body = (
            head + tlv(0x02, encode_integer(status)) + tlv(0x02, encode_integer(index)) + varbinds
        )
    n = len(body)
    return (b"\xa2" + bytes((n,)) if n < 128 else b"\xa2" + encode_length(n)) + body
