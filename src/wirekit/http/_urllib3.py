"""Sync transport on urllib3 2.x: the only module that imports urllib3.

urllib3's own redirects, retries and content decoding are off (the client owns policy).
Connection pools are keyed by origin *and* TLS settings, so a ``verify=False`` request can
never reuse, or leave behind, a connection that a verified request would then pick up
(CVE-2024-35195 in requests). urllib3's exceptions are translated here, once.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator
from typing import Any

import urllib3
from urllib3 import exceptions as u3e

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
from .transport import Transport
from .urls import URL

__all__ = ["Urllib3Transport"]

_CHUNK = 256 * 1024
# One immutable "never retry, never redirect" policy, instead of urllib3 building one per call.
_NO_RETRIES = urllib3.Retry(total=False, redirect=False)
_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 9: "HTTP/0.9"}


def translate(exc: BaseException, url: Any = None) -> WirekitError:
    """The wirekit error for a urllib3 / http.client / OSError failure."""
    if isinstance(exc, WirekitError):
        return exc
    if isinstance(exc, u3e.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, url)
    if isinstance(exc, u3e.ConnectTimeoutError):
        return ConnectTimeout(f"connect to {url} timed out", address=str(url))
    if isinstance(exc, u3e.ReadTimeoutError):
        return ReadTimeout(f"read from {url} timed out")
    if isinstance(exc, u3e.SSLError):
        reason = str(exc.args[0]) if exc.args else str(exc)
        return TLSError(f"TLS with {url} failed: {reason}", reason=reason)
    if isinstance(exc, u3e.ProxyError):
        return ConnectError(
            f"proxy for {url} failed: {exc.original_error if hasattr(exc, 'original_error') else exc}",
            address=str(url),
        )
    if isinstance(exc, (u3e.NewConnectionError, u3e.NameResolutionError)):
        return ConnectError(f"cannot connect to {url}: {exc}", address=str(url))
    if isinstance(exc, u3e.LocationParseError):
        return ConfigError(f"bad URL {url}: {exc}")
    if isinstance(exc, u3e.ProtocolError):
        cause = exc.args[1] if len(exc.args) > 1 else exc.__cause__
        if isinstance(cause, (http.client.HTTPException, u3e.ProtocolError)) or cause is None:
            return RemoteProtocolError(f"{url}: {_describe(cause or exc)}")
        if isinstance(cause, OSError):
            err = BrokenStreamError(f"{url}: connection broken: {cause}")
            err.__cause__ = cause
            return err
        return RemoteProtocolError(f"{url}: {exc}")
    if isinstance(exc, (http.client.HTTPException, u3e.HTTPError)):
        return RemoteProtocolError(f"{url}: {_describe(exc)}")
    if isinstance(exc, TimeoutError):
        return ReadTimeout(f"{url}: timed out")
    if isinstance(exc, ssl.SSLError):
        return TLSError(f"TLS with {url} failed: {exc}", reason=str(exc))
    if isinstance(exc, OSError):
        err = BrokenStreamError(f"{url}: connection broken: {exc}")
        err.__cause__ = exc
        return err
    return RemoteProtocolError(f"{url}: {exc!r}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, http.client.RemoteDisconnected):
        return "server closed the connection without a response"
    if isinstance(exc, http.client.IncompleteRead) or "IncompleteRead" in repr(exc):
        return f"body truncated (incomplete read: {exc})"
    if isinstance(exc, u3e.InvalidChunkLength) or "InvalidChunkLength" in repr(exc):
        return f"truncated or malformed chunked body ({exc})"
    if isinstance(exc, http.client.LineTooLong):
        return f"header line too long ({exc})"
    if isinstance(exc, http.client.BadStatusLine):
        return f"garbage status line: {str(exc)[:80]!r}"
    text = str(exc)
    if "more than" in text and "headers" in text:
        return f"too many headers ({text})"
    return text or type(exc).__name__


class _Stream:
    """A urllib3 response body as wirekit's ByteStream."""

    __slots__ = ("_r", "_url")

    def __init__(self, resp: Any, url: URL) -> None:
        self._r = resp
        self._url = url

    def __iter__(self) -> Iterator[bytes]:
        r = self._r
        try:
            yield from r.stream(_CHUNK, decode_content=False)
        except (u3e.HTTPError, http.client.HTTPException, OSError) as exc:
            self.close()
            raise translate(exc, self._url) from exc
        r.release_conn()

    def read_all(self) -> bytes:
        try:
            data: bytes = self._r.read(decode_content=False)
        except (u3e.HTTPError, http.client.HTTPException, OSError) as exc:
            self.close()
            raise translate(exc, self._url) from exc
        self._r.release_conn()
        return data

    def close(self) -> None:
        r = self._r
        if r._fp is not None and not r.isclosed():
            # unread body: the connection cannot be reused; close it rather than drain it
            r.close()
        r.release_conn()


class _UnverifiedPool(urllib3.HTTPSConnectionPool):
    """A pool for ``verify=False``: the user chose it explicitly, so no warning per request."""

    def _validate_conn(self, conn: Any) -> None:
        urllib3.HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()


def _tls_key(verify: Any, cert: Any) -> tuple[Any, Any]:
    if isinstance(verify, ssl.SSLContext):
        verify = ("ctx", id(verify))
    return (verify, cert if not isinstance(cert, list) else tuple(cert))


class Urllib3Transport(Transport):
    """Blocking HTTP/1.1 over urllib3 connection pools (keep-alive, TCP_NODELAY).

    ``verify``: True (system CAs), False, a CA bundle path, or an ``ssl.SSLContext``.
    ``cert``: a client certificate path or (cert, key). ``proxy``: an http(s) proxy URL
    (https targets tunnel through CONNECT). ``pool_maxsize``: connections kept per origin.
    """

    def __init__(
        self,
        *,
        verify: Any = True,
        cert: Any = None,
        proxy: str | None = None,
        pool_maxsize: int = 10,
    ) -> None:
        self.verify = verify
        self.cert = cert
        self.proxy = proxy
        self.pool_maxsize = pool_maxsize
        self._pools: dict[tuple[Any, ...], Any] = {}
        self._proxy_managers: dict[tuple[Any, ...], Any] = {}
        self._timeouts: dict[Timeout, Any] = {}

    def _tls_kwargs(self, verify: Any, cert: Any) -> dict[str, Any]:
        kw: dict[str, Any] = {}
        if isinstance(verify, ssl.SSLContext):
            kw["ssl_context"] = verify
        elif verify is False:
            kw["cert_reqs"] = "CERT_NONE"
            kw["assert_hostname"] = False
        else:
            kw["cert_reqs"] = "CERT_REQUIRED"
            if isinstance(verify, str):  # otherwise urllib3 loads the system trust store
                kw["ca_certs"] = verify
        if cert is not None:
            if isinstance(cert, (tuple, list)):
                kw["cert_file"], kw["key_file"] = cert[0], cert[1]
            else:
                kw["cert_file"] = cert
        return kw

    def _pool(self, url: URL, verify: Any, cert: Any) -> Any:
        tls = _tls_key(verify, cert) if url.scheme == "https" else ()
        key = (url.scheme, url.host, url.effective_port, *tls)
        pool = self._pools.get(key)
        if pool is None:
            if url.scheme == "https":
                cls = _UnverifiedPool if verify is False else urllib3.HTTPSConnectionPool
                pool = cls(
                    url.host,
                    url.effective_port,
                    maxsize=self.pool_maxsize,
                    block=False,
                    retries=False,
                    **self._tls_kwargs(verify, cert),
                )
            else:
                pool = urllib3.HTTPConnectionPool(
                    url.host,
                    url.effective_port,
                    maxsize=self.pool_maxsize,
                    block=False,
                    retries=False,
                )
            self._pools[key] = pool
        return pool

    def _proxy_manager(self, proxy: str, verify: Any, cert: Any) -> Any:
        key = (proxy, *_tls_key(verify, cert))
        mgr = self._proxy_managers.get(key)
        if mgr is None:
            purl = URL(proxy)
            headers = None
            if purl.username is not None:
                from urllib.parse import unquote

                headers = urllib3.make_headers(
                    proxy_basic_auth=f"{unquote(purl.username)}:{unquote(purl.password or '')}"
                )
            mgr = urllib3.ProxyManager(
                str(purl.without_userinfo()),
                proxy_headers=headers,
                maxsize=self.pool_maxsize,
                retries=False,
                **self._tls_kwargs(verify, cert),
            )
            if verify is False:
                mgr.pool_classes_by_scheme = {
                    "http": urllib3.HTTPConnectionPool,
                    "https": _UnverifiedPool,
                }
            self._proxy_managers[key] = mgr
        return mgr

    def handle_request(self, request: Request) -> Response:
        """Send one request through urllib3.

        Raises:
            ConnectError, ConnectTimeout, ReadTimeout, TLSError, RemoteProtocolError, BrokenStreamError.
        """
        ext = request.extensions
        url = request.url
        verify = ext.get("verify", self.verify)
        cert = ext.get("cert", self.cert)
        proxy = ext.get("proxy", self.proxy)
        t: Timeout = ext.get("timeout") or DEFAULT_TIMEOUT
        timeout = self._timeouts.get(t)
        if timeout is None:
            timeout = urllib3.Timeout(connect=t.connect, read=t.read, total=t.total)
            if len(self._timeouts) < 64:
                self._timeouts[t] = timeout
        items = request.headers._items
        headers: Any = dict(items)
        if len(headers) != len(items):  # a name repeated exactly: keep every field
            headers = urllib3.HTTPHeaderDict(items)
        body = request.content
        chunked = (
            body is not None
            and not isinstance(body, (bytes, bytearray, memoryview))
            and "content-length" not in request.headers
        )
        try:
            if proxy:
                mgr = self._proxy_manager(proxy, verify, cert)
                resp = mgr.urlopen(
                    request.method,
                    str(url.without_userinfo()),
                    body=body,
                    headers=headers,
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    decode_content=False,
                    timeout=timeout,
                    chunked=chunked,
                )
            else:
                resp = self._pool(url, verify, cert).urlopen(
                    request.method,
                    url.target,
                    body=body,
                    headers=headers,
                    redirect=False,
                    retries=_NO_RETRIES,
                    assert_same_host=False,
                    preload_content=False,
                    decode_content=False,
                    timeout=timeout,
                    chunked=chunked,
                    release_conn=False,
                )
        except (u3e.HTTPError, http.client.HTTPException, OSError) as exc:
            raise translate(exc, url) from exc
        raw = resp.headers
        items_in = list(raw.iteritems())
        return Response(
            resp.status,
            headers=Headers.from_raw(items_in),
            stream=_Stream(resp, url),
            request=request,
            reason=resp.reason or "",
            http_version=_VERSIONS.get(resp.version, "HTTP/1.1"),
        )

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        for mgr in self._proxy_managers.values():
            mgr.clear()
        self._pools.clear()
        self._proxy_managers.clear()
