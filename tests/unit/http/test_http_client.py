"""Client and AsyncClient against the lab's httpbin-like server: API, bodies, auth, cookies, streams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import wirekit.http as wh
from wirekit.errors import ConfigError, HTTPStatusError, ReadTimeout


def test_module_level_helpers(http_server: Any) -> None:
    base = http_server.url
    r = wh.get(f"{base}/get", params={"q": "1"}, headers={"X-Test": "yes"})
    assert (
        r.status_code == 200
        and r.json()["args"] == {"q": "1"}
        and r.json()["headers"]["X-Test"] == "yes"
    )
    assert r.elapsed.total_seconds() > 0 and r.http_version == "HTTP/1.1"
    assert wh.post(f"{base}/post", json={"a": 1}).json()["json"] == {"a": 1}
    assert wh.put(f"{base}/put", data="raw").json()["data"] == "raw"
    assert wh.patch(f"{base}/patch", data={"f": "1"}).json()["form"] == {"f": "1"}
    assert wh.delete(f"{base}/delete").status_code == 200
    assert wh.head(f"{base}/get").content == b""
    assert wh.options(f"{base}/anything").status_code == 200
    assert wh.request("PROPFIND", f"{base}/anything").json()["method"] == "PROPFIND"


def test_session_defaults_and_bodies(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url + "/anything", headers={"X-Default": "d"}, params={"p": "1"})
    body = c.post("/sub", params={"q": "2"}, headers={"X-Call": "c"}, json={"k": [1, 2]}).json()
    assert body["url"].endswith("/anything/sub?p=1&q=2")
    assert body["headers"]["X-Default"] == "d" and body["headers"]["X-Call"] == "c"
    assert body["json"] == {"k": [1, 2]}
    assert body["headers"]["User-Agent"].startswith("wirekit/")
    assert body["headers"]["Accept"] == "*/*"  # the same default headers from both twins
    multi = c.post(
        "/", data={"field": "v"}, files={"doc": ("doc.txt", b"file-bytes", "text/plain")}
    ).json()
    assert multi["form"] == {"field": "v"} and multi["files"] == {"doc": "file-bytes"}
    streamed = c.post("/", content=iter([b"a", b"b", b"c"])).json()
    assert streamed["data"] == "abc" and streamed["headers"].get("Transfer-Encoding") == "chunked"


def test_redirects_follow_history_and_off(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url)
    r = c.get("/redirect/3")
    assert r.status_code == 200 and [h.status_code for h in r.history] == [302, 302, 302]
    assert str(r.url).endswith("/get")
    r = c.get("/absolute-redirect/2")
    assert r.status_code == 200 and len(r.history) == 2
    r = c.get("/redirect/2", follow_redirects=False)
    assert r.status_code == 302 and r.is_redirect and r.headers["location"] == "/redirect/1"
    r = c.post("/redirect-to", params={"url": "/anything", "status_code": "307"}, content=b"keep")
    assert r.json()["method"] == "POST" and r.json()["data"] == "keep"
    r = c.post("/redirect-to", params={"url": "/anything", "status_code": "302"}, content=b"drop")
    assert r.json()["method"] == "GET" and r.json()["data"] == ""


def test_cookies_persist_in_the_jar(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url)
    assert c.get("/cookies/set", params={"a": "1", "b": "2"}).json()["cookies"] == {
        "a": "1",
        "b": "2",
    }
    assert c.get("/cookies").json()["cookies"] == {"a": "1", "b": "2"}
    assert c.get("/cookies", cookies={"once": "x"}).json()["cookies"] == {
        "once": "x",
        "a": "1",
        "b": "2",
    }
    assert c.get("/cookies/delete", params={"a": ""}).json()["cookies"] == {"b": "2"}
    assert c.client.cookies.get("b") == "2"


def test_auth_basic_bearer_digest(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url)
    assert c.get("/basic-auth/u/p", auth=("u", "p")).json() == {"authenticated": True, "user": "u"}
    assert c.get("/basic-auth/u/p", auth=("u", "wrong")).status_code == 401
    assert c.get("/bearer", auth=wh.BearerAuth("t0k")).json()["token"] == "t0k"
    assert c.get("/bearer").status_code == 401
    digest = wh.DigestAuth("u", "p")
    assert c.get("/digest-auth/auth/u/p", auth=digest).json()["authenticated"] is True
    assert c.get("/digest-auth/auth/u/p/SHA-256", auth=wh.DigestAuth("u", "p")).status_code == 200
    assert c.get("/digest-auth/auth/u/p", auth=wh.DigestAuth("u", "bad")).status_code == 401
    url_auth = http_server.url.replace("http://", "http://u:p@") + "/basic-auth/u/p"
    assert c.get(url_auth).status_code == 200


def test_raise_for_status_and_status_codes(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url, retries=0)
    assert c.get("/status/204").status_code == 204
    r = c.get("/status/418")
    assert r.status_code == 418 and not r.ok
    with pytest.raises(HTTPStatusError) as info:
        r.raise_for_status()
    assert info.value.code == 418 and "418" in str(info.value)
    assert c.get("/status/200").raise_for_status().ok


def test_content_encodings_decoded(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url)
    assert c.get("/gzip").json()["gzipped"] is True
    assert c.get("/deflate").json()["deflated"] is True
    assert c.get("/brotli").json()["brotli"] is True
    assert "gzip" in c.get("/headers").json()["headers"]["Accept-Encoding"]


def test_streaming_lines_and_bytes(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url)
    lines = c.stream_lines("/stream/5")
    assert len(lines) == 5 and all(line.startswith("{") for line in lines)
    chunks = c.stream_bytes("/bytes/100000", chunk_size=4096)
    assert sum(map(len, chunks)) == 100000 and all(len(x) == 4096 for x in chunks[:-1])
    assert b"".join(chunks) == c.get("/bytes/100000").content  # deterministic (seeded)


def test_download_with_progress(http_server: Any, both: Any, tmp_path: Path) -> None:
    c = both(base_url=http_server.url)
    seen: list[tuple[int, int | None]] = []
    target = tmp_path / "out.bin"
    c.download("/bytes/3000000", target, progress=lambda done, total: seen.append((done, total)))
    assert target.stat().st_size == 3_000_000 and seen[-1] == (3_000_000, 3_000_000)
    assert not (tmp_path / "out.bin.part").exists()
    with pytest.raises(HTTPStatusError):
        c.download("/status/404", tmp_path / "missing.bin")
    assert not (tmp_path / "missing.bin").exists()


def test_timeouts_raise(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url, retries=0)
    with pytest.raises(ReadTimeout):
        c.get("/delay/3", timeout=0.3)
    with pytest.raises(ReadTimeout):
        c.get("/delay/3", timeout=wh.Timeout(read=5, total=0.3))
    assert c.get("/delay/0", timeout=5).status_code == 200


def test_retries_on_503_then_gives_up(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url, retries=wh.Retry(total=2, backoff_factor=0))
    r = c.get("/status/503")
    assert r.status_code == 503  # retried twice, then the last answer is returned


def test_build_request_refuses_bad_input(both: Any) -> None:
    c = both()
    with pytest.raises(ConfigError):
        c.build_request("GET", "not a url")
    with pytest.raises(ConfigError):
        c.build_request("GET", "http://a/", headers={"X": "a\r\nb"})
    with pytest.raises(ConfigError):
        c.build_request("GET", "http://a/", headers={"Bad Name": "x"})


def test_closed_client_refuses() -> None:
    import asyncio

    from wirekit.errors import ClosedStreamError

    c = wh.Client()
    c.close()
    with pytest.raises(ClosedStreamError):
        c.get("http://127.0.0.1:1/")

    async def go() -> None:
        ac = wh.AsyncClient()
        await ac.aclose()
        with pytest.raises(ClosedStreamError):
            await ac.get("http://127.0.0.1:1/")

    asyncio.run(go())


def test_streamed_gzip_is_decoded_in_any_chunk_size(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url)
    whole = c.get("/gzip").content
    chunks = c.stream_bytes("/gzip", chunk_size=7)
    assert b"".join(chunks) == whole and all(len(x) == 7 for x in chunks[:-1])
    assert c.head("/gzip").content == b""


def test_history_keeps_each_hop(http_server: Any, both: Any) -> None:
    c = both(base_url=http_server.url)
    r = c.get("/cookies/set", params={"hop": "1"})
    assert [h.status_code for h in r.history] == [302]
    assert (
        str(r.history[0].url).endswith("/cookies/set?hop=1")
        and "set-cookie" in r.history[0].headers
    )


def test_one_client_shared_by_threads(http_server: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with wh.Client(base_url=http_server.url) as c:
        c.get("/cookies/set", params={"shared": "1"})
        with ThreadPoolExecutor(8) as pool:
            results = list(
                pool.map(lambda i: c.get("/anything", params={"i": i}).json(), range(64))
            )
    assert sorted(int(r["args"]["i"]) for r in results) == list(range(64))
    assert all(r["headers"]["Cookie"] == "shared=1" for r in results)


def test_async_client_is_bound_to_one_loop(http_server: Any) -> None:
    import asyncio

    client = wh.AsyncClient()

    async def get() -> int:
        return (await client.get(http_server.url + "/get")).status_code

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(get()) == 200
        with pytest.raises(ConfigError, match="another event loop"):
            asyncio.run(get())
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
