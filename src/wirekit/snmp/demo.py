"""A small demo device (system group, ifTable/ifXTable, a UCD load average) for the lab, ``wirekit
serve snmp`` and tests: static values, a live sysUpTime callback, and writable sysContact,
sysName and sysLocation."""

from __future__ import annotations

import time

from .mibtree import MibTree
from .values import (
    Counter32,
    Counter64,
    Gauge32,
    Integer,
    ObjectIdentifier,
    OctetString,
    Opaque,
    TimeTicks,
)

__all__ = ["demo_tree"]

_SYS = (1, 3, 6, 1, 2, 1, 1)
_IF = (1, 3, 6, 1, 2, 1, 2, 2, 1)
_IFX = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)


def demo_tree(
    interfaces: int = 4, *, descr: str = "wirekit demo agent", clock: float | None = None
) -> MibTree:
    """The demo device's tree. ``clock`` is the start time for sysUpTime (default: now)."""
    start = time.monotonic() if clock is None else clock
    t = MibTree()
    t[(*_SYS, 1, 0)] = OctetString(descr.encode())
    t[(*_SYS, 2, 0)] = ObjectIdentifier("1.3.6.1.4.1.8072.3.2.10")
    t.register((*_SYS, 3, 0), lambda: TimeTicks(int((time.monotonic() - start) * 100)))
    t.set((*_SYS, 4, 0), OctetString(b"lab@example.org"), writable=True)
    t.set((*_SYS, 5, 0), OctetString(b"wirekit-lab"), writable=True)
    t.set((*_SYS, 6, 0), OctetString(b"loopback"), writable=True)
    t[(*_SYS, 7, 0)] = Integer(72)
    t[(1, 3, 6, 1, 2, 1, 2, 1, 0)] = Integer(interfaces)
    for i in range(1, interfaces + 1):
        t[(*_IF, 1, i)] = Integer(i)
        t[(*_IF, 2, i)] = OctetString(f"eth{i - 1}".encode())
        t[(*_IF, 3, i)] = Integer(6)
        t[(*_IF, 4, i)] = Integer(1500)
        t[(*_IF, 5, i)] = Gauge32(1_000_000_000)
        t[(*_IF, 6, i)] = OctetString(bytes([0x02, 0, 0, 0, 0, i]))
        t[(*_IF, 7, i)] = Integer(1)
        t[(*_IF, 8, i)] = Integer(1)
        t[(*_IF, 10, i)] = Counter32(1000 * i)
        t[(*_IF, 16, i)] = Counter32(2000 * i)
        t[(*_IFX, 1, i)] = OctetString(f"eth{i - 1}".encode())
        t[(*_IFX, 6, i)] = Counter64(2**33 + i)
        t[(*_IFX, 10, i)] = Counter64(2**34 + i)
    t[(1, 3, 6, 1, 4, 1, 2021, 10, 1, 6, 1)] = Opaque.from_float(0.25)
    return t
