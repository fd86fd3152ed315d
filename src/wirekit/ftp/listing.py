"""Directory listings: MLSD/MLST facts (RFC 3659 §7) and LIST lines (Unix ``ls -l`` and DOS/IIS).

Both directions live here: ``format_*`` for the server and ``parse_*`` for the client, so the
round trip is tested in one place.
"""

from __future__ import annotations

import datetime
import os
import stat as stat_mod
import time
from dataclasses import dataclass, field

from ..errors import DecodeError

__all__ = [
    "Entry",
    "format_list",
    "format_list_line",
    "format_mlsd",
    "format_mlsx",
    "parse_list_line",
    "parse_listing",
    "parse_mlsx_line",
]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Entry:
    """One directory entry. ``type`` is file, dir, link, cdir, pdir or other."""

    name: str
    type: str = "file"
    size: int | None = None
    modified: datetime.datetime | None = None
    perm: str | None = None
    target: str | None = None
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def is_dir(self) -> bool:
        return self.type in ("dir", "cdir", "pdir")


# --- MLSD / MLST ------------------------------------------------------------------------------


def parse_mlsx_line(line: str) -> Entry:
    """Parse ``fact=value;fact=value; name`` (RFC 3659 §7.2); fact names are case-insensitive.

    Raises:
        DecodeError: no space before the name, or a fact without ``=``.
    """
    line = line.rstrip("\r\n")
    line = line.lstrip(" ")  # MLST replies indent the entry line; facts never start with a space
    facts_s, sep, name = line.partition(" ")
    if not sep:
        raise DecodeError(f"MLSx line without a name: {line[:80]!r}", layer="ftp")
    facts: dict[str, str] = {}
    for fact in facts_s.split(";"):
        if not fact:
            continue
        k, eq, v = fact.partition("=")
        if not eq:
            raise DecodeError(f"MLSx fact without '=': {fact[:40]!r}", layer="ftp")
        facts[k.lower()] = v
    entry = Entry(name=name, type=facts.get("type", "file").lower(), facts=facts)
    if entry.type.startswith("os.unix=slink") or entry.type == "os.unix=symlink":
        entry.type = "link"
    size = facts.get("size") or facts.get("sizd")
    if size and size.isascii() and size.isdigit():
        entry.size = int(size)
    modify = facts.get("modify")
    if modify:
        from .protocol import parse_mdtm

        try:
            entry.modified = parse_mdtm(modify)
        except DecodeError:
            entry.modified = None
    entry.perm = facts.get("perm")
    return entry


def _mlsx_perm(is_dir: bool, perms: frozenset[str]) -> str:
    # RFC 3659 §7.5.5: a/c/d/e/f/l/m/p/r/w letters, filtered by what the user may do.
    out = []
    if is_dir:
        if "write" in perms:
            out.append("c")
        if "delete" in perms:
            out.append("dp")
        out.append("el")
        if "rename" in perms:
            out.append("f")
        if "mkdir" in perms:
            out.append("m")
    else:
        if "write" in perms:
            out.append("a")
        if "delete" in perms:
            out.append("d")
        if "rename" in perms:
            out.append("f")
        if "read" in perms:
            out.append("r")
        if "write" in perms:
            out.append("w")
    return "".join(out)


def format_mlsx(
    name: str, st: os.stat_result, perms: frozenset[str], *, kind: str | None = None
) -> str:
    """One MLSD/MLST entry line (no newline) for ``name`` with stat ``st``."""
    mode = st.st_mode
    is_dir = stat_mod.S_ISDIR(mode)
    if kind is None:
        kind = "dir" if is_dir else "file" if stat_mod.S_ISREG(mode) else "os.unix=other"
    t = time.gmtime(st.st_mtime)
    modify = f"{t[0]:04d}{t[1]:02d}{t[2]:02d}{t[3]:02d}{t[4]:02d}{t[5]:02d}"
    size = "" if is_dir else f"size={st.st_size};"
    return f"type={kind};{size}modify={modify};perm={_mlsx_perm(is_dir, perms)};unix.mode=0{mode & 0o7777:o}; {name}"


def format_mlsd(entries: list[tuple[str, os.stat_result]], perms: frozenset[str]) -> list[str]:
    """MLSD lines for many entries; time and mode texts are cached per call (files share them)."""
    times: dict[int, str] = {}
    heads: dict[tuple[int, bool], str] = {}
    out: list[str] = []
    append = out.append
    for name, st in entries:
        mode = st.st_mode
        is_dir = stat_mod.S_ISDIR(mode)
        key = (mode, is_dir)
        head = heads.get(key)
        if head is None:
            kind = "dir" if is_dir else "file" if stat_mod.S_ISREG(mode) else "os.unix=other"
            head = heads[key] = f"type={kind};"
        tail_key = -mode - 1
        tail = heads.get((tail_key, is_dir))
        if tail is None:
            tail = heads[(tail_key, is_dir)] = (
                f";perm={_mlsx_perm(is_dir, perms)};unix.mode=0{mode & 0o7777:o}; "
            )
        sec = int(st.st_mtime)
        modify = times.get(sec)
        if modify is None:
            t = time.gmtime(sec)
            modify = times[sec] = (
                f"modify={t[0]:04d}{t[1]:02d}{t[2]:02d}{t[3]:02d}{t[4]:02d}{t[5]:02d}"
            )
        if is_dir:
            append(f"{head}{modify}{tail}{name}")
        else:
            append(f"{head}size={st.st_size};{modify}{tail}{name}")
    return out


# --- LIST -------------------------------------------------------------------------------------


def _mode_string(mode: int) -> str:
    return stat_mod.filemode(mode)


def format_list_line(
    name: str, st: os.stat_result, now: float, link_target: str | None = None
) -> str:
    """One ``ls -l`` style line as most servers send it (numeric owner and group)."""
    t = time.gmtime(st.st_mtime)
    # Within six months: "Mon dd HH:MM"; older or future: "Mon dd  YYYY" (what ls does).
    if abs(now - st.st_mtime) < 15552000:
        when = f"{_MONTH_NAMES[t.tm_mon - 1]} {t.tm_mday:2d} {t.tm_hour:02d}:{t.tm_min:02d}"
    else:
        when = f"{_MONTH_NAMES[t.tm_mon - 1]} {t.tm_mday:2d}  {t.tm_year}"
    suffix = f" -> {link_target}" if link_target is not None else ""
    return f"{_mode_string(st.st_mode)} {st.st_nlink:3d} {st.st_uid:<8d} {st.st_gid:<8d} {st.st_size:12d} {when} {name}{suffix}"


def format_list(entries: list[tuple[str, os.stat_result]], now: float) -> list[str]:
    """``ls -l`` lines for many entries, with per-call caches of mode and time texts."""
    modes: dict[int, str] = {}
    times: dict[int, str] = {}
    out: list[str] = []
    append = out.append
    for name, st in entries:
        mode_s = modes.get(st.st_mode)
        if mode_s is None:
            mode_s = modes[st.st_mode] = stat_mod.filemode(st.st_mode)
        sec = int(st.st_mtime)
        when = times.get(sec)
        if when is None:
            t = time.gmtime(sec)
            if abs(now - sec) < 15552000:
                when = f"{_MONTH_NAMES[t.tm_mon - 1]} {t.tm_mday:2d} {t.tm_hour:02d}:{t.tm_min:02d}"
            else:
                when = f"{_MONTH_NAMES[t.tm_mon - 1]} {t.tm_mday:2d}  {t.tm_year}"
            times[sec] = when
        append(
            f"{mode_s} {st.st_nlink:3d} {st.st_uid:<8d} {st.st_gid:<8d} {st.st_size:12d} {when} {name}"
        )
    return out


def _parse_unix(line: str, now: datetime.datetime) -> Entry | None:
    parts = line.split(None, 8)
    if len(parts) < 9:
        # Some servers omit the group column.
        parts = line.split(None, 7)
        if len(parts) < 8:
            return None
        parts.insert(3, "")
    mode, _nlink, _owner, _group, size_s, mon, day, year_or_time, name = parts
    kind = {"d": "dir", "l": "link", "-": "file"}.get(mode[0], "other")
    month = _MONTHS.get(mon[:3].lower())
    if month is None or not (day + size_s).isascii() or not day.isdigit() or not size_s.isdigit():
        return None
    modified = None
    try:
        if ":" in year_or_time:
            hh, mm = year_or_time.split(":", 1)
            modified = datetime.datetime(
                now.year, month, int(day), int(hh), int(mm), tzinfo=datetime.UTC
            )
            if modified > now + datetime.timedelta(days=1):
                modified = modified.replace(year=now.year - 1)
        else:
            modified = datetime.datetime(int(year_or_time), month, int(day), tzinfo=datetime.UTC)
    except ValueError:
        modified = None
    target = None
    if kind == "link" and " -> " in name:
        name, target = name.split(" -> ", 1)
    return Entry(
        name=name, type=kind, size=int(size_s), modified=modified, perm=mode, target=target
    )


def _parse_dos(line: str) -> Entry | None:
    # "11-25-26  02:30PM       <DIR>          name" or "...   12345 name" (IIS DOS style)
    parts = line.split(None, 3)
    if len(parts) < 4:
        return None
    date_s, time_s, size_s, name = parts
    if len(date_s) < 8 or date_s[2] not in "-/":
        return None
    try:
        mo, dd, yy = (int(x) for x in date_s.replace("/", "-").split("-"))
        ampm = time_s[-2:].upper()
        hh, mi = (
            (int(x) for x in time_s[:-2].split(":"))
            if ampm in ("AM", "PM")
            else (int(x) for x in time_s.split(":"))
        )
        if ampm == "PM" and hh < 12:
            hh += 12
        if ampm == "AM" and hh == 12:
            hh = 0
        year = yy + (2000 if yy < 70 else 1900) if yy < 100 else yy
        modified: datetime.datetime | None = datetime.datetime(
            year, mo, dd, hh, mi, tzinfo=datetime.UTC
        )
    except ValueError:
        modified = None
    if size_s.upper() == "<DIR>":
        return Entry(name=name, type="dir", modified=modified)
    if not size_s.isascii() or not size_s.replace(",", "").isdigit():
        return None
    return Entry(name=name, type="file", size=int(size_s.replace(",", "")), modified=modified)


def parse_list_line(line: str, now: datetime.datetime | None = None) -> Entry | None:
    """Parse one LIST line (Unix or DOS format); ``None`` for lines that are not entries
    (``total 12``, blank lines). ``now`` decides the year of recent Unix dates."""
    line = line.rstrip("\r\n")
    if not line.strip() or line.startswith("total "):
        return None
    if now is None:
        now = datetime.datetime.now(datetime.UTC)
    if line[0] in "-dlcbps" and len(line) > 10 and line[1] in "r-":
        return _parse_unix(line, now)
    if line[0] in "0123456789":
        return _parse_dos(line)
    return None


def parse_listing(text: str, *, mlsd: bool, now: datetime.datetime | None = None) -> list[Entry]:
    """Entries of a whole MLSD or LIST body; ``.`` and ``..`` (and cdir/pdir) are dropped.

    Raises:
        DecodeError: a malformed MLSD line.
    """
    out: list[Entry] = []
    # Only CRLF or LF end an entry: names may hold other Unicode line breaks (\x1e, \u2028).
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        entry = parse_mlsx_line(line) if mlsd else parse_list_line(line, now)
        if entry is None or entry.name in (".", "..") or entry.type in ("cdir", "pdir"):
            continue
        out.append(entry)
    return out
