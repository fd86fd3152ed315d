"""The one-method transport seam: ``handle_request(request) -> Response`` (and its async twin).

A transport sends exactly one request and returns the response with its body unread (a
byte stream): no redirects, no retries, no cookies, no decoding - the client owns policy.
Real transports: ``Urllib3Transport`` (sync) and ``AiohttpTransport`` (async). A
``MockTransport`` wraps a function, for tests of code that uses a client.

``request.extensions`` carries per-request wire options every transport honours:
``timeout`` (a :class:`~wirekit.http.timeouts.Timeout`), ``verify`` (True, False or a CA
path), ``cert`` (client cert path or (cert, key)), ``proxy`` (a proxy URL or None).

Errors a transport raises are wirekit's: ConnectError, ConnectTimeout, ReadTimeout,
WriteTimeout, TLSError, RemoteProtocolError, BrokenStreamError.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from .models import Request, Response

__all__ = ["AsyncTransport", "MockTransport", "Transport"]


class Transport(abc.ABC):
    """Sends one request, blocking."""

    @abc.abstractmethod
    def handle_request(self, request: Request) -> Response:
        """Send ``request``; return the response with an unread body stream."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Close pooled connections."""


class AsyncTransport(abc.ABC):
    """Sends one request, on asyncio."""

    @abc.abstractmethod
    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request``; return the response with an unread body stream."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Close pooled connections."""


class _BytesStream:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        if self.data:
            yield self.data

    def read_all(self) -> bytes:
        return self.data

    def close(self) -> None:
        pass

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.data:
            yield self.data

    async def aread_all(self) -> bytes:
        return self.data

    async def aclose(self) -> None:
        pass


class MockTransport(Transport, AsyncTransport):
    """A transport that calls ``handler(request) -> Response`` (sync or async) instead of the network.

    For unit tests of code *using* a client; wirekit's own tests talk to real servers.
    """

    def __init__(self, handler: Callable[[Request], Response | Awaitable[Response]]) -> None:
        self.handler = handler

    @staticmethod
    def _with_stream(response: Any, request: Request) -> Response:
        content = response._content if response._content is not None else b""
        response._content = None
        response.stream = _BytesStream(content)
        response.is_closed = False
        response.request = request
        return response  # type: ignore[no-any-return]

    def handle_request(self, request: Request) -> Response:
        response = self.handler(request)
        return self._with_stream(response, request)

    async def handle_async_request(self, request: Request) -> Response:
        response = self.handler(request)
        if isinstance(response, Awaitable):
            response = await response
        return self._with_stream(response, request)
