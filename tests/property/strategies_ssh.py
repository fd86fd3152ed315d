"""Hypothesis strategies for wirekit.ssh: inventory targets."""

from __future__ import annotations

from hypothesis import strategies as st

from wirekit.ssh.inventory import Target

_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(
    lambda s: not s.startswith("-")
)
hostnames = st.lists(_label, min_size=1, max_size=4).map(".".join)
ipv6 = st.ip_addresses(v=6).map(str)
users = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=16)
ports = st.none() | st.integers(1, 65535)

targets = st.builds(Target, host=hostnames | ipv6, port=ports, user=st.none() | users)
