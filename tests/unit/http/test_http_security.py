"""The security invariants of issue 8, each against real servers, for Client and AsyncClient.

1. TLS is verified by default, and the verify choice is not sticky per pooled connection.
2. Authorization, Cookie and Proxy-Authorization never follow a redirect to another origin.
3. Redirect loops end with TooManyRedirects.
4. Compressed bodies are decoded under a size cap (decompression bomb -> DecodeError).
"""

from __future__ import annotations

import gzip
import socket
from typing import Any
from urllib.parse import quote

import pytest
from http_helpers import reply

from wirekit.errors import DecodeError, TLSError, TooManyRedirects


def test_tls_verified_by_default(http_server: Any, both: Any) -> None:
    c = both()
    with pytest.raises(TLSError):
        c.get(http_server.tls_url + "/get")
    ok = both(verify=str(http_server.ctx.tls.ca_cert))
    assert ok.get(http_server.tls_url + "/get").status_code == 200


def test_verify_false_does_not_poison_the_pool(http_server: Any, both: Any) -> None:
    url = http_server.tls_url + "/get"
    c = both()
    assert c.get(url, verify=False).status_code == 200  # an unverified connection is now pooled
    with pytest.raises(TLSError):
        c.get(url)  # ...and must not be reused for a verified request
    assert c.get(url, verify=str(http_server.ctx.tls.ca_cert)).status_code == 200
    assert c.get(url, verify=False).status_code == 200
    with pytest.raises(TLSError):
        c.get(url)


def test_verified_pool_not_reused_by_unverified_client_default(http_server: Any, both: Any) -> None:
    url = http_server.tls_url + "/get"
    c = both(verify=False)
    assert c.get(url).status_code == 200
    with pytest.raises(TLSError):
        c.get(url, verify=True)
    assert c.get(url).status_code == 200


SECRETS = {"Cookie": "session=secret", "Proxy-Authorization": "Basic cHJveHk6cHc="}


def _redirect(base: str, target: str, status: int = 302) -> str:
    return f"{base}/redirect-to?url={quote(target, safe='')}&status_code={status}"


@pytest.mark.parametrize("status", [302, 307])
@pytest.mark.parametrize("change", ["port", "host", "scheme"])
def test_credentials_stripped_on_origin_change(
    http_server: Any, wirekit_lab_factory: Any, both: Any, change: str, status: int
) -> None:
    a = http_server.url
    if change == "port":
        target = wirekit_lab_factory("http").url + "/anything"
    elif change == "host":
        target = a.replace("127.0.0.1", "localhost") + "/anything"
    else:
        target = http_server.tls_url + "/anything"
    c = both(auth=("user", "pw"), cookies={"client": "c1"}, verify=str(http_server.ctx.tls.ca_cert))
    r = c.get(_redirect(a, target, status), headers=SECRETS, cookies={"call": "c2"})
    assert r.status_code == 200 and len(r.history) == 1
    seen = r.json()["headers"]
    for name in ("Authorization", "Cookie", "Proxy-Authorization"):
        assert name not in seen, f"{name} leaked across an origin change ({change})"


def test_credentials_kept_on_same_origin_redirect(http_server: Any, both: Any) -> None:
    c = both(auth=("user", "pw"), cookies={"client": "c1"})
    r = c.get(_redirect(http_server.url, http_server.url + "/anything"), headers={"X-Other": "1"})
    seen = r.json()["headers"]
    assert seen["Authorization"].startswith("Basic ") and "client=c1" in seen["Cookie"]


def test_jar_cookies_not_sent_to_another_host(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url)
    c.get("/cookies/set", params={"jar": "j"})
    other = http_server.url.replace("127.0.0.1", "localhost")
    assert "Cookie" not in c.get(other + "/headers").json()["headers"]
    assert c.get("/cookies").json()["cookies"] == {"jar": "j"}


def test_redirect_loop_ends(http_server: Any, both: Any) -> None:
    c = both(max_redirects=5)
    loop_url = (
        http_server.url + "/redirect-to?url=" + quote("/redirect-to?url=/redirect/1", safe="")
    )
    # /redirect-to -> /redirect-to -> /redirect/1 -> /get is fine; a true loop is not:
    assert c.get(loop_url).status_code == 200
    self_loop = (
        http_server.url
        + "/redirect-to?url=%2Fredirect-to%3Furl%3D%252Fredirect-to%253Furl%253D%25252Fredirect%25252F9"
    )
    with pytest.raises(TooManyRedirects):
        c.get(self_loop)
    with pytest.raises(TooManyRedirects):
        c.get(http_server.url + "/redirect/6")
    assert c.get(http_server.url + "/redirect/5").status_code == 200


def _bomb_server(raw_server: Any) -> Any:
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024), compresslevel=9)
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n\r\n".encode()
    )
    return raw_server(reply(head + bomb))


def test_decompression_bomb_is_a_clear_error(raw_server: Any, both: Any) -> None:
    srv = _bomb_server(raw_server)
    c = both(max_decoded_size=1024 * 1024, retries=0)
    with pytest.raises(DecodeError, match="max_decoded_size"):
        c.get(srv.url + "/")
    with pytest.raises(DecodeError, match="max_decoded_size"):
        c.stream_bytes(srv.url + "/")


def test_default_cap_allows_honest_compressed_bodies(raw_server: Any, both: Any) -> None:
    srv = _bomb_server(raw_server)
    c = both(retries=0)
    assert len(c.get(srv.url + "/").content) == 16 * 1024 * 1024


def test_no_env_proxy_or_netrc_without_trust_env(
    http_server: Any, monkeypatch: Any, tmp_path: Any, both: Any
) -> None:
    # A proxy in the environment that does not exist: used, it would fail the request.
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    for name in ("http_proxy", "no_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-pw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    c = both()
    seen = c.get(http_server.url + "/headers").json()["headers"]
    assert "Authorization" not in seen
    trusting = both(trust_env=True)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    seen = trusting.get(http_server.url + "/headers").json()["headers"]
    assert seen["Authorization"].startswith("Basic ")  # .netrc used only with trust_env=True
