"""Real FTP clients (curl, lftp) against the wirekit FTP server: list, get, put, resume, mirror,
FTPS. Every transfer is checked by sha256. (ftplib is covered in tests/unit/ftp.)"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[2]))

from peerlib import require_tool
from wirekit.lab.service import LabService

pytestmark = pytest.mark.interop

DATA = os.urandom(5 * 1024 * 1024 + 11)
SHA = hashlib.sha256(DATA).hexdigest()


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def srv(ftp_server: LabService) -> LabService:
    return ftp_server


def base(svc: LabService) -> str:
    e = svc.info.extra
    return f"ftp://wirekit:wirekit@{e['host']}:{e['port']}"


def root(svc: LabService) -> Path:
    return Path(svc.info.extra["root"])


def run(args: list[str], **kw: object) -> subprocess.CompletedProcess[Any]:
    kw.setdefault("text", True)
    proc = subprocess.run(args, capture_output=True, timeout=60, **kw)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{args[0]} failed ({proc.returncode}): {proc.stderr[-2000:]!r}"
    return proc  # type: ignore[no-any-return]


# --- curl ---------------------------------------------------------------------------------


@pytest.mark.parametrize("active", [False, True], ids=["passive", "active"])
def test_curl_put_list_get(srv: LabService, tmp_path: Path, active: bool) -> None:
    curl = require_tool("curl")
    mode = ["-P", "-"] if active else []
    src = tmp_path / "src.bin"
    src.write_bytes(DATA)
    name = f"curl-{active}.bin"
    run([curl, "-sS", *mode, "-T", str(src), f"{base(srv)}/{name}"])
    assert sha(root(srv) / name) == SHA
    listing = run([curl, "-sS", *mode, f"{base(srv)}/"]).stdout
    assert name in listing
    names = run([curl, "-sS", "-l", f"{base(srv)}/"]).stdout.split()
    assert name in names
    out = tmp_path / "out.bin"
    run([curl, "-sS", *mode, "-o", str(out), f"{base(srv)}/{name}"])
    assert sha(out) == SHA


def test_curl_resume_both_ways(srv: LabService, tmp_path: Path) -> None:
    curl = require_tool("curl")
    (root(srv) / "curl-res.bin").write_bytes(DATA)
    part = tmp_path / "part.bin"
    part.write_bytes(DATA[:1_234_567])
    run([curl, "-sS", "-C", "-", "-o", str(part), f"{base(srv)}/curl-res.bin"])
    assert sha(part) == SHA
    (root(srv) / "curl-up.bin").write_bytes(DATA[:2_000_000])
    full = tmp_path / "full.bin"
    full.write_bytes(DATA)
    run([curl, "-sS", "-C", "-", "-T", str(full), f"{base(srv)}/curl-up.bin"])  # SIZE, then APPE
    assert sha(root(srv) / "curl-up.bin") == SHA


def test_curl_ftps(srv: LabService, tmp_path: Path) -> None:
    curl = require_tool("curl")
    ca = srv.info.extra["ca"]
    src = tmp_path / "src.bin"
    src.write_bytes(DATA)
    run([curl, "-sS", "--ssl-reqd", "--cacert", ca, "-T", str(src), f"{base(srv)}/curl-tls.bin"])
    assert sha(root(srv) / "curl-tls.bin") == SHA
    out = tmp_path / "out.bin"
    run([curl, "-sS", "--ssl-reqd", "--cacert", ca, "-o", str(out), f"{base(srv)}/curl-tls.bin"])
    assert sha(out) == SHA
    assert (
        "curl-tls.bin" in run([curl, "-sS", "--ssl-reqd", "--cacert", ca, f"{base(srv)}/"]).stdout
    )


def test_curl_ftps_uploads_are_never_truncated(srv: LabService, tmp_path: Path) -> None:
    """Regression: on uvloop, a paused TLS reader lost the tail of ~1 in 5 uploads that were
    still acknowledged with 226. Every upload must arrive whole."""
    curl = require_tool("curl")
    ca = srv.info.extra["ca"]
    src = tmp_path / "src.bin"
    src.write_bytes(DATA)
    for i in range(12):
        run([curl, "-sS", "--ssl-reqd", "--cacert", ca, "-T", str(src), f"{base(srv)}/tls-{i}.bin"])
        assert sha(root(srv) / f"tls-{i}.bin") == SHA, f"upload {i} truncated"


def test_curl_refused_outside_root(srv: LabService) -> None:
    curl = require_tool("curl")
    proc = subprocess.run(
        [curl, "-sS", f"{base(srv)}/%2E%2E/%2E%2E/etc/passwd"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "root:" not in proc.stdout


# --- lftp ---------------------------------------------------------------------------------


def lftp(srv: LabService, script: str, *, tls: bool = False) -> str:
    exe = require_tool("lftp")
    e = srv.info.extra
    settings = ["set cmd:fail-exit yes", "set net:max-retries 1", "set net:timeout 15"]
    if tls:
        settings += [
            "set ftp:ssl-force true",
            "set ftp:ssl-protect-data true",
            f"set ssl:ca-file {e['ca']}",
            "set ssl:verify-certificate yes",
        ]
    else:
        settings += ["set ftp:ssl-allow false"]
    cmds = "; ".join([*settings, f"open -u wirekit,wirekit -p {e['port']} {e['host']}", script])
    return run([exe, "-c", cmds], env=dict(os.environ, HOME=str(root(srv).parent))).stdout


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "ftps"])
def test_lftp_put_get_cls(srv: LabService, tmp_path: Path, tls: bool) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(DATA)
    name = f"lftp-{tls}.bin"
    lftp(srv, f"put {src} -o {name}", tls=tls)
    assert sha(root(srv) / name) == SHA
    out = tmp_path / "out.bin"
    lftp(srv, f"get {name} -o {out}", tls=tls)
    assert sha(out) == SHA
    assert name in lftp(srv, "cls -1", tls=tls).split()


def test_lftp_resume_get(srv: LabService, tmp_path: Path) -> None:
    (root(srv) / "lftp-res.bin").write_bytes(DATA)
    out = tmp_path / "lftp-res.bin"
    out.write_bytes(DATA[:777_777])
    lftp(srv, f"lcd {tmp_path}; get -c lftp-res.bin")
    assert sha(out) == SHA


def test_lftp_mirror_down_and_up(srv: LabService, tmp_path: Path) -> None:
    tree = root(srv) / "tree"
    (tree / "a" / "b").mkdir(parents=True, exist_ok=True)
    files = {"top.bin": DATA[:100_000], "a/mid.bin": DATA[:3_000_000], "a/b/leaf.txt": b"leaf\n"}
    for rel, content in files.items():
        (tree / rel).write_bytes(content)
    down = tmp_path / "down"
    lftp(srv, f"mirror tree {down}")
    for rel, content in files.items():
        assert (down / rel).read_bytes() == content
    lftp(srv, f"mirror -R {down} tree-up")
    for rel, content in files.items():
        assert (
            hashlib.sha256((root(srv) / "tree-up" / rel).read_bytes()).hexdigest()
            == hashlib.sha256(content).hexdigest()
        )


def test_curl_per_user_limit(
    wirekit_lab_factory: Callable[..., LabService], tmp_path: Path
) -> None:
    curl = require_tool("curl")
    svc = wirekit_lab_factory("ftp", max_per_user=1)
    (root(svc) / "x.bin").write_bytes(DATA)
    out = tmp_path / "x.bin"
    run([curl, "-sS", "-o", str(out), f"{base(svc)}/x.bin"])  # sequential sessions are fine
    assert sha(out) == SHA


def test_curl_range_aborts_and_server_keeps_serving(srv: LabService, tmp_path: Path) -> None:
    curl = require_tool("curl")
    (root(srv) / "range.bin").write_bytes(DATA)
    head = run(
        [curl, "-sS", "-r", "0-99", f"{base(srv)}/range.bin"], text=False
    ).stdout  # curl sends ABOR
    assert head == DATA[:100]
    out = tmp_path / "after.bin"
    run([curl, "-sS", "-o", str(out), f"{base(srv)}/range.bin"])
    assert sha(out) == SHA
