"""Layer API: build, parse, stacking semantics, AUTO fields, errors, export."""

from __future__ import annotations

import json

import dpkt
import pytest

from wirekit.errors import DecodeError, LocalProtocolError
from wirekit.packet import linktype
from wirekit.packet.bindings import DEFAULT_BINDINGS
from wirekit.packet.checksum import checksum
from wirekit.packet.field import AUTO
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
    NDNeighborSolicit,
    Null,
    Packet,
    Raw,
)


def frame() -> Packet:
    return (
        Ether(dst="00:11:22:33:44:55", src="66:77:88:99:aa:bb")
        / IPv4(src="10.0.0.1", dst="10.0.0.2", id=7)
        / TCP(sport=1234, dport=80, flags="PA", seq=5, ack=9, window=8192)
        / b"hello"
    )


def test_build_matches_dpkt_field_by_field() -> None:
    b = bytes(frame())
    e = dpkt.ethernet.Ethernet(b)
    assert e.dst.hex() == "001122334455" and e.type == 0x0800
    ip = e.data
    assert isinstance(ip, dpkt.ip.IP)
    assert ip.len == 20 + 20 + 5 and ip.p == 6 and ip.id == 7 and ip.ttl == 64
    assert checksum(b[14:34]) == 0  # a correct header checksums to zero
    tcp = ip.data
    assert (tcp.sport, tcp.dport, tcp.seq, tcp.ack, tcp.flags) == (1234, 80, 5, 9, 0x18)
    assert tcp.data == b"hello"
    # TCP checksum verified over the pseudo header
    pseudo = b[26:34] + bytes([0, 6]) + (25).to_bytes(2, "big")
    assert checksum(pseudo + b[34:]) == 0


def test_parse_round_trip_and_fields() -> None:
    p = frame()
    q = Packet.parse(bytes(p))
    assert q == p
    assert [type(x) for x in q.layers()] == [Ether, IPv4, TCP, Raw]
    assert q[IPv4].src == "10.0.0.1" and q[TCP].dport == 80
    assert q[TCP].flags == "PA" and str(q[TCP].flags) == "PA" and "P" in q[TCP].flags
    assert TCP in q and UDP not in q
    assert q[Raw].load == b"hello"
    assert bytes(q) == bytes(p)


def test_stacking_never_changes_named_operands() -> None:
    base = Ether() / IPv4(dst="10.0.0.9")
    a = base / TCP()
    b = base / UDP()
    assert base.payload.payload is None
    assert TCP in a and UDP in b and UDP not in a
    ip = IPv4(ttl=3)
    one = ip / TCP()
    assert ip.payload is None and one[IPv4] is not ip
    t = TCP(dport=1)
    p1 = IPv4() / t
    p2 = IPv4() / t
    p1[TCP].dport = 2
    assert p2[TCP].dport == 1 and t.dport == 1


def test_bytes_does_not_change_packet() -> None:
    p = frame()
    before = p.fields(), p[IPv4].fields()
    bytes(p)
    assert (p.fields(), p[IPv4].fields()) == before
    assert p[IPv4].chksum is AUTO and p[IPv4].src == "10.0.0.1"


def test_auto_fields_and_replace() -> None:
    p = Packet.parse(bytes(frame()))
    q = p.replace(ttl=1, dport=443)
    qq = Packet.parse(bytes(q))
    assert qq[IPv4].ttl == 1 and qq[TCP].dport == 443
    assert checksum(bytes(qq)[14:34]) == 0
    assert p[IPv4].ttl == 64  # the original is unchanged


def test_unknown_field_is_an_error() -> None:
    with pytest.raises(TypeError, match="tll"):
        IPv4(tll=5)
    with pytest.raises(LocalProtocolError, match="ttl"):
        bytes(IPv4(ttl=300))
    with pytest.raises(LocalProtocolError, match="IPv4 address"):
        bytes(IPv4(src="1.2.3"))


def test_truncated_and_malformed_are_distinct() -> None:
    b = bytes(frame())
    with pytest.raises(DecodeError) as ei:
        IPv4.parse(b[14:30])
    assert ei.value.truncated and ei.value.layer == "IPv4" and ei.value.offset == 0
    bad = bytearray(b[14:])
    bad[0] = 0x45 & 0xF0 | 2  # IHL 2 < 5
    with pytest.raises(DecodeError) as ei:
        IPv4.parse(bytes(bad))
    assert not ei.value.truncated
    # a packet whose TCP header is cut keeps the rest as Raw with the error
    p = Packet.parse(b[:40])
    raw = p[Raw]
    assert raw.error is not None and raw.error.truncated and raw.error.layer == "TCP"
    assert raw.load == b[34:40]


def test_show_summary_hexdump_json() -> None:
    p = Packet.parse(bytes(frame()))
    assert (
        p.summary()
        == "IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [P.], seq 5, ack 9, win 8192, length 5"
    )
    tree = p.show()
    assert "###[ TCP ]###" in tree and "flags" in tree and "PA" in tree
    assert "68 65 6c 6c" in p.hexdump().replace("6c6f", "6c 6f")
    d = json.loads(p.dumps())
    assert d[1]["layer"] == "IPv4" and d[1]["src"] == "10.0.0.1" and d[2]["flags"] == 0x18
    assert "Raw" in repr(p)


def test_vlan_qinq_and_arp() -> None:
    p = (
        Ether()
        / Dot1Q(vlan=100)
        / Dot1Q(vlan=7, pcp=5)
        / ARP(op="who-has", psrc="10.0.0.1", pdst="10.0.0.2")
    )
    e = dpkt.ethernet.Ethernet(bytes(p))
    q = Packet.parse(bytes(p))
    assert [type(x) for x in q.layers()] == [Ether, Dot1Q, Dot1Q, ARP]
    assert q[Dot1Q].vlan == 100 and q.payload.payload.pcp == 5
    assert q[ARP].pdst == "10.0.0.2" and q[ARP].op == 1
    assert e.vlan_tags[0].id == 100 and e.vlan_tags[1].id == 7
    assert "who-has 10.0.0.2 tell 10.0.0.1" in q.summary()


def test_ipv4_options_fragments() -> None:
    p = (
        IPv4(src="1.1.1.1", dst="2.2.2.2", options=[(148, b"\x00\x00")], flags="M", frag=0)
        / UDP(sport=1, dport=2)
        / (b"x" * 20)
    )
    q = IPv4.parse(bytes(p))
    assert q.ihl == 6 and q.options == [(148, b"\x00\x00")] and q.flags == "M"
    assert UDP in q
    later = IPv4.parse(bytes(IPv4(frag=3, proto=17) / (b"y" * 16)))
    assert UDP not in later and later[Raw].load == b"y" * 16  # no ports on non-first fragments


def test_ipv6_ext_headers_and_icmpv6() -> None:
    p = (
        IPv6(src="fe80::1", dst="ff02::1")
        / IPv6HopByHop(options=[(5, b"\x00\x00")])
        / IPv6DestOpts()
        / IPv6Routing(type=0, segleft=0)
        / IPv6Fragment(id=9)
        / ICMPv6(type="echo-request")
        / ICMPv6Echo(id=1, seq=2)
        / b"ping"
    )
    b = bytes(p)
    q = IPv6.parse(b)
    assert [type(x).__name__ for x in q.layers()] == [
        "IPv6",
        "IPv6HopByHop",
        "IPv6DestOpts",
        "IPv6Routing",
        "IPv6Fragment",
        "ICMPv6",
        "ICMPv6Echo",
        "Raw",
    ]
    assert q.nh == 0 and q[IPv6HopByHop].nh == 60 and q[IPv6Fragment].nh == 58
    assert q.upper().name == "ICMPv6"
    assert q[IPv6HopByHop].options[0] == (5, b"\x00\x00")
    assert (len(bytes(q[IPv6HopByHop])) - len(bytes(q[IPv6DestOpts]))) % 8 == 0
    # checksum over the RFC 8200 pseudo-header
    icmp = b[40 + 8 + 8 + 8 + 8 :]
    pseudo = q.pseudo_sum(58, len(icmp))
    from wirekit.packet.checksum import csum_sum, finish

    assert finish(pseudo + csum_sum(icmp)) == 0
    ns = IPv6.parse(
        bytes(
            IPv6()
            / ICMPv6(type=135)
            / NDNeighborSolicit(target="fe80::2", options=[(1, "00:11:22:33:44:55")])
        )
    )
    assert ns[NDNeighborSolicit].target == "fe80::2" and ns[NDNeighborSolicit].options == [
        (1, "00:11:22:33:44:55")
    ]


def test_icmp_error_quotes_packet() -> None:
    inner = IPv4(src="10.0.0.2", dst="8.8.8.8") / UDP(sport=5000, dport=53)
    p = IPv4(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=11, code=0) / inner
    q = IPv4.parse(bytes(p))
    assert q[ICMP].type == 11
    quoted = q[ICMP].payload
    assert isinstance(quoted, IPv4) and quoted.dst == "8.8.8.8" and quoted[UDP].dport == 53


def test_dns_compression_both_ways() -> None:
    d = DNS(
        id=77,
        qr=1,
        qd=[DNSQR("www.example.com.", "A")],
        an=[
            DNSRR("www.example.com.", "CNAME", ttl=60, rdata="example.com."),
            DNSRR("example.com.", "A", ttl=60, rdata="93.184.216.34"),
            DNSRR("example.com.", "AAAA", ttl=60, rdata="2606:2800::1"),
            DNSRR("example.com.", "MX", rdata=(10, "mail.example.com.")),
            DNSRR("example.com.", "TXT", rdata=[b"v=spf1 -all", b"x"]),
            DNSRR("_sip._tcp.example.com.", "SRV", rdata=(1, 2, 5060, "sip.example.com.")),
            DNSRR(
                "example.com.", "SOA", rdata=("ns.example.com.", "host.example.com.", 1, 2, 3, 4, 5)
            ),
            DNSRR("1.0.0.127.in-addr.arpa.", "PTR", rdata="localhost."),
            DNSRR("example.com.", "NS", rdata="ns.example.com."),
        ],
        ar=[DNSRR(".", "OPT", rclass=1232, rdata=[(10, b"cookie12")])],
    )
    b = bytes(d)
    assert (
        b.count(b"example") == 2
    )  # once in the question, once in the SRV target (RFC 2782: never compressed)
    q = DNS.parse(b)
    assert q.an == d.an and q.qd == d.qd and q.ar == d.ar and q.ancount == 9
    ref = dpkt.dns.DNS(b)
    assert ref.id == 77 and len(ref.an) == 9 and ref.an[1].ip == bytes([93, 184, 216, 34])
    assert ref.an[0].cname == "example.com" and ref.an[3].mxname == "mail.example.com"


def test_dns_pointer_loop_is_decode_error() -> None:
    msg = (
        bytes.fromhex("0001 0100 0001 0000 0000 0000".replace(" ", ""))
        + b"\xc0\x0c"
        + b"\x00\x01\x00\x01"
    )
    with pytest.raises(DecodeError):
        DNS.parse(msg)


def test_dhcp() -> None:
    p = (
        IPv4(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / DHCP(
            xid=0x1234,
            chaddr=bytes.fromhex("001122334455") + bytes(10),
            options=[("message-type", 1), ("param_req_list", [1, 3, 6]), ("hostname", "box")],
        )
    )
    q = IPv4.parse(bytes(p))
    dh = q[DHCP]
    assert dh.xid == 0x1234 and dh.message_type() == 1
    assert ("hostname", "box") in dh.options and ("param_req_list", [1, 3, 6]) in dh.options
    assert "DHCP discover" in q.summary()


@pytest.mark.parametrize(
    ("lt", "head", "first"),
    [
        (linktype.LINUX_SLL, SLL(pkttype=4), SLL),
        (linktype.LINUX_SLL2, SLL2(ifindex=3), SLL2),
        (linktype.NULL, Null(), Null),
    ],
)
def test_capture_framings(lt: int, head: Packet, first: type[Packet]) -> None:
    b = bytes(head / IPv4(dst="10.1.1.1") / ICMP())
    q = Packet.parse(b, linktype=lt)
    assert isinstance(q, first) and q[IPv4].dst == "10.1.1.1" and ICMP in q


def test_raw_ip_linktype_picks_version() -> None:
    assert isinstance(Packet.parse(bytes(IPv6() / UDP()), linktype=linktype.RAW), IPv6)
    assert isinstance(Packet.parse(bytes(IPv4() / UDP()), linktype=linktype.RAW), IPv4)


def test_bindings_copy_to_extend() -> None:
    class Tiny(Packet):
        __slots__ = ()
        from wirekit.packet.field import Int

        fields_desc = (Int("kind", 0, "B"),)

    mine = DEFAULT_BINDINGS.copy()
    mine.bind(UDP, Tiny, 9999)
    b = bytes(IPv4() / UDP(dport=9999) / b"\x07rest")
    assert isinstance(IPv4.parse(b, bindings=mine)[UDP].payload, Tiny)
    assert isinstance(IPv4.parse(b)[UDP].payload, Raw)  # the default is untouched
    with pytest.raises(Exception, match="frozen"):
        DEFAULT_BINDINGS.bind(UDP, Tiny, 1)


def test_del_field_means_auto() -> None:
    q = Packet.parse(bytes(frame()))
    q[IPv4].ttl = 5
    del q[IPv4].chksum
    assert checksum(bytes(q)[14:34]) == 0


def test_fragment_and_reassemble_built_and_parsed() -> None:
    from wirekit.packet.fragment import fragment, reassemble

    pieces = fragment(
        IPv4(src="10.0.0.1", dst="10.0.0.2", id=5)
        / UDP(sport=1, dport=2)
        / (bytes(range(256)) * 12),
        mtu=1000,
    )
    assert len(pieces) == 4 and all(len(bytes(p)) <= 1000 for p in pieces)
    parsed = [IPv4.parse(bytes(p)) for p in pieces]
    assert UDP in parsed[0] and all(UDP not in p for p in parsed[1:])
    for source in (pieces, parsed[::-1]):
        out = list(reassemble(source))
        assert len(out) == 1 and out[0][UDP].payload.load == bytes(range(256)) * 12


def test_ipv6_text_matches_rfc5952() -> None:
    import ipaddress
    import random

    from wirekit.packet.field import ip6_aton, ip6_ntoa

    rng = random.Random(5)
    for _ in range(2000):
        b = bytes(rng.choice([0, 0, 0, rng.randrange(256)]) for _ in range(16))
        if b[:12] == bytes(10) + b"\xff\xff":
            continue
        assert ip6_ntoa(b) == ipaddress.IPv6Address(b).compressed
        assert ip6_aton(ip6_ntoa(b)) == b
    assert ip6_ntoa(ip6_aton("::ffff:192.0.2.1")) == "::ffff:192.0.2.1"  # RFC 5952 §5 mixed form


def test_icmp_error_summary_is_about_the_error() -> None:
    p = Packet.parse(
        bytes(
            Ether()
            / IPv4(src="10.0.0.1", dst="10.0.0.2")
            / ICMP(type=3, code=3)
            / IPv4(src="10.0.0.2", dst="10.0.0.1")
            / UDP(dport=9)
        )
    )
    assert p.summary() == "IP 10.0.0.1 > 10.0.0.2: ICMP dest-unreach code 3 for 10.0.0.1.9 udp"


def test_strict_parse_raises_the_payload_error_and_describe_fields() -> None:
    b = bytes(frame())
    assert Raw in Packet.parse(b[:40])
    with pytest.raises(DecodeError) as ei:
        Packet.parse(b[:40], strict=True)
    assert ei.value.truncated and ei.value.layer == "TCP" and ei.value.offset == 34
    table = TCP.describe_fields()
    assert "dport" in table and "flags" in table and "9 bits" in table


def test_null_loopback_from_either_byte_order() -> None:
    body = bytes(IPv4(dst="10.1.1.1") / ICMP())
    for order in ("little", "big"):
        p = Packet.parse((2).to_bytes(4, order) + body, linktype=linktype.NULL)
        assert p[IPv4].dst == "10.1.1.1"
