"""BER (X.690) subset used by SNMP: definite-length TLVs, INTEGER, OCTET STRING, NULL, OID.

Rules:

1. Sans-IO: bytes in, Python values out; nothing here touches a socket or a clock.
2. Every decoding function raises only :class:`~wirekit.errors.DecodeError` on bad input, with
   the offset of the problem and ``truncated=True`` when more bytes would have helped.
3. Decoders take ``(buf, pos)`` and return the new position, so a message is parsed with no
   slicing copies until a value is materialised.
"""

from __future__ import annotations

from ..errors import DecodeError

__all__ = [
    "MAX_OID_ARCS",
    "SEQUENCE",
    "decode_integer",
    "decode_length",
    "decode_oid",
    "decode_tlv",
    "decode_unsigned",
    "encode_integer",
    "encode_length",
    "encode_oid",
    "encode_unsigned",
    "expect_tlv",
    "tlv",
]

SEQUENCE = 0x30
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06

#: RFC 2578 §3.5: at most 128 sub-identifiers, each at most 2**32-1.
MAX_OID_ARCS = 128
MAX_ARC = 0xFFFFFFFF

_LAYER = "ber"

# Pre-built length prefixes for the short form, the common case.
_SHORT_LEN = [bytes([n]) for n in range(128)]


def encode_length(n: int) -> bytes:
    """The BER definite length octets for ``n`` (short form below 128, else long form)."""
    if n < 128:
        return _SHORT_LEN[n]
    if n < 0x100:
        return b"\x81" + bytes((n,))
    if n < 0x10000:
        return b"\x82" + n.to_bytes(2, "big")
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    """One TLV: tag octet, definite length, body."""
    n = len(body)
    if n < 128:
        return bytes((tag, n)) + body
    return bytes((tag,)) + encode_length(n) + body


def decode_length(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode the length at ``buf[pos]``; return ``(length, position after it)``.

    Non-minimal long forms are accepted (X.690 §8.1.3.5 lets senders use them); the indefinite
    form is refused, SNMP never uses it (RFC 3417 §8).

    Raises:
        DecodeError: truncated, indefinite or absurdly long length.
    """
    try:
        first = buf[pos]
    except IndexError:
        raise DecodeError("missing length", offset=pos, layer=_LAYER, truncated=True) from None
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0:
        raise DecodeError("indefinite length is not allowed", offset=pos, layer=_LAYER)
    if count > 4:
        raise DecodeError(f"length of {count} octets is too long", offset=pos, layer=_LAYER)
    end = pos + 1 + count
    if end > len(buf):
        raise DecodeError("truncated length", offset=pos, layer=_LAYER, truncated=True)
    return int.from_bytes(buf[pos + 1 : end], "big"), end


def decode_tlv(buf: bytes, pos: int, limit: int | None = None) -> tuple[int, int, int]:
    """Decode one TLV header at ``pos``; return ``(tag, body_start, body_end)``.

    ``limit`` is the end of the enclosing constructed value (default: end of ``buf``).

    Raises:
        DecodeError: truncated header, multi-octet tag, or a body running past ``limit``.
    """
    if limit is None:
        limit = len(buf)
    if pos >= limit:
        raise DecodeError("missing tag", offset=pos, layer=_LAYER, truncated=True)
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise DecodeError(
            f"multi-octet tag 0x{tag:02x} is not used by SNMP", offset=pos, layer=_LAYER
        )
    # Inline the short-form length: the hot path of every parse.
    if pos + 1 < limit and buf[pos + 1] < 0x80:
        start = pos + 2
        end = start + buf[pos + 1]
    else:
        if pos + 1 >= limit:
            raise DecodeError("missing length", offset=pos + 1, layer=_LAYER, truncated=True)
        length, start = decode_length(buf, pos + 1)
        end = start + length
    if end > limit:
        raise DecodeError(
            f"value of tag 0x{tag:02x} runs past its container",
            offset=pos,
            layer=_LAYER,
            truncated=end > len(buf),
        )
    return tag, start, end


def expect_tlv(
    buf: bytes, pos: int, tag: int, what: str, limit: int | None = None
) -> tuple[int, int]:
    """Decode a TLV that must carry ``tag``; return ``(body_start, body_end)``.

    Raises:
        DecodeError: another tag, or a bad header.
    """
    got, start, end = decode_tlv(buf, pos, limit)
    if got != tag:
        raise DecodeError(
            f"expected {what} (tag 0x{tag:02x}), got tag 0x{got:02x}", offset=pos, layer=_LAYER
        )
    return start, end


def encode_integer(value: int) -> bytes:
    """Minimal two's-complement body of an INTEGER (X.690 §8.3)."""
    if 0 <= value < 0x80:
        return _SHORT_LEN[value]
    return value.to_bytes((value + (value < 0)).bit_length() // 8 + 1, "big", signed=True)


def encode_unsigned(value: int) -> bytes:
    """Body of an unsigned application type: a leading 0x00 when the top bit is set."""
    if 0 <= value < 0x80:
        return _SHORT_LEN[value]
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def decode_integer(buf: bytes, start: int, end: int) -> int:
    """A signed INTEGER body.

    Raises:
        DecodeError: empty body.
    """
    if end - start == 1:
        b = buf[start]
        return b - 256 if b & 0x80 else b
    if end <= start:
        raise DecodeError("empty INTEGER", offset=start, layer=_LAYER)
    return int.from_bytes(buf[start:end], "big", signed=True)


def decode_unsigned(buf: bytes, start: int, end: int, bits: int = 32) -> int:
    """An unsigned body (Counter32, Gauge32, TimeTicks, Counter64).

    Values are taken modulo ``2**bits`` with the sign bit ignored, as Net-SNMP does: some
    agents send 0xFFFFFFFF as a 4-octet negative number.

    Raises:
        DecodeError: empty body or more octets than the type can hold.
    """
    n = end - start
    if n == 1:
        return buf[start]
    if n <= 0:
        raise DecodeError("empty unsigned value", offset=start, layer=_LAYER)
    if n > bits // 8 + 1:
        raise DecodeError(
            f"unsigned value of {n} octets exceeds {bits} bits", offset=start, layer=_LAYER
        )
    return int.from_bytes(buf[start:end], "big") & ((1 << bits) - 1)


def encode_oid(arcs: tuple[int, ...]) -> bytes:
    """Body of an OBJECT IDENTIFIER: 40*X+Y then base-128 arcs (X.690 §8.19).

    Raises:
        ValueError: fewer than two arcs, a bad first or second arc, or an arc out of range.
    """
    if len(arcs) < 2:
        raise ValueError(f"an OID needs at least two arcs, got {arcs!r}")
    first, second = arcs[0], arcs[1]
    if first > 2 or (first < 2 and second >= 40) or second < 0:
        raise ValueError(f"bad leading arcs {first}.{second}")
    out = bytearray()
    head = first * 40 + second
    for arc in (head, *arcs[2:]):
        if arc < 0x80:
            if arc < 0:
                raise ValueError(f"negative OID arc {arc}")
            out.append(arc)
            continue
        if arc > MAX_ARC and arc is not head:
            raise ValueError(f"OID arc {arc} exceeds 2**32-1")
        chunk = []
        while arc:
            chunk.append((arc & 0x7F) | 0x80)
            arc >>= 7
        chunk[0] &= 0x7F
        out.extend(reversed(chunk))
    return bytes(out)


def decode_oid(buf: bytes, start: int, end: int) -> tuple[int, ...]:
    """An OBJECT IDENTIFIER body as a tuple of arcs.

    Raises:
        DecodeError: empty body, an arc cut short, a non-minimal arc, or too many arcs.
    """
    body = buf[start:end]
    if not body:
        raise DecodeError("empty OID", offset=start, layer=_LAYER)
    if len(body) > 4 * MAX_OID_ARCS + 1:
        raise DecodeError("OID is too long", offset=start, layer=_LAYER)
    if body.isascii():  # every octet < 0x80: one octet per arc, the common case
        if len(body) > MAX_OID_ARCS - 1:
            raise DecodeError("OID has too many arcs", offset=start, layer=_LAYER)
        head = body[0]
        if head < 80:
            return (head // 40, head % 40, *body[1:])
        return (2, head - 80, *body[1:])
    arcs: list[int] = []
    append = arcs.append
    value = 0
    for b in body:
        if b & 0x80:
            if b == 0x80 and value == 0:  # X.690 §8.19.2: no leading 0x80 octet in an arc
                raise DecodeError("non-minimal OID arc", offset=start, layer=_LAYER)
            value = (value << 7) | (b & 0x7F)
        else:
            append((value << 7) | b)
            value = 0
    if body[-1] & 0x80:
        raise DecodeError("OID ends inside an arc", offset=end, layer=_LAYER)
    if len(arcs) > MAX_OID_ARCS - 1 or (len(arcs) > 1 and max(arcs[1:]) > MAX_ARC):
        raise DecodeError(
            "OID has too many arcs or an arc over 2**32-1", offset=start, layer=_LAYER
        )
    head = arcs[0]
    if head < 80:
        return (head // 40, head % 40, *arcs[1:])
    return (2, head - 80, *arcs[1:])
