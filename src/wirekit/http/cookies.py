"""A cookie jar per RFC 6265: parse Set-Cookie, store, and pick the cookies for a URL.

Rules (RFC 6265 §5.3/§5.4): a cookie without Domain is host-only; Domain must domain-match
the setting host (no cookies for other sites, none for an IP address but the same IP);
Secure cookies go only over https; expired cookies are dropped; longer paths sort first.
Sans-IO: the current time is passed in (``now``, seconds since the epoch). Safe to share
between threads: every walk over the store works on a snapshot.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .urls import URL

__all__ = ["Cookie", "CookieJar"]


@dataclass
class Cookie:
    """One stored cookie."""

    name: str
    value: str
    domain: str
    path: str = "/"
    secure: bool = False
    http_only: bool = False
    host_only: bool = True
    expires: float | None = None  # epoch seconds; None = session cookie

    def expired(self, now: float) -> bool:
        return self.expires is not None and self.expires <= now


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3."""
    if host == domain:
        return True
    return host.endswith("." + domain) and not _is_ip(host)


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def default_path(url: URL) -> str:
    """RFC 6265 §5.1.4: the directory of the request path."""
    path = url.path
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rindex("/")]


def parse_set_cookie(header: str, url: URL, now: float) -> Cookie | None:
    """One Set-Cookie value into a Cookie, or None when RFC 6265 §5.2/§5.3 says ignore it."""
    parts = header.split(";")
    name, sep, value = parts[0].partition("=")
    if not sep:
        return None
    name, value = name.strip(), value.strip()
    if not name:
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    host = url.host.lower()
    cookie = Cookie(name, value, host, default_path(url))
    max_age: float | None = None
    for attr in parts[1:]:
        key, _, val = attr.partition("=")
        key, val = key.strip().lower(), val.strip()
        if key == "domain" and val:
            domain = val.lstrip(".").lower()
            if not domain_match(host, domain):
                return None  # §5.3 step 6: a site may not set cookies for another
            cookie.domain, cookie.host_only = domain, False
        elif key == "path" and val.startswith("/"):
            cookie.path = val
        elif key == "secure":
            cookie.secure = True
        elif key == "httponly":
            cookie.http_only = True
        elif key == "max-age":
            try:
                max_age = float(int(val))
            except ValueError:
                continue
        elif key == "expires" and max_age is None:
            try:
                when = email.utils.parsedate_to_datetime(val)
                cookie.expires = when.timestamp()
            except (TypeError, ValueError, OverflowError):
                continue
    if max_age is not None:  # §5.3 step 3: Max-Age wins over Expires
        cookie.expires = now + max_age if max_age > 0 else 0.0
    return cookie


class CookieJar:
    """Cookies kept across requests by a client; ``jar.set(name, value, domain=...)`` to add by hand."""

    def __init__(self, cookies: Mapping[str, str] | CookieJar | None = None) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        if isinstance(cookies, CookieJar):
            self._cookies = dict(cookies._cookies)
        elif cookies:
            for name, value in cookies.items():
                self.set(name, value)

    def set(
        self, name: str, value: str, *, domain: str = "", path: str = "/", secure: bool = False
    ) -> None:
        """Add a cookie. ``domain=""`` sends it to every host (like a header you set yourself)."""
        self._cookies[(domain, path, name)] = Cookie(
            name, value, domain, path, secure=secure, host_only=False
        )

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first cookie called ``name`` (any domain)."""
        for c in list(self._cookies.values()):
            if c.name == name:
                return c.value
        return default

    def delete(self, name: str) -> None:
        for key in [k for k, c in list(self._cookies.items()) if c.name == name]:
            self._cookies.pop(key, None)

    def clear(self) -> None:
        self._cookies.clear()

    def __iter__(self) -> Iterator[Cookie]:
        return iter(list(self._cookies.values()))

    def __len__(self) -> int:
        return len(self._cookies)

    def __bool__(self) -> bool:
        return bool(self._cookies)

    def as_dict(self) -> dict[str, str]:
        return {c.name: c.value for c in list(self._cookies.values())}

    def extract(self, url: URL, set_cookie_values: list[str], now: float) -> None:
        """Store the cookies from a response's Set-Cookie fields (RFC 6265 §5.3)."""
        for header in set_cookie_values:
            cookie = parse_set_cookie(header, url, now)
            if cookie is None:
                continue
            key = (cookie.domain, cookie.path, cookie.name)
            if cookie.expired(now):
                self._cookies.pop(key, None)
            else:
                self._cookies[key] = cookie

    def header_for(self, url: URL, now: float, *, unbound: bool = True) -> str | None:
        """The Cookie header value for a request to ``url`` (RFC 6265 §5.4), or None.

        ``unbound=False`` leaves out cookies set by hand without a domain: the client sends
        those only to the origin the call started at, never along a cross-origin redirect.
        """
        if not self._cookies:
            return None
        host = url.host.lower()
        chosen: list[Cookie] = []
        for key, c in list(self._cookies.items()):
            if c.expired(now):
                self._cookies.pop(key, None)  # another thread may have dropped it already
                continue
            if not c.domain:
                if not unbound:
                    continue
            else:
                if c.host_only and host != c.domain:
                    continue
                if not c.host_only and not domain_match(host, c.domain):
                    continue
            if not path_match(url.path, c.path):
                continue
            if c.secure and url.scheme != "https":
                continue
            chosen.append(c)
        if not chosen:
            return None
        chosen.sort(key=lambda c: len(c.path), reverse=True)
        return "; ".join(f"{c.name}={c.value}" for c in chosen)
