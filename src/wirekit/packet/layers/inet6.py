"""IPv6 (RFC 8200) with extension headers, and ICMPv6 (RFC 4443) with neighbour discovery (RFC 4861)."""

from __future__ import annotations

import struct
from typing import Any

from ...errors import DecodeError
from ..checksum import checksum, csum_sum
from ..field import AUTO, Bits, Int, IPv6Addr, Var, ip6_aton, mac_aton
from ..layer import Layer, Raw
from .inet import IP_PROTOS

_PSEUDO6 = struct.Struct("!16s16sI3xB").pack


class IPv6(Layer):
    """IPv6 (RFC 8200). ``nh`` is the first next-header; extension headers are layers."""

    __slots__ = ()
    _is_ip = True
    fields_desc = (
        Bits("version", 4, 6),
        Bits("tc", 8, 0),
        Bits("fl", 20, 0),
        Int("plen", AUTO, "H"),
        Int("nh", AUTO, "B", names=IP_PROTOS),
        Int("hlim", 64, "B"),
        IPv6Addr("src", "::1"),
        IPv6Addr("dst", "::1"),
    )
    bind_field = "nh"
    computed = ("plen",)

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 40:
            raise DecodeError(
                f"IPv6 header needs 40 bytes, {end - off} left",
                offset=off,
                layer="IPv6",
                truncated=True,
            )
        if buf[off] >> 4 != 6:
            raise DecodeError(f"IPv6 version is {buf[off] >> 4}", offset=off, layer="IPv6")
        plen = (buf[off + 4] << 8) | buf[off + 5]
        if plen == 0:  # jumbogram (RFC 2675) or offload
            return 40, end
        stop = off + 40 + plen
        return 40, stop if stop < end else end

    def fill_auto(self, v: list[Any], payload: bytes, ip: Layer | None) -> list[Any]:
        if v[3] is AUTO:
            v[3] = len(payload)
        return super().fill_auto(v, payload, ip)

    def pseudo_header(self, proto: int, length: int) -> bytes:
        """The RFC 8200 §8.1 pseudo-header for an upper layer of ``length`` bytes."""
        v = self._v if self._v is not None else self._materialize()
        src = v[6] = ip6_aton(v[6])
        dst = v[7] = ip6_aton(v[7])
        return _PSEUDO6(src, dst, length, proto)

    def pseudo_sum(self, proto: int, length: int) -> int:
        """Word sum of the RFC 8200 §8.1 pseudo-header for an upper layer of ``length`` bytes."""
        v = self._v if self._v is not None else self._materialize()
        src = v[6] = ip6_aton(v[6])
        dst = v[7] = ip6_aton(v[7])
        return csum_sum(src + dst) + proto + length

    def upper(self) -> Layer | None:
        """The first layer after the extension headers (what ``proto`` means in analysis)."""
        layer = self.payload
        while isinstance(layer, _ExtHeader):
            layer = layer.payload
        return layer

    def describe(self, ip: Layer | None = None) -> str | None:
        up = self.upper()
        return f"IP6 {self.src} > {self.dst}: {up.name if up is not None else 'no next header'}, payload length {self.plen}"


class _ExtHeader(Layer):
    """Common parts of IPv6 extension headers: next header and length in 8-octet units."""

    __slots__ = ()
    bind_field = "nh"

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 8:
            raise DecodeError(
                f"{cls.name} needs 8 bytes, {end - off} left",
                offset=off,
                layer=cls.name,
                truncated=True,
            )
        hl = (buf[off + 1] + 1) * 8
        if hl > end - off:
            raise DecodeError(
                f"{cls.name} length {hl} exceeds the {end - off} bytes left",
                offset=off,
                layer=cls.name,
                truncated=True,
            )
        return hl, end


def _parse_ip6_options(data: bytes) -> list[tuple[Any, bytes]]:
    """RFC 8200 §4.2 TLV options: Pad1 is one byte; other lengths exclude type and length."""
    out: list[tuple[Any, bytes]] = []
    i = 0
    n = len(data)
    while i < n:
        kind = data[i]
        if kind == 0:
            out.append((0, b""))
            i += 1
            continue
        if i + 2 > n or i + 2 + data[i + 1] > n:
            out.append(("bad", data[i:]))
            break
        ln = data[i + 1]
        out.append((kind, data[i + 2 : i + 2 + ln]))
        i += 2 + ln
    return out


def _pad_options(body: bytes) -> bytes:
    """Pad an options area so the header is a multiple of 8 bytes (RFC 8200 §4.2 Pad1/PadN)."""
    need = (-(len(body) + 2)) % 8
    if need == 1:
        return body + b"\x00"
    if need:
        return body + bytes([1, need - 2]) + b"\x00" * (need - 2)
    return body


class _OptionsHeader(_ExtHeader):
    __slots__ = ()
    fields_desc = (
        Int("nh", AUTO, "B", names=IP_PROTOS),
        Int("hlen", AUTO, "B"),
        Var("options", ()),
    )
    computed = ("hlen",)

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        # Pad1/PadN only align the header; a build adds them again (RFC 8200 §4.2)
        return [[o for o in _parse_ip6_options(buf[start:stop]) if o[0] not in (0, 1)]]

    def _encode_var(self, v: list[Any]) -> bytes:
        body = b""
        for kind, value in v[2]:
            if kind in ("bad", "pad"):
                body += bytes(value)
            elif kind == 0:
                body += b"\x00"
            else:
                value = bytes(value)
                body += bytes([kind, len(value)]) + value
        return _pad_options(body)

    def fill_auto(self, v: list[Any], payload: bytes, ip: Layer | None) -> list[Any]:
        if v[1] is AUTO:
            v[1] = (2 + len(self._encode_var(v))) // 8 - 1
        return super().fill_auto(v, payload, ip)


class IPv6HopByHop(_OptionsHeader):
    """Hop-by-Hop Options header (next header 0). ``options``: (type, value) incl. Pad1/PadN;
    padding to 8 bytes is added on build."""

    __slots__ = ()
    name = "IPv6HopByHop"


class IPv6DestOpts(_OptionsHeader):
    """Destination Options header (next header 60)."""

    __slots__ = ()
    name = "IPv6DestOpts"


class IPv6Routing(_ExtHeader):
    """Routing header (next header 43): type, segments left and type-specific data."""

    __slots__ = ()
    fields_desc = (
        Int("nh", AUTO, "B", names=IP_PROTOS),
        Int("hlen", AUTO, "B"),
        Int("type", 0, "B"),
        Int("segleft", 0, "B"),
        Var("data", b"\x00\x00\x00\x00"),
    )
    computed = ("hlen",)

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        return [buf[start:stop]]

    def _encode_var(self, v: list[Any]) -> bytes:
        data = bytes(v[4])
        return data + b"\x00" * ((-(len(data) + 4)) % 8)

    def fill_auto(self, v: list[Any], payload: bytes, ip: Layer | None) -> list[Any]:
        if v[1] is AUTO:
            v[1] = (4 + len(self._encode_var(v))) // 8 - 1
        return super().fill_auto(v, payload, ip)


class IPv6Fragment(_ExtHeader):
    """Fragment header (next header 44); non-first fragments carry a Raw payload."""

    __slots__ = ()
    fields_desc = (
        Int("nh", AUTO, "B", names=IP_PROTOS),
        Int("res", 0, "B"),
        Bits("offset", 13, 0),
        Bits("res2", 2, 0),
        Bits("m", 1, 0),
        Int("id", 0, "I"),
    )

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 8:
            raise DecodeError(
                f"IPv6Fragment needs 8 bytes, {end - off} left",
                offset=off,
                layer="IPv6Fragment",
                truncated=True,
            )
        return 8, end

    def next_layer(self) -> type[Layer] | None:
        if self.offset:
            return Raw
        return super().next_layer()


ICMPV6_TYPES = {
    1: "dest-unreach",
    2: "packet-too-big",
    3: "time-exceeded",
    4: "param-problem",
    128: "echo-request",
    129: "echo-reply",
    133: "router-solicit",
    134: "router-advert",
    135: "neighbor-solicit",
    136: "neighbor-advert",
    137: "redirect",
}


class ICMPv6(Layer):
    """ICMPv6 (RFC 4443): type, code and checksum; the message body is the next layer."""

    __slots__ = ()
    fields_desc = (
        Int("type", 128, "B", names=ICMPV6_TYPES),
        Int("code", 0, "B"),
        Int("chksum", AUTO, "H", hex=True),
    )
    bind_field = "type"
    computed = ("chksum",)

    def build_header(self, payload: bytes, ip: Layer | None) -> bytes:
        v = self._v if self._v is not None else self._materialize()
        if v[2] is not AUTO and v[0] is not AUTO:
            return self._pack(v)
        v = self.fill_auto(v[:], payload, ip)
        auto_ck = v[2] is AUTO
        if auto_ck:
            v[2] = 0
        hdr = self._pack(v)
        if auto_ck and ip is not None:
            msg = hdr + payload
            ck = checksum(ip.pseudo_header(58, len(msg)) + msg)
            hdr = hdr[:2] + ck.to_bytes(2, "big")
        return hdr

    def quotes(self) -> bool:
        return self.type in (1, 2, 3, 4)

    def describe(self, ip: Layer | None = None) -> str | None:
        where = f"IP6 {ip.src} > {ip.dst}: " if ip is not None else ""
        body = self.payload
        extra = f", id {body.id}, seq {body.seq}" if isinstance(body, ICMPv6Echo) else ""
        if isinstance(body, (NDNeighborSolicit, NDNeighborAdvert)):
            extra = (
                f", who has {body.target}"
                if isinstance(body, NDNeighborSolicit)
                else f", tgt is {body.target}"
            )
        return f"{where}ICMP6, {ICMPV6_TYPES.get(self.type, self.type)}{extra}"


class ICMPv6Echo(Layer):
    """ICMPv6 echo request/reply body (types 128, 129)."""

    __slots__ = ()
    fields_desc = (Int("id", 0, "H"), Int("seq", 0, "H"))


class ICMPv6Error(Layer):
    """ICMPv6 error body (types 1-4): the MTU/pointer/unused word, then the invoking packet."""

    __slots__ = ()
    fields_desc = (Int("unused", 0, "I"),)

    def next_layer(self) -> type[Layer] | None:
        return IPv6


def _nd_options(data: bytes) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    i = 0
    while i < len(data):
        if i + 2 > len(data) or data[i + 1] == 0 or i + data[i + 1] * 8 > len(data):
            out.append(("bad", data[i:]))
            break
        kind, ln = data[i], data[i + 1] * 8
        value: Any = data[i + 2 : i + ln]
        if kind in (1, 2) and ln == 8:  # source/target link-layer address (Ethernet)
            value = value.hex(":")
        out.append((kind, value))
        i += ln
    return out


def _nd_encode(opts: Any) -> bytes:
    out = b""
    for kind, value in opts:
        if kind == "bad":
            out += bytes(value)
            continue
        body = mac_aton(value) if isinstance(value, str) else bytes(value)
        body += b"\x00" * ((-(len(body) + 2)) % 8)
        out += bytes([kind, (len(body) + 2) // 8]) + body
    return out


class _NDMessage(Layer):
    __slots__ = ()

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < cls._fixed:
            raise DecodeError(
                f"{cls.name} needs {cls._fixed} bytes, {end - off} left",
                offset=off,
                layer=cls.name,
                truncated=True,
            )
        return end - off, end

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        return [_nd_options(buf[start:stop])]

    def _encode_var(self, v: list[Any]) -> bytes:
        return _nd_encode(v[-1])


class NDRouterSolicit(_NDMessage):
    """Router Solicitation body (RFC 4861 §4.1); options like ``[(1, "aa:bb:cc:dd:ee:ff")]``."""

    __slots__ = ()
    fields_desc = (Int("reserved", 0, "I"), Var("options", ()))


class NDRouterAdvert(_NDMessage):
    """Router Advertisement body (RFC 4861 §4.2)."""

    __slots__ = ()
    fields_desc = (
        Int("chlim", 64, "B"),
        Bits("M", 1, 0),
        Bits("O", 1, 0),
        Bits("reserved", 6, 0),
        Int("routerlifetime", 1800, "H"),
        Int("reachabletime", 0, "I"),
        Int("retranstimer", 0, "I"),
        Var("options", ()),
    )


class NDNeighborSolicit(_NDMessage):
    """Neighbor Solicitation body (RFC 4861 §4.3)."""

    __slots__ = ()
    fields_desc = (Int("reserved", 0, "I"), IPv6Addr("target", "::"), Var("options", ()))


class NDNeighborAdvert(_NDMessage):
    """Neighbor Advertisement body (RFC 4861 §4.4): R(outer), S(olicited), O(verride) flags."""

    __slots__ = ()
    fields_desc = (
        Bits("R", 1, 0),
        Bits("S", 1, 0),
        Bits("O", 1, 1),
        Bits("reserved", 29, 0),
        IPv6Addr("target", "::"),
        Var("options", ()),
    )
