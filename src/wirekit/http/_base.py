"""What Client and AsyncClient share: configuration, request building, cookies, proxies, .netrc.

The send loops (auth, retries, redirects) live in ``_async_client.py``; ``_sync_client.py``
is generated from it by ``scripts/unasync_http.py``. Everything here is sync-safe policy.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .._version import __version__
from ..errors import ConfigError
from .auth import Auth, BasicAuth, to_auth
from .content import encode_body
from .cookies import CookieJar
from .decoding import DEFAULT_MAX_DECODED_SIZE, supported_encodings
from .models import Headers, HeaderTypes, Request, Response
from .retries import Retry, to_retry
from .timeouts import DEFAULT_TIMEOUT, Timeout, to_timeout
from .urls import URL, QueryParams, encode_params

__all__ = ["USE_CLIENT_DEFAULT", "BaseClient"]


class _UseClientDefault:
    def __repr__(self) -> str:
        return "USE_CLIENT_DEFAULT"


#: "not given": use the client's setting (distinct from None, which often means "off").
USE_CLIENT_DEFAULT: Any = _UseClientDefault()

ProxyTypes = str | Mapping[str, str | None] | None


def default_headers() -> Headers:
    return Headers.from_raw(
        [
            ("User-Agent", f"wirekit/{__version__}"),
            ("Accept", "*/*"),
            ("Accept-Encoding", ", ".join(supported_encodings())),
        ]
    )


async def async_sleep(seconds: float) -> None:
    import asyncio  # not at module level: the blocking client and the CLI never load asyncio

    await asyncio.sleep(seconds)


def sync_sleep(seconds: float) -> None:
    time.sleep(seconds)


class BaseClient:
    """Configuration shared by :class:`Client` and :class:`AsyncClient`.

    Args:
        base_url: prefix for relative request URLs (``"/users"`` -> ``base_url + "/users"``).
        headers, params, cookies: sent with every request (cookies: to the origin each call starts at).
        auth: (user, password) for Basic, or ``BasicAuth``/``BearerAuth``/``DigestAuth``/a callable.
        timeout: a Timeout, seconds, (connect, read), or None (no limits; not recommended).
        retries: a Retry or a count; idempotent methods are retried by default (2 times).
        follow_redirects: follow 3xx (default True), at most ``max_redirects`` (default 10).
        verify: TLS verification: True, False, a CA bundle path or an ssl.SSLContext.
        cert: client certificate path, or (cert, key).
        proxy: a proxy URL for every request, or a mapping {"http": url, "https": url, "all": url}.
        trust_env: read HTTP(S)_PROXY/NO_PROXY and ~/.netrc (default False: explicit only).
        max_decoded_size: cap on one decoded (decompressed) body, in bytes; None for no cap.
        transport: a custom transport (the one-method seam).

    Raises:
        ConfigError: an invalid option.
    """

    def __init__(
        self,
        *,
        base_url: str | URL | None = None,
        headers: HeaderTypes = None,
        params: QueryParams = None,
        cookies: Mapping[str, str] | CookieJar | None = None,
        auth: Any = None,
        timeout: Any = DEFAULT_TIMEOUT,
        retries: Retry | int | None = Retry(),
        follow_redirects: bool = True,
        max_redirects: int = 10,
        verify: Any = True,
        cert: Any = None,
        proxy: ProxyTypes = None,
        trust_env: bool = False,
        max_decoded_size: int | None = DEFAULT_MAX_DECODED_SIZE,
        transport: Any = None,
    ) -> None:
        self.base_url = URL(str(base_url).rstrip("/") + "/") if base_url is not None else None
        self.headers = default_headers()
        if headers:
            self.headers.update(headers)
        self.params = encode_params(params)
        self.cookies = cookies if isinstance(cookies, CookieJar) else CookieJar(cookies)
        self.auth = to_auth(auth)
        self.timeout = to_timeout(timeout)
        self.retries = to_retry(retries)
        self.follow_redirects = follow_redirects
        if max_redirects < 0:
            raise ConfigError("max_redirects must be >= 0")
        self.max_redirects = max_redirects
        self.verify = verify
        self.cert = cert
        self.proxy = proxy
        if isinstance(proxy, str):
            URL(proxy)  # validate now
        self.trust_env = trust_env
        self.max_decoded_size = max_decoded_size
        self._transport = transport
        self._url_cache: dict[str, URL] = {}
        self._closed = False

    # -- building ---------------------------------------------------------------------
    def _merge_url(self, url: str | URL) -> URL:
        if isinstance(url, URL):
            return url
        cached = self._url_cache.get(url)
        if cached is not None:
            return cached
        if self.base_url is not None and not url.lower().startswith(("http://", "https://")):
            merged = URL(str(self.base_url).split("?", 1)[0] + url.lstrip("/"))
        else:
            merged = URL(url)
        if len(self._url_cache) < 512:
            self._url_cache[url] = merged
        return merged

    def build_request(
        self,
        method: str,
        url: str | URL,
        *,
        params: QueryParams = None,
        headers: HeaderTypes = None,
        cookies: Mapping[str, str] | None = None,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        timeout: Any = USE_CLIENT_DEFAULT,
        verify: Any = USE_CLIENT_DEFAULT,
        cert: Any = USE_CLIENT_DEFAULT,
    ) -> Request:
        """The Request a call would send (defaults merged, body encoded), without sending it.

        Raises:
            ConfigError: a malformed URL, header, body or option.
        """
        target = self._merge_url(url)
        if self.params:
            target = target.with_params(self.params)
        if params is not None:
            target = target.with_params(params)
        hdrs = self.headers.copy()
        extensions: dict[str, Any] = {}
        if target.username is not None:
            from urllib.parse import unquote

            extensions["url_auth"] = BasicAuth(
                unquote(target.username), unquote(target.password or "")
            )
            target = target.without_userinfo()
        if content is not None or data is not None or files is not None or json is not None:
            body_headers, body = encode_body(content=content, data=data, files=files, json=json)
            for k, v in body_headers.items():
                hdrs[k] = v
        else:
            body = None
        if headers:
            hdrs.update(headers)
        if cookies:
            extra = "; ".join(f"{k}={v}" for k, v in cookies.items())
            existing = hdrs.get("cookie")
            hdrs["Cookie"] = f"{existing}; {extra}" if existing else extra
        extensions["timeout"] = (
            self.timeout if timeout is USE_CLIENT_DEFAULT else to_timeout(timeout)
        )
        if verify is not USE_CLIENT_DEFAULT:
            extensions["verify"] = verify
        if cert is not USE_CLIENT_DEFAULT:
            extensions["cert"] = cert
        return Request(method, target, headers=hdrs, content=body, extensions=extensions)

    def _resolve_auth(self, request: Request, auth: Any) -> Auth | None:
        if auth is not USE_CLIENT_DEFAULT:
            resolved = to_auth(auth)
        else:
            resolved = request.extensions.get("url_auth") or self.auth
        if resolved is None and self.trust_env and "authorization" not in request.headers:
            resolved = self._netrc_auth(request.url)
        if resolved is not None and resolved.needs_replay and not request.replayable:
            raise ConfigError(
                f"{type(resolved).__name__} may resend the request, so the body must be bytes, not a stream"
            )
        return resolved

    @staticmethod
    def _netrc_auth(url: URL) -> Auth | None:
        import netrc
        import os

        path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
        try:
            entry = netrc.netrc(path).authenticators(url.host)
        except (OSError, netrc.NetrcParseError):
            return None
        if not entry:
            return None
        login, _, password = entry
        return BasicAuth(login or "", password or "")

    def _proxy_for(self, url: URL) -> str | None:
        proxy = self.proxy
        if isinstance(proxy, str):
            return proxy
        if isinstance(proxy, Mapping):
            return proxy.get(url.scheme) or proxy.get("all")
        if self.trust_env:
            import urllib.request

            env = urllib.request.getproxies_environment()
            if urllib.request.proxy_bypass_environment(url.host, env):  # type: ignore[attr-defined]
                return None
            return env.get(url.scheme) or env.get("all")
        return None

    def _prepare_hop(self, request: Request, *, first_origin: tuple[str, str, int]) -> Request:
        """Add jar cookies and the proxy for one hop (returns a copy if headers change)."""
        now = time.time()
        cookie = (
            self.cookies.header_for(request.url, now, unbound=request.url.origin == first_origin)
            if self.cookies
            else None
        )
        if (self.proxy is not None or self.trust_env) and "proxy" not in request.extensions:
            request.extensions["proxy"] = self._proxy_for(request.url)
        if cookie is None:
            return request
        headers = request.headers.copy()
        existing = headers.get("cookie")
        headers["Cookie"] = f"{existing}; {cookie}" if existing else cookie
        return Request(
            request.method,
            request.url,
            headers=headers,
            content=request.content,
            extensions=request.extensions,
        )

    def _after_response(self, response: Response) -> None:
        if response.request is not None:
            set_cookies = response.headers.get_list("set-cookie")
            if set_cookies:
                self.cookies.extract(response.request.url, set_cookies, time.time())
        response.max_decoded_size = self.max_decoded_size

    @staticmethod
    def _remaining(deadline: float | None) -> float | None:
        if deadline is None:
            return None
        return deadline - time.monotonic()

    @staticmethod
    def _with_timeout(request: Request, remaining: float | None) -> None:
        t: Timeout = request.extensions.get("timeout") or DEFAULT_TIMEOUT
        request.extensions["timeout"] = t.capped(remaining)
