"""sr1 answer matching (sans-IO) and BPF compilation through tcpdump -ddd."""

from __future__ import annotations

import pytest

from peerlib import require_tool
from wirekit.errors import ConfigError
from wirekit.packet.layer import Packet
from wirekit.packet.layers import (
    ARP,
    DNS,
    DNSQR,
    ICMP,
    TCP,
    UDP,
    Ether,
    ICMPv6,
    ICMPv6Echo,
    IPv4,
    IPv6,
)
from wirekit.packet.live import compile_bpf
from wirekit.packet.match import answers


def wire(p: Packet) -> Packet:
    return Packet.parse(bytes(p))


A, B = "10.0.0.1", "10.0.0.2"


def test_icmp_echo() -> None:
    req = wire(Ether() / IPv4(src=A, dst=B) / ICMP(id=7, seq=1))
    assert answers(req, wire(Ether() / IPv4(src=B, dst=A) / ICMP(type=0, id=7, seq=1)))
    assert not answers(req, wire(Ether() / IPv4(src=B, dst=A) / ICMP(type=0, id=7, seq=2)))
    assert not answers(req, wire(Ether() / IPv4(src="10.0.0.3", dst=A) / ICMP(type=0, id=7, seq=1)))
    quoted = wire(
        Ether()
        / IPv4(src="10.9.9.9", dst=A)
        / ICMP(type=11)
        / IPv4(src=A, dst=B, proto=1)
        / ICMP(id=7, seq=1)
    )
    assert answers(req, quoted)


def test_icmpv6_echo() -> None:
    req = wire(
        Ether() / IPv6(src="fe80::1", dst="fe80::2") / ICMPv6(type=128) / ICMPv6Echo(id=1, seq=2)
    )
    assert answers(
        req,
        wire(
            Ether()
            / IPv6(src="fe80::2", dst="fe80::1")
            / ICMPv6(type=129)
            / ICMPv6Echo(id=1, seq=2)
        ),
    )
    assert not answers(
        req,
        wire(
            Ether()
            / IPv6(src="fe80::2", dst="fe80::1")
            / ICMPv6(type=128)
            / ICMPv6Echo(id=1, seq=2)
        ),
    )


def test_tcp_syn() -> None:
    req = wire(Ether() / IPv4(src=A, dst=B) / TCP(sport=5000, dport=80, flags="S", seq=41))
    assert answers(
        req, wire(Ether() / IPv4(src=B, dst=A) / TCP(sport=80, dport=5000, flags="SA", ack=42))
    )
    assert answers(
        req, wire(Ether() / IPv4(src=B, dst=A) / TCP(sport=80, dport=5000, flags="RA", ack=42))
    )
    assert not answers(
        req, wire(Ether() / IPv4(src=B, dst=A) / TCP(sport=80, dport=5000, flags="SA", ack=99))
    )
    assert not answers(
        req, wire(Ether() / IPv4(src=B, dst=A) / TCP(sport=81, dport=5000, flags="SA", ack=42))
    )


def test_dns_and_arp() -> None:
    req = wire(
        Ether() / IPv4(src=A, dst=B) / UDP(sport=3333, dport=53) / DNS(id=9, qd=[DNSQR("x.")])
    )
    assert answers(
        req, wire(Ether() / IPv4(src=B, dst=A) / UDP(sport=53, dport=3333) / DNS(id=9, qr=1))
    )
    assert not answers(
        req, wire(Ether() / IPv4(src=B, dst=A) / UDP(sport=53, dport=3333) / DNS(id=8, qr=1))
    )
    who = wire(Ether() / ARP(op=1, psrc=A, pdst=B))
    assert answers(who, wire(Ether() / ARP(op=2, psrc=B, pdst=A)))
    assert not answers(who, wire(Ether() / ARP(op=2, psrc="10.0.0.3", pdst=A)))


def test_compile_bpf() -> None:
    require_tool("tcpdump")
    prog = compile_bpf("udp port 53")
    assert prog and all(len(insn) == 4 for insn in prog)
    assert prog[-1][0] == 6  # BPF_RET
    with pytest.raises(ConfigError, match="bad BPF filter"):
        compile_bpf("udp port nonsense-words")
