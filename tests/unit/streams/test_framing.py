"""Framers and the receive buffer: exact frames whatever the chunking; limits enforced."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wirekit.errors import DecodeError, LineTooLong
from wirekit.streams.buffer import ReceiveBuffer
from wirekit.streams.framing import (
    DelimiterFramer,
    LengthPrefixFramer,
    LineFramer,
    NetstringFramer,
    RegexFramer,
)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, prev = [], 0
    for p in [*points, len(data)]:
        out.append(data[prev:p])
        prev = p
    return out


payloads = st.lists(st.binary(max_size=50), max_size=10)
cuts = st.lists(st.integers(min_value=0, max_value=10_000), max_size=8)


@pytest.mark.parametrize(
    "make",
    [lambda: LengthPrefixFramer(), lambda: LengthPrefixFramer("<H"), lambda: NetstringFramer()],
    ids=["u32", "u16le", "netstring"],
)
@given(frames=payloads, split=cuts)
def test_binary_framers_round_trip_any_chunking(
    make, frames: list[bytes], split: list[int]
) -> None:
    framer = make()
    wire = b"".join(framer.encode(f) for f in frames)
    got = []
    for chunk in _chunks(wire, split):
        got.extend(framer.feed(chunk))
    assert got == frames


@given(
    lines=st.lists(
        st.binary(max_size=40).filter(lambda b: b"\n" not in b and not b.endswith(b"\r")),
        max_size=10,
    ),
    split=cuts,
)
def test_line_framer_round_trip(lines: list[bytes], split: list[int]) -> None:
    framer = LineFramer(newline=b"\r\n")
    wire = b"".join(framer.encode(line) for line in lines)
    got = []
    for chunk in _chunks(wire, split):
        got.extend(framer.feed(chunk))
    assert got == lines


def test_line_limit_bounds_memory() -> None:
    framer = LineFramer(max_size=1000)
    with pytest.raises(LineTooLong) as info:
        for _ in range(100):
            framer.feed(b"x" * 100)
    assert info.value.limit == 1000
    assert len(framer.buffer) < 1000 + 100 + 1


def test_delimiter_and_regex() -> None:
    assert DelimiterFramer(b"\0").feed(b"a\0b\0c") == [b"a", b"b"]
    assert RegexFramer(rb"END\r?\n").feed(b"one END\ntwo END\r\nthree") == [
        b"one END\n",
        b"two END\r\n",
    ]


def test_length_prefix_limit() -> None:
    with pytest.raises(LineTooLong):
        LengthPrefixFramer(max_size=10).feed(b"\x00\x00\x01\x00")


@pytest.mark.parametrize("bad", [b"x:abc,", b"3:abcX", b":", b"99999999999999999999:"])
def test_netstring_malformed(bad: bytes) -> None:
    with pytest.raises((DecodeError, LineTooLong)):
        NetstringFramer(max_size=1000).feed(bad)


def test_receive_buffer_scan_is_incremental() -> None:
    buf = ReceiveBuffer()
    buf.feed(b"abc\r")
    assert buf.take_until(b"\r\n") is None
    buf.feed(b"\ndef")
    assert buf.take_until(b"\r\n") == b"abc\r\n"
    assert buf.take_match(re.compile(rb"d(e)")).group(1) == b"e"
    assert buf.take() == b"f"
