"""Misbehaving servers and bad input: clear wirekit errors, never a hang, bounded memory."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
from http_helpers import reply

from wirekit.errors import ConfigError, ConnectError, ReadTimeout, RemoteProtocolError


def _endless_headers(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    line = b"X-Filler: " + b"a" * 50 + b"\r\n"
    try:
        for _ in range(2_000_000):  # ~120 MB if nobody stops reading
            conn.sendall(line * 100)
    except OSError:
        pass


def _huge_header_line(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Huge: ")
    try:
        for _ in range(100_000):  # ~6.5 GB if nobody stops reading
            conn.sendall(b"a" * 65536)
    except OSError:
        pass


def _silent(conn: socket.socket) -> None:
    threading.Event().wait(5)


CASES = {
    "garbage status line": reply(b"SPAM SPAM SPAM\r\n\r\n"),
    "binary garbage": reply(b"\x00\xff\x13\x37" * 64),
    "truncated chunked body": reply(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly-part"
    ),
    "bad chunk size": reply(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n0\r\n\r\n"
    ),
    "truncated content-length body": reply(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"),
    "closed without answer": reply(b""),
    "endless headers": _endless_headers,
    "endless header line": _huge_header_line,
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_server_raises_remote_protocol_error(case: str, raw_server: Any, both: Any) -> None:
    srv = raw_server(CASES[case])
    c = both(retries=0, timeout=10)
    with pytest.raises(RemoteProtocolError):
        c.get(srv.url + "/")


def test_server_that_never_answers_times_out(raw_server: Any, both: Any) -> None:
    srv = raw_server(_silent)
    c = both(retries=0)
    with pytest.raises(ReadTimeout):
        c.get(srv.url + "/", timeout=0.5)


def test_retry_then_fail_on_silent_server(raw_server: Any, both: Any) -> None:
    from wirekit.http import Retry

    srv = raw_server(_silent)
    c = both(retries=Retry(total=1, backoff_factor=0))
    with pytest.raises(ReadTimeout):
        c.get(srv.url + "/", timeout=0.3)
    assert len(srv.conns) == 2  # the GET was tried twice


def test_post_is_not_retried_after_sending(raw_server: Any, both: Any) -> None:
    srv = raw_server(reply(b""))
    c = both(retries=3)
    with pytest.raises(RemoteProtocolError):
        c.post(srv.url + "/", content=b"x")
    assert len(srv.conns) == 1


def test_connection_refused(both: Any) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = both(retries=0)
    with pytest.raises(ConnectError):
        c.get(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize(
    "url", ["127.0.0.1/x", "gopher://x/", "http://:80/", "http://a b/", "http://x:70000/"]
)
def test_malformed_urls(url: str, both: Any) -> None:
    c = both()
    with pytest.raises(ConfigError):
        c.get(url)


@pytest.mark.parametrize("headers", [{"X": "v\r\nInjected: yes"}, {"Bad Name": "v"}, {"X": "\x00"}])
def test_invalid_headers(headers: dict[str, str], both: Any) -> None:
    c = both()
    with pytest.raises(ConfigError):
        c.get("http://127.0.0.1:1/", headers=headers)


def test_connect_timeout_when_the_backlog_is_full(both: Any) -> None:
    from wirekit.errors import ConnectTimeout
    from wirekit.http import Timeout

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)  # never accepts: once the queue is full, SYNs are dropped
    port = srv.getsockname()[1]
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    try:
        c = both(retries=0, timeout=Timeout(connect=0.5))
        with pytest.raises(ConnectTimeout):
            c.get(f"http://127.0.0.1:{port}/")
    finally:
        for s in fillers:
            s.close()
        srv.close()
