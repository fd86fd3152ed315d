"""swaks (a real SMTP client, run as a process) against the wirekit mail sink."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from peerlib import require_tool

pytestmark = pytest.mark.interop


def swaks(server, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    exe = require_tool("swaks")
    host, port = server.server.address
    proc = subprocess.run(
        [exe, "--server", host, "--port", str(port), "--timeout", "20", *args],
        capture_output=True,
        text=True,
        timeout=60,
        encoding="utf-8",
        errors="replace",
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"swaks exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def captured(server, subject: str):
    return [m for m in server.messages() if m.summary.subject == subject]


def test_plain(smtp_server):
    subject = f"plain {uuid.uuid4()}"
    out = swaks(
        smtp_server,
        "--from",
        "alice@example.test",
        "--to",
        "bob@example.test,carol@example.test",
        "--header",
        f"Subject: {subject}",
        "--body",
        "hello from swaks",
    )
    assert "250 2.0.0 OK: queued as" in out.stdout
    (msg,) = captured(smtp_server, subject)
    assert msg.envelope_from == "alice@example.test"
    assert msg.envelope_to == ["bob@example.test", "carol@example.test"]
    assert "hello from swaks" in msg.text


def test_starttls_auth_plain_verified(smtp_server):
    subject = f"tls {uuid.uuid4()}"
    ca = smtp_server.info.extra["ca"]
    out = swaks(
        smtp_server,
        "-tls",
        "--tls-verify",
        "--tls-ca-path",
        ca,
        "--tls-sni",
        "localhost",
        "--auth",
        "PLAIN",
        "--auth-user",
        "wirekit",
        "--auth-password",
        "wirekit",
        "--from",
        "alice@example.test",
        "--to",
        "bob@example.test",
        "--header",
        f"Subject: {subject}",
    )
    assert "235 2.7.0" in out.stdout
    assert len(captured(smtp_server, subject)) == 1


def test_auth_refused_before_tls_and_wrong_password(smtp_server):
    out = swaks(
        smtp_server,
        "--auth",
        "PLAIN",
        "--auth-user",
        "wirekit",
        "--auth-password",
        "wirekit",
        "--from",
        "a@example.test",
        "--to",
        "b@example.test",
        check=False,
    )
    assert out.returncode != 0  # AUTH is not offered on cleartext
    ca = smtp_server.info.extra["ca"]
    out = swaks(
        smtp_server,
        "-tls",
        "--tls-ca-path",
        ca,
        "--auth",
        "PLAIN",
        "--auth-user",
        "wirekit",
        "--auth-password",
        "wrong",
        "--from",
        "a@example.test",
        "--to",
        "b@example.test",
        check=False,
    )
    assert out.returncode != 0
    assert "535 5.7.8" in out.stdout


def test_pipelining(smtp_server):
    subject = f"pipe {uuid.uuid4()}"
    out = swaks(
        smtp_server,
        "--pipeline",
        "--from",
        "a@example.test",
        "--to",
        "b@example.test,c@example.test",
        "--header",
        f"Subject: {subject}",
    )
    # swaks shows the pipelined commands sent together and the replies after them
    assert "PIPELINING" in out.stdout
    assert len(captured(smtp_server, subject)) == 1


def test_8bit_body(smtp_server):
    subject = f"8bit {uuid.uuid4()}"
    swaks(
        smtp_server,
        "--from",
        "a@example.test",
        "--to",
        "b@example.test",
        "--header",
        f"Subject: {subject}",
        "--header",
        "Content-Type: text/plain; charset=utf-8",
        "--header",
        "Content-Transfer-Encoding: 8bit",
        "--body",
        "Grüße, ça va? 日本語",
    )
    (msg,) = captured(smtp_server, subject)
    assert "Grüße, ça va? 日本語" in msg.text


def test_utf8_address_without_smtputf8_gets_553(smtp_server):
    # swaks 20201014 cannot send the SMTPUTF8 parameter; RFC 6531 §3.5 wants 553 5.6.7 then
    out = swaks(smtp_server, "--from", "jörg@example.test", "--to", "b@example.test", check=False)
    assert out.returncode != 0
    assert "553 5.6.7" in out.stdout


def test_bad_input_over_the_wire_keeps_the_session(smtp_server):
    # a raw DATA section with a bare LF: refused with 554 5.6.0, the connection survives
    out = swaks(
        smtp_server,
        "--from",
        "a@example.test",
        "--to",
        "b@example.test",
        "--no-data-fixup",
        "--data",
        "Subject: bare\r\n\r\nline\nwith bare LF\r\n.",
        check=False,
    )
    assert "554 5.6.0" in out.stdout
    assert "221 2.0.0 Bye" in out.stdout
