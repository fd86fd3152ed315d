"""Properties of the runtime's pure parts: backoff bounds and monotonic caps, timer tick
arithmetic, and the scan ports grammar (format then parse gives the same set)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from strategies_runtime import policies, port_sets

from wirekit.runtime.backoff import Backoff
from wirekit.runtime.scan import parse_ports
from wirekit.runtime.timers import next_tick


@given(
    policies,
    st.integers(min_value=0, max_value=5000),
    st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_delay_stays_within_cap_and_maximum(policy: Backoff, attempt: int, r: float) -> None:
    cap = policy.cap(attempt)
    delay = policy.delay(attempt, rand=lambda: r)
    assert 0 <= delay <= cap <= max(policy.maximum, 0)
    assert cap <= policy.maximum


@given(policies, st.integers(min_value=0, max_value=2000))
def test_caps_never_shrink(policy: Backoff, attempt: int) -> None:
    assert policy.cap(attempt) <= policy.cap(attempt + 1)


@given(
    st.integers(min_value=0, max_value=10**6),
    st.floats(min_value=0, max_value=10**7, allow_nan=False),
)
def test_next_tick_is_in_the_future_and_after_the_current(tick: int, elapsed: float) -> None:
    nxt = next_tick(tick, elapsed)
    assert nxt > tick
    assert nxt > elapsed  # never a tick that is already due: skipped, not bunched
    assert nxt == tick + 1 or nxt == int(elapsed) + 1


def spec_of(ports: set[int]) -> str:
    """A ports spec with ranges for runs of consecutive ports."""
    parts, run = [], []
    for p in sorted(ports):
        if run and p == run[-1] + 1:
            run.append(p)
            continue
        if run:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [p]
    parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(parts)


@given(port_sets)
def test_ports_spec_round_trip(ports: set[int]) -> None:
    assert parse_ports(spec_of(ports)) == sorted(ports)
