"""Headers (case-insensitive, multi-valued), Request and Response: the objects users hold.

A Response's body is a byte stream from the transport, decoded (Content-Encoding) as it is
read, with a cap on the decoded size. Sync and async readers share one class, as in httpx:
``read``/``iter_bytes``/``iter_lines``/``close`` and ``aread``/``aiter_bytes``/``aiter_lines``/``aclose``.
"""

from __future__ import annotations

import codecs
import json as jsonlib
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any, Protocol

from ..errors import ConfigError, HTTPStatusError
from .decoding import DEFAULT_MAX_DECODED_SIZE, ContentDecoder, make_decoder
from .urls import URL

__all__ = ["AsyncByteStream", "ByteStream", "HeaderTypes", "Headers", "Request", "Response"]

# RFC 9110 §5.1 field-name = token; §5.5 field-value: no CR, LF or NUL.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

HeaderTypes = Mapping[str, Any] | Iterable[tuple[str, Any]] | None


def _check_name(name: Any) -> str:
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise ConfigError(f"invalid header name {name!r} (RFC 9110 §5.1: a token)")
    return name


def _check_value(name: str, value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    elif not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            raise ConfigError(
                f"header {name!r} value must be str, bytes or a number, not {type(value).__name__}"
            )
    if _BAD_VALUE.search(value):
        raise ConfigError(
            f"invalid value for header {name!r}: {value!r} (CR, LF and control characters are refused)"
        )
    return str(value).strip(" \t")


class Headers:
    """Case-insensitive, multi-valued HTTP headers that keep their order and original case.

    ``h["Set-Cookie"]`` joins repeated fields with ", "; ``h.get_list(name)`` keeps them apart.

    Raises:
        ConfigError: (on construction or assignment) an invalid name or a value with CR/LF.
    """

    __slots__ = ("_index", "_items")

    def __init__(self, headers: HeaderTypes | Headers = None) -> None:
        self._items: list[tuple[str, str]] = []
        self._index: dict[str, list[str]] | None = None
        if headers is None:
            return
        if isinstance(headers, Headers):
            self._items = list(headers._items)
            return
        items = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in items:
            name = _check_name(name)
            self._items.append((name, _check_value(name, value)))

    @classmethod
    def from_raw(cls, items: list[tuple[str, str]]) -> Headers:
        """Headers from a peer's already-parsed list, without validation (the parser did that)."""
        h = cls.__new__(cls)
        h._items = items
        h._index = None
        return h

    def _lookup(self) -> dict[str, list[str]]:
        """lower-case name -> values, built once per state (responses: once, then O(1) gets)."""
        index = self._index
        if index is None:
            items = self._items
            index = {k.lower(): [v] for k, v in items}
            if len(index) != len(items):  # a repeated name: collect every value, in order
                index = {}
                for k, v in items:
                    index.setdefault(k.lower(), []).append(v)
            self._index = index
        return index

    def get(self, name: str, default: Any = None) -> Any:
        """The value (repeated fields joined with ", ") or ``default``."""
        values = self._lookup().get(name.lower())
        if not values:
            return default
        return values[0] if len(values) == 1 else ", ".join(values)

    def get_list(self, name: str) -> list[str]:
        """Every value of ``name``, in order (use for Set-Cookie)."""
        return list(self._lookup().get(name.lower(), ()))

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return str(value)

    def __setitem__(self, name: str, value: Any) -> None:
        name = _check_name(name)
        value = _check_value(name, value)
        lname = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lname]
        self._items.append((name, value))
        self._index = None

    def add(self, name: str, value: Any) -> None:
        """Append one more field ``name: value`` (keeps existing ones)."""
        name = _check_name(name)
        self._items.append((name, _check_value(name, value)))
        self._index = None

    def setdefault(self, name: str, value: Any) -> str:
        existing = self.get(name)
        if existing is None:
            self[name] = value
            return self[name]
        return str(existing)

    def __delitem__(self, name: str) -> None:
        lname = name.lower()
        kept = [(k, v) for k, v in self._items if k.lower() != lname]
        if len(kept) == len(self._items):
            raise KeyError(name)
        self._items = kept
        self._index = None

    def pop(self, name: str, default: Any = None) -> Any:
        value = self.get(name, default)
        if name in self:
            lname = name.lower()
            self._items = [(k, v) for k, v in self._items if k.lower() != lname]
            self._index = None
        return value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name.lower() in self._lookup()

    def keys(self) -> list[str]:
        """Distinct names, first spelling kept."""
        seen: dict[str, str] = {}
        for k, _ in self._items:
            seen.setdefault(k.lower(), k)
        return list(seen.values())

    def items(self) -> list[tuple[str, str]]:
        """(name, joined value) for each distinct name."""
        return [(k, self[k]) for k in self.keys()]

    def multi_items(self) -> list[tuple[str, str]]:
        """Every (name, value) field as sent, in order."""
        return list(self._items)

    def update(self, other: HeaderTypes | Headers) -> None:
        """Replace fields named in ``other`` with its values."""
        other_h = other if isinstance(other, Headers) else Headers(other)
        for name in other_h:
            lname = name.lower()
            self._items = [(k, v) for k, v in self._items if k.lower() != lname]
        self._items.extend(other_h._items)
        self._index = None

    def copy(self) -> Headers:
        return Headers.from_raw(list(self._items))

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Headers, Mapping, list)):
            mine = sorted((k.lower(), v) for k, v in self._items)
            theirs_h = other if isinstance(other, Headers) else Headers(other)
            return mine == sorted((k.lower(), v) for k, v in theirs_h._items)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = [
            (k, "[secure]" if k.lower() in ("authorization", "proxy-authorization") else v)
            for k, v in self._items
        ]
        return f"Headers({shown!r})"

    def to_json(self) -> dict[str, str]:
        return dict(self.items())


class ByteStream(Protocol):
    """What a sync transport hands back as a body: raw (still encoded) chunks."""

    def __iter__(self) -> Iterator[bytes]: ...
    def read_all(self) -> bytes: ...
    def close(self) -> None: ...


class AsyncByteStream(Protocol):
    """What an async transport hands back as a body."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...
    async def aread_all(self) -> bytes: ...
    async def aclose(self) -> None: ...


class Request:
    """One HTTP request as it goes to the transport.

    ``content`` is bytes, an iterable/async iterable of bytes (streamed, chunked), or None.
    ``extensions`` carries per-request transport options: ``timeout`` (a Timeout),
    ``verify``, ``cert``, ``proxy``.
    """

    __slots__ = ("content", "extensions", "headers", "method", "url")

    def __init__(
        self,
        method: str,
        url: URL | str,
        *,
        headers: Headers | HeaderTypes = None,
        content: Any = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        method = method.upper()
        if not _TOKEN.match(method):
            raise ConfigError(f"invalid HTTP method {method!r}")
        self.method = method
        self.url = url if isinstance(url, URL) else URL(url)
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.content = content
        self.extensions = extensions if extensions is not None else {}

    @property
    def replayable(self) -> bool:
        """True when the body can be sent again (for retries, redirects, digest auth)."""
        return self.content is None or isinstance(self.content, (bytes, bytearray, memoryview))

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def _lookup_codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class Response:
    """An HTTP response: status, headers, and a body read once (``read``) or streamed.

    ``status_code`` (alias ``status``), ``reason``, ``headers``, ``url``, ``request``,
    ``history`` (earlier responses of a redirect chain), ``elapsed`` (request sent to
    headers received).
    """

    def __init__(
        self,
        status_code: int,
        *,
        headers: Headers | HeaderTypes = None,
        content: bytes | None = None,
        stream: ByteStream | AsyncByteStream | None = None,
        request: Request | None = None,
        reason: str = "",
        http_version: str = "HTTP/1.1",
        max_decoded_size: int | None = DEFAULT_MAX_DECODED_SIZE,
    ) -> None:
        self.status_code = status_code
        self.reason = reason
        self.http_version = http_version
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.request = request
        self.history: list[Response] = []
        self.elapsed = timedelta(0)
        self.max_decoded_size = max_decoded_size
        self.num_bytes_downloaded = 0
        self.stream = stream
        self._content = content
        self._encoding: str | None = None
        self.is_closed = content is not None or stream is None
        if content is None and stream is None:
            self._content = b""

    # -- status -----------------------------------------------------------------------
    @property
    def status(self) -> int:
        return self.status_code

    @property
    def url(self) -> URL | None:
        return self.request.url if self.request is not None else None

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def is_redirect(self) -> bool:
        return self.status_code in (301, 302, 303, 307, 308) and "location" in self.headers

    def raise_for_status(self) -> Response:
        """Return self for 1xx-3xx; raise for 4xx/5xx.

        Raises:
            HTTPStatusError: the status is 4xx or 5xx (``.code``, ``.text``, ``.response``).
        """
        if self.status_code < 400:
            return self
        kind = "client error" if self.status_code < 500 else "server error"
        method = self.request.method if self.request is not None else ""
        err = HTTPStatusError(
            self.status_code,
            self.reason,
            f"{self.status_code} {self.reason} ({kind}) for {method} {self.url}".replace("  ", " "),
        )
        err.response = self  # type: ignore[attr-defined]
        err.request = self.request  # type: ignore[attr-defined]
        raise err

    # -- body -------------------------------------------------------------------------
    def _decoder(self) -> ContentDecoder | None:
        return make_decoder(self.headers.get("content-encoding"), self.max_decoded_size)

    @property
    def content(self) -> bytes:
        """The whole decoded body. Call ``read()``/``await aread()`` first on a streamed response.

        Raises:
            ConfigError: the body was streamed and not read yet.
        """
        if self._content is None:
            raise ConfigError(
                "response body not read: call .read() (or await .aread()) on a streamed response"
            )
        return self._content

    @property
    def encoding(self) -> str:
        """Text encoding: Content-Type charset, a BOM, an HTML meta charset, UTF-8, or cp1252."""
        if self._encoding is None:
            self._encoding = self._detect_encoding(self.content)
        return self._encoding

    @encoding.setter
    def encoding(self, value: str) -> None:
        self._encoding = value

    @property
    def charset(self) -> str | None:
        """The charset named in Content-Type, if any (and known to Python)."""
        match = _CHARSET.search(self.headers.get("content-type", ""))
        return _lookup_codec(match.group(1)) if match else None

    def _detect_encoding(self, body: bytes) -> str:
        declared = self.charset
        if declared:
            return declared
        for bom, name in (
            (codecs.BOM_UTF8, "utf-8-sig"),
            (codecs.BOM_UTF16_LE, "utf-16"),
            (codecs.BOM_UTF16_BE, "utf-16"),
        ):
            if body.startswith(bom):
                return name
        meta = _META_CHARSET.search(body[:2048])
        if meta:
            found = _lookup_codec(meta.group(1).decode("ascii", "replace"))
            if found:
                return found
        try:
            body.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            return "cp1252"

    @property
    def text(self) -> str:
        """The body decoded as text (see :attr:`encoding`); undecodable bytes are replaced."""
        return self.content.decode(self.encoding, errors="replace")

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON (UTF-8/16/32 detected per RFC 8259 §8.1).

        Raises:
            ValueError: the body is not JSON (``json.JSONDecodeError``).
        """
        return jsonlib.loads(self.content, **kwargs)

    # sync body
    def read(self) -> bytes:
        """Read and decode the whole body, release the connection, return the bytes.

        Raises:
            DecodeError: corrupt compressed body, or decoded size over the cap.
            Timeout / RemoteProtocolError: the transport failed mid-body.
        """
        if self._content is None:
            stream = self.stream
            try:
                raw = stream.read_all()  # type: ignore[union-attr]
            finally:
                self.is_closed = True
            self.num_bytes_downloaded = len(raw)
            dec = self._decoder()
            self._content = raw if dec is None else dec.decode(raw) + dec.flush()
        return self._content

    def iter_raw(self) -> Iterator[bytes]:
        """The body as received (still encoded), chunk by chunk."""
        if self._content is not None:
            if self._content:
                yield self._content
            return
        try:
            for chunk in self.stream:  # type: ignore[union-attr]
                self.num_bytes_downloaded += len(chunk)
                yield chunk
        finally:
            self.close()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The decoded body in chunks (``chunk_size`` bytes each when given, except the last).

        Raises:
            DecodeError: corrupt compressed body, or decoded size over the cap.
        """
        if self._content is not None:
            step = chunk_size or len(self._content) or 1
            for i in range(0, len(self._content), step):
                yield self._content[i : i + step]
            return
        dec = self._decoder()
        if dec is None and chunk_size is None:  # the bulk path: chunks straight from the transport
            try:
                for chunk in self.stream:  # type: ignore[union-attr]
                    self.num_bytes_downloaded += len(chunk)
                    yield chunk
            finally:
                self.close()
            return
        buf = _Rechunker(chunk_size)
        for raw in self.iter_raw():
            pieces = [raw] if dec is None else dec.iter_decode(raw)
            for piece in pieces:
                yield from buf.push(piece)
        if dec is not None:
            yield from buf.push(dec.flush())
        yield from buf.finish()

    def iter_text(self) -> Iterator[str]:
        """The body as text chunks (charset from Content-Type, else UTF-8)."""
        decoder = codecs.getincrementaldecoder(self.charset or "utf-8")(errors="replace")
        for chunk in self.iter_bytes():
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    def iter_lines(self) -> Iterator[str]:
        """The body as text lines without their line endings."""
        lines = _LineSplitter()
        for text in self.iter_text():
            yield from lines.push(text)
        yield from lines.finish()

    def close(self) -> None:
        """Release the connection (unread body is discarded)."""
        if not self.is_closed:
            self.is_closed = True
            if self.stream is not None:
                self.stream.close()  # type: ignore[union-attr]

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # async body
    async def aread(self) -> bytes:
        """Async :meth:`read`."""
        if self._content is None:
            try:
                raw = await self.stream.aread_all()  # type: ignore[union-attr]
            finally:
                self.is_closed = True
            self.num_bytes_downloaded = len(raw)
            dec = self._decoder()
            self._content = raw if dec is None else dec.decode(raw) + dec.flush()
        return self._content

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """Async :meth:`iter_raw`."""
        if self._content is not None:
            if self._content:
                yield self._content
            return
        try:
            async for chunk in self.stream:  # type: ignore[union-attr]
                self.num_bytes_downloaded += len(chunk)
                yield chunk
        finally:
            await self.aclose()

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """Async :meth:`iter_bytes`."""
        if self._content is not None:
            step = chunk_size or len(self._content) or 1
            for i in range(0, len(self._content), step):
                yield self._content[i : i + step]
            return
        dec = self._decoder()
        if dec is None and chunk_size is None:  # the bulk path: chunks straight from the transport
            try:
                async for chunk in self.stream:  # type: ignore[union-attr]
                    self.num_bytes_downloaded += len(chunk)
                    yield chunk
            finally:
                await self.aclose()
            return
        buf = _Rechunker(chunk_size)
        async for raw in self.aiter_raw():
            pieces = [raw] if dec is None else dec.iter_decode(raw)
            for piece in pieces:
                for out in buf.push(piece):
                    yield out
        if dec is not None:
            for out in buf.push(dec.flush()):
                yield out
        for out in buf.finish():
            yield out

    async def aiter_text(self) -> AsyncIterator[str]:
        """Async :meth:`iter_text`."""
        decoder = codecs.getincrementaldecoder(self.charset or "utf-8")(errors="replace")
        async for chunk in self.aiter_bytes():
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    async def aiter_lines(self) -> AsyncIterator[str]:
        """Async :meth:`iter_lines`."""
        lines = _LineSplitter()
        async for text in self.aiter_text():
            for line in lines.push(text):
                yield line
        for line in lines.finish():
            yield line

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        if not self.is_closed:
            self.is_closed = True
            if self.stream is not None:
                await self.stream.aclose()  # type: ignore[union-attr]

    async def __aenter__(self) -> Response:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<Response [{self.status_code} {self.reason}]>".replace(" ]", "]")

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status_code,
            "reason": self.reason,
            "url": str(self.url) if self.url is not None else None,
            "http_version": self.http_version,
            "headers": self.headers.to_json(),
            "elapsed": self.elapsed.total_seconds(),
        }


class _Rechunker:
    """Re-slice a byte stream into fixed-size chunks (or pass through when size is None)."""

    def __init__(self, size: int | None) -> None:
        self.size = size
        self.buf = bytearray()

    def push(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        if self.size is None:
            yield data
            return
        self.buf += data
        while len(self.buf) >= self.size:
            yield bytes(self.buf[: self.size])
            del self.buf[: self.size]

    def finish(self) -> Iterator[bytes]:
        if self.buf:
            yield bytes(self.buf)
            self.buf.clear()


class _LineSplitter:
    """Split text chunks into lines (\\n, \\r\\n or \\r), holding a partial last line."""

    def __init__(self) -> None:
        self.pending = ""

    def push(self, text: str) -> Iterator[str]:
        text = self.pending + text
        lines = text.splitlines(keepends=True)
        self.pending = ""
        if lines and (not lines[-1].endswith(("\n", "\r")) or lines[-1].endswith("\r")):
            # an unterminated line, or a bare CR that may be half of CRLF: wait for more
            self.pending = lines.pop()
        for line in lines:
            yield line.rstrip("\r\n")

    def finish(self) -> Iterator[str]:
        if self.pending:
            yield self.pending.rstrip("\r\n")
            self.pending = ""
