"""SNMP message envelopes: v1/v2c community messages (RFC 1157, RFC 1901) and the v3 layout
(RFC 3412 §6) with its USM security parameters (RFC 3414 §2.4). Crypto lives in ``usm.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DecodeError
from .ber import decode_integer, decode_tlv, encode_integer, encode_length, expect_tlv, tlv
from .pdu import PDU, TrapV1PDU, decode_pdu, encode_pdu

__all__ = [
    "V1",
    "V2C",
    "V3",
    "CommunityMessage",
    "ScopedPDU",
    "USMParams",
    "V3Message",
    "decode_community_message",
    "decode_message",
    "decode_scoped_pdu",
    "encode_community_message",
    "encode_scoped_pdu",
    "encode_v3_message",
    "peek_version",
]

V1 = 0
V2C = 1
V3 = 3

#: msgFlags bits (RFC 3412 §6.4).
FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04

#: msgSecurityModel of USM (RFC 3411 §5).
SECURITY_MODEL_USM = 3

_LAYER = "snmp-message"


@dataclass(slots=True)
class CommunityMessage:
    """A v1 or v2c message: version (0 or 1), community and PDU."""

    version: int
    community: bytes
    pdu: PDU | TrapV1PDU


def encode_community_message(version: int, community: bytes, pdu: PDU | TrapV1PDU) -> bytes:
    """Serialise a v1/v2c message.

    Raises:
        ValueError: an OID or value that cannot be encoded.
    """
    return tlv(0x30, b"\x02\x01" + bytes((version,)) + tlv(0x04, community) + encode_pdu(pdu))


def peek_version(buf: bytes) -> int:
    """The msgVersion of a message, without decoding the rest.

    Raises:
        DecodeError: not an SNMP message.
    """
    start, end = expect_tlv(buf, 0, 0x30, "Message SEQUENCE")
    s, e = expect_tlv(buf, start, 0x02, "msgVersion", end)
    return decode_integer(buf, s, e)


def decode_community_message(
    buf: bytes, cache: dict[bytes, tuple[int, ...]] | None = None
) -> CommunityMessage:
    """Decode a v1/v2c message.

    Raises:
        DecodeError: malformed bytes, or not a v1/v2c message.
    """
    start, end = expect_tlv(buf, 0, 0x30, "Message SEQUENCE")
    s, e = expect_tlv(buf, start, 0x02, "msgVersion", end)
    version = decode_integer(buf, s, e)
    if version not in (V1, V2C):
        raise DecodeError(f"not a community message (version {version})", offset=s, layer=_LAYER)
    s, e = expect_tlv(buf, e, 0x04, "community", end)
    community = buf[s:e]
    pdu, _ = decode_pdu(buf, e, end, cache)
    return CommunityMessage(version, bytes(community), pdu)


@dataclass(slots=True)
class USMParams:
    """UsmSecurityParameters (RFC 3414 §2.4)."""

    engine_id: bytes = b""
    engine_boots: int = 0
    engine_time: int = 0
    user_name: bytes = b""
    auth_params: bytes = b""
    priv_params: bytes = b""

    def encode(self) -> bytes:
        """The BER SEQUENCE (placed inside the msgSecurityParameters OCTET STRING)."""
        return tlv(
            0x30,
            tlv(0x04, self.engine_id)
            + tlv(0x02, encode_integer(self.engine_boots))
            + tlv(0x02, encode_integer(self.engine_time))
            + tlv(0x04, self.user_name)
            + tlv(0x04, self.auth_params)
            + tlv(0x04, self.priv_params),
        )


@dataclass(slots=True)
class ScopedPDU:
    """contextEngineID, contextName and the PDU (RFC 3412 §6.8)."""

    context_engine_id: bytes
    context_name: bytes
    pdu: PDU | TrapV1PDU


def encode_scoped_pdu(scoped: ScopedPDU) -> bytes:
    """The ScopedPDU SEQUENCE."""
    return tlv(
        0x30,
        tlv(0x04, scoped.context_engine_id)
        + tlv(0x04, scoped.context_name)
        + encode_pdu(scoped.pdu),
    )


def decode_scoped_pdu(
    buf: bytes,
    pos: int = 0,
    limit: int | None = None,
    cache: dict[bytes, tuple[int, ...]] | None = None,
) -> ScopedPDU:
    """Decode a ScopedPDU SEQUENCE.

    Raises:
        DecodeError: malformed bytes.
    """
    start, end = expect_tlv(buf, pos, 0x30, "ScopedPDU", limit)
    s, e = expect_tlv(buf, start, 0x04, "contextEngineID", end)
    engine = buf[s:e]
    s, e = expect_tlv(buf, e, 0x04, "contextName", end)
    name = buf[s:e]
    pdu, _ = decode_pdu(buf, e, end, cache)
    return ScopedPDU(bytes(engine), bytes(name), pdu)


@dataclass(slots=True)
class V3Message:
    """A decoded v3 message, before security processing.

    ``data`` is the raw msgData: the ScopedPDU TLV in plaintext, or the encrypted octets when
    ``encrypted``. ``auth_offset`` is where msgAuthenticationParameters sits in ``raw``, so the
    HMAC can be checked over the message with those octets zeroed (RFC 3414 §6.3.2).
    """

    msg_id: int
    max_size: int
    flags: int
    security_model: int
    usm: USMParams
    data: bytes
    encrypted: bool
    raw: bytes = b""
    auth_offset: int = -1
    scoped: ScopedPDU | None = field(default=None)

    @property
    def reportable(self) -> bool:
        return bool(self.flags & FLAG_REPORTABLE)


def _decode_usm(buf: bytes, pos: int, limit: int) -> tuple[USMParams, int]:
    start, end = expect_tlv(buf, pos, 0x30, "UsmSecurityParameters", limit)
    s, e = expect_tlv(buf, start, 0x04, "msgAuthoritativeEngineID", end)
    engine_id = bytes(buf[s:e])
    s, e = expect_tlv(buf, e, 0x02, "msgAuthoritativeEngineBoots", end)
    boots = decode_integer(buf, s, e)
    s, e = expect_tlv(buf, e, 0x02, "msgAuthoritativeEngineTime", end)
    etime = decode_integer(buf, s, e)
    s, e = expect_tlv(buf, e, 0x04, "msgUserName", end)
    user = bytes(buf[s:e])
    s, e = expect_tlv(buf, e, 0x04, "msgAuthenticationParameters", end)
    auth_start = s
    auth = bytes(buf[s:e])
    s, e = expect_tlv(buf, e, 0x04, "msgPrivacyParameters", end)
    priv = bytes(buf[s:e])
    return USMParams(engine_id, boots, etime, user, auth, priv), auth_start


def decode_v3_message(buf: bytes) -> V3Message:
    """Decode a v3 message's envelope (header, USM parameters, raw msgData).

    Raises:
        DecodeError: malformed bytes, not version 3, or not the USM security model.
    """
    start, end = expect_tlv(buf, 0, 0x30, "Message SEQUENCE")
    s, e = expect_tlv(buf, start, 0x02, "msgVersion", end)
    if decode_integer(buf, s, e) != V3:
        raise DecodeError("not an SNMPv3 message", offset=s, layer=_LAYER)
    return _v3_after_version(buf, e, end)


def _v3_after_version(buf: bytes, e: int, end: int) -> V3Message:
    gs, ge = expect_tlv(buf, e, 0x30, "msgGlobalData", end)
    s, e = expect_tlv(buf, gs, 0x02, "msgID", ge)
    msg_id = decode_integer(buf, s, e)
    s, e = expect_tlv(buf, e, 0x02, "msgMaxSize", ge)
    max_size = decode_integer(buf, s, e)
    s, e = expect_tlv(buf, e, 0x04, "msgFlags", ge)
    if e - s != 1:
        raise DecodeError("msgFlags must be one octet", offset=s, layer=_LAYER)
    flags = buf[s]
    s, e = expect_tlv(buf, e, 0x02, "msgSecurityModel", ge)
    model = decode_integer(buf, s, e)
    if model != SECURITY_MODEL_USM:
        raise DecodeError(f"unsupported security model {model}", offset=s, layer=_LAYER)
    ss, se = expect_tlv(buf, ge, 0x04, "msgSecurityParameters", end)
    usm, auth_offset = _decode_usm(buf, ss, se)
    tag, ds, de = decode_tlv(buf, se, end)
    if tag == 0x04:
        return V3Message(
            msg_id, max_size, flags, model, usm, bytes(buf[ds:de]), True, bytes(buf), auth_offset
        )
    if tag == 0x30:
        raw = bytes(buf)
        return V3Message(msg_id, max_size, flags, model, usm, raw[se:de], False, raw, auth_offset)
    raise DecodeError(f"msgData has tag 0x{tag:02x}", offset=se, layer=_LAYER)


def encode_v3_message(
    msg_id: int, max_size: int, flags: int, usm: USMParams, data: bytes
) -> tuple[bytes, int]:
    """Serialise a v3 message; ``data`` is the ScopedPDU TLV or the encrypted OCTET STRING TLV.

    Returns the message and the offset of msgAuthenticationParameters' octets (for the HMAC),
    or -1 without authentication. Built with one length helper and concatenation: this runs
    for every v3 message.
    """
    length = encode_length
    mid = encode_integer(msg_id)
    msz = encode_integer(max_size)
    header = (
        b"\x02"
        + length(len(mid))
        + mid
        + b"\x02"
        + length(len(msz))
        + msz
        + b"\x04\x01"
        + bytes((flags,))
        + b"\x02\x01\x03"
    )
    boots = encode_integer(usm.engine_boots)
    etime = encode_integer(usm.engine_time)
    auth = usm.auth_params
    priv_tlv = b"\x04" + length(len(usm.priv_params)) + usm.priv_params
    sec = (
        b"\x04" + length(len(usm.engine_id)) + usm.engine_id
        + b"\x02" + length(len(boots)) + boots
        + b"\x02" + length(len(etime)) + etime
        + b"\x04" + length(len(usm.user_name)) + usm.user_name
        + b"\x04" + length(len(auth)) + auth
        + priv_tlv
    )  # fmt: skip
    sec_seq = b"\x30" + length(len(sec)) + sec
    body = (
        b"\x02\x01\x03\x30"
        + length(len(header))
        + header
        + b"\x04"
        + length(len(sec_seq))
        + sec_seq
        + data
    )
    msg = b"\x30" + length(len(body)) + body
    if not auth:
        return msg, -1
    # The auth parameters' octets sit just before the privacy parameters' TLV.
    return msg, len(msg) - len(data) - len(priv_tlv) - len(auth)


def decode_message(
    buf: bytes, cache: dict[bytes, tuple[int, ...]] | None = None
) -> CommunityMessage | V3Message:
    """Decode any SNMP message: v1/v2c fully, v3 up to its (possibly encrypted) msgData.

    Raises:
        DecodeError: malformed bytes or an unknown version.
    """
    start, end = expect_tlv(buf, 0, 0x30, "Message SEQUENCE")
    s, e = expect_tlv(buf, start, 0x02, "msgVersion", end)
    version = decode_integer(buf, s, e)
    if version in (V1, V2C):
        return decode_community_message(buf, cache)
    if version == V3:
        msg = _v3_after_version(buf, e, end)
        if not msg.encrypted:
            msg.scoped = decode_scoped_pdu(msg.data, cache=cache)
        return msg
    raise DecodeError(f"unknown SNMP version {version}", offset=0, layer=_LAYER)


def peek_request_id(buf: bytes) -> int:
    """The id that matches a reply to its request, without a full decode: the PDU request-id
    for v1/v2c, the msgID for v3 (wirekit sends msgID equal to request-id).

    Raises:
        DecodeError: not an SNMP message.
    """
    start, end = expect_tlv(buf, 0, 0x30, "Message SEQUENCE")
    s, e = expect_tlv(buf, start, 0x02, "msgVersion", end)
    version = decode_integer(buf, s, e)
    if version == V3:
        gs, ge = expect_tlv(buf, e, 0x30, "msgGlobalData", end)
        s, e = expect_tlv(buf, gs, 0x02, "msgID", ge)
        return decode_integer(buf, s, e)
    s, e = expect_tlv(buf, e, 0x04, "community", end)
    _tag, ps, pe = decode_tlv(buf, e, end)
    s, e = expect_tlv(buf, ps, 0x02, "request-id", pe)
    return decode_integer(buf, s, e)
