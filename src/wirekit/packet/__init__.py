"""Packets: declarative layers, pcap/pcapng files, live send and sniff, columnar analysis.

Names are imported lazily so ``import wirekit.packet`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    "Record": "wirekit.packet.record",
    "open_capture": "wirekit.packet.capture",
    "open_reader": "wirekit.packet.capture",
    "open_writer": "wirekit.packet.capture",
    "PcapReader": "wirekit.packet.pcap",
    "PcapWriter": "wirekit.packet.pcap",
    "PcapNgReader": "wirekit.packet.pcapng",
    "PcapNgWriter": "wirekit.packet.pcapng",
    "columns": "wirekit.packet.columnar",
    "AUTO": "wirekit.packet.field",
    "Bindings": "wirekit.packet.bindings",
    "DEFAULT_BINDINGS": "wirekit.packet.bindings",
    "Template": "wirekit.packet.template",
    "reassemble": "wirekit.packet.fragment",
    "fragment": "wirekit.packet.fragment",
}
_LAYER_NAMES = [
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
_LAZY.update(dict.fromkeys(_LAYER_NAMES, "wirekit.packet.layers"))


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'wirekit.packet' has no attribute {name!r}")
    return getattr(importlib.import_module(target), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
