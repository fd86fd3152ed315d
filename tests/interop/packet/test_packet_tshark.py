"""tshark dissects the pcap and pcapng files wirekit writes and must agree field by field.

Every tshark field below is derived from wirekit's own dissection of the same bytes (all
occurrences, in order), so both sides are checked. Reassembly is switched off in tshark:
on fragments and IPv6 extension headers the crafted bytes are the ground truth, asserted
separately.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from peerlib import require_tool
from wirekit.packet import linktype
from wirekit.packet.fragment import fragment
from wirekit.packet.layer import Layer
from wirekit.packet.layers import (
    ARP,
    DHCP,
    DNS,
    DNSQR,
    DNSRR,
    ICMP,
    SLL,
    SLL2,
    TCP,
    UDP,
    Dot1Q,
    Ether,
    ICMPv6,
    ICMPv6Echo,
    IPv4,
    IPv6,
    IPv6DestOpts,
    IPv6Fragment,
    IPv6HopByHop,
    IPv6Routing,
    NDNeighborAdvert,
    NDNeighborSolicit,
    Null,
)
from wirekit.packet.pcap import PcapWriter
from wirekit.packet.pcapng import PcapNgWriter

pytestmark = pytest.mark.interop


def _name(n: str) -> str:
    return n.rstrip(".") or "<Root>"


def _tcp_opt(kind: str, pick: Callable[[Any], Any]) -> Callable[[TCP], list[Any]]:
    return lambda t: [pick(v) for k, v in t.options if k == kind]


def _dns_rd(rtype: int, pick: Callable[[Any], Any] = lambda x: x) -> Callable[[DNS], list[Any]]:
    return lambda d: [
        pick(rr.rdata) for sec in (d.an, d.ns, d.ar) for rr in sec if rr.type == rtype
    ]


#: tshark field -> (wirekit layer, values of that layer for the field)
FIELDS: dict[str, tuple[type[Layer] | tuple[type[Layer], ...], Callable[[Any], Any]]] = {
    "eth.src": (Ether, lambda e: e.src),
    "eth.dst": (Ether, lambda e: e.dst),
    "eth.type": (Ether, lambda e: e.type),
    "vlan.id": (Dot1Q, lambda v: v.vlan),
    "vlan.priority": (Dot1Q, lambda v: v.pcp),
    "vlan.etype": (Dot1Q, lambda v: v.type),
    "arp.opcode": (ARP, lambda a: a.op),
    "arp.src.hw_mac": (ARP, lambda a: a.hwsrc),
    "arp.src.proto_ipv4": (ARP, lambda a: a.psrc),
    "arp.dst.proto_ipv4": (ARP, lambda a: a.pdst),
    "sll.pkttype": ((SLL, SLL2), lambda s: s.pkttype),  # tshark's sll dissector also covers SLL2
    "sll.etype": ((SLL, SLL2), lambda s: s.proto),
    "null.family": (Null, lambda n: n.family),
    "ip.src": (IPv4, lambda i: i.src),
    "ip.dst": (IPv4, lambda i: i.dst),
    "ip.ttl": (IPv4, lambda i: i.ttl),
    "ip.id": (IPv4, lambda i: i.id),
    "ip.len": (IPv4, lambda i: i.len),
    "ip.proto": (IPv4, lambda i: i.proto),
    "ip.hdr_len": (IPv4, lambda i: i.ihl * 4),
    "ip.flags.mf": (IPv4, lambda i: int(i.flags) & 1),
    "ip.flags.df": (IPv4, lambda i: int(i.flags) >> 1 & 1),
    "ip.frag_offset": (IPv4, lambda i: i.frag),  # tshark 4.0 reports 8-byte units
    "ip.checksum": (IPv4, lambda i: i.chksum),
    "ip.opt.type": (IPv4, lambda i: [k for k, _ in i.options]),
    "ipv6.src": (IPv6, lambda i: i.src),
    "ipv6.dst": (IPv6, lambda i: i.dst),
    "ipv6.nxt": (IPv6, lambda i: i.nh),
    "ipv6.plen": (IPv6, lambda i: i.plen),
    "ipv6.hlim": (IPv6, lambda i: i.hlim),
    "ipv6.flow": (IPv6, lambda i: i.fl),
    "ipv6.hopopts.nxt": (IPv6HopByHop, lambda h: h.nh),
    "ipv6.dstopts.nxt": (IPv6DestOpts, lambda h: h.nh),
    "ipv6.routing.type": (IPv6Routing, lambda r: r.type),
    "ipv6.routing.segleft": (IPv6Routing, lambda r: r.segleft),
    "ipv6.fraghdr.nxt": (IPv6Fragment, lambda f: f.nh),
    "ipv6.fraghdr.offset": (IPv6Fragment, lambda f: f.offset),
    "ipv6.fraghdr.more": (IPv6Fragment, lambda f: f.m),
    "ipv6.fraghdr.ident": (IPv6Fragment, lambda f: f.id),
    "icmp.type": (ICMP, lambda i: i.type),
    "icmp.code": (ICMP, lambda i: i.code),
    "icmp.checksum": (ICMP, lambda i: i.chksum),
    "icmpv6.type": (ICMPv6, lambda i: i.type),
    "icmpv6.code": (ICMPv6, lambda i: i.code),
    "icmpv6.checksum": (ICMPv6, lambda i: i.chksum),
    "icmpv6.echo.identifier": (ICMPv6Echo, lambda e: e.id),
    "icmpv6.echo.sequence_number": (ICMPv6Echo, lambda e: e.seq),
    "icmpv6.nd.ns.target_address": (NDNeighborSolicit, lambda n: n.target),
    "icmpv6.nd.na.target_address": (NDNeighborAdvert, lambda n: n.target),
    "icmpv6.nd.na.flag.s": (NDNeighborAdvert, lambda n: n.S),
    "tcp.srcport": (TCP, lambda t: t.sport),
    "tcp.dstport": (TCP, lambda t: t.dport),
    "tcp.seq_raw": (TCP, lambda t: t.seq),
    "tcp.ack_raw": (TCP, lambda t: t.ack),
    "tcp.flags": (TCP, lambda t: int(t.flags)),
    "tcp.window_size_value": (TCP, lambda t: t.window),
    "tcp.hdr_len": (TCP, lambda t: t.dataofs * 4),
    "tcp.checksum": (TCP, lambda t: t.chksum),
    "tcp.options.mss_val": (TCP, _tcp_opt("MSS", lambda v: v)),
    "tcp.options.wscale.shift": (TCP, _tcp_opt("WScale", lambda v: v)),
    "tcp.options.timestamp.tsval": (TCP, _tcp_opt("Timestamp", lambda v: v[0])),
    "tcp.options.timestamp.tsecr": (TCP, _tcp_opt("Timestamp", lambda v: v[1])),
    "tcp.options.sack_le": (
        TCP,
        lambda t: [le for k, v in t.options if k == "SAck" for le, _ in v],
    ),
    "udp.srcport": (UDP, lambda u: u.sport),
    "udp.dstport": (UDP, lambda u: u.dport),
    "udp.length": (UDP, lambda u: u.len),
    "udp.checksum": (UDP, lambda u: u.chksum),
    "dns.id": (DNS, lambda d: d.id),
    "dns.flags.response": (DNS, lambda d: d.qr),
    "dns.flags.rcode": (
        DNS,
        lambda d: d.rcode if d.qr else None,
    ),  # tshark shows rcode on responses only
    "dns.count.queries": (DNS, lambda d: d.qdcount),
    "dns.count.answers": (DNS, lambda d: d.ancount),
    "dns.count.add_rr": (DNS, lambda d: d.arcount),
    "dns.qry.name": (DNS, lambda d: [_name(q.qname) for q in d.qd]),
    "dns.qry.type": (DNS, lambda d: [q.qtype for q in d.qd]),
    "dns.a": (DNS, _dns_rd(1)),
    "dns.aaaa": (DNS, _dns_rd(28)),
    "dns.cname": (DNS, _dns_rd(5, _name)),
    "dns.ns": (DNS, _dns_rd(2, _name)),
    "dns.ptr.domain_name": (DNS, _dns_rd(12, _name)),
    "dns.mx.preference": (DNS, _dns_rd(15, lambda r: r[0])),
    "dns.mx.mail_exchange": (DNS, _dns_rd(15, lambda r: _name(r[1]))),
    "dns.soa.mname": (DNS, _dns_rd(6, lambda r: _name(r[0]))),
    "dns.soa.rname": (DNS, _dns_rd(6, lambda r: _name(r[1]))),
    "dns.soa.serial_number": (DNS, _dns_rd(6, lambda r: r[2])),
    "dns.srv.port": (DNS, _dns_rd(33, lambda r: r[2])),
    "dns.srv.target": (DNS, _dns_rd(33, lambda r: _name(r[3]))),
    "dns.txt": (DNS, _dns_rd(16, lambda r: [s.decode() for s in r])),
    "dns.rr.udp_payload_size": (DNS, lambda d: [rr.rclass for rr in d.ar if rr.type == 41]),
    "dhcp.id": (DHCP, lambda d: d.xid),
    "dhcp.option.dhcp": (DHCP, lambda d: d.message_type()),
    "dhcp.option.hostname": (DHCP, lambda d: [v for k, v in d.options if k == "hostname"]),
    "dhcp.option.requested_ip_address": (
        DHCP,
        lambda d: [v for k, v in d.options if k == "requested_addr"],
    ),
    "dhcp.hw.mac_addr": (DHCP, lambda d: d.chaddr[:6].hex(":")),
}
STATUS = [
    "ip.checksum.status",
    "tcp.checksum.status",
    "udp.checksum.status",
    "icmp.checksum.status",
    "icmpv6.checksum.status",
]


def _flat(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [y for x in v for y in _flat(x)]
    return [v]


def _norm(s: str) -> str:
    s = s.strip()
    try:
        return str(int(s, 0))
    except ValueError:
        return s.lower()


def expected(p: Layer) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, (cls, fn) in FIELDS.items():
        vals = [
            _norm(str(x))
            for layer in p.layers()
            if isinstance(layer, cls)
            for x in _flat(fn(layer))
        ]
        out[field] = vals
    return out


def scenarios() -> list[tuple[int, Layer]]:
    dns = DNS(
        id=77,
        qr=1,
        qd=[DNSQR("www.example.com.", "A")],
        an=[
            DNSRR("www.example.com.", "CNAME", ttl=60, rdata="example.com."),
            DNSRR("example.com.", "A", ttl=60, rdata="93.184.216.34"),
            DNSRR("example.com.", "AAAA", ttl=60, rdata="2001:db8::1"),
            DNSRR("example.com.", "MX", rdata=(10, "mail.example.com.")),
            DNSRR("example.com.", "TXT", rdata=[b"hello world"]),
            DNSRR("_sip._tcp.example.com.", "SRV", rdata=(1, 2, 5060, "sip.example.com.")),
            DNSRR(
                "example.com.",
                "SOA",
                rdata=("ns.example.com.", "hostmaster.example.com.", 2024, 2, 3, 4, 5),
            ),
            DNSRR("4.3.2.1.in-addr.arpa.", "PTR", rdata="host.example."),
            DNSRR("example.com.", "NS", rdata="ns.example.com."),
        ],
        ar=[DNSRR(".", "OPT", rclass=1232, rdata=[(10, b"12345678")])],
    )
    mac = "00:11:22:33:44:55"
    frags = [
        Ether(src=mac) / f
        for f in fragment(
            IPv4(src="10.0.0.1", dst="10.0.0.2", id=4242)
            / UDP(sport=7000, dport=7001)
            / (bytes(range(256)) * 6),
            mtu=600,
        )
    ]
    return [
        (
            linktype.EN10MB,
            Ether(src=mac, dst="66:77:88:99:aa:bb")
            / IPv4(
                src="10.0.0.1",
                dst="10.0.0.2",
                ttl=33,
                id=99,
                flags="D",
                options=[(148, b"\x00\x00")],
            )
            / TCP(
                sport=1234,
                dport=80,
                seq=1000,
                ack=55,
                flags="SA",
                window=1024,
                options=[
                    ("MSS", 1460),
                    ("SAckOK", b""),
                    ("Timestamp", (7, 9)),
                    ("NOP", None),
                    ("WScale", 7),
                ],
            )
            / b"hi",
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv4(src="10.0.0.2", dst="10.0.0.1")
            / TCP(
                sport=80,
                dport=1234,
                flags="A",
                seq=1,
                ack=2,
                options=[("NOP", None), ("NOP", None), ("SAck", [(100, 200), (300, 400)])],
            ),
        ),
        (
            linktype.EN10MB,
            Ether()
            / Dot1Q(vlan=100, pcp=3)
            / Dot1Q(vlan=7)
            / IPv4(src="1.1.1.1", dst="2.2.2.2")
            / UDP(sport=5353, dport=53)
            / dns,
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv4(src="10.9.9.9", dst="10.0.0.53")
            / UDP(sport=33333, dport=53)
            / DNS(id=9, qd=[DNSQR("example.org.", "AAAA")], ar=[DNSRR(".", "OPT", rclass=4096)]),
        ),
        (
            linktype.EN10MB,
            Ether()
            / ARP(op=2, hwsrc=mac, psrc="10.0.0.5", hwdst="66:77:88:99:aa:bb", pdst="10.0.0.6"),
        ),
        (linktype.EN10MB, Ether() / ARP(op=1, hwsrc=mac, psrc="10.0.0.5", pdst="10.0.0.6")),
        (
            linktype.EN10MB,
            Ether()
            / IPv4(src="10.0.0.1", dst="10.0.0.2")
            / ICMP(type=8, id=5, seq=6)
            / b"abcdefgh",
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv4(src="10.0.0.1", dst="10.0.0.2")
            / ICMP(type=11, code=0)
            / IPv4(src="10.0.0.2", dst="8.8.8.8", ttl=1)
            / UDP(sport=4000, dport=53),
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv4(src="10.0.0.1", dst="10.0.0.2")
            / ICMP(type=3, code=3)
            / IPv4(src="10.0.0.2", dst="10.0.0.1")
            / UDP(sport=4001, dport=9),
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv6(src="2001:db8::1", dst="2001:db8::2", fl=0x12345)
            / ICMPv6(type=128)
            / ICMPv6Echo(id=3, seq=4)
            / b"xy",
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255)
            / ICMPv6(type=135)
            / NDNeighborSolicit(target="fe80::2", options=[(1, mac)]),
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv6(src="fe80::2", dst="fe80::1", hlim=255)
            / ICMPv6(type=136)
            / NDNeighborAdvert(S=1, target="fe80::2", options=[(2, "66:77:88:99:aa:bb")]),
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv6(src="2001:db8::1", dst="2001:db8::2")
            / IPv6HopByHop(options=[(5, b"\x00\x00")])
            / IPv6DestOpts()
            / IPv6Routing(type=0, segleft=0)
            / UDP(sport=1, dport=2)
            / b"ext",
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv6(src="2001:db8::1", dst="2001:db8::2")
            / IPv6Fragment(id=0xABCD, m=1)
            / UDP(sport=10, dport=20, len=1000)
            / bytes(8),
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv6(src="2001:db8::1", dst="2001:db8::2")
            / IPv6Fragment(nh=17, id=0xABCD, offset=2)
            / bytes(32),
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv6(src="2001:db8::1", dst="2001:db8::2")
            / TCP(sport=443, dport=50000, flags="FA"),
        ),
        (
            linktype.EN10MB,
            Ether()
            / IPv4(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67)
            / DHCP(
                xid=0x1234,
                chaddr=bytes.fromhex("001122334455") + bytes(10),
                options=[
                    ("message-type", 1),
                    ("hostname", "box"),
                    ("requested_addr", "10.0.0.9"),
                    ("param_req_list", [1, 3, 6]),
                ],
            ),
        ),
        *[(linktype.EN10MB, f) for f in frags],
        (
            linktype.LINUX_SLL,
            SLL(pkttype=4, addr=bytes.fromhex("001122334455") + bytes(2))
            / IPv4(src="10.0.0.1", dst="10.0.0.3")
            / UDP(sport=9, dport=10)
            / b"sll",
        ),
        (
            linktype.LINUX_SLL2,
            SLL2(ifindex=3, pkttype=0)
            / IPv6(src="::1", dst="::1")
            / UDP(sport=9, dport=10)
            / b"sll2",
        ),
        (linktype.NULL, Null() / IPv4(src="127.0.0.1", dst="127.0.0.1") / ICMP()),
        (linktype.RAW, IPv4(src="192.0.2.1", dst="192.0.2.2") / TCP(sport=1, dport=2)),
    ]


TSHARK_OPTS = [
    "-o", "ip.check_checksum:TRUE",
    "-o", "tcp.check_checksum:TRUE",
    "-o", "udp.check_checksum:TRUE",
    "-o", "ip.defragment:FALSE",
    "-o", "ipv6.defragment:FALSE",
    "-o", "tcp.analyze_sequence_numbers:FALSE",
]  # fmt: skip


def run_tshark(path: Path, fields: list[str]) -> list[dict[str, list[str]]]:
    tshark = require_tool("tshark")
    args = [
        tshark,
        "-n",
        "-r",
        str(path),
        *TSHARK_OPTS,
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=\x1f",
    ]
    for f in fields:
        args += ["-e", f]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr
    rows = []
    for line in proc.stdout.splitlines():
        cells = line.split("\t")
        rows.append(
            {
                f: [_norm(x) for x in c.split("\x1f") if x != ""]
                for f, c in zip(fields, cells, strict=True)
            }
        )
    return rows


def _check(packets: list[Layer], rows: list[dict[str, list[str]]]) -> None:
    assert len(rows) == len(packets)
    problems = []
    for i, (p, row) in enumerate(zip(packets, rows, strict=True), 1):
        want = expected(p)
        for field, vals in want.items():
            if row[field] != vals:
                problems.append(
                    f"packet {i} ({p.summary()}): {field}: tshark {row[field]} != wirekit {vals}"
                )
        fragment = IPv6Fragment in p or (IPv4 in p and (p[IPv4].frag or int(p[IPv4].flags) & 1))
        for st in STATUS:
            if row[st]:
                # 1 = good; 2 = unverified, which tshark says only when a fragment hides the rest
                ok = ("1", "2") if fragment else ("1",)
                assert row[st][0] in ok, f"packet {i} ({p.summary()}): {st} = {row[st]}"
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def built() -> list[tuple[int, Layer]]:
    return [(lt, Layer.parse(bytes(p), linktype=lt)) for lt, p in scenarios()]


def test_pcapng_multi_linktype_agrees_with_tshark(
    tmp_path: Path, built: list[tuple[int, Layer]]
) -> None:
    path = tmp_path / "all.pcapng"
    with PcapNgWriter(str(path)) as w:
        for i, (lt, p) in enumerate(built):
            w.write(bytes(p), 1_700_000_000_000_000_000 + i * 1000, linktype=lt)
    _check([p for _, p in built], run_tshark(path, list(FIELDS) + STATUS))


def test_pcap_per_linktype_agrees_with_tshark(
    tmp_path: Path, built: list[tuple[int, Layer]]
) -> None:
    by_lt: dict[int, list[Layer]] = {}
    for lt, p in built:
        by_lt.setdefault(lt, []).append(p)
    for lt, packets in by_lt.items():
        path = tmp_path / f"lt{lt}.pcap"
        with PcapWriter(str(path), linktype=lt, nanosecond=lt == linktype.RAW) as w:
            for i, p in enumerate(packets):
                w.write(bytes(p), 1_700_000_000_000_000_000 + i)
        _check(packets, run_tshark(path, list(FIELDS) + STATUS))


def test_timestamps_and_lengths_agree(tmp_path: Path) -> None:
    path = tmp_path / "ts.pcapng"
    with PcapNgWriter(str(path)) as w:
        w.write(
            bytes(Ether() / IPv4() / UDP() / bytes(100)), 1_700_000_123_456_789_012, orig_len=1500
        )
    row = run_tshark(path, ["frame.time_epoch", "frame.len", "frame.cap_len"])[0]
    assert (
        row["frame.time_epoch"] == ["1700000123.456789012"]
        and row["frame.len"] == ["1500"]
        and row["frame.cap_len"] == ["142"]
    )


def test_fragments_and_ext_headers_ground_truth(built: list[tuple[int, Layer]]) -> None:
    """The crafted bytes are the truth: ports only on the first fragment, the upper protocol after extension headers."""
    frags = [p for _, p in built if IPv4 in p and (p[IPv4].frag or int(p[IPv4].flags) & 1)]
    assert len(frags) >= 3
    assert UDP in frags[0] and frags[0][IPv4].frag == 0
    assert all(UDP not in f for f in frags[1:])
    assert [f[IPv4].frag * 8 for f in frags] == [i * 576 for i in range(len(frags))]
    ext = next(p for _, p in built if IPv6HopByHop in p)
    assert ext[IPv6].nh == 0 and ext[IPv6].upper().name == "UDP"
    f6 = [p for _, p in built if IPv6Fragment in p]
    assert UDP in f6[0] and UDP not in f6[1]
