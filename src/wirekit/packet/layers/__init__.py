"""Protocol layers, one module per family; every public layer is re-exported here."""

from __future__ import annotations

from ..layer import Layer, Packet, Raw
from .dhcp import DHCP
from .dns import DNS, DNSQR, DNSRR
from .ether import ARP, SLL, SLL2, Dot1Q, Ether, Loopback, Null
from .inet import ICMP, TCP, UDP, IPv4
from .inet6 import (
    ICMPv6,
    ICMPv6Echo,
    ICMPv6Error,
    IPv6,
    IPv6DestOpts,
    IPv6Fragment,
    IPv6HopByHop,
    IPv6Routing,
    NDNeighborAdvert,
    NDNeighborSolicit,
    NDRouterAdvert,
    NDRouterSolicit,
)

__all__ = [
    "ARP",
    "DHCP",
    "DNS",
    "DNSQR",
    "DNSRR",
    "ICMP",
    "SLL",
    "SLL2",
    "TCP",
    "UDP",
    "Dot1Q",
    "Ether",
    "ICMPv6",
    "ICMPv6Echo",
    "ICMPv6Error",
    "IPv4",
    "IPv6",
    "IPv6DestOpts",
    "IPv6Fragment",
    "IPv6HopByHop",
    "IPv6Routing",
    "Layer",
    "Loopback",
    "NDNeighborAdvert",
    "NDNeighborSolicit",
    "NDRouterAdvert",
    "NDRouterSolicit",
    "Null",
    "Packet",
    "Raw",
]

#: every layer class by name (used by the CLI's craft expressions)
LAYERS: dict[str, type[Layer]] = {
    n: globals()[n]
    for n in __all__
    if isinstance(globals()[n], type)
    and issubclass(globals()[n], Layer)
    and n not in ("Layer", "Packet")
}
