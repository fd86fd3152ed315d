"""Fuzz smoke: any bytes given to any layer parser or capture reader give a packet or a
DecodeError, nothing else; and every view of a parsed packet (fields, show, summary, dict,
bytes) works on what the parser accepted."""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent.parent / "property"))

from strategies_packet import stacks

from wirekit.errors import DecodeError
from wirekit.packet import linktype
from wirekit.packet.capture import CaptureTruncatedWarning, open_capture
from wirekit.packet.layer import Layer
from wirekit.packet.layers import LAYERS
from wirekit.packet.pcap import PcapWriter
from wirekit.packet.pcapng import PcapNgWriter

LINKTYPES = [
    linktype.EN10MB,
    linktype.RAW,
    linktype.LINUX_SLL,
    linktype.LINUX_SLL2,
    linktype.NULL,
    linktype.LOOP,
    linktype.IPV4,
    linktype.IPV6,
    12345,
]


def exercise(p: Layer) -> None:
    """Touch everything a user could: every layer, field, rendering and the bytes."""
    for layer in p.layers():
        layer.fields()
    p.summary()
    p.show()
    p.to_dict()
    p.dumps()
    repr(p)
    assert isinstance(bytes(p), bytes)
    p.hexdump()


def parse_or_decode_error(cls: type[Layer], data: bytes, **kw: object) -> None:
    try:
        p = cls.parse(data, **kw)  # type: ignore[arg-type]
    except DecodeError:
        return
    exercise(p)


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300))
def test_every_layer_parser_accepts_or_raises_decode_error(name: str, data: bytes) -> None:
    parse_or_decode_error(LAYERS[name], data)


@settings(max_examples=300, deadline=None)
@given(lt=st.sampled_from(LINKTYPES), data=st.binary(max_size=400))
def test_packet_parse_any_linktype(lt: int, data: bytes) -> None:
    parse_or_decode_error(Layer, data, linktype=lt)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    p=stacks(),
    cut=st.integers(0, 400),
    flips=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 255)), max_size=4),
)
def test_mutated_valid_frames(p: Layer, cut: int, flips: list[tuple[int, int]]) -> None:
    wire = bytearray(bytes(p))
    for pos, x in flips:
        if pos < len(wire):
            wire[pos] ^= x
    parse_or_decode_error(Layer, bytes(wire[: cut or None]))


def read_all(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CaptureTruncatedWarning)
        try:
            for rec in open_capture(io.BytesIO(data)):
                assert isinstance(rec.data, bytes)
        except DecodeError:
            pass


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600))
def test_readers_on_any_bytes(data: bytes) -> None:
    read_all(data)


@settings(max_examples=200, deadline=None)
@given(
    head=st.sampled_from(
        [b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\x0a\x0d\x0d\x0a"]
    ),
    data=st.binary(max_size=600),
)
def test_readers_on_bytes_with_a_valid_magic(head: bytes, data: bytes) -> None:
    read_all(head + data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    packets=st.lists(stacks(), min_size=1, max_size=3),
    ng=st.booleans(),
    cut=st.integers(1, 2000),
    flips=st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 255)), max_size=6),
)
def test_readers_on_mutated_captures(
    packets: list[Layer], ng: bool, cut: int, flips: list[tuple[int, int]]
) -> None:
    buf = io.BytesIO()
    w = PcapNgWriter(buf, comment="fuzz") if ng else PcapWriter(buf)
    for p in packets:
        w.write(bytes(p), 1)
    w.flush()
    data = bytearray(buf.getvalue())
    for pos, x in flips:
        if pos < len(data):
            data[pos] ^= x
    read_all(bytes(data[:cut]))
