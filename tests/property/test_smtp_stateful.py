"""Stateful test: the client plans drive the server machine through random sessions; what the
server stores always equals what the client was told was accepted."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from strategies_smtp import address, body

from wirekit.errors import SMTPReplyError
from wirekit.smtp.client_protocol import UPGRADE_TLS, ClientConnection, Step
from wirekit.smtp.protocol import NEED_DATA, PAUSED, Reply
from wirekit.smtp.server_protocol import AuthAttempt, Message, RcptTo, ServerConnection, StartTLS


class SMTPSession(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.server = ServerConnection(
            "mx.test", max_recipients=5, auth=True, starttls=True, max_errors=1000
        )
        self.client = ClientConnection("c.test")
        self.client.receive_data(self.server.data_to_send())
        self.refuse: set[str] = set()
        self.stored: list[Message] = []
        self.expected: list[tuple[str, list[str], bytes]] = []
        self.run(self.client.greet())

    def decide(self, ev):
        if isinstance(ev, RcptTo):
            return (
                Reply(550, "no", "5.1.1")
                if ev.address in self.refuse
                else Reply(250, "OK", "2.1.5")
            )
        if isinstance(ev, AuthAttempt):
            return (
                Reply(235, "ok", "2.7.0") if ev.password == "right" else Reply(535, "bad", "5.7.8")
            )
        if isinstance(ev, Message):
            self.stored.append(ev)
        return Reply(250, "OK", "2.0.0")

    def feed_server(self, data: bytes) -> None:
        self.server.receive_data(data)
        out = []
        while True:
            ev = self.server.next_event()
            if ev is NEED_DATA or ev is PAUSED:
                break
            if isinstance(ev, StartTLS):
                continue
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
                    self.feed_server(step.out)
                replies = [self.client.next_reply() for _ in range(step.replies)]
                assert None not in replies
                step = plan.send(replies)
        except StopIteration as stop:
            return stop.value

    @rule(
        sender=address,
        rcpts=st.lists(address, min_size=1, max_size=7, unique=True),
        data=body,
        refuse=st.sets(st.integers(0, 6)),
    )
    def send(self, sender, rcpts, data, refuse):
        self.refuse = {r for i, r in enumerate(rcpts) if i in refuse}
        wanted = [r for r in rcpts if r not in self.refuse][
            :5
        ]  # the server takes at most 5 (452 after)
        try:
            result = self.run(self.client.send(sender, rcpts, data))
        except SMTPReplyError as exc:
            assert not wanted, exc
            return
        assert result.accepted == wanted
        self.expected.append((sender, wanted, data))

    @rule()
    def noop(self):
        assert self.run(self.client.command("NOOP")).code == 250

    @rule()
    def rset(self):
        assert self.run(self.client.command("RSET")).code == 250

    @precondition(lambda self: not self.client.tls)
    @rule()
    def starttls(self):
        self.run(self.client.starttls())
        assert "AUTH" in self.client.extensions

    @precondition(lambda self: self.client.tls and not self.client.authenticated)
    @rule(right=st.booleans())
    def login(self, right):
        try:
            self.run(self.client.login("u", "right" if right else "wrong"))
        except Exception:
            assert not right
        else:
            assert right

    @invariant()
    def stored_matches(self):
        got = [(m.mail_from, m.rcpt_tos, m.data) for m in self.stored]
        assert got == self.expected


TestSMTPSession = SMTPSession.TestCase
TestSMTPSession.settings = settings(max_examples=60, stateful_step_count=15, deadline=None)
