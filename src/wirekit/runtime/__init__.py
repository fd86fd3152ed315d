"""The event runtime: loop selection, services, reconnecting clients, timers, callback protocols.

Public names are resolved on first use, so ``import wirekit.runtime`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .backoff import Backoff, RetrySchedule
    from .loop import new_event_loop, run
    from .protocol import Protocol
    from .reconnect import ReconnectingClient
    from .service import Service, ServiceGroup
    from .timers import every

__all__ = [
    "Backoff",
    "Protocol",
    "ReconnectingClient",
    "RetrySchedule",
    "Service",
    "ServiceGroup",
    "every",
    "new_event_loop",
    "run",
]

_LAZY = {
    "Backoff": ".backoff",
    "RetrySchedule": ".backoff",
    "new_event_loop": ".loop",
    "run": ".loop",
    "Protocol": ".protocol",
    "ReconnectingClient": ".reconnect",
    "Service": ".service",
    "ServiceGroup": ".service",
    "every": ".timers",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wirekit.runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
