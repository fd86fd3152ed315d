"""FTP and FTPS: a sans-IO control channel, blocking and async clients, an async server."""

from __future__ import annotations

from typing import Any

__all__ = ["AsyncFTPClient", "Entry", "FTPClient", "FTPServer", "UserDB"]

_LAZY = {
    "FTPClient": "wirekit.ftp.client",
    "AsyncFTPClient": "wirekit.ftp.aclient",
    "FTPServer": "wirekit.ftp.server",
    "UserDB": "wirekit.ftp.users",
    "Entry": "wirekit.ftp.listing",
}


def __getattr__(name: str) -> Any:
    # Lazy: importing wirekit.ftp must not pull in asyncio/ssl for users of the sans-IO core.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wirekit.ftp' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
