"""Where the mail sink keeps messages: Maildir (default, fsynced), mbox, or memory.

A message is either complete in a store or absent: Maildir writes to ``tmp/``, fsyncs the
file, renames into ``new/`` and fsyncs the directory before ``save`` returns (the server
answers 250 only after that). Each stored message starts with two envelope headers:
``Return-Path: <sender>`` and ``X-Wirekit-Rcpt: <a>, <b>``.
"""

from __future__ import annotations

import builtins
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import ConfigError

__all__ = ["MaildirStore", "MboxStore", "MemoryStore", "Store", "StoredMessage", "open_store"]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One stored message: its id in the store, size in bytes and arrival time (epoch seconds)."""

    id: str
    size: int
    received: float


_datasync = getattr(os, "fdatasync", os.fsync)


class Store(Protocol):
    """What the sink and the inbox need from a store. ``save`` may block (it fsyncs)."""

    durable: bool

    def save(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> str: ...
    def list(self) -> list[StoredMessage]: ...
    def read(self, msg_id: str) -> bytes: ...
    def delete(self, msg_id: str) -> None: ...
    def purge(self) -> int: ...


def envelope_header(mail_from: str, rcpt_tos: list[str], newline: bytes) -> bytes:
    """The envelope lines prepended to each stored message."""
    rcpts = f"<{rcpt_tos[0]}>" if len(rcpt_tos) == 1 else ", ".join(f"<{r}>" for r in rcpt_tos)
    return b"".join(
        (
            b"Return-Path: <",
            mail_from.encode(),
            b">",
            newline,
            b"X-Wirekit-Rcpt: ",
            rcpts.encode(),
            newline,
        )
    )


class MemoryStore:
    """Messages in a list (tests, benchmarks). Not durable; thread-safe."""

    durable = False

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, bytes]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def save(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> str:
        msg_id = str(next(self._ids))
        if len(rcpt_tos) == 1:  # envelope_header inlined for the common single recipient
            raw = b"".join(
                (
                    b"Return-Path: <",
                    mail_from.encode(),
                    b">\r\nX-Wirekit-Rcpt: <",
                    rcpt_tos[0].encode(),
                    b">\r\n",
                    data,
                )
            )
        else:
            raw = envelope_header(mail_from, rcpt_tos, b"\r\n") + data
        with self._lock:
            self._items[msg_id] = (time.time(), raw)
        return msg_id

    def list(self) -> list[StoredMessage]:
        with self._lock:
            return [StoredMessage(k, len(v[1]), v[0]) for k, v in self._items.items()]

    def read(self, msg_id: str) -> bytes:
        """Raises: KeyError: no such message."""
        with self._lock:
            return self._items[msg_id][1]

    def delete(self, msg_id: str) -> None:
        with self._lock:
            self._items.pop(msg_id, None)

    def purge(self) -> int:
        with self._lock:
            n = len(self._items)
            self._items.clear()
            return n

    def __len__(self) -> int:
        return len(self._items)


class MaildirStore:
    """A Maildir (``tmp``/``new``/``cur``); files use LF line ends as mail readers expect.

    ``fsync=False`` skips the fsyncs (faster, not durable across a power loss).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, fsync: bool = True, create: bool = True
    ) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.durable = fsync
        if create:
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
        elif not (self.path / "new").is_dir():
            raise ConfigError(f"{self.path} is not a Maildir (no new/ directory)")
        self._host = socket.gethostname().replace("/", "_").replace(":", "_")
        self._seq = itertools.count(1)
        self._pid = os.getpid()

    def save(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> str:
        """Write, fsync, rename into new/, fsync new/; return the file name.

        Raises:
            OSError: the disk refused.
        """
        now = time.time()
        name = f"{int(now)}.M{int(now * 1e6) % 1000000}P{self._pid}Q{next(self._seq)}.{self._host}"
        tmp = self.path / "tmp" / name
        body = data.replace(b"\r\n", b"\n") if b"\r\n" in data else data
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.writev(fd, [envelope_header(mail_from, rcpt_tos, b"\n"), body])
            if self.fsync:
                _datasync(fd)  # data and size; the rename below is made durable by the dir fsync
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        os.rename(tmp, self.path / "new" / name)
        if self.fsync:
            dfd = os.open(self.path / "new", os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        return name

    def _files(self) -> Iterator[Path]:
        for sub in ("new", "cur"):
            d = self.path / sub
            if d.is_dir():
                yield from (p for p in d.iterdir() if not p.name.startswith("."))

    def _find(self, msg_id: str) -> Path:
        if "/" in msg_id or msg_id.startswith("."):
            raise KeyError(msg_id)
        for sub in ("new", "cur"):
            p = self.path / sub / msg_id
            if p.exists():
                return p
        # cur/ files carry ":2,FLAGS" after the unique name
        for p in self._files():
            if p.name.split(":", 1)[0] == msg_id:
                return p
        raise KeyError(msg_id)

    def list(self) -> list[StoredMessage]:
        out = []
        for p in self._files():
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            out.append(StoredMessage(p.name.split(":", 1)[0], st.st_size, st.st_mtime))
        out.sort(key=lambda m: (m.received, m.id))
        return out

    def read(self, msg_id: str) -> bytes:
        """Raises: KeyError: no such message."""
        return self._find(msg_id).read_bytes()

    def delete(self, msg_id: str) -> None:
        try:
            self._find(msg_id).unlink()
        except (KeyError, FileNotFoundError):
            pass

    def purge(self) -> int:
        n = 0
        for p in list(self._files()):
            try:
                p.unlink()
                n += 1
            except FileNotFoundError:
                pass
        return n


class MboxStore:
    """One mbox file (mboxrd quoting of ``From `` lines), appended under a lock and fsynced.

    Ids are the message's index (1-based) in the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.durable = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def save(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> str:
        """Append one message; return its index.

        Raises:
            OSError: the disk refused.
        """
        import re

        body = data.replace(b"\r\n", b"\n")
        body = re.sub(rb"(?m)^(>*From )", rb">\1", body)  # mboxrd quoting
        if not body.endswith(b"\n"):
            body += b"\n"
        stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime())
        sender = mail_from or "MAILER-DAEMON"
        head = f"From {sender} {stamp}\n".encode() + envelope_header(mail_from, rcpt_tos, b"\n")
        with self._lock:
            with open(self.path, "ab") as f:
                f.write(head + body + b"\n")
                f.flush()
                if self.fsync:
                    os.fsync(f.fileno())
            return str(len(self._split()))

    def _split(self) -> list[tuple[float, bytes]]:
        import re

        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        mtime = self.path.stat().st_mtime
        out = []
        for chunk in re.split(rb"(?m)^From [^\n]*\n", raw)[1:]:
            msg = re.sub(rb"(?m)^>(>*From )", rb"\1", chunk)
            if msg.endswith(b"\n\n"):
                msg = msg[:-1]
            out.append((mtime, msg))
        return out

    def list(self) -> list[StoredMessage]:
        with self._lock:
            return [StoredMessage(str(i), len(m), t) for i, (t, m) in enumerate(self._split(), 1)]

    def read(self, msg_id: str) -> bytes:
        """Raises: KeyError: no such message."""
        with self._lock:
            items = self._split()
        try:
            i = int(msg_id)
        except ValueError:
            raise KeyError(msg_id) from None
        if not 1 <= i <= len(items):
            raise KeyError(msg_id)
        return items[i - 1][1]

    def delete(self, msg_id: str) -> None:
        with self._lock:
            items = self._split()
            keep = [m for i, (_, m) in enumerate(items, 1) if str(i) != msg_id]
            self._rewrite(keep)

    def purge(self) -> int:
        with self._lock:
            n = len(self._split())
            self._rewrite([])
            return n

    def _rewrite(self, messages: builtins.list[bytes]) -> None:
        import re

        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            for m in messages:
                sender = "MAILER-DAEMON"
                first = m.split(b"\n", 1)[0]
                if first.startswith(b"Return-Path: <") and first.endswith(b">"):
                    sender = first[14:-1].decode("utf-8", "replace") or sender
                f.write(f"From {sender} Thu Jan  1 00:00:00 1970\n".encode())
                f.write(re.sub(rb"(?m)^(>*From )", rb">\1", m) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def open_store(
    spec: str | os.PathLike[str] | None, kind: str | None = None, *, fsync: bool = True
) -> Store:
    """A store from a path (a directory is a Maildir, a file an mbox) or ``memory:``.

    ``kind`` forces ``maildir``, ``mbox`` or ``memory``.

    Raises:
        ConfigError: an unknown kind.
    """
    text = os.fspath(spec) if spec is not None else ""
    if kind is None:
        if text in ("", "memory", "memory:"):
            kind = "memory"
        elif text.startswith("mbox:"):
            kind, text = "mbox", text[5:]
        elif text.startswith("maildir:"):
            kind, text = "maildir", text[8:]
        elif Path(text).is_file() or text.endswith(".mbox"):
            kind = "mbox"
        else:
            kind = "maildir"
    if kind == "memory":
        return MemoryStore()
    if kind == "maildir":
        return MaildirStore(text, fsync=fsync)
    if kind == "mbox":
        return MboxStore(text, fsync=fsync)
    raise ConfigError(f"unknown store kind {kind!r}: expected maildir, mbox or memory")
