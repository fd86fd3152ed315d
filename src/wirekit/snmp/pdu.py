"""SNMP PDUs (RFC 3416 §3, RFC 1157 §4.1.6 for the v1 Trap): varbinds, PDU records and their BER codec."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import DecodeError
from .ber import (
    decode_integer,
    decode_oid,
    decode_tlv,
    decode_unsigned,
    encode_integer,
    encode_oid,
    encode_unsigned,
    expect_tlv,
    tlv,
)
from .values import (
    Counter32,
    Gauge32,
    Integer,
    IpAddress,
    ObjectIdentifier,
    OctetString,
    SNMPValue,
    TimeTicks,
    decode_value,
)

__all__ = [
    "ERROR_NAMES",
    "PDU",
    "PDU_NAMES",
    "BulkPDU",
    "PDUType",
    "TrapV1PDU",
    "VarBind",
    "decode_pdu",
    "decode_varbinds",
    "encode_pdu",
    "encode_varbinds",
]

_LAYER = "snmp-pdu"

#: Unsigned application types decoded inline when they fit 31 bits (no sign/leading-zero cases).
_UNSIGNED32: dict[int, type[Counter32 | Gauge32 | TimeTicks]] = {
    0x41: Counter32,
    0x42: Gauge32,
    0x43: TimeTicks,
}


class PDUType:
    """PDU tags (RFC 3416 §3): context-specific constructed [0]..[8]."""

    GET = 0xA0
    GET_NEXT = 0xA1
    RESPONSE = 0xA2
    SET = 0xA3
    TRAP_V1 = 0xA4
    GET_BULK = 0xA5
    INFORM = 0xA6
    TRAP_V2 = 0xA7
    REPORT = 0xA8


PDU_NAMES = {
    0xA0: "get",
    0xA1: "getnext",
    0xA2: "response",
    0xA3: "set",
    0xA4: "trap-v1",
    0xA5: "getbulk",
    0xA6: "inform",
    0xA7: "trap",
    0xA8: "report",
}

#: error-status values (RFC 3416 §3).
ERROR_NAMES = [
    "noError",
    "tooBig",
    "noSuchName",
    "badValue",
    "readOnly",
    "genErr",
    "noAccess",
    "wrongType",
    "wrongLength",
    "wrongEncoding",
    "wrongValue",
    "noCreation",
    "inconsistentValue",
    "resourceUnavailable",
    "commitFailed",
    "undoFailed",
    "authorizationError",
    "notWritable",
    "inconsistentName",
]


def error_name(status: int) -> str:
    """The RFC 3416 name of an error-status."""
    return ERROR_NAMES[status] if 0 <= status < len(ERROR_NAMES) else f"error{status}"


class VarBind(NamedTuple):
    """One variable binding: an OID and its typed value."""

    oid: ObjectIdentifier
    value: SNMPValue

    def to_json(self) -> dict[str, Any]:
        return {"oid": str(self.oid), "type": self.value.type_name, "value": self.value.to_json()}


@dataclass(slots=True)
class PDU:
    """Get, GetNext, Response, Set, Inform, SNMPv2-Trap and Report PDUs share this layout."""

    type: int
    request_id: int
    varbinds: list[VarBind] = field(default_factory=list)
    error_status: int = 0
    error_index: int = 0

    @property
    def name(self) -> str:
        return PDU_NAMES.get(self.type, hex(self.type))


class BulkPDU(PDU):
    """GetBulk: non-repeaters and max-repetitions sit where error-status and error-index are."""

    __slots__ = ()

    def __init__(
        self,
        request_id: int,
        varbinds: list[VarBind],
        non_repeaters: int = 0,
        max_repetitions: int = 10,
    ) -> None:
        PDU.__init__(self, PDUType.GET_BULK, request_id, varbinds, non_repeaters, max_repetitions)

    @property
    def non_repeaters(self) -> int:
        return self.error_status

    @property
    def max_repetitions(self) -> int:
        return self.error_index


@dataclass(slots=True)
class TrapV1PDU:
    """The v1 Trap PDU (RFC 1157 §4.1.6)."""

    enterprise: ObjectIdentifier
    agent_addr: IpAddress
    generic_trap: int
    specific_trap: int
    time_stamp: int
    varbinds: list[VarBind] = field(default_factory=list)
    type: int = PDUType.TRAP_V1

    @property
    def name(self) -> str:
        return "trap-v1"


def encode_varbinds(varbinds: list[VarBind] | list[tuple[Any, SNMPValue]]) -> bytes:
    """The VarBindList SEQUENCE."""
    parts = []
    for oid, value in varbinds:
        o = encode_oid(oid)
        parts.append(tlv(0x30, tlv(0x06, o) + value.encode()))
    return tlv(0x30, b"".join(parts))


def encode_pdu(pdu: PDU | TrapV1PDU) -> bytes:
    """The PDU TLV.

    Raises:
        ValueError: an OID or value that cannot be encoded.
    """
    if isinstance(pdu, TrapV1PDU):
        body = (
            tlv(0x06, encode_oid(pdu.enterprise))
            + tlv(0x40, bytes(pdu.agent_addr))
            + tlv(0x02, encode_integer(pdu.generic_trap))
            + tlv(0x02, encode_integer(pdu.specific_trap))
            + tlv(0x43, encode_unsigned(pdu.time_stamp))
            + encode_varbinds(pdu.varbinds)
        )
        return tlv(pdu.type, body)
    body = (
        tlv(0x02, encode_integer(pdu.request_id))
        + tlv(0x02, encode_integer(pdu.error_status))
        + tlv(0x02, encode_integer(pdu.error_index))
        + encode_varbinds(pdu.varbinds)
    )
    return tlv(pdu.type, body)


def decode_varbinds(
    buf: bytes, pos: int, limit: int, cache: dict[bytes, tuple[int, ...]] | None = None
) -> list[VarBind]:
    """Decode a VarBindList SEQUENCE at ``pos``.

    ``cache`` maps the octets of an OID before its last arc to the decoded arcs; a caller that
    decodes many responses (a walk) passes one in and bounds it.

    Raises:
        DecodeError: malformed list or varbind.
    """
    start, end = expect_tlv(buf, pos, 0x30, "VarBindList", limit)
    out: list[VarBind] = []
    append = out.append
    new = tuple.__new__
    oid_cls = ObjectIdentifier
    vb_cls = VarBind
    octets = bytes.__new__
    if cache is None:
        cache = {}
    pos = start
    try:
        # The per-varbind hot path of every walk: short-form lengths are decoded inline, the
        # general TLV decoder handles the rest.
        while pos < end:
            if buf[pos] != 0x30:
                raise DecodeError(
                    f"expected VarBind SEQUENCE, got tag 0x{buf[pos]:02x}", offset=pos, layer=_LAYER
                )
            n = buf[pos + 1]
            if n < 0x80:
                vstart = pos + 2
                vend = vstart + n
                if vend > end:
                    raise DecodeError(
                        "VarBind runs past its list",
                        offset=pos,
                        layer=_LAYER,
                        truncated=vend > len(buf),
                    )
            else:
                _t, vstart, vend = decode_tlv(buf, pos, end)
            if buf[vstart] != 0x06:
                raise DecodeError(
                    f"expected VarBind OID, got tag 0x{buf[vstart]:02x}",
                    offset=vstart,
                    layer=_LAYER,
                )
            n = buf[vstart + 1]
            if n < 0x80:
                ostart = vstart + 2
                oend = ostart + n
                if oend > vend:
                    raise DecodeError("OID runs past its VarBind", offset=vstart, layer=_LAYER)
            else:
                _t, ostart, oend = decode_tlv(buf, vstart, vend)
            # Varbinds of one response mostly share everything but the last arc (one column of
            # a table), so arcs are cached by the octets before the last arc.
            j = oend - 1
            while j > ostart and buf[j - 1] & 0x80:
                j -= 1
            if j <= ostart or buf[oend - 1] & 0x80 or oend - j > 5:
                oid = new(oid_cls, decode_oid(buf, ostart, oend))
            else:
                key = buf[ostart:j]
                prefix = cache.get(key)
                if prefix is None:
                    prefix = cache[key] = decode_oid(buf, ostart, j)
                if oend - j == 1:
                    oid = new(oid_cls, (*prefix, buf[j]))
                else:
                    if buf[j] == 0x80:
                        raise DecodeError("non-minimal OID arc", offset=j, layer=_LAYER)
                    last = 0
                    for k in range(j, oend):
                        last = (last << 7) | (buf[k] & 0x7F)
                    if last > 0xFFFFFFFF:
                        raise DecodeError("OID arc over 2**32-1", offset=j, layer=_LAYER)
                    oid = new(oid_cls, (*prefix, last))
            tag = buf[oend]
            n = buf[oend + 1]
            if n < 0x80:
                xstart = oend + 2
                xend = xstart + n
            else:
                tag, xstart, xend = decode_tlv(buf, oend, vend)
            if xend != vend:
                raise DecodeError(
                    "VarBind value does not end the VarBind", offset=oend, layer=_LAYER
                )
            # The common value types are built inline; the rest (and all checks) go through
            # decode_value.
            if tag == 0x04:
                value: SNMPValue = octets(OctetString, buf[xstart:xend])
            elif tag in _UNSIGNED32 and 0 < xend - xstart <= 4 and buf[xstart] < 0x80:
                value = _UNSIGNED32[tag](int.from_bytes(buf[xstart:xend], "big"))
            elif tag == 0x02 and xend - xstart == 1:
                b = buf[xstart]
                value = Integer(b - 256 if b & 0x80 else b)
            else:
                value = decode_value(tag, buf, xstart, xend)
            append(new(vb_cls, (oid, value)))
            pos = vend
    except IndexError:
        raise DecodeError("truncated VarBind", offset=pos, layer=_LAYER, truncated=True) from None
    return out


def _int_field(buf: bytes, pos: int, limit: int, what: str) -> tuple[int, int]:
    start, end = expect_tlv(buf, pos, 0x02, what, limit)
    return decode_integer(buf, start, end), end


def decode_pdu(
    buf: bytes,
    pos: int = 0,
    limit: int | None = None,
    cache: dict[bytes, tuple[int, ...]] | None = None,
) -> tuple[PDU | TrapV1PDU, int]:
    """Decode the PDU TLV at ``pos``; return it and the position after it.

    Raises:
        DecodeError: unknown PDU tag or malformed body.
    """
    tag, start, end = decode_tlv(buf, pos, limit)
    if tag == PDUType.TRAP_V1:
        s, e = expect_tlv(buf, start, 0x06, "enterprise", end)
        enterprise = ObjectIdentifier(decode_oid(buf, s, e))
        t, s, e = decode_tlv(buf, e, end)
        if t != 0x40 or e - s != 4:
            raise DecodeError("bad agent-addr", offset=s, layer=_LAYER)
        addr = IpAddress(buf[s:e])
        generic, p = _int_field(buf, e, end, "generic-trap")
        specific, p = _int_field(buf, p, end, "specific-trap")
        t, s, e = decode_tlv(buf, p, end)
        if t != 0x43:
            raise DecodeError("bad time-stamp", offset=p, layer=_LAYER)
        stamp = TimeTicks(decode_unsigned(buf, s, e))
        vbs = decode_varbinds(buf, e, end, cache)
        return TrapV1PDU(enterprise, addr, generic, specific, stamp, vbs), end
    if tag not in PDU_NAMES:
        raise DecodeError(f"unknown PDU tag 0x{tag:02x}", offset=pos, layer=_LAYER)
    request_id, p = _int_field(buf, start, end, "request-id")
    status, p = _int_field(buf, p, end, "error-status")
    index, p = _int_field(buf, p, end, "error-index")
    varbinds = decode_varbinds(buf, p, end, cache)
    if tag == PDUType.GET_BULK:
        return BulkPDU(request_id, varbinds, status, index), end
    return PDU(tag, request_id, varbinds, status, index), end
