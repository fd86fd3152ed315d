"""Async transport on aiohttp's client: the only module that imports aiohttp.client.

aiohttp's redirects, cookies, decompression and environment proxies are all off (the
client owns policy). aiohttp keys pooled connections by (host, port, ssl settings,
proxy), so a ``verify=False`` request never shares a connection with a verified one.
aiohttp's exceptions are translated here, once.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import aiohttp

from ..errors import (
    BrokenStreamError,
    ConfigError,
    ConnectError,
    ConnectTimeout,
    ReadTimeout,
    RemoteProtocolError,
    TLSError,
    WirekitError,
)
from .models import Headers, Request, Response
from .timeouts import DEFAULT_TIMEOUT, Timeout
from .transport import AsyncTransport
from .urls import URL

__all__ = ["AiohttpTransport"]


def translate(exc: BaseException, url: Any = None) -> WirekitError:
    """The wirekit error for an aiohttp / asyncio / OSError failure."""
    if isinstance(exc, WirekitError):
        return exc
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
        return TLSError(f"TLS with {url} failed: {exc}", reason=str(exc))
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimeout(f"connect to {url} timed out", address=str(url))
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return ReadTimeout(f"read from {url} timed out")
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return ReadTimeout(f"{url}: timed out")
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return ReadTimeout(f"{url}: total timeout passed")
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return ConnectError(f"cannot connect to the proxy for {url}: {exc}", address=str(url))
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"cannot connect to {url}: {exc.os_error or exc}", address=str(url))
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return ConnectError(
            f"proxy refused the tunnel for {url}: {exc.status} {exc.message}", address=str(url)
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return RemoteProtocolError(
            f"{url}: server closed the connection without a (complete) response"
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return RemoteProtocolError(f"{url}: truncated or malformed body ({exc})")
    if isinstance(exc, aiohttp.ClientResponseError):
        return RemoteProtocolError(f"{url}: malformed response: {exc.message or exc}")
    if isinstance(exc, aiohttp.InvalidURL):
        return ConfigError(f"bad URL {url}: {exc}")
    if isinstance(exc, ssl.SSLError):
        return TLSError(f"TLS with {url} failed: {exc}", reason=str(exc))
    if isinstance(exc, (aiohttp.ClientOSError, OSError)):
        err = BrokenStreamError(f"{url}: connection broken: {exc}")
        err.__cause__ = exc
        return err
    if isinstance(exc, aiohttp.ClientError):
        return RemoteProtocolError(f"{url}: {exc}")
    return RemoteProtocolError(f"{url}: {exc!r}")


_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError)


class _Stream:
    """An aiohttp response body as wirekit's AsyncByteStream."""

    __slots__ = ("_r", "_url")

    def __init__(self, resp: aiohttp.ClientResponse, url: URL) -> None:
        self._r = resp
        self._url = url

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._r.content
        try:
            while True:
                # readany: whatever is buffered, without re-chunking (iter_chunked copies)
                chunk = await content.readany()
                if not chunk:
                    break
                yield chunk
        except _ERRORS as exc:
            self._r.close()
            raise translate(exc, self._url) from exc
        self._r.release()

    async def aread_all(self) -> bytes:
        try:
            return await self._r.read()
        except _ERRORS as exc:
            self._r.close()
            raise translate(exc, self._url) from exc

    async def aclose(self) -> None:
        if self._r.content.is_eof():
            self._r.release()
        else:
            self._r.close()


def _tls_key(verify: Any, cert: Any) -> Any:
    return (
        id(verify) if isinstance(verify, ssl.SSLContext) else verify,
        tuple(cert) if isinstance(cert, list) else cert,
    )


class AiohttpTransport(AsyncTransport):
    """HTTP/1.1 on asyncio through one aiohttp ClientSession (keep-alive pool).

    ``verify``: True, False, a CA bundle path, or an ``ssl.SSLContext``. ``cert``: client
    certificate path or (cert, key). ``proxy``: an http proxy URL (https via CONNECT).
    ``limit``: connections open at once (all hosts); ``limit_per_host``: 0 for no cap.
    """

    def __init__(
        self,
        *,
        verify: Any = True,
        cert: Any = None,
        proxy: str | None = None,
        limit: int = 100,
        limit_per_host: int = 0,
    ) -> None:
        self.verify = verify
        self.cert = cert
        self.proxy = proxy
        self.limit = limit
        self.limit_per_host = limit_per_host
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ssl: dict[Any, Any] = {}
        self._timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        self._yarls: dict[str, Any] = {}

    def _get_session(self) -> aiohttp.ClientSession:
        """The session of the running loop.

        Raises:
            ConfigError: the transport's connections belong to another event loop.
        """
        loop = asyncio.get_running_loop()
        if self._session is not None and self._loop is not loop and not self._session.closed:
            raise ConfigError(
                "this AsyncClient's connections belong to another event loop: "
                "use one AsyncClient per loop (e.g. inside the asyncio.run that uses it)"
            )
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.limit,
                limit_per_host=self.limit_per_host,
                ssl=True,
                enable_cleanup_closed=False,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                requote_redirect_url=False,
            )
            self._loop = loop
        return self._session

    def _ssl_for(self, verify: Any, cert: Any) -> Any:
        key = _tls_key(verify, cert)
        ctx = self._ssl.get(key)
        if ctx is None:
            if isinstance(verify, ssl.SSLContext):
                ctx = verify
            elif verify is False:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            elif isinstance(verify, str):
                ctx = ssl.create_default_context(cafile=verify)
            else:
                ctx = ssl.create_default_context()
            if cert is not None:
                if isinstance(cert, (tuple, list)):
                    ctx.load_cert_chain(cert[0], cert[1])
                else:
                    ctx.load_cert_chain(cert)
            self._ssl[key] = ctx
        return ctx

    def _yarl(self, url: URL) -> Any:
        key = str(url)
        yurl = self._yarls.get(key)
        if yurl is None:
            import yarl

            yurl = yarl.URL(key, encoded=True)  # already normalised by wirekit: no re-quoting
            if len(self._yarls) < 256:
                self._yarls[key] = yurl
        return yurl

    def _timeout(self, t: Timeout) -> aiohttp.ClientTimeout:
        ct = self._timeouts.get(t)
        if ct is None:
            ct = aiohttp.ClientTimeout(
                total=t.total, sock_connect=t.connect, connect=t.connect, sock_read=t.read
            )
            if len(self._timeouts) < 64:
                self._timeouts[t] = ct
        return ct

    async def handle_async_request(self, request: Request) -> Response:
        """Send one request through aiohttp.

        Raises:
            ConnectError, ConnectTimeout, ReadTimeout, TLSError, RemoteProtocolError, BrokenStreamError.
        """
        session = self._get_session()
        ext = request.extensions
        url = request.url
        kwargs: dict[str, Any] = {}
        if url.scheme == "https":
            kwargs["ssl"] = self._ssl_for(
                ext.get("verify", self.verify), ext.get("cert", self.cert)
            )
        proxy = ext.get("proxy", self.proxy)
        proxy_auth_header = None
        if proxy:
            purl = URL(proxy)
            kwargs["proxy"] = str(purl.without_userinfo())
            if purl.username is not None:
                from .auth import BasicAuth

                creds = BasicAuth(unquote(purl.username), unquote(purl.password or ""))._header
                if url.scheme == "https":  # sent on the CONNECT request only
                    kwargs["proxy_headers"] = {"Proxy-Authorization": creds}
                else:  # plain http: the request itself goes to the proxy
                    proxy_auth_header = creds
        body = request.content
        if (
            body is not None
            and hasattr(body, "__iter__")
            and not isinstance(body, (bytes, bytearray, memoryview))
            and not hasattr(body, "read")
        ):
            body = _aiter_sync(body)
        try:
            resp = await session.request(
                request.method,
                self._yarl(url),
                headers=request.headers._items
                if proxy_auth_header is None
                else [*request.headers._items, ("Proxy-Authorization", proxy_auth_header)],
                data=body,
                allow_redirects=False,
                timeout=self._timeout(ext.get("timeout") or DEFAULT_TIMEOUT),
                **kwargs,
            )
        except _ERRORS as exc:
            raise translate(exc, url) from exc
        headers = list(resp.headers.items())  # decoded by aiohttp's C parser already
        version = resp.version
        return Response(
            resp.status,
            headers=Headers.from_raw(headers),
            stream=_Stream(resp, url),
            request=request,
            reason=resp.reason or "",
            http_version=f"HTTP/{version.major}.{version.minor}" if version else "HTTP/1.1",
        )

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


async def _aiter_sync(it: Any) -> AsyncIterator[bytes]:
    for chunk in it:
        yield chunk
