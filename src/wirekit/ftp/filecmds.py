"""The file commands of an FTP session: listings, SIZE/MDTM, RETR/STOR/APPE/REST, and file
management. Functions of a :class:`~wirekit.ftp.session.Session` (their ``self``), bound into
that class by name; the session owns the connection state."""

from __future__ import annotations

import contextlib
import os
import stat as stat_mod
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FTPReplyError
from .listing import format_list, format_list_line, format_mlsd, format_mlsx
from .protocol import format_mdtm, quote_257
from .transfer import DataChannel

if TYPE_CHECKING:  # pragma: no cover
    from .session import Session

__all__ = [
    "cmd_abor",
    "cmd_appe",
    "cmd_dele",
    "cmd_list",
    "cmd_mdtm",
    "cmd_mkd",
    "cmd_mlsd",
    "cmd_mlst",
    "cmd_nlst",
    "cmd_rest",
    "cmd_retr",
    "cmd_rmd",
    "cmd_rnfr",
    "cmd_rnto",
    "cmd_site",
    "cmd_size",
    "cmd_stor",
]


# --- listings ------------------------------------------------------------------------


def _list_target(self: Session, arg: str) -> tuple[str, Path]:
    # Clients send ls options ("LIST -la"); they are not paths.
    words = [w for w in arg.split(" ") if w]
    while words and words[0].startswith("-"):
        words.pop(0)
    path = " ".join(words) if words else "."
    return self._resolve(path)


def _entries(self: Session, real: Path) -> list[tuple[str, os.stat_result]]:
    out: list[tuple[str, os.stat_result]] = []
    append = out.append
    assert self.fs is not None
    inside = self.fs.inside
    with os.scandir(real) as it:
        for e in it:
            try:
                # A symlink leading outside the root is shown as the link itself: following
                # it would leak the size and time of a file the user may not reach.
                st = e.stat(follow_symlinks=not e.is_symlink() or inside(e.path))
            except OSError:  # a dangling symlink: show the link itself
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
            append((e.name, st))
    out.sort()
    return out


async def _send_listing(self: Session, lines: list[str]) -> None:
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape") if lines else b""

    async def work(chan: DataChannel) -> None:
        if data:
            await chan.send_bytes(self.loop, data)

    await self._transfer("Here comes the directory listing.", work, "Directory send OK.")


async def cmd_list(self: Session, arg: str) -> None:
    _vpath, real = _list_target(self, arg)
    now = time.time()
    if real.is_dir():
        lines = format_list(_entries(self, real), now)
    elif real.exists():
        lines = [format_list_line(real.name, real.stat(), now)]
    else:
        raise FTPReplyError(550, "No such file or directory.")
    await _send_listing(self, lines)


async def cmd_nlst(self: Session, arg: str) -> None:
    _vpath, real = _list_target(self, arg)
    if real.is_dir():
        lines = sorted(os.listdir(real))
    elif real.exists():
        lines = [real.name]
    else:
        raise FTPReplyError(550, "No such file or directory.")
    await _send_listing(self, lines)


async def cmd_mlsd(self: Session, arg: str) -> None:
    _vpath, real = self._resolve(arg.strip() or ".")
    if not real.is_dir():
        raise FTPReplyError(501, "MLSD needs a directory.")
    assert self.user is not None
    perms = self.user.perms
    lines = format_mlsd(_entries(self, real), perms)
    await _send_listing(self, lines)


async def cmd_mlst(self: Session, arg: str) -> None:
    vpath, real = self._resolve(arg.strip() or ".")
    assert self.user is not None
    try:
        st = real.stat()
    except FileNotFoundError:
        raise FTPReplyError(550, "No such file or directory.") from None
    self.reply(250, [f"Listing {vpath}", format_mlsx(vpath, st, self.user.perms), "End."])


# --- file information ----------------------------------------------------------------


async def cmd_size(self: Session, arg: str) -> None:
    _vpath, real = self._resolve(arg)
    try:
        st = real.stat()
    except FileNotFoundError:
        raise FTPReplyError(550, "No such file.") from None
    if not stat_mod.S_ISREG(st.st_mode):
        raise FTPReplyError(550, "Not a regular file.")
    self.reply(213, str(st.st_size))


async def cmd_mdtm(self: Session, arg: str) -> None:
    _vpath, real = self._resolve(arg)
    try:
        st = real.stat()
    except FileNotFoundError:
        raise FTPReplyError(550, "No such file.") from None
    self.reply(213, format_mdtm(st.st_mtime))


# --- transfers -----------------------------------------------------------------------


async def cmd_rest(self: Session, arg: str) -> None:
    a = arg.strip()
    if not a.isascii() or not a.isdigit():
        raise FTPReplyError(501, "REST needs a byte offset.")
    self.rest = int(a)
    self.reply(350, f"Restarting at {self.rest}. Send STOR or RETR.")


async def cmd_retr(self: Session, arg: str) -> None:
    self._need("read")
    _vpath, real = self._resolve(arg)
    try:
        f = open(real, "rb")  # noqa: SIM115 - closed in finally after the async transfer
    except FileNotFoundError:
        raise FTPReplyError(550, "No such file.") from None
    except IsADirectoryError:
        raise FTPReplyError(550, "Is a directory.") from None
    offset = self.rest
    try:
        st = os.fstat(f.fileno())
        if not stat_mod.S_ISREG(st.st_mode):
            raise FTPReplyError(550, "Not a regular file.")
        if offset > st.st_size:
            raise FTPReplyError(554, "Restart offset beyond the end of the file.")

        async def work(chan: DataChannel) -> None:
            await chan.send_file(self.loop, f, offset)

        await self._transfer(
            f"Opening BINARY data connection for {real.name} ({st.st_size - offset} bytes).",
            work,
        )
    finally:
        f.close()


async def cmd_stor(self: Session, arg: str) -> None:
    await _store(self, arg, append=False)


async def cmd_appe(self: Session, arg: str) -> None:
    await _store(self, arg, append=True)


async def _store(self: Session, arg: str, *, append: bool) -> None:
    self._need("write")
    _vpath, real = self._resolve(arg)
    if real.is_dir():
        raise FTPReplyError(550, "Is a directory.")
    if not real.parent.is_dir():
        raise FTPReplyError(550, "No such directory.")
    offset = self.rest
    resume = append or offset > 0
    tmp: Path | None = None
    if resume:
        # Resuming writes into the named file itself (that is what resume means).
        if offset and not real.exists():
            raise FTPReplyError(554, "Restart offset on a file that does not exist.")
        f = open(real, "ab" if append else "r+b")  # noqa: SIM115
        if not append:
            f.seek(offset)
            f.truncate()
    else:
        # No half files: write a hidden temporary, rename over the target when complete.
        fd = -1
        for _ in range(8):
            tmp = real.with_name(f".{real.name}.{os.urandom(4).hex()}.part")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                break
            except FileExistsError:
                continue
        if fd < 0:
            raise FTPReplyError(451, "Could not create a temporary file.")
        f = os.fdopen(fd, "wb", buffering=0)
    completed = False
    try:

        async def work(chan: DataChannel) -> None:
            nonlocal completed
            await chan.recv_to_file(self.loop, f)
            if self.closing:
                # The control connection died: EOF on the data connection cannot mean "done".
                raise ConnectionAbortedError("control connection lost during STOR")
            # Finish the file before the 226: a client may read it the moment it sees 226.
            f.close()
            if tmp is not None:
                os.replace(tmp, real)
            completed = True

        def discard() -> None:
            f.close()
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()

        await self._transfer(f"Ok to send data for {real.name}.", work, cleanup=discard)
    finally:
        f.close()
        if tmp is not None and not completed:
            with contextlib.suppress(OSError):
                tmp.unlink()


# --- file management -----------------------------------------------------------------


async def cmd_dele(self: Session, arg: str) -> None:
    self._need("delete")
    _vpath, real = self._resolve(arg)
    if real.is_dir() and not real.is_symlink():
        raise FTPReplyError(550, "Is a directory; use RMD.")
    try:
        real.unlink()
    except FileNotFoundError:
        raise FTPReplyError(550, "No such file.") from None
    self.reply(250, "File deleted.")


async def cmd_mkd(self: Session, arg: str) -> None:
    self._need("mkdir")
    vpath, real = self._resolve(arg)
    try:
        real.mkdir()
    except FileExistsError:
        raise FTPReplyError(550, "Already exists.") from None
    self.reply(257, f"{quote_257(vpath)} created.")


async def cmd_rmd(self: Session, arg: str) -> None:
    self._need("delete")
    vpath, real = self._resolve(arg)
    if vpath == "/":
        raise FTPReplyError(550, "Can't remove the root directory.")
    real.rmdir()
    self.reply(250, "Directory removed.")


async def cmd_rnfr(self: Session, arg: str) -> None:
    self._need("rename")
    vpath, real = self._resolve(arg)
    if not real.exists() and not real.is_symlink():
        raise FTPReplyError(550, "No such file or directory.")
    self.reply(350, "Ready for RNTO.")
    self.rnfr = vpath
    # _process clears rnfr after every other command; keep it across this one.


async def cmd_rnto(self: Session, arg: str) -> None:
    self._need("rename")
    if self.rnfr is None:
        raise FTPReplyError(503, "RNFR first.")
    assert self.fs is not None
    src = self.fs.real(self.rnfr)
    _vpath, dst = self._resolve(arg)
    os.rename(src, dst)
    self.reply(250, "Rename successful.")


async def cmd_abor(self: Session, arg: str) -> None:
    self._close_pasv()
    self.active_addr = None
    self.reply(226, "No transfer to abort.")


async def cmd_site(self: Session, arg: str) -> None:
    self.reply(504, "SITE commands are not supported.")
