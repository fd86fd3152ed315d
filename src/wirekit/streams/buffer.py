"""The sans-IO receive buffer both stream drivers sit on: bytes in, frames (exact, until, line, regex) out.

Rule: nothing here does I/O or reads a clock. A ``take_*`` method either returns a frame and
consumes it, or returns ``None`` and leaves the buffer as it was (remembering how far it has
already searched, so a long line is scanned once, not once per read).
"""

from __future__ import annotations

import re
import struct
from typing import Any

from ..errors import LineTooLong


class ReceiveBuffer:
    """Bytes received and not yet consumed."""

    __slots__ = ("_data", "_scan")

    def __init__(self) -> None:
        self._data = bytearray()
        self._scan = 0  # bytes already searched for the current delimiter

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        self._data += data

    def __len__(self) -> int:
        return len(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def peek(self) -> bytes:
        """A copy of everything buffered (not consumed)."""
        return bytes(self._data)

    def unpack_from(self, st: struct.Struct) -> tuple[Any, ...]:
        """Unpack ``st`` from the start of the buffer without consuming (caller checks the length)."""
        return st.unpack_from(self._data)

    def take(self, max_bytes: int | None = None) -> bytes:
        """Consume and return up to ``max_bytes`` (all when None)."""
        data = self._data
        if max_bytes is None or max_bytes >= len(data):
            out = bytes(data)
            data.clear()
        else:
            out = bytes(data[:max_bytes])
            del data[:max_bytes]
        self._scan = 0
        return out

    def take_exactly(self, n: int) -> bytes | None:
        """Consume exactly ``n`` bytes, or return None if fewer are buffered."""
        if len(self._data) < n:
            return None
        return self.take(n)

    def take_until(
        self, delim: bytes, *, keep: bool = True, max_size: int | None = None
    ) -> bytes | None:
        """Consume through the first ``delim``; return the frame (with ``delim`` if ``keep``).

        Raises:
            LineTooLong: no delimiter within ``max_size`` bytes (the buffer is left as is).
        """
        data = self._data
        start = max(0, self._scan - len(delim) + 1)
        idx = data.find(delim, start)
        if idx < 0:
            self._scan = len(data)
            if max_size is not None and len(data) > max_size:
                raise LineTooLong(f"no {delim!r} within {max_size} bytes", limit=max_size)
            return None
        end = idx + len(delim)
        if max_size is not None and idx > max_size:
            raise LineTooLong(
                f"frame of {idx} bytes exceeds the limit of {max_size}", limit=max_size
            )
        out = bytes(data[: end if keep else idx])
        del data[:end]
        self._scan = 0
        return out

    def take_line(self, *, keep: bool = False, max_size: int | None = None) -> bytes | None:
        """Consume one ``\\n``-terminated line; without ``keep`` the ``\\n`` and a preceding ``\\r`` go.

        Raises:
            LineTooLong: no newline within ``max_size`` bytes.
        """
        line = self.take_until(b"\n", keep=True, max_size=max_size)
        if line is None or keep:
            return line
        return line[:-2] if line.endswith(b"\r\n") else line[:-1]

    def take_match(
        self, pattern: re.Pattern[bytes], *, max_size: int | None = None
    ) -> re.Match[bytes] | None:
        """Search ``pattern`` in the buffer; consume through the end of the first match.

        Raises:
            LineTooLong: no match within ``max_size`` bytes.
        """
        m = pattern.search(self._data)
        if m is None:
            if max_size is not None and len(self._data) > max_size:
                raise LineTooLong(
                    f"no match for {pattern.pattern!r} within {max_size} bytes", limit=max_size
                )
            return None
        # Re-run on an immutable copy so the match object stays valid after we consume.
        end = m.end()
        chunk = bytes(self._data[:end])
        del self._data[:end]
        self._scan = 0
        return pattern.search(chunk)
