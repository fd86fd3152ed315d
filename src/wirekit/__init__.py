"""wirekit: one network toolkit for Python, sync and async.

``import wirekit`` is light: the public names below are resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from .runtime.loop import run
    from .server.core import Server, serve
    from .streams import (
        AsyncListener,
        AsyncStream,
        Endpoint,
        Listener,
        Stream,
        aconnect,
        alisten,
        connect,
        listen,
        parse_endpoint,
    )

__all__ = [
    "AsyncListener",
    "AsyncStream",
    "Endpoint",
    "Listener",
    "Server",
    "Stream",
    "__version__",
    "aconnect",
    "alisten",
    "connect",
    "listen",
    "parse_endpoint",
    "run",
    "serve",
]

_LAZY = {
    "connect": "wirekit.streams",
    "aconnect": "wirekit.streams",
    "listen": "wirekit.streams",
    "alisten": "wirekit.streams",
    "Stream": "wirekit.streams",
    "AsyncStream": "wirekit.streams",
    "Listener": "wirekit.streams",
    "AsyncListener": "wirekit.streams",
    "Endpoint": "wirekit.streams",
    "parse_endpoint": "wirekit.streams",
    "run": "wirekit.runtime.loop",
    "serve": "wirekit.server.core",
    "Server": "wirekit.server.core",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wirekit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
