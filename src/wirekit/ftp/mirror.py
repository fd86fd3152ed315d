"""Mirror a directory tree down from or up to an FTP server, skipping files that are unchanged."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FTPReplyError
from .client import FTPClient
from .listing import Entry

__all__ = ["MirrorResult", "mirror_down", "mirror_up"]

#: ``progress(path, done, total)`` per file; total is None when unknown.
FileProgress = Callable[[str, int, int | None], None]


@dataclass
class MirrorResult:
    """What a mirror run did: files copied, files skipped as unchanged, directories made, bytes."""

    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    bytes: int = 0


def _unchanged(size: int | None, mtime: float | None, local: Path) -> bool:
    # Same size and the local copy is not older than the remote one: nothing to do.
    try:
        st = local.stat()
    except FileNotFoundError:
        return False
    if size is None or st.st_size != size:
        return False
    return mtime is None or st.st_mtime >= mtime


def mirror_down(
    client: FTPClient,
    remote: str,
    local: str | os.PathLike[str],
    *,
    progress: FileProgress | None = None,
) -> MirrorResult:
    """Copy the remote tree under ``remote`` into ``local`` (created if needed).

    Raises:
        FTPReplyError: the remote directory cannot be listed.
    """
    result = MirrorResult()
    base = Path(local)
    base.mkdir(parents=True, exist_ok=True)
    stack = [(remote.rstrip("/") or "/", base)]
    while stack:
        rdir, ldir = stack.pop()
        entries: list[Entry] = client.list(rdir)
        for e in entries:
            rpath = posixpath.join(rdir, e.name)
            lpath = ldir / e.name
            if e.is_dir:
                lpath.mkdir(exist_ok=True)
                result.dirs.append(rpath)
                stack.append((rpath, lpath))
                continue
            if e.type == "link":
                continue
            mtime = e.modified.timestamp() if e.modified is not None else None
            if _unchanged(e.size, mtime, lpath):
                result.skipped.append(rpath)
                continue
            cb = (lambda done, total, _p=rpath: progress(_p, done, total)) if progress else None
            result.bytes += client.download(rpath, lpath, progress=cb)
            if mtime is not None:
                os.utime(lpath, (mtime, mtime))
            result.copied.append(rpath)
    return result


def mirror_up(
    client: FTPClient,
    local: str | os.PathLike[str],
    remote: str,
    *,
    progress: FileProgress | None = None,
) -> MirrorResult:
    """Copy the local tree under ``local`` to ``remote`` (directories created as needed).

    Raises:
        FTPReplyError: a directory cannot be created or a file stored.
    """
    result = MirrorResult()
    rbase = remote.rstrip("/") or "/"
    _ensure_dir(client, rbase, result)
    for dirpath, dirnames, filenames in os.walk(local):
        dirnames.sort()
        rel = os.path.relpath(dirpath, local)
        rdir = rbase if rel == "." else posixpath.join(rbase, *Path(rel).parts)
        try:
            existing = {e.name: e for e in client.list(rdir)}
        except FTPReplyError:
            existing = {}
        for d in dirnames:
            if d not in existing:
                _ensure_dir(client, posixpath.join(rdir, d), result)
        for name in sorted(filenames):
            lpath = Path(dirpath) / name
            rpath = posixpath.join(rdir, name)
            st = lpath.stat()
            e = existing.get(name)
            if (
                e is not None
                and e.size == st.st_size
                and e.modified is not None
                and e.modified.timestamp() >= int(st.st_mtime)
            ):
                result.skipped.append(rpath)
                continue
            cb = (lambda done, total, _p=rpath: progress(_p, done, total)) if progress else None
            result.bytes += client.upload(lpath, rpath, progress=cb)
            result.copied.append(rpath)
    return result


def _ensure_dir(client: FTPClient, path: str, result: MirrorResult) -> None:
    if path == "/":
        return
    try:
        client.mkdir(path)
        result.dirs.append(path)
    except FTPReplyError as exc:
        if exc.code != 550:  # 550: it exists already (or is refused; the next STOR will say)
            raise
