"""Authentication flows: Basic (RFC 7617), Bearer (RFC 6750) and Digest (RFC 7616).

An auth is a generator over requests and responses (httpx's ``auth_flow`` shape): it
yields a request, receives the response, and may yield one more (digest answers a 401
challenge). The same flow drives the sync and the async client. Sans-IO.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Callable, Generator
from typing import Any

from ..errors import ConfigError
from .models import Request, Response

__all__ = ["Auth", "BasicAuth", "BearerAuth", "DigestAuth", "FunctionAuth", "to_auth"]

AuthFlow = Generator[Request, Response, None]


class Auth:
    """Base class: override :meth:`auth_flow` (yield the request; maybe read the reply)."""

    #: the flow may resend the request, so the body must be replayable
    needs_replay = False

    def auth_flow(self, request: Request) -> AuthFlow:
        yield request


class BasicAuth(Auth):
    """``Authorization: Basic base64(user:password)`` (RFC 7617 §2, UTF-8 charset)."""

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        user = username.encode("utf-8") if isinstance(username, str) else username
        pw = password.encode("utf-8") if isinstance(password, str) else password
        if b":" in user:
            raise ConfigError("a Basic auth user name may not contain ':' (RFC 7617 §2)")
        self._header = "Basic " + base64.b64encode(user + b":" + pw).decode("ascii")

    def auth_flow(self, request: Request) -> AuthFlow:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BasicAuth(***)"


class BearerAuth(Auth):
    """``Authorization: Bearer TOKEN`` (RFC 6750 §2.1)."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: Request) -> AuthFlow:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class FunctionAuth(Auth):
    """Any ``callable(request) -> request`` used as an auth."""

    def __init__(self, func: Callable[[Request], Request]) -> None:
        self.func = func

    def auth_flow(self, request: Request) -> AuthFlow:
        yield self.func(request)


_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-512-256": lambda b: hashlib.new("sha512_256", b),
}


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Digest realm="x", nonce="y"`` -> ("digest", {"realm": "x", "nonce": "y"})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)).replace(
            '\\"', '"'
        )
        for m in _PARAM.finditer(rest)
    }
    return scheme.lower(), params


class DigestAuth(Auth):
    """HTTP Digest: answers the server's 401 challenge (RFC 7616 §3.4), qop=auth, MD5/SHA-256.

    The first request goes without credentials; the challenge's nonce is then reused for
    later requests through the same client (nc counts up), so only the first costs a 401.
    """

    needs_replay = True

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self._challenge: dict[str, str] | None = None
        self._nc = 0

    def auth_flow(self, request: Request) -> AuthFlow:
        if self._challenge is not None:
            request.headers["Authorization"] = self._header(request, self._challenge)
        response = yield request
        if response.status_code != 401:
            return
        for value in response.headers.get_list("www-authenticate"):
            scheme, params = parse_challenge(value)
            if scheme == "digest" and "nonce" in params:
                break
        else:
            return
        stale = params.get("stale", "").lower() == "true"
        if (
            self._challenge is not None
            and not stale
            and self._challenge.get("nonce") == params.get("nonce")
        ):
            return  # the credentials themselves were refused
        self._challenge = params
        self._nc = 0
        request.headers["Authorization"] = self._header(request, params)
        yield request

    def _header(self, request: Request, ch: dict[str, str]) -> str:
        algorithm = ch.get("algorithm", "MD5")
        base_alg = algorithm.upper().removesuffix("-SESS")
        hash_fn = _HASHES.get(base_alg)
        if hash_fn is None:
            raise ConfigError(
                f"digest algorithm {algorithm!r} is not supported (MD5, SHA-256, SHA-512-256)"
            )

        def h(data: str) -> str:
            return str(hash_fn(data.encode("utf-8")).hexdigest())

        realm, nonce = ch.get("realm", ""), ch["nonce"]
        self._nc += 1
        nc = f"{self._nc:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = h(f"{self.username}:{realm}:{self.password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = h(f"{ha1}:{nonce}:{cnonce}")
        uri = request.url.target
        qops = [q.strip() for q in ch.get("qop", "").split(",") if q.strip()]
        if qops and "auth" not in qops:
            raise ConfigError(f"digest qop {ch.get('qop')!r} is not supported (only auth)")
        ha2 = h(f"{request.method}:{uri}")
        if qops:
            response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        else:
            response = h(f"{ha1}:{nonce}:{ha2}")
        parts = [
            f'username="{self.username}"',
            f'realm="{realm}"',
            f'nonce="{nonce}"',
            f'uri="{uri}"',
            f'response="{response}"',
            f"algorithm={algorithm}",
        ]
        if qops:
            parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        if "opaque" in ch:
            parts.append(f'opaque="{ch["opaque"]}"')
        return "Digest " + ", ".join(parts)

    def __repr__(self) -> str:
        return "DigestAuth(***)"


def to_auth(value: Any) -> Auth | None:
    """Normalise ``auth=``: an Auth, a (user, password) tuple (Basic), a callable, or None.

    Raises:
        ConfigError: anything else.
    """
    if value is None or isinstance(value, Auth):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return BasicAuth(*value)
    if callable(value):
        return FunctionAuth(value)
    raise ConfigError(f"auth={value!r}: expected (user, password), an Auth object or a callable")
