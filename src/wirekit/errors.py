"""The one exception tree of wirekit.

::

    WirekitError
    ├── ConfigError (ValueError)             bad endpoint, option, file
    ├── ProtocolError
    │   ├── LocalProtocolError               we were asked to send something illegal
    │   └── RemoteProtocolError              the peer sent something illegal
    │       ├── DecodeError (ValueError)     bytes that do not parse: .offset, .layer
    │       ├── LineTooLong                  a peer line exceeded the configured limit
    │       └── TooManyRedirects             an HTTP redirect chain passed max_redirects
    ├── TransportError
    │   ├── ConnectError (OSError)           .address
    │   ├── Timeout (TimeoutError)           .partial
    │   │   ├── ConnectTimeout
    │   │   ├── ReadTimeout
    │   │   └── WriteTimeout
    │   ├── BrokenStreamError                the peer or network broke it; __cause__ holds the OSError
    │   │   └── IncompleteReadError          EOF before the expected bytes: .partial
    │   ├── TLSError                         .reason
    │   └── HostKeyError                     SSH host key unknown or changed: .host, .reason
    ├── ClosedStreamError                    you closed it, then used it
    ├── MissingExtraError (ImportError)      an optional dependency is not installed: .extra
    ├── AuthenticationError                  SSH/SMTP/FTP/SNMPv3 credentials refused
    └── ReplyError                           a well-formed refusal: .code, .text
        ├── HTTPStatusError
        ├── SMTPReplyError
        ├── FTPReplyError
        ├── SNMPErrorStatus
        ├── SFTPReplyError
        └── RemoteCommandFailed

Rules: parsers and ``receive_*`` methods raise only :class:`DecodeError` or
:class:`RemoteProtocolError` on bad input. Foreign exceptions (``OSError``,
``ssl.SSLError``, asyncssh, urllib3, aiohttp) are translated once, in the adapter
module that imports the foreign engine. CLI exit codes come from :data:`EXIT_CODES`.
"""

from __future__ import annotations

__all__ = [
    "EXIT_CODES",
    "AuthenticationError",
    "BrokenStreamError",
    "ClosedStreamError",
    "ConfigError",
    "ConnectError",
    "ConnectTimeout",
    "DecodeError",
    "FTPReplyError",
    "HTTPStatusError",
    "HostKeyError",
    "IncompleteReadError",
    "LineTooLong",
    "LocalProtocolError",
    "MissingExtraError",
    "ProtocolError",
    "ReadTimeout",
    "RemoteCommandFailed",
    "RemoteProtocolError",
    "ReplyError",
    "SFTPReplyError",
    "SMTPReplyError",
    "SNMPErrorStatus",
    "TLSError",
    "Timeout",
    "TooManyRedirects",
    "TransportError",
    "WirekitError",
    "WriteTimeout",
    "exit_code_for",
]


class WirekitError(Exception):
    """Base of every error wirekit raises on purpose."""


class ConfigError(WirekitError, ValueError):
    """A bad endpoint string, option or file."""


class ProtocolError(WirekitError):
    """A protocol rule was broken, by us or by the peer."""


class LocalProtocolError(ProtocolError):
    """We were asked to send something the protocol forbids."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol forbids."""


class DecodeError(RemoteProtocolError, ValueError):
    """Bytes that do not parse.

    ``offset`` is the byte offset of the problem, ``layer`` names the layer or codec, and
    ``truncated`` is true when more bytes would have helped (as opposed to malformed bytes).
    """

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        layer: str | None = None,
        truncated: bool = False,
    ) -> None:
        super().__init__(message)
        self.offset = offset
        self.layer = layer
        self.truncated = truncated

    def __str__(self) -> str:
        msg = super().__str__()
        where = []
        if self.layer:
            where.append(self.layer)
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return f"{msg} ({', '.join(where)})" if where else msg


class LineTooLong(RemoteProtocolError):
    """A line (or frame) from the peer exceeded the configured maximum. ``limit`` says which."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class TooManyRedirects(RemoteProtocolError):
    """An HTTP redirect chain passed the client's ``max_redirects`` (a loop, most likely)."""


class TransportError(WirekitError):
    """The connection could not carry the bytes."""


class ConnectError(TransportError, OSError):
    """The connection could not be made. ``address`` names what we tried."""

    def __init__(self, message: str, *, address: object = None) -> None:
        Exception.__init__(self, message)
        self.address = address

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "connect failed"


class Timeout(TransportError, TimeoutError):
    """A deadline passed. ``partial`` holds what was received before it (never lost)."""

    def __init__(self, message: str = "timed out", *, partial: bytes = b"") -> None:
        Exception.__init__(self, message)
        self.partial = partial

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "timed out"


class ConnectTimeout(Timeout, ConnectError):
    """The connection was not made in time."""

    def __init__(self, message: str = "connect timed out", *, address: object = None) -> None:
        Timeout.__init__(self, message)
        self.address = address


class ReadTimeout(Timeout):
    """Nothing (or not enough) arrived in time."""


class WriteTimeout(Timeout):
    """The peer did not take our bytes in time."""


class BrokenStreamError(TransportError):
    """The peer or the network broke the stream; ``__cause__`` holds the OSError."""


class IncompleteReadError(BrokenStreamError):
    """The peer closed before the expected bytes arrived; ``partial`` holds what did."""

    def __init__(self, message: str, *, partial: bytes = b"") -> None:
        super().__init__(message)
        self.partial = partial


class TLSError(TransportError):
    """The TLS handshake or a TLS record failed. ``reason`` says why (for example the
    certificate verification message)."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


class HostKeyError(TransportError):
    """An SSH server's host key could not be trusted. ``reason`` is ``"unknown"`` (not in
    known_hosts) or ``"changed"`` (known_hosts lists another key: always fatal); ``host`` names it."""

    def __init__(self, message: str, *, host: str = "", reason: str = "unknown") -> None:
        super().__init__(message)
        self.host = host
        self.reason = reason


class ClosedStreamError(WirekitError):
    """You closed this stream (or resource), then used it."""


class MissingExtraError(WirekitError, ImportError):
    """An optional dependency is missing; ``extra`` names the wirekit extra to install."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs the optional dependency: pip install 'wirekit[{extra}]'")
        self.extra = extra


class AuthenticationError(WirekitError):
    """Credentials were refused (SSH, SMTP, FTP, SNMPv3).

    ``check`` names the check that failed when the protocol says (for SNMPv3:
    ``unknownUserName``, ``wrongDigest``, ``decryptionError``, ``unsupportedSecLevel``).
    """

    check: str | None = None


class ReplyError(WirekitError):
    """A well-formed refusal from the peer, with its ``code`` and ``text``."""

    def __init__(self, code: int | str, text: str = "", message: str | None = None) -> None:
        super().__init__(message or f"{code} {text}".strip())
        self.code = code
        self.text = text


class HTTPStatusError(ReplyError):
    """An HTTP response had a 4xx or 5xx status (raised by ``raise_for_status``)."""


class SMTPReplyError(ReplyError):
    """An SMTP server refused a command."""


class FTPReplyError(ReplyError):
    """An FTP server refused a command."""


class SNMPErrorStatus(ReplyError):
    """An SNMP agent answered with a non-zero error-status; ``index`` is the varbind."""


class SFTPReplyError(ReplyError):
    """An SFTP server refused a request (``code`` is the SFTP status, e.g. 2 = no such file)."""


class RemoteCommandFailed(ReplyError):
    """A remote command exited non-zero (``code`` is the exit status)."""


#: CLI exit codes, keyed by exception type; the most specific class wins.
EXIT_CODES: dict[type[BaseException], int] = {
    WirekitError: 1,
    ConfigError: 2,
    ConnectError: 3,
    Timeout: 4,
    TLSError: 5,
    HostKeyError: 5,
    AuthenticationError: 6,
    ReplyError: 7,
    ProtocolError: 8,
    BrokenStreamError: 9,
    MissingExtraError: 10,
    KeyboardInterrupt: 130,
}


def exit_code_for(exc: BaseException) -> int:
    """The CLI exit code for ``exc``: the entry of its nearest class in :data:`EXIT_CODES`."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1
