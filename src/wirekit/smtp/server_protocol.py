"""The SMTP server state machine (RFC 5321 + PIPELINING, SIZE, 8BITMIME, SMTPUTF8, STARTTLS, AUTH).

Rule 1: every decision about what the peer may send next lives here; drivers only move bytes.
Rule 2: bad input from the peer never raises. It gets the reply RFC 5321 specifies, and the
machine says whether to keep the connection (``should_close``).
Rule 3: replies are queued in order (PIPELINING, RFC 2920 §3); ``data_to_send()`` and
``send()`` drain one outbox, so a driver writes them in one call per batch of input.

Driver loop::

    conn.receive_data(data)
    while (ev := conn.next_event()) not in (NEED_DATA, PAUSED):
        if ev.needs_reply:            # MailFrom, RcptTo, Message, AuthAttempt
            out += conn.send(decide(ev))
        elif isinstance(ev, StartTLS): flush, upgrade, conn.tls_started()
    out += conn.data_to_send()
    if conn.should_close: close after writing

Events that need a reply pause the machine until ``send(Reply)``; pipelined commands behind
them wait in the buffer.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import ClassVar

from ..errors import DecodeError, LocalProtocolError
from .protocol import (
    _SIMPLE_PATH,
    NEED_DATA,
    PAUSED,
    Reply,
    Sentinel,
    parse_params,
    parse_path,
)

__all__ = [
    "AuthAttempt",
    "Event",
    "Hello",
    "MailFrom",
    "Message",
    "RcptTo",
    "ServerConnection",
    "StartTLS",
]

# States (strings: cheap to compare, readable in reprs)
INIT, READY, MAIL, RCPT, DATA, AUTH, WAIT, TLS, CLOSED = (
    "INIT", "READY", "MAIL", "RCPT", "DATA", "AUTH", "WAIT", "TLS", "CLOSED",
)  # fmt: skip


class Event:
    """Base of server events. ``needs_reply`` events pause the machine until ``send``."""

    __slots__ = ()
    needs_reply: ClassVar[bool] = False


@dataclass(slots=True)
class Hello(Event):
    """HELO or EHLO was accepted (already answered)."""

    domain: str
    esmtp: bool


@dataclass(slots=True)
class MailFrom(Event):
    """MAIL FROM; answer 250 to accept, 4xx/5xx to refuse."""

    needs_reply: ClassVar[bool] = True
    address: str
    params: dict[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class RcptTo(Event):
    """RCPT TO; answer 250 to accept, 550/553/452 to refuse."""

    needs_reply: ClassVar[bool] = True
    address: str
    params: dict[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class Message(Event):
    """A complete message after CRLF.CRLF (dot-unstuffed, CRLF line ends); answer 250 only once stored."""

    needs_reply: ClassVar[bool] = True
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_params: dict[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class AuthAttempt(Event):
    """Decoded SASL credentials (RFC 4954); answer 235 to accept, 535 to refuse."""

    needs_reply: ClassVar[bool] = True
    mechanism: str
    username: str
    password: str
    authzid: str = ""


@dataclass(slots=True)
class StartTLS(Event):
    """STARTTLS was answered 220: flush, upgrade the transport, then call ``tls_started()``."""


# Canned replies (RFC 5321 §4.2.2/§4.2.3, RFC 3463 enhanced codes)
R_OK = Reply(250, "OK", "2.0.0")
R_MAIL_OK = Reply(250, "OK", "2.1.0")
R_RCPT_OK = Reply(250, "OK", "2.1.5")
R_QUEUED = Reply(250, "OK: queued", "2.0.0")
R_DATA = Reply(354, "End data with <CR><LF>.<CR><LF>")
R_BYE = Reply(221, "Bye", "2.0.0")
R_UNKNOWN = Reply(500, "Command unrecognized", "5.5.1")
R_LINE_TOO_LONG = Reply(500, "Line too long", "5.5.2")
R_BARE_LF = Reply(500, "Bare LF or CR in command line (RFC 5321 §2.3.8)", "5.5.2")
R_BAD_UTF8 = Reply(500, "Command is not valid UTF-8", "5.5.2")
R_SEQUENCE = Reply(503, "Bad sequence of commands", "5.5.1")
R_NEED_HELO = Reply(503, "Send HELO/EHLO first", "5.5.1")
R_NESTED = Reply(503, "Nested MAIL command", "5.5.1")
R_NEED_MAIL = Reply(503, "Need MAIL before RCPT", "5.5.1")
R_NEED_RCPT = Reply(503, "Need RCPT before DATA", "5.5.1")
R_NO_VALID_RCPT = Reply(554, "No valid recipients", "5.5.1")
R_TOO_MANY_RCPT = Reply(452, "Too many recipients", "4.5.3")
R_TOO_BIG = Reply(552, "Message size exceeds fixed maximum message size", "5.3.4")
R_DATA_LINE = Reply(500, "Line too long (RFC 5321 §4.5.3.1.6)", "5.5.2")
R_DATA_BARE = Reply(554, "Message contains bare LF or CR (RFC 5321 §2.3.8)", "5.6.0")
R_TOO_MANY_ERRORS = Reply(421, "Too many errors, closing connection", "4.7.0")
R_TOO_MANY_COMMANDS = Reply(421, "Too many commands, closing connection", "4.7.0")
R_NO_UTF8 = Reply(553, "Non-ASCII address needs SMTPUTF8", "5.6.7")
R_PARAM = Reply(555, "MAIL/RCPT parameters not recognized or not implemented", "5.5.4")
R_TLS_GO = Reply(220, "Ready to start TLS", "2.0.0")
R_TLS_NONE = Reply(502, "STARTTLS not available", "5.5.1")
R_TLS_AGAIN = Reply(503, "Already running TLS", "5.5.1")
R_AUTH_NONE = Reply(502, "AUTH not available", "5.5.1")
R_AUTH_TLS = Reply(538, "Encryption required for requested authentication mechanism", "5.7.11")
R_AUTH_AGAIN = Reply(503, "Already authenticated", "5.5.1")
R_AUTH_MECH = Reply(504, "Unrecognized authentication type", "5.5.4")
R_AUTH_B64 = Reply(501, "Cannot decode response", "5.5.2")
R_AUTH_CANCEL = Reply(501, "Authentication cancelled", "5.0.0")
R_AUTH_REQUIRED = Reply(530, "Authentication required", "5.7.0")
R_AUTH_OK = Reply(235, "Authentication successful", "2.7.0")
R_AUTH_FAIL = Reply(535, "Authentication credentials invalid", "5.7.8")
R_VRFY = Reply(252, "Cannot VRFY user, but will accept message and attempt delivery", "2.5.0")
R_HELP = Reply(214, "See RFC 5321", "2.0.0")

AUTH_LINE_MAX = 12288  # RFC 4954 §4: at least 12288 octets for AUTH lines


class ServerConnection:
    """One SMTP server session (sans-IO). See the module docstring for the driver loop.

    Args:
        hostname: our name, used in the greeting and EHLO reply.
        max_message_size: SIZE advertised and enforced (RFC 1870); 0 means no limit.
        max_recipients: RCPTs per transaction before 452 (RFC 5321 §4.5.3.1.8 asks for >= 100).
        max_line: longest command line, CRLF included (RFC 5321 §4.5.3.1.4: >= 512).
        max_data_line: longest message text line before CRLF, or None to allow any (§4.5.3.1.6: 998).
        max_errors: protocol errors before ``421`` and close.
        max_commands: commands per connection before ``421`` and close (0: unlimited).
        starttls: offer STARTTLS (the driver has a TLS context).
        tls: the transport is already TLS (implicit TLS, RFC 8314).
        auth: offer AUTH PLAIN/LOGIN.
        auth_without_tls: offer AUTH on cleartext too (default: only after TLS, RFC 4954 §4).
        require_auth: refuse MAIL until authenticated (530, RFC 4954 §6).
    """

    def __init__(
        self,
        hostname: str = "localhost",
        *,
        max_message_size: int = 32 * 1024 * 1024,
        max_recipients: int = 100,
        max_line: int = 4096,
        max_data_line: int | None = 998,
        max_errors: int = 20,
        max_commands: int = 100_000,
        starttls: bool = False,
        tls: bool = False,
        auth: bool = False,
        auth_without_tls: bool = False,
        require_auth: bool = False,
        greeting: str | None = None,
    ) -> None:
        self.hostname = hostname
        self.max_message_size = max_message_size
        self.max_recipients = max_recipients
        self.max_line = max_line
        self.max_data_line = max_data_line
        self.max_errors = max_errors
        self.max_commands = max_commands
        self.starttls_offered = starttls
        self.tls = tls
        self.auth_offered = auth
        self.auth_without_tls = auth_without_tls
        self.require_auth = require_auth
        self.state = INIT
        self.esmtp = False
        self.helo: str | None = None
        self.authenticated: str | None = None
        self.errors = 0
        self.commands = 0
        #: set when the connection must close once the outbox is written
        self.should_close = False
        self._buf = bytearray()
        self._out: list[bytes] = []
        self._discard_line = False
        self._pending: Event | None = None
        self._after_wait = READY
        self._mail_from = ""
        self._mail_params: dict[str, str | None] = {}
        self._rcpts: list[str] = []
        self._rcpt_tried = 0
        self._scan = 0
        self._too_big = False
        self._data_size = 0
        self._sasl: tuple[str, str] | None = None  # (mechanism, step) during an AUTH exchange
        self._sasl_user = ""
        self._reply(Reply(220, greeting or f"{hostname} ESMTP wirekit"))

    # -- public API ---------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes from the peer (``b""`` is EOF: a message not yet complete is dropped)."""
        if self.state == CLOSED:
            return
        if not data:
            self.state = CLOSED
            self._buf.clear()
            return
        self._buf += data

    def data_to_send(self) -> bytes:
        """Drain queued replies (in order)."""
        queued = self._out
        if not queued:
            return b""
        out = queued[0] if len(queued) == 1 else b"".join(queued)
        queued.clear()
        return out

    def send(self, reply: Reply) -> bytes:
        """Answer the pending event; returns every queued reply, this one last.

        Raises:
            LocalProtocolError: no event is waiting for a reply.
        """
        self.answer(reply)
        return self.data_to_send()

    def answer(self, reply: Reply) -> None:
        """Answer the pending event and queue the reply without draining the outbox.

        A driver answering several pipelined events calls this per event and
        ``data_to_send()`` once per batch (one write, no per-reply join).

        Raises:
            LocalProtocolError: no event is waiting for a reply.
        """
        ev = self._pending
        if ev is None:
            raise LocalProtocolError("no SMTP command is waiting for a reply")
        self._pending = None
        self.state = self._after_wait
        code = reply.code
        t = type(ev)
        if t is RcptTo:
            if code < 400:
                self._rcpts.append(ev.address)  # type: ignore[attr-defined]
                self.state = RCPT
        elif t is MailFrom:
            if code < 400:
                self._mail_from = ev.address  # type: ignore[attr-defined]
                self._mail_params = ev.params  # type: ignore[attr-defined]
                self.state = MAIL
        elif t is Message:
            self._reset_transaction()
        elif t is AuthAttempt and code == 235:
            self.authenticated = ev.username  # type: ignore[attr-defined]
        if code == 421:
            self.should_close = True
        wire = _WIRE.get(id(reply))  # _reply inlined: one call fewer per answered command
        self._out.append(reply.to_bytes(self.esmtp) if wire is None else wire[self.esmtp])
        if t is AuthAttempt and code != 235:
            self._error()  # counted after the reply, so a 421 at the limit follows the 535

    def tls_started(self) -> None:
        """The transport is now TLS: forget everything learnt before (RFC 3207 §4.2)."""
        self.tls = True
        self.state = INIT
        self.esmtp = False
        self.helo = None
        self.authenticated = None
        self._buf.clear()
        self._reset_transaction()

    @property
    def auth_available(self) -> bool:
        return self.auth_offered and (self.tls or self.auth_without_tls)

    def extensions(self) -> list[str]:
        """EHLO keywords offered in the current state (RFC 5321 §4.1.1.1)."""
        ext = [
            "PIPELINING",
            f"SIZE {self.max_message_size}",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
        ]
        if self.starttls_offered and not self.tls:
            ext.append("STARTTLS")
        if self.auth_available:
            ext.append("AUTH PLAIN LOGIN")
        ext.append("HELP")
        return ext

    def next_event(self) -> Event | Sentinel:
        """The next event, or NEED_DATA / PAUSED. Never raises on peer input."""
        buf = self._buf
        while True:
            state = self.state
            if state is DATA:
                if len(buf) < 5:
                    return NEED_DATA  # not even CRLF.CRLF yet (right after the 354)
                ev = self._next_data()
                if ev is None:
                    if self.state is DATA:
                        return NEED_DATA
                    continue  # the message was refused; commands may follow
                return ev
            if state is WAIT or state is TLS or state is CLOSED or self.should_close:
                return PAUSED if state is not CLOSED else NEED_DATA
            idx = buf.find(b"\n")
            if idx < 0:
                limit = AUTH_LINE_MAX if state is AUTH else self.max_line
                if len(buf) > limit:
                    # RFC 5321 §4.5.3.1.10: "500 Line too long"; skip to the next line end
                    del buf[:]
                    if not self._discard_line:
                        self._discard_line = True
                        self._error(R_LINE_TOO_LONG)
                return NEED_DATA
            if self._discard_line:
                del buf[: idx + 1]
                self._discard_line = False
                continue
            if idx >= self.max_line and (state is not AUTH or idx >= AUTH_LINE_MAX):
                del buf[: idx + 1]
                self._error(R_LINE_TOO_LONG)
                continue
            # RFC 5321 §2.3.8: only CRLF ends a line; the first CR must be the one before LF
            if idx == 0 or buf.find(b"\r", 0, idx) != idx - 1:
                del buf[: idx + 1]
                self._error(R_BARE_LF)
                continue
            line = buf[: idx - 1]
            del buf[: idx + 1]
            if state is AUTH:
                ev = self._handle_auth_line(bytes(line))
                if ev is not None:
                    return ev
                continue
            # _handle_command inlined (the hot path: one call fewer per command line)
            self.commands += 1
            if self.max_commands and self.commands > self.max_commands:
                self._reply(R_TOO_MANY_COMMANDS)
                self.should_close = True
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                self._error(R_BAD_UTF8)
                continue
            verb, _, arg = text.partition(" ")
            handler = _COMMANDS.get(verb) or _COMMANDS.get(verb.upper())
            if handler is None:
                self._error(R_UNKNOWN)
                continue
            ev = handler(self, arg)
            if ev is not None:
                return ev

    # -- internals ----------------------------------------------------------------------

    def _reply(self, reply: Reply) -> None:
        wire = _WIRE.get(id(reply))
        if wire is not None:
            self._out.append(wire[self.esmtp])
        else:
            self._out.append(reply.to_bytes(self.esmtp))

    def _error(self, reply: Reply | None = None) -> None:
        self.errors += 1
        if reply is not None:
            self._reply(reply)
        if self.errors >= self.max_errors and not self.should_close:
            self._reply(R_TOO_MANY_ERRORS)
            self.should_close = True

    def _wait(self, ev: Event, after: str) -> Event:
        self._pending = ev
        self._after_wait = after
        self.state = WAIT
        return ev

    def _reset_transaction(self) -> None:
        self._mail_from = ""
        self._mail_params = {}
        self._rcpts = []
        self._rcpt_tried = 0
        if self.state not in (INIT, TLS, CLOSED):
            self.state = READY

    def _cmd_ehlo(self, arg: str) -> Event | None:
        return self._hello(arg, True)

    def _cmd_helo(self, arg: str) -> Event | None:
        return self._hello(arg, False)

    def _hello(self, arg: str, esmtp: bool) -> Event | None:
        domain = arg.strip()
        if not domain or " " in domain:
            self._error(Reply(501, "Syntax: EHLO domain", "5.5.4"))
            return None
        self.esmtp = esmtp
        self.helo = domain
        self.state = READY
        self._reset_transaction()
        if esmtp:
            self._reply(Reply(250, "\n".join([self.hostname, *self.extensions()])))
        else:
            self._reply(Reply(250, self.hostname))
        return Hello(domain, esmtp)

    def _cmd_mail(self, arg: str) -> Event | None:
        state = self.state
        if state is INIT:
            self._error(R_NEED_HELO)
            return None
        if state is not READY:
            self._error(R_NESTED if state in (MAIL, RCPT) else R_SEQUENCE)
            return None
        if self.require_auth and self.authenticated is None:
            self._error(R_AUTH_REQUIRED)
            return None
        if arg[:5].upper() != "FROM:":
            self._error(Reply(501, "Syntax: MAIL FROM:<address>", "5.5.2"))
            return None
        try:
            m = _SIMPLE_PATH.match(arg, 5)  # parse_path's fast path, without the call and slice
            address, rest = (m[1], m[2]) if m is not None else parse_path(arg[5:])
            params = parse_params(rest) if rest else {}
        except DecodeError as exc:
            self._error(Reply(501, f"Syntax error in MAIL FROM: {exc}", "5.5.2"))
            return None
        if params:
            bad = self._check_mail_params(params)
            if bad is not None:
                self._error(bad)
                return None
        if not address.isascii() and "SMTPUTF8" not in params:
            self._error(R_NO_UTF8)
            return None
        ev = self._pending = MailFrom(address, params)  # _wait inlined (hot path)
        self._after_wait = READY
        self.state = WAIT
        return ev

    def _check_mail_params(self, params: dict[str, str | None]) -> Reply | None:
        if not self.esmtp:
            return R_PARAM
        for key, value in params.items():
            if key == "SIZE":
                # RFC 1870 §6: refuse up front when the declared size is over the limit
                if value is None or not value.isdigit():
                    return Reply(501, "Bad SIZE parameter", "5.5.4")
                if self.max_message_size and int(value) > self.max_message_size:
                    return R_TOO_BIG
            elif key == "BODY":
                if value is None or value.upper() not in ("7BIT", "8BITMIME"):
                    return Reply(501, "BODY must be 7BIT or 8BITMIME", "5.5.4")
            elif key == "SMTPUTF8":
                if value is not None:
                    return Reply(501, "SMTPUTF8 takes no value", "5.5.4")
            elif key == "AUTH":
                pass  # RFC 4954 §5: MAIL FROM AUTH=<> is allowed and may be ignored
            else:
                return R_PARAM
        return None

    def _cmd_rcpt(self, arg: str) -> Event | None:
        state = self.state
        if state is not MAIL and state is not RCPT:
            self._error(R_NEED_HELO if state is INIT else R_NEED_MAIL)
            return None
        if arg[:3].upper() != "TO:":
            self._error(Reply(501, "Syntax: RCPT TO:<address>", "5.5.2"))
            return None
        try:
            m = _SIMPLE_PATH.match(arg, 3)  # parse_path's fast path, without the call and slice
            address, rest = (m[1], m[2]) if m is not None else parse_path(arg[3:])
            params = parse_params(rest) if rest else {}
        except DecodeError as exc:
            if arg[3:].strip(" <>").lower() == "postmaster":
                address, params = "postmaster", {}  # RFC 5321 §4.5.1: <Postmaster> without domain
            else:
                self._error(Reply(501, f"Syntax error in RCPT TO: {exc}", "5.5.2"))
                return None
        if not address:
            self._error(Reply(501, "Empty recipient", "5.1.3"))
            return None
        if params:
            self._error(R_PARAM)  # no RCPT extensions are offered (DSN is not)
            return None
        if not address.isascii() and "SMTPUTF8" not in self._mail_params:
            self._error(R_NO_UTF8)
            return None
        self._rcpt_tried += 1
        if len(self._rcpts) >= self.max_recipients:
            # RFC 5321 §4.5.3.1.10: 452 for too many recipients; not counted as an error
            self._reply(R_TOO_MANY_RCPT)
            return None
        ev = self._pending = RcptTo(address, params)  # _wait inlined (hot path)
        self._after_wait = state
        self.state = WAIT
        return ev

    def _cmd_data(self, arg: str) -> Event | None:
        state = self.state
        if arg.strip():
            self._error(Reply(501, "DATA takes no argument", "5.5.4"))
            return None
        if state is not RCPT:
            if state is MAIL and self._rcpt_tried:
                # RFC 2920 §3.1: every RCPT failed; refuse the pipelined DATA
                self._reply(R_NO_VALID_RCPT)
            else:
                self._error(
                    R_NEED_HELO if state is INIT else R_NEED_RCPT if state is MAIL else R_SEQUENCE
                )
            return None
        self._reply(R_DATA)
        self.state = DATA
        # a CRLF before the body lets one search find CRLF.CRLF even for an empty message
        self._buf[0:0] = b"\r\n"
        self._scan = 0
        self._too_big = False
        self._data_size = 0
        return None

    def _next_data(self) -> Event | None:
        buf = self._buf
        idx = buf.find(b"\r\n.\r\n", self._scan)
        limit = self.max_message_size
        if idx < 0:
            if limit and len(buf) > limit + 3:
                # over SIZE: keep counting, keep only the tail that may start the terminator
                self._too_big = True
                self._data_size += len(buf) - 4
                del buf[:-4]
            self._scan = max(0, len(buf) - 4)
            return None
        body = bytes(buf[: idx + 2])
        del buf[: idx + 5]
        self._scan = 0
        self.state = READY
        size = self._data_size + len(body) - 2
        if self._too_big or (limit and size > limit):
            self._reset_transaction()
            self._reply(R_TOO_BIG)  # RFC 1870 §6.3
            return None
        # RFC 5321 §2.3.8: CR and LF only as CRLF (counting is C-speed; no per-byte Python)
        crlf = body.count(b"\r\n")
        if body.count(b"\n") != crlf or body.count(b"\r") != crlf:
            self._reset_transaction()
            self._reply(R_DATA_BARE)
            return None
        line_limit = self.max_data_line
        if (
            line_limit
            and len(body) > line_limit + 4
            and max(map(len, body.split(b"\r\n"))) > line_limit
        ):
            self._reset_transaction()
            self._reply(R_DATA_LINE)  # RFC 5321 §4.5.3.1.6: 998 octets + CRLF
            return None
        if b"\r\n.." in body:
            body = body.replace(b"\r\n..", b"\r\n.")  # RFC 5321 §4.5.2: remove one leading dot
        ev = Message(self._mail_from, self._rcpts, body[2:], self._mail_params)
        self._pending = ev  # _wait inlined (hot path)
        self._after_wait = READY
        self.state = WAIT
        return ev

    def _cmd_rset(self, arg: str) -> Event | None:
        self._reset_transaction()
        self._reply(R_OK)
        return None

    def _cmd_noop(self, arg: str) -> Event | None:
        self._reply(R_OK)
        return None

    def _cmd_quit(self, arg: str) -> Event | None:
        self._reply(R_BYE)
        self.should_close = True
        return None

    def _cmd_vrfy(self, arg: str) -> Event | None:
        self._reply(R_VRFY)
        return None

    def _cmd_expn(self, arg: str) -> Event | None:
        self._reply(Reply(502, "EXPN not implemented", "5.5.1"))
        return None

    def _cmd_help(self, arg: str) -> Event | None:
        self._reply(R_HELP)
        return None

    def _cmd_starttls(self, arg: str) -> Event | None:
        if arg.strip():
            self._error(Reply(501, "STARTTLS takes no argument", "5.5.4"))
            return None
        if self.tls:
            self._error(R_TLS_AGAIN)
            return None
        if not self.starttls_offered:
            self._error(R_TLS_NONE)
            return None
        if self.state in (MAIL, RCPT):
            self._error(R_SEQUENCE)
            return None
        self._reply(R_TLS_GO)
        # RFC 3207 §4.2 / CVE-2011-0411: bytes pipelined after STARTTLS are discarded
        self._buf.clear()
        self.state = TLS
        return StartTLS()

    def _cmd_auth(self, arg: str) -> Event | None:
        state = self.state
        if not self.auth_offered:
            self._error(R_AUTH_NONE)
            return None
        if state is INIT or not self.esmtp:
            self._error(R_NEED_HELO)
            return None
        if not self.auth_available:
            self._error(R_AUTH_TLS)  # RFC 4954 §6: 538 on cleartext
            return None
        if self.authenticated is not None:
            self._error(R_AUTH_AGAIN)
            return None
        if state is not READY:
            self._error(R_SEQUENCE)  # RFC 4954 §4: not during a mail transaction
            return None
        mech, _, initial = arg.strip().partition(" ")
        mech = mech.upper()
        if mech not in ("PLAIN", "LOGIN"):
            self._error(R_AUTH_MECH)
            return None
        if mech == "PLAIN":
            if not initial:
                return self._sasl_step("PLAIN", "response", "")
            return self._auth_plain(initial.strip())
        if not initial:
            return self._sasl_step("LOGIN", "user", "VXNlcm5hbWU6")  # "Username:"
        user = self._b64(initial.strip())
        if user is None:
            return None
        self._sasl_user = user
        return self._sasl_step("LOGIN", "password", "UGFzc3dvcmQ6")  # "Password:"

    def _sasl_step(self, mech: str, step: str, challenge: str) -> Event | None:
        self._sasl = (mech, step)
        self.state = AUTH
        self._reply(Reply(334, challenge))
        return None

    def _b64(self, text: str) -> str | None:
        try:
            return base64.b64decode(text, validate=True).decode("utf-8") if text != "=" else ""
        except (binascii.Error, ValueError):
            self.state = READY
            self._sasl = None
            self._error(R_AUTH_B64)  # RFC 4954 §4: 501 for a response that does not decode
            return None

    def _auth_plain(self, initial: str) -> Event | None:
        decoded = self._b64(initial)
        if decoded is None:
            return None
        parts = decoded.split("\0")
        if len(parts) != 3 or not parts[1]:
            self.state = READY
            self._error(R_AUTH_B64)
            return None
        self.state = READY
        return self._wait(AuthAttempt("PLAIN", parts[1], parts[2], parts[0]), READY)

    def _handle_auth_line(self, line: bytes) -> Event | None:
        assert self._sasl is not None
        mech, step = self._sasl
        text = line.decode("ascii", "replace").strip()
        if text == "*":
            self._sasl = None
            self.state = READY
            self._error(R_AUTH_CANCEL)
            return None
        if mech == "PLAIN":
            self._sasl = None
            return self._auth_plain(text)
        value = self._b64(text)
        if value is None:
            return None
        if step == "user":
            self._sasl_user = value
            self._sasl = ("LOGIN", "password")
            self._reply(Reply(334, "UGFzc3dvcmQ6"))
            return None
        self._sasl = None
        self.state = READY
        return self._wait(AuthAttempt("LOGIN", self._sasl_user, value), READY)


#: pre-rendered canned replies: id(reply) -> (without, with enhanced code). Built once, never mutated;
#: the module keeps every key object alive, so no id is ever reused.
_WIRE: dict[int, tuple[bytes, bytes]] = {
    id(r): (r.to_bytes(False), r.to_bytes(True))
    for r in list(globals().values())
    if isinstance(r, Reply)
}

_COMMANDS = {
    "EHLO": ServerConnection._cmd_ehlo,
    "HELO": ServerConnection._cmd_helo,
    "MAIL": ServerConnection._cmd_mail,
    "RCPT": ServerConnection._cmd_rcpt,
    "DATA": ServerConnection._cmd_data,
    "RSET": ServerConnection._cmd_rset,
    "NOOP": ServerConnection._cmd_noop,
    "QUIT": ServerConnection._cmd_quit,
    "VRFY": ServerConnection._cmd_vrfy,
    "EXPN": ServerConnection._cmd_expn,
    "HELP": ServerConnection._cmd_help,
    "STARTTLS": ServerConnection._cmd_starttls,
    "AUTH": ServerConnection._cmd_auth,
}
# lower-case spellings too (smtplib sends "mail FROM:"): one dict hit, no upper() per line
_COMMANDS.update({verb.lower(): cmd for verb, cmd in _COMMANDS.items()})
