"""known_hosts policy: verify by default, trust-on-first-use only when asked, a changed key is fatal.

One :class:`HostKeyPolicy` is shared by every connection of a client or a fan-out, so the
known_hosts file is parsed once, and a first-use key is appended (and re-read) under a lock.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._adapter import asyncssh

__all__ = ["DEFAULT_KNOWN_HOSTS", "HostKeyPolicy", "known_hosts_pattern"]

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"


def known_hosts_pattern(host: str, port: int | None) -> str:
    """The known_hosts host field OpenSSH writes: ``host`` on port 22, else ``[host]:port``."""
    if port in (None, 22):
        return host
    return f"[{host}]:{port}"


@dataclass
class HostKeyPolicy:
    """Which host keys to trust.

    ``known_hosts``: a path (``~`` expanded), or ``None`` to trust only keys in ``keys``.
    ``accept_new``: record and accept a key for a host that has no entry yet (TOFU); a host
    whose entry lists other keys is refused regardless (a changed key is always fatal).
    ``insecure_accept_any``: accept every key without recording (tests against throwaway
    servers only; never a default).
    """

    known_hosts: str | os.PathLike[str] | None = DEFAULT_KNOWN_HOSTS
    accept_new: bool = False
    insecure_accept_any: bool = False
    keys: list[str] = field(default_factory=list)  # extra "pattern keytype base64" lines

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._db: Any = None
        self._mtime: float | None = None
        self.recorded: list[str] = []  # lines appended by accept_new, for the caller to report
        self.changed: dict[str, str] = {}  # pattern -> fingerprint offered, for error messages

    @property
    def path(self) -> Path | None:
        """The expanded known_hosts path, or None."""
        return (
            Path(os.path.expanduser(os.fspath(self.known_hosts)))
            if self.known_hosts is not None
            else None
        )

    def _load(self) -> Any:
        """The parsed known_hosts (SSHKnownHosts), re-read when the file changes.

        Raises:
            ConfigError: the file cannot be parsed.
        """
        path = self.path
        mtime = None
        text = "\n".join(self.keys)
        if path is not None:
            try:
                st = path.stat()
                mtime = st.st_mtime_ns
                if self._db is not None and mtime == self._mtime:
                    return self._db
                text = path.read_text(errors="replace") + "\n" + text
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise ConfigError(f"cannot read known_hosts {path}: {exc.strerror}") from exc
        elif self._db is not None:
            return self._db
        try:
            db = asyncssh.import_known_hosts(text)
        except (ValueError, asyncssh.KeyImportError) as exc:
            raise ConfigError(f"bad known_hosts {path}: {exc}") from exc
        self._db, self._mtime = db, mtime
        return db

    def engine_arg(self) -> object:
        """What asyncssh's ``known_hosts=`` option gets: the parsed database, or None to disable."""
        if self.insecure_accept_any:
            return None
        with self._lock:
            return self._load()

    def _match(self, host: str, addr: str, port: int | None) -> tuple[Any, Any, Any]:
        with self._lock:
            db = self._load()
        port = None if port == 22 else port
        trusted, cas, revoked, *_ = asyncssh.match_known_hosts(db, host, addr, port)
        return trusted, cas, revoked

    def has_entry(self, host: str, addr: str, port: int | None) -> bool:
        """True when known_hosts lists any key (or CA/revocation) for this host."""
        return any(self._match(host, addr, port))

    def unknown_key(self, host: str, addr: str, port: int | None, key: Any) -> bool:
        """asyncssh asks this when ``key`` is not in the known_hosts it was given: accept (and
        record) or refuse. The file is re-read first: another connection of this fan-out may
        have just recorded the same key."""
        pattern = known_hosts_pattern(host, port)
        trusted, cas, revoked = self._match(host, addr, port)
        if key in revoked:
            return False
        if trusted or cas:
            if key in trusted:
                return True
            self.changed[pattern] = key.get_fingerprint()
            return False
        if not self.accept_new:
            return False
        self.record(f"{pattern} {key.export_public_key('openssh').decode().strip()}")
        return True

    def record(self, line: str) -> None:
        """Append one known_hosts line (creating the file and its directory, mode 0600)."""
        with self._lock:
            if line in self.recorded:
                return  # concurrent first connections to one host record it once
            path = self.path
            if path is None:
                self.keys.append(line)
            else:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    os.write(fd, (line + "\n").encode())
                finally:
                    os.close(fd)
            self.recorded.append(line)
            self._db = None
            self._mtime = None
