"""Periodic timers: sync and coroutine callbacks, cancellation, errors and drift correction."""

from __future__ import annotations

import asyncio

import pytest

from wirekit.errors import ConfigError
from wirekit.runtime.timers import Timer, every, next_tick


def test_next_tick_is_the_next_one_when_on_time() -> None:
    assert next_tick(1, 1.02) == 2
    assert next_tick(5, 5.999) == 6


def test_next_tick_skips_overrun_ticks() -> None:
    # A call at tick 1 that ran until 3.4 periods: ticks 2 and 3 are gone, 4 is next.
    assert next_tick(1, 3.4) == 4
    assert next_tick(0, 0.0) == 1


def test_sync_callback_runs_until_cancelled() -> None:
    async def main() -> int:
        done = asyncio.Event()
        calls: list[int] = []

        def tick() -> None:
            calls.append(1)
            if len(calls) == 3:
                done.set()

        timer = every(0.01, tick)
        await done.wait()
        timer.cancel()
        await timer.wait()
        runs = timer.runs
        await asyncio.sleep(0.05)
        assert timer.done
        assert timer.runs == runs  # nothing runs after cancel
        return len(calls)

    assert asyncio.run(main()) == 3


def test_coroutine_callback_is_awaited_and_never_overlaps() -> None:
    async def main() -> None:
        active = 0
        peak = 0
        done = asyncio.Event()
        count = 0

        async def tick() -> None:
            nonlocal active, peak, count
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.02)  # longer than the interval
            active -= 1
            count += 1
            if count == 3:
                done.set()

        with every(0.005, tick) as timer:
            await done.wait()
        await timer.wait()
        assert peak == 1
        assert timer.missed >= 3  # overruns were skipped, not queued

    asyncio.run(main())


def test_now_runs_the_first_call_immediately() -> None:
    async def main() -> int:
        calls: list[int] = []
        timer = every(3600, lambda: calls.append(1), now=True)
        for _ in range(5):
            await asyncio.sleep(0)
        timer.cancel()
        return len(calls)

    assert asyncio.run(main()) == 1


def test_error_stops_the_timer_and_wait_reraises() -> None:
    async def main() -> Timer:
        def boom() -> None:
            raise KeyError("x")

        timer = every(0.001, boom)
        with pytest.raises(KeyError):
            await timer.wait()
        return timer

    timer = asyncio.run(main())
    assert timer.done and timer.runs == 1 and isinstance(timer.error, KeyError)


def test_error_with_stop_on_error_false_keeps_going() -> None:
    async def main() -> Timer:
        n = 0
        done = asyncio.Event()

        def flaky() -> None:
            nonlocal n
            n += 1
            if n == 4:
                done.set()
            raise ValueError(n)

        timer = every(0.001, flaky, stop_on_error=False)
        await done.wait()
        timer.cancel()
        await timer.wait()  # cancelled, not failed: no error
        return timer

    timer = asyncio.run(main())
    assert timer.errors >= 4 and timer.error is None


@pytest.mark.parametrize("interval", [0, -1, float("nan"), float("inf")])
def test_bad_interval_is_a_config_error(interval: float) -> None:
    async def main() -> None:
        every(interval, lambda: None)

    with pytest.raises(ConfigError):
        asyncio.run(main())


def test_every_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        every(1, lambda: None)
