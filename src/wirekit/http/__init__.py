"""wirekit.http: a requests-style HTTP client, sync and async, over urllib3 and aiohttp.

``wirekit.http.get(url)``; ``with wirekit.http.Client(base_url=...) as c: c.get("/x")``;
``async with wirekit.http.AsyncClient() as c: await c.get(url)``. Names load on first use,
so ``import wirekit.http`` does not import urllib3 or aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .api import delete, get, head, options, patch, post, put, request
    from .auth import Auth, BasicAuth, BearerAuth, DigestAuth
    from .client import AsyncClient, Client
    from .cookies import Cookie, CookieJar
    from .models import Headers, Request, Response
    from .retries import Retry
    from .timeouts import Timeout
    from .transport import AsyncTransport, MockTransport, Transport
    from .urls import URL

__all__ = [
    "URL",
    "AsyncClient",
    "AsyncTransport",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "Client",
    "Cookie",
    "CookieJar",
    "DigestAuth",
    "Headers",
    "MockTransport",
    "Request",
    "Response",
    "Retry",
    "Timeout",
    "Transport",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "request",
]

_WHERE = {
    **dict.fromkeys(
        ["delete", "get", "head", "options", "patch", "post", "put", "request"], ".api"
    ),
    **dict.fromkeys(["Auth", "BasicAuth", "BearerAuth", "DigestAuth"], ".auth"),
    "AsyncClient": "._async_client",
    "Client": "._sync_client",
    **dict.fromkeys(["Cookie", "CookieJar"], ".cookies"),
    **dict.fromkeys(["Headers", "Request", "Response"], ".models"),
    "Retry": ".retries",
    "Timeout": ".timeouts",
    **dict.fromkeys(["AsyncTransport", "MockTransport", "Transport"], ".transport"),
    "URL": ".urls",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'wirekit.http' has no attribute {name!r}")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
