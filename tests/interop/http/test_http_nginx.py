"""wirekit's HTTP clients against a real nginx: keep-alive, gzip, redirects, chunked, TLS with a test CA."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nginx_peer import Nginx, start_nginx, stop_nginx

import wirekit.http as wh
from peerlib import free_port, require_tool
from wirekit.errors import TLSError, TooManyRedirects
from wirekit.lab.core import LabThread

pytestmark = pytest.mark.interop

HELLO = b"hello from nginx\n"
TEXT = b"".join(b"line %d of a compressible text file\n" % i for i in range(5000))


@pytest.fixture(scope="module")
def lab() -> Iterator[LabThread]:
    with LabThread(["http"]) as lab:
        yield lab


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory, lab: LabThread) -> Iterator[Nginx]:
    binary = require_tool("nginx")
    tmp = tmp_path_factory.mktemp("nginx")
    svc: Any = lab.services["http"]
    tls = svc.ctx.tls
    n = start_nginx(
        binary,
        tmp,
        free_port(),
        free_port(),
        tls.cert,
        tls.key,
        upstream=f"127.0.0.1:{svc.http_port}",
    )
    (n.www / "hello.txt").write_bytes(HELLO)
    (n.www / "big.txt").write_bytes(TEXT)
    (n.www / "data.json").write_bytes(b'{"from": "nginx", "n": [1, 2, 3]}')
    (n.www / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    n.ca = str(tls.ca_cert)  # type: ignore[attr-defined]
    try:
        yield n
    finally:
        stop_nginx(n)


def run(kind: str, work: Any, **options: Any) -> Any:
    """Call ``work(client)`` with a Client, or await it with an AsyncClient."""
    if kind == "sync":
        with wh.Client(**options) as c:
            return work(c)

    async def go() -> Any:
        async with wh.AsyncClient(**options) as c:
            result = work(c)
            while asyncio.iscoroutine(result) or (
                isinstance(result, list) and result and asyncio.iscoroutine(result[0])
            ):
                result = await (asyncio.gather(*result) if isinstance(result, list) else result)
            return result

    return asyncio.run(go())


KINDS = ["sync", "async"]


@pytest.mark.parametrize("kind", KINDS)
def test_static_file_exact(nginx: Nginx, kind: str) -> None:
    r = run(kind, lambda c: c.get(nginx.url + "/hello.txt"))
    assert r.status_code == 200 and r.content == HELLO
    assert r.headers["content-type"] == "text/plain" and r.headers["content-length"] == str(
        len(HELLO)
    )
    assert r.headers["server"].startswith("nginx") and "etag" in r.headers
    blob = (nginx.www / "blob.bin").read_bytes()
    r = run(kind, lambda c: c.get(nginx.url + "/blob.bin"))
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(blob).digest()


@pytest.mark.parametrize("kind", KINDS)
def test_gzip_decoded_exactly(nginx: Nginx, kind: str) -> None:
    r = run(kind, lambda c: c.get(nginx.url + "/big.txt"))
    assert r.headers["content-encoding"] == "gzip" and r.content == TEXT
    assert r.num_bytes_downloaded < len(TEXT) // 3
    assert run(kind, lambda c: c.get(nginx.url + "/data.json")).json() == {
        "from": "nginx",
        "n": [1, 2, 3],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_keep_alive_reuses_one_connection(nginx: Nginx, kind: str) -> None:
    def work(c: Any) -> Any:
        if kind == "sync":
            return [c.get(nginx.url + "/conn") for _ in range(5)]

        async def seq() -> list[Any]:
            return [await c.get(nginx.url + "/conn") for _ in range(5)]

        return seq()

    responses = run(kind, work)
    assert len({r.headers["x-conn"] for r in responses}) == 1
    assert responses[0].headers.get_list("x-multi") == ["one", "two"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("path", "method", "final"),
    [
        ("/r301", "GET", "/hello.txt"),
        ("/r302", "GET", "/hello.txt"),
        ("/r307", "POST", "/anything"),
        ("/r308", "POST", "/anything"),
    ],
)
def test_redirects(nginx: Nginx, kind: str, path: str, method: str, final: str) -> None:
    r = run(
        kind,
        lambda c: c.request(
            method, nginx.url + path, content=b"payload" if method == "POST" else None
        ),
    )
    assert r.status_code == 200 and str(r.url).endswith(final)
    assert r.history[0].status_code == int(path[2:])
    if method == "POST":
        assert r.json()["method"] == "POST" and r.json()["data"] == "payload"  # 307/308 keep both


@pytest.mark.parametrize("kind", KINDS)
def test_redirect_loop(nginx: Nginx, kind: str) -> None:
    with pytest.raises(TooManyRedirects):
        run(kind, lambda c: c.get(nginx.url + "/loop"))


@pytest.mark.parametrize("kind", KINDS)
def test_status_body_exact(nginx: Nginx, kind: str) -> None:
    r = run(kind, lambda c: c.get(nginx.url + "/status/418"), retries=0)
    assert r.status_code == 418 and r.content == b"teapot\n"
    assert run(kind, lambda c: c.get(nginx.url + "/nope")).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_chunked_through_proxy(nginx: Nginx, kind: str) -> None:
    def work(c: Any) -> Any:
        if kind == "sync":
            with c.stream("GET", nginx.url + "/proxy/stream/7") as r:
                return r, list(r.iter_lines())

        async def go() -> Any:
            async with c.stream("GET", nginx.url + "/proxy/stream/7") as r:
                return r, [line async for line in r.aiter_lines()]

        return go()

    r, lines = run(kind, work)
    assert r.headers.get("transfer-encoding") == "chunked"
    assert len(lines) == 7 and all(line.startswith("{") for line in lines)


@pytest.mark.parametrize("kind", KINDS)
def test_tls_with_test_ca(nginx: Any, kind: str) -> None:
    r = run(kind, lambda c: c.get(nginx.tls_url + "/hello.txt"), verify=nginx.ca)
    assert r.content == HELLO
    with pytest.raises(TLSError):
        run(kind, lambda c: c.get(nginx.tls_url + "/hello.txt"))


@pytest.mark.parametrize("kind", KINDS)
def test_download_matches(nginx: Nginx, kind: str, tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    run(kind, lambda c: c.download(nginx.url + "/blob.bin", target))
    assert target.read_bytes() == (nginx.www / "blob.bin").read_bytes()
