"""Request bodies: raw content, JSON, urlencoded forms and multipart/form-data (RFC 7578).

Each encoder returns ``(headers, body)``; ``body`` is bytes (replayable) or an iterable of
bytes (streamed with chunked transfer coding). Sans-IO.
"""

from __future__ import annotations

import json as jsonlib
import os
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import IO, Any
from urllib.parse import urlencode

from ..errors import ConfigError

__all__ = ["encode_body"]

FileTypes = Any  # bytes | str | IO[bytes] | (filename, content[, content_type[, headers]])


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value.decode() if isinstance(value, bytes) else str(value)


def _read_file(obj: Any) -> bytes:
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, str):
        return obj.encode("utf-8")
    if hasattr(obj, "read"):
        data = obj.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise ConfigError(f"file content must be bytes, str or a file object, not {type(obj).__name__}")


def _quote(name: str) -> str:
    # RFC 7578 §4.2 / WHATWG: percent-encode the three characters that break the header.
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(
    data: Mapping[str, Any] | None,
    files: Mapping[str, FileTypes] | Iterable[tuple[str, FileTypes]],
    boundary: str | None = None,
) -> tuple[dict[str, str], bytes]:
    """multipart/form-data with form fields ``data`` and file parts ``files``.

    A file is bytes/str/file object, or a tuple (filename, content[, content_type[, headers]]).
    """
    boundary = boundary or os.urandom(16).hex()
    b = boundary.encode("ascii")
    parts: list[bytes] = []
    for name, value in (data or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            parts.append(
                b"--"
                + b
                + b"\r\n"
                + f'Content-Disposition: form-data; name="{_quote(str(name))}"\r\n\r\n'.encode()
                + _form_value(v).encode("utf-8")
                + b"\r\n"
            )
    items = files.items() if isinstance(files, Mapping) else files
    for name, spec in items:
        extra: Mapping[str, str] = {}
        if isinstance(spec, tuple):
            filename, content = spec[0], spec[1]
            ctype = spec[2] if len(spec) > 2 else None
            extra = spec[3] if len(spec) > 3 else {}
        else:
            content = spec
            filename = os.path.basename(getattr(spec, "name", "") or "") or name
            ctype = None
        import mimetypes  # lazily: only multipart uploads need it

        ctype = (
            ctype
            or (mimetypes.guess_type(filename)[0] if filename else None)
            or "application/octet-stream"
        )
        head = f'Content-Disposition: form-data; name="{_quote(str(name))}"'
        if filename is not None:
            head += f'; filename="{_quote(str(filename))}"'
        head += f"\r\nContent-Type: {ctype}\r\n"
        for k, v in extra.items():
            head += f"{k}: {v}\r\n"
        parts.append(
            b"--" + b + b"\r\n" + head.encode("utf-8") + b"\r\n" + _read_file(content) + b"\r\n"
        )
    body = b"".join(parts) + b"--" + b + b"--\r\n"
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body


def encode_body(
    *,
    content: bytes | str | Iterable[bytes] | AsyncIterable[bytes] | IO[bytes] | None = None,
    data: Mapping[str, Any] | Iterable[tuple[str, Any]] | bytes | str | None = None,
    files: Any = None,
    json: Any = None,
) -> tuple[dict[str, str], Any]:
    """Headers to add and the body for one request; at most one of content/data+files/json.

    Raises:
        ConfigError: conflicting arguments, or a value that cannot be encoded.
    """
    given = [
        n
        for n, v in (
            ("content", content),
            ("data", data if files is None else None),
            ("json", json),
        )
        if v is not None
    ]
    if len(given) > 1 or (files is not None and (content is not None or json is not None)):
        raise ConfigError(
            f"give only one of content=, data=/files=, json= (got {', '.join(given + (['files'] if files is not None else []))})"
        )
    if json is not None:
        try:
            body = jsonlib.dumps(
                json, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"json= is not JSON-serialisable: {exc}") from None
        return {"Content-Type": "application/json"}, body
    if files is not None:
        if data is not None and not isinstance(data, Mapping):
            raise ConfigError("with files=, data= must be a mapping of form fields")
        return encode_multipart(data, files)
    if data is not None:
        if isinstance(data, (bytes, str)):
            return {}, data.encode("utf-8") if isinstance(data, str) else data
        items = data.items() if isinstance(data, Mapping) else data
        pairs = []
        for k, v in items:
            for one in v if isinstance(v, (list, tuple)) else [v]:
                pairs.append((str(k), _form_value(one)))
        return {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(pairs).encode(
            "ascii"
        )
    if content is None:
        return {}, None
    if isinstance(content, str):
        return {}, content.encode("utf-8")
    if isinstance(content, (bytes, bytearray, memoryview)):
        return {}, bytes(content)
    if hasattr(content, "read"):
        return {}, content  # a file: transports stream it
    if isinstance(content, (Iterable, AsyncIterable)):
        return {}, content
    raise ConfigError(
        f"content= must be bytes, str, a file or an iterable of bytes, not {type(content).__name__}"
    )
