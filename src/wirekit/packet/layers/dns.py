"""DNS messages (RFC 1035) with name compression both ways and the common RR types.

Names are text with a trailing dot (``"example.com."``); bytes outside printable ASCII and
dots inside a label use RFC 1035 §5.1 escapes (``\\046``, ``\\.``), so any wire name round-trips.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from ...errors import DecodeError, LocalProtocolError
from ..field import AUTO, Bits, Int, Var, ip4_aton, ip4_ntoa, ip6_aton, ip6_ntoa
from ..layer import Layer

TYPES = {
    1: "A",
    2: "NS",
    5: "CNAME",
    6: "SOA",
    12: "PTR",
    15: "MX",
    16: "TXT",
    28: "AAAA",
    33: "SRV",
    41: "OPT",
    255: "ANY",
}
_TYPE_NUM = {v: k for k, v in TYPES.items()}
CLASSES = {1: "IN", 3: "CH", 255: "ANY"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
OPCODES = {0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY", 5: "UPDATE"}
_MAX_HOPS = 64


def _rrtype(value: Any) -> int:
    if isinstance(value, str):
        try:
            return _TYPE_NUM[value.upper()]
        except KeyError:
            raise LocalProtocolError(
                f"unknown DNS type {value!r}; known: {', '.join(_TYPE_NUM)}"
            ) from None
    return int(value)


@dataclass
class DNSQR:
    """A question: name, type (number or name like ``"AAAA"``) and class."""

    qname: str = "."
    qtype: Any = 1  # number or name ("AAAA"); stored as the number
    qclass: int = 1

    def __post_init__(self) -> None:
        self.qtype = _rrtype(self.qtype)

    def to_dict(self) -> dict[str, Any]:
        return {
            "qname": self.qname,
            "qtype": TYPES.get(self.qtype, self.qtype),
            "qclass": self.qclass,
        }


@dataclass
class DNSRR:
    """A resource record. ``rdata`` by type: A/AAAA text; NS/CNAME/PTR name; MX (pref, name);
    SOA (mname, rname, serial, refresh, retry, expire, minimum); SRV (prio, weight, port,
    target); TXT list of bytes; OPT list of (code, bytes) (``rclass`` = UDP size); else bytes."""

    rrname: str = "."
    type: Any = 1  # number or name ("MX"); stored as the number
    rclass: int = 1
    ttl: int = 0
    rdata: Any = b""

    def __post_init__(self) -> None:
        self.type = _rrtype(self.type)

    def to_dict(self) -> dict[str, Any]:
        rd = self.rdata
        if isinstance(rd, (bytes, bytearray)):
            rd = rd.hex()
        elif isinstance(rd, (list, tuple)):
            rd = [
                x.hex() if isinstance(x, bytes) else list(x) if isinstance(x, tuple) else x
                for x in rd
            ]
        return {
            "rrname": self.rrname,
            "type": TYPES.get(self.type, self.type),
            "rclass": self.rclass,
            "ttl": self.ttl,
            "rdata": rd,
        }


def _label_text(label: bytes) -> str:
    out = []
    for b in label:
        if b in (0x2E, 0x5C):
            out.append("\\" + chr(b))
        elif 0x21 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return "".join(out)


def name_labels(name: str) -> list[bytes]:
    """Wire labels of a text name (escapes understood).

    Raises:
        LocalProtocolError: a label over 63 bytes or a name over 255.
    """
    labels: list[bytes] = []
    cur = bytearray()
    i = 0
    n = len(name)
    while i < n:
        c = name[i]
        if c == "\\" and i + 1 < n:
            if name[i + 1 : i + 4].isdigit() and i + 3 < n + 1 and len(name[i + 1 : i + 4]) == 3:
                cur.append(int(name[i + 1 : i + 4]) & 0xFF)
                i += 4
            else:
                cur += name[i + 1].encode("latin-1", "replace")
                i += 2
            continue
        if c == ".":
            if cur:
                labels.append(bytes(cur))
            cur = bytearray()
        else:
            cur += c.encode("utf-8")
        i += 1
    if cur:
        labels.append(bytes(cur))
    for label in labels:
        if len(label) > 63:
            raise LocalProtocolError(f"DNS label longer than 63 bytes in {name!r}")
    if sum(len(x) + 1 for x in labels) + 1 > 255:
        raise LocalProtocolError(f"DNS name longer than 255 bytes: {name!r}")
    return labels


def read_name(buf: bytes, pos: int, start: int, end: int) -> tuple[str, int]:
    """Decode a (possibly compressed) name at ``pos``; return it and the position after it.

    Raises:
        DecodeError: truncated, pointer loop, bad label type, or over 255 bytes.
    """
    labels = []
    ret = -1
    hops = 0
    total = 1
    while True:
        if pos >= end:
            raise DecodeError(
                "DNS name runs past the message", offset=pos, layer="DNS", truncated=True
            )
        ln = buf[pos]
        if ln >= 0xC0:
            if pos + 1 >= end:
                raise DecodeError(
                    "DNS compression pointer cut short", offset=pos, layer="DNS", truncated=True
                )
            ptr = start + (((ln & 0x3F) << 8) | buf[pos + 1])
            if ret < 0:
                ret = pos + 2
            hops += 1
            if hops > _MAX_HOPS or ptr >= end:
                raise DecodeError(
                    "DNS compression pointer loops or points outside the message",
                    offset=pos,
                    layer="DNS",
                )
            pos = ptr
            continue
        if ln & 0xC0:
            raise DecodeError(f"DNS label type {ln >> 6} is not supported", offset=pos, layer="DNS")
        pos += 1
        if ln == 0:
            break
        if pos + ln > end:
            raise DecodeError(
                "DNS label runs past the message", offset=pos, layer="DNS", truncated=True
            )
        total += ln + 1
        if total > 255:
            raise DecodeError("DNS name longer than 255 bytes", offset=pos, layer="DNS")
        labels.append(_label_text(buf[pos : pos + ln]))
        pos += ln
    return ".".join(labels) + "." if labels else ".", ret if ret >= 0 else pos


class _Writer:
    """Message builder that compresses names against earlier ones (RFC 1035 §4.1.4)."""

    def __init__(self, base: bytes) -> None:
        self.out = bytearray(base)
        self.seen: dict[tuple[bytes, ...], int] = {}

    def name(self, name: str, compress: bool = True) -> None:
        labels = name_labels(name)
        for i in range(len(labels)):
            key = tuple(x.lower() for x in labels[i:])
            if compress and key in self.seen:
                self.out += struct.pack("!H", 0xC000 | self.seen[key])
                return
            if len(self.out) < 0x4000:
                self.seen.setdefault(key, len(self.out))
            self.out += bytes([len(labels[i])]) + labels[i]
        self.out += b"\x00"


def _read_rdata(rtype: int, buf: bytes, pos: int, stop: int, start: int, end: int) -> Any:
    n = stop - pos
    if rtype == 1:
        if n != 4:
            raise DecodeError(f"A record of {n} bytes", offset=pos, layer="DNS")
        return ip4_ntoa(buf[pos:stop])
    if rtype == 28:
        if n != 16:
            raise DecodeError(f"AAAA record of {n} bytes", offset=pos, layer="DNS")
        return ip6_ntoa(buf[pos:stop])
    if rtype in (2, 5, 12):
        return read_name(buf, pos, start, stop)[0]
    if rtype == 15:
        if n < 3:
            raise DecodeError("MX record too short", offset=pos, layer="DNS", truncated=True)
        return (int.from_bytes(buf[pos : pos + 2], "big"), read_name(buf, pos + 2, start, stop)[0])
    if rtype == 33:
        if n < 7:
            raise DecodeError("SRV record too short", offset=pos, layer="DNS", truncated=True)
        prio, weight, port = struct.unpack_from("!HHH", buf, pos)
        return (prio, weight, port, read_name(buf, pos + 6, start, stop)[0])
    if rtype == 6:
        mname, p = read_name(buf, pos, start, stop)
        rname, p = read_name(buf, p, start, stop)
        if stop - p < 20:
            raise DecodeError("SOA record too short", offset=p, layer="DNS", truncated=True)
        return (mname, rname, *struct.unpack_from("!IIIII", buf, p))
    if rtype == 16:
        strings = []
        p = pos
        while p < stop:
            ln = buf[p]
            if p + 1 + ln > stop:
                raise DecodeError("TXT string runs past its record", offset=p, layer="DNS")
            strings.append(buf[p + 1 : p + 1 + ln])
            p += 1 + ln
        return strings
    if rtype == 41:
        opts = []
        p = pos
        while p + 4 <= stop:
            code, ln = struct.unpack_from("!HH", buf, p)
            if p + 4 + ln > stop:
                raise DecodeError("EDNS option runs past its record", offset=p, layer="DNS")
            opts.append((code, buf[p + 4 : p + 4 + ln]))
            p += 4 + ln
        if p != stop:
            raise DecodeError("EDNS option cut short", offset=p, layer="DNS")
        return opts
    return buf[pos:stop]


def _write_rdata(w: _Writer, rr: DNSRR) -> None:
    at = len(w.out)
    w.out += b"\x00\x00"
    t, rd = rr.type, rr.rdata
    if isinstance(rd, (bytes, bytearray)) and t not in (1, 28):
        w.out += rd
    elif t == 1:
        w.out += ip4_aton(rd)
    elif t == 28:
        w.out += ip6_aton(rd)
    elif t in (2, 5, 12):
        w.name(rd)
    elif t == 15:
        w.out += struct.pack("!H", rd[0])
        w.name(rd[1])
    elif t == 33:
        w.out += struct.pack("!HHH", rd[0], rd[1], rd[2])
        w.name(rd[3], compress=False)  # RFC 2782: no compression in SRV targets
    elif t == 6:
        w.name(rd[0])
        w.name(rd[1])
        w.out += struct.pack("!IIIII", *rd[2:7])
    elif t == 16:
        for s in [rd] if isinstance(rd, (str, bytes)) else rd:
            b = s.encode() if isinstance(s, str) else bytes(s)
            if len(b) > 255:
                raise LocalProtocolError("TXT string longer than 255 bytes")
            w.out += bytes([len(b)]) + b
    elif t == 41:
        for code, value in rd:
            w.out += struct.pack("!HH", code, len(value)) + bytes(value)
    else:
        raise LocalProtocolError(f"DNS type {t}: give rdata as bytes")
    struct.pack_into("!H", w.out, at, len(w.out) - at - 2)


class DNS(Layer):
    """A DNS message: header flags, counts (AUTO from the lists) and four sections of
    :class:`DNSQR` / :class:`DNSRR`."""

    __slots__ = ()
    fields_desc = (
        Int("id", 0, "H"),
        Bits("qr", 1, 0),
        Bits("opcode", 4, 0, names=OPCODES),
        Bits("aa", 1, 0),
        Bits("tc", 1, 0),
        Bits("rd", 1, 1),
        Bits("ra", 1, 0),
        Bits("z", 1, 0),
        Bits("ad", 1, 0),
        Bits("cd", 1, 0),
        Bits("rcode", 4, 0, names=RCODES),
        Int("qdcount", AUTO, "H"),
        Int("ancount", AUTO, "H"),
        Int("nscount", AUTO, "H"),
        Int("arcount", AUTO, "H"),
        Var("qd", ()),
        Var("an", ()),
        Var("ns", ()),
        Var("ar", ()),
    )
    computed = ("qdcount", "ancount", "nscount", "arcount")

    @classmethod
    def _from(cls, buf: bytes, off: int, end: int, bnd: Any) -> DNS:
        self = super()._from(buf, off, end, bnd)
        self._materialize()  # DNS is validated whole, so a bad message fails here, not later
        return self

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 12:
            raise DecodeError(
                f"DNS header needs 12 bytes, {end - off} left",
                offset=off,
                layer="DNS",
                truncated=True,
            )
        return end - off, end

    def _decode_var(self, buf: bytes, start: int, stop: int) -> list[Any]:
        base = start - 12
        qd_n, an_n, ns_n, ar_n = struct.unpack_from("!HHHH", buf, base + 4)
        pos = start
        qd = []
        for _ in range(qd_n):
            name, pos = read_name(buf, pos, base, stop)
            if pos + 4 > stop:
                raise DecodeError("DNS question cut short", offset=pos, layer="DNS", truncated=True)
            qt, qc = struct.unpack_from("!HH", buf, pos)
            pos += 4
            qd.append(DNSQR(name, qt, qc))
        sections: list[list[DNSRR]] = []
        for count in (an_n, ns_n, ar_n):
            rrs = []
            for _ in range(count):
                name, pos = read_name(buf, pos, base, stop)
                if pos + 10 > stop:
                    raise DecodeError(
                        "DNS record header cut short", offset=pos, layer="DNS", truncated=True
                    )
                rt, rc, ttl, rdlen = struct.unpack_from("!HHIH", buf, pos)
                pos += 10
                if pos + rdlen > stop:
                    raise DecodeError(
                        "DNS record data cut short", offset=pos, layer="DNS", truncated=True
                    )
                rrs.append(
                    DNSRR(name, rt, rc, ttl, _read_rdata(rt, buf, pos, pos + rdlen, base, stop))
                )
                pos += rdlen
            sections.append(rrs)
        return [qd, *sections]

    def build_header(self, payload: bytes, ip: Layer | None) -> bytes:
        v = self._v if self._v is not None else self._materialize()
        v = v[:]
        for i, sec in zip((11, 12, 13, 14), (15, 16, 17, 18), strict=True):
            if v[i] is AUTO:
                v[i] = len(v[sec])
        return self._pack(v)

    def _encode_var(self, v: list[Any]) -> bytes:
        w = _Writer(b"\x00" * 12)  # offsets count from the message start
        for q in v[15]:
            w.name(q.qname)
            w.out += struct.pack("!HH", _rrtype(q.qtype), q.qclass)
        for sec in v[16:19]:
            for rr in sec:
                w.name(rr.rrname)
                w.out += struct.pack("!HHI", _rrtype(rr.type), rr.rclass, rr.ttl)
                _write_rdata(w, rr)
        return bytes(w.out[12:])

    def describe(self, ip: Layer | None = None) -> str | None:
        where = ""
        if ip is not None:
            udp = ip.payload
            sport = getattr(udp, "sport", "")
            dport = getattr(udp, "dport", "")
            where = f"{'IP6' if 'IPv6' in ip.name else 'IP'} {ip.src}.{sport} > {ip.dst}.{dport}: "
        q = self.qd[0] if self.qd else None
        qtext = f"{TYPES.get(q.qtype, q.qtype)}? {q.qname}" if q else ""
        if not self.qr:
            return f"{where}DNS {self.id}{'+' if self.rd else ''} {qtext}".rstrip()
        answers = ", ".join(
            f"{TYPES.get(rr.type, rr.type)} {rr.rdata if not isinstance(rr.rdata, bytes) else rr.rdata.hex()}"
            for rr in self.an
        )
        rc = f" {RCODES.get(self.rcode, self.rcode)}" if self.rcode else ""
        return f"{where}DNS {self.id}{rc} {len(self.an)}/{len(self.ns)}/{len(self.ar)} {answers}".rstrip()


__all__ = ["DNS", "DNSQR", "DNSRR", "name_labels", "read_name"]
