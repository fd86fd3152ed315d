"""SMTP: a sans-IO client and server core, SMTPClient/AsyncSMTPClient, the SMTPServer mail sink, stores and inbox.

``import wirekit.smtp`` is light: drivers load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .client import AsyncSMTPClient, SMTPClient, asend, send
    from .client_protocol import ClientConnection, SendResult
    from .inbox import Inbox
    from .message import build_message
    from .protocol import Reply
    from .server import Handler, RecipientPolicy, SinkHandler, SMTPServer, sink
    from .server_protocol import ServerConnection
    from .store import MaildirStore, MboxStore, MemoryStore, open_store

__all__ = [
    "AsyncSMTPClient",
    "ClientConnection",
    "Handler",
    "Inbox",
    "MaildirStore",
    "MboxStore",
    "MemoryStore",
    "RecipientPolicy",
    "Reply",
    "SMTPClient",
    "SMTPServer",
    "SendResult",
    "ServerConnection",
    "SinkHandler",
    "asend",
    "build_message",
    "open_store",
    "send",
    "sink",
]

_LAZY = {
    "AsyncSMTPClient": "client",
    "SMTPClient": "client",
    "asend": "client",
    "send": "client",
    "ClientConnection": "client_protocol",
    "SendResult": "client_protocol",
    "Inbox": "inbox",
    "build_message": "message",
    "Reply": "protocol",
    "Handler": "server",
    "RecipientPolicy": "server",
    "SinkHandler": "server",
    "SMTPServer": "server",
    "sink": "server",
    "ServerConnection": "server_protocol",
    "MaildirStore": "store",
    "MboxStore": "store",
    "MemoryStore": "store",
    "open_store": "store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wirekit.smtp' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
