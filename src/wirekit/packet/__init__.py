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
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'wirekit.packet' has no attribute {name!r}")
    return getattr(importlib.import_module(target), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
