"""A tiny UDP DNS responder built on wirekit's DNS layer (run inside a test namespace).

Answers A queries for any name with 192.0.2.<len(name)>, AAAA with 2001:db8::1, else NXDOMAIN.
Usage: python dns_responder.py HOST PORT
"""

from __future__ import annotations

import socket
import sys

from wirekit.errors import DecodeError
from wirekit.packet.layers import DNS, DNSRR


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    print("ready", flush=True)
    while True:
        data, addr = s.recvfrom(4096)
        try:
            q = DNS.parse(data)
        except DecodeError:
            continue
        an = []
        rcode = 0
        for qq in q.qd:
            if qq.qtype == 1:
                an.append(DNSRR(qq.qname, "A", ttl=30, rdata=f"192.0.2.{len(qq.qname) % 250}"))
            elif qq.qtype == 28:
                an.append(DNSRR(qq.qname, "AAAA", ttl=30, rdata="2001:db8::1"))
            else:
                rcode = 3
        s.sendto(bytes(DNS(id=q.id, qr=1, rd=q.rd, ra=1, rcode=rcode, qd=q.qd, an=an)), addr)


if __name__ == "__main__":
    main()
