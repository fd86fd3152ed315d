"""Frame and capture builders (plain struct, no wirekit code) for the columnar tests.

The bytes built here are the ground truth: tests compare wirekit's columns with the
values passed to these builders.
"""

from __future__ import annotations

import ipaddress
import struct

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8


def mac(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(
    payload: bytes,
    etype: int,
    *,
    src: str = "02:00:00:00:00:01",
    dst: str = "02:00:00:00:00:02",
    vlans: tuple[int, ...] = (),
) -> bytes:
    head = mac(dst) + mac(src)
    tpids = (
        [ETH_QINQ] + [ETH_VLAN] * (len(vlans) - 1) if len(vlans) > 1 else [ETH_VLAN] * len(vlans)
    )
    for tpid, vid in zip(tpids, vlans, strict=True):
        head += struct.pack("!HH", tpid, vid)
    return head + struct.pack("!H", etype) + payload


def ipv4(
    payload: bytes,
    proto: int,
    *,
    src: str = "10.0.0.1",
    dst: str = "10.0.0.2",
    ttl: int = 64,
    ident: int = 1,
    df: bool = False,
    mf: bool = False,
    frag: int = 0,
    options: bytes = b"",
    total_length: int | None = None,
) -> bytes:
    options += b"\x00" * (-len(options) % 4)
    ihl = 5 + len(options) // 4
    tot = ihl * 4 + len(payload) if total_length is None else total_length
    ff = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag // 8)
    hdr = (
        struct.pack(
            "!BBHHHBBH4s4s",
            0x40 | ihl,
            0,
            tot,
            ident,
            ff,
            ttl,
            proto,
            0,
            ipaddress.IPv4Address(src).packed,
            ipaddress.IPv4Address(dst).packed,
        )
        + options
    )
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(
    payload: bytes,
    nh: int,
    *,
    src: str = "2001:db8::1",
    dst: str = "2001:db8::2",
    hlim: int = 64,
    ext: tuple[tuple[int, bytes], ...] = (),
) -> bytes:
    """IPv6 with extension headers ``ext``: (header type, body after the 2 fixed bytes)."""
    chain = b""
    types = [t for t, _ in ext] + [nh]
    for i, (t, body) in enumerate(ext):
        nxt = types[i + 1]
        if (
            t == 44
        ):  # fragment header: fixed 8 bytes, body is the 6 bytes after next-header/reserved
            chain += struct.pack("!BB", nxt, 0) + body
        elif t == 51:  # AH: length in 4-byte units minus 2
            body += b"\x00" * (-(len(body) + 2) % 4)
            chain += struct.pack("!BB", nxt, (len(body) + 2) // 4 - 2) + body
        else:
            body += b"\x00" * (-(len(body) + 2) % 8)
            chain += struct.pack("!BB", nxt, (len(body) + 2) // 8 - 1) + body
    first = types[0]
    body = chain + payload
    return (
        struct.pack(
            "!IHBB16s16s",
            0x60000000,
            len(body),
            first,
            hlim,
            ipaddress.IPv6Address(src).packed,
            ipaddress.IPv6Address(dst).packed,
        )
        + body
    )


def frag6(offset: int, more: bool, ident: int) -> tuple[int, bytes]:
    return (44, struct.pack("!HI", (offset // 8) << 3 | (1 if more else 0), ident))


def tcp(
    sport: int,
    dport: int,
    *,
    seq: int = 1,
    ack: int = 0,
    flags: int = 0x18,
    window: int = 1024,
    payload: bytes = b"",
    options: bytes = b"",
) -> bytes:
    options += b"\x00" * (-len(options) % 4)
    doff = 5 + len(options) // 4
    return (
        struct.pack(
            "!HHIIBBHHH",
            sport,
            dport,
            seq,
            ack,
            doff << 4 | (flags >> 8),
            flags & 0xFF,
            window,
            0,
            0,
        )
        + options
        + payload
    )


def udp(sport: int, dport: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(typ: int, code: int, payload: bytes = b"") -> bytes:
    return struct.pack("!BBHHH", typ, code, 0, 1, 1) + payload


def dns_name(name: str) -> bytes:
    if name in ("", "."):
        return b"\x00"
    return b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\x00"


def dns(
    ident: int,
    qname: str,
    qtype: int = 1,
    *,
    response: bool = False,
    rcode: int = 0,
    answers: bytes = b"",
) -> bytes:
    flags = (0x8000 if response else 0) | 0x0100 | rcode
    ancount = 1 if answers else 0
    return (
        struct.pack("!HHHHHH", ident, flags, 1, ancount, 0, 0)
        + dns_name(qname)
        + struct.pack("!HH", qtype, 1)
        + answers
    )


def pcap(
    frames: list[tuple[int, bytes]] | list[tuple[int, bytes, int]],
    *,
    linktype: int = 1,
    byteorder: str = "<",
    nanosecond: bool = False,
) -> bytes:
    """A classic pcap file; each frame is (ts_ns, data) or (ts_ns, data, orig_len)."""
    magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
    out = [struct.pack(byteorder + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)]
    for f in frames:
        ts, data = f[0], f[1]
        orig = f[2] if len(f) > 2 else len(data)  # type: ignore[misc]
        sec, ns = divmod(ts, 1_000_000_000)
        out.append(
            struct.pack(byteorder + "IIII", sec, ns if nanosecond else ns // 1000, len(data), orig)
            + data
        )
    return b"".join(out)


def pcapng(
    sections: list[tuple[str, list[tuple[int, int]], list[tuple[int, int, bytes]]]],
) -> bytes:
    """A pcapng file: sections of (byteorder, [(linktype, tsresol)], [(iface, ts_raw, data)])."""
    out = b""
    for bo, ifaces, packets in sections:

        def block(t: int, body: bytes, bo: str = bo) -> bytes:
            body += b"\x00" * (-len(body) % 4)
            return (
                struct.pack(bo + "II", t, len(body) + 12)
                + body
                + struct.pack(bo + "I", len(body) + 12)
            )

        out += block(0x0A0D0D0A, struct.pack(bo + "IHHq", 0x1A2B3C4D, 1, 0, -1))
        for lt, res in ifaces:
            opts = (
                struct.pack(bo + "HH", 9, 1)
                + bytes([res])
                + b"\x00\x00\x00"
                + struct.pack(bo + "HH", 0, 0)
            )
            out += block(1, struct.pack(bo + "HHI", lt, 0, 0) + opts)
        for iface, ts, data in packets:
            out += block(
                6,
                struct.pack(bo + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
                + data,
            )
    return out
