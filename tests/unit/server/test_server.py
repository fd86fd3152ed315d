"""The server framework: every handler shape, limits, idle timeout, errors logged, graceful stop, counters."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time

import pytest

import wirekit
from wirekit.errors import IncompleteReadError
from wirekit.runtime.protocol import Protocol
from wirekit.server.core import Server
from wirekit.streams import LineFramer


async def async_echo(stream) -> None:
    async for line in stream.lines():
        await stream.send_line(line)


def thread_echo(stream) -> None:
    for line in stream.lines():
        stream.send_line(line)


class LineEcho(Protocol):
    framer = LineFramer

    def frame_received(self, frame: bytes) -> None:
        self.write_frame(frame)


@pytest.mark.parametrize(
    "handler", [async_echo, thread_echo, LineEcho], ids=["async", "thread", "protocol"]
)
@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_handler_shapes(handler, kind: str, tmp_path) -> None:
    endpoint = "tcp:127.0.0.1:0" if kind == "tcp" else f"unix:{tmp_path}/srv.sock"

    async def main() -> None:
        async with Server(handler, endpoint) as srv:
            streams = [await wirekit.aconnect(srv.endpoint, timeout=5) for _ in range(3)]
            for i, s in enumerate(streams):
                await s.send_line(f"line {i}")
            for i, s in enumerate(streams):
                assert await s.recv_line() == f"line {i}".encode()
                await s.aclose()
            await asyncio.sleep(0.1)
            assert srv.stats.connections == 3

    wirekit.run(main)


def test_udp_datagram_handler() -> None:
    async def main() -> None:
        async with Server(lambda data, addr: data[::-1], "udp:127.0.0.1:0") as srv:
            u = await wirekit.streams.aopen_udp(srv.endpoint, timeout=5)
            u.sendto(b"abc")
            assert await u.recv() == b"cba"
            await u.aclose()
            assert srv.stats.datagrams == 1

    wirekit.run(main)


def test_tls_server(tmp_path) -> None:
    from wirekit.streams.certs import make_test_tls

    tls = make_test_tls(tmp_path)

    async def main() -> None:
        async with Server(async_echo, f"tls:127.0.0.1:0?cert={tls.cert}&key={tls.key}") as srv:
            s = await wirekit.aconnect(
                f"tls:localhost:{srv.address[1]}", ssl_context=tls.client_context(), timeout=5
            )
            await s.send_line(b"secure")
            assert await s.recv_line() == b"secure"
            await s.aclose()

    wirekit.run(main)


def test_handler_exception_is_logged_and_server_survives(caplog: pytest.LogCaptureFixture) -> None:
    async def flaky(stream) -> None:
        line = await stream.recv_line()
        if line == b"boom":
            raise RuntimeError("handler bug")
        await stream.send_line(line)

    async def main() -> None:
        async with Server(flaky, "tcp:127.0.0.1:0") as srv:
            s = await wirekit.aconnect(srv.endpoint, timeout=5)
            await s.send_line(b"boom")
            assert await s.recv() == b""
            await s.aclose()
            s2 = await wirekit.aconnect(srv.endpoint, timeout=5)
            await s2.send_line(b"fine")
            assert await s2.recv_line() == b"fine"
            await s2.aclose()
            assert srv.stats.errors == 1

    with caplog.at_level(logging.ERROR, logger="wirekit.server"):
        wirekit.run(main)
    record = next(r for r in caplog.records if "handler failed" in r.getMessage())
    assert "127.0.0.1" in record.getMessage()


@pytest.mark.parametrize(
    "handler", [async_echo, thread_echo, LineEcho], ids=["async", "thread", "protocol"]
)
def test_max_connections_closes_the_excess(handler) -> None:
    async def main() -> None:
        async with Server(handler, "tcp:127.0.0.1:0", max_connections=2) as srv:
            kept = [await wirekit.aconnect(srv.endpoint, timeout=5) for _ in range(2)]
            for s in kept:
                await s.send_line(b"x")
                assert await s.recv_line() == b"x"
            extra = await wirekit.aconnect(srv.endpoint, timeout=5)
            with pytest.raises((IncompleteReadError, wirekit.errors.BrokenStreamError)):
                await extra.send_line(b"y")
                await extra.recv_line(timeout=5)
            assert srv.stats.rejected == 1
            await extra.aclose()
            for s in kept:
                await s.aclose()

    wirekit.run(main)


@pytest.mark.parametrize("handler", [async_echo, thread_echo], ids=["async", "thread"])
def test_idle_timeout_closes_silent_clients(handler) -> None:
    async def main() -> None:
        async with Server(handler, "tcp:127.0.0.1:0", idle_timeout=0.3) as srv:
            s = await wirekit.aconnect(srv.endpoint, timeout=5)
            t0 = time.monotonic()
            assert await s.recv(timeout=5) == b""  # closed by the server, not by our timeout
            assert time.monotonic() - t0 < 4
            await s.aclose()
            await asyncio.sleep(0.05)
            assert srv.stats.idle_closed == 1

    wirekit.run(main)


def test_graceful_stop_lets_handlers_finish_then_aborts() -> None:
    finished = []

    async def slow(stream) -> None:
        await stream.recv_line()
        await asyncio.sleep(0.2)
        await stream.send_line(b"done")
        finished.append(True)

    async def stuck(stream) -> None:
        await asyncio.sleep(3600)

    async def main() -> None:
        srv = Server(slow, "tcp:127.0.0.1:0")
        await srv.start()
        s = await wirekit.aconnect(srv.endpoint, timeout=5)
        await s.send_line(b"go")
        await asyncio.sleep(0.05)
        await srv.stop(deadline=5)
        assert finished == [True]
        assert await s.recv_line() == b"done"
        with pytest.raises(wirekit.errors.ConnectError):
            await wirekit.aconnect(srv.endpoint, timeout=2)

        srv2 = Server(stuck, "tcp:127.0.0.1:0")
        await srv2.start()
        s2 = await wirekit.aconnect(srv2.endpoint, timeout=5)
        await asyncio.sleep(0.05)
        t0 = time.monotonic()
        await srv2.stop(deadline=0.2)
        assert time.monotonic() - t0 < 3
        assert await s2.recv(timeout=2) == b""
        await s.aclose()
        await s2.aclose()

    wirekit.run(main)


def test_counters() -> None:
    async def main() -> None:
        async with Server(async_echo, "tcp:127.0.0.1:0") as srv:
            s = await wirekit.aconnect(srv.endpoint, timeout=5)
            await s.send_line(b"12345")
            await s.recv_line()
            await s.aclose()
            await asyncio.sleep(0.1)
            assert srv.stats.connections == 1
            assert srv.stats.bytes_in == 6 and srv.stats.bytes_out == 6
            assert srv.stats.active == 0

    wirekit.run(main)


def test_serve_handles_sigterm(tmp_path) -> None:
    code = (
        "import wirekit\n"
        "from wirekit.server.simple import echo\n"
        f"wirekit.serve(echo, 'unix:{tmp_path}/s.sock')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if os.path.exists(tmp_path / "s.sock"):
                break
            time.sleep(0.05)
        with wirekit.connect(f"unix:{tmp_path}/s.sock", timeout=5) as s:
            s.send_line(b"hi")
            assert s.recv_line() == b"hi"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stderr.close()
