"""AsyncSSHClient / SSHClient against a wirekit SSHServer: exec, streaming, host keys, auth, errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wirekit.errors import (
    AuthenticationError,
    BrokenStreamError,
    ConfigError,
    ConnectError,
    HostKeyError,
    ReadTimeout,
    RemoteCommandFailed,
)
from wirekit.ssh import AsyncSSHClient, SSHClient
from wirekit.ssh.hostkeys import known_hosts_pattern
from wirekit.ssh.keys import generate_keypair


def _try_connect(target, **kw):
    c = SSHClient(target, **kw)
    try:
        c.connect()
    finally:
        c.close()


def test_run_collects_stdout_stderr_exit_and_duration(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c:
        r = c.run("echo out; echo err >&2; exit 3")
    assert (r.stdout, r.stderr, r.exit_status) == ("out\n", "err\n", 3)
    assert not r.ok and r.duration > 0 and r.host == ssh_env.target


def test_check_raises_remote_command_failed_with_result(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c, pytest.raises(RemoteCommandFailed) as ei:
        c.run("echo boom >&2; exit 7", check=True)
    assert ei.value.code == 7 and ei.value.text == "boom"
    assert ei.value.result.stderr == "boom\n"


def test_env_stdin_and_bytes(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c:
        assert c.run("echo $GREETING", env={"GREETING": "hej"}).stdout == "hej\n"
        assert c.run("tr a-z A-Z", stdin="abc\n").stdout == "ABC\n"
        raw = c.run("printf '\\377\\000'", encoding=None).stdout
    assert raw == b"\xff\x00"


def test_python_handler_and_user(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c:
        r = c.run("hello a b")
        assert c.run("echo $USER").stdout == "wk\n"
    assert (r.stdout, r.stderr, r.exit_status) == ("hello wk a b\n", "to stderr\n", 5)


def test_many_commands_on_one_connection_and_concurrent_channels(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c:
        for i in range(20):
            assert c.run(f"echo {i}").stdout == f"{i}\n"
        results = c.run_many([f"echo ch{i}" for i in range(30)])
    assert [r.stdout for r in results] == [f"ch{i}\n" for i in range(30)]
    assert ssh_env.server.connections >= 1


def test_stream_yields_lines_in_order(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c:
        lines = list(c.stream("for i in 1 2 3; do echo line$i; done; echo oops >&2"))
    assert [(x.stream, x.text) for x in lines if x.stream == "stdout"] == [
        ("stdout", "line1"),
        ("stdout", "line2"),
        ("stdout", "line3"),
    ]
    assert ("stderr", "oops") in [(x.stream, x.text) for x in lines]


def test_on_line_callback_gets_partial_last_line(ssh_env):
    got: list[tuple[str, str]] = []
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c:
        c.run("printf 'a\\nb'", on_line=lambda s, t: got.append((s, t)))
    assert got == [("stdout", "a"), ("stdout", "b")]


def test_timeout_raises_read_timeout_with_partial(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c:
        with pytest.raises(ReadTimeout) as ei:
            c.run("echo early; sleep 30", timeout=1.0)
        assert ei.value.partial == b"early\n"
        assert c.run("echo still-usable").stdout == "still-usable\n"


def test_drop_mid_command_is_broken_stream(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c, pytest.raises(BrokenStreamError):
        c.run("drop", timeout=20)


def test_key_auth(ssh_env):
    with SSHClient(
        ssh_env.target, **ssh_env.opts(password=None, key_files=[str(ssh_env.key.private_path)])
    ) as c:
        assert c.run("echo key").stdout == "key\n"


def test_wrong_password_is_authentication_error(ssh_env):
    with pytest.raises(AuthenticationError):
        _try_connect(ssh_env.target, **ssh_env.opts(password="nope"))


def test_wrong_key_is_authentication_error(ssh_env, tmp_path):
    other = generate_keypair(tmp_path / "other")
    with pytest.raises(AuthenticationError):
        _try_connect(
            ssh_env.target, **ssh_env.opts(password=None, key_files=[str(other.private_path)])
        )


def test_refused_port_is_connect_error(ssh_env):
    from peerlib import free_port

    with pytest.raises(ConnectError) as ei:
        _try_connect(f"wk@127.0.0.1:{free_port()}", **ssh_env.opts())
    assert ei.value.address


def test_unknown_host_key_refused_by_default(ssh_env, tmp_path):
    kh = tmp_path / "kh"
    with pytest.raises(HostKeyError) as ei:
        _try_connect(ssh_env.target, **ssh_env.opts(known_hosts=str(kh)))
    assert ei.value.reason == "unknown"
    assert not kh.exists()


def test_accept_new_records_then_verifies(ssh_env, tmp_path):
    kh = tmp_path / "sub" / "kh"
    with SSHClient(ssh_env.target, **ssh_env.opts(known_hosts=str(kh), accept_new=True)) as c:
        c.run("true")
    text = kh.read_text()
    assert text.startswith(known_hosts_pattern("127.0.0.1", ssh_env.port) + " ssh-ed25519 ")
    assert oct(kh.stat().st_mode & 0o777) == "0o600"
    # second time: known now, nothing new recorded, no accept_new needed
    with SSHClient(ssh_env.target, **ssh_env.opts(known_hosts=str(kh))) as c:
        c.run("true")
    assert kh.read_text() == text


def test_changed_host_key_is_fatal_even_with_accept_new(ssh_env, tmp_path):
    other = generate_keypair(tmp_path / "fake_host")
    kh = tmp_path / "kh"
    kh.write_text(f"{known_hosts_pattern('127.0.0.1', ssh_env.port)} {other.public_line}\n")
    with pytest.raises(HostKeyError) as ei:
        _try_connect(ssh_env.target, **ssh_env.opts(known_hosts=str(kh), accept_new=True))
    assert ei.value.reason == "changed"
    assert "CHANGED" in str(ei.value)
    assert kh.read_text().count("\n") == 1


def test_bad_option_and_bad_target_are_config_errors(ssh_env):
    with pytest.raises(ConfigError):
        SSHClient(ssh_env.target, bogus=1)
    with pytest.raises(ConfigError):
        SSHClient("wk@host:99999", **ssh_env.opts())
    with pytest.raises(ConfigError):
        SSHClient(ssh_env.target, **ssh_env.opts(password=None, key_files=["/nonexistent/key"]))


def test_ssh_config_alias(ssh_env, tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text(
        f"Host lab\n  HostName 127.0.0.1\n  Port {ssh_env.port}\n  User wk\n  IdentityFile {ssh_env.key.private_path}\n"
    )
    with SSHClient("lab", **ssh_env.opts(password=None, ssh_config=str(cfg))) as c:
        assert c.run("echo $USER").stdout == "wk\n"
        assert c.host == "lab"


def test_async_client_concurrent_runs(ssh_env):
    async def main() -> list[str]:
        async with AsyncSSHClient(ssh_env.target, **ssh_env.opts()) as c:
            rs = await asyncio.gather(*(c.run(f"echo {i}") for i in range(50)))
            return [r.stdout for r in rs]

    assert asyncio.run(main()) == [f"{i}\n" for i in range(50)]


def test_use_after_close(ssh_env):
    from wirekit.errors import ClosedStreamError

    c = SSHClient(ssh_env.target, **ssh_env.opts()).connect()
    c.close()
    with pytest.raises(ClosedStreamError):
        c.run("true")


def test_aes_gcm_preferred_when_cpu_has_aes():
    from wirekit.ssh._adapter import encryption_preference

    assert encryption_preference(True)[0].startswith("aes128-gcm")
    assert encryption_preference(False)[0].startswith("chacha20")


def test_cpu_flag_parse(tmp_path: Path):
    from wirekit.ssh._adapter import cpu_has_aes

    f = tmp_path / "cpuinfo"
    f.write_text("processor: 0\nflags\t\t: fpu sse2 aes avx\n")
    assert cpu_has_aes(str(f))
    f2 = tmp_path / "cpuinfo2"
    f2.write_text("flags\t\t: fpu sse2 avx vaes_x\n")
    assert not cpu_has_aes(str(f2))


def test_proxy_jump_from_ssh_config_uses_same_policy(ssh_env, tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text(
        f"Host bastion\n  HostName 127.0.0.1\n  Port {ssh_env.port}\n  User wk\n"
        f"Host inner\n  HostName 127.0.0.1\n  Port {ssh_env.port}\n  User wk\n  ProxyJump bastion\n"
    )
    before = ssh_env.server.connections
    with SSHClient("inner", **ssh_env.opts(ssh_config=str(cfg))) as c:
        assert c.run("echo through").stdout == "through\n"
    assert ssh_env.server.connections - before == 2  # the hop, then the target through it
    # the hop's host key is checked with the same known_hosts policy: unknown -> refused
    with pytest.raises(HostKeyError):
        _try_connect(
            "inner", **ssh_env.opts(ssh_config=str(cfg), known_hosts=str(tmp_path / "empty"))
        )


def test_tcp_nodelay_and_cipher_choice(ssh_env):
    import socket

    from wirekit.ssh._adapter import cpu_has_aes

    with SSHClient(ssh_env.target, **ssh_env.opts()) as c:
        conn = c.aclient.connection
        sock = conn.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        cipher = conn.get_extra_info("send_cipher")
    assert cipher == (
        "aes128-gcm@openssh.com" if cpu_has_aes() else "chacha20-poly1305@openssh.com"
    )


def test_failed_with_leaves_no_loop_thread(ssh_env):
    import threading

    before = {t.name for t in threading.enumerate()}
    for _ in range(3):
        with (
            pytest.raises(AuthenticationError),
            SSHClient(ssh_env.target, **ssh_env.opts(password="bad")),
        ):
            pass
    leftover = [
        t
        for t in threading.enumerate()
        if t.name.startswith("wirekit-ssh-") and t.name not in before and t.is_alive()
    ]
    assert leftover == []


def test_default_identity_from_home_loaded_once(ssh_env, tmp_path, monkeypatch):
    import shutil

    (tmp_path / ".ssh").mkdir()
    shutil.copy(ssh_env.key.private_path, tmp_path / ".ssh" / "id_ed25519")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    from wirekit.ssh.options import SSHOptions

    prepared = SSHOptions(known_hosts=str(ssh_env.known_hosts), ssh_config=None).prepare()
    assert prepared.base.client_keys and len(prepared.base.client_keys) == 1
    with SSHClient(ssh_env.target, prepared=prepared) as c:
        assert c.run("echo default-key").stdout == "default-key\n"
