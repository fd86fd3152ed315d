"""Streams: TCP, TLS, Unix and UDP sockets behind one endpoint grammar, blocking and asyncio twins.

Both drivers sit on one sans-IO :class:`~wirekit.streams.buffer.ReceiveBuffer`; framers live
in :mod:`wirekit.streams.framing`.
"""

from .aio import AsyncDatagramSocket, AsyncListener, AsyncStream, aconnect, alisten, aopen_udp
from .blocking import DatagramSocket, Listener, Stream, connect, listen, open_udp
from .buffer import ReceiveBuffer
from .endpoint import Endpoint, parse_endpoint
from .framing import (
    DelimiterFramer,
    Framer,
    LengthPrefixFramer,
    LineFramer,
    NetstringFramer,
    RegexFramer,
)
from .trace import Trace

__all__ = [
    "AsyncDatagramSocket",
    "AsyncListener",
    "AsyncStream",
    "DatagramSocket",
    "DelimiterFramer",
    "Endpoint",
    "Framer",
    "LengthPrefixFramer",
    "LineFramer",
    "Listener",
    "NetstringFramer",
    "ReceiveBuffer",
    "RegexFramer",
    "Stream",
    "Trace",
    "aconnect",
    "alisten",
    "aopen_udp",
    "connect",
    "listen",
    "open_udp",
    "parse_endpoint",
]
