"""IPv4 (RFC 791) with options and fragments, ICMP (RFC 792), TCP (RFC 9293) and UDP (RFC 768)."""

from __future__ import annotations

import struct
from typing import Any

from ...errors import DecodeError, LocalProtocolError
from ..checksum import checksum, csum_sum, finish
from ..field import AUTO, Bits, Int, IPv4Addr, Var, ip4_aton
from ..layer import Layer, Raw, _default_bindings

_PSEUDO4 = struct.Struct("!4s4sxBH").pack

IP_PROTOS = {
    0: "hopopt",
    1: "icmp",
    2: "igmp",
    4: "ipip",
    6: "tcp",
    17: "udp",
    41: "ipv6",
    43: "ipv6-route",
    44: "ipv6-frag",
    47: "gre",
    50: "esp",
    51: "ah",
    58: "icmpv6",
    59: "ipv6-nonxt",
    60: "ipv6-opts",
    132: "sctp",
}


def _parse_tlv_options(data: bytes, one_byte: tuple[int, ...]) -> list[tuple[Any, bytes]]:
    """Options as (type, value) with 1-byte kinds in ``one_byte``; a malformed rest is kept
    as ("bad", bytes) so the header still rebuilds byte for byte."""
    out: list[tuple[Any, bytes]] = []
    i = 0
    n = len(data)
    while i < n:
        kind = data[i]
        if kind in one_byte:
            out.append((kind, b""))
            i += 1
            if kind == 0:  # end of option list: what follows is padding
                if i < n:
                    out.append(("pad", data[i:]))
                break
            continue
        if i + 1 >= n or data[i + 1] < 2 or i + data[i + 1] > n:
            out.append(("bad", data[i:]))
            break
        ln = data[i + 1]
        out.append((kind, data[i + 2 : i + ln]))
        i += ln
    return out


def _strip_padding(
    opts: list[tuple[Any, Any]], data: bytes, eol: Any, encode: Any
) -> list[tuple[Any, Any]]:
    """Drop a trailing end-of-list + zero fill that is only the 32-bit alignment padding a
    build adds by itself, so parsed options read as they were written."""
    n = len(opts)
    while n and (
        opts[n - 1][0] in (eol, 0) or (opts[n - 1][0] == "pad" and not any(opts[n - 1][1]))
    ):
        n -= 1
    if n == len(opts):
        return opts
    kept = len(encode(opts[:n]))
    if len(data) - kept < 4 and not any(data[kept:]):
        return opts[:n]
    return opts


def _encode_tlv_options(opts: Any, one_byte: tuple[int, ...]) -> bytes:
    out = b""
    for kind, value in opts:
        if kind in ("bad", "pad"):
            out += bytes(value)
        elif kind in one_byte:
            out += bytes([kind])
        else:
            value = bytes(value)
            out += bytes([kind, len(value) + 2]) + value
    return out


class IPv4(Layer):
    """IPv4 (RFC 791). ``options`` is a list of (type, value bytes); ``flags`` letters: M (more
    fragments), D (don't fragment), R (reserved). Non-first fragments carry a Raw payload."""

    __slots__ = ()
    _is_ip = True
    fields_desc = (
        Bits("version", 4, 4),
        Bits("ihl", 4, AUTO),
        Int("tos", 0, "B", hex=True),
        Int("len", AUTO, "H"),
        Int("id", 1, "H"),
        Bits("flags", 3, 0, flags="MDR"),
        Bits("frag", 13, 0),
        Int("ttl", 64, "B"),
        Int("proto", AUTO, "B", names=IP_PROTOS),
        Int("chksum", AUTO, "H", hex=True),
        IPv4Addr("src", "127.0.0.1"),
        IPv4Addr("dst", "127.0.0.1"),
        Var("options", ()),
    )
    bind_field = "proto"
    computed = ("ihl", "len", "chksum")

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 20:
            raise DecodeError(
                f"IPv4 header needs 20 bytes, {end - off} left",
                offset=off,
                layer="IPv4",
                truncated=True,
            )
        b0 = buf[off]
        if b0 >> 4 != 4:
            raise DecodeError(f"IPv4 version is {b0 >> 4}", offset=off, layer="IPv4")
        hl = (b0 & 15) * 4
        if hl < 20:
            raise DecodeError(f"IPv4 header length {hl} < 20", offset=off, layer="IPv4")
        if hl > end - off:
            raise DecodeError(
                f"IPv4 header length {hl} exceeds the {end - off} bytes left",
                offset=off,
                layer="IPv4",
                truncated=True,
            )
        tl = (buf[off + 2] << 8) | buf[off + 3]
        if tl == 0:  # TSO/GSO captures leave the total length zero: use what was captured
            return hl, end
        if tl < hl:
            raise DecodeError(
                f"IPv4 total length {tl} < header length {hl}", offset=off + 2, layer="IPv4"
            )
        stop = off + tl
        return hl, stop if stop < end else end

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        if stop <= start:
            return [()]
        data = buf[start:stop]
        return [
            _strip_padding(
                _parse_tlv_options(data, (0, 1)), data, 0, lambda o: _encode_tlv_options(o, (0, 1))
            )
        ]

    def _encode_var(self, v: list[Any]) -> bytes:
        opts = v[12]
        if not opts:
            return b""
        out = _encode_tlv_options(opts, (0, 1))
        return out + b"\x00" * ((-len(out)) % 4)

    def next_layer(self) -> type[Layer] | None:
        v = self._v
        if v is None:  # read the offset and protocol from the bytes, without decoding the header
            buf, off = self._buf, self._off
            frag, proto = (buf[off + 6] & 0x1F) << 8 | buf[off + 7], buf[off + 9]
        else:
            frag, proto = v[6], v[8]
        if frag:  # RFC 791: only the first fragment starts with the upper-layer header
            return Raw
        table = (self._bnd or _default_bindings())._next.get(IPv4)
        return table.get(proto) if table is not None else None

    def build_header(self, payload: bytes, ip: Layer | None) -> bytes:
        v = self._v if self._v is not None else self._materialize()
        auto_ck = v[9] is AUTO
        if auto_ck or v[1] is AUTO or v[3] is AUTO or v[8] is AUTO:
            v = v[:]
            opt_len = len(self._encode_var(v)) if v[12] else 0
            if v[1] is AUTO:
                v[1] = 5 + opt_len // 4
            if v[3] is AUTO:
                v[3] = 20 + opt_len + len(payload)
            if v[8] is AUTO:
                v[8] = self._bind_value()
            if auto_ck:
                v[9] = 0
        hdr = self._c.pack(v)
        if v[12]:
            hdr += self._encode_var(v)
        if auto_ck:
            hdr = hdr[:10] + checksum(hdr).to_bytes(2, "big") + hdr[12:]
        return hdr

    def pseudo_header(self, proto: int, length: int) -> bytes:
        """The RFC 793 §3.1 pseudo-header for an upper layer of ``length`` bytes."""
        v = self._v if self._v is not None else self._materialize()
        # keep the packed form: reads still give text, and the header build reuses it
        src = v[10]
        if src.__class__ is not bytes:
            src = v[10] = ip4_aton(src)
        dst = v[11]
        if dst.__class__ is not bytes:
            dst = v[11] = ip4_aton(dst)
        return _PSEUDO4(src, dst, proto, length)

    def pseudo_sum(self, proto: int, length: int) -> int:
        """Word sum of the RFC 793 §3.1 pseudo-header for an upper layer of ``length`` bytes."""
        v = self._v if self._v is not None else self._materialize()
        # keep the packed form: reads still give text, and the header build reuses it
        src = v[10] = ip4_aton(v[10])
        dst = v[11] = ip4_aton(v[11])
        return csum_sum(src + dst) + proto + length

    def describe(self, ip: Layer | None = None) -> str | None:
        frag = ""
        if self.frag or self.flags & 1:
            frag = f" (frag {self.id}:{self.frag * 8}{'+' if self.flags & 1 else ''})"
        return f"IP {self.src} > {self.dst}: {IP_PROTOS.get(self.proto, self.proto)}{frag}, length {self.len}"


def _addr(ip: Layer | None, port: int, src: bool) -> str:
    if ip is None:
        return str(port)
    host = ip.src if src else ip.dst
    return f"{host}.{port}"


def _family(ip: Layer | None) -> str:
    return "IP6" if ip is not None and not isinstance(ip, IPv4) else "IP"


TCP_OPT_NAMES = {
    0: "EOL",
    1: "NOP",
    2: "MSS",
    3: "WScale",
    4: "SAckOK",
    5: "SAck",
    8: "Timestamp",
    30: "MPTCP",
    34: "TFO",
}
_TCP_OPT_KINDS = {v: k for k, v in TCP_OPT_NAMES.items()}


def _tcp_options(data: bytes) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for kind, value in _parse_tlv_options(data, (0, 1)):
        if not isinstance(kind, int):
            out.append((kind, value))
        elif kind == 2 and len(value) == 2:
            out.append(("MSS", int.from_bytes(value, "big")))
        elif kind == 3 and len(value) == 1:
            out.append(("WScale", value[0]))
        elif kind == 4 and not value:
            out.append(("SAckOK", b""))
        elif kind == 5 and len(value) % 8 == 0:
            out.append(
                ("SAck", [struct.unpack_from("!II", value, i) for i in range(0, len(value), 8)])
            )
        elif kind == 8 and len(value) == 8:
            out.append(("Timestamp", struct.unpack("!II", value)))
        elif kind in (0, 1):
            out.append((TCP_OPT_NAMES[kind], None))
        else:
            out.append((kind, value))
    return out


def _tcp_encode(opts: Any) -> bytes:
    out = b""
    for kind, value in opts:
        if kind in ("bad", "pad"):
            out += bytes(value)
            continue
        k = _TCP_OPT_KINDS.get(kind, kind) if isinstance(kind, str) else kind
        if not isinstance(k, int):
            raise LocalProtocolError(
                f"unknown TCP option {kind!r}; known: {', '.join(_TCP_OPT_KINDS)}"
            )
        if k in (0, 1):
            out += bytes([k])
            continue
        if k == 2:
            body = struct.pack("!H", value)
        elif k == 3:
            body = bytes([value])
        elif k == 4:
            body = b""
        elif k == 5:
            body = b"".join(struct.pack("!II", a, b) for a, b in value)
        elif k == 8:
            body = struct.pack("!II", *value)
        else:
            body = bytes(value)
        out += bytes([k, len(body) + 2]) + body
    return out


class TCP(Layer):
    """TCP (RFC 9293). ``flags`` letters FSRPAUECN; ``options`` like ``[("MSS", 1460),
    ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]``."""

    __slots__ = ()
    fields_desc = (
        Int("sport", 20, "H"),
        Int("dport", 80, "H"),
        Int("seq", 0, "I"),
        Int("ack", 0, "I"),
        Bits("dataofs", 4, AUTO),
        Bits("reserved", 3, 0),
        Bits("flags", 9, 2, flags="FSRPAUECN"),
        Int("window", 8192, "H"),
        Int("chksum", AUTO, "H", hex=True),
        Int("urgptr", 0, "H"),
        Var("options", ()),
    )
    computed = ("dataofs", "chksum")

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 20:
            raise DecodeError(
                f"TCP header needs 20 bytes, {end - off} left",
                offset=off,
                layer="TCP",
                truncated=True,
            )
        hl = (buf[off + 12] >> 4) * 4
        if hl < 20:
            raise DecodeError(f"TCP data offset {hl} < 20", offset=off + 12, layer="TCP")
        if hl > end - off:
            raise DecodeError(
                f"TCP header length {hl} exceeds the {end - off} bytes left",
                offset=off,
                layer="TCP",
                truncated=True,
            )
        return hl, end

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        if stop <= start:
            return [()]
        data = buf[start:stop]
        return [_strip_padding(_tcp_options(data), data, "EOL", _tcp_encode)]

    def _encode_var(self, v: list[Any]) -> bytes:
        opts = v[10]
        if not opts:
            return b""
        out = _tcp_encode(opts)
        return out + b"\x00" * ((-len(out)) % 4)

    def build_header(self, payload: bytes, ip: Layer | None) -> bytes:
        v = self._v if self._v is not None else self._materialize()
        auto_ck = v[8] is AUTO
        if auto_ck or v[4] is AUTO:
            v = v[:]
            if v[4] is AUTO:
                v[4] = 5 + (len(self._encode_var(v)) // 4 if v[10] else 0)
            if auto_ck:
                v[8] = 0
        hdr = self._c.pack(v)
        if v[10]:
            hdr += self._encode_var(v)
        if auto_ck and ip is not None:
            seg = hdr + payload
            ck = checksum(ip.pseudo_header(6, len(seg)) + seg)
            hdr = hdr[:16] + ck.to_bytes(2, "big") + hdr[18:]
        return hdr

    def describe(self, ip: Layer | None = None) -> str | None:
        f = str(self.flags).replace("A", ".") or "none"
        plen = (
            self._end - self._off - self._hl if self._buf is not None else len(self.payload or b"")
        )
        return (
            f"{_family(ip)} {_addr(ip, self.sport, True)} > {_addr(ip, self.dport, False)}: Flags [{f}], "
            f"seq {self.seq}, ack {self.ack}, win {self.window}, length {plen}"
        )


class UDP(Layer):
    """UDP (RFC 768). The payload is chosen by destination port, then source port."""

    __slots__ = ()
    fields_desc = (
        Int("sport", 53, "H"),
        Int("dport", 53, "H"),
        Int("len", AUTO, "H"),
        Int("chksum", AUTO, "H", hex=True),
    )
    computed = ("len", "chksum")

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 8:
            raise DecodeError(
                f"UDP header needs 8 bytes, {end - off} left",
                offset=off,
                layer="UDP",
                truncated=True,
            )
        ulen = (buf[off + 4] << 8) | buf[off + 5]
        if ulen == 0:  # RFC 2675 jumbograms, or offload: use what was captured
            return 8, end
        if ulen < 8:
            raise DecodeError(f"UDP length {ulen} < 8", offset=off + 4, layer="UDP")
        stop = off + ulen
        return 8, stop if stop < end else end

    def next_layer(self) -> type[Layer] | None:
        from ..bindings import DEFAULT_BINDINGS

        bnd = self._bnd or DEFAULT_BINDINGS
        return bnd.lookup(UDP, self.dport) or bnd.lookup(UDP, self.sport)

    def build_header(self, payload: bytes, ip: Layer | None) -> bytes:
        v = self._v if self._v is not None else self._materialize()
        auto_ck = v[3] is AUTO
        if auto_ck or v[2] is AUTO:
            v = v[:]
            if v[2] is AUTO:
                v[2] = 8 + len(payload)
            if auto_ck:
                v[3] = 0
        hdr = self._c.pack(v)
        if auto_ck and ip is not None:
            seg = hdr + payload
            ck = checksum(ip.pseudo_header(17, len(seg)) + seg)
            hdr = hdr[:6] + (ck or 0xFFFF).to_bytes(2, "big")  # RFC 768: 0 is sent as all ones
        return hdr

    def describe(self, ip: Layer | None = None) -> str | None:
        n = self.len - 8 if isinstance(self.len, int) else 0
        return f"{_family(ip)} {_addr(ip, self.sport, True)} > {_addr(ip, self.dport, False)}: UDP, length {n}"


ICMP_TYPES = {
    0: "echo-reply",
    3: "dest-unreach",
    4: "source-quench",
    5: "redirect",
    8: "echo-request",
    11: "time-exceeded",
    12: "parameter-problem",
    13: "timestamp-request",
    14: "timestamp-reply",
}


class ICMP(Layer):
    """ICMP (RFC 792). ``id``/``seq`` are the echo fields (the "unused"/MTU word otherwise);
    error messages carry the quoted IPv4 packet as their payload."""

    __slots__ = ()
    fields_desc = (
        Int("type", 8, "B", names=ICMP_TYPES),
        Int("code", 0, "B"),
        Int("chksum", AUTO, "H", hex=True),
        Int("id", 0, "H"),
        Int("seq", 0, "H"),
    )
    bind_field = "type"
    computed = ("chksum",)

    def build_header(self, payload: bytes, ip: Layer | None) -> bytes:
        v = self._v if self._v is not None else self._materialize()
        if v[2] is not AUTO:
            return self._pack(v)
        v = v[:]
        v[2] = 0
        hdr = self._pack(v)
        ck = finish(csum_sum(hdr + payload))
        return hdr[:2] + ck.to_bytes(2, "big") + hdr[4:]

    def quotes(self) -> bool:
        return self.type in (3, 4, 5, 11, 12)

    def describe(self, ip: Layer | None = None) -> str | None:
        where = f"IP {ip.src} > {ip.dst}: " if ip is not None else ""
        t = self.type
        if t in (0, 8):
            kind = "echo reply" if t == 0 else "echo request"
            return f"{where}ICMP {kind}, id {self.id}, seq {self.seq}"
        inner = self.payload
        about = ""
        if isinstance(inner, IPv4):
            up = inner.payload
            port = f".{up.dport}" if isinstance(up, (TCP, UDP)) else ""
            about = f" for {inner.dst}{port} {IP_PROTOS.get(inner.proto, inner.proto)}"
        return f"{where}ICMP {ICMP_TYPES.get(t, t)} code {self.code}{about}"
