"""``wirekit ftp ...`` against the lab server, and ``wirekit serve ftp`` as a real process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wirekit.cli import cli
from wirekit.ftp.client import FTPClient
from wirekit.lab.service import LabService

sys.path.insert(0, str(Path(__file__).parents[2]))
from peerlib import free_port, stop_process, wait_tcp

DATA = os.urandom(700_001)


def url(svc: LabService, path: str = "/", user: str = "wirekit:wirekit") -> str:
    e = svc.info.extra
    return f"ftp://{user}@{e['host']}:{e['port']}{path}"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_put_ls_get_rm_mkdir_json(ftp_server: LabService, tmp_path: Path) -> None:
    src = tmp_path / "cli.bin"
    src.write_bytes(DATA)
    code, out = invoke("ftp", "put", str(src), url(ftp_server, "/"), "--json")
    assert code == 0, out
    assert json.loads(out)["bytes"] == len(DATA)
    code, out = invoke("ftp", "mkdir", url(ftp_server, "/clidir"), "--json")
    assert code == 0 and json.loads(out) == {"created": "/clidir"}
    code, out = invoke("ftp", "ls", url(ftp_server, "/"), "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["cli.bin"]["size"] == len(DATA) and "clidir/" in rows
    dst = tmp_path / "back.bin"
    code, out = invoke("ftp", "get", url(ftp_server, "/cli.bin"), "-o", str(dst), "--no-progress")
    assert code == 0, out
    assert dst.read_bytes() == DATA
    code, _ = invoke("ftp", "rm", url(ftp_server, "/cli.bin"))
    assert code == 0
    code, _ = invoke("ftp", "rm", "--dir", url(ftp_server, "/clidir"))
    assert code == 0
    code, out = invoke("ftp", "ls", url(ftp_server, "/"), "--json")
    assert "cli.bin" not in out


def test_get_resume_and_tls(ftp_server: LabService, tmp_path: Path) -> None:
    (Path(ftp_server.info.extra["root"]) / "r.bin").write_bytes(DATA)
    dst = tmp_path / "r.bin"
    dst.write_bytes(DATA[:1000])
    code, out = invoke(
        "ftp",
        "get",
        "-c",
        url(ftp_server, "/r.bin"),
        "-o",
        str(dst),
        "--json",
        "--tls",
        "--ca",
        ftp_server.info.extra["ca"],
    )
    assert code == 0, out
    assert json.loads(out)["bytes"] == len(DATA) - 1000
    assert dst.read_bytes() == DATA


def test_mirror_down_then_up(ftp_server: LabService, tmp_path: Path) -> None:
    tree = Path(ftp_server.info.extra["root"]) / "mtree"
    (tree / "a").mkdir(parents=True, exist_ok=True)
    (tree / "one.bin").write_bytes(DATA)
    (tree / "a" / "two.txt").write_bytes(b"two")
    local = tmp_path / "m"
    code, out = invoke("ftp", "mirror", url(ftp_server, "/mtree"), str(local), "--json")
    assert code == 0, out
    assert json.loads(out)["copied"] == 2
    assert (local / "a" / "two.txt").read_bytes() == b"two"
    code, out = invoke("ftp", "mirror", url(ftp_server, "/mtree"), str(local), "--json")
    assert json.loads(out)["skipped"] == 2 and json.loads(out)["copied"] == 0
    (local / "a" / "three.txt").write_bytes(b"3")
    code, out = invoke("ftp", "mirror", "-R", url(ftp_server, "/mtree-up"), str(local), "--json")
    assert code == 0, out
    assert json.loads(out)["copied"] == 3
    assert (
        Path(ftp_server.info.extra["root"]) / "mtree-up" / "a" / "three.txt"
    ).read_bytes() == b"3"


def test_errors_map_to_exit_codes(ftp_server: LabService) -> None:
    from wirekit.cli._errors import run_cli

    assert (
        run_cli(cli, ["ftp", "ls", url(ftp_server, "/", "wirekit:nope")]) == 6
    )  # AuthenticationError
    assert run_cli(cli, ["ftp", "rm", url(ftp_server, "/missing.bin")]) == 7  # FTPReplyError
    assert run_cli(cli, ["ftp", "ls", "http://x/"]) == 2  # ConfigError


def test_serve_ftp_process(tmp_path: Path) -> None:
    port = free_port()
    root = tmp_path / "root"
    root.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wirekit",
            "serve",
            "ftp",
            f"tcp:127.0.0.1:{port}",
            "--root",
            str(root),
            "--user",
            "alice:pw:rw",
            "--user",
            "bob:pw:r",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_tcp(port, proc=proc)
        with FTPClient("127.0.0.1", port, "alice", "pw", timeout=10) as c:
            c.write_bytes("a.bin", DATA)
            assert hashlib.sha256(c.read_bytes("a.bin")).digest() == hashlib.sha256(DATA).digest()
        assert (root / "a.bin").read_bytes() == DATA
        with (
            FTPClient("127.0.0.1", port, "bob", "pw", timeout=10) as c,
            pytest.raises(Exception, match="550"),
        ):
            c.delete("a.bin")
    finally:
        stop_process(proc)
        if proc.stdout:
            proc.stdout.close()


def test_serve_ftp_needs_users(tmp_path: Path) -> None:
    from wirekit.cli._errors import run_cli

    assert run_cli(cli, ["serve", "ftp", "--root", str(tmp_path)]) == 2
