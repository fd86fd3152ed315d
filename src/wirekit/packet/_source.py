"""Open a capture source (path or binary file), transparently un-gzipping it."""

from __future__ import annotations

import gzip
import io
import os
import zlib
from typing import IO, Any

from ..errors import ConfigError, DecodeError

GZIP_MAGIC = b"\x1f\x8b"
PathOrFile = str | os.PathLike[str] | IO[bytes]


class _Prefixed(io.RawIOBase):
    """A non-seekable stream with ``head`` (already read) put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)


class _Gunzip(io.RawIOBase):
    """A gzip stream whose decoding errors surface as DecodeError (truncated or corrupt)."""

    def __init__(self, gz: gzip.GzipFile, raw: IO[bytes] | None) -> None:
        self._gz = gz
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            data = self._gz.read(len(b))
        except EOFError:
            raise DecodeError("gzip stream ends early", layer="gzip", truncated=True) from None
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise DecodeError(f"corrupt gzip stream: {exc}", layer="gzip") from None
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._gz.close()
        if self._raw is not None:
            self._raw.close()
        super().close()


def peek(f: IO[bytes], n: int) -> tuple[bytes, IO[bytes]]:
    """The first ``n`` bytes of ``f`` and a file object that still starts at them."""
    if hasattr(f, "peek"):
        head = f.peek(n)[:n]
        if len(head) >= n or not head:
            return head, f
    if f.seekable():
        pos = f.tell()
        head = f.read(n)
        f.seek(pos)
        return head, f
    head = f.read(n)
    return head, io.BufferedReader(_Prefixed(head, f))


def open_source(source: PathOrFile) -> tuple[IO[bytes], bool]:
    """A binary file object for ``source`` (gzip-decoded if needed) and whether we own it.

    Raises:
        ConfigError: the path cannot be opened.
    """
    owned = False
    if isinstance(source, (str, os.PathLike)):
        try:
            f: IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed by the reader
        except OSError as exc:
            raise ConfigError(f"cannot open capture {os.fspath(source)!r}: {exc.strerror}") from exc
        owned = True
    else:
        f = source
    head, f = peek(f, 2)
    if head == GZIP_MAGIC:
        gz = gzip.GzipFile(fileobj=f, mode="rb")
        f = io.BufferedReader(_Gunzip(gz, f if owned else None), 1 << 16)
        owned = True
    return f, owned
