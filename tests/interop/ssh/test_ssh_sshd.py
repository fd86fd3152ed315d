"""wirekit's SSH client against a real OpenSSH sshd: exec, env, SFTP with checksums, forwarding, host keys, fan-out."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading

import pytest

from wirekit.errors import AuthenticationError, HostKeyError, RemoteCommandFailed
from wirekit.ssh import SSHClient, run_many
from wirekit.ssh.hostkeys import known_hosts_pattern
from wirekit.ssh.keys import generate_keypair

pytestmark = pytest.mark.interop


def _connect_and_close(target: str, **kw: object) -> None:
    c = SSHClient(target, **kw)
    try:
        c.connect()
    finally:
        c.close()


def test_exec_exit_codes_stderr(sshd):
    with SSHClient(sshd.target, **sshd.opts()) as c:
        r = c.run("echo hello; echo warn >&2; exit 4")
        assert (r.stdout, r.stderr, r.exit_status) == ("hello\n", "warn\n", 4)
        assert c.run("id -un").stdout == "root\n"
        with pytest.raises(RemoteCommandFailed) as ei:
            c.run("false", check=True)
        assert ei.value.code == 1


def test_env_and_stdin(sshd):
    with SSHClient(sshd.target, **sshd.opts()) as c:
        assert c.run('echo "$WK_COLOUR"', env={"WK_COLOUR": "teal"}).stdout == "teal\n"
        assert c.run("wc -c", stdin=b"x" * 100_000).stdout.strip() == "100000"


def test_many_commands_and_channels_on_one_connection(sshd):
    with SSHClient(sshd.target, **sshd.opts()) as c:
        for i in range(10):
            assert c.run(f"echo {i}").stdout == f"{i}\n"
        rs = c.run_many([f"echo c{i}" for i in range(20)])
    assert [r.stdout for r in rs] == [f"c{i}\n" for i in range(20)]


def test_stream_lines(sshd):
    with SSHClient(sshd.target, **sshd.opts()) as c:
        lines = [x.text for x in c.stream("for i in 1 2 3; do echo n$i; sleep 0.05; done")]
    assert lines == ["n1", "n2", "n3"]


def test_sftp_round_trip_with_checksums(sshd, tmp_path):
    data = os.urandom(3_000_001)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    remote_dir = str(sshd.tmp / "sftp-area")
    with SSHClient(sshd.target, **sshd.opts()) as c, c.sftp() as s:
        s.mkdir(remote_dir, parents=True)
        up = s.put(src, f"{remote_dir}/up.bin", checksum=True)
        assert up[0].sha256 == hashlib.sha256(data).hexdigest()
        assert not s.exists(f"{remote_dir}/up.bin.wirekit-part")
        names = [f.name for f in s.ls(remote_dir)]
        assert names == ["up.bin"]
        assert s.stat(f"{remote_dir}/up.bin").size == len(data)
        down = s.get(f"{remote_dir}/up.bin", tmp_path / "down.bin", checksum=True)
        assert down[0].sha256 == up[0].sha256
        s.rm(remote_dir, recursive=True)
        assert not s.exists(remote_dir)
    assert (tmp_path / "down.bin").read_bytes() == data


def _echo_server() -> tuple[socket.socket, int]:
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
    return srv, srv.getsockname()[1]


def test_local_forward(sshd):
    srv, port = _echo_server()
    try:
        with (
            SSHClient(sshd.target, **sshd.opts()) as c,
            c.forward_local(0, "127.0.0.1", port) as fwd,
        ):
            for msg in (b"through the tunnel", b"again"):
                with socket.create_connection(("127.0.0.1", fwd.port), timeout=10) as s:
                    s.sendall(msg)
                    s.shutdown(socket.SHUT_WR)
                    got = b""
                    while chunk := s.recv(65536):
                        got += chunk
                assert got == msg
    finally:
        srv.close()


def test_unknown_key_refused(sshd, tmp_path):
    kh = tmp_path / "known_hosts"
    with pytest.raises(HostKeyError) as ei:
        _connect_and_close(sshd.target, **sshd.opts(known_hosts=str(kh)))
    assert ei.value.reason == "unknown"


def test_accept_new_records_key(sshd, tmp_path):
    kh = tmp_path / "known_hosts"
    with SSHClient(sshd.target, **sshd.opts(known_hosts=str(kh), accept_new=True)) as c:
        assert c.run("true").ok
    line = kh.read_text().strip()
    assert (
        line
        == f"{known_hosts_pattern('127.0.0.1', sshd.port)} {' '.join(sshd.host_key.public_line.split()[:2])}"
    )
    # the recorded key now verifies without accept_new, and `ssh` itself accepts the file
    with SSHClient(sshd.target, **sshd.opts(known_hosts=str(kh))) as c:
        assert c.run("true").ok


def test_changed_key_fatal(sshd, tmp_path):
    impostor = generate_keypair(tmp_path / "impostor")
    kh = tmp_path / "known_hosts"
    kh.write_text(f"{known_hosts_pattern('127.0.0.1', sshd.port)} {impostor.public_line}\n")
    with pytest.raises(HostKeyError) as ei:
        _connect_and_close(sshd.target, **sshd.opts(known_hosts=str(kh), accept_new=True))
    assert ei.value.reason == "changed"


def test_wrong_key_refused(sshd, tmp_path):
    other = generate_keypair(tmp_path / "other")
    with pytest.raises(AuthenticationError):
        _connect_and_close(sshd.target, **sshd.opts(key_files=[str(other.private_path)]))


def test_fanout_200_sessions_against_sshd(sshd):
    hosts = [sshd.target] * 200
    res = run_many(
        hosts,
        "echo $SSH_CONNECTION",
        concurrency=50,
        rate=150,
        retries=2,
        connect_timeout=30,
        **sshd.opts(),
    )
    assert len(res) == 200 and res.summary.ok == 200, [r.first_line for r in res if not r.ok][:5]
    assert [r.index for r in res] == list(range(200))
    # each row carries its own session's SSH_CONNECTION: client addr/port, server addr/port
    for r in res:
        client_addr, client_port, server_addr, server_port = r.stdout.split()
        assert (client_addr, server_addr, server_port) == ("127.0.0.1", "127.0.0.1", str(sshd.port))
        assert client_port.isdigit()


def test_fanout_mixed_failures_against_sshd(sshd, tmp_path):
    from peerlib import free_port

    other = generate_keypair(tmp_path / "other")
    kh_file = tmp_path / "kh"
    kh_file.write_text(sshd.known_hosts.read_text())
    hosts = [sshd.target, f"root@127.0.0.1:{free_port()}", sshd.target]
    res = run_many(hosts, "exit 3", **sshd.opts(known_hosts=str(kh_file)))
    assert [r.status for r in res] == ["failed", "unreachable", "failed"]
    assert res[0].exit_status == 3
    res2 = run_many([sshd.target], "true", **sshd.opts(key_files=[str(other.private_path)]))
    assert res2[0].status == "unreachable" and isinstance(res2[0].error, AuthenticationError)


def test_async_client_against_sshd(sshd):
    from wirekit.ssh import AsyncSSHClient

    async def main() -> list[int | None]:
        async with AsyncSSHClient(sshd.target, **sshd.opts()) as c:
            rs = await asyncio.gather(*(c.run(f"exit {i}") for i in range(5)))
            return [r.exit_status for r in rs]

    assert asyncio.run(main()) == [0, 1, 2, 3, 4]


def test_agent_auth_with_openssh_agent(sshd, tmp_path):
    """Key auth through a real ssh-agent (no key file given to wirekit)."""
    import subprocess

    from peerlib import require_tool

    agent_bin = require_tool("ssh-agent")
    add_bin = require_tool("ssh-add")
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(
        [agent_bin, "-D", "-a", str(sock)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            if sock.exists():
                break
            import time

            time.sleep(0.05)
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(
            [add_bin, str(sshd.user_key.private_path)], env=env, check=True, capture_output=True
        )
        with SSHClient(sshd.target, **sshd.opts(key_files=[], agent=str(sock))) as c:
            assert c.run("echo via-agent").stdout == "via-agent\n"
    finally:
        agent.terminate()
        agent.wait(10)
