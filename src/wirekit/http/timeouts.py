"""Timeouts: connect, read, write and total, finite by default (requests' ``timeout=None`` is a hang).

Sans-IO: a :class:`Timeout` is plain data; the client tracks the total deadline with the
clock it is given and hands transports what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigError

__all__ = ["DEFAULT_TIMEOUT", "Timeout", "TimeoutTypes", "to_timeout"]


@dataclass(frozen=True)
class Timeout:
    """Seconds allowed per phase; ``None`` means no limit for that phase.

    ``connect``: TCP connect plus TLS handshake. ``read``: the longest wait for the next
    bytes of the response. ``write``: the longest wait to send. ``total``: the whole call,
    redirects and retries included (body streaming after return is bounded by ``read``).
    """

    connect: float | None = 5.0
    read: float | None = 30.0
    write: float | None = 30.0
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "total"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, float)) or value <= 0):
                raise ConfigError(
                    f"timeout {name}={value!r}: expected a positive number of seconds or None"
                )

    def capped(self, remaining: float | None) -> Timeout:
        """This timeout with every phase no longer than ``remaining`` seconds of the total."""
        if remaining is None:
            return self
        remaining = max(remaining, 0.001)

        def cap(v: float | None) -> float:
            return remaining if v is None else min(v, remaining)

        return replace(
            self,
            connect=cap(self.connect),
            read=cap(self.read),
            write=cap(self.write),
            total=remaining,
        )


#: connect 5 s, read/write 30 s, no total cap.
DEFAULT_TIMEOUT = Timeout()

TimeoutTypes = Timeout | float | int | tuple[Any, ...] | None


def to_timeout(value: TimeoutTypes | Any, default: Timeout = DEFAULT_TIMEOUT) -> Timeout:
    """Normalise user input: a Timeout, one number (every phase), (connect, read), or None (no limits).

    Raises:
        ConfigError: anything else.
    """
    if isinstance(value, Timeout):
        return value
    if value is None:
        return Timeout(connect=None, read=None, write=None, total=None)
    if isinstance(value, bool):
        raise ConfigError(
            f"timeout={value!r}: expected seconds, a (connect, read) pair, a Timeout or None"
        )
    if isinstance(value, (int, float)):
        return Timeout(connect=value, read=value, write=value)
    if isinstance(value, tuple) and len(value) == 2:
        return Timeout(connect=value[0], read=value[1], write=value[1])
    raise ConfigError(
        f"timeout={value!r}: expected seconds, a (connect, read) pair, a Timeout or None"
    )
