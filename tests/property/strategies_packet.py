"""Hypothesis strategies for wirekit packet layers (valid stacks that must round-trip)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from wirekit.packet.field import ip6_ntoa
from wirekit.packet.layers import (
    ARP,
    DHCP,
    DNS,
    DNSQR,
    DNSRR,
    ICMP,
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
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
macs = st.binary(min_size=6, max_size=6).map(lambda b: b.hex(":"))
ip4s = st.binary(min_size=4, max_size=4).map(lambda b: ".".join(str(x) for x in b))
ip6s = st.binary(min_size=16, max_size=16).map(ip6_ntoa)
payloads = st.binary(min_size=1, max_size=64)
# ports that the default bindings would dissect further (DNS, DHCP) are avoided under Raw payloads
plain_ports = u16.filter(lambda p: p not in (53, 67, 68, 5353))
labels = st.from_regex(r"[a-z0-9][a-z0-9-]{0,14}", fullmatch=True)
names = st.lists(labels, min_size=1, max_size=4).map(lambda xs: ".".join(xs) + ".")


def ether() -> st.SearchStrategy[Any]:
    return st.builds(Ether, dst=macs, src=macs)


tcp_options = st.lists(
    st.one_of(
        st.tuples(st.just("MSS"), u16),
        st.tuples(st.just("WScale"), st.integers(0, 14)),
        st.tuples(st.just("SAckOK"), st.just(b"")),
        st.tuples(st.just("Timestamp"), st.tuples(u32, u32)),
        st.tuples(st.just("NOP"), st.none()),
    ),
    max_size=3,
)


def tcp() -> st.SearchStrategy[Any]:
    return st.builds(
        TCP,
        sport=u16,
        dport=u16,
        seq=u32,
        ack=u32,
        flags=st.integers(0, 0x1FF),
        window=u16,
        urgptr=u16,
        options=tcp_options,
    )


def udp_plain() -> st.SearchStrategy[Any]:
    return st.builds(UDP, sport=plain_ports, dport=plain_ports)


def icmp() -> st.SearchStrategy[Any]:
    return st.builds(ICMP, type=st.sampled_from([0, 8, 13, 14]), code=u8, id=u16, seq=u16)


rrs = st.one_of(
    st.builds(DNSRR, names, st.just("A"), st.just(1), u32, ip4s),
    st.builds(DNSRR, names, st.just("AAAA"), st.just(1), u32, ip6s),
    st.builds(DNSRR, names, st.sampled_from(["CNAME", "NS", "PTR"]), st.just(1), u32, names),
    st.builds(DNSRR, names, st.just("MX"), st.just(1), u32, st.tuples(u16, names)),
    st.builds(
        DNSRR,
        names,
        st.just("TXT"),
        st.just(1),
        u32,
        st.lists(st.binary(max_size=40), min_size=1, max_size=3),
    ),
    st.builds(DNSRR, names, st.just("SRV"), st.just(1), u32, st.tuples(u16, u16, u16, names)),
    st.builds(
        DNSRR,
        names,
        st.just("SOA"),
        st.just(1),
        u32,
        st.tuples(names, names, u32, u32, u32, u32, u32),
    ),
)


def dns() -> st.SearchStrategy[Any]:
    return st.builds(
        DNS,
        id=u16,
        qr=st.integers(0, 1),
        rd=st.integers(0, 1),
        rcode=st.integers(0, 15),
        qd=st.lists(st.builds(DNSQR, names, st.sampled_from([1, 28, 15, 16, 33])), max_size=3),
        an=st.lists(rrs, max_size=4),
        ns=st.lists(rrs, max_size=2),
        ar=st.lists(
            st.builds(
                DNSRR,
                st.just("."),
                st.just("OPT"),
                u16,
                u32,
                st.lists(st.tuples(u16, st.binary(max_size=8)), max_size=2),
            ),
            max_size=1,
        ),
    )


dhcp_opts = st.lists(
    st.one_of(
        st.tuples(st.just("message-type"), st.integers(1, 8)),
        st.tuples(st.just("hostname"), st.from_regex(r"[a-z]{1,12}", fullmatch=True)),
        st.tuples(st.just("requested_addr"), ip4s),
        st.tuples(st.just("lease_time"), u32),
        st.tuples(st.just("param_req_list"), st.lists(st.integers(1, 254), min_size=1, max_size=5)),
        st.tuples(st.just("router"), st.lists(ip4s, min_size=1, max_size=2)),
    ),
    max_size=4,
    unique_by=lambda t: t[0],
)


def dhcp() -> st.SearchStrategy[Any]:
    return st.builds(
        DHCP,
        op=st.integers(1, 2),
        xid=u32,
        secs=u16,
        flags=u16,
        ciaddr=ip4s,
        yiaddr=ip4s,
        chaddr=st.binary(min_size=16, max_size=16),
        options=dhcp_opts,
    )


def ipv4() -> st.SearchStrategy[Any]:
    opts = st.lists(
        st.sampled_from([(148, b"\x00\x00"), (1, b""), (7, b"\x04\x00\x00\x00\x00")]), max_size=2
    )
    return st.builds(
        IPv4, tos=u8, id=u16, flags=st.integers(0, 2), ttl=u8, src=ip4s, dst=ip4s, options=opts
    )


def ipv6() -> st.SearchStrategy[Any]:
    return st.builds(IPv6, tc=u8, fl=st.integers(0, 0xFFFFF), hlim=u8, src=ip6s, dst=ip6s)


ext_headers = st.lists(
    st.one_of(
        st.builds(
            IPv6HopByHop,
            options=st.lists(st.tuples(st.integers(2, 250), st.binary(max_size=6)), max_size=2),
        ),
        st.builds(
            IPv6DestOpts,
            options=st.lists(st.tuples(st.integers(2, 250), st.binary(max_size=6)), max_size=2),
        ),
        st.builds(IPv6Routing, type=u8, segleft=u8, data=st.binary(min_size=4, max_size=4)),
        st.builds(IPv6Fragment, id=u32),
    ),
    max_size=3,
)


@st.composite
def stacks(draw: st.DrawFn) -> Any:
    """A random but well-formed frame: Ether [/ Dot1Q] / (ARP | IPv4 / L4 | IPv6 / ext* / L4)."""
    p = draw(ether())
    if draw(st.booleans()):
        p = p / draw(
            st.builds(
                Dot1Q, pcp=st.integers(0, 7), dei=st.integers(0, 1), vlan=st.integers(0, 4095)
            )
        )
    kind = draw(st.sampled_from(["arp", "ip4", "ip6"]))
    if kind == "arp":
        return p / draw(
            st.builds(ARP, op=st.integers(1, 4), hwsrc=macs, psrc=ip4s, hwdst=macs, pdst=ip4s)
        )
    if kind == "ip4":
        p = p / draw(ipv4())
        l4 = draw(st.sampled_from(["tcp", "udp", "dns", "dhcp", "icmp"]))
    else:
        p = p / draw(ipv6())
        for h in draw(ext_headers):
            p = p / h
        l4 = draw(st.sampled_from(["tcp", "udp", "dns", "icmp6", "nd"]))
    if l4 == "tcp":
        p = p / draw(tcp())
    elif l4 == "udp":
        p = p / draw(udp_plain())
    elif l4 == "dns":
        return p / UDP(sport=draw(plain_ports), dport=53) / draw(dns())
    elif l4 == "dhcp":
        return p / UDP(sport=68, dport=67) / draw(dhcp())
    elif l4 == "icmp":
        p = p / draw(icmp())
    elif l4 == "icmp6":
        p = (
            p
            / ICMPv6(type=draw(st.sampled_from([128, 129])))
            / draw(st.builds(ICMPv6Echo, id=u16, seq=u16))
        )
    else:
        return (
            p
            / ICMPv6(type=135)
            / draw(
                st.builds(
                    NDNeighborSolicit,
                    target=ip6s,
                    options=st.lists(st.tuples(st.just(1), macs), max_size=1),
                )
            )
        )
    if draw(st.booleans()):
        p = p / draw(payloads)
    return p
