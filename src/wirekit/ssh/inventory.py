"""Fan-out inventories: ``user@host:port`` targets from a file, an ssh_config, or a list.

Pure parsing: a bad line raises :class:`~wirekit.errors.ConfigError` naming its line number.
Duplicates are kept: a target's identity in a fan-out is its index, never its address.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .config import DEFAULT_CONFIG, SSHConfig

__all__ = [
    "Target",
    "from_ssh_config",
    "load_inventory",
    "parse_inventory",
    "parse_target",
    "targets",
]

_HOSTNAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class Target:
    """One host to reach. ``alias`` is what the user wrote (an ssh_config alias or the host)."""

    host: str
    port: int | None = None
    user: str | None = None
    alias: str | None = None
    identity_files: tuple[str, ...] = ()
    proxy_jump: str | None = None

    @property
    def label(self) -> str:
        """``user@host:port`` as written (the alias when one was used)."""
        if self.alias:
            return self.alias
        host = f"[{self.host}]" if ":" in self.host else self.host
        s = f"{self.user}@{host}" if self.user else host
        return f"{s}:{self.port}" if self.port else s

    def __str__(self) -> str:
        return self.label


def parse_target(
    text: str, *, default_user: str | None = None, default_port: int | None = None
) -> Target:
    """Parse ``[user@]host[:port]`` (IPv6 as ``[addr]:port``).

    Raises:
        ConfigError: empty, a bad port, or characters a host name cannot hold.
    """
    s = text.strip()
    if not s:
        raise ConfigError("empty host")
    user = default_user
    if "@" in s:
        user, _, s = s.rpartition("@")
        if not user:
            raise ConfigError(f"{text!r}: empty user before '@'")
    port = default_port
    if s.startswith("["):
        host, sep, rest = s[1:].partition("]")
        if not sep:
            raise ConfigError(f"{text!r}: missing ']' after an IPv6 address")
        if rest:
            if not rest.startswith(":"):
                raise ConfigError(f"{text!r}: expected ':port' after ']'")
            port = _port(rest[1:], text)
    elif s.count(":") == 1:
        host, _, p = s.partition(":")
        port = _port(p, text)
    else:
        host = s  # a bare IPv6 address has several colons and no port
    if not host or (":" not in host and not _HOSTNAME.match(host)):
        raise ConfigError(f"{text!r}: {host!r} is not a host name or address")
    return Target(host=host, port=port, user=user)


def _port(p: str, text: str) -> int:
    if not p.isdigit() or not 0 < int(p) < 65536:
        raise ConfigError(f"{text!r}: port {p!r} is not a number in 1-65535")
    return int(p)


def parse_inventory(
    text: str, *, source: str = "<inventory>", default_user: str | None = None
) -> list[Target]:
    """One target per line; blank lines and ``#`` comments skipped.

    Raises:
        ConfigError: ``source:LINE: ...`` for the first bad line.
    """
    out: list[Target] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.append(parse_target(line, default_user=default_user))
        except ConfigError as exc:
            raise ConfigError(f"{source}:{lineno}: bad inventory line: {exc}") from None
    return out


def load_inventory(
    path: str | os.PathLike[str], *, default_user: str | None = None
) -> list[Target]:
    """Read an inventory file (see :func:`parse_inventory`).

    Raises:
        ConfigError: unreadable file, or a bad line (with its number).
    """
    p = Path(os.path.expanduser(os.fspath(path)))
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read inventory {p}: {exc.strerror}") from exc
    return parse_inventory(text, source=str(p), default_user=default_user)


def resolve(target: Target, config: SSHConfig | None) -> Target:
    """Apply ssh_config (HostName, User, Port, IdentityFile, ProxyJump) to ``target``; explicit values win."""
    if config is None:
        return target
    hc = config.lookup(target.host)
    if (
        hc.hostname is None
        and hc.user is None
        and hc.port is None
        and not hc.identity_files
        and not hc.proxy_jump
    ):
        return target
    return Target(
        host=hc.hostname or target.host,
        port=target.port or hc.port,
        user=target.user or hc.user,
        alias=target.alias or (target.label if hc.hostname else None),
        identity_files=target.identity_files or tuple(hc.identity_files),
        proxy_jump=target.proxy_jump or hc.proxy_jump,
    )


def from_ssh_config(
    path: str | os.PathLike[str] = DEFAULT_CONFIG, pattern: str = "*"
) -> list[Target]:
    """Every concrete Host alias in an ssh_config (optionally those matching ``pattern``), resolved.

    Raises:
        ConfigError: unreadable or malformed config.
    """
    import fnmatch

    cfg = SSHConfig.load(path, missing_ok=False)
    return [
        resolve(Target(host=a, alias=a), cfg)
        for a in cfg.aliases()
        if fnmatch.fnmatchcase(a, pattern)
    ]


def targets(
    hosts: Iterable[str | Target] | str,
    *,
    config: SSHConfig | None = None,
    default_user: str | None = None,
) -> list[Target]:
    """Normalise a list of strings/Targets (or a comma-separated string) into resolved Targets.

    Raises:
        ConfigError: a bad entry (with its index).
    """
    if isinstance(hosts, str):
        hosts = [h for h in hosts.split(",") if h.strip()]
    out: list[Target] = []
    for i, h in enumerate(hosts):
        if isinstance(h, Target):
            t = h
        else:
            try:
                t = parse_target(str(h), default_user=default_user)
            except ConfigError as exc:
                raise ConfigError(f"host #{i}: {exc}") from None
        out.append(resolve(t, config))
    return out
