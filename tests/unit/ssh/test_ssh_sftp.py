"""SFTP against wirekit SSHServer: put/get files and trees, ls/mkdir/rm/stat, resume, checksums, part files."""

from __future__ import annotations

import hashlib
import os

import pytest

from wirekit.errors import ConfigError, SFTPReplyError
from wirekit.ssh import SSHClient
from wirekit.ssh.sftp import PART_SUFFIX


@pytest.fixture
def sftp(ssh_env):
    with SSHClient(ssh_env.target, **ssh_env.opts()) as c, c.sftp() as s:
        yield s


def test_put_get_round_trip_with_checksum(ssh_env, sftp, tmp_path):
    data = os.urandom(2_000_003)
    (tmp_path / "a.bin").write_bytes(data)
    up = sftp.put(tmp_path / "a.bin", "a.bin", checksum=True)
    assert up[0].bytes == len(data) and up[0].sha256 == hashlib.sha256(data).hexdigest()
    assert (ssh_env.server.root / "a.bin").read_bytes() == data
    assert not (ssh_env.server.root / ("a.bin" + PART_SUFFIX)).exists()
    down = sftp.get("a.bin", tmp_path / "b.bin", checksum=True)
    assert (tmp_path / "b.bin").read_bytes() == data and down[0].sha256 == up[0].sha256
    assert not (tmp_path / ("b.bin" + PART_SUFFIX)).exists()


def test_into_existing_directories(ssh_env, sftp, tmp_path):
    (tmp_path / "n.txt").write_text("n")
    sftp.mkdir("dir1", parents=True)
    sftp.put(tmp_path / "n.txt", "dir1")
    assert (ssh_env.server.root / "dir1" / "n.txt").read_text() == "n"
    out = tmp_path / "out"
    out.mkdir()
    sftp.get("dir1/n.txt", out)
    assert (out / "n.txt").read_text() == "n"


def test_ls_stat_mkdir_rm(sftp):
    sftp.mkdir("t/x/y", parents=True)
    sftp.write_bytes("t/f.txt", b"hello")
    names = [(f.name, f.kind) for f in sftp.ls("t")]
    assert names == [("f.txt", "file"), ("x", "dir")]
    st = sftp.stat("t/f.txt")
    assert st.size == 5 and not st.is_dir
    assert sftp.read_bytes("t/f.txt") == b"hello"
    with pytest.raises(SFTPReplyError) as ei:
        sftp.rm("t")  # not empty
    assert ei.value.code
    sftp.rm("t", recursive=True)
    assert not sftp.exists("t")
    with pytest.raises(SFTPReplyError) as ei:
        sftp.stat("t")
    assert ei.value.code == 2  # SSH_FX_NO_SUCH_FILE


def test_recursive_tree(ssh_env, sftp, tmp_path):
    src = tmp_path / "tree"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "top.txt").write_text("top")
    (src / "sub" / "mid.txt").write_text("mid")
    (src / "sub" / "deeper" / "low.bin").write_bytes(b"\x00" * 1000)
    with pytest.raises(ConfigError):
        sftp.put(src, "tree")
    rs = sftp.put(src, "tree", recursive=True)
    assert len(rs) == 3
    with pytest.raises(ConfigError):
        sftp.get("tree", tmp_path / "back")
    sftp.get("tree", tmp_path / "back", recursive=True, checksum=True)
    for rel in ("top.txt", "sub/mid.txt", "sub/deeper/low.bin"):
        assert (tmp_path / "back" / rel).read_bytes() == (src / rel).read_bytes()


def test_upload_resume_continues_part_file(ssh_env, sftp, tmp_path):
    data = os.urandom(1_000_000)
    (tmp_path / "r.bin").write_bytes(data)
    # an interrupted earlier upload left the first 400 kB in the part file; no final file yet
    (ssh_env.server.root / ("r.bin" + PART_SUFFIX)).write_bytes(data[:400_000])
    assert not sftp.exists("r.bin")
    rs = sftp.put(tmp_path / "r.bin", "r.bin", resume=True, checksum=True)
    assert rs[0].resumed_from == 400_000 and rs[0].bytes == 600_000
    assert (ssh_env.server.root / "r.bin").read_bytes() == data


def test_download_resume_continues_part_file(sftp, tmp_path):
    data = os.urandom(900_000)
    sftp.write_bytes("d.bin", data)
    (tmp_path / ("d.bin" + PART_SUFFIX)).write_bytes(data[:123_456])
    rs = sftp.get("d.bin", tmp_path / "d.bin", resume=True, checksum=True)
    assert rs[0].resumed_from == 123_456
    assert (tmp_path / "d.bin").read_bytes() == data


def test_resume_with_stale_oversized_part_starts_over(ssh_env, sftp, tmp_path):
    (tmp_path / "s.bin").write_bytes(b"short")
    (ssh_env.server.root / ("s.bin" + PART_SUFFIX)).write_bytes(b"much longer garbage")
    rs = sftp.put(tmp_path / "s.bin", "s.bin", resume=True)
    assert rs[0].resumed_from == 0
    assert (ssh_env.server.root / "s.bin").read_bytes() == b"short"


def test_checksum_mismatch_keeps_final_name_untouched(ssh_env, sftp, tmp_path):
    from wirekit.errors import ProtocolError

    good = os.urandom(50_000)
    (tmp_path / "c.bin").write_bytes(good)
    sftp.put(tmp_path / "c.bin", "c.bin")
    # a corrupt part file claiming to be the full length: resume appends nothing, checksum catches it
    (ssh_env.server.root / ("c.bin" + PART_SUFFIX)).write_bytes(b"\x00" * len(good))
    with pytest.raises(ProtocolError):
        sftp.put(tmp_path / "c.bin", "c.bin", resume=True, checksum=True)
    assert (ssh_env.server.root / "c.bin").read_bytes() == good


def test_missing_local_and_remote(sftp, tmp_path):
    with pytest.raises(ConfigError):
        sftp.put(tmp_path / "nope", "x")
    with pytest.raises(SFTPReplyError):
        sftp.get("no/such/file", tmp_path / "x")
    assert not (tmp_path / ("x" + PART_SUFFIX)).exists()


def test_confined_to_root(ssh_env, sftp):
    names = {f.name for f in sftp.ls("/")}
    assert "etc" not in names or (ssh_env.server.root / "etc").exists()
    with pytest.raises(SFTPReplyError):
        sftp.stat("../../../../etc/passwd")
