"""Hypothesis strategies for the runtime: backoff policies and sets of TCP ports."""

from __future__ import annotations

from hypothesis import strategies as st

from wirekit.runtime.backoff import Backoff

policies = st.builds(
    Backoff,
    initial=st.floats(min_value=0, max_value=100, allow_nan=False),
    maximum=st.floats(min_value=0, max_value=1000, allow_nan=False),
    multiplier=st.floats(min_value=1, max_value=10, allow_nan=False),
    jitter=st.sampled_from(["full", "equal", "none"]),
)

port_sets = st.sets(st.integers(min_value=1, max_value=65535), min_size=1, max_size=200)
