"""Virtual FTP users: names, salted password hashes, home directories, permissions, limits."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

__all__ = ["PERMISSIONS", "User", "UserDB", "parse_perms", "parse_user_spec"]

#: Permission names and their one-letter forms.
PERMISSIONS = {"r": "read", "w": "write", "d": "delete", "m": "mkdir", "f": "rename"}
ALL_PERMS = frozenset(PERMISSIONS.values())


def parse_perms(spec: str) -> frozenset[str]:
    """Permissions from letters (``"rwdmf"``), words (``"read,write"``) or ``"all"``.

    Raises:
        ConfigError: an unknown permission.
    """
    spec = spec.strip().lower()
    if spec in ("", "all", "*"):
        return ALL_PERMS
    if "," in spec or spec in ALL_PERMS:
        words = {w.strip() for w in spec.split(",") if w.strip()}
        bad = words - ALL_PERMS
        if bad:
            raise ConfigError(
                f"unknown FTP permission(s) {sorted(bad)}; known: {sorted(ALL_PERMS)} or letters rwdmf"
            )
        return frozenset(words)
    bad_letters = set(spec) - set(PERMISSIONS)
    if bad_letters:
        raise ConfigError(f"unknown FTP permission letter(s) {sorted(bad_letters)}; use r w d m f")
    return frozenset(PERMISSIONS[c] for c in spec)


def _hash(password: str, salt: bytes) -> bytes:
    # One salted SHA-256 round: the server is a test/lab tool with in-memory users; a slow KDF
    # would dominate the per-login cost that the listing benchmark measures.
    return hashlib.sha256(salt + password.encode("utf-8", "surrogateescape")).digest()


@dataclass
class User:
    """One virtual user. ``perms`` is a subset of read, write, delete, mkdir, rename."""

    name: str
    home: Path
    perms: frozenset[str] = ALL_PERMS
    max_connections: int | None = None
    _salt: bytes = field(default=b"", repr=False)
    _digest: bytes | None = field(default=None, repr=False)

    def set_password(self, password: str | None) -> None:
        """Set the password (``None``: any password is accepted, as for anonymous)."""
        if password is None:
            self._digest = None
            return
        self._salt = os.urandom(16)
        self._digest = _hash(password, self._salt)

    def check_password(self, password: str) -> bool:
        """Constant-time password check."""
        if self._digest is None:
            return True
        return hmac.compare_digest(self._digest, _hash(password, self._salt))

    def can(self, perm: str) -> bool:
        return perm in self.perms


class UserDB:
    """The set of users a server accepts. Anonymous login is off unless :meth:`add_anonymous`."""

    def __init__(self) -> None:
        self._users: dict[str, User] = {}

    def add(
        self,
        name: str,
        password: str,
        home: str | os.PathLike[str],
        perms: str | frozenset[str] = ALL_PERMS,
        *,
        max_connections: int | None = None,
    ) -> User:
        """Add a user with a home directory (created if missing).

        Raises:
            ConfigError: bad permissions or an empty name.
        """
        if not name or any(c in name for c in "\r\n\x00:"):
            raise ConfigError(f"bad FTP user name {name!r}")
        p = parse_perms(perms) if isinstance(perms, str) else frozenset(perms)
        home_path = Path(home)
        home_path.mkdir(parents=True, exist_ok=True)
        user = User(name, home_path, p, max_connections)
        user.set_password(password)
        self._users[name] = user
        return user

    def add_anonymous(
        self, home: str | os.PathLike[str], perms: str | frozenset[str] = "r"
    ) -> User:
        """Allow ``anonymous``/``ftp`` with any password (read-only unless ``perms`` says more)."""
        user = self.add("anonymous", "", home, perms)
        user.set_password(None)
        self._users["ftp"] = user
        return user

    def get(self, name: str) -> User | None:
        return self._users.get(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the name and password match, else ``None``."""
        user = self._users.get(name)
        if user is None:
            hmac.compare_digest(
                b"x" * 32, _hash(password, b"0" * 16)
            )  # same work for unknown names
            return None
        return user if user.check_password(password) else None

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, name: object) -> bool:
        return name in self._users


def parse_user_spec(spec: str) -> tuple[str, str, frozenset[str]]:
    """``NAME:PASS[:perms]`` from the command line.

    Raises:
        ConfigError: missing password or bad permissions.
    """
    parts = spec.split(":", 2)
    if len(parts) < 2 or not parts[0]:
        raise ConfigError(f"--user wants NAME:PASS[:perms], got {spec!r}")
    perms = parse_perms(parts[2]) if len(parts) == 3 else ALL_PERMS
    return parts[0], parts[1], perms
