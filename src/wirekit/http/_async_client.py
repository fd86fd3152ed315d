"""AsyncClient: the send loop (auth, retries, redirects, cookies, total timeout) over an AsyncTransport.

This file is the source of ``_sync_client.py``: ``scripts/unasync_http.py`` rewrites it
(async -> sync names) and a test runs ``--check`` so the two never drift. Edit here only.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from ..errors import (
    BrokenStreamError,
    ClosedStreamError,
    ConnectError,
    ReadTimeout,
    RemoteProtocolError,
    Timeout,
)
from ._base import USE_CLIENT_DEFAULT, BaseClient, async_sleep
from .auth import Auth
from .models import Request, Response
from .redirects import next_request
from .transport import AsyncTransport

__all__ = ["AsyncClient"]

_DRAIN_LIMIT = 64 * 1024  # read redirect/401 bodies up to this size to keep the connection


class AsyncClient(BaseClient):
    """An HTTP session: pooled connections, cookies, defaults; see :class:`BaseClient` for options.

    ``async with AsyncClient(base_url=...) as client: r = await client.get("/path")``.
    """

    def _default_transport(self) -> AsyncTransport:
        from ._aiohttp import AiohttpTransport

        return AiohttpTransport(verify=self.verify, cert=self.cert)

    @property
    def transport(self) -> AsyncTransport:
        if self._closed:
            raise ClosedStreamError("this client is closed")
        if self._transport is None:
            self._transport = self._default_transport()
        return self._transport  # type: ignore[no-any-return]

    async def request(
        self,
        method: str,
        url: Any,
        *,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        auth: Any = USE_CLIENT_DEFAULT,
        timeout: Any = USE_CLIENT_DEFAULT,
        follow_redirects: Any = USE_CLIENT_DEFAULT,
        verify: Any = USE_CLIENT_DEFAULT,
        cert: Any = USE_CLIENT_DEFAULT,
    ) -> Response:
        """Send one request and read the whole response body.

        Raises:
            ConfigError: a bad URL, header, body or option.
            ConnectError, Timeout, TLSError: the transport failed (after any retries).
            RemoteProtocolError: the server broke HTTP; TooManyRedirects: a redirect loop.
            DecodeError: a corrupt or oversized compressed body.
        """
        req = self.build_request(
            method,
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            content=content,
            data=data,
            files=files,
            json=json,
            timeout=timeout,
            verify=verify,
            cert=cert,
        )
        return await self.send(req, auth=auth, follow_redirects=follow_redirects)

    async def get(self, url: Any, **kwargs: Any) -> Response:
        """GET ``url``; keyword arguments as for :meth:`request`."""
        return await self.request("GET", url, **kwargs)

    async def head(self, url: Any, **kwargs: Any) -> Response:
        """HEAD ``url``."""
        return await self.request("HEAD", url, **kwargs)

    async def options(self, url: Any, **kwargs: Any) -> Response:
        """OPTIONS ``url``."""
        return await self.request("OPTIONS", url, **kwargs)

    async def post(self, url: Any, **kwargs: Any) -> Response:
        """POST ``url`` (body from content=, data=, files= or json=)."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: Any, **kwargs: Any) -> Response:
        """PUT ``url``."""
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: Any, **kwargs: Any) -> Response:
        """PATCH ``url``."""
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: Any, **kwargs: Any) -> Response:
        """DELETE ``url``."""
        return await self.request("DELETE", url, **kwargs)

    @asynccontextmanager
    async def stream(self, method: str, url: Any, **kwargs: Any) -> AsyncIterator[Response]:
        """Send a request and yield the response with its body unread (use ``aiter_bytes``/``aiter_lines``).

        Raises:
            the same errors as :meth:`request`.
        """
        auth = kwargs.pop("auth", USE_CLIENT_DEFAULT)
        follow = kwargs.pop("follow_redirects", USE_CLIENT_DEFAULT)
        req = self.build_request(method, url, **kwargs)
        response = await self.send(req, auth=auth, follow_redirects=follow, stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    async def download(
        self,
        url: Any,
        path: str | Path,
        *,
        progress: Callable[[int, int | None], None] | None = None,
        chunk_size: int | None = None,
        **kwargs: Any,
    ) -> Response:
        """GET ``url`` into the file ``path``; ``progress(done, total)`` after each chunk.

        The body goes to ``path + ".part"`` and is renamed when complete, so a failed
        download never leaves a truncated file under the final name.

        Raises:
            HTTPStatusError: the server answered 4xx/5xx (nothing is written).
            the same errors as :meth:`request`, and OSError for the file.
        """
        target = Path(path)
        part = target.with_name(target.name + ".part")
        async with self.stream("GET", url, **kwargs) as response:
            response.raise_for_status()
            length = response.headers.get("content-length")
            total = (
                int(length)
                if length and length.isdigit() and "content-encoding" not in response.headers
                else None
            )
            done = 0
            try:
                with open(part, "wb") as fh:
                    async for chunk in response.aiter_bytes(chunk_size):
                        fh.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total)
                part.replace(target)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
        return response

    async def send(
        self,
        request: Request,
        *,
        auth: Any = USE_CLIENT_DEFAULT,
        follow_redirects: Any = USE_CLIENT_DEFAULT,
        stream: bool = False,
    ) -> Response:
        """Send a built request through auth, retries and redirects; read the body unless ``stream``.

        Raises:
            the same errors as :meth:`request`.
        """
        transport = self.transport
        total = (
            request.extensions["timeout"].total
            if "timeout" in request.extensions
            else self.timeout.total
        )
        deadline = time.monotonic() + total if total is not None else None
        resolved_auth = self._resolve_auth(request, auth)
        follow = (
            self.follow_redirects if follow_redirects is USE_CLIENT_DEFAULT else follow_redirects
        )
        first_origin = request.url.origin
        history: list[Response] = []
        hop = request
        while True:
            hop_auth = resolved_auth if hop.url.origin == first_origin else None
            if hop_auth is None:  # the common case: one coroutine layer less
                response = await self._send_with_retries(transport, hop, first_origin, deadline)
            else:
                response = await self._send_handling_auth(
                    transport, hop, hop_auth, first_origin, deadline
                )
            if history:
                response.history = list(history)
            if not follow:
                break
            nxt = next_request(hop, response, len(history), self.max_redirects)
            if nxt is None:
                break
            nxt.extensions.pop("proxy", None)
            await self._discard(response)
            history.append(response)
            hop = nxt
        if not stream:
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        return response

    async def _discard(self, response: Response) -> None:
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) <= _DRAIN_LIMIT:
            try:
                await response.aread()
                return
            except Exception:  # a broken redirect body does not matter; the connection is dropped
                pass
        await response.aclose()

    async def _send_handling_auth(
        self,
        transport: AsyncTransport,
        request: Request,
        auth: Auth,
        first_origin: tuple[str, str, int],
        deadline: float | None,
    ) -> Response:
        flow = auth.auth_flow(request)
        req = next(flow)
        while True:
            response = await self._send_with_retries(transport, req, first_origin, deadline)
            try:
                req = flow.send(response)
            except StopIteration:
                return response
            await self._discard(response)

    async def _send_with_retries(
        self,
        transport: AsyncTransport,
        request: Request,
        first_origin: tuple[str, str, int],
        deadline: float | None,
    ) -> Response:
        retry = self.retries
        attempt = 0
        while True:
            attempt += 1
            remaining = self._remaining(deadline)
            if remaining is not None:
                if remaining <= 0:
                    raise ReadTimeout(f"total timeout passed before {request.method} {request.url}")
                self._with_timeout(request, remaining)
            hop = self._prepare_hop(request, first_origin=first_origin)
            started = time.perf_counter()
            try:
                response = await transport.handle_async_request(hop)
            except (ConnectError, Timeout, RemoteProtocolError, BrokenStreamError) as exc:
                # ConnectTimeout is a ConnectError: nothing was sent, any method may retry.
                sent = not isinstance(exc, ConnectError)
                if not (
                    request.replayable
                    and retry.should_retry_error(request.method, attempt, sent=sent)
                ):
                    raise
                delay = retry.backoff(attempt)
                remaining = self._remaining(deadline)
                if remaining is not None and delay >= remaining:
                    raise
                await async_sleep(delay)
                continue
            response.elapsed = timedelta(seconds=time.perf_counter() - started)
            response.request = request
            self._after_response(response)
            if request.replayable and retry.should_retry_status(
                request.method, response.status_code, attempt
            ):
                delay = retry.backoff(attempt, response.headers.get("retry-after"), _utcnow())
                remaining = self._remaining(deadline)
                if remaining is None or delay < remaining:
                    await self._discard(response)
                    await async_sleep(delay)
                    continue
            return response

    async def aclose(self) -> None:
        """Close pooled connections; the client cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            if self._transport is not None:
                await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _utcnow() -> Any:
    from datetime import datetime

    return datetime.now(UTC)
