"""run_many / arun_many against wirekit SSHServer: ordering, duplicates, every failure kind as one row."""

from __future__ import annotations

import asyncio

import pytest

from peerlib import free_port
from wirekit.errors import (
    AuthenticationError,
    BrokenStreamError,
    ConfigError,
    ConnectError,
    HostKeyError,
    ReadTimeout,
    RemoteCommandFailed,
)
from wirekit.ssh import arun_many, run_many
from wirekit.ssh.inventory import load_inventory


def test_results_keyed_by_index_duplicates_kept(ssh_env):
    hosts = [ssh_env.target] * 5
    res = run_many(hosts, "echo $USER", **ssh_env.opts())
    assert len(res) == 5 and [r.index for r in res] == [0, 1, 2, 3, 4]
    assert len(res.by_host(ssh_env.target)) == 5
    assert all(r.stdout == "wk\n" and r.exit_status == 0 and r.ok for r in res)
    s = res.summary
    assert (s.total, s.ok, s.failed, s.unreachable) == (5, 5, 0, 0)


def test_every_failure_kind_is_one_row(ssh_env, tmp_path):
    dead = f"wk@127.0.0.1:{free_port()}"
    hosts = [
        ssh_env.target,  # ok
        dead,  # refused
        f"eve@127.0.0.1:{ssh_env.port}",  # auth refused
        ssh_env.target,  # a duplicate of the first: its own row
    ]
    res = run_many(hosts, "exit 0", **ssh_env.opts())
    assert [r.status for r in res] == ["ok", "unreachable", "unreachable", "ok"]
    assert isinstance(res[1].error, ConnectError)
    assert isinstance(res[2].error, AuthenticationError)
    assert "127.0.0.1" in str(res[1].error)


def test_timeout_and_drop_mid_command(ssh_env):
    res = run_many([ssh_env.target], "hang", command_timeout=1.0, **ssh_env.opts())
    assert res[0].status == "failed" and isinstance(res[0].error, ReadTimeout)
    res = run_many([ssh_env.target, ssh_env.target], "drop", command_timeout=20, **ssh_env.opts())
    assert [r.status for r in res] == ["failed", "failed"]
    assert all(isinstance(r.error, BrokenStreamError) for r in res)


def test_unknown_host_key_row(ssh_env, tmp_path):
    res = run_many([ssh_env.target], "true", **ssh_env.opts(known_hosts=str(tmp_path / "empty")))
    assert res[0].status == "unreachable" and isinstance(res[0].error, HostKeyError)


def test_check_true_raises_exception_group(ssh_env):
    dead = f"wk@127.0.0.1:{free_port()}"
    with pytest.raises(ExceptionGroup) as ei:
        run_many([ssh_env.target, dead, ssh_env.target], "exit 2", check=True, **ssh_env.opts())
    excs = ei.value.exceptions
    assert len(excs) == 3
    assert sum(isinstance(e, RemoteCommandFailed) for e in excs) == 2
    assert sum(isinstance(e, ConnectError) for e in excs) == 1
    assert "3 of 3 hosts failed" in str(ei.value)


def test_streaming_callbacks(ssh_env):
    lines: list[tuple[int, str, str, str]] = []
    done: list[int] = []
    res = run_many(
        [ssh_env.target] * 3,
        "echo a; echo b >&2",
        on_line=lambda i, h, s, t: lines.append((i, h, s, t)),
        on_result=lambda r: done.append(r.index),
        **ssh_env.opts(),
    )
    assert res.ok
    assert sorted(done) == [0, 1, 2]
    assert sorted((i, s, t) for i, _h, s, t in lines) == sorted(
        [(i, "stdout", "a") for i in range(3)] + [(i, "stderr", "b") for i in range(3)]
    )


def test_retries_count_attempts(ssh_env):
    dead = f"wk@127.0.0.1:{free_port()}"
    res = run_many([dead], "true", retries=2, retry_delay=0.01, **ssh_env.opts())
    assert res[0].status == "unreachable" and res[0].attempts == 3
    # auth failures are never retried
    res = run_many(
        [f"eve@127.0.0.1:{ssh_env.port}"], "true", retries=2, retry_delay=0.01, **ssh_env.opts()
    )
    assert res[0].attempts == 1


def test_rate_and_concurrency_limits_still_give_every_row(ssh_env):
    res = run_many([ssh_env.target] * 12, "echo x", concurrency=3, rate=100, **ssh_env.opts())
    assert res.summary.ok == 12


def test_200_sessions_against_wirekit_server(ssh_env):
    # 100 handshakes at once on a loaded 2-core CI box can exceed the 10 s default connect
    # timeout; this test is about every row coming back, not about handshake latency.
    res = run_many(
        [ssh_env.target] * 200, "echo $USER", concurrency=100, connect_timeout=60, **ssh_env.opts()
    )
    failures = [(r.index, r.status, str(r.error)) for r in res if r.status != "ok"][:5]
    assert res.summary.ok == 200 and all(r.stdout == "wk\n" for r in res), failures
    assert [r.index for r in res] == list(range(200))


def test_inventory_file_and_bad_options(ssh_env, tmp_path):
    f = tmp_path / "hosts"
    f.write_text(f"{ssh_env.target}\n# comment\n{ssh_env.target}\n")
    res = run_many(load_inventory(f), "true", **ssh_env.opts())
    assert res.summary.ok == 2
    with pytest.raises(ConfigError):
        run_many([ssh_env.target], "true", concurrency=0, **ssh_env.opts())
    with pytest.raises(ConfigError):
        run_many([ssh_env.target], "true", engine="threads")
    with pytest.raises(ConfigError):
        run_many(["bad:port"], "true", **ssh_env.opts())


def test_async_api_json(ssh_env):
    res = asyncio.run(arun_many([ssh_env.target], "echo hi", **ssh_env.opts()))
    j = res.to_json()
    assert j["summary"]["ok"] == 1 and j["results"][0]["stdout"] == "hi\n"


def test_silent_server_times_out_as_one_row(ssh_env):
    """A port that accepts TCP but never speaks SSH: ConnectTimeout within connect_timeout, no hang."""
    import socket

    from wirekit.errors import ConnectTimeout

    silent = socket.create_server(("127.0.0.1", 0))  # listening, never accepting, never answering
    try:
        port = silent.getsockname()[1]
        res = run_many(
            [f"wk@127.0.0.1:{port}", ssh_env.target],
            "echo ok",
            connect_timeout=1.0,
            **ssh_env.opts(),
        )
    finally:
        silent.close()
    assert res[0].status == "unreachable" and isinstance(res[0].error, ConnectTimeout)
    assert res[1].ok


def test_accept_new_in_fanout_records_once_and_all_connect(ssh_env, tmp_path):
    kh = tmp_path / "kh"
    res = run_many(
        [ssh_env.target] * 8,
        "true",
        concurrency=8,
        **ssh_env.opts(known_hosts=str(kh), accept_new=True),
    )
    assert res.summary.ok == 8, [r.first_line for r in res if not r.ok]
    assert len(kh.read_text().splitlines()) == 1
