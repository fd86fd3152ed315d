"""Request/response matching for ``sr1``: does a received packet answer the one we sent?

Rules (sans-IO; bytes in, yes/no out): ICMP echo reply with the same id and seq from the
address we pinged (or an ICMP error quoting our packet); ICMPv6 the same; a TCP segment from
dst:dport to src:sport acknowledging seq+1 (SYN-ACK or RST); a DNS response with our id from
the server's port 53; UDP from dst:dport to src:sport otherwise; ARP is-at for the asked address.
"""

from __future__ import annotations

from .layer import Layer
from .layers.dns import DNS
from .layers.ether import ARP
from .layers.inet import ICMP, TCP, UDP, IPv4
from .layers.inet6 import ICMPv6, ICMPv6Echo, IPv6


def _ip(p: Layer) -> Layer | None:
    return p.get(IPv4) or p.get(IPv6)


def answers(request: Layer, response: Layer) -> bool:
    """True when ``response`` answers ``request`` (both parsed or built layers)."""
    arp = request.get(ARP)
    if arp is not None:
        ra = response.get(ARP)
        return ra is not None and bool(ra.op == 2 and ra.psrc == arp.pdst)
    q, a = _ip(request), _ip(response)
    if q is None or a is None:
        return False
    icmp = response.get(ICMP)
    if icmp is not None and icmp.type in (3, 11, 12) and isinstance(icmp.payload, IPv4):
        quoted = icmp.payload
        return bool(
            quoted.src == q.src
            and quoted.dst == q.dst
            and quoted.proto == getattr(q, "proto", None)
        )
    if a.src != q.dst or a.dst != q.src:
        return False
    if ICMP in request:
        e = request[ICMP]
        return icmp is not None and bool(icmp.type == 0 and icmp.id == e.id and icmp.seq == e.seq)
    if ICMPv6Echo in request:
        e6 = request[ICMPv6Echo]
        r6 = response.get(ICMPv6Echo)
        return r6 is not None and bool(
            response[ICMPv6].type == 129 and r6.id == e6.id and r6.seq == e6.seq
        )
    if TCP in request:
        t, rt = request[TCP], response.get(TCP)
        if rt is None or rt.sport != t.dport or rt.dport != t.sport:
            return False
        flags = int(rt.flags)
        if int(t.flags) & 0x02:  # SYN: expect SYN-ACK or RST acking seq + 1
            return bool(flags & 0x04) or (
                (flags & 0x12) == 0x12 and rt.ack == (t.seq + 1) & 0xFFFFFFFF
            )
        return True
    if UDP in request:
        u, ru = request[UDP], response.get(UDP)
        if ru is None or ru.sport != u.dport or ru.dport != u.sport:
            return False
        if DNS in request:
            d = response.get(DNS)
            return d is not None and bool(d.qr == 1 and d.id == request[DNS].id)
        return True
    if ICMPv6 in request:
        return ICMPv6 in response
    return False
