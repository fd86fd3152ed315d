"""Client plans run against the server machine in memory (no sockets), plus the reply reader."""

from __future__ import annotations

import pytest

from wirekit.errors import (
    AuthenticationError,
    DecodeError,
    LocalProtocolError,
    RemoteProtocolError,
    SMTPReplyError,
)
from wirekit.smtp.client_protocol import UPGRADE_TLS, ClientConnection, Step
from wirekit.smtp.protocol import NEED_DATA, PAUSED, Reply, ReplyReader, dot_stuff, parse_path
from wirekit.smtp.server_protocol import AuthAttempt, Message, RcptTo, ServerConnection, StartTLS


class Pair:
    """A client machine wired to a server machine; the server accepts unless ``decide`` says otherwise."""

    def __init__(self, decide=None, **server_options):
        self.server = ServerConnection("mx.test", **server_options)
        self.client = ClientConnection("client.test")
        self.decide = decide or (
            lambda ev: (
                Reply(235, "ok", "2.7.0")
                if isinstance(ev, AuthAttempt)
                else Reply(250, "OK", "2.0.0")
            )
        )
        self.messages: list[Message] = []
        self.writes: list[bytes] = []
        self.client.receive_data(self.server.data_to_send())

    def _server_input(self, data: bytes) -> None:
        self.server.receive_data(data)
        out = []
        while True:
            ev = self.server.next_event()
            if ev is NEED_DATA or ev is PAUSED:
                break
            if isinstance(ev, StartTLS):
                out.append(self.server.data_to_send())
                continue
            if isinstance(ev, Message):
                self.messages.append(ev)
            if ev.needs_reply:
                out.append(self.server.send(self.decide(ev)))
        out.append(self.server.data_to_send())
        self.client.receive_data(b"".join(out))

    def run(self, plan):
        try:
            step = plan.send(None)
            while True:
                if step is UPGRADE_TLS:
                    self.server.tls_started()
                    step = plan.send([])
                    continue
                assert isinstance(step, Step)
                if step.out:
                    self.writes.append(step.out)
                    self._server_input(step.out)
                replies = []
                for _ in range(step.replies):
                    r = self.client.next_reply()
                    assert r is not None, "server did not answer"
                    replies.append(r)
                step = plan.send(replies)
        except StopIteration as stop:
            return stop.value


def test_greet_send_quit_pipelined():
    p = Pair()
    ehlo = p.run(p.client.greet())
    assert ehlo.code == 250 and p.client.has("PIPELINING")
    res = p.run(p.client.send("a@x.test", ["b@y.test", "c@y.test"], b"Subject: t\r\n\r\n.x\r\n"))
    assert res.accepted == ["b@y.test", "c@y.test"] and res.ok
    assert res.reply.enhanced == "2.0.0"
    # MAIL, RCPT, RCPT, DATA went in one write (RFC 2920)
    assert p.writes[1].count(b"\r\n") == 4
    assert p.messages[0].data == b"Subject: t\r\n\r\n.x\r\n"
    assert p.run(p.client.quit()).code == 221


def test_partial_refusal_reports_per_recipient():
    p = Pair(
        decide=lambda ev: (
            Reply(550, "no such user", "5.1.1")
            if isinstance(ev, RcptTo) and ev.address.startswith("bad")
            else Reply(250, "OK")
        )
    )
    p.run(p.client.greet())
    res = p.run(p.client.send("a@x.test", ["bad@y.test", "good@y.test"], b"x\r\n"))
    assert res.accepted == ["good@y.test"]
    assert res.refused["bad@y.test"].code == 550
    assert res.refused["bad@y.test"].enhanced == "5.1.1"


def test_all_refused_raises_with_result_and_session_stays_usable():
    p = Pair(
        decide=lambda ev: Reply(550, "no", "5.1.1") if isinstance(ev, RcptTo) else Reply(250, "OK")
    )
    p.run(p.client.greet())
    with pytest.raises(SMTPReplyError) as info:
        p.run(p.client.send("a@x.test", ["b@y.test"], b"x\r\n"))
    assert info.value.code == 550
    assert info.value.result.refused
    assert p.run(p.client.command("NOOP")).code == 250


def test_non_pipelining_server_path():
    p = Pair()
    p.run(p.client.greet())
    del p.client.extensions["PIPELINING"]
    res = p.run(p.client.send("a@x.test", ["b@y.test"], b"x\r\n"))
    assert res.ok
    assert len(p.writes) == 5  # EHLO, MAIL, RCPT, DATA, body


def test_message_refused_raises():
    p = Pair(
        decide=lambda ev: (
            Reply(554, "spam", "5.7.1") if isinstance(ev, Message) else Reply(250, "OK")
        )
    )
    p.run(p.client.greet())
    with pytest.raises(SMTPReplyError) as info:
        p.run(p.client.send("a@x.test", ["b@y.test"], b"x\r\n"))
    assert info.value.code == 554


def test_size_and_8bit_and_smtputf8_params():
    p = Pair(max_message_size=50)
    p.run(p.client.greet())
    with pytest.raises(LocalProtocolError):
        p.run(p.client.send("a@x.test", ["b@y.test"], b"x" * 60))
    res = p.run(p.client.send("jörg@x.test", ["b@y.test"], "Subject: ü\r\n\r\nü\r\n".encode()))
    assert res.ok
    assert b"BODY=8BITMIME" in p.writes[-2] and b"SMTPUTF8" in p.writes[-2]


def test_smtputf8_needed_but_not_offered():
    c = ClientConnection()
    c.extensions = {"8BITMIME": ""}
    with pytest.raises(LocalProtocolError):
        c.mail_params(b"x", "jörg@x.test", ["a@b.c"])


def test_starttls_and_auth():
    p = Pair(starttls=True, auth=True)
    p.run(p.client.greet())
    with pytest.raises(AuthenticationError):
        p.run(p.client.login("u", "p"))
    p.run(p.client.starttls())
    assert p.client.tls and "AUTH" in p.client.extensions
    assert p.run(p.client.login("u", "p")).code == 235
    assert p.client.authenticated


def test_auth_login_and_refused():
    p = Pair(
        auth=True,
        tls=True,
        decide=lambda ev: (
            Reply(535, "bad", "5.7.8") if isinstance(ev, AuthAttempt) else Reply(250, "OK")
        ),
    )
    p.run(p.client.greet())
    with pytest.raises(AuthenticationError):
        p.run(p.client.login("u", "p", mechanism="LOGIN"))


def test_starttls_injection_detected():
    c = ClientConnection()
    c.extensions = {"STARTTLS": ""}
    plan = c.starttls()
    step = plan.send(None)
    assert step.out == b"STARTTLS\r\n"
    c.receive_data(b"220 go\r\n250 injected\r\n")
    reply = c.next_reply()
    with pytest.raises(RemoteProtocolError):
        plan.send([reply])


def test_helo_fallback():
    c = ClientConnection("me")
    plan = c.hello()
    assert plan.send(None).out == b"EHLO me\r\n"
    step = plan.send([Reply(502, "no")])
    assert step.out == b"HELO me\r\n"
    with pytest.raises(StopIteration):
        plan.send([Reply(250, "hi")])
    assert not c.esmtp


def test_reply_reader_multiline_enhanced_and_errors():
    r = ReplyReader(enhanced=True)
    r.feed(b"250-2.0.0 first\r\n250 2.0.0 second\r\n55")
    assert r.next_reply() == Reply(250, "first\nsecond", "2.0.0")
    assert r.next_reply() is None
    r.feed(b"0 5.1.1 nope\r\n")
    assert r.next_reply() == Reply(550, "nope", "5.1.1")
    r.feed(b"hello\r\n")
    with pytest.raises(DecodeError):
        r.next_reply()
    r = ReplyReader(max_line=10)
    r.feed(b"2" * 20)
    with pytest.raises(DecodeError):
        r.next_reply()


def test_reply_round_trip():
    reply = Reply(250, "a\nb\nc", "2.0.0")
    r = ReplyReader(enhanced=True)
    r.feed(reply.to_bytes())
    assert r.next_reply() == reply
    assert Reply(221).to_bytes() == b"221 \r\n"


def test_dot_stuff():
    assert dot_stuff(b".a\r\nb\r\n.c") == b"..a\r\nb\r\n..c\r\n.\r\n"
    assert dot_stuff(b"a\nb\n") == b"a\r\nb\r\n.\r\n"
    assert dot_stuff(b"") == b".\r\n"


def test_parse_path():
    assert parse_path("<a@b.c> SIZE=1") == ("a@b.c", "SIZE=1")
    assert parse_path("<>") == ("", "")
    assert parse_path("<@r1,@r2:a@b.c>") == ("a@b.c", "")
    assert parse_path('<"x y>z"@b.c>') == ('"x y>z"@b.c', "")
    for bad in ("a@b.c", "<a@b.c", "<a b@c.d>", "<a@b.c>x", "<nodomain>"):
        with pytest.raises(DecodeError):
            parse_path(bad)
