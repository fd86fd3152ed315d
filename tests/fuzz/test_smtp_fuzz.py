"""Fuzz smoke: the SMTP machines take any bytes; the server only ever answers with proper replies,
the client's reader only raises DecodeError."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wirekit.errors import DecodeError
from wirekit.smtp.protocol import NEED_DATA, PAUSED, Reply, ReplyReader
from wirekit.smtp.server_protocol import AuthAttempt, ServerConnection, StartTLS

REPLY_LINE = re.compile(rb"^[2-5][0-9][0-9][ -][^\r\n]*$")

FRAGMENTS = [
    b"EHLO x\r\n",
    b"HELO x\r\n",
    b"MAIL FROM:<a@b.c>\r\n",
    b"MAIL FROM:<a@b.c> SIZE=99999999999\r\n",
    b"RCPT TO:<d@e.f>\r\n",
    b"DATA\r\n",
    b"\r\n.\r\n",
    b".\r\n",
    b"RSET\r\n",
    b"NOOP\r\n",
    b"QUIT\r\n",
    b"AUTH PLAIN\r\n",
    b"AUTH LOGIN\r\n",
    b"AUTH PLAIN AGFAAGI=\r\n",
    b"=\r\n",
    b"*\r\n",
    b"STARTTLS\r\n",
    b"VRFY x\r\n",
    b"\n",
    b"\r",
    b"..",
    b"\x00\xff",
    b"x" * 1500,
    b"MAIL FROM:<\xc3\xa4@b.c> SMTPUTF8\r\n",
]


def run_server(chunks: list[bytes], decisions: list[int]) -> bytes:
    conn = ServerConnection(
        max_line=512,
        max_message_size=2000,
        max_recipients=3,
        auth=True,
        auth_without_tls=True,
        starttls=True,
    )
    out = [conn.data_to_send()]
    d = iter(decisions)
    for chunk in chunks:
        conn.receive_data(chunk)
        while True:
            ev = conn.next_event()
            if ev is NEED_DATA or ev is PAUSED:
                break
            if isinstance(ev, StartTLS):
                out.append(conn.data_to_send())
                conn.tls_started()
                continue
            if ev.needs_reply:
                code = next(d, 250)
                if isinstance(ev, AuthAttempt):
                    code = 235 if code < 400 else 535
                out.append(conn.send(Reply(code, "decided")))
        out.append(conn.data_to_send())
        if conn.should_close:
            break
    conn.receive_data(b"")
    return b"".join(out)


def check_replies(wire: bytes) -> None:
    assert wire.endswith(b"\r\n")
    for line in wire[:-2].split(b"\r\n"):
        assert REPLY_LINE.match(line), line


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.binary(max_size=300), max_size=20),
    st.lists(st.sampled_from([250, 451, 550]), max_size=20),
)
def test_server_random_bytes(chunks, decisions):
    check_replies(run_server(chunks, decisions))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=40)), max_size=40),
    st.lists(st.sampled_from([250, 451, 550]), max_size=20),
    st.integers(1, 50),
)
def test_server_protocol_shaped_input(fragments, decisions, size):
    data = b"".join(fragments)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    check_replies(run_server(chunks, decisions))


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=80),
            st.sampled_from([b"250-a\r\n", b"250 b\r\n", b"550 5.1.1 x\r\n", b"\r\n"]),
        ),
        max_size=20,
    )
)
def test_client_reader_only_raises_decode_error(chunks):
    reader = ReplyReader(max_line=200, enhanced=True)
    try:
        for chunk in chunks:
            reader.feed(chunk)
            while reader.next_reply() is not None:
                pass
    except DecodeError:
        pass
