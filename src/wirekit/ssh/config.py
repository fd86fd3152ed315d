"""OpenSSH client config (``~/.ssh/config``): Host aliases and the options wirekit honours.

Honoured keywords: HostName, User, Port, IdentityFile, ProxyJump (and Include of further
files). As in ssh_config(5), the first value obtained for a keyword wins, ``Host`` patterns
use ``*``/``?`` globs with ``!`` negation, and ``%h``/``%p``/``%r``/``%%`` expand in HostName
and IdentityFile. Parsing is pure: no network, no asyncssh.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

__all__ = ["DEFAULT_CONFIG", "HostConfig", "SSHConfig"]

DEFAULT_CONFIG = "~/.ssh/config"
_LINE = re.compile(r"([A-Za-z]+)\s*(?:=\s*|\s+)(.*)")
_KEYS = {
    "hostname": "hostname",
    "user": "user",
    "port": "port",
    "identityfile": "identity_files",
    "proxyjump": "proxy_jump",
}


@dataclass
class HostConfig:
    """What ssh_config says for one alias (``None``: not set)."""

    alias: str
    hostname: str | None = None
    user: str | None = None
    port: int | None = None
    identity_files: list[str] = field(default_factory=list)
    proxy_jump: str | None = None


@dataclass
class _Block:
    patterns: list[str]
    options: list[tuple[str, str, int]]  # (keyword, value, line number)


class SSHConfig:
    """A parsed ssh_config: ``SSHConfig.load(path)`` or ``SSHConfig.parse(text)``."""

    def __init__(self, blocks: list[_Block], source: str = "<string>") -> None:
        self._blocks = blocks
        self.source = source

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] = DEFAULT_CONFIG, *, missing_ok: bool = True
    ) -> SSHConfig:
        """Parse the file at ``path`` (``~`` expanded); an absent file is an empty config.

        Raises:
            ConfigError: unreadable file or a malformed line (with its line number).
        """
        p = Path(os.path.expanduser(os.fspath(path)))
        try:
            text = p.read_text()
        except FileNotFoundError:
            if missing_ok:
                return cls([], str(p))
            raise ConfigError(f"ssh config {p} does not exist") from None
        except OSError as exc:
            raise ConfigError(f"cannot read ssh config {p}: {exc.strerror}") from exc
        return cls.parse(text, source=str(p), base=p.parent)

    @classmethod
    def parse(
        cls, text: str, *, source: str = "<string>", base: Path | None = None, _depth: int = 0
    ) -> SSHConfig:
        """Parse ssh_config text.

        Raises:
            ConfigError: a malformed line, reported as ``source:line``.
        """
        blocks: list[_Block] = [_Block(["*"], [])]
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = _LINE.match(line)
            if m is None:
                raise ConfigError(f"{source}:{lineno}: {line.split()[0]!r} needs a value")
            key, rest = m.group(1).lower(), m.group(2).strip()
            if not rest:
                raise ConfigError(f"{source}:{lineno}: {key!r} needs a value")
            try:
                values = shlex.split(rest, comments=True)
            except ValueError as exc:
                raise ConfigError(f"{source}:{lineno}: {exc}") from None
            if key == "host":
                blocks.append(_Block(values, []))
            elif key == "match":
                # Match blocks need runtime facts (exec, localuser); treat as never matching.
                blocks.append(_Block(["!*"], []))
            elif key == "include":
                if _depth > 8:
                    raise ConfigError(f"{source}:{lineno}: Include nested too deep")
                for pattern in values:
                    full = os.path.expanduser(pattern)
                    if not os.path.isabs(full):
                        full = str((base or Path("~/.ssh").expanduser()) / full)
                    for inc in sorted(glob.glob(full)):
                        try:
                            inc_text = Path(inc).read_text()
                        except OSError as exc:
                            raise ConfigError(
                                f"{source}:{lineno}: Include {inc}: {exc.strerror}"
                            ) from exc
                        sub = cls.parse(inc_text, source=inc, base=base, _depth=_depth + 1)
                        for b in sub._blocks:
                            # lines before the included file's first Host join the current block
                            if b.patterns == ["*"] and blocks[-1].patterns != ["*"]:
                                blocks[-1].options.extend(b.options)
                            else:
                                blocks.append(b)
            elif key in _KEYS:
                if key == "port" and not values[0].isdigit():
                    raise ConfigError(f"{source}:{lineno}: Port {values[0]!r} is not a number")
                blocks[-1].options.append((key, values[0], lineno))
        return cls(blocks, source)

    def aliases(self) -> list[str]:
        """Concrete Host names (no wildcards, no negations), in file order, once each."""
        seen: dict[str, None] = {}
        for block in self._blocks[1:]:
            for p in block.patterns:
                if not any(c in p for c in "*?!") and p not in seen:
                    seen[p] = None
        return list(seen)

    @staticmethod
    def _matches(patterns: list[str], host: str) -> bool:
        ok = False
        for p in patterns:
            if p.startswith("!"):
                if fnmatch.fnmatchcase(host, p[1:]):
                    return False
            elif fnmatch.fnmatchcase(host, p):
                ok = True
        return ok

    def lookup(self, alias: str) -> HostConfig:
        """The options for ``alias``: first value wins; IdentityFile accumulates."""
        cfg = HostConfig(alias)
        seen: set[str] = set()
        for block in self._blocks:
            if not self._matches(block.patterns, alias):
                continue
            for key, value, _ in block.options:
                attr = _KEYS[key]
                if attr == "identity_files":
                    cfg.identity_files.append(value)
                elif key not in seen:
                    seen.add(key)
                    setattr(cfg, attr, int(value) if attr == "port" else value)
        if cfg.proxy_jump and cfg.proxy_jump.lower() == "none":
            cfg.proxy_jump = None
        host = cfg.hostname or alias
        user = cfg.user or ""
        port = str(cfg.port or 22)
        if cfg.hostname:
            cfg.hostname = _expand(cfg.hostname, alias, port, user)
        cfg.identity_files = [
            os.path.expanduser(_expand(f, host, port, user)) for f in cfg.identity_files
        ]
        return cfg


def _expand(value: str, host: str, port: str, user: str) -> str:
    out = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == "%" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append({"h": host, "p": port, "r": user, "%": "%"}.get(nxt, "%" + nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)
