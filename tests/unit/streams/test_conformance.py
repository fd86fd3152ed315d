"""Every stream kind (tcp, tls, unix, in-memory) passes the same conformance check, sync and async."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

import wirekit
from wirekit.streams.certs import make_test_tls
from wirekit.streams.memory import amemory_pair, memory_pair
from wirekit.testing.streams import acheck_stream_pair, check_stream_pair

KINDS = ["tcp", "tls", "unix", "memory"]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory):
    return make_test_tls(tmp_path_factory.mktemp("tls"))


def _endpoint(kind: str, tmp_path: Path, tls) -> str:
    if kind == "unix":
        return f"unix:{tmp_path}/s.sock"
    if kind == "tls":
        return f"tls:127.0.0.1:0?cert={tls.cert}&key={tls.key}"
    return "tcp:127.0.0.1:0"


def _sync_pair(kind: str, tmp_path: Path, tls):
    if kind == "memory":
        return memory_pair()
    listener = wirekit.listen(_endpoint(kind, tmp_path, tls))
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("s", listener.accept(timeout=10)))
    t.start()
    ep = listener.bound_endpoint
    target = (
        f"tls:localhost:{ep.port}"
        if kind == "tls"
        else (str(ep) if kind == "unix" else f"tcp:127.0.0.1:{ep.port}")
    )
    client = wirekit.connect(
        target, timeout=10, ssl_context=tls.client_context() if kind == "tls" else None
    )
    t.join(10)
    listener.close()
    server = result["s"]
    server.timeout = 10
    return client, server


@pytest.mark.parametrize("kind", KINDS)
def test_sync_conformance(kind: str, tmp_path: Path, tls) -> None:
    a, b = _sync_pair(kind, tmp_path, tls)
    check_stream_pair(a, b, half_close=kind != "tls")


@pytest.mark.parametrize("kind", KINDS)
def test_async_conformance(kind: str, tmp_path: Path, tls) -> None:
    async def main() -> None:
        if kind == "memory":
            a, b = await amemory_pair()
        else:
            listener = await wirekit.alisten(_endpoint(kind, tmp_path, tls))
            ep = listener.bound_endpoint
            target = (
                f"tls:localhost:{ep.port}"
                if kind == "tls"
                else (str(ep) if kind == "unix" else f"tcp:127.0.0.1:{ep.port}")
            )
            a = await wirekit.aconnect(
                target, timeout=10, ssl_context=tls.client_context() if kind == "tls" else None
            )
            b = await listener.accept(timeout=10)
            await listener.aclose()
        b.timeout = 10
        await acheck_stream_pair(a, b, half_close=kind != "tls")

    wirekit.run(main)


def test_async_conformance_on_plain_asyncio_loop(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tls
) -> None:
    monkeypatch.setenv("WIREKIT_LOOP", "asyncio")
    from wirekit.runtime.loop import loop_name

    assert loop_name() == "asyncio"

    async def main() -> None:
        assert "uvloop" not in type(asyncio.get_running_loop()).__module__
        listener = await wirekit.alisten("tcp:127.0.0.1:0")
        a = await wirekit.aconnect(f"tcp:127.0.0.1:{listener.address[1]}", timeout=10)
        b = await listener.accept(timeout=10)
        await listener.aclose()
        await acheck_stream_pair(a, b)

    wirekit.run(main)
