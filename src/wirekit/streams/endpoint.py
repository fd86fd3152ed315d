"""The one endpoint grammar: ``tcp:host:port``, ``tls:host:port``, ``udp:host:port``, ``unix:/path``, options after ``?``."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from ..errors import ConfigError

ACCEPTED_FORMS = (
    "tcp:HOST:PORT",
    "tls:HOST:PORT",
    "udp:HOST:PORT",
    "unix:/PATH",
    "(IPv6 hosts in brackets: tcp:[::1]:80; options after '?': tls:example.org:443?verify=no&sni=NAME)",
)

#: Options each endpoint kind accepts (name -> help). Unknown options are an error, not ignored.
OPTIONS: dict[str, dict[str, str]] = {
    "tcp": {"nodelay": "yes|no (default yes)", "backlog": "listen backlog", "reuseport": "yes|no"},
    "tls": {
        "verify": "yes|no (default yes)",
        "sni": "server name to send and verify",
        "ca": "PEM file of trusted CAs",
        "cert": "PEM certificate (client cert, or server cert)",
        "key": "PEM private key",
        "alpn": "comma-separated ALPN protocols",
        "nodelay": "yes|no (default yes)",
        "backlog": "listen backlog",
    },
    "udp": {"broadcast": "yes|no", "reuseport": "yes|no"},
    "unix": {"backlog": "listen backlog", "mode": "octal file mode of the socket"},
}


def _bad(text: str, why: str) -> ConfigError:
    return ConfigError(
        f"bad endpoint {text!r}: {why}. Accepted forms: " + ", ".join(ACCEPTED_FORMS)
    )


@dataclass(frozen=True)
class Endpoint:
    """A parsed endpoint. ``host``/``port`` for tcp, tls and udp; ``path`` for unix."""

    kind: str
    host: str = ""
    port: int = 0
    path: str = ""
    options: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def address(self) -> tuple[str, int] | str:
        """What ``socket.connect``/``bind`` takes."""
        return self.path if self.kind == "unix" else (self.host, self.port)

    def flag(self, name: str, default: bool) -> bool:
        """A yes/no option.

        Raises:
            ConfigError: the value is not a yes/no word.
        """
        value = self.options.get(name)
        if value is None:
            return default
        v = value.lower()
        if v in ("yes", "true", "1", "on"):
            return True
        if v in ("no", "false", "0", "off"):
            return False
        raise ConfigError(f"endpoint option {name}={value!r}: expected yes or no")

    def with_port(self, port: int) -> Endpoint:
        return Endpoint(self.kind, self.host, port, self.path, dict(self.options))

    def __str__(self) -> str:
        if self.kind == "unix":
            base = f"unix:{self.path}"
        else:
            host = f"[{self.host}]" if ":" in self.host else self.host
            base = f"{self.kind}:{host}:{self.port}"
        if self.options:
            base += "?" + "&".join(f"{k}={quote(v, safe='/,.:-')}" for k, v in self.options.items())
        return base


def parse_endpoint(text: str | Endpoint, *, default_kind: str | None = None) -> Endpoint:
    """Parse an endpoint string.

    ``default_kind`` lets a caller accept a bare ``HOST:PORT`` (for example ``tcp``).

    Raises:
        ConfigError: the string is not one of the accepted forms; the message lists them.
    """
    if isinstance(text, Endpoint):
        return text
    if not isinstance(text, str) or not text:
        raise _bad(str(text), "empty")
    base, sep, query = text.partition("?")
    kind, colon, rest = base.partition(":")
    if not colon or kind not in OPTIONS:
        if default_kind is not None and kind not in OPTIONS:
            return parse_endpoint(f"{default_kind}:{text}")
        raise _bad(text, f"unknown kind {kind!r}" if colon else "missing kind")
    options: dict[str, str] = {}
    if sep:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError as exc:
            raise _bad(text, f"bad options ({exc})") from None
        for key, value in pairs:
            if key not in OPTIONS[kind]:
                known = ", ".join(f"{k} ({h})" for k, h in OPTIONS[kind].items())
                raise ConfigError(
                    f"bad endpoint {text!r}: unknown option {key!r} for {kind}; known: {known}"
                )
            options[key] = value
    if kind == "unix":
        if not rest:
            raise _bad(text, "missing path")
        return Endpoint("unix", path=rest, options=options)
    if rest.startswith("["):
        host, bracket, port_text = rest[1:].partition("]")
        if not bracket or not port_text.startswith(":"):
            raise _bad(text, "unclosed IPv6 bracket or missing port")
        port_text = port_text[1:]
    else:
        host, colon2, port_text = rest.rpartition(":")
        if not colon2:
            raise _bad(text, "missing port")
        if ":" in host:
            raise _bad(text, "IPv6 addresses must be in brackets")
    if not host:
        raise _bad(text, "missing host")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise _bad(text, f"port {port_text!r} is not a number from 0 to 65535")
    return Endpoint(kind, host=host, port=int(port_text), options=options)
