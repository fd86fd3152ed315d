"""Python's smtplib and aiosmtplib (real third-party clients) against the wirekit mail sink."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from email.message import EmailMessage

import pytest

pytestmark = pytest.mark.interop


def addr(server):
    return server.server.address


def subjects(server) -> list[str]:
    return [m.summary.subject for m in server.messages()]


def test_smtplib_many_messages_one_connection(smtp_server):
    tag = uuid.uuid4().hex[:8]
    host, port = addr(smtp_server)
    with smtplib.SMTP(host, port, timeout=20) as s:
        code, _ = s.ehlo()
        assert code == 250 and s.has_extn("pipelining") and s.has_extn("size")
        for i in range(20):
            refused = s.sendmail(
                "a@example.test",
                ["b@example.test"],
                f"Subject: {tag}-{i}\r\n\r\nbody {i}\r\n.leading dot\r\n",
            )
            assert refused == {}
    got = sorted(s for s in subjects(smtp_server) if s.startswith(tag))
    assert len(got) == 20
    msg = next(m for m in smtp_server.messages() if m.summary.subject == f"{tag}-3")
    assert msg.text == "body 3\n.leading dot\n"


def test_smtplib_starttls_login_verified(smtp_server):
    _host, port = addr(smtp_server)
    ctx = ssl.create_default_context(cafile=smtp_server.info.extra["ca"])
    subject = f"tls {uuid.uuid4()}"
    with smtplib.SMTP("localhost", port, timeout=20) as s:
        s.ehlo()
        assert not s.has_extn("auth")  # RFC 4954: not before TLS
        s.starttls(context=ctx)
        s.ehlo()
        assert "PLAIN" in s.esmtp_features["auth"]
        s.login("wirekit", "wirekit")
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "a@example.test", "b@example.test", subject
        m.set_content("over TLS")
        s.send_message(m)
    assert subject in subjects(smtp_server)


def test_smtplib_wrong_password_and_unverified_cert(smtp_server):
    _host, port = addr(smtp_server)
    with smtplib.SMTP("localhost", port, timeout=20) as s:
        s.starttls(context=ssl.create_default_context(cafile=smtp_server.info.extra["ca"]))
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            s.login("wirekit", "nope")
        assert info.value.smtp_code == 535
    with (
        smtplib.SMTP("localhost", port, timeout=20) as s,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        s.starttls(context=ssl.create_default_context())  # the system CAs do not know the lab CA


def test_smtplib_implicit_tls(smtp_server):
    _host, port = smtp_server.smtps.address
    ctx = ssl.create_default_context(cafile=smtp_server.info.extra["ca"])
    subject = f"smtps {uuid.uuid4()}"
    with smtplib.SMTP_SSL("localhost", port, context=ctx, timeout=20) as s:
        s.login("wirekit", "wirekit")
        s.sendmail("a@example.test", ["b@example.test"], f"Subject: {subject}\r\n\r\nx\r\n")
    assert subject in subjects(smtp_server)


def test_smtplib_smtputf8(smtp_server):
    host, port = addr(smtp_server)
    subject = f"utf8 {uuid.uuid4()}"
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "jörg@例え.test", "用户@例子.test", subject
    m.set_content("Grüße")
    with smtplib.SMTP(host, port, timeout=20) as s:
        s.send_message(m)  # smtplib adds SMTPUTF8 for non-ASCII addresses
    (msg,) = [x for x in smtp_server.messages() if x.summary.subject == subject]
    assert msg.envelope_from == "jörg@例え.test"
    assert msg.envelope_to == ["用户@例子.test"]


def test_smtplib_size_limit_and_refusals(wirekit_lab_factory):
    svc = wirekit_lab_factory("smtp", store="memory", web=False)
    host, port = svc.server.address
    with smtplib.SMTP(host, port, timeout=20) as s:
        s.ehlo()
        limit = int(s.esmtp_features["size"])
        with pytest.raises(smtplib.SMTPSenderRefused) as info:
            s.sendmail(
                "a@example.test", ["b@example.test"], b"x" * 10, mail_options=[f"SIZE={limit + 1}"]
            )
        assert info.value.smtp_code == 552


def test_aiosmtplib_concurrent_and_starttls(smtp_server):
    aiosmtplib = pytest.importorskip("aiosmtplib")
    host, port = addr(smtp_server)
    tag = uuid.uuid4().hex[:8]
    ctx = ssl.create_default_context(cafile=smtp_server.info.extra["ca"])

    async def one_conn(i: int) -> None:
        async with aiosmtplib.SMTP(hostname=host, port=port, timeout=20, start_tls=False) as c:
            for j in range(5):
                await c.sendmail(
                    "a@example.test", ["b@example.test"], f"Subject: {tag}-{i}-{j}\r\n\r\nx\r\n"
                )

    async def tls_auth() -> None:
        await aiosmtplib.send(
            f"Subject: {tag}-tls\r\n\r\nx\r\n",
            sender="a@example.test",
            recipients=["b@example.test"],
            hostname="localhost",
            port=port,
            start_tls=True,
            tls_context=ctx,
            username="wirekit",
            password="wirekit",
            timeout=20,
        )

    async def main() -> None:
        await asyncio.gather(*(one_conn(i) for i in range(10)), tls_auth())

    asyncio.run(main())
    got = [s for s in subjects(smtp_server) if s.startswith(tag)]
    assert len(got) == 51
