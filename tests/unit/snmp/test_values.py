"""Typed values: conversions, text, JSON and Net-SNMP's Opaque float."""

from __future__ import annotations

import pytest

from wirekit.snmp.ber import decode_tlv
from wirekit.snmp.mib import name_of, parse_oid
from wirekit.snmp.values import (
    NULL,
    Counter32,
    Counter64,
    EndOfMibView,
    Gauge32,
    Integer,
    IpAddress,
    NoSuchObject,
    ObjectIdentifier,
    OctetString,
    Opaque,
    TimeTicks,
    decode_value,
    value_from_python,
    value_from_text,
)


def roundtrip(value):  # type: ignore[no-untyped-def]
    data = value.encode()
    tag, s, e = decode_tlv(data, 0)
    return decode_value(tag, data, s, e)


@pytest.mark.parametrize(
    "value",
    [
        Integer(-5),
        Integer(2**31 - 1),
        Counter32(2**32 - 1),
        Gauge32(7),
        TimeTicks(12345),
        Counter64(2**64 - 1),
        OctetString(b"\x00\xff"),
        IpAddress("10.1.2.3"),
        ObjectIdentifier("1.3.6.1.4.1"),
        Opaque(b"\x01\x02"),
        NULL,
        NoSuchObject(),
        EndOfMibView(),
    ],
)
def test_every_type_round_trips_with_its_type(value) -> None:  # type: ignore[no-untyped-def]
    back = roundtrip(value)
    assert back == value
    assert type(back) is type(value)


def test_octet_string_keeps_bytes_and_decodes_lazily() -> None:
    s = OctetString("héllo".encode())
    assert bytes(s) == "héllo".encode()
    assert s.text == "héllo"
    assert str(s) == "héllo"
    assert str(OctetString(b"\x00\xff")) == "00 FF"
    assert OctetString(b"\xff").to_json() == {"hex": "ff"}


def test_int_types_convert() -> None:
    assert int(Counter64(2**40)) == 2**40
    assert str(TimeTicks(8640100)) == "8640100"
    assert TimeTicks(8640100).pretty() == "(8640100) 1 day, 0:00:01.00"
    assert Integer(3).to_json() == 3


def test_opaque_float_as_net_snmp_wraps_it() -> None:
    value = Opaque.from_float(0.5)
    assert bytes(value) == bytes.fromhex("9f78043f000000")
    assert value.float == 0.5
    assert value.to_json() == 0.5
    assert Opaque(b"\x01").float is None


def test_exceptions_are_falsy_singletons() -> None:
    assert NoSuchObject() is NoSuchObject()
    assert not EndOfMibView()
    assert NoSuchObject().to_json() == {"exception": "noSuchObject"}


def test_ip_address_text() -> None:
    assert str(IpAddress(b"\x7f\x00\x00\x01")) == "127.0.0.1"
    assert IpAddress("127.0.0.1").to_json() == "127.0.0.1"


def test_value_from_python_and_text() -> None:
    assert type(value_from_python(5)) is Integer
    assert type(value_from_python("x")) is OctetString
    assert value_from_python(None) is NULL
    assert value_from_text("x", "0A:0B") == OctetString(b"\n\x0b")
    assert type(value_from_text("u", "5")) is Gauge32
    assert value_from_text("a", "1.2.3.4") == IpAddress("1.2.3.4")
    with pytest.raises(ValueError):
        value_from_text("?", "1")
    with pytest.raises(TypeError):
        value_from_python(object())


def test_mib_names() -> None:
    assert parse_oid("sysDescr.0") == (1, 3, 6, 1, 2, 1, 1, 1, 0)
    assert parse_oid("SNMPv2-MIB::sysDescr.0") == (1, 3, 6, 1, 2, 1, 1, 1, 0)
    assert parse_oid("IF-MIB::ifDescr") == (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
    assert parse_oid(".1.3.6.1") == (1, 3, 6, 1)
    assert name_of((1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 7)) == "IF-MIB::ifDescr.7"
    assert name_of((1, 3, 6, 1, 2, 1, 25, 1, 1, 0)) == "HOST-RESOURCES-MIB::hrSystemUptime.0"
    with pytest.raises(ValueError):
        parse_oid("noSuchName.0")
