"""Fuzz smoke: the message parser raises only DecodeError, and the agent and the trap receiver
never raise, whatever the bytes (random bytes and mutations of valid messages)."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent.parent / "property"))

from strategies_snmp import pdus

from wirekit.errors import DecodeError
from wirekit.snmp.demo import demo_tree
from wirekit.snmp.message import decode_message, encode_community_message
from wirekit.snmp.responder import AgentConfig, Responder
from wirekit.snmp.session import ManagerSession
from wirekit.snmp.trap import NotificationDecoder
from wirekit.snmp.usm import USMUser

USER = USMUser("fuzz", "SHA", "authpassword", "AES", "privpassword")


def _responder() -> Responder:
    cfg = AgentConfig(engine_id=b"\x80\x00\x1f\x88\x05fuzzfuzz")
    cfg.add_community("public", writable=True)
    cfg.add_user(USER, writable=True)
    return Responder(demo_tree(clock=0.0), cfg)


RESPONDER = _responder()
RECEIVER = NotificationDecoder(None, [USER])


def _parse(data: bytes) -> None:
    try:
        decode_message(data)
    except DecodeError:
        pass


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    _parse(data)
    RESPONDER.handle(data)
    RECEIVER.handle(data, "fuzz")
    try:
        ManagerSession(1).decode(data)
    except DecodeError:
        pass


@settings(max_examples=300)
@given(pdus, st.data())
def test_mutated_messages(pdu: object, data: st.DataObject) -> None:
    good = bytearray(encode_community_message(1, b"public", pdu))  # type: ignore[arg-type]
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(good) - 1))
        good[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(good)))
    blob = bytes(good[:cut])
    _parse(blob)
    assert RESPONDER.handle(blob) is None or isinstance(RESPONDER.handle(blob), bytes)
    RECEIVER.handle(blob, "fuzz")


@settings(max_examples=200)
@given(st.binary(max_size=64), st.data())
def test_mutated_v3(noise: bytes, data: st.DataObject) -> None:
    session = ManagerSession(3, user=USER)
    session.engine_id = b"\x80\x00\x1f\x88\x05fuzzfuzz"
    from wirekit.snmp.pdu import PDU, PDUType

    good = bytearray(session.encode(PDU(PDUType.GET, 5, [])))
    i = data.draw(st.integers(0, len(good) - 1))
    good[i : i + len(noise)] = noise
    blob = bytes(good)
    _parse(blob)
    RESPONDER.handle(blob)
    RECEIVER.handle(blob, "fuzz")
    try:
        session.decode(blob)
    except DecodeError:
        pass
    except Exception as exc:  # AuthenticationError is allowed from the session
        from wirekit.errors import AuthenticationError

        assert isinstance(exc, AuthenticationError)
