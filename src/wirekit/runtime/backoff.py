"""Exponential backoff with jitter: a pure policy object (no clock, no sleeping).

The delay before retry ``n`` (``n = 0`` for the first retry) is drawn from
``[0, min(maximum, initial * multiplier**n)]`` ("full jitter"). Spreading retries over the
whole window is what stops a fleet of clients from reconnecting in lock-step after an outage
(AWS Architecture Blog, "Exponential Backoff And Jitter", 2015: full jitter gives the
fewest total calls and the shortest completion among the variants compared).

The policy reads no clock and owns no random state: callers pass the attempt number and,
when they want reproducible delays, a random source (any ``() -> float`` in ``[0, 1)``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigError

__all__ = ["Backoff", "Jitter", "RetrySchedule"]

#: ``full``: uniform in ``[0, cap]``; ``equal``: ``cap/2 + uniform(0, cap/2)``; ``none``: ``cap``.
Jitter = Literal["full", "equal", "none"]

_JITTERS = ("full", "equal", "none")


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait before each retry.

    ``initial`` is the cap for the first retry, each later cap is ``multiplier`` times the
    previous one, never above ``maximum``. ``max_attempts`` (``None``: unbounded) is how many
    retries a caller should make before giving up; :meth:`delays` stops after that many.

    Raises:
        ConfigError: a negative time, a multiplier below 1, an unknown jitter kind, or
            ``max_attempts`` below 0.
    """

    initial: float = 0.1
    maximum: float = 30.0
    multiplier: float = 2.0
    jitter: Jitter = "full"
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < 0:
            raise ConfigError(
                f"backoff times must be >= 0, got initial={self.initial}, maximum={self.maximum}"
            )
        if self.multiplier < 1:
            raise ConfigError(f"backoff multiplier must be >= 1, got {self.multiplier}")
        if self.jitter not in _JITTERS:
            raise ConfigError(
                f"backoff jitter must be one of {', '.join(_JITTERS)}, got {self.jitter!r}"
            )
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ConfigError(f"backoff max_attempts must be >= 0 or None, got {self.max_attempts}")

    def cap(self, attempt: int) -> float:
        """The upper bound of the delay before retry ``attempt`` (0-based), before jitter."""
        if attempt < 0:
            raise ConfigError(f"attempt must be >= 0, got {attempt}")
        # Compare exponents instead of computing multiplier**attempt, which overflows a float
        # after ~1000 attempts with multiplier 2.
        cap = self.initial
        if self.multiplier == 1 or cap == 0:
            return min(cap, self.maximum)
        for _ in range(attempt):
            cap *= self.multiplier
            if cap >= self.maximum:
                return self.maximum
        return min(cap, self.maximum)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """The delay before retry ``attempt`` (0-based), with jitter drawn from ``rand()``."""
        cap = self.cap(attempt)
        if self.jitter == "full":
            return cap * rand()
        if self.jitter == "equal":
            return cap / 2 + (cap / 2) * rand()
        return cap

    def exhausted(self, attempt: int) -> bool:
        """True when retry ``attempt`` (0-based) is beyond ``max_attempts``."""
        return self.max_attempts is not None and attempt >= self.max_attempts

    def delays(self, rand: Callable[[], float] = random.random) -> Iterator[float]:
        """The successive delays; finite when ``max_attempts`` is set."""
        attempt = 0
        while not self.exhausted(attempt):
            yield self.delay(attempt, rand)
            attempt += 1


class RetrySchedule:
    """A :class:`Backoff` with its state, for code that is handed the time (sans-IO style).

    ``failed(now)`` records a failure and returns when to retry (``None`` once the policy is
    exhausted); ``due(now)`` says whether that time has come; ``succeeded()`` resets the
    count. Nothing here reads a clock or sleeps.
    """

    __slots__ = ("_rand", "attempt", "deadline", "policy")

    def __init__(self, policy: Backoff, rand: Callable[[], float] = random.random) -> None:
        self.policy = policy
        self._rand = rand
        #: failures since the last success
        self.attempt = 0
        #: when the next retry is due (``None``: no retry pending)
        self.deadline: float | None = None

    def failed(self, now: float) -> float | None:
        """Record a failure at ``now``; return the retry time, or ``None`` when giving up."""
        if self.policy.exhausted(self.attempt):
            self.deadline = None
            return None
        self.deadline = now + self.policy.delay(self.attempt, self._rand)
        self.attempt += 1
        return self.deadline

    def due(self, now: float) -> bool:
        """True when a retry is pending and its time has come."""
        return self.deadline is not None and now >= self.deadline

    def succeeded(self) -> None:
        """Forget past failures: the next failure waits the first delay again."""
        self.attempt = 0
        self.deadline = None
