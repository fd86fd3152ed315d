"""Proxies through a real tinyproxy: plain HTTP forwarding, HTTPS via CONNECT, proxy auth, trust_env."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wirekit.http as wh
from peerlib import free_port, require_tool, stop_process, wait_tcp
from wirekit.errors import ConnectError
from wirekit.lab.core import LabThread

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def lab() -> Iterator[Any]:
    with LabThread(["http"]) as lab:
        yield lab.services["http"]


def _tinyproxy(tmp: Path, auth: bool) -> tuple[subprocess.Popen[bytes], int]:
    binary = require_tool("tinyproxy")
    port = free_port()
    conf = tmp / f"tinyproxy-{port}.conf"
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Timeout 30",
        "MaxClients 50",
        "LogLevel Error",
        "Allow 127.0.0.1",
    ]
    if auth:
        lines.append("BasicAuth proxyuser proxypass")
    conf.write_text("\n".join(lines) + "\n")
    proc = subprocess.Popen(
        [binary, "-d", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    wait_tcp(port, proc=proc)
    return proc, port


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, port = _tinyproxy(tmp_path_factory.mktemp("tinyproxy"), auth=False)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="module")
def auth_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    proc, port = _tinyproxy(tmp_path_factory.mktemp("tinyproxy-auth"), auth=True)
    try:
        yield port
    finally:
        stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def run(kind: str, url: str, **options: Any) -> Any:
    if kind == "sync":
        with wh.Client(retries=0, **options) as c:
            return c.get(url)

    async def go() -> Any:
        async with wh.AsyncClient(retries=0, **options) as c:
            return await c.get(url)

    return asyncio.run(go())


KINDS = ["sync", "async"]


@pytest.mark.parametrize("kind", KINDS)
def test_http_through_proxy(lab: Any, proxy: str, kind: str) -> None:
    r = run(kind, lab.url + "/headers", proxy=proxy)
    assert r.status_code == 200 and "tinyproxy" in r.json()["headers"].get("Via", "")
    direct = run(kind, lab.url + "/headers")
    assert "Via" not in direct.json()["headers"]


@pytest.mark.parametrize("kind", KINDS)
def test_https_through_connect_tunnel(lab: Any, proxy: str, kind: str) -> None:
    r = run(kind, lab.tls_url + "/headers", proxy={"https": proxy}, verify=str(lab.ctx.tls.ca_cert))
    assert r.status_code == 200
    assert "Via" not in r.json()["headers"]  # a tunnel: the proxy never sees inside TLS


@pytest.mark.parametrize("kind", KINDS)
def test_proxy_auth(lab: Any, auth_proxy: int, kind: str) -> None:
    r = run(kind, lab.url + "/headers", proxy=f"http://proxyuser:proxypass@127.0.0.1:{auth_proxy}")
    assert r.status_code == 200
    assert "Proxy-Authorization" not in r.json()["headers"]  # consumed by the proxy, not forwarded
    refused = run(kind, lab.url + "/headers", proxy=f"http://127.0.0.1:{auth_proxy}")
    assert refused.status_code == 407


@pytest.mark.parametrize("kind", KINDS)
def test_env_proxy_only_with_trust_env(
    lab: Any, proxy: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "")
    for name in ("no_proxy", "http_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert "Via" not in run(kind, lab.url + "/headers").json()["headers"]
    assert "tinyproxy" in run(kind, lab.url + "/headers", trust_env=True).json()["headers"]["Via"]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert "Via" not in run(kind, lab.url + "/headers", trust_env=True).json()["headers"]


@pytest.mark.parametrize("kind", KINDS)
def test_dead_proxy_is_connect_error(lab: Any, kind: str) -> None:
    with pytest.raises(ConnectError):
        run(kind, lab.url + "/get", proxy=f"http://127.0.0.1:{free_port()}")
