"""Retry policy: which failures are retried, how often, and how long to back off.

Idempotent methods (RFC 9110 §9.2.2) are retried by default on connection failures,
read failures and 429/502/503/504; other methods only when the request never left
(a refused connect). ``Retry-After`` (RFC 9110 §10.2.3) is honoured, up to ``backoff_max``.
Sans-IO: the caller passes the attempt number and sleeps; the policy reads no clock.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import ConfigError

__all__ = ["IDEMPOTENT_METHODS", "Retry", "to_retry"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


@dataclass(frozen=True)
class Retry:
    """``total`` retries (0: none); delay ``backoff_factor * 2**(n-1)`` capped at ``backoff_max``."""

    total: int = 2
    backoff_factor: float = 0.2
    backoff_max: float = 10.0
    status_forcelist: frozenset[int] = field(
        default_factory=lambda: frozenset({429, 502, 503, 504})
    )
    methods: frozenset[str] = IDEMPOTENT_METHODS
    respect_retry_after: bool = True

    def __post_init__(self) -> None:
        if self.total < 0:
            raise ConfigError(f"retries total={self.total}: must be >= 0")

    def allows_method(self, method: str) -> bool:
        return method.upper() in self.methods

    def should_retry_error(self, method: str, attempt: int, *, sent: bool) -> bool:
        """After failed attempt number ``attempt`` (1-based): retry? ``sent`` = bytes may have left."""
        if attempt > self.total:
            return False
        return not sent or self.allows_method(method)

    def should_retry_status(self, method: str, status: int, attempt: int) -> bool:
        return (
            attempt <= self.total and status in self.status_forcelist and self.allows_method(method)
        )

    def backoff(
        self, attempt: int, retry_after: str | None = None, now: datetime | None = None
    ) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        if retry_after and self.respect_retry_after:
            delay = parse_retry_after(retry_after, now)
            if delay is not None:
                return min(delay, self.backoff_max)
        if self.backoff_factor <= 0:
            return 0.0
        return float(min(self.backoff_factor * (2 ** (attempt - 1)), self.backoff_max))


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After value (delay-seconds or HTTP-date), or None if unparsable."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or now is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def to_retry(value: Retry | int | bool | Any | None) -> Retry:
    """Normalise ``retries=``: a Retry, a count, or False/None/0 for no retries.

    Raises:
        ConfigError: anything else.
    """
    if isinstance(value, Retry):
        return value
    if value is None or value is False:
        return Retry(total=0)
    if value is True:
        return Retry()
    if isinstance(value, int):
        return Retry(total=value)
    raise ConfigError(f"retries={value!r}: expected a count, a Retry, or None")
