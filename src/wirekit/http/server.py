"""An httpbin-like test server on aiohttp.web: echo routes, statuses, redirects, cookies, auth, streams.

Routes: /get /post /put /patch /delete /anything[/...] /status/{code} /redirect/{n}
/absolute-redirect/{n} /redirect-to?url=&status_code= /cookies /cookies/set?k=v
/cookies/delete?k /basic-auth/{user}/{passwd} /digest-auth/auth/{user}/{passwd} /bearer
/delay/{seconds} /bytes/{n} /stream/{n} /stream-bytes/{n} /gzip /deflate /brotli /headers
/response-headers?k=v /ip /user-agent /json /html /encoding/utf8.

``make_app()`` builds the aiohttp application; ``wirekit serve http`` and the lab run it.
Not for production: it echoes what it gets and serves whatever sizes are asked (capped).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import os
import random
import zlib
from typing import Any

from aiohttp import web

__all__ = ["MAX_BYTES", "make_app"]

#: largest body /bytes and /stream-bytes will generate (bench downloads fit under it)
MAX_BYTES = 512 * 1024 * 1024
MAX_DELAY = 10.0
_CHUNK = 64 * 1024


def _dumps(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=_dumps(data), status=status, content_type="application/json", headers=headers
    )


def _args(request: web.Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        out[key] = values[0] if len(values) == 1 else values
    return out


def _headers(request: web.Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in request.headers.items():
        name = "-".join(p.capitalize() for p in key.split("-"))
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def _origin(request: web.Request) -> str:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return str(peer[0]) if peer else ""


def _base(request: web.Request) -> dict[str, Any]:
    return {
        "args": _args(request),
        "headers": _headers(request),
        "origin": _origin(request),
        "url": str(request.url),
    }


def _put(store: dict[str, Any], key: str, value: Any) -> None:
    if key not in store:
        store[key] = value
    else:
        old = store[key]
        store[key] = [*(old if isinstance(old, list) else [old]), value]


async def _body_info(request: web.Request) -> dict[str, Any]:
    info: dict[str, Any] = {"data": "", "files": {}, "form": {}, "json": None}
    ctype = request.content_type
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                _put(info["files"], key, value.file.read().decode("utf-8", "replace"))
            else:
                _put(
                    info["form"],
                    key,
                    value if isinstance(value, str) else bytes(value).decode("utf-8", "replace"),
                )
        return info
    raw = await request.read()
    try:
        info["data"] = raw.decode("utf-8")
    except UnicodeDecodeError:
        info["data"] = "data:application/octet-stream;base64," + base64.b64encode(raw).decode()
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            info["json"] = json.loads(raw)
        except ValueError:
            info["json"] = None
    return info


async def get(request: web.Request) -> web.Response:
    return _json(_base(request))


async def with_body(request: web.Request) -> web.Response:
    return _json({**_base(request), **(await _body_info(request))})


async def anything(request: web.Request) -> web.Response:
    return _json({**_base(request), **(await _body_info(request)), "method": request.method})


async def status(request: web.Request) -> web.Response:
    try:
        code = int(request.match_info["code"])
    except ValueError:
        return _json({"error": "status must be an integer"}, status=400)
    if not 100 <= code <= 599:
        return _json({"error": "status out of range"}, status=400)
    headers: dict[str, str] = {}
    if code in (301, 302, 303, 305, 307, 308):
        headers["Location"] = "/redirect/1"
    if code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Fake Realm"'
    if code in (429, 503):
        headers["Retry-After"] = request.query.get("retry_after", "0")
    if code == 204 or code == 304 or code < 200:
        return web.Response(status=code, headers=headers)
    return web.Response(status=code, headers=headers, text="")


def _count(request: web.Request, name: str = "n", limit: int = 100) -> int:
    try:
        n = int(request.match_info[name])
    except ValueError:
        raise web.HTTPBadRequest(text="n must be an integer") from None
    return max(0, min(n, limit))


async def redirect(request: web.Request) -> web.Response:
    n = _count(request)
    location = "/get" if n <= 1 else f"/redirect/{n - 1}"
    return web.Response(status=302, headers={"Location": location})


async def absolute_redirect(request: web.Request) -> web.Response:
    n = _count(request)
    path = "/get" if n <= 1 else f"/absolute-redirect/{n - 1}"
    return web.Response(
        status=302, headers={"Location": str(request.url.with_path(path).with_query(None))}
    )


async def redirect_to(request: web.Request) -> web.Response:
    url = request.query.get("url")
    if not url:
        return _json({"error": "url= is required"}, status=400)
    code = int(request.query.get("status_code", "302"))
    if code not in (301, 302, 303, 307, 308):
        code = 302
    return web.Response(status=code, headers={"Location": url})


async def cookies(request: web.Request) -> web.Response:
    return _json({"cookies": dict(request.cookies)})


async def cookies_set(request: web.Request) -> web.Response:
    resp = web.Response(status=302, headers={"Location": "/cookies"})
    for key, value in request.query.items():
        resp.set_cookie(key, value, path="/")
    return resp


async def cookies_delete(request: web.Request) -> web.Response:
    resp = web.Response(status=302, headers={"Location": "/cookies"})
    for key in request.query:
        resp.del_cookie(key, path="/")
    return resp


async def basic_auth(request: web.Request) -> web.Response:
    user, passwd = request.match_info["user"], request.match_info["passwd"]
    expected = "Basic " + base64.b64encode(f"{user}:{passwd}".encode()).decode()
    if request.headers.get("Authorization") != expected:
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="Fake Realm"'})
    return _json({"authenticated": True, "user": user})


async def bearer(request: web.Request) -> web.Response:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    return _json({"authenticated": True, "token": header[7:].strip()})


def _digest_params(header: str) -> dict[str, str]:
    from .auth import parse_challenge

    scheme, params = parse_challenge(header)
    return params if scheme == "digest" else {}


async def digest_auth(request: web.Request) -> web.Response:
    user, passwd = request.match_info["user"], request.match_info["passwd"]
    algorithm = request.match_info.get("algorithm", "MD5")
    realm = "wirekit@lab"
    params = _digest_params(request.headers.get("Authorization", ""))
    if params and params.get("username") == user:
        hash_fn = hashlib.sha256 if algorithm.upper() == "SHA-256" else hashlib.md5

        def h(s: str) -> str:
            return hash_fn(s.encode()).hexdigest()

        ha1 = h(f"{user}:{realm}:{passwd}")
        ha2 = h(f"{request.method}:{params.get('uri', '')}")
        if params.get("qop"):
            expect = h(
                f"{ha1}:{params.get('nonce')}:{params.get('nc')}:{params.get('cnonce')}:{params.get('qop')}:{ha2}"
            )
        else:
            expect = h(f"{ha1}:{params.get('nonce')}:{ha2}")
        if params.get("response") == expect and params.get("uri") == request.path_qs:
            return _json({"authenticated": True, "user": user})
    nonce = os.urandom(16).hex()
    challenge = f'Digest realm="{realm}", qop="auth", nonce="{nonce}", opaque="{os.urandom(8).hex()}", algorithm={algorithm}'
    return web.Response(status=401, headers={"WWW-Authenticate": challenge})


async def delay(request: web.Request) -> web.Response:
    try:
        seconds = min(float(request.match_info["seconds"]), MAX_DELAY)
    except ValueError:
        return _json({"error": "seconds must be a number"}, status=400)
    await asyncio.sleep(max(seconds, 0.0))
    return _json(_base(request))


def _random_bytes(n: int, seed: str | None) -> bytes:
    rng = random.Random(seed)
    return rng.randbytes(n)


async def bytes_route(request: web.Request) -> web.StreamResponse:
    n = _count(request, limit=MAX_BYTES)
    if n > 1024 * 1024:
        return await stream_bytes(request)
    return web.Response(
        body=_random_bytes(n, request.query.get("seed", "0")),
        content_type="application/octet-stream",
    )


async def stream_bytes(request: web.Request) -> web.StreamResponse:
    n = _count(request, limit=MAX_BYTES)
    resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    resp.content_length = n
    await resp.prepare(request)
    block = _random_bytes(min(n, _CHUNK), request.query.get("seed", "0"))
    sent = 0
    while sent < n:
        piece = block[: n - sent]
        await resp.write(piece)
        sent += len(piece)
    await resp.write_eof()
    return resp


async def stream_lines(request: web.Request) -> web.StreamResponse:
    n = _count(request)
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    base = _base(request)
    for i in range(n):
        await resp.write(json.dumps({**base, "id": i}, sort_keys=True).encode() + b"\n")
    await resp.write_eof()
    return resp


async def gzip_route(request: web.Request) -> web.Response:
    body = gzip.compress(_dumps({**_base(request), "gzipped": True}))
    return web.Response(
        body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )


async def deflate_route(request: web.Request) -> web.Response:
    body = zlib.compress(_dumps({**_base(request), "deflated": True}))
    return web.Response(
        body=body, headers={"Content-Encoding": "deflate", "Content-Type": "application/json"}
    )


async def brotli_route(request: web.Request) -> web.Response:
    try:
        import brotli
    except ImportError:
        return _json({"error": "brotli is not installed on the server"}, status=501)
    body = brotli.compress(_dumps({**_base(request), "brotli": True}))
    return web.Response(
        body=body, headers={"Content-Encoding": "br", "Content-Type": "application/json"}
    )


async def headers(request: web.Request) -> web.Response:
    return _json({"headers": _headers(request)})


async def response_headers(request: web.Request) -> web.Response:
    resp = _json(_args(request))
    for key in request.query:
        for value in request.query.getall(key):
            resp.headers.add(key, value)
    return resp


async def ip(request: web.Request) -> web.Response:
    return _json({"origin": _origin(request)})


async def user_agent(request: web.Request) -> web.Response:
    return _json({"user-agent": request.headers.get("User-Agent", "")})


async def json_route(request: web.Request) -> web.Response:
    return _json(
        {
            "slideshow": {
                "author": "wirekit",
                "title": "Sample",
                "slides": [{"title": "one"}, {"title": "two"}],
            }
        }
    )


async def html(request: web.Request) -> web.Response:
    return web.Response(
        text="<!DOCTYPE html><html><body><h1>wirekit lab</h1></body></html>\n",
        content_type="text/html",
    )


async def utf8(request: web.Request) -> web.Response:
    return web.Response(
        text="∮ E⋅da = Q,  n → ∞, ∑ f(i) = ∏ g(i) — ᚻᛖ ᚳᚹᚫᚦ\n",
        content_type="text/plain",
        charset="utf-8",
    )


async def index(request: web.Request) -> web.Response:
    return web.Response(text=(__doc__ or "") + "\n", content_type="text/plain")


def make_app() -> web.Application:
    """The httpbin-like aiohttp application."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    r = app.router
    r.add_get("/", index)
    r.add_get("/get", get, allow_head=True)
    for method, path in (
        ("POST", "/post"),
        ("PUT", "/put"),
        ("PATCH", "/patch"),
        ("DELETE", "/delete"),
    ):
        r.add_route(method, path, with_body)
    r.add_route("*", "/anything", anything)
    r.add_route("*", "/anything/{tail:.*}", anything)
    r.add_route("*", "/status/{code}", status)
    r.add_get("/redirect/{n}", redirect)
    r.add_get("/absolute-redirect/{n}", absolute_redirect)
    r.add_route("*", "/redirect-to", redirect_to)
    r.add_get("/cookies", cookies)
    r.add_get("/cookies/set", cookies_set)
    r.add_get("/cookies/delete", cookies_delete)
    r.add_get("/basic-auth/{user}/{passwd}", basic_auth)
    r.add_get("/bearer", bearer)
    r.add_route("*", "/digest-auth/auth/{user}/{passwd}", digest_auth)
    r.add_route("*", "/digest-auth/auth/{user}/{passwd}/{algorithm}", digest_auth)
    r.add_get("/delay/{seconds}", delay)
    r.add_get("/bytes/{n}", bytes_route)
    r.add_get("/stream-bytes/{n}", stream_bytes)
    r.add_get("/stream/{n}", stream_lines)
    r.add_get("/gzip", gzip_route)
    r.add_get("/deflate", deflate_route)
    r.add_get("/brotli", brotli_route)
    r.add_get("/headers", headers)
    r.add_get("/response-headers", response_headers)
    r.add_get("/ip", ip)
    r.add_get("/user-agent", user_agent)
    r.add_get("/json", json_route)
    r.add_get("/html", html)
    r.add_get("/encoding/utf8", utf8)
    return app
