"""Per-stream hexdump trace (pwntools-style). Streams hold ``None`` when tracing is off: one
``is not None`` test per call is all it costs."""

from __future__ import annotations

import sys
from typing import TextIO

from .._util.hexdump import hexdump


class Trace:
    """Writes ``>>`` (sent) and ``<<`` (received) hexdumps of a stream's bytes to ``file``."""

    __slots__ = ("file", "label")

    def __init__(self, label: str = "", file: TextIO | None = None) -> None:
        self.label = label
        self.file = file

    def _write(self, arrow: str, data: bytes) -> None:
        out = self.file if self.file is not None else sys.stderr
        out.write(f"{arrow} {self.label} {len(data)} bytes\n{hexdump(data, prefix='   ')}\n")
        out.flush()

    def sent(self, data: bytes) -> None:
        self._write(">>", bytes(data))

    def received(self, data: bytes) -> None:
        self._write("<<", bytes(data))

    def event(self, text: str) -> None:
        out = self.file if self.file is not None else sys.stderr
        out.write(f"-- {self.label} {text}\n")
        out.flush()


def make_trace(value: bool | Trace | None, label: str) -> Trace | None:
    """Normalise a ``trace=`` argument: True -> a stderr Trace, False/None -> None."""
    if value is None or value is False:
        return None
    if value is True:
        return Trace(label)
    return value
