"""Backoff policy: caps grow geometrically to the maximum; jitter stays in its window."""

from __future__ import annotations

import random

import pytest

from wirekit.errors import ConfigError
from wirekit.runtime.backoff import Backoff, RetrySchedule


def test_caps_grow_then_clamp() -> None:
    b = Backoff(initial=0.5, maximum=4.0, multiplier=2.0)
    assert [b.cap(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_cap_of_a_huge_attempt_does_not_overflow() -> None:
    assert Backoff(initial=1.0, maximum=60.0).cap(10_000) == 60.0
    assert Backoff(initial=1.0, maximum=60.0, multiplier=1.0).cap(10**9) == 1.0
    assert Backoff(initial=0.0, maximum=60.0).cap(10**9) == 0.0


def test_full_jitter_spans_zero_to_cap() -> None:
    b = Backoff(initial=1.0, maximum=8.0)
    assert b.delay(3, rand=lambda: 0.0) == 0.0
    assert b.delay(3, rand=lambda: 0.5) == 4.0
    rng = random.Random(7)
    draws = [b.delay(2, rand=rng.random) for _ in range(500)]
    assert all(0.0 <= d < 4.0 for d in draws)
    assert min(draws) < 0.5 and max(draws) > 3.5  # the whole window is used


def test_equal_and_no_jitter() -> None:
    assert Backoff(initial=2.0, jitter="equal").delay(0, rand=lambda: 0.0) == 1.0
    assert Backoff(initial=2.0, jitter="equal").delay(0, rand=lambda: 0.999) == pytest.approx(1.999)
    assert Backoff(initial=2.0, jitter="none").delay(1, rand=lambda: 0.0) == 4.0


def test_injected_random_source_makes_delays_reproducible() -> None:
    b = Backoff(initial=0.1, maximum=10.0, max_attempts=8)
    assert list(b.delays(random.Random(42).random)) == list(b.delays(random.Random(42).random))


def test_max_attempts_bounds_delays_and_exhausted() -> None:
    b = Backoff(initial=1.0, jitter="none", max_attempts=3)
    assert list(b.delays()) == [1.0, 2.0, 4.0]
    assert not b.exhausted(2)
    assert b.exhausted(3)
    assert not Backoff().exhausted(10**6)
    assert list(Backoff(max_attempts=0).delays()) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": -1.0},
        {"maximum": -0.1},
        {"multiplier": 0.5},
        {"jitter": "decorrelated"},
        {"max_attempts": -1},
    ],
)
def test_bad_policy_is_a_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_negative_attempt_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        Backoff().cap(-1)


def test_retry_schedule_with_time_passed_in() -> None:
    sched = RetrySchedule(Backoff(initial=1.0, jitter="none", max_attempts=3))
    assert not sched.due(0.0)  # nothing pending
    assert sched.failed(now=100.0) == 101.0
    assert not sched.due(100.5)
    assert sched.due(101.0)
    assert sched.failed(now=101.0) == 103.0
    assert sched.failed(now=103.0) == 107.0
    assert sched.failed(now=107.0) is None  # exhausted: give up
    assert not sched.due(10**9)
    sched.succeeded()
    assert sched.attempt == 0
    assert sched.failed(now=0.0) == 1.0  # back to the first delay


def test_retry_schedule_uses_the_injected_random_source() -> None:
    sched = RetrySchedule(Backoff(initial=2.0), rand=lambda: 0.25)
    assert sched.failed(now=10.0) == 10.5
