"""Properties of SSH inventory parsing: labels round-trip; inventories keep order and duplicates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from strategies_ssh import targets

from wirekit.errors import ConfigError
from wirekit.ssh.inventory import parse_inventory, parse_target


@given(targets)
def test_label_round_trips(t):
    assert parse_target(t.label) == t


@given(st.lists(targets, max_size=20))
def test_inventory_keeps_order_and_duplicates(ts):
    text = "\n".join(f"{t.label}  # host {i}" for i, t in enumerate(ts + ts))
    assert parse_inventory(text) == ts + ts


@given(st.text(max_size=40))
def test_parse_target_accepts_or_raises_config_error(s):
    try:
        parse_target(s)
    except ConfigError:
        pass


@given(st.text(max_size=200))
def test_ssh_config_parse_accepts_or_raises_config_error(text):
    from wirekit.ssh.config import SSHConfig

    try:
        cfg = SSHConfig.parse(text)
    except ConfigError:
        return
    for alias in cfg.aliases():
        cfg.lookup(alias)


@given(st.text(max_size=200))
def test_parse_inventory_accepts_or_raises_with_line_number(text):
    try:
        parse_inventory(text, source="inv")
    except ConfigError as exc:
        assert str(exc).startswith("inv:")
