"""MLSD facts and LIST lines: parse what servers send, format what we serve."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from wirekit.errors import DecodeError
from wirekit.ftp.listing import (
    format_list_line,
    format_mlsx,
    parse_list_line,
    parse_listing,
    parse_mlsx_line,
)

NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


def test_mlsd_line() -> None:
    e = parse_mlsx_line("Type=file;Size=1024;Modify=20261101120000;Perm=adfrw; my file.txt")
    assert (e.name, e.type, e.size, e.perm) == ("my file.txt", "file", 1024, "adfrw")
    assert e.modified == datetime.datetime(2026, 11, 1, 12, tzinfo=datetime.UTC)
    assert parse_mlsx_line("type=dir;modify=20260101000000; sub").is_dir


def test_mlsd_listing_drops_cdir_pdir() -> None:
    text = "type=cdir; .\r\ntype=pdir; ..\r\ntype=file;size=1; a\r\n"
    assert [e.name for e in parse_listing(text, mlsd=True)] == ["a"]


@pytest.mark.parametrize("line", ["nospace", "type; x"])
def test_mlsd_bad(line: str) -> None:
    with pytest.raises(DecodeError):
        parse_mlsx_line(line)


def test_unix_list_lines() -> None:
    vs = parse_list_line("-rw-r--r--    1 0        0            1234 Nov 25 14:30 readme.txt", NOW)
    assert vs is not None
    assert (vs.name, vs.type, vs.size) == ("readme.txt", "file", 1234)
    # "Nov 25 14:30" is after NOW (12:00) by under a day: same year
    assert vs.modified == datetime.datetime(2026, 11, 25, 14, 30, tzinfo=datetime.UTC)
    old = parse_list_line("drwxr-xr-x   2 ftp ftp 4096 Jan  3  2019 pub dir", NOW)
    assert (
        old is not None
        and old.type == "dir"
        and old.name == "pub dir"
        and old.modified.year == 2019
    )  # type: ignore[union-attr]
    link = parse_list_line("lrwxrwxrwx 1 u g 7 Dec 31 23:59 cur -> target", NOW)
    assert link is not None and (link.name, link.target, link.type) == ("cur", "target", "link")
    # December in the "future" means last year
    assert link.modified.year == 2025  # type: ignore[union-attr]
    nogroup = parse_list_line("-rw-r--r-- 1 owner 42 Nov  1 10:00 f", NOW)
    assert nogroup is not None and nogroup.size == 42


def test_dos_list_lines() -> None:
    d = parse_list_line("11-25-26  02:30PM       <DIR>          My Docs", NOW)
    assert d is not None and d.type == "dir" and d.name == "My Docs"
    assert d.modified == datetime.datetime(2026, 11, 25, 14, 30, tzinfo=datetime.UTC)
    f = parse_list_line("01-02-99  12:05AM             12,345 a.txt", NOW)
    assert f is not None and f.size == 12345 and f.modified.year == 1999 and f.modified.hour == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "line", ["total 12", "", "garbage here", "-rw-r--r-- 1 a b x Nov 1 10:00 f"]
)
def test_non_entries(line: str) -> None:
    assert parse_list_line(line, NOW) is None


def test_format_then_parse(tmp_path: Path) -> None:
    p = tmp_path / "data file.bin"
    p.write_bytes(b"x" * 777)
    st = p.stat()
    e = parse_list_line(format_list_line(p.name, st, st.st_mtime), NOW)
    assert e is not None and (e.name, e.size, e.type) == ("data file.bin", 777, "file")
    m = parse_mlsx_line(format_mlsx(p.name, st, frozenset({"read"})))
    assert (m.name, m.size, m.type, m.perm) == ("data file.bin", 777, "file", "r")
    assert m.modified is not None and abs(m.modified.timestamp() - int(st.st_mtime)) < 1
    d = parse_mlsx_line(format_mlsx("sub", os.stat(tmp_path), frozenset({"read", "mkdir"})))
    assert d.type == "dir" and d.size is None and "m" in (d.perm or "")
