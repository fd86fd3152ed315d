"""TCP connect scan engine against ports this test opens on 127.0.0.1 (open, closed, filtered)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from wirekit.errors import ConfigError
from wirekit.runtime.scan import PortResult, atcp_scan, parse_ports, tcp_scan


def test_parse_ports_grammar() -> None:
    assert parse_ports("22,80,8000-8003") == [22, 80, 8000, 8001, 8002, 8003]
    assert parse_ports(" 80 , 22,22, 21-23 ") == [21, 22, 23, 80]
    assert parse_ports("65530-") == [65530, 65531, 65532, 65533, 65534, 65535]
    assert parse_ports("-3") == [1, 2, 3]
    assert len(parse_ports("-")) == 65535


@pytest.mark.parametrize("spec", ["", ",", "http", "0", "65536", "90-80", "1-2-3", "22,x"])
def test_bad_ports_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_ports(spec)


@pytest.fixture
def listeners() -> Iterator[list[int]]:
    socks = []
    for _ in range(3):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        socks.append(s)
    yield [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()


@pytest.fixture
def closed_port() -> Iterator[int]:
    # Bound but not listening: the kernel answers SYN with RST, and nobody else can take the port.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()


@pytest.fixture
def filtered_port() -> Iterator[int]:
    # A listener whose accept queue is full: Linux drops further SYNs, so a connect times out.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        fillers.append(c)
    yield port
    for c in fillers:
        c.close()
    s.close()


def test_scan_finds_open_and_closed(listeners: list[int], closed_port: int) -> None:
    seen: list[PortResult] = []
    report = tcp_scan(
        "127.0.0.1", [*listeners, closed_port], concurrency=2, timeout=5, on_result=seen.append
    )
    states = {r.port: r.state for r in report.results}
    assert states == {**dict.fromkeys(listeners, "open"), closed_port: "closed"}
    assert report.open_ports == sorted(listeners)
    assert report.count("closed") == 1
    assert [r.port for r in report.results] == sorted(states)  # sorted by port
    assert len(seen) == 4  # progress callback saw every port
    opened = [r for r in report.results if r.state == "open"]
    assert all(
        r.latency_ms is not None and r.latency_ms >= 0 and r.reason == "syn-ack" for r in opened
    )
    assert report.address == "127.0.0.1" and report.elapsed >= 0


def test_scan_reports_filtered_on_timeout(filtered_port: int, listeners: list[int]) -> None:
    report = tcp_scan("127.0.0.1", [filtered_port, listeners[0]], timeout=0.3)
    by_port = {r.port: r for r in report.results}
    assert by_port[filtered_port].state == "filtered"
    assert by_port[filtered_port].reason == "timeout" and by_port[filtered_port].latency_ms is None
    assert by_port[listeners[0]].state == "open"


def test_scan_accepts_a_spec_string_and_rate_limit(listeners: list[int]) -> None:
    lo, hi = min(listeners), max(listeners)
    spec = f"{lo}-{lo + 2},{hi}"

    async def main() -> list[int]:
        report = await atcp_scan("localhost", spec, concurrency=50, rate=500, timeout=5)
        return [r.port for r in report.results]

    assert asyncio.run(main()) == parse_ports(spec)


def test_service_name_is_looked_up_for_open_ports(listeners: list[int]) -> None:
    # Port 22 is registered as "ssh" in the services database; an open result carries it.
    from wirekit.runtime.scan import service_name

    assert service_name(22) == "ssh"
    assert service_name(1) in (None, "tcpmux")
    report = tcp_scan("127.0.0.1", listeners[:1], timeout=5)
    assert report.results[0].service == service_name(listeners[0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 0},
        {"rate": 0},
        {"rate": -5.0},
        {"timeout": 0},
        {"ports": [0]},
        {"ports": [70000]},
    ],
)
def test_bad_options_are_config_errors(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"ports": [80], **kwargs}
    with pytest.raises(ConfigError):
        tcp_scan("127.0.0.1", **args)  # type: ignore[arg-type]


def test_malformed_host_name_is_a_config_error() -> None:
    # Rejected locally by the IDNA codec: no resolver query leaves the machine.
    with pytest.raises(ConfigError, match="bad host name"):
        tcp_scan("a..b", [80])


def test_scan_over_ipv6_loopback() -> None:
    s = socket.socket(socket.AF_INET6)
    try:
        s.bind(("::1", 0))
    except OSError:
        s.close()
        pytest.skip("no IPv6 loopback here")
    s.listen(4)
    port = s.getsockname()[1]
    closed = socket.socket(socket.AF_INET6)
    closed.bind(("::1", 0))
    closed_port = closed.getsockname()[1]
    try:
        report = tcp_scan("::1", [port, closed_port], timeout=5)
    finally:
        s.close()
        closed.close()
    assert report.address == "::1"
    assert {r.port: r.state for r in report.results} == {port: "open", closed_port: "closed"}
