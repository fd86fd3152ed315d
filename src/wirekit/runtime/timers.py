"""Periodic timers: ``every(interval, fn)`` calls ``fn`` on a fixed schedule until cancelled.

Ticks are scheduled at absolute times ``start + n * interval`` on the loop's monotonic clock,
so a slow callback or a late wake-up does not push every later tick back (no drift). When a
callback overruns one or more whole periods, the missed ticks are skipped (counted in
``Timer.missed``), never run in a burst. ``fn`` may be a plain function or a coroutine
function; a coroutine is awaited before the next tick is scheduled, so ticks never overlap.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from ..errors import ConfigError

__all__ = ["Timer", "every", "next_tick"]

log = logging.getLogger("wirekit.runtime.timers")


def next_tick(tick: int, elapsed_ticks: float) -> int:
    """The tick to run after ``tick``, ``elapsed_ticks`` periods after the start.

    That is the first tick still in the future: ``tick + 1`` normally, later when the call
    overran (the ticks in between are skipped, not run in a burst).
    """
    return max(tick + 1, math.floor(elapsed_ticks) + 1)


class Timer:
    """A running periodic timer (made by :func:`every`): cancel it, wait for it, read its counters."""

    def __init__(
        self,
        interval: float,
        fn: Callable[[], Awaitable[Any] | Any],
        *,
        now: bool = False,
        stop_on_error: bool = True,
        name: str | None = None,
    ) -> None:
        if not interval > 0 or math.isinf(interval):
            raise ConfigError(
                f"timer interval must be a positive number of seconds, got {interval!r}"
            )
        self.interval = float(interval)
        self.fn = fn
        self.stop_on_error = stop_on_error
        #: how many times ``fn`` has been called
        self.runs = 0
        #: ticks skipped because a call overran its period
        self.missed = 0
        #: errors ``fn`` raised (when ``stop_on_error`` is false they are logged and counted)
        self.errors = 0
        self._error: BaseException | None = None
        self._now = now
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(
            self._loop(loop), name=name or f"every {interval}s {getattr(fn, '__name__', fn)!r}"
        )

    async def _loop(self, loop: asyncio.AbstractEventLoop) -> None:
        start = loop.time()
        tick = 0 if self._now else 1
        while True:
            target = start + tick * self.interval
            delay = target - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.runs += 1
            try:
                result = self.fn()
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.errors += 1
                if self.stop_on_error:
                    self._error = exc
                    return
                log.warning("periodic %r raised %r; continuing", self.fn, exc, exc_info=exc)
            nxt = next_tick(tick, (loop.time() - start) / self.interval)
            self.missed += nxt - tick - 1
            tick = nxt

    def cancel(self) -> None:
        """Stop the timer; a call in progress is cancelled. Idempotent."""
        self._task.cancel()

    @property
    def done(self) -> bool:
        """True once the timer has stopped (cancelled, or stopped by an error)."""
        return self._task.done()

    @property
    def error(self) -> BaseException | None:
        """The error that stopped the timer (with ``stop_on_error``), else ``None``."""
        return self._error

    async def wait(self) -> None:
        """Wait until the timer stops.

        Raises:
            Exception: the error from ``fn`` that stopped the timer (with ``stop_on_error``).
        """
        await asyncio.wait({self._task})
        if self._error is not None:
            raise self._error

    def __enter__(self) -> Timer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()

    def __repr__(self) -> str:
        state = "done" if self.done else "running"
        return f"<Timer every {self.interval}s {state} runs={self.runs} missed={self.missed}>"


def every(
    interval: float,
    fn: Callable[[], Awaitable[Any] | Any],
    *,
    now: bool = False,
    stop_on_error: bool = True,
    name: str | None = None,
) -> Timer:
    """Call ``fn()`` every ``interval`` seconds on the running loop, until cancelled.

    ``fn`` is a plain callable or a coroutine function. The first call is after one interval
    (at once with ``now=True``). If ``fn`` raises, the timer stops and ``await timer.wait()``
    re-raises; with ``stop_on_error=False`` the error is logged and the timer keeps going.
    Use the result as a context manager (``with every(1, tick):``) to cancel on exit.

    Raises:
        ConfigError: ``interval`` is not a positive, finite number.
        RuntimeError: no event loop is running.
    """
    return Timer(interval, fn, now=now, stop_on_error=stop_on_error, name=name)
