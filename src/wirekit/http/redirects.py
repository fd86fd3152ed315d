"""Redirect policy: the next request for a 3xx, per RFC 9110 §15.4, and what must not follow it.

Rules:
1. 301/302 turn POST into GET; 303 turns every method but HEAD into GET; 307/308 keep the
   method and body (§15.4.2-§15.4.9). A rewritten request drops its body and body headers.
2. Authorization, Cookie and Proxy-Authorization set on the request are dropped whenever the
   origin (scheme, host, port) changes (CVE-2018-18074, CVE-2023-32681): credentials go only
   where they were meant to go.
3. An https -> http redirect is an origin change too, so nothing secret goes out in clear.
4. ``max_redirects`` bounds the chain; a loop raises instead of spinning.
Sans-IO: this module looks at a Request and a Response and returns a Request.
"""

from __future__ import annotations

from ..errors import RemoteProtocolError, TooManyRedirects
from .models import Request, Response

__all__ = ["REDIRECT_STATUSES", "SENSITIVE_HEADERS", "next_request"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SENSITIVE_HEADERS = ("authorization", "cookie", "proxy-authorization")
_BODY_HEADERS = ("content-length", "content-type", "content-encoding", "transfer-encoding")


def rewritten_method(method: str, status: int) -> str:
    """The method for the redirected request (RFC 9110 §15.4)."""
    if status == 303 and method != "HEAD":
        return "GET"
    if status in (301, 302) and method == "POST":
        return "GET"
    return method


def next_request(
    request: Request, response: Response, hops: int, max_redirects: int
) -> Request | None:
    """The request that follows ``response``, or None when it is not a redirect to follow.

    ``hops`` counts redirects already followed.

    Raises:
        TooManyRedirects: following would pass ``max_redirects``.
        RemoteProtocolError: the Location header is not a usable http(s) URL.
    """
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("location")
    if not location:
        return None
    if hops >= max_redirects:
        raise TooManyRedirects(
            f"more than {max_redirects} redirects (last: {response.status_code} to {location})"
        )
    try:
        url = request.url.join(location)
    except ValueError as exc:  # ConfigError is a ValueError
        raise RemoteProtocolError(f"redirect to an invalid location {location!r}: {exc}") from None
    if url.fragment == "" and request.url.fragment:
        # RFC 9110 §10.2.2: a Location without a fragment inherits the original one.
        url = url.join("#" + request.url.fragment)
    method = rewritten_method(request.method, response.status_code)
    headers = request.headers.copy()
    content = request.content
    if method != request.method or (method == "GET" and request.method != "GET"):
        content = None
        for name in _BODY_HEADERS:
            headers.pop(name)
    elif content is not None and not request.replayable:
        raise RemoteProtocolError(
            f"cannot follow {response.status_code}: the request body was a stream and is spent"
        )
    if url.origin != request.url.origin:
        for name in SENSITIVE_HEADERS:
            headers.pop(name)
    headers.pop("host")
    extensions = dict(request.extensions)
    return Request(method, url, headers=headers, content=content, extensions=extensions)
