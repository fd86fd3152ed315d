"""Confinement of client paths to the user's root, and the virtual user database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wirekit.errors import ConfigError, FTPReplyError
from wirekit.ftp.paths import VirtualFS
from wirekit.ftp.users import UserDB, parse_perms, parse_user_spec


def test_normalize(tmp_path: Path) -> None:
    fs = VirtualFS(tmp_path)
    assert fs.normalize("/", "a/b/../c") == "/a/c"
    assert fs.normalize("/a", "b") == "/a/b"
    assert fs.normalize("/a", "/etc/passwd") == "/etc/passwd"  # absolute paths are virtual
    assert fs.normalize("/a/b", "..") == "/a"
    assert fs.real("/etc/passwd") == Path(os.path.realpath(tmp_path)) / "etc" / "passwd"


@pytest.mark.parametrize("arg", ["..", "../x", "/..", "a/../../b", "x\x00y"])
def test_escapes_refused(tmp_path: Path, arg: str) -> None:
    with pytest.raises(FTPReplyError) as info:
        VirtualFS(tmp_path).resolve("/", arg)
    assert info.value.code == 550


def test_symlink_outside_refused_inside_allowed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").write_text("s")
    (root / "out").symlink_to(tmp_path / "secret")
    (root / "real.txt").write_text("r")
    (root / "in").symlink_to(root / "real.txt")
    fs = VirtualFS(root)
    with pytest.raises(FTPReplyError):
        fs.resolve("/", "out")
    assert fs.resolve("/", "in")[1].read_text() == "r"
    assert not fs.inside(tmp_path / "secret")


def test_perms() -> None:
    assert parse_perms("rw") == {"read", "write"}
    assert parse_perms("read,rename") == {"read", "rename"}
    assert parse_perms("all") == {"read", "write", "delete", "mkdir", "rename"}
    for bad in ("rx", "read,fly"):
        with pytest.raises(ConfigError):
            parse_perms(bad)


def test_userdb(tmp_path: Path) -> None:
    db = UserDB()
    db.add("alice", "s3cret", tmp_path / "alice", "r")
    assert (tmp_path / "alice").is_dir()
    assert db.authenticate("alice", "s3cret") is not None
    assert db.authenticate("alice", "wrong") is None
    assert db.authenticate("bob", "s3cret") is None
    assert db.authenticate("anonymous", "") is None  # anonymous off by default
    db.add_anonymous(tmp_path / "pub")
    anon = db.authenticate("anonymous", "me@example.org")
    assert anon is not None and anon.perms == {"read"}
    with pytest.raises(ConfigError):
        db.add("bad:name", "x", tmp_path)


def test_user_spec() -> None:
    assert parse_user_spec("u:p:rw") == ("u", "p", frozenset({"read", "write"}))
    assert parse_user_spec("u:p") == ("u", "p", parse_perms("all"))
    for bad in ("nopass", ":p", "u:p:w:x"):
        with pytest.raises(ConfigError):
            parse_user_spec(bad)
