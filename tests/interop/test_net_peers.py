"""Interop: OpenBSD ``nc`` and ``socat`` against ``wirekit listen`` / ``wirekit serve echo``, and
``wirekit connect`` against socat servers (plain TCP and TLS). Real processes, ephemeral ports,
bytes checked both ways."""

from __future__ import annotations

import hashlib
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from peerlib import free_port, require_tool, stop_process, wait_tcp

pytestmark = pytest.mark.interop

WIREKIT = str(Path(sys.executable).with_name("wirekit"))
TIMEOUT = 30


def start_listen(port: int, stdin_data: bytes = b"", *extra: str) -> subprocess.Popen[bytes]:
    """``wirekit listen`` on 127.0.0.1:port; returns once it says it is listening (no probe
    connection: without --keep-open the first client is the only one)."""
    proc = subprocess.Popen(
        [WIREKIT, "listen", f"tcp:127.0.0.1:{port}", *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(stdin_data)
    proc.stdin.close()
    proc.stdin = None  # closed: communicate() must not flush it
    line = proc.stderr.readline().decode()
    assert "listening on" in line, line
    return proc


@pytest.fixture
def echo_server() -> Iterator[int]:
    """``wirekit serve echo`` on an ephemeral port; yields the port."""
    port = free_port()
    proc = subprocess.Popen(
        [WIREKIT, "serve", "echo", f"tcp:127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_tcp(port, proc=proc)
        yield port
    finally:
        finish(proc)
    assert proc.returncode in (0, -15), proc.returncode  # SIGTERM handled as a graceful stop


def finish(proc: subprocess.Popen[bytes]) -> bytes:
    """Stop ``proc`` (SIGTERM, then SIGKILL) and return what it wrote to its stdout pipe."""
    stop_process(proc)
    out, _ = proc.communicate(timeout=TIMEOUT)
    return out or b""


def payload(size: int) -> bytes:
    """Deterministic bytes of every value, newline-free except at the end."""
    block = bytes(range(256)).replace(b"\n", b"") * (size // 255 + 1)
    return block[: size - 1] + b"\n"


# --------------------------------------------------------------------------- wirekit listen


def test_nc_talks_to_wirekit_listen() -> None:
    nc = require_tool("nc")
    port = free_port()
    server = start_listen(port, b"from wirekit\n")
    client = subprocess.run(
        [nc, "-N", "127.0.0.1", str(port)],
        input=b"hello from nc\n",
        capture_output=True,
        timeout=TIMEOUT,
    )
    out, _ = server.communicate(timeout=TIMEOUT)
    assert out == b"hello from nc\n"
    assert client.stdout == b"from wirekit\n"
    assert server.returncode == 0 and client.returncode == 0


def test_socat_sends_a_megabyte_to_wirekit_listen(tmp_path: Path) -> None:
    socat = require_tool("socat")
    port = free_port()
    data = os.urandom(1 << 20)
    src = tmp_path / "blob"
    src.write_bytes(data)
    server = start_listen(port)
    subprocess.run(
        [socat, "-u", f"OPEN:{src}", f"TCP:127.0.0.1:{port}"], check=True, timeout=TIMEOUT
    )
    out, _ = server.communicate(timeout=TIMEOUT)
    assert hashlib.sha256(out).hexdigest() == hashlib.sha256(data).hexdigest()


def test_wirekit_listen_keep_open_serves_several_clients() -> None:
    socat = require_tool("socat")
    port = free_port()
    server = start_listen(port, b"", "--keep-open")
    expected = b"client 0\nclient 1\nclient 2\n"
    try:
        for i in range(3):
            subprocess.run(
                [socat, "-u", "-", f"TCP:127.0.0.1:{port}"],
                input=f"client {i}\n".encode(),
                check=True,
                timeout=TIMEOUT,
            )
        # socat exits once its bytes are sent; wait for the listener to print them before stopping it.
        assert server.stdout is not None
        out = read_until(server.stdout, len(expected))
    finally:
        finish(server)
    assert out == expected


# --------------------------------------------------------------------------- wirekit serve echo


def test_nc_round_trips_through_wirekit_serve_echo(echo_server: int) -> None:
    nc = require_tool("nc")
    lines = b"".join(f"line {i}\n".encode() for i in range(100))
    out = subprocess.run(
        [nc, "-N", "127.0.0.1", str(echo_server)], input=lines, capture_output=True, timeout=TIMEOUT
    )
    assert out.stdout == lines


def test_socat_round_trips_binary_through_wirekit_serve_echo(echo_server: int) -> None:
    socat = require_tool("socat")
    data = payload(300_000)
    out = subprocess.run(
        [socat, "-t", "10", "-", f"TCP:127.0.0.1:{echo_server}"],
        input=data,
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert len(out.stdout) == len(data)
    assert out.stdout == data


def test_concurrent_socat_clients_on_wirekit_serve_echo(echo_server: int) -> None:
    socat = require_tool("socat")
    procs = [
        subprocess.Popen(
            [socat, "-t", "10", "-", f"TCP:127.0.0.1:{echo_server}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    msgs = [f"client {i} ".encode() * 1000 + b"\n" for i in range(len(procs))]
    outs = [p.communicate(m, timeout=TIMEOUT)[0] for p, m in zip(procs, msgs, strict=True)]
    assert outs == msgs


# --------------------------------------------------------------------------- UDP


def test_socat_datagrams_to_wirekit_listen_udp() -> None:
    socat = require_tool("socat")
    port = free_port(socket.SOCK_DGRAM)
    server = subprocess.Popen(
        [WIREKIT, "listen", f"udp:127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_bound(port, server, "udp")
        for i in range(3):
            subprocess.run(
                [socat, "-u", "-", f"UDP-SENDTO:127.0.0.1:{port}"],
                input=f"datagram {i}\n".encode(),
                check=True,
                timeout=TIMEOUT,
            )
        assert server.stdout is not None
        out = read_until(server.stdout, len(b"datagram 0\n") * 3)
    finally:
        finish(server)
    assert out == b"datagram 0\ndatagram 1\ndatagram 2\n"


def test_socat_round_trips_through_wirekit_serve_echo_udp() -> None:
    socat = require_tool("socat")
    port = free_port(socket.SOCK_DGRAM)
    server = subprocess.Popen(
        [WIREKIT, "serve", "echo", f"udp:127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_bound(port, server, "udp")
        out = subprocess.run(
            [socat, "-t", "5", "-", f"UDP:127.0.0.1:{port}"],
            input=b"ping over udp\n",
            capture_output=True,
            timeout=TIMEOUT,
        )
    finally:
        finish(server)
    assert out.stdout == b"ping over udp\n"


# --------------------------------------------------------------------------- wirekit connect


def test_wirekit_connect_to_socat_echo() -> None:
    socat = require_tool("socat")
    port = free_port()
    server = subprocess.Popen(
        [socat, f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr", "PIPE"], stderr=subprocess.PIPE
    )
    try:
        wait_tcp_once(port, server)
        data = payload(100_000)
        out = subprocess.run(
            [WIREKIT, "connect", f"tcp:127.0.0.1:{port}"],
            input=data,
            capture_output=True,
            timeout=TIMEOUT,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout == data
    finally:
        finish(server)


def test_wirekit_connect_both_directions_with_socat_system(tmp_path: Path) -> None:
    socat = require_tool("socat")
    port = free_port()
    received = tmp_path / "received"
    server = subprocess.Popen(
        [
            socat,
            f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr",
            f"SYSTEM:'printf \"220 greeting\\n\"; cat > {received}'",
        ],
        stderr=subprocess.PIPE,
    )
    try:
        wait_tcp_once(port, server)
        out = subprocess.run(
            [WIREKIT, "connect", f"tcp:127.0.0.1:{port}"],
            input=b"QUIT\n",
            capture_output=True,
            timeout=TIMEOUT,
        )
        server.wait(timeout=TIMEOUT)
    finally:
        finish(server)
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"220 greeting\n"
    assert received.read_bytes() == b"QUIT\n"


def test_wirekit_connect_tls_to_socat_openssl(tmp_path: Path) -> None:
    socat = require_tool("socat")
    from wirekit.streams.certs import make_test_tls

    tls = make_test_tls(tmp_path / "tls")
    port = free_port()
    received = tmp_path / "received"
    # The server reads one line, answers and closes (TLS has no half-close to wait for).
    server = subprocess.Popen(
        [
            socat,
            f"OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,cert={tls.cert},key={tls.key},verify=0",
            f"SYSTEM:'head -n 1 > {received}; echo tls ok'",
        ],
        stderr=subprocess.PIPE,
    )
    try:
        wait_tcp_once(port, server)
        # Verified against the test CA (verification is on by default) with SNI localhost.
        out = subprocess.run(
            [WIREKIT, "connect", f"tls:localhost:{port}?ca={tls.ca_cert}"],
            input=b"over tls\n",
            capture_output=True,
            timeout=TIMEOUT,
        )
    finally:
        finish(server)
    assert out.returncode == 0, out.stderr
    assert out.stdout == b"tls ok\n"
    assert received.read_bytes() == b"over tls\n"


def test_wirekit_connect_tls_rejects_an_untrusted_socat_certificate(tmp_path: Path) -> None:
    socat = require_tool("socat")
    from wirekit.streams.certs import make_test_tls

    tls = make_test_tls(tmp_path / "tls")
    port = free_port()
    server = subprocess.Popen(
        [
            socat,
            f"OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,cert={tls.cert},key={tls.key},verify=0",
            "SYSTEM:'echo never'",
        ],
        stderr=subprocess.PIPE,
    )
    try:
        wait_tcp_once(port, server)
        out = subprocess.run(
            [WIREKIT, "connect", f"tls:localhost:{port}"],
            input=b"",
            capture_output=True,
            timeout=TIMEOUT,
        )
    finally:
        finish(server)
    assert out.returncode == 5, out.stderr  # EXIT_CODES[TLSError]: the test CA is not trusted
    assert b"never" not in out.stdout


def test_wirekit_connect_refused_exits_with_connect_error_code() -> None:
    port = free_port()
    out = subprocess.run(
        [WIREKIT, "connect", f"tcp:127.0.0.1:{port}"],
        input=b"",
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert out.returncode == 3, out.stderr  # EXIT_CODES[ConnectError]
    assert f"127.0.0.1:{port}" in out.stderr.decode()


def read_until(pipe: IO[bytes], size: int) -> bytes:
    """Read from ``pipe`` until ``size`` bytes or EOF, within TIMEOUT seconds."""
    out = b""
    deadline = time.monotonic() + TIMEOUT
    while len(out) < size and time.monotonic() < deadline:
        ready, _, _ = select.select([pipe], [], [], 0.1)
        if ready:
            chunk = os.read(pipe.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    return out


def wait_tcp_once(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Wait for a single-shot socat listener without connecting to it (a probe would use it up)."""
    wait_bound(port, proc, "tcp")


def wait_bound(port: int, proc: subprocess.Popen[bytes], proto: str) -> None:
    """Wait until ``proc`` has a 127.0.0.1 ``proto`` (tcp: listening, udp: bound) socket on ``port``."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        if port in _bound_ports(proto):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing bound on {proto} port {port}")


def _bound_ports(proto: str) -> set[int]:
    """Local ports in /proc/net/{tcp,udp}: LISTEN (0A) for tcp, any unconnected (07) for udp."""
    state = "0A" if proto == "tcp" else "07"
    ports = set()
    for row in Path(f"/proc/net/{proto}").read_text().splitlines()[1:]:
        fields = row.split()
        if fields[3] == state:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
