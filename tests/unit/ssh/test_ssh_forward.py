"""Port forwarding through wirekit SSHServer: local, remote, SOCKS5, and refusal when disabled."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from wirekit.errors import ReplyError
from wirekit.ssh import SSHClient


@pytest.fixture
def echo_port() -> Iterator[int]:
    srv = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                while chunk := conn.recv(65536):
                    conn.sendall(chunk)

    threading.Thread(target=serve, daemon=True).start()
    yield srv.getsockname()[1]
    srv.close()


def _echo_through(port: int, payload: bytes, socks_to: int | None = None) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        if socks_to is not None:
            s.sendall(b"\x05\x01\x00")  # SOCKS5, one method: no auth (RFC 1928 §3)
            assert s.recv(2) == b"\x05\x00"
            s.sendall(
                b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", socks_to)
            )
            reply = s.recv(10)
            assert reply[:2] == b"\x05\x00", reply
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def test_local_forward(ssh_env, echo_port):
    with (
        SSHClient(ssh_env.target, **ssh_env.opts()) as c,
        c.forward_local(0, "127.0.0.1", echo_port) as f,
    ):
        assert f.port > 0
        assert _echo_through(f.port, b"L" * 100_000) == b"L" * 100_000


def test_remote_forward(ssh_env, echo_port):
    with (
        SSHClient(ssh_env.target, **ssh_env.opts()) as c,
        c.forward_remote(0, "127.0.0.1", echo_port) as f,
    ):
        # the server listens on f.port; connections come back through the client to echo_port
        assert f.port > 0
        assert _echo_through(f.port, b"remote") == b"remote"


def test_socks_forward(ssh_env, echo_port):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c, c.forward_socks(0) as f:
        assert _echo_through(f.port, b"via socks", socks_to=echo_port) == b"via socks"


def test_forwarding_refused_when_disabled(echo_port, tmp_path):
    from wirekit.ssh.server import SSHServer
    from wirekit.ssh.sync import Portal

    portal = Portal("no-forward")
    server = SSHServer(users={"u": "p"}, root=tmp_path / "root")
    portal.call(server.start())
    try:
        kh = server.write_known_hosts(tmp_path / "kh")
        with SSHClient(
            f"u@127.0.0.1:{server.port}",
            password="p",
            known_hosts=str(kh),
            ssh_config=None,
            agent=False,
        ) as c:
            with pytest.raises(ReplyError):
                c.forward_remote(0, "127.0.0.1", echo_port)
            with c.forward_local(0, "127.0.0.1", echo_port) as f:
                # the listener opens locally, but the server refuses the channel: the connection just closes
                assert _echo_through(f.port, b"x") == b""
    finally:
        portal.call(server.stop())
        portal.close()


def test_local_forward_to_server_that_speaks_first(ssh_env):
    """Regression: bytes the destination sends before the channel is up must not be lost (uvloop)."""
    srv = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"220 banner first\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        with (
            SSHClient(ssh_env.target, **ssh_env.opts()) as c,
            c.forward_local(0, "127.0.0.1", srv.getsockname()[1]) as f,
        ):
            for _ in range(5):
                with socket.create_connection(("127.0.0.1", f.port), timeout=10) as s:
                    got = b""
                    while chunk := s.recv(64):
                        got += chunk
                assert got == b"220 banner first\r\n"
    finally:
        srv.close()


def test_remote_forward_to_server_that_speaks_first(ssh_env):
    """The same early-bytes case on the client side of -R (the client dials the destination)."""
    srv = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"220 hello from the client side\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        with (
            SSHClient(ssh_env.target, **ssh_env.opts()) as c,
            c.forward_remote(0, "127.0.0.1", srv.getsockname()[1]) as f,
        ):
            for _ in range(5):
                with socket.create_connection(("127.0.0.1", f.port), timeout=10) as s:
                    got = b""
                    while chunk := s.recv(64):
                        got += chunk
                assert got == b"220 hello from the client side\r\n"
    finally:
        srv.close()
