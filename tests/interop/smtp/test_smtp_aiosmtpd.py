"""The wirekit SMTP client (sync and async) against aiosmtpd, a real third-party server."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from peerlib import free_port
from wirekit.errors import AuthenticationError, SMTPReplyError
from wirekit.smtp import AsyncSMTPClient, SMTPClient, build_message, send
from wirekit.streams.certs import make_test_tls

pytestmark = pytest.mark.interop
aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")


class Collect:
    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"user" and auth_data.password == b"pass"
    # aiosmtpd#283: a failure must be handled=False or aiosmtpd sends no reply
    return aiosmtpd_smtp.AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def aiosmtpd(tmp_path_factory):
    tls = make_test_tls(tmp_path_factory.mktemp("tls"))
    handler = Collect()
    port = free_port()
    ctl = aiosmtpd_controller.Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls.server_context(),
        authenticator=authenticator,
        auth_require_tls=True,
        server_hostname="localhost",
    )
    ctl.start()
    try:
        yield handler, port, tls
    finally:
        ctl.stop()


def test_sync_pipelined_many_messages(aiosmtpd):
    handler, port, _ = aiosmtpd
    before = len(handler.envelopes)
    with SMTPClient(f"tcp:127.0.0.1:{port}", timeout=20) as c:
        for i in range(10):
            r = c.sendmail(
                "a@example.test",
                ["b@example.test", "refuse@example.test"],
                f"Subject: {i}\r\n\r\n.dot {i}\r\n".encode(),
            )
            assert r.accepted == ["b@example.test"] and r.refused["refuse@example.test"].code == 550
    got = handler.envelopes[before:]
    assert len(got) == 10
    assert got[3] == ("a@example.test", ["b@example.test"], b"Subject: 3\r\n\r\n.dot 3\r\n")


def test_starttls_auth_async(aiosmtpd):
    handler, port, tls = aiosmtpd
    ctx = ssl.create_default_context(cafile=str(tls.ca_cert))

    async def main() -> None:
        async with AsyncSMTPClient(
            f"tcp:localhost:{port}",
            starttls=True,
            ssl_context=ctx,
            username="user",
            password="pass",
            timeout=20,
        ) as c:
            assert c.conn.tls and c.conn.authenticated
            await c.send_message(
                build_message(
                    sender="a@example.test",
                    to="b@example.test",
                    subject="tls auth",
                    text="hi",
                    attachments=[("x.bin", b"\x00\x01", "application/octet-stream")],
                )
            )
        with pytest.raises(AuthenticationError):
            async with AsyncSMTPClient(
                f"tcp:localhost:{port}",
                starttls=True,
                ssl_context=ctx,
                username="user",
                password="bad",
                timeout=20,
            ):
                pass

    asyncio.run(main())
    assert b"Subject: tls auth" in handler.envelopes[-1][2]


def test_auth_before_tls_is_not_offered(aiosmtpd):
    _, port, _ = aiosmtpd
    with pytest.raises(AuthenticationError) as info:
        send(
            f"tcp:127.0.0.1:{port}",
            sender="a@example.test",
            to="b@example.test",
            text="x",
            username="user",
            password="pass",
            timeout=20,
        )
    assert "STARTTLS" in str(info.value)


def test_all_recipients_refused(aiosmtpd):
    _, port, _ = aiosmtpd
    with SMTPClient(f"tcp:127.0.0.1:{port}", timeout=20) as c:
        with pytest.raises(SMTPReplyError) as info:
            c.sendmail("a@example.test", ["refuse@example.test"], b"x\r\n")
        assert info.value.code == 550
        assert c.noop().code == 250
