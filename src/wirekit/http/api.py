"""Module-level, blocking one-shot helpers: ``wirekit.http.get(url)`` and friends (like requests).

Each call opens a :class:`Client`, sends one request (following redirects) and closes it;
for many requests to one host, use a ``Client`` to keep connections alive.
"""

from __future__ import annotations

from typing import Any

from ._sync_client import Client
from .models import Response

__all__ = ["delete", "get", "head", "options", "patch", "post", "put", "request"]

# Options that configure the Client rather than the single request.
_CLIENT_OPTIONS = (
    "verify",
    "cert",
    "proxy",
    "trust_env",
    "retries",
    "max_redirects",
    "max_decoded_size",
    "transport",
)


def request(method: str, url: Any, **kwargs: Any) -> Response:
    """Send one request and return the response with its body read.

    Keyword arguments are those of :meth:`Client.request` plus the client options
    ``verify``, ``cert``, ``proxy``, ``trust_env``, ``retries``, ``max_redirects``,
    ``max_decoded_size``.

    Raises:
        ConfigError, ConnectError, Timeout, TLSError, RemoteProtocolError, TooManyRedirects, DecodeError.
    """
    client_kwargs = {k: kwargs.pop(k) for k in _CLIENT_OPTIONS if k in kwargs}
    with Client(**client_kwargs) as client:
        return client.request(method, url, **kwargs)


def get(url: Any, **kwargs: Any) -> Response:
    """GET ``url`` (see :func:`request`)."""
    return request("GET", url, **kwargs)


def head(url: Any, **kwargs: Any) -> Response:
    """HEAD ``url`` (see :func:`request`)."""
    return request("HEAD", url, **kwargs)


def options(url: Any, **kwargs: Any) -> Response:
    """OPTIONS ``url`` (see :func:`request`)."""
    return request("OPTIONS", url, **kwargs)


def post(url: Any, **kwargs: Any) -> Response:
    """POST ``url`` (see :func:`request`)."""
    return request("POST", url, **kwargs)


def put(url: Any, **kwargs: Any) -> Response:
    """PUT ``url`` (see :func:`request`)."""
    return request("PUT", url, **kwargs)


def patch(url: Any, **kwargs: Any) -> Response:
    """PATCH ``url`` (see :func:`request`)."""
    return request("PATCH", url, **kwargs)


def delete(url: Any, **kwargs: Any) -> Response:
    """DELETE ``url`` (see :func:`request`)."""
    return request("DELETE", url, **kwargs)
