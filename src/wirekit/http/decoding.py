"""Content-Encoding decoders (gzip, deflate, br, zstd) with a cap on decoded size.

RFC 9110 §8.4: codings are listed in the order they were applied, so they are undone in
reverse. A decompression bomb (a few KB inflating to gigabytes) is stopped by counting
decoded bytes and, for zlib and brotli, by bounding each call's output so memory never
holds more than one bounded piece beyond the cap. Sans-IO: bytes in, bytes out.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

from ..errors import DecodeError

__all__ = ["DEFAULT_MAX_DECODED_SIZE", "ContentDecoder", "make_decoder", "supported_encodings"]

#: Default cap on one response's decoded body (bytes).
DEFAULT_MAX_DECODED_SIZE = 256 * 1024 * 1024
_PIECE = 1024 * 1024  # largest output of one decompress call


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


def supported_encodings() -> list[str]:
    """Codings this installation can decode (br and zstd need ``wirekit[all]``).

    Looks the modules up without importing them: a one-shot GET should not pay for zstd.
    """
    from importlib.util import find_spec

    names = ["gzip", "deflate"]
    if find_spec("brotli") is not None:
        names.append("br")
    if find_spec("zstandard") is not None:
        names.append("zstd")
    return names


class _Zlib:
    def __init__(self, coding: str) -> None:
        self.coding = coding
        # 16+MAX_WBITS: gzip wrapper. For deflate, RFC 9110 §8.4.1.2 says zlib format, but
        # servers also send raw deflate: the first two bytes tell (RFC 1950 §2.2 header check).
        self._d: Any = zlib.decompressobj(16 + zlib.MAX_WBITS) if coding == "gzip" else None
        self._head = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        buf = data
        if self._d is None:
            self._head += buf
            if len(self._head) < 2:
                return
            b0, b1 = self._head[0], self._head[1]
            is_zlib = (b0 & 0x0F) == 8 and ((b0 << 8) | b1) % 31 == 0
            self._d = zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)
            buf, self._head = self._head, b""
        while buf:
            out = self._d.decompress(buf, _PIECE)
            buf = self._d.unconsumed_tail
            if self._d.eof and self._d.unused_data and self.coding == "gzip":
                # RFC 1952 §2.2: a gzip file may hold several members; decode them all.
                rest = self._d.unused_data
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                buf = rest + buf
            if out:
                yield out

    def flush(self) -> bytes:
        if self._d is None:
            if self._head:
                raise zlib.error("deflate body shorter than its header")
            return b""
        return bytes(self._d.flush())


class _Brotli:
    coding = "br"

    def __init__(self) -> None:
        self._d = _optional("brotli").Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._d.process(data, output_buffer_limit=_PIECE)
        if out:
            yield out
        while not self._d.can_accept_more_data():
            out = self._d.process(b"", output_buffer_limit=_PIECE)
            if not out:
                break
            yield out

    def flush(self) -> bytes:
        return b""


class _Zstd:
    coding = "zstd"

    def __init__(self) -> None:
        self._d = _optional("zstandard").ZstdDecompressor().decompressobj()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._d.decompress(data)
        if self._d.eof and self._d.unused_data:
            # RFC 8878 §3.1: concatenated frames decode as one stream.
            rest = self._d.unused_data
            self._d = _optional("zstandard").ZstdDecompressor().decompressobj()
            out += b"".join(self.feed(rest))
        if out:
            yield out

    def flush(self) -> bytes:
        return b""


def _one(coding: str) -> Any:
    if coding in ("gzip", "x-gzip"):
        return _Zlib("gzip")
    if coding == "deflate":
        return _Zlib("deflate")
    if coding == "br" and _optional("brotli") is not None:
        return _Brotli()
    if coding == "zstd" and _optional("zstandard") is not None:
        return _Zstd()
    return None


class ContentDecoder:
    """Undo a Content-Encoding chain chunk by chunk; raise once decoded bytes pass ``max_size``.

    Raises:
        DecodeError: corrupt compressed data, or the decoded body exceeds ``max_size``.
    """

    def __init__(self, codings: list[Any], max_size: int | None) -> None:
        self._codings = codings
        self.max_size = max_size
        self.decoded = 0
        self.name = ", ".join(c.coding for c in reversed(codings))

    def _count(self, out: bytes) -> bytes:
        self.decoded += len(out)
        if self.max_size is not None and self.decoded > self.max_size:
            raise DecodeError(
                f"decoded body exceeds max_decoded_size={self.max_size} bytes "
                f"(Content-Encoding: {self.name}; a decompression bomb?)",
                layer=f"content-encoding {self.name}",
            )
        return out

    def _run(self, data: bytes, index: int) -> Iterator[bytes]:
        if index == len(self._codings):
            yield self._count(data)
            return
        coding = self._codings[index]
        gen = coding.feed(data)
        while True:
            try:
                piece = next(gen)
            except StopIteration:
                break
            except Exception as exc:  # zlib.error, brotli.error, zstd.ZstdError
                raise DecodeError(
                    f"corrupt {coding.coding} body: {exc}",
                    layer=f"content-encoding {coding.coding}",
                ) from None
            yield from self._run(piece, index + 1)

    def decode(self, data: bytes) -> bytes:
        """Decoded bytes for the next raw chunk (may be empty)."""
        if not data:
            return b""
        return b"".join(self._run(data, 0))

    def iter_decode(self, data: bytes) -> Iterator[bytes]:
        """Like :meth:`decode` but yields bounded pieces (memory stays bounded on bombs)."""
        if data:
            yield from self._run(data, 0)

    def flush(self) -> bytes:
        """Anything the decoders still hold at end of body.

        Raises:
            DecodeError: the compressed stream is corrupt or the cap is passed.
        """
        out = b""
        for i, coding in enumerate(self._codings):
            try:
                tail = coding.flush()
            except Exception as exc:
                raise DecodeError(
                    f"corrupt {coding.coding} body: {exc}",
                    layer=f"content-encoding {coding.coding}",
                ) from None
            if tail:
                out += b"".join(self._run(tail, i + 1))
        return out


def make_decoder(
    content_encoding: str | None, max_size: int | None = DEFAULT_MAX_DECODED_SIZE
) -> ContentDecoder | None:
    """A decoder for a Content-Encoding header value, or None for identity / unknown codings.

    Unknown codings are left encoded (the body is passed through), as curl does.
    """
    if not content_encoding:
        return None
    names = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    names = [n for n in names if n != "identity"]
    if not names:
        return None
    codings = []
    for name in reversed(names):
        coding = _one(name)
        if coding is None:
            return None
        codings.append(coding)
    return ContentDecoder(codings, max_size)
