"""Sans-IO framers: feed bytes, get whole frames; ``encode`` makes a frame to send.

Each framer keeps its own :class:`ReceiveBuffer`; ``feed`` returns the frames completed by the
new bytes (possibly none). Over-long frames raise :class:`~wirekit.errors.LineTooLong`.
"""

from __future__ import annotations

import re
import struct
from typing import Protocol

from ..errors import DecodeError, LineTooLong
from .buffer import ReceiveBuffer


class Framer(Protocol):
    """What every framer offers."""

    def feed(self, data: bytes) -> list[bytes]: ...

    def encode(self, payload: bytes) -> bytes: ...


class DelimiterFramer:
    """Frames end with ``delimiter`` (kept out of the frame unless ``keep``)."""

    __slots__ = ("buffer", "delimiter", "keep", "max_size")

    def __init__(self, delimiter: bytes, *, max_size: int = 65536, keep: bool = False) -> None:
        self.buffer = ReceiveBuffer()
        self.delimiter = delimiter
        self.max_size = max_size
        self.keep = keep

    def feed(self, data: bytes) -> list[bytes]:
        """Raises:
        LineTooLong: a frame exceeds ``max_size``.
        """
        self.buffer.feed(data)
        frames = []
        take = self.buffer.take_until
        while (frame := take(self.delimiter, keep=self.keep, max_size=self.max_size)) is not None:
            frames.append(frame)
        return frames

    def encode(self, payload: bytes) -> bytes:
        return payload + self.delimiter


class LineFramer(DelimiterFramer):
    """Lines ending in ``\\n``; a trailing ``\\r`` is dropped too (unless ``keep``)."""

    __slots__ = ("newline",)

    def __init__(
        self, *, max_size: int = 65536, keep: bool = False, newline: bytes = b"\n"
    ) -> None:
        super().__init__(b"\n", max_size=max_size, keep=keep)
        self.newline = newline

    def feed(self, data: bytes) -> list[bytes]:
        """Raises:
        LineTooLong: a line exceeds ``max_size``.
        """
        buf = self.buffer
        buf.feed(data)
        frames = []
        while (line := buf.take_line(keep=self.keep, max_size=self.max_size)) is not None:
            frames.append(line)
        return frames

    def encode(self, payload: bytes) -> bytes:
        return payload + self.newline


class LengthPrefixFramer:
    """Frames prefixed by their length as a struct format (default ``!I``: 4-byte big-endian)."""

    __slots__ = ("_struct", "buffer", "max_size")

    def __init__(self, fmt: str = "!I", *, max_size: int = 16 * 1024 * 1024) -> None:
        self._struct = struct.Struct(fmt)
        self.buffer = ReceiveBuffer()
        self.max_size = max_size

    def feed(self, data: bytes) -> list[bytes]:
        """Raises:
        LineTooLong: a declared length exceeds ``max_size``.
        """
        buf = self.buffer
        buf.feed(data)
        size = self._struct.size
        frames = []
        while len(buf) >= size:
            (length,) = buf.unpack_from(self._struct)
            if length > self.max_size:
                raise LineTooLong(
                    f"frame length {length} exceeds {self.max_size}", limit=self.max_size
                )
            if len(buf) < size + length:
                break
            frames.append(buf.take(size + length)[size:])
        return frames

    def encode(self, payload: bytes) -> bytes:
        return self._struct.pack(len(payload)) + payload


class NetstringFramer:
    """D. J. Bernstein's netstrings: ``<len>:<payload>,``."""

    __slots__ = ("buffer", "max_size")

    def __init__(self, *, max_size: int = 16 * 1024 * 1024) -> None:
        self.buffer = ReceiveBuffer()
        self.max_size = max_size

    def feed(self, data: bytes) -> list[bytes]:
        """Raises:
        DecodeError: a malformed length or missing trailing comma.
        LineTooLong: a declared length exceeds ``max_size``.
        """
        buf = self.buffer
        buf.feed(data)
        frames: list[bytes] = []
        digits = len(str(self.max_size)) + 1
        while True:
            head = buf.peek()[: digits + 1]
            colon = head.find(b":")
            if colon < 0:
                if len(head) > digits:
                    raise DecodeError(
                        "netstring length too long or missing ':'", offset=0, layer="netstring"
                    )
                return frames
            if colon == 0 or not head[:colon].isdigit():
                raise DecodeError("netstring length is not a number", offset=0, layer="netstring")
            length = int(head[:colon])
            if length > self.max_size:
                raise LineTooLong(
                    f"netstring length {length} exceeds {self.max_size}", limit=self.max_size
                )
            total = colon + 1 + length + 1
            if len(buf) < total:
                return frames
            frame = buf.take(total)
            if frame[-1:] != b",":
                raise DecodeError(
                    "netstring missing trailing ','", offset=total - 1, layer="netstring"
                )
            frames.append(frame[colon + 1 : -1])

    def encode(self, payload: bytes) -> bytes:
        return b"%d:%s," % (len(payload), payload)


class RegexFramer:
    """Frames end where ``pattern`` matches; each frame is everything through the match."""

    __slots__ = ("buffer", "max_size", "pattern")

    def __init__(self, pattern: bytes | re.Pattern[bytes], *, max_size: int = 65536) -> None:
        self.pattern = re.compile(pattern) if isinstance(pattern, bytes) else pattern
        self.buffer = ReceiveBuffer()
        self.max_size = max_size

    def feed(self, data: bytes) -> list[bytes]:
        """Raises:
        LineTooLong: no match within ``max_size`` bytes.
        """
        self.buffer.feed(data)
        frames: list[bytes] = []
        while (m := self.buffer.take_match(self.pattern, max_size=self.max_size)) is not None:
            frames.append(m.string[: m.end()])
        return frames

    def encode(self, payload: bytes) -> bytes:
        return payload
