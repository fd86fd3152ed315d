"""OpenSSH's ssh, sftp and scp against wirekit's SSHServer (strict host key checking, key auth)."""

from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from peerlib import require_tool

pytestmark = pytest.mark.interop


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)  # type: ignore[call-overload]


def test_ssh_exec_exit_code_stderr_stdin(wk_server):
    ssh = require_tool("ssh")
    base = [ssh, *wk_server.ssh_opts(), "-p", str(wk_server.port), "wk@127.0.0.1"]
    r = _run([*base, "echo hi from $USER; echo oops >&2; exit 6"])
    assert (r.returncode, r.stdout, r.stderr.strip().splitlines()[-1]) == (
        6,
        "hi from wk\n",
        "oops",
    )
    r2 = _run([*base, "tr a-z A-Z"], input="shout\n")
    assert (r2.returncode, r2.stdout) == (0, "SHOUT\n")


def test_ssh_refuses_wrong_host_key(wk_server, tmp_path):
    ssh = require_tool("ssh")
    kh = tmp_path / "kh"
    kh.write_text(
        f"[127.0.0.1]:{wk_server.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC3EkVTBTBAgJTX7hbuwVj1MA4xiIV3L6TzNi0xBL5Xm\n"
    )
    opts = [
        o if not o.startswith("UserKnownHostsFile=") else f"UserKnownHostsFile={kh}"
        for o in wk_server.ssh_opts()
    ]
    r = _run([ssh, *opts, "-p", str(wk_server.port), "wk@127.0.0.1", "true"])
    assert r.returncode == 255 and "HOST IDENTIFICATION HAS CHANGED" in r.stderr


def test_sftp_batch_put_get(wk_server, tmp_path):
    sftp = require_tool("sftp")
    data = os.urandom(1_500_000)
    src = tmp_path / "payload.bin"
    src.write_bytes(data)
    batch = tmp_path / "batch"
    batch.write_text(
        f"mkdir incoming\nput {src} incoming/payload.bin\nls -l incoming\nget incoming/payload.bin {tmp_path}/back.bin\n"
    )
    r = _run(
        [sftp, *wk_server.ssh_opts(), "-P", str(wk_server.port), "-b", str(batch), "wk@127.0.0.1"]
    )
    assert r.returncode == 0, r.stderr
    assert "payload.bin" in r.stdout
    assert (wk_server.root / "incoming" / "payload.bin").read_bytes() == data
    assert (
        hashlib.sha256((tmp_path / "back.bin").read_bytes()).hexdigest()
        == hashlib.sha256(data).hexdigest()
    )


def test_sftp_is_confined_to_root(wk_server, tmp_path):
    sftp = require_tool("sftp")
    batch = tmp_path / "batch"
    batch.write_text("cd /\nls -a\nget /etc/hostname " + str(tmp_path / "escaped") + "\n")
    r = _run(
        [sftp, *wk_server.ssh_opts(), "-P", str(wk_server.port), "-b", str(batch), "wk@127.0.0.1"]
    )
    assert r.returncode != 0
    assert not (tmp_path / "escaped").exists()


@pytest.mark.parametrize("legacy", [False, True], ids=["scp-sftp-protocol", "scp-legacy-O"])
def test_scp_upload_download(wk_server, tmp_path, legacy):
    scp = require_tool("scp")
    data = os.urandom(300_000)
    src = tmp_path / "f.bin"
    src.write_bytes(data)
    flags = ["-O"] if legacy else []
    name = f"scp-{int(legacy)}.bin"
    up = _run(
        [
            scp,
            *flags,
            *wk_server.ssh_opts(),
            "-P",
            str(wk_server.port),
            str(src),
            f"wk@127.0.0.1:{name}",
        ]
    )
    assert up.returncode == 0, up.stderr
    assert (wk_server.root / name).read_bytes() == data
    down = _run(
        [
            scp,
            *flags,
            *wk_server.ssh_opts(),
            "-P",
            str(wk_server.port),
            f"wk@127.0.0.1:{name}",
            str(tmp_path / "back"),
        ]
    )
    assert down.returncode == 0, down.stderr
    assert (tmp_path / "back").read_bytes() == data
