"""SMTP wire vocabulary shared by the client and server machines: replies, paths, parameters.

Rules of this module (and of ``server_protocol``/``client_protocol``): no I/O, no clock, no
globals that change. Bytes come in, typed values come out; bad bytes from a peer raise only
:class:`~wirekit.errors.DecodeError` (a subclass of RemoteProtocolError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DecodeError

__all__ = [
    "CRLF",
    "NEED_DATA",
    "PAUSED",
    "Reply",
    "ReplyReader",
    "Sentinel",
    "dot_stuff",
    "format_params",
    "parse_ehlo",
    "parse_params",
    "parse_path",
]

CRLF = b"\r\n"


class Sentinel:
    """A named marker returned by ``next_event`` (``NEED_DATA``, ``PAUSED``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: ``next_event`` needs more bytes from the peer.
NEED_DATA = Sentinel("NEED_DATA")
#: ``next_event`` waits for the application to answer (``send``) or to finish STARTTLS.
PAUSED = Sentinel("PAUSED")


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: ``code`` (RFC 5321 §4.2), optional ``enhanced`` (RFC 3463) and ``text``.

    ``text`` may hold several lines separated by ``\\n``; they become a multi-line reply.
    """

    code: int
    text: str = ""
    enhanced: str | None = None

    @property
    def ok(self) -> bool:
        """True for 2xx and 3xx (positive completion or intermediate)."""
        return self.code < 400

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n") if self.text else [""]

    def to_bytes(self, enhanced: bool = True) -> bytes:
        """Wire form: ``250-first\\r\\n250 last\\r\\n`` (RFC 5321 §4.2.1).

        The enhanced code prefixes every line when ``enhanced`` is true (RFC 2034 §4).
        """
        code = str(self.code)
        prefix = f"{self.enhanced} " if enhanced and self.enhanced else ""
        if "\n" not in self.text:
            return f"{code} {prefix}{self.text}\r\n".encode()
        lines = self.lines
        out = [f"{code}-{prefix}{line}\r\n" for line in lines[:-1]]
        out.append(f"{code} {prefix}{lines[-1]}\r\n")
        return "".join(out).encode("utf-8")

    def __str__(self) -> str:
        head = f"{self.code} {self.enhanced} " if self.enhanced else f"{self.code} "
        return head + self.text.replace("\n", " / ")


class ReplyReader:
    """Parses replies from a server byte stream (client side), multi-line aware.

    ``feed(data)`` then ``next_reply()`` until it returns None. A reply line longer than
    ``max_line`` or one that is not ``DDD[ -]text`` raises :class:`DecodeError`.
    """

    __slots__ = ("_buf", "_lines", "_offset", "enhanced", "max_line")

    def __init__(self, max_line: int = 65536, enhanced: bool = False) -> None:
        self._buf = bytearray()
        self._lines: list[str] = []
        self._offset = 0
        self.max_line = max_line
        #: split a leading RFC 3463 enhanced code off the text (after EHLO advertised it)
        self.enhanced = enhanced

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def next_reply(self) -> Reply | None:
        """The next complete reply, or None if more bytes are needed.

        Raises:
            DecodeError: a malformed or over-long reply line.
        """
        buf = self._buf
        while True:
            idx = buf.find(b"\n")
            if idx < 0:
                if len(buf) > self.max_line:
                    raise DecodeError("SMTP reply line too long", offset=self._offset, layer="smtp")
                return None
            raw = bytes(buf[: idx + 1])
            del buf[: idx + 1]
            self._offset += idx + 1
            line = raw.rstrip(b"\r\n")
            if (
                len(line) < 3
                or not line[:3].isdigit()
                or (len(line) > 3 and line[3:4] not in b" -")
            ):
                raise DecodeError(
                    f"malformed SMTP reply line {line[:60]!r}", offset=self._offset, layer="smtp"
                )
            text = line[4:].decode("utf-8", "replace")
            self._lines.append(text)
            if line[3:4] == b"-":
                if len(self._lines) > 1000:
                    raise DecodeError(
                        "SMTP reply has too many lines", offset=self._offset, layer="smtp"
                    )
                continue
            code = int(line[:3])
            lines, self._lines = self._lines, []
            enhanced = None
            if self.enhanced and code // 100 in (2, 4, 5):
                stripped = []
                for t in lines:
                    head, _, rest = t.partition(" ")
                    if _is_enhanced(head, code):
                        enhanced = head
                        stripped.append(rest)
                    else:
                        stripped.append(t)
                lines = stripped
            return Reply(code, "\n".join(lines), enhanced)


def _is_enhanced(word: str, code: int) -> bool:
    # RFC 3463 §2: class.subject.detail, class matching the reply's first digit
    parts = word.split(".")
    return (
        len(parts) == 3
        and all(p.isdigit() and 0 < len(p) <= 3 for p in parts)
        and parts[0] == str(code // 100)
    )


def parse_ehlo(reply: Reply) -> dict[str, str]:
    """Extensions from an EHLO reply (RFC 5321 §4.1.1.1): keyword (upper case) -> parameters."""
    ext: dict[str, str] = {}
    for line in reply.lines[1:]:
        word, _, params = line.strip().partition(" ")
        if word:
            ext[word.upper()] = params.strip()
    return ext


def parse_path(text: str) -> tuple[str, str]:
    """Split ``<path> params`` (RFC 5321 §4.1.2) into the address and the parameter text.

    Source routes (``<@a,@b:user@d>``) are dropped as §4.1.1.3 allows. ``<>`` gives ``""``.

    Raises:
        DecodeError: no angle brackets, unbalanced quotes, or spaces/controls in the path.
    """
    m = _SIMPLE_PATH.match(text)
    if m is not None:  # the common case in one C call: <local@domain> or <>, no quotes or routes
        return m[1], m[2] or ""
    text = text.lstrip(" ")
    if not text.startswith("<"):
        raise DecodeError("path must be in angle brackets", layer="smtp")
    if '"' in text:
        end, quoted, i = -1, False, 1
        while i < len(text):
            ch = text[i]
            if ch == "\\" and quoted:
                i += 2
                continue
            if ch == '"':
                quoted = not quoted
            elif ch == ">" and not quoted:
                end = i
                break
            i += 1
    else:
        end = text.find(">")
    if end < 0:
        raise DecodeError("unterminated path", layer="smtp")
    address = text[1:end]
    rest = text[end + 1 :]
    if rest and not rest.startswith(" "):
        raise DecodeError("junk after path", layer="smtp")
    if address.startswith("@"):
        colon = address.find(":")
        if colon < 0:
            raise DecodeError("bad source route", layer="smtp")
        address = address[colon + 1 :]
    if address and (not _path_chars_ok(address) or "@" not in address[1:]):
        raise DecodeError(f"bad address {address[:80]!r}", layer="smtp")
    return address, rest.strip(" ")


_SIMPLE_PATH = re.compile(
    r" ?<((?:[^<>\"@\x00-\x20\x7f]+@[^<>\"@\x00-\x20\x7f]+)?)>(?: +(\S.*?))? *$", re.S
)
_BAD_PATH = re.compile(r"[\x00-\x1f\x7f <]")
_BAD_QUOTED_PATH = re.compile(r"[\x00-\x1f\x7f]")


def _path_chars_ok(address: str) -> bool:
    bad = _BAD_QUOTED_PATH if '"' in address else _BAD_PATH
    return bad.search(address) is None


def parse_params(text: str) -> dict[str, str | None]:
    """ESMTP parameters ``KEY=VALUE KEY2`` (RFC 5321 §4.1.2) -> {KEY: VALUE or None}, keys upper case.

    Raises:
        DecodeError: an empty keyword or a malformed ``=``.
    """
    params: dict[str, str | None] = {}
    for word in text.split():
        key, eq, value = word.partition("=")
        if not key or not key.replace("-", "").isalnum() or (eq and not value):
            raise DecodeError(f"bad ESMTP parameter {word[:40]!r}", layer="smtp")
        params[key.upper()] = value if eq else None
    return params


def format_params(params: dict[str, str | None]) -> str:
    """The inverse of :func:`parse_params` (with a leading space when not empty)."""
    return "".join(f" {k}={v}" if v is not None else f" {k}" for k, v in params.items())


def dot_stuff(data: bytes) -> bytes:
    """Body bytes ready for DATA: CRLF line ends, leading dots doubled, terminated by ``.CRLF``.

    RFC 5321 §4.5.2 (transparency) and §2.3.8 (lines end in CRLF; bare LF/CR are converted).
    """
    if b"\r" in data or b"\n" in data:
        if (
            b"\r\n" in data
            and data.count(b"\n") == data.count(b"\r\n")
            and data.count(b"\r") == data.count(b"\r\n")
        ):
            pass  # already clean CRLF: the common case, no copy
        else:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if data.startswith(b"."):
        data = b"." + data
    if b"\n." in data:
        data = data.replace(b"\n.", b"\n..")
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"
