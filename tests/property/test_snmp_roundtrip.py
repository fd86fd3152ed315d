"""decode(encode(x)) == x for every SNMP value, PDU and message (v1/v2c and v3 with USM)."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from strategies_snmp import oids, pdus, values

from wirekit.snmp.ber import decode_oid, decode_tlv, encode_oid
from wirekit.snmp.message import (
    FLAG_AUTH,
    FLAG_PRIV,
    ScopedPDU,
    decode_community_message,
    decode_v3_message,
    encode_community_message,
)
from wirekit.snmp.pdu import decode_pdu, encode_pdu
from wirekit.snmp.usm import SaltCounter, USMUser, protect, unprotect
from wirekit.snmp.values import decode_value

USER = USMUser("prop", "SHA-256", "authpassword", "AES", "privpassword")
ENGINE = b"\x80\x00\x1f\x88\x05property"


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if hasattr(a, "varbinds"):
        return a == b and all(
            type(x.value) is type(y.value) for x, y in zip(a.varbinds, b.varbinds, strict=True)
        )  # type: ignore[attr-defined]
    return a == b


@given(oids)
def test_oid_round_trip(oid: tuple[int, ...]) -> None:
    body = encode_oid(oid)
    assert decode_oid(body, 0, len(body)) == oid


@given(values)
def test_value_round_trip(value: object) -> None:
    data = value.encode()  # type: ignore[attr-defined]
    tag, s, e = decode_tlv(data, 0)
    back = decode_value(tag, data, s, e)
    assert back == value and type(back) is type(value)


@given(pdus)
def test_pdu_round_trip(pdu: object) -> None:
    back, _end = decode_pdu(encode_pdu(pdu))  # type: ignore[arg-type]
    assert _same(back, pdu)


@given(st.sampled_from([0, 1]), st.binary(max_size=40), pdus)
def test_community_message_round_trip(version: int, community: bytes, pdu: object) -> None:
    msg = decode_community_message(encode_community_message(version, community, pdu))  # type: ignore[arg-type]
    assert (msg.version, msg.community) == (version, community)
    assert _same(msg.pdu, pdu)


@given(
    pdus,
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.sampled_from([0, FLAG_AUTH, FLAG_AUTH | FLAG_PRIV]),
)
def test_v3_message_round_trip(pdu: object, boots: int, etime: int, flags: int) -> None:
    data = protect(
        msg_id=7,
        max_size=65507,
        flags=flags,
        user=USER,
        engine_id=ENGINE,
        boots=boots,
        etime=etime,
        scoped=ScopedPDU(ENGINE, b"ctx", pdu),
        salt=SaltCounter(),
    )  # type: ignore[arg-type]
    msg = decode_v3_message(data)
    assert (msg.msg_id, msg.usm.engine_boots, msg.usm.engine_time) == (7, boots, etime)
    scoped = unprotect(msg, USER)
    assert scoped.context_name == b"ctx"
    assert _same(scoped.pdu, pdu)
