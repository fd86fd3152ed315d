"""Fuzz smoke for the columnar decoder: any bytes give a table or DecodeError, nothing else.

Mutates a real mixed capture (pcap and pcapng framing, every link type the decoder knows),
so the fuzzer starts from valid structure and reaches deep branches (VLAN stacks, IPv6
extension chains, DNS name walks, pcapng sections) instead of failing at the magic.
"""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("pyarrow")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import columnar_frames as cf
from wirekit.errors import DecodeError
from wirekit.packet.columnar import CaptureTruncatedWarning, columns

FRAMES = [
    cf.eth(cf.ipv4(cf.tcp(1, 2, payload=b"x" * 20), 6), 0x0800, vlans=(5, 6)),
    cf.eth(
        cf.ipv6(
            cf.udp(53, 9, cf.dns(1, "a.b.example")),
            17,
            ext=((0, b"\x00" * 4), (60, b"\x00" * 4), cf.frag6(0, True, 3)),
        ),
        0x86DD,
    ),
    cf.eth(
        cf.ipv4(cf.udp(9, 5353, cf.dns(2, "host.local", 28)), 17, options=b"\x94\x04\x00\x00"),
        0x0800,
    ),
    cf.eth(cf.ipv4(cf.icmp(8, 0, b"p" * 16), 1, frag=8), 0x0800),
]
SEED_PCAP = cf.pcap([(i, f) for i, f in enumerate(FRAMES)])
SEED_NG = cf.pcapng(
    [
        (
            "<",
            [(1, 9), (276, 6)],
            [(0, 1, FRAMES[0]), (1, 2, b"\x86\xdd" + b"\x00" * 18 + FRAMES[1][14:])],
        ),
        (">", [(113, 6)], [(0, 3, b"\x00" * 14 + b"\x08\x00" + FRAMES[2][14:])]),
    ]
)


def _mutate(seed: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    b = bytearray(seed)
    for at, v in edits:
        b[at % len(b)] = v
    return bytes(b[:cut] if cut is not None else b)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from([SEED_PCAP, SEED_NG]),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=16),
    cut=st.none() | st.integers(0, 2000),
    batch=st.sampled_from([1, 3, 32768]),
)
def test_mutated_captures(
    seed: bytes, edits: list[tuple[int, int]], cut: int | None, batch: int
) -> None:
    data = _mutate(seed, edits, cut)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CaptureTruncatedWarning)
        try:
            t = columns(data, batch_size=batch)
        except DecodeError:
            return
    assert t.num_rows <= len(data) // 12
    t.validate(full=True)  # every Arrow array is well-formed (offsets, dictionaries, UTF-8)
