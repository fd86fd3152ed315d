"""BER primitives: vectors from X.690 and the SNMP RFCs, and the DecodeError contract."""

from __future__ import annotations

import pytest

from wirekit.errors import DecodeError
from wirekit.snmp.ber import (
    decode_integer,
    decode_length,
    decode_oid,
    decode_tlv,
    decode_unsigned,
    encode_integer,
    encode_length,
    encode_oid,
    encode_unsigned,
    tlv,
)


@pytest.mark.parametrize(
    ("n", "octets"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x81\x80"),
        (255, b"\x81\xff"),
        (256, b"\x82\x01\x00"),
        (70000, b"\x83\x01\x11\x70"),
    ],
)
def test_length_round_trip(n: int, octets: bytes) -> None:
    assert encode_length(n) == octets
    assert decode_length(octets, 0) == (n, len(octets))


def test_non_minimal_long_length_is_accepted() -> None:
    assert decode_length(b"\x82\x00\x05", 0) == (5, 3)


def test_indefinite_length_is_refused() -> None:
    with pytest.raises(DecodeError, match="indefinite"):
        decode_length(b"\x80", 0)


@pytest.mark.parametrize(
    ("value", "body"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x00\x80"),
        (256, b"\x01\x00"),
        (-1, b"\xff"),
        (-128, b"\x80"),
        (-129, b"\xff\x7f"),
        (2**31 - 1, b"\x7f\xff\xff\xff"),
    ],
)
def test_integer_minimal_twos_complement(value: int, body: bytes) -> None:
    assert encode_integer(value) == body
    assert decode_integer(body, 0, len(body)) == value


def test_unsigned_gets_leading_zero_when_top_bit_set() -> None:
    assert encode_unsigned(0xFFFFFFFF) == b"\x00\xff\xff\xff\xff"
    assert decode_unsigned(b"\x00\xff\xff\xff\xff", 0, 5) == 0xFFFFFFFF
    # Some agents send 0xFFFFFFFF as a 4-octet negative number: taken modulo 2**32.
    assert decode_unsigned(b"\xff\xff\xff\xff", 0, 4) == 0xFFFFFFFF


def test_unsigned_too_long_is_refused() -> None:
    with pytest.raises(DecodeError):
        decode_unsigned(b"\x01" * 6, 0, 6)


@pytest.mark.parametrize(
    ("arcs", "body"),
    [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), bytes.fromhex("2b06010201010100")),
        ((1, 3, 6, 1, 4, 1, 2021, 10), bytes.fromhex("2b06010401 8f65 0a".replace(" ", ""))),
        (
            (1, 3, 6, 1, 2, 1, 25, 6, 3, 1, 2, 300),
            bytes.fromhex("2b0601020119060301 02822c".replace(" ", "")),
        ),
        ((2, 999, 3), bytes.fromhex("883703")),
        ((1, 3, 2**32 - 1), bytes.fromhex("2b8fffffff7f")),
    ],
)
def test_oid_vectors(arcs: tuple[int, ...], body: bytes) -> None:
    assert encode_oid(arcs) == body
    assert decode_oid(body, 0, len(body)) == arcs


@pytest.mark.parametrize(
    "body",
    [b"", b"\x2b\x86", b"\x2b\x80\x01", b"\x2b\x90\x80\x80\x80\x80\x00", b"\x2b" + b"\x01" * 200],
    ids=["empty", "cut-arc", "non-minimal", "over-32-bits", "too-many-arcs"],
)
def test_bad_oids_raise_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_oid(body, 0, len(body))


def test_encode_oid_refuses_bad_arcs() -> None:
    with pytest.raises(ValueError):
        encode_oid((1,))
    with pytest.raises(ValueError):
        encode_oid((3, 1))
    with pytest.raises(ValueError):
        encode_oid((1, 3, 2**32))


def test_tlv_and_decode_tlv() -> None:
    data = tlv(0x04, b"x" * 200)
    assert data[:3] == b"\x04\x81\xc8"
    assert decode_tlv(data, 0) == (0x04, 3, 203)


def test_tlv_past_container_is_truncated() -> None:
    with pytest.raises(DecodeError) as info:
        decode_tlv(b"\x04\x05abc", 0)
    assert info.value.truncated


def test_multi_octet_tag_is_refused() -> None:
    with pytest.raises(DecodeError, match="multi-octet"):
        decode_tlv(b"\x1f\x01\x00", 0)
