"""A callback ``Protocol`` for users who want Twisted's speed and style without Deferreds.

Subclass it, set ``framer`` to a framer factory (e.g. ``LineFramer``) and override
``frame_received``; or override ``data_received`` for raw bytes. It *is* an
``asyncio.Protocol``, so a server runs it with no wrapper at all on the hot path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from ..errors import ProtocolError
from ..streams.framing import Framer

log = logging.getLogger("wirekit.server")


class Protocol(asyncio.Protocol):
    """Callbacks: ``connection_made``, ``data_received`` (or ``frame_received`` with a framer), ``connection_lost``."""

    #: A zero-argument factory of a framer (``LineFramer``, ``lambda: LengthPrefixFramer("!H")``);
    #: None delivers raw bytes to ``data_received``.
    framer: ClassVar[Callable[[], Framer] | None] = None

    transport: asyncio.Transport
    peer: Any = None
    _framer: Framer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.peer = transport.get_extra_info("peername")
        if type(self).framer is not None:
            self._framer = type(self).framer()  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        framer = self._framer
        if framer is None:
            return
        try:
            frames = framer.feed(data)
        except ProtocolError as exc:
            log.warning("closing %s: %s", self.peer, exc)
            self.transport.close()
            return
        for frame in frames:
            self.frame_received(frame)

    def frame_received(self, frame: bytes) -> None:
        """One whole frame from the framer. Override this."""

    def write(self, data: bytes) -> None:
        """Queue bytes to the peer."""
        self.transport.write(data)

    def write_frame(self, payload: bytes) -> None:
        """Queue ``payload`` encoded by this protocol's framer (e.g. a line plus newline)."""
        framer = self._framer
        self.transport.write(framer.encode(payload) if framer is not None else payload)

    def close(self) -> None:
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection ended; ``exc`` is None on a clean close."""
