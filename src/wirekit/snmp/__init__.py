"""SNMP for wirekit: typed values, v1/v2c/v3 (USM) manager, agent, simulator and traps.

The codec modules (``ber``, ``values``, ``pdu``, ``message``, ``usm``, ``session``) are sans-IO;
``client``, ``agent``, ``trap`` and ``simulator`` are the drivers. Heavy parts load lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .client import AsyncSNMPClient, AsyncSNMPTransport, SNMPClient, SNMPTable
    from .pdu import PDU, VarBind
    from .usm import USMUser

__all__ = [
    "PDU",
    "AsyncSNMPClient",
    "AsyncSNMPTransport",
    "SNMPClient",
    "SNMPTable",
    "USMUser",
    "VarBind",
]

_LAZY = {
    "SNMPClient": ".client",
    "AsyncSNMPClient": ".client",
    "AsyncSNMPTransport": ".client",
    "SNMPTable": ".client",
    "PDU": ".pdu",
    "VarBind": ".pdu",
    "USMUser": ".usm",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wirekit.snmp' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module, __name__), name)
