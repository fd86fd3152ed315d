"""HTTP URLs: parse and validate once, join relative references, merge query params, name origins.

Rules: only ``http`` and ``https``; a host is required; control characters are refused
(they are how header injection through a URL starts); spaces and non-ASCII characters in
the path and query are percent-encoded (RFC 3986 §2.1), non-ASCII hosts IDNA-encoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

from ..errors import ConfigError

__all__ = ["URL", "QueryParams", "encode_params"]

DEFAULT_PORTS = {"http": 80, "https": 443}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# RFC 3986 §2.2/§2.3: characters that may stay literal in a path or query.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"

QueryParams = Mapping[str, Any] | Iterable[tuple[str, Any]] | str | bytes | None


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def encode_params(params: QueryParams) -> str:
    """Encode query params (mapping, pairs, or an already-encoded string) as a query string.

    A mapping value that is a list or tuple repeats the key (``a=1&a=2``).
    """
    if params is None:
        return ""
    if isinstance(params, bytes):
        return params.decode("ascii")
    if isinstance(params, str):
        return params.lstrip("?")
    pairs: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, Mapping) else params
    for key, value in items:
        if isinstance(value, (list, tuple)):
            pairs.extend((str(key), _scalar(v)) for v in value)
        else:
            pairs.append((str(key), _scalar(value)))
    return urlencode(pairs)


class URL:
    """A parsed absolute http(s) URL. Immutable; ``str(url)`` gives it back normalised.

    Raises:
        ConfigError: not an absolute http/https URL, a bad port, or control characters.
    """

    __slots__ = (
        "_str",
        "fragment",
        "host",
        "password",
        "path",
        "port",
        "query",
        "scheme",
        "username",
    )

    def __init__(self, url: str | URL) -> None:
        if isinstance(url, URL):
            for name in URL.__slots__:
                setattr(self, name, getattr(url, name))
            return
        if not isinstance(url, str):
            raise ConfigError(f"URL must be a str, not {type(url).__name__}")
        if _CONTROL.search(url):
            raise ConfigError(f"URL contains control characters: {url!r}")
        url = url.strip()
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ConfigError(f"malformed URL {url!r}: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            hint = " (missing scheme? try http://...)" if not scheme or "." in scheme else ""
            raise ConfigError(f"URL {url!r} must be absolute http:// or https://{hint}")
        host = parts.hostname
        if not host:
            raise ConfigError(f"URL {url!r} has no host")
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise ConfigError(f"URL {url!r}: bad international host name: {exc}") from None
        if any(c in host for c in " /\\?#@"):
            raise ConfigError(f"URL {url!r} has an invalid host {host!r}")
        self.scheme = scheme
        self.host = host
        self.port = port
        self.username = parts.username
        self.password = parts.password
        path = parts.path or "/"
        self.path = path if path.isascii() and " " not in path else quote(path, safe=_SAFE_PATH)
        query = parts.query
        self.query = (
            query if query.isascii() and " " not in query else quote(query, safe=_SAFE_QUERY)
        )
        self.fragment = parts.fragment
        self._str = ""

    @property
    def effective_port(self) -> int:
        """The port, or the scheme's default."""
        return self.port if self.port is not None else DEFAULT_PORTS[self.scheme]

    @property
    def origin(self) -> tuple[str, str, int]:
        """(scheme, host, port): RFC 6454 origin; a change of any part is an origin change."""
        return (self.scheme, self.host, self.effective_port)

    @property
    def host_header(self) -> str:
        """The Host header value (RFC 9110 §7.2): default ports omitted, IPv6 in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (
            host
            if self.port is None or self.port == DEFAULT_PORTS[self.scheme]
            else f"{host}:{self.port}"
        )

    @property
    def target(self) -> str:
        """The request target (origin-form, RFC 9112 §3.2.1): path and query."""
        return f"{self.path}?{self.query}" if self.query else self.path

    def __str__(self) -> str:
        if not self._str:
            auth = ""
            if self.username is not None:
                auth = (
                    quote(self.username, safe="")
                    + (f":{quote(self.password, safe='')}" if self.password is not None else "")
                    + "@"
                )
            host = f"[{self.host}]" if ":" in self.host else self.host
            port = f":{self.port}" if self.port is not None else ""
            s = f"{self.scheme}://{auth}{host}{port}{self.target}"
            self._str = f"{s}#{self.fragment}" if self.fragment else s
        return self._str

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (URL, str)):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def join(self, ref: str) -> URL:
        """Resolve ``ref`` against this URL (RFC 3986 §5.2), e.g. a Location header.

        Raises:
            ConfigError: the result is not a valid http(s) URL.
        """
        return URL(urljoin(str(self), ref))

    def with_params(self, params: QueryParams) -> URL:
        """This URL with ``params`` appended to its query string."""
        extra = encode_params(params)
        if not extra:
            return self
        new = URL(self)
        new.query = f"{self.query}&{extra}" if self.query else extra
        new._str = ""
        return new

    def without_userinfo(self) -> URL:
        """This URL with any ``user:password@`` removed (it becomes Basic auth instead)."""
        if self.username is None:
            return self
        new = URL(self)
        new.username = new.password = None
        new._str = ""
        return new
