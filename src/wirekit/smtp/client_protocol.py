"""The SMTP client machine: command encoders, reply parsing, and exchanges as generator plans.

Rule 1: every SMTP decision of the client lives here; the sync and async drivers in
``client.py`` only run a plan: write the bytes a plan yields, read as many replies as it
asks for, send them back in. One plan serves both twins, so they cannot drift apart.

A plan yields ``Step(out, replies)`` or ``UPGRADE_TLS`` (the driver upgrades the stream,
then sends ``[]``), and returns its result. Replies that refuse raise
:class:`~wirekit.errors.SMTPReplyError` (or :class:`~wirekit.errors.AuthenticationError`).
"""

from __future__ import annotations

import base64
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

from ..errors import AuthenticationError, LocalProtocolError, RemoteProtocolError, SMTPReplyError
from .protocol import Reply, ReplyReader, dot_stuff, parse_ehlo

__all__ = [
    "UPGRADE_TLS",
    "ClientConnection",
    "Plan",
    "SendResult",
    "Step",
]


@dataclass(frozen=True, slots=True)
class Step:
    """Write ``out`` (may be empty), then read ``replies`` replies."""

    out: bytes
    replies: int


class _Upgrade:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UPGRADE_TLS"


#: yielded by the STARTTLS plan after the 220: upgrade the stream, then send ``[]``.
UPGRADE_TLS = _Upgrade()

Plan = Generator["Step | _Upgrade", list[Reply], object]


@dataclass
class SendResult:
    """What happened to one message: accepted recipients, refused ones with their reply,
    and the server's final reply (its text often carries the queue id)."""

    sender: str
    accepted: list[str] = field(default_factory=list)
    refused: dict[str, Reply] = field(default_factory=dict)
    reply: Reply | None = None

    @property
    def ok(self) -> bool:
        return bool(self.accepted) and self.reply is not None and self.reply.code == 250


def _refused(reply: Reply, what: str) -> SMTPReplyError:
    err = SMTPReplyError(reply.code, reply.text, f"{what} refused: {reply}")
    err.reply = reply  # type: ignore[attr-defined]
    return err


def _check_address(address: str, what: str) -> None:
    if any(c in address for c in "\r\n<>") or " " in address.strip('"'):
        raise LocalProtocolError(f"bad {what} address {address!r}")


class ClientConnection:
    """One client session's protocol state (sans-IO): what the server offered, encoders, plans."""

    def __init__(self, local_hostname: str = "localhost", *, max_reply_line: int = 65536) -> None:
        self.local_hostname = local_hostname
        self.reader = ReplyReader(max_line=max_reply_line)
        #: EHLO keywords (upper case) -> parameters; empty until EHLO succeeds
        self.extensions: dict[str, str] = {}
        self.esmtp = False
        self.tls = False
        self.authenticated = False
        self.greeting: Reply | None = None

    # -- bytes in -----------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        self.reader.feed(data)

    def next_reply(self) -> Reply | None:
        """The next complete reply or None.

        Raises:
            DecodeError: a malformed reply line.
        """
        return self.reader.next_reply()

    def has(self, keyword: str) -> bool:
        return keyword in self.extensions

    @property
    def max_size(self) -> int:
        value = self.extensions.get("SIZE", "")
        return int(value) if value.isdigit() else 0

    # -- plans --------------------------------------------------------------------------

    def greet(self) -> Plan:
        """Read the 220 greeting, then EHLO (HELO if EHLO is refused)."""
        (greeting,) = yield Step(b"", 1)
        self.greeting = greeting
        if greeting.code != 220:
            raise _refused(greeting, "connection")
        return (yield from self.hello())

    def hello(self) -> Plan:
        name = (
            self.local_hostname.encode("idna")
            if not self.local_hostname.isascii()
            else self.local_hostname.encode()
        )
        (reply,) = yield Step(b"EHLO " + name + b"\r\n", 1)
        if reply.code == 250:
            self.esmtp = True
            self.extensions = parse_ehlo(reply)
            # RFC 2034: enhanced codes lead reply texts once the server offers them
            self.reader.enhanced = "ENHANCEDSTATUSCODES" in self.extensions
            return reply
        (reply,) = yield Step(b"HELO " + name + b"\r\n", 1)
        if reply.code != 250:
            raise _refused(reply, "HELO")
        self.esmtp = False
        self.extensions = {}
        return reply

    def starttls(self) -> Plan:
        """STARTTLS (RFC 3207), upgrade, EHLO again.

        Raises (from the plan): SMTPReplyError, LocalProtocolError (not offered),
        RemoteProtocolError (the server sent bytes after 220: a STARTTLS injection).
        """
        if self.tls:
            raise LocalProtocolError("already using TLS")
        if not self.has("STARTTLS"):
            raise LocalProtocolError("the server does not offer STARTTLS")
        (reply,) = yield Step(b"STARTTLS\r\n", 1)
        if reply.code != 220:
            raise _refused(reply, "STARTTLS")
        if self.reader.buffered:
            raise RemoteProtocolError(
                "server sent plaintext after its STARTTLS reply (RFC 3207 §4.2)"
            )
        yield UPGRADE_TLS
        self.tls = True
        # RFC 3207 §4.2: discard all knowledge obtained before TLS, then EHLO again
        self.extensions = {}
        self.reader = ReplyReader(max_line=self.reader.max_line)
        return (yield from self.hello())

    def login(self, username: str, password: str, mechanism: str | None = None) -> Plan:
        """AUTH PLAIN (preferred) or LOGIN (RFC 4954, RFC 4616).

        Raises (from the plan): AuthenticationError (refused or not offered), SMTPReplyError.
        """
        offered = self.extensions.get("AUTH", "").upper().split()
        if not offered:
            hint = "" if self.tls else " (it may offer AUTH only after STARTTLS)"
            raise AuthenticationError(f"the server does not offer AUTH{hint}")
        mech = (
            mechanism or ("PLAIN" if "PLAIN" in offered else "LOGIN" if "LOGIN" in offered else "")
        ).upper()
        if mech not in ("PLAIN", "LOGIN") or mech not in offered:
            raise AuthenticationError(
                f"no common AUTH mechanism (server offers {' '.join(offered)})"
            )
        if mech == "PLAIN":
            token = base64.b64encode(f"\0{username}\0{password}".encode()).decode()
            (reply,) = yield Step(f"AUTH PLAIN {token}\r\n".encode(), 1)
        else:
            (reply,) = yield Step(b"AUTH LOGIN\r\n", 1)
            if reply.code == 334:
                (reply,) = yield Step(base64.b64encode(username.encode()) + b"\r\n", 1)
            if reply.code == 334:
                (reply,) = yield Step(base64.b64encode(password.encode()) + b"\r\n", 1)
        if reply.code == 235:
            self.authenticated = True
            return reply
        if reply.code in (535, 534, 538, 454):
            raise AuthenticationError(f"authentication refused: {reply}")
        raise _refused(reply, "AUTH")

    def command(self, line: str) -> Plan:
        """One arbitrary command and its reply (NOOP, RSET, VRFY ...), never raising on refusal."""
        if "\r" in line or "\n" in line:
            raise LocalProtocolError("a command must not contain CR or LF")
        (reply,) = yield Step(line.encode("utf-8") + b"\r\n", 1)
        return reply

    def quit(self) -> Plan:
        (reply,) = yield Step(b"QUIT\r\n", 1)
        return reply

    def mail_params(self, data: bytes, sender: str, recipients: Sequence[str]) -> bytes:
        """ESMTP parameters of MAIL FROM for this message (SIZE, BODY, SMTPUTF8).

        Raises:
            LocalProtocolError: non-ASCII addresses without SMTPUTF8, 8-bit data without
                8BITMIME, or a message over the server's SIZE.
        """
        params = b""
        if self.has("SIZE"):
            limit = self.max_size
            if limit and len(data) > limit:
                raise LocalProtocolError(
                    f"message of {len(data)} bytes exceeds the server's SIZE {limit}"
                )
            params += b" SIZE=%d" % len(data)
        if not data.isascii():
            if self.has("8BITMIME"):
                params += b" BODY=8BITMIME"
            elif not self.has("SMTPUTF8"):
                raise LocalProtocolError(
                    "8-bit message but the server offers neither 8BITMIME nor SMTPUTF8"
                )
        if not sender.isascii() or not all(r.isascii() for r in recipients):
            if not self.has("SMTPUTF8"):
                raise LocalProtocolError(
                    "non-ASCII address but the server does not offer SMTPUTF8 (RFC 6531)"
                )
            params += b" SMTPUTF8"
        return params

    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> Plan:
        """One mail transaction, pipelined when the server offers PIPELINING (RFC 2920).

        Returns a SendResult; raises SMTPReplyError when MAIL, every RCPT, DATA or the
        message itself is refused (``.result`` on the error carries per-recipient replies).
        """
        if not recipients:
            raise LocalProtocolError("no recipients")
        _check_address(sender, "sender")
        for rcpt in recipients:
            _check_address(rcpt, "recipient")
        result = SendResult(sender)
        mail = (
            b"MAIL FROM:<"
            + sender.encode()
            + b">"
            + self.mail_params(data, sender, recipients)
            + b"\r\n"
        )
        rcpts = [b"RCPT TO:<" + r.encode() + b">\r\n" for r in recipients]
        if self.has("PIPELINING"):
            replies = yield Step(mail + b"".join(rcpts) + b"DATA\r\n", len(rcpts) + 2)
            mail_reply, rcpt_replies, data_reply = replies[0], replies[1:-1], replies[-1]
        else:
            (mail_reply,) = yield Step(mail, 1)
            if mail_reply.code != 250:
                yield from self._rset()
                raise _refused(mail_reply, "MAIL FROM")
            rcpt_replies = []
            for cmd in rcpts:
                (r,) = yield Step(cmd, 1)
                rcpt_replies.append(r)
            data_reply = None
        for rcpt, r in zip(recipients, rcpt_replies, strict=True):
            if r.code in (250, 251):
                result.accepted.append(rcpt)
            else:
                result.refused[rcpt] = r
        if data_reply is None and result.accepted:
            (data_reply,) = yield Step(b"DATA\r\n", 1)
        if mail_reply.code != 250 or not result.accepted:
            if data_reply is not None and data_reply.code == 354:
                # RFC 2920 §3.1: the server took DATA anyway; end it with an empty body
                yield Step(b".\r\n", 1)
            yield from self._rset()
            first = mail_reply if mail_reply.code != 250 else next(iter(result.refused.values()))
            err = _refused(first, "MAIL FROM" if mail_reply.code != 250 else "every recipient")
            err.result = result  # type: ignore[attr-defined]
            raise err
        assert data_reply is not None
        if data_reply.code != 354:
            yield from self._rset()
            err = _refused(data_reply, "DATA")
            err.result = result  # type: ignore[attr-defined]
            raise err
        (final,) = yield Step(dot_stuff(data), 1)
        result.reply = final
        if final.code != 250:
            err = _refused(final, "message")
            err.result = result  # type: ignore[attr-defined]
            raise err
        return result

    def _rset(self) -> Plan:
        (reply,) = yield Step(b"RSET\r\n", 1)
        return reply
