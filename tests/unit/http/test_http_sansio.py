"""Sans-IO pieces: URLs, headers, bodies, decoding caps, cookies, redirect rewriting, retries, digest."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime

import pytest

from wirekit.errors import ConfigError, DecodeError, RemoteProtocolError, TooManyRedirects
from wirekit.http.auth import BasicAuth, DigestAuth, parse_challenge
from wirekit.http.content import encode_body
from wirekit.http.cookies import CookieJar
from wirekit.http.decoding import make_decoder
from wirekit.http.models import Headers, Request, Response
from wirekit.http.redirects import next_request
from wirekit.http.retries import Retry, parse_retry_after
from wirekit.http.timeouts import Timeout, to_timeout
from wirekit.http.urls import URL


@pytest.mark.parametrize(
    "bad",
    [
        "example.org/x",
        "ftp://example.org/",
        "http://",
        "http://host:99999/",
        "http://host:abc/",
        "http://ho st/",
        "http://a/\r\nX: y",
        "http://a/\x00",
        "",
    ],
)
def test_malformed_urls_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        URL(bad)


def test_url_parts_and_origin() -> None:
    u = URL("HTTPS://user:pw@Example.org:443/a b?q=1 2#frag")
    assert u.scheme == "https" and u.host == "example.org" and u.effective_port == 443
    assert u.target == "/a%20b?q=1%202"
    assert u.origin == ("https", "example.org", 443)
    assert u.host_header == "example.org"
    assert str(u.without_userinfo()) == "https://example.org:443/a%20b?q=1%202#frag"
    assert URL("http://[::1]:8080/").host_header == "[::1]:8080"
    assert URL("http://bücher.example/").host == "xn--bcher-kva.example"
    assert (
        str(URL("http://a/x").with_params({"k": ["1", "2"], "b": True}))
        == "http://a/x?k=1&k=2&b=true"
    )
    assert str(URL("http://a/b/c").join("../d")) == "http://a/d"


def test_headers_case_insensitive_multi_valued() -> None:
    h = Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-One", "1")])
    assert h["SET-COOKIE"] == "a=1, b=2"
    assert h.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert "x-one" in h and len(h) == 2
    h["x-one"] = "2"
    assert h.multi_items()[-1] == ("x-one", "2")
    del h["set-cookie"]
    assert "Set-Cookie" not in h
    h.add("A", "1")
    h.add("a", "2")
    assert h.get_list("A") == ["1", "2"]
    assert Headers({"A": "1"}) == Headers({"a": "1"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Bad Name", "v"),
        ("X:y", "v"),
        ("", "v"),
        ("X-Ok", "a\r\nInjected: 1"),
        ("X-Ok", "a\nb"),
        ("X-Ok", "nul\x00"),
    ],
)
def test_invalid_header_names_and_values_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError):
        Headers({name: value})


def test_request_rejects_bad_method() -> None:
    with pytest.raises(ConfigError):
        Request("GE T", "http://a/")


def test_encode_body_variants() -> None:
    h, body = encode_body(json={"a": [1, "é"]})
    assert h["Content-Type"] == "application/json" and body == '{"a":[1,"é"]}'.encode()
    h, body = encode_body(data={"a": "1", "b": ["x", "y"]})
    assert body == b"a=1&b=x&b=y"
    h, body = encode_body(data={"f": "v"}, files={"up": ("n.txt", b"DATA", "text/plain")})
    assert h["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="up"; filename="n.txt"' in body and b"DATA" in body and b'name="f"' in body
    with pytest.raises(ConfigError):
        encode_body(json={"a": 1}, data={"b": 2})
    with pytest.raises(ConfigError):
        encode_body(json={1, 2})


def test_gzip_deflate_decode_and_multi_member() -> None:
    raw = b"hello " * 100
    dec = make_decoder("gzip")
    assert dec is not None
    assert dec.decode(gzip.compress(raw) + gzip.compress(raw)) + dec.flush() == raw * 2
    for payload in (zlib.compress(raw), zlib.compress(raw)[2:-4]):  # zlib and raw deflate
        d = make_decoder("deflate")
        assert d is not None and d.decode(payload) + d.flush() == raw
    assert make_decoder("identity") is None and make_decoder("unknown-coding") is None


def test_decompression_bomb_hits_cap_with_bounded_pieces() -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))  # ~20 KB -> 20 MB
    dec = make_decoder("gzip", max_size=1024 * 1024)
    assert dec is not None
    biggest = 0
    with pytest.raises(DecodeError, match="max_decoded_size"):
        for piece in dec.iter_decode(bomb):
            biggest = max(biggest, len(piece))
    assert biggest <= 1024 * 1024


def test_corrupt_gzip_is_decode_error() -> None:
    dec = make_decoder("gzip")
    assert dec is not None
    with pytest.raises(DecodeError):
        dec.decode(b"\x1f\x8bthis is not gzip at all")


def test_response_text_charset_detection() -> None:
    r = Response(
        200,
        headers={"Content-Type": "text/plain; charset=iso-8859-1"},
        content="é".encode("latin-1"),
    )
    assert r.encoding == "iso8859-1" and r.text == "é"
    assert Response(200, content="ü".encode()).text == "ü"
    assert Response(200, content=b'<meta charset="iso-8859-2">\xb1').text.endswith("ą")
    assert Response(200, content=b"\x93quoted\x94").encoding == "cp1252"
    with pytest.raises(Exception, match="404"):
        Response(404, content=b"", request=Request("GET", "http://a/")).raise_for_status()


def test_cookie_jar_domain_path_secure_expiry() -> None:
    jar = CookieJar()
    now = 1_000_000.0
    a = URL("http://www.example.org/app/page")
    jar.extract(
        a,
        [
            "s=1",
            "d=2; Domain=example.org; Path=/",
            "sec=3; Secure",
            "old=4; Max-Age=0",
            "evil=5; Domain=other.org",
        ],
        now,
    )
    assert jar.header_for(URL("http://www.example.org/app/x"), now) == "s=1; d=2"
    assert jar.header_for(URL("http://api.example.org/"), now) == "d=2"  # host-only s not sent
    assert jar.header_for(
        URL("https://www.example.org/app/"), now
    ) is not None and "sec=3" in jar.header_for(URL("https://www.example.org/app/"), now)  # type: ignore[operator]
    assert jar.header_for(URL("http://other.org/"), now) is None
    jar.extract(a, ["t=1; Max-Age=10"], now)
    assert "t=1" in (jar.header_for(a, now) or "")
    assert "t=1" not in (jar.header_for(a, now + 11) or "")


def test_unbound_cookies_only_to_the_first_origin() -> None:
    jar = CookieJar({"k": "v"})
    assert jar.header_for(URL("http://a/"), 0.0, unbound=True) == "k=v"
    assert jar.header_for(URL("http://b/"), 0.0, unbound=False) is None


def _resp(status: int, location: str) -> Response:
    return Response(status, headers={"Location": location}, content=b"")


@pytest.mark.parametrize(
    ("status", "method", "expect"),
    [
        (301, "POST", "GET"),
        (302, "POST", "GET"),
        (303, "POST", "GET"),
        (303, "HEAD", "HEAD"),
        (303, "PUT", "GET"),
        (307, "POST", "POST"),
        (308, "PUT", "PUT"),
        (301, "PUT", "PUT"),
        (302, "GET", "GET"),
    ],
)
def test_rfc9110_method_rewriting(status: int, method: str, expect: str) -> None:
    req = Request(method, "http://a/x", headers={"Content-Type": "text/plain"}, content=b"body")
    nxt = next_request(req, _resp(status, "/y"), 0, 5)
    assert nxt is not None and nxt.method == expect and str(nxt.url) == "http://a/y"
    if expect != method:
        assert nxt.content is None and "content-type" not in nxt.headers
    else:
        assert nxt.content == b"body"


@pytest.mark.parametrize(
    "target", ["http://b/y", "https://a/y", "http://a:8080/y", "http://A.example/y"]
)
def test_sensitive_headers_stripped_on_origin_change(target: str) -> None:
    hdrs = {
        "Authorization": "Basic x",
        "Cookie": "c=1",
        "Proxy-Authorization": "Basic p",
        "X-Keep": "1",
    }
    req = Request("GET", "http://a/x", headers=hdrs)
    nxt = next_request(req, _resp(302, target), 0, 5)
    assert nxt is not None
    for name in ("authorization", "cookie", "proxy-authorization"):
        assert name not in nxt.headers
    assert nxt.headers["x-keep"] == "1"
    same = next_request(req, _resp(302, "http://a:80/z"), 0, 5)
    assert same is not None and same.headers["authorization"] == "Basic x"


def test_redirect_limits_and_bad_location() -> None:
    req = Request("GET", "http://a/x")
    with pytest.raises(TooManyRedirects):
        next_request(req, _resp(302, "/x"), 5, 5)
    with pytest.raises(RemoteProtocolError):
        next_request(req, _resp(302, "ftp://elsewhere/"), 0, 5)
    assert next_request(req, Response(200, content=b""), 0, 5) is None


def test_retry_policy() -> None:
    r = Retry(total=2, backoff_factor=0.5)
    assert r.should_retry_error("POST", 1, sent=False)
    assert not r.should_retry_error("POST", 1, sent=True)
    assert r.should_retry_error("GET", 2, sent=True) and not r.should_retry_error(
        "GET", 3, sent=True
    )
    assert r.should_retry_status("GET", 503, 1) and not r.should_retry_status("POST", 503, 1)
    assert r.backoff(1) == 0.5 and r.backoff(3) == 2.0 and r.backoff(1, "3") == 3.0
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:05 GMT", now) == 5.0


def test_timeouts() -> None:
    assert to_timeout(3).read == 3 and to_timeout((1, 2)).connect == 1
    assert to_timeout(None).read is None
    assert Timeout().connect is not None and Timeout().read is not None  # finite by default
    assert Timeout(read=None).capped(2.0).read == 2.0
    with pytest.raises(ConfigError):
        to_timeout("soon")
    with pytest.raises(ConfigError):
        Timeout(connect=-1)


def test_basic_and_digest_auth_flows() -> None:
    req = Request("GET", "http://a/x")
    flow = BasicAuth("user", "pässword").auth_flow(req)
    assert next(flow).headers["authorization"] == "Basic dXNlcjpww6Rzc3dvcmQ="
    with pytest.raises(ConfigError):
        BasicAuth("a:b", "c")
    scheme, params = parse_challenge(
        'Digest realm="r", qop="auth,auth-int", nonce="abc", opaque="o"'
    )
    assert scheme == "digest" and params["qop"] == "auth,auth-int" and params["nonce"] == "abc"
    digest = DigestAuth("Mufasa", "Circle of Life")
    flow = digest.auth_flow(Request("GET", "http://a/dir/index.html"))
    first = next(flow)
    assert "authorization" not in first.headers
    challenge = Response(
        401,
        headers={
            "WWW-Authenticate": 'Digest realm="testrealm@host.com", qop="auth", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
        },
        content=b"",
    )
    second = flow.send(challenge)
    auth = second.headers["authorization"]
    assert auth.startswith("Digest ") and 'uri="/dir/index.html"' in auth and "nc=00000001" in auth


def test_mock_transport_plugs_into_both_clients() -> None:
    import asyncio

    from wirekit.http import AsyncClient, Client, MockTransport

    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(f"{request.method} {request.url}")
        if request.url.path == "/old":
            return Response(301, headers={"Location": "/new"}, content=b"")
        return Response(200, headers={"Content-Type": "application/json"}, content=b'{"ok": true}')

    with Client(transport=MockTransport(handler)) as c:
        r = c.get("http://test/old")
        assert r.json() == {"ok": True} and r.history[0].status_code == 301

    async def go() -> None:
        async with AsyncClient(transport=MockTransport(handler)) as c:
            assert (await c.post("http://test/x", json={})).json() == {"ok": True}

    asyncio.run(go())
    assert seen == ["GET http://test/old", "GET http://test/new", "POST http://test/x"]
