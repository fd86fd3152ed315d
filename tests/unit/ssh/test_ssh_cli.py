"""``wirekit ssh`` and ``wirekit serve ssh`` through click's CliRunner and a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from peerlib import free_port, wait_tcp
from wirekit.cli import cli
from wirekit.cli.ssh import _parse_forward
from wirekit.errors import ConnectError, RemoteCommandFailed, exit_code_for


def _conn(ssh_env) -> list[str]:
    return [
        "--known-hosts",
        str(ssh_env.known_hosts),
        "-F",
        "none",
        "--no-agent",
        "--password-env",
        "WK_TEST_PW",
    ]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"WK_TEST_PW": "pw-123"})


@pytest.mark.parametrize("sub", [[], ["run"], ["put"], ["get"], ["ls"], ["forward"]])
def test_help(runner, sub):
    r = runner.invoke(cli, ["ssh", *sub, "--help"])
    assert r.exit_code == 0 and "Usage" in r.output


def test_run_table_and_exit_code(runner, ssh_env):
    dead = f"wk@127.0.0.1:{free_port()}"
    r = runner.invoke(
        cli,
        [
            "ssh",
            "run",
            "-H",
            f"{ssh_env.target},{ssh_env.target}",
            "-H",
            dead,
            *_conn(ssh_env),
            "--no-progress",
            "--",
            "echo",
            "hi",
        ],
    )
    # an unreachable host -> ConnectError, exit code 3 through the root runner's table
    assert isinstance(r.exception, ConnectError) and exit_code_for(r.exception) == 3, r.output
    assert r.output.count("hi") >= 2 and "unreachable" in r.output
    assert "3 hosts: 2 ok, 0 failed, 1 unreachable" in r.output


def test_run_json_and_out_dir(runner, ssh_env, tmp_path):
    inv = tmp_path / "hosts.txt"
    inv.write_text(f"{ssh_env.target}\n{ssh_env.target}\n")
    out = tmp_path / "out"
    r = runner.invoke(
        cli,
        [
            "ssh",
            "run",
            "-f",
            str(inv),
            *_conn(ssh_env),
            "--json",
            "--out",
            str(out),
            "--",
            "echo $USER; echo e >&2; exit 1",
        ],
    )
    assert isinstance(r.exception, RemoteCommandFailed) and exit_code_for(r.exception) == 7
    data = json.loads(r.output)
    assert data["summary"] == {
        **data["summary"],
        "total": 2,
        "ok": 0,
        "failed": 2,
        "unreachable": 0,
    }
    assert [x["index"] for x in data["results"]] == [0, 1]
    assert data["results"][0]["stdout"] == "wk\n" and data["results"][0]["exit_status"] == 1
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 4 and files[0].startswith("00000-wk@127.0.0.1")
    assert (out / files[1]).read_text() in ("wk\n", "e\n")


def test_run_bad_inventory_line(runner, ssh_env, tmp_path):
    inv = tmp_path / "hosts.txt"
    inv.write_text("good\nbad:xx\n")
    r = runner.invoke(cli, ["ssh", "run", "-f", str(inv), *_conn(ssh_env), "--", "true"])
    assert r.exit_code != 0
    assert f"{inv}:2" in str(r.exception) or f"{inv}:2" in r.output


def test_put_get_ls(runner, ssh_env, tmp_path):
    src = tmp_path / "cli.txt"
    src.write_text("via cli\n")
    r = runner.invoke(
        cli,
        [
            "ssh",
            "put",
            *_conn(ssh_env),
            "--checksum",
            "--json",
            ssh_env.target,
            str(src),
            "cli.txt",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["sha256"]
    r = runner.invoke(cli, ["ssh", "ls", *_conn(ssh_env), "--json", ssh_env.target, "."])
    assert "cli.txt" in [e["name"] for e in json.loads(r.output)]
    r = runner.invoke(
        cli, ["ssh", "get", *_conn(ssh_env), ssh_env.target, "cli.txt", str(tmp_path / "back.txt")]
    )
    assert r.exit_code == 0 and (tmp_path / "back.txt").read_text() == "via cli\n"


def test_forward_spec_parsing():
    assert _parse_forward("8080:localhost:80", False) == ("127.0.0.1", 8080, "localhost", 80)
    assert _parse_forward("0.0.0.0:8080:[::1]:80", False) == ("0.0.0.0", 8080, "::1", 80)
    assert _parse_forward("1080", True) == ("127.0.0.1", 1080, None, None)
    import click

    for bad, dyn in [("8080", False), ("1080:h:1", True), ("x:y", False)]:
        with pytest.raises(click.BadParameter):
            _parse_forward(bad, dyn)


def test_serve_ssh_subprocess_and_run_against_it(tmp_path):
    """`wirekit serve ssh` starts, prints its known_hosts line, serves `wirekit ssh run`, stops on SIGTERM."""
    port = free_port()
    env = {**os.environ, "WK_TEST_PW": "s3cret"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wirekit",
            "serve",
            "ssh",
            f"tcp:127.0.0.1:{port}",
            "--user",
            "alice:s3cret",
            "--root",
            str(tmp_path / "root"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        wait_tcp(port, proc=proc)
        assert proc.stdout is not None
        lines = [proc.stdout.readline().decode() for _ in range(3)]
        kh_line = (
            next(line for line in lines if "known_hosts line:" in line)
            .split("known_hosts line:", 1)[1]
            .strip()
        )
        kh = tmp_path / "kh"
        kh.write_text(kh_line + "\n")
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "wirekit",
                "ssh",
                "run",
                "-H",
                f"alice@127.0.0.1:{port}",
                "--known-hosts",
                str(kh),
                "-F",
                "none",
                "--no-agent",
                "--password-env",
                "WK_TEST_PW",
                "--json",
                "--",
                "pwd",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["results"][0]["stdout"].strip() == str(
            (tmp_path / "root").resolve()
        )
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
        if proc.stdout is not None:
            proc.stdout.close()


def test_forward_command_local_and_socks(ssh_env):
    """`wirekit ssh forward -L 0:... -D 0` prints bound ports, tunnels, and exits 0 on SIGTERM."""
    import re
    import socket
    import threading

    echo = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = echo.accept()
            except OSError:
                return
            with conn:
                while chunk := conn.recv(65536):
                    conn.sendall(chunk)

    threading.Thread(target=serve, daemon=True).start()
    env = {**os.environ, "WK_TEST_PW": ssh_env.password}
    argv = [
        sys.executable,
        "-m",
        "wirekit",
        "ssh",
        "forward",
        ssh_env.target,
        *_conn(ssh_env),
        "-L",
        f"0:127.0.0.1:{echo.getsockname()[1]}",
        "-D",
        "0",
    ]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, env=env)
    try:
        assert proc.stderr is not None
        lines = [proc.stderr.readline().decode() for _ in range(2)]
        ports = {
            m.group(1): int(m.group(2))
            for line in lines
            if (m := re.match(r"-(\w) 127\.0\.0\.1:(\d+) ->", line))
        }
        assert set(ports) == {"L", "D"}, lines
        with socket.create_connection(("127.0.0.1", ports["L"]), timeout=10) as s:
            s.sendall(b"via cli forward")
            s.shutdown(socket.SHUT_WR)
            assert s.recv(100) == b"via cli forward"
    finally:
        proc.terminate()
        rc = proc.wait(15)
        if proc.stderr is not None:
            proc.stderr.close()
        echo.close()
    assert rc == 0


def test_run_stream_prefixes_lines(runner, ssh_env):
    r = runner.invoke(
        cli,
        [
            "ssh",
            "run",
            "-H",
            ssh_env.target,
            *_conn(ssh_env),
            "--stream",
            "--",
            "echo one; echo two",
        ],
    )
    assert r.exit_code == 0, r.output
    assert f"[{ssh_env.target}] one" in r.output and f"[{ssh_env.target}] two" in r.output


def test_run_exit_code_through_the_real_entry_point(ssh_env):
    """The installed `wirekit` command returns 3 when a host is unreachable (not 0)."""
    env = {**os.environ, "WK_TEST_PW": ssh_env.password}
    argv = [
        sys.executable,
        "-m",
        "wirekit",
        "ssh",
        "run",
        "-H",
        f"wk@127.0.0.1:{free_port()}",
        *_conn(ssh_env),
        "--no-progress",
        "--",
        "true",
    ]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 3, r.stderr
    assert "unreachable" in r.stderr
