"""The server state machine, bytes in / replies out: RFC 5321 replies and keep/close behaviour."""

from __future__ import annotations

import base64

import pytest

from wirekit.errors import LocalProtocolError
from wirekit.smtp.protocol import NEED_DATA, PAUSED, Reply
from wirekit.smtp.server_protocol import (
    AuthAttempt,
    Hello,
    MailFrom,
    Message,
    RcptTo,
    ServerConnection,
    StartTLS,
)

OK = Reply(250, "OK", "2.0.0")


def drive(conn: ServerConnection, data: bytes, decide=None) -> tuple[bytes, list[object]]:
    """Feed ``data``; answer decision events with ``decide(ev)`` (default: accept); return output and events."""
    conn.receive_data(data)
    out = [conn.data_to_send()]
    events = []
    while True:
        ev = conn.next_event()
        if ev is NEED_DATA or ev is PAUSED:
            break
        events.append(ev)
        if ev.needs_reply:
            reply = (
                decide(ev)
                if decide
                else (Reply(235, "ok", "2.7.0") if isinstance(ev, AuthAttempt) else OK)
            )
            out.append(conn.send(reply))
    out.append(conn.data_to_send())
    return b"".join(out), events


def codes(out: bytes) -> list[int]:
    return [int(line[:3]) for line in out.split(b"\r\n") if line and line[3:4] == b" "]


def ready(**kw) -> ServerConnection:
    conn = ServerConnection("mx.test", **kw)
    assert conn.data_to_send().startswith(b"220 mx.test ")
    drive(conn, b"EHLO client.test\r\n")
    return conn


def test_greeting_and_ehlo_lists_extensions():
    conn = ServerConnection("mx.test", max_message_size=1000)
    out, events = drive(conn, b"EHLO client.test\r\n")
    assert out.startswith(b"220 mx.test ESMTP")
    assert b"250-PIPELINING\r\n" in out and b"250-SIZE 1000\r\n" in out and b"250-8BITMIME" in out
    assert b"SMTPUTF8" in out and b"ENHANCEDSTATUSCODES" in out
    assert b"STARTTLS" not in out and b"AUTH" not in out
    assert events == [Hello("client.test", True)]


def test_full_transaction_pipelined_in_one_segment():
    conn = ready()
    data = b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\nSubject: s\r\n\r\n..dot\r\nbody\r\n.\r\nQUIT\r\n"
    out, events = drive(conn, data)
    assert codes(out) == [250, 250, 250, 354, 250, 221]
    msg = next(e for e in events if isinstance(e, Message))
    assert msg.mail_from == "a@x.test" and msg.rcpt_tos == ["b@y.test", "c@y.test"]
    assert msg.data == b"Subject: s\r\n\r\n.dot\r\nbody\r\n"
    assert conn.should_close


def test_data_split_across_every_byte_boundary():
    body = b"line1\r\n.\r\nnot end? no: this is end above"
    # the terminator may arrive split anywhere
    payload = b"Subject: x\r\n\r\nhello\r\n..\r\n.\r\n"
    for cut in range(1, len(payload)):
        conn = ready()
        drive(conn, b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
        _out1, ev1 = drive(conn, payload[:cut])
        _out2, ev2 = drive(conn, payload[cut:])
        msgs = [e for e in ev1 + ev2 if isinstance(e, Message)]
        assert len(msgs) == 1, cut
        assert msgs[0].data == b"Subject: x\r\n\r\nhello\r\n.\r\n"
    assert body  # keep the documentation string used


def test_empty_message():
    conn = ready()
    out, events = drive(conn, b"MAIL FROM:<>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n.\r\n")
    assert codes(out) == [250, 250, 354, 250]
    (msg,) = [e for e in events if isinstance(e, Message)]
    assert msg.data == b"" and msg.mail_from == ""


def test_sequence_errors():
    conn = ServerConnection()
    out, _ = drive(conn, b"MAIL FROM:<a@x.test>\r\n")
    assert codes(out)[-1] == 503  # HELO first
    conn = ready()
    out, _ = drive(conn, b"RCPT TO:<b@y.test>\r\nDATA\r\n")
    assert codes(out) == [503, 503]
    out, _ = drive(conn, b"MAIL FROM:<a@x.test>\r\nMAIL FROM:<a@x.test>\r\n")
    assert codes(out) == [250, 503]
    assert b"5.5.1" in out


def test_unknown_command_and_pipelined_garbage_keep_connection_until_error_limit():
    conn = ready(max_errors=5)
    out, _ = drive(conn, b"FOO\r\nBAR baz\r\n\x00\x01\r\nNOOP\r\n")
    assert codes(out) == [500, 500, 500, 250]
    assert not conn.should_close
    out, _ = drive(conn, b"X\r\nY\r\nNOOP\r\n")
    assert codes(out) == [500, 500, 421]  # fifth error: 421 and close; NOOP is never answered
    assert conn.should_close


def test_overlong_command_line_500_and_keeps_connection():
    conn = ready(max_line=512)
    out, _ = drive(conn, b"NOOP " + b"x" * 600 + b"\r\nNOOP\r\n")
    assert codes(out) == [500, 250]
    assert b"Line too long" in out
    # also when the long line arrives in pieces without CRLF
    conn = ready(max_line=512)
    out1, _ = drive(conn, b"A" * 700)
    out2, _ = drive(conn, b"B" * 700)
    out3, _ = drive(conn, b"C\r\nNOOP\r\n")
    assert codes(out1 + out2 + out3) == [500, 250]


def test_bare_lf_in_command_refused():
    conn = ready()
    out, _ = drive(conn, b"NOOP\nNOOP\r\n")
    # "NOOP\n" is refused; the following CRLF line works
    assert codes(out) == [500, 250]
    assert b"Bare LF" in out


def test_bare_lf_in_data_rejects_message_not_connection():
    conn = ready()
    out, events = drive(
        conn, b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nhello\nworld\r\n.\r\nNOOP\r\n"
    )
    assert codes(out) == [250, 250, 354, 554, 250]
    assert not any(isinstance(e, Message) for e in events)
    assert not conn.should_close


def test_smuggling_lf_dot_lf_does_not_end_data():
    conn = ready()
    data = b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nhi\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n"
    out, events = drive(conn, data)
    assert codes(out) == [250, 250, 354, 554]
    assert [e for e in events if isinstance(e, MailFrom)] == [MailFrom("a@x.test", {})]


def test_overlong_data_line_refused():
    conn = ready(max_data_line=998)
    out, events = drive(
        conn, b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n" + b"x" * 999 + b"\r\n.\r\n"
    )
    assert codes(out)[-1] == 500 and b"5.5.2" in out
    assert not any(isinstance(e, Message) for e in events)
    out, events = drive(
        conn, b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n" + b"x" * 998 + b"\r\n.\r\n"
    )
    assert codes(out)[-1] == 250


def test_size_declared_and_actual():
    conn = ready(max_message_size=100)
    out, _ = drive(conn, b"MAIL FROM:<a@x.test> SIZE=101\r\n")
    assert codes(out) == [552] and b"5.3.4" in out
    out, events = drive(
        conn,
        b"MAIL FROM:<a@x.test> SIZE=50\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
        + b"y" * 300
        + b"\r\n.\r\nNOOP\r\n",
    )
    assert codes(out) == [250, 250, 354, 552, 250]
    assert not any(isinstance(e, Message) for e in events)


def test_size_overflow_is_discarded_while_streaming():
    conn = ready(max_message_size=1000)
    drive(conn, b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
    for _ in range(100):
        drive(conn, b"z" * 900 + b"\r\n")
    assert len(conn._buf) < 2000  # memory stays bounded
    out, _ = drive(conn, b".\r\n")
    assert codes(out) == [552]


def test_too_many_recipients_452():
    conn = ready(max_recipients=2)
    out, _ = drive(
        conn,
        b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nRCPT TO:<d@y.test>\r\n",
    )
    assert codes(out) == [250, 250, 250, 452] and b"4.5.3" in out


def test_all_recipients_refused_then_pipelined_data_554():
    conn = ready()
    out, _events = drive(
        conn,
        b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nbody\r\n.\r\n",
        decide=lambda ev: Reply(550, "no", "5.7.1") if isinstance(ev, RcptTo) else OK,
    )
    # DATA: 554 no valid recipients; the body lines are then unknown commands, answered 500
    assert codes(out)[:3] == [250, 550, 554]


def test_refused_message_resets_transaction():
    conn = ready()
    out, _ = drive(
        conn,
        b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nbody\r\n.\r\nRCPT TO:<c@y.test>\r\n",
        decide=lambda ev: Reply(554, "spam", "5.7.1") if isinstance(ev, Message) else OK,
    )
    assert codes(out) == [250, 250, 354, 554, 503]


def test_rset_and_noop_vrfy_help():
    conn = ready()
    out, _ = drive(
        conn,
        b"MAIL FROM:<a@x.test>\r\nRSET\r\nRCPT TO:<b@y.test>\r\nNOOP\r\nVRFY x\r\nHELP\r\nEXPN x\r\n",
    )
    assert codes(out) == [250, 250, 503, 250, 252, 214, 502]


def test_mail_syntax_and_params():
    conn = ready()
    out, _ = drive(
        conn,
        b"MAIL FROM:a@x.test\r\nMAIL TO:<a@x.test>\r\nMAIL FROM:<a@x.test> FOO=1\r\nMAIL FROM:<a@x.test> BODY=BINARYMIME\r\n",
    )
    assert codes(out) == [501, 501, 555, 501]
    out, events = drive(conn, b"MAIL FROM:<a@x.test> BODY=8BITMIME SIZE=10\r\n")
    assert codes(out) == [250]
    assert events[0].params == {"BODY": "8BITMIME", "SIZE": "10"}


def test_helo_disables_esmtp_params_and_enhanced_codes():
    conn = ServerConnection()
    out, _ = drive(conn, b"HELO c.test\r\nMAIL FROM:<a@x.test> SIZE=10\r\nMAIL FROM:<a@x.test>\r\n")
    assert codes(out) == [220, 250, 555, 250]
    assert b"2.1.0" not in out


def test_smtputf8():
    conn = ready()
    out, _ = drive(conn, "MAIL FROM:<jörg@x.test>\r\n".encode())
    assert codes(out) == [553] and b"5.6.7" in out
    out, events = drive(
        conn, "MAIL FROM:<jörg@x.test> SMTPUTF8\r\nRCPT TO:<用户@例子.广告>\r\n".encode()
    )
    assert codes(out) == [250, 250]
    assert events[1] == RcptTo("用户@例子.广告", {})
    out, _ = drive(conn, b"NOOP \xff\r\n")
    assert codes(out) == [500]


def test_postmaster_without_domain():
    conn = ready()
    out, events = drive(conn, b"MAIL FROM:<a@x.test>\r\nRCPT TO:<Postmaster>\r\n")
    assert codes(out) == [250, 250]
    assert events[-1].address == "postmaster"


def test_starttls_discards_pipelined_bytes_and_resets():
    conn = ready(starttls=True)
    out, events = drive(conn, b"STARTTLS\r\nMAIL FROM:<injected@x.test>\r\n")
    assert codes(out) == [220]
    assert isinstance(events[-1], StartTLS)
    assert conn.next_event() is PAUSED
    conn.tls_started()
    out, events = drive(conn, b"MAIL FROM:<a@x.test>\r\n")
    assert codes(out) == [503]  # EHLO again first
    out, _ = drive(conn, b"EHLO c\r\nSTARTTLS\r\n")
    assert b"STARTTLS" not in out.split(b"\r\n250 ")[0]
    assert codes(out)[-1] == 503


def test_starttls_not_offered():
    conn = ready()
    out, _ = drive(conn, b"STARTTLS\r\n")
    assert codes(out) == [502]


def auth_plain(user: str, pw: str) -> bytes:
    return base64.b64encode(f"\0{user}\0{pw}".encode())


def test_auth_only_after_tls_unless_allowed():
    conn = ready(auth=True, starttls=True)
    out, _ = drive(conn, b"EHLO c\r\n")
    assert b"AUTH" not in out
    out, _ = drive(conn, b"AUTH PLAIN " + auth_plain("u", "p") + b"\r\n")
    assert codes(out) == [538]
    conn = ready(auth=True, auth_without_tls=True)
    out, events = drive(conn, b"AUTH PLAIN " + auth_plain("u", "p") + b"\r\n")
    assert codes(out) == [235]
    assert events == [AuthAttempt("PLAIN", "u", "p", "")]
    assert conn.authenticated == "u"
    out, _ = drive(conn, b"AUTH PLAIN " + auth_plain("u", "p") + b"\r\n")
    assert codes(out) == [503]


def test_auth_plain_with_empty_initial_response_and_login():
    conn = ready(auth=True, tls=True)
    out, events = drive(conn, b"AUTH PLAIN\r\n" + auth_plain("u", "p") + b"\r\n")
    assert codes(out) == [334, 235]
    conn = ready(auth=True, tls=True)
    out, events = drive(
        conn,
        b"AUTH LOGIN\r\n"
        + base64.b64encode(b"bob")
        + b"\r\n"
        + base64.b64encode(b"secret")
        + b"\r\n",
    )
    assert codes(out) == [334, 334, 235]
    assert events[-1] == AuthAttempt("LOGIN", "bob", "secret")
    conn = ready(auth=True, tls=True)
    out, events = drive(
        conn,
        b"AUTH LOGIN " + base64.b64encode(b"bob") + b"\r\n" + base64.b64encode(b"pw") + b"\r\n",
    )
    assert codes(out) == [334, 235]


def test_auth_bad_base64_cancel_wrong_password_unknown_mech():
    conn = ready(auth=True, tls=True)
    out, _ = drive(conn, b"AUTH PLAIN !!!notbase64\r\n")
    assert codes(out) == [501] and b"5.5.2" in out
    out, _ = drive(conn, b"AUTH LOGIN\r\n*\r\n")
    assert codes(out) == [334, 501]
    out, _ = drive(conn, b"AUTH LOGIN\r\n%%%\r\n")
    assert codes(out) == [334, 501]
    out, _ = drive(conn, b"AUTH CRAM-MD5\r\n")
    assert codes(out) == [504]
    out, _ = drive(
        conn,
        b"AUTH PLAIN " + auth_plain("u", "bad") + b"\r\n",
        decide=lambda ev: Reply(535, "no", "5.7.8"),
    )
    assert codes(out) == [535]
    assert conn.authenticated is None
    out, _ = drive(conn, b"NOOP\r\n")
    assert codes(out) == [250]


def test_require_auth():
    conn = ready(auth=True, tls=True, require_auth=True)
    out, _ = drive(conn, b"MAIL FROM:<a@x.test>\r\n")
    assert codes(out) == [530]


def test_max_commands_closes():
    conn = ready(max_commands=3)
    out, _ = drive(conn, b"NOOP\r\nNOOP\r\nNOOP\r\n")
    assert codes(out) == [250, 250, 421]
    assert conn.should_close


def test_eof_mid_data_drops_message():
    conn = ready()
    _, events = drive(
        conn, b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\npartial body\r\n"
    )
    conn.receive_data(b"")
    assert conn.next_event() is NEED_DATA
    assert not any(isinstance(e, Message) for e in events)


def test_send_without_pending_event_is_local_error():
    conn = ready()
    with pytest.raises(LocalProtocolError):
        conn.send(OK)


def test_pipelined_commands_wait_behind_a_pending_decision():
    conn = ready()
    conn.receive_data(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n")
    ev = conn.next_event()
    assert isinstance(ev, MailFrom)
    assert conn.next_event() is PAUSED
    out = conn.send(Reply(250, "OK", "2.1.0"))
    assert codes(out) == [250]
    assert isinstance(conn.next_event(), RcptTo)


def test_answer_queues_without_draining_and_keeps_order():
    conn = ready()
    conn.receive_data(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nNOOP\r\n")
    assert isinstance(conn.next_event(), MailFrom)
    assert conn.answer(Reply(250, "OK", "2.1.0")) is None
    assert isinstance(conn.next_event(), RcptTo)
    conn.answer(Reply(550, "no", "5.1.1"))
    assert conn.next_event() is NEED_DATA
    assert codes(conn.data_to_send()) == [250, 550, 250]
    with pytest.raises(LocalProtocolError):
        conn.answer(OK)


def test_lower_and_mixed_case_verbs():
    conn = ready()
    conn.receive_data(b"mail FROM:<a@x.test>\r\n")
    assert isinstance(conn.next_event(), MailFrom)
    conn.answer(OK)
    conn.receive_data(b"RcPt to:<b@y.test>\r\n")
    assert isinstance(conn.next_event(), RcptTo)
    conn.answer(OK)
    conn.receive_data(b"dAtA\r\n")
    assert conn.next_event() is NEED_DATA
    assert codes(conn.data_to_send()) == [250, 250, 354]
