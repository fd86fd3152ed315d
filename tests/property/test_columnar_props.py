"""Property tests for the columnar decoder: garbage never crashes it, crafted frames decode exactly."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("pyarrow")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import columnar_frames as cf
from wirekit.errors import DecodeError
from wirekit.packet.columnar import CaptureTruncatedWarning, columns

LINKTYPES = st.sampled_from([0, 1, 101, 108, 113, 228, 229, 276, 147])


def _decode(data: bytes) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CaptureTruncatedWarning)
        return columns(data, batch_size=7)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(frames=st.lists(st.binary(max_size=200), max_size=20), lt=LINKTYPES)
def test_random_frames_give_rows_never_errors(frames: list[bytes], lt: int) -> None:
    t = _decode(cf.pcap([(i, f) for i, f in enumerate(frames)], linktype=lt))
    assert t.num_rows == len(frames)  # type: ignore[attr-defined]
    assert t.column("caplen").to_pylist() == [len(f) for f in frames]  # type: ignore[attr-defined]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    frame=st.sampled_from(
        [
            cf.eth(cf.ipv4(cf.tcp(1, 2, payload=b"x" * 30), 6), 0x0800, vlans=(3, 4)),
            cf.eth(
                cf.ipv6(
                    cf.udp(53, 9, cf.dns(1, "a.example.org")),
                    17,
                    ext=((0, b"\x00" * 4), cf.frag6(0, True, 5)),
                ),
                0x86DD,
            ),
            cf.eth(cf.ipv4(cf.udp(9, 53, cf.dns(2, "x.y")), 17, options=b"\x01" * 8), 0x0800),
        ]
    ),
    flips=st.lists(st.tuples(st.integers(0, 140), st.integers(0, 255)), max_size=12),
    cut=st.integers(0, 160),
)
def test_mutated_frames_never_crash(frame: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    b = bytearray(frame)
    for at, v in flips:
        if at < len(b):
            b[at] = v
    t = _decode(cf.pcap([(0, bytes(b[:cut])), (1, bytes(b))]))
    assert t.num_rows == 2  # type: ignore[attr-defined]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_any_bytes_give_a_table_or_decode_error(data: bytes) -> None:
    for blob in (data, cf.pcap([])[:24] + data, cf.pcapng([("<", [(1, 6)], [])]) + data):
        try:
            _decode(blob)
        except DecodeError:
            pass


@settings(max_examples=200)
@given(
    src=st.ip_addresses(v=4).map(str),
    dst=st.ip_addresses(v=4).map(str),
    sport=st.integers(0, 65535),
    dport=st.integers(0, 65535),
    ttl=st.integers(0, 255),
    flags=st.integers(0, 0x1FF),
    seq=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=64),
    vlans=st.sampled_from([(), (7,), (8, 9)]),
)
def test_crafted_tcp_decodes_exactly(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    ttl: int,
    flags: int,
    seq: int,
    payload: bytes,
    vlans: tuple[int, ...],
) -> None:
    f = cf.eth(
        cf.ipv4(
            cf.tcp(sport, dport, seq=seq, flags=flags, payload=payload),
            6,
            src=src,
            dst=dst,
            ttl=ttl,
        ),
        0x0800,
        vlans=vlans,
    )
    (r,) = _decode(cf.pcap([(0, f)])).to_pylist()  # type: ignore[attr-defined]
    assert (
        r["src"],
        r["dst"],
        r["sport"],
        r["dport"],
        r["ttl"],
        r["tcp_flags"],
        r["seq"],
        r["payload_len"],
    ) == (src, dst, sport, dport, ttl, flags, seq, len(payload))
    assert r["vlan"] == (vlans[0] if vlans else None)


@settings(max_examples=200)
@given(
    src=st.ip_addresses(v=6).map(str),
    exts=st.lists(st.sampled_from([0, 60, 43, 51]), max_size=4),
    offset=st.sampled_from([0, 8, 1000]),
    sport=st.integers(0, 65535),
)
def test_crafted_ipv6_chains(src: str, exts: list[int], offset: int, sport: int) -> None:
    chain = (
        *tuple((t, b"\x00" * (14 if t == 51 else 6)) for t in exts),
        cf.frag6(offset, offset == 0, 1),
    )
    f = cf.eth(cf.ipv6(cf.udp(sport, 7, b"z" * 10), 17, src=src, ext=chain), 0x86DD)
    (r,) = _decode(cf.pcap([(0, f)])).to_pylist()  # type: ignore[attr-defined]
    assert (r["src"], r["proto"], r["frag_offset"]) == (
        str(__import__("ipaddress").IPv6Address(src)),
        17,
        offset,
    )
    assert r["sport"] == (sport if offset == 0 else None)
