"""SMTPClient and AsyncSMTPClient: thin drivers running the plans of :class:`ClientConnection`.

Both twins: connect plain (25/587 with ``starttls=True``) or with implicit TLS (465,
``tls=True``); TLS verifies certificates by default. Every network step has a timeout.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import Any

from ..errors import BrokenStreamError, ConfigError
from .client_protocol import UPGRADE_TLS, ClientConnection, Plan, SendResult, Step
from .message import message_bytes
from .protocol import Reply

__all__ = ["AsyncSMTPClient", "SMTPClient", "asend", "parse_server", "send"]

Dialogue = Callable[[str, bytes], None]


def parse_server(
    server: str, *, port: int | None = None, tls: bool = False, starttls: bool = False
) -> tuple[str, str, str]:
    """``(endpoint, host, kind)`` for ``host``, ``host:port``, ``tcp:host:port`` or ``tls:host:port``.

    The default port is 465 with ``tls``, 587 with ``starttls`` and 25 otherwise.

    Raises:
        ConfigError: a bad endpoint or conflicting options.
    """
    from ..streams.endpoint import parse_endpoint

    if tls and starttls:
        raise ConfigError("choose implicit TLS (tls=True) or STARTTLS (starttls=True), not both")
    if server.startswith(("tcp:", "tls:")):
        ep = parse_endpoint(server)
        if ep.kind == "tls":
            tls = True
        if port is not None:
            ep = ep.with_port(port)
        host = ep.host
        text = str(ep)
    else:
        host, sep, p = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        if not sep:
            host = server.strip("[]")
        elif not p.isdigit():
            raise ConfigError(
                f"bad SMTP server {server!r}: expected HOST, HOST:PORT or an endpoint like tcp:HOST:PORT"
            )
        chosen = port or (int(p) if sep else (465 if tls else 587 if starttls else 25))
        shown = f"[{host}]" if ":" in host else host
        text = f"{'tls' if tls else 'tcp'}:{shown}:{chosen}"
    return text, host, "tls" if tls else "tcp"


class _Base:
    def __init__(
        self,
        server: str,
        *,
        port: int | None = None,
        tls: bool = False,
        starttls: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        verify: bool = True,
        timeout: float | None = 30.0,
        local_hostname: str | None = None,
        username: str | None = None,
        password: str | None = None,
        dialogue: Dialogue | None = None,
    ) -> None:
        self.endpoint, self.host, kind = parse_server(server, port=port, tls=tls, starttls=starttls)
        self.implicit_tls = kind == "tls"
        self.use_starttls = starttls
        if ssl_context is None and (self.implicit_tls or starttls):
            ssl_context = ssl.create_default_context()
            if not verify:
                ssl_context.check_hostname = False
                ssl_context.verify_mode = ssl.CERT_NONE
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.username = username
        self.password = password
        self.dialogue = dialogue
        if local_hostname is None:
            import socket

            local_hostname = (
                socket.gethostname() or "localhost"
            )  # no DNS lookup (getfqdn may block)
        self.conn = ClientConnection(local_hostname)

    @property
    def extensions(self) -> dict[str, str]:
        """What the server offered in its last EHLO reply."""
        return self.conn.extensions

    def _log_out(self, data: bytes) -> None:
        if self.dialogue is not None and data:
            self.dialogue("C", data)

    def _log_in(self, reply: Reply) -> None:
        if self.dialogue is not None:
            self.dialogue("S", reply.to_bytes())


class SMTPClient(_Base):
    """A blocking SMTP client. ``with SMTPClient("tcp:127.0.0.1:2525") as c: c.send_message(msg)``.

    Connects on ``connect()`` (or entering ``with``): greeting, EHLO, STARTTLS when asked,
    AUTH when ``username`` is given.

    Raises (from every call): ConnectError, TLSError, Timeout, BrokenStreamError,
    SMTPReplyError, AuthenticationError, DecodeError (a malformed reply).
    """

    def __init__(self, server: str, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.stream: Any = None

    def connect(self) -> Reply:
        """Connect and greet; returns the EHLO reply."""
        from ..streams.blocking import connect

        self.stream = connect(
            self.endpoint,
            timeout=self.timeout,
            ssl_context=self.ssl_context if self.implicit_tls else None,
        )
        self.conn.tls = self.implicit_tls
        try:
            reply = self._run(self.conn.greet())
            if self.use_starttls:
                reply = self.starttls()
            if self.username is not None:
                self.login(self.username, self.password or "")
        except BaseException:
            self.close()
            raise
        return reply  # type: ignore[no-any-return]

    def _run(self, plan: Plan) -> Any:
        conn = self.conn
        stream = self.stream
        replies: list[Reply] = []
        try:
            step = plan.send(None)  # type: ignore[arg-type]
            while True:
                if step is UPGRADE_TLS:
                    assert self.ssl_context is not None
                    stream.start_tls(self.ssl_context, server_hostname=self.host)
                    step = plan.send([])
                    continue
                assert isinstance(step, Step)
                if step.out:
                    if self.dialogue is not None:
                        self._log_out(step.out)
                    stream.send_all(step.out)
                replies = []
                while len(replies) < step.replies:
                    reply = conn.next_reply()
                    if reply is None:
                        data = stream.recv(65536)
                        if not data:
                            raise BrokenStreamError(f"{self.endpoint} closed the connection")
                        conn.receive_data(data)
                        continue
                    if self.dialogue is not None:
                        self._log_in(reply)
                    replies.append(reply)
                step = plan.send(replies)
        except StopIteration as stop:
            return stop.value

    def starttls(self) -> Reply:
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return self._run(self.conn.starttls())  # type: ignore[no-any-return]

    def login(self, username: str, password: str, mechanism: str | None = None) -> Reply:
        return self._run(self.conn.login(username, password, mechanism))  # type: ignore[no-any-return]

    def send_message(
        self,
        message: EmailMessage | bytes | str,
        sender: str | None = None,
        recipients: Sequence[str] | None = None,
    ) -> SendResult:
        """Send one message; envelope from the arguments or the message's headers.

        Raises:
            SMTPReplyError: MAIL, every RCPT, DATA or the message refused (``.result`` has details).
            LocalProtocolError: no sender/recipients, or the server lacks a needed extension.
        """
        if self.stream is None:
            self.connect()
        sender, rcpts, data = message_bytes(message, sender, recipients)
        return self._run(self.conn.send(sender, rcpts, data))  # type: ignore[no-any-return]

    def sendmail(
        self, sender: str, recipients: Sequence[str] | str, data: bytes | str
    ) -> SendResult:
        """smtplib-style: raw message bytes with an explicit envelope."""
        rcpts = [recipients] if isinstance(recipients, str) else list(recipients)
        return self.send_message(data.encode() if isinstance(data, str) else data, sender, rcpts)

    def command(self, line: str) -> Reply:
        """Any command (NOOP, RSET, VRFY, HELP); returns the reply without raising."""
        return self._run(self.conn.command(line))  # type: ignore[no-any-return]

    def noop(self) -> Reply:
        return self.command("NOOP")

    def quit(self) -> Reply | None:
        """QUIT and close; never raises for a server that already went away."""
        if self.stream is None:
            return None
        try:
            return self._run(self.conn.quit())  # type: ignore[no-any-return]
        except Exception:  # the session is over either way
            return None
        finally:
            self.close()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def __enter__(self) -> SMTPClient:
        if self.stream is None:
            self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.quit()


class AsyncSMTPClient(_Base):
    """The asyncio twin of :class:`SMTPClient` (same arguments, awaitable methods)."""

    def __init__(self, server: str, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.stream: Any = None

    async def connect(self) -> Reply:
        from ..streams.aio import aconnect

        self.stream = await aconnect(
            self.endpoint,
            timeout=self.timeout,
            ssl_context=self.ssl_context if self.implicit_tls else None,
        )
        self.conn.tls = self.implicit_tls
        try:
            reply = await self._run(self.conn.greet())
            if self.use_starttls:
                reply = await self.starttls()
            if self.username is not None:
                await self.login(self.username, self.password or "")
        except BaseException:
            await self.aclose()
            raise
        return reply  # type: ignore[no-any-return]

    async def _run(self, plan: Plan) -> Any:
        conn = self.conn
        stream = self.stream
        replies: list[Reply] = []
        try:
            step = plan.send(None)  # type: ignore[arg-type]
            while True:
                if step is UPGRADE_TLS:
                    assert self.ssl_context is not None
                    await stream.start_tls(self.ssl_context, server_hostname=self.host)
                    step = plan.send([])
                    continue
                assert isinstance(step, Step)
                if step.out:
                    if self.dialogue is not None:
                        self._log_out(step.out)
                    await stream.send_all(step.out)
                replies = []
                while len(replies) < step.replies:
                    reply = conn.next_reply()
                    if reply is None:
                        data = await stream.recv(65536)
                        if not data:
                            raise BrokenStreamError(f"{self.endpoint} closed the connection")
                        conn.receive_data(data)
                        continue
                    if self.dialogue is not None:
                        self._log_in(reply)
                    replies.append(reply)
                step = plan.send(replies)
        except StopIteration as stop:
            return stop.value

    async def starttls(self) -> Reply:
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return await self._run(self.conn.starttls())  # type: ignore[no-any-return]

    async def login(self, username: str, password: str, mechanism: str | None = None) -> Reply:
        return await self._run(self.conn.login(username, password, mechanism))  # type: ignore[no-any-return]

    async def send_message(
        self,
        message: EmailMessage | bytes | str,
        sender: str | None = None,
        recipients: Sequence[str] | None = None,
    ) -> SendResult:
        """See :meth:`SMTPClient.send_message`."""
        if self.stream is None:
            await self.connect()
        sender, rcpts, data = message_bytes(message, sender, recipients)
        return await self._run(self.conn.send(sender, rcpts, data))  # type: ignore[no-any-return]

    async def sendmail(
        self, sender: str, recipients: Sequence[str] | str, data: bytes | str
    ) -> SendResult:
        rcpts = [recipients] if isinstance(recipients, str) else list(recipients)
        return await self.send_message(
            data.encode() if isinstance(data, str) else data, sender, rcpts
        )

    async def command(self, line: str) -> Reply:
        return await self._run(self.conn.command(line))  # type: ignore[no-any-return]

    async def noop(self) -> Reply:
        return await self.command("NOOP")

    async def quit(self) -> Reply | None:
        if self.stream is None:
            return None
        try:
            return await self._run(self.conn.quit())  # type: ignore[no-any-return]
        except Exception:  # the session is over either way
            return None
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self.stream is not None:
            stream, self.stream = self.stream, None
            try:
                await stream.aclose()
            except Exception:  # closing a broken stream must not mask the real error
                pass

    async def __aenter__(self) -> AsyncSMTPClient:
        if self.stream is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.quit()


def send(
    server: str,
    message: EmailMessage | bytes | str | None = None,
    *,
    sender: str | None = None,
    to: str | Sequence[str] | None = None,
    subject: str = "",
    text: str | None = None,
    html: str | None = None,
    attachments: Sequence[Any] = (),
    **client_options: Any,
) -> SendResult:
    """Send one message and disconnect: ``send("tcp:127.0.0.1:2525", sender=..., to=..., text=...)``.

    Without ``message``, one is built with :func:`build_message`. ``client_options`` go to
    :class:`SMTPClient` (tls, starttls, username, password, timeout, verify, ssl_context).

    Raises: what :class:`SMTPClient` raises.
    """
    recipients = [to] if isinstance(to, str) else list(to) if to is not None else None
    if message is None:
        from .message import build_message

        if sender is None or not recipients:
            raise ConfigError("send() needs sender= and to= when no message is given")
        message = build_message(
            sender=sender,
            to=recipients,
            subject=subject,
            text=text,
            html=html,
            attachments=attachments,
        )
        recipients = None  # taken from the headers (To, and Bcc if any)
    with SMTPClient(server, **client_options) as client:
        return client.send_message(message, sender, recipients)


async def asend(
    server: str,
    message: EmailMessage | bytes | str | None = None,
    *,
    sender: str | None = None,
    to: str | Sequence[str] | None = None,
    subject: str = "",
    text: str | None = None,
    html: str | None = None,
    attachments: Sequence[Any] = (),
    **client_options: Any,
) -> SendResult:
    """The async twin of :func:`send`."""
    recipients = [to] if isinstance(to, str) else list(to) if to is not None else None
    if message is None:
        from .message import build_message

        if sender is None or not recipients:
            raise ConfigError("asend() needs sender= and to= when no message is given")
        message = build_message(
            sender=sender,
            to=recipients,
            subject=subject,
            text=text,
            html=html,
            attachments=attachments,
        )
        recipients = None
    async with AsyncSMTPClient(server, **client_options) as client:
        return await client.send_message(message, sender, recipients)
