"""Round-trip properties of the SMTP core: bodies through dot-stuffing and the server, replies, parameters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from strategies_smtp import address, body, params, reply, utf8_address

from wirekit.smtp.protocol import (
    NEED_DATA,
    PAUSED,
    Reply,
    ReplyReader,
    dot_stuff,
    format_params,
    parse_params,
    parse_path,
)
from wirekit.smtp.server_protocol import Message, ServerConnection


def deliver(
    data: bytes, chunk: int, sender: str = "a@x.test", rcpt: str = "b@y.test", utf8: bool = False
) -> list[Message]:
    conn = ServerConnection(max_data_line=None)
    opt = b" SMTPUTF8" if utf8 else b""
    wire = (
        b"EHLO c\r\nMAIL FROM:<"
        + sender.encode()
        + b">"
        + opt
        + b"\r\nRCPT TO:<"
        + rcpt.encode()
        + b">\r\nDATA\r\n"
        + dot_stuff(data)
    )
    got = []
    for i in range(0, len(wire), chunk):
        conn.receive_data(wire[i : i + chunk])
        while True:
            ev = conn.next_event()
            if ev is NEED_DATA or ev is PAUSED:
                break
            if isinstance(ev, Message):
                got.append(ev)
            if ev.needs_reply:
                conn.send(Reply(250, "OK"))
    return got


@given(body, st.integers(1, 64))
def test_body_survives_dot_stuffing_and_server(data, chunk):
    (msg,) = deliver(data, chunk)
    assert msg.data == data


@given(address, address, utf8_address)
def test_envelope_round_trip(sender, rcpt, utf8):
    (msg,) = deliver(b"x\r\n", 7, sender, rcpt)
    assert (msg.mail_from, msg.rcpt_tos) == (sender, [rcpt])
    (msg,) = deliver(b"x\r\n", 5, utf8, rcpt, utf8=True)
    assert msg.mail_from == utf8


@given(reply, st.integers(1, 20))
def test_reply_round_trip(r, chunk):
    wire = r.to_bytes()
    reader = ReplyReader(enhanced=True)
    got = []
    for i in range(0, len(wire), chunk):
        reader.feed(wire[i : i + chunk])
        while (x := reader.next_reply()) is not None:
            got.append(x)
    assert got == [r]


@given(params)
def test_params_round_trip(p):
    assert parse_params(format_params(p)) == {k.upper(): v for k, v in p.items()}


@given(address, params)
def test_path_round_trip(a, p):
    assert parse_path(f"<{a}>{format_params(p)}") == (a, format_params(p).strip())
