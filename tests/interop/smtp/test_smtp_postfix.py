"""The wirekit SMTP client against a real MTA: a private Postfix instance on a loopback high port.

The test writes its own main.cf/master.cf, queue and data directories under tmp_path and runs
``postfix -c CONFDIR start``; nothing in /etc/postfix is read or changed. Postfix delivers with
virtual(8) into Maildirs under tmp_path, which the test reads.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from peerlib import free_port, require_root, require_tool, wait_tcp
from wirekit.errors import SMTPReplyError
from wirekit.smtp import AsyncSMTPClient, SMTPClient, build_message
from wirekit.streams.certs import make_test_tls

pytestmark = pytest.mark.interop

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
virtual   unix  - n n -  - virtual
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class Postfix:
    def __init__(self, root: Path, port: int, tls) -> None:
        self.root, self.port, self.tls = root, port, tls
        self.conf, self.mail = root / "conf", root / "mail"

    def maildir(self, user: str) -> Path:
        return self.mail / user / "new"

    def wait_for(self, user: str, count: int, timeout: float = 30.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            d = self.maildir(user)
            files = sorted(d.iterdir()) if d.is_dir() else []
            if len(files) >= count:
                return [f.read_bytes() for f in files]
            time.sleep(0.1)
        log = (
            (self.root / "maillog").read_text(errors="replace")[-3000:]
            if (self.root / "maillog").exists()
            else ""
        )
        raise AssertionError(
            f"postfix delivered fewer than {count} messages to {user}; log:\n{log}"
        )


@pytest.fixture(scope="module")
def postfix():
    exe = require_tool("postfix")
    require_root("a private Postfix instance (its daemons switch to the postfix user)")
    try:
        pw = pwd.getpwnam("postfix")
    except KeyError:
        pytest.skip("no postfix user")
    # not under pytest's tmp dir: that is mode 0700 and Postfix's daemons run as the postfix user
    root = Path(tempfile.mkdtemp(prefix="wirekit-postfix-"))
    os.chmod(root, 0o755)
    for sub in ("conf", "queue", "data", "mail"):
        (root / sub).mkdir()
    for sub in ("data", "mail"):
        shutil.chown(root / sub, pw.pw_uid, pw.pw_gid)
    tls = make_test_tls(root / "tls", hosts=("localhost", "127.0.0.1"))
    for f in (tls.cert, tls.key):
        shutil.chown(f, pw.pw_uid, pw.pw_gid)  # smtpd reads them as the postfix user
    port = free_port()
    (root / "conf" / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
myhostname = mx.wirekit.test
mydomain = wirekit.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
relayhost =
virtual_mailbox_domains = wirekit.test
virtual_mailbox_base = {root}/mail
virtual_mailbox_maps = texthash:{root}/conf/vmailbox
virtual_uid_maps = static:{pw.pw_uid}
virtual_gid_maps = static:{pw.pw_gid}
virtual_minimum_uid = 1
smtputf8_enable = yes
smtpd_tls_security_level = may
smtpd_tls_cert_file = {tls.cert}
smtpd_tls_key_file = {tls.key}
smtpd_recipient_restrictions = reject_unauth_destination
maillog_file_prefixes = {root}
maillog_file = {root}/maillog
""")
    (root / "conf" / "vmailbox").write_text("bob@wirekit.test bob/\ncarol@wirekit.test carol/\n")
    (root / "conf" / "master.cf").write_text(MASTER_CF.format(port=port))
    pf = Postfix(root, port, tls)
    start = subprocess.run(
        [exe, "-c", str(root / "conf"), "start"], capture_output=True, text=True, timeout=60
    )
    try:
        wait_tcp(port, timeout=30)
    except TimeoutError:
        log = (root / "maillog").read_text(errors="replace") if (root / "maillog").exists() else ""
        subprocess.run([exe, "-c", str(root / "conf"), "abort"], capture_output=True, timeout=30)
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(
            f"postfix did not start ({start.returncode}): {start.stdout}{start.stderr}\n{log[-3000:]}"
        )
    try:
        yield pf
    finally:
        subprocess.run([exe, "-c", str(root / "conf"), "stop"], capture_output=True, timeout=60)
        if not os.environ.get("WIREKIT_KEEP_POSTFIX"):
            shutil.rmtree(root, ignore_errors=True)


def test_pipelined_send_with_per_recipient_results(postfix):
    with SMTPClient(f"tcp:127.0.0.1:{postfix.port}", timeout=20) as c:
        assert "PIPELINING" in c.extensions and "8BITMIME" in c.extensions
        msg = build_message(
            sender="alice@example.test",
            to=["bob@wirekit.test", "nobody@wirekit.test"],
            subject="to postfix",
            text="Grüße über Postfix",
        )
        result = c.send_message(msg)
        assert result.accepted == ["bob@wirekit.test"]
        assert result.refused["nobody@wirekit.test"].code == 550  # virtual: user unknown
        assert "queued as" in result.reply.text.lower() or result.reply.code == 250
        for i in range(5):
            c.sendmail(
                "alice@example.test",
                ["carol@wirekit.test"],
                f"Subject: many {i}\r\n\r\nbody {i}\r\n".encode(),
            )
    (delivered,) = postfix.wait_for("bob", 1)
    assert b"Subject: to postfix" in delivered and b"Return-Path: <alice@example.test>" in delivered
    assert len(postfix.wait_for("carol", 5)) == 5


def test_starttls_verified_against_test_ca_and_smtputf8(postfix):
    import ssl

    ctx = ssl.create_default_context(cafile=str(postfix.tls.ca_cert))
    with SMTPClient(
        f"tcp:localhost:{postfix.port}", starttls=True, ssl_context=ctx, timeout=20
    ) as c:
        assert c.conn.tls
        c.sendmail(
            "jörg@example.test", ["bob@wirekit.test"], "Subject: utf8 tls\r\n\r\nü\r\n".encode()
        )
    got = postfix.wait_for("bob", 2)
    assert any(b"Subject: utf8 tls" in m for m in got)
    with (
        pytest.raises(Exception) as info,
        SMTPClient(f"tcp:localhost:{postfix.port}", starttls=True, timeout=20),
    ):
        pass  # default context: the system CAs do not trust the test CA
    assert "certificate" in str(info.value).lower() or "verif" in str(info.value).lower()


def test_async_client_and_refused_everyone(postfix):
    async def main() -> None:
        async with AsyncSMTPClient(f"tcp:127.0.0.1:{postfix.port}", timeout=20) as c:
            await c.sendmail(
                "a@example.test", ["carol@wirekit.test"], b"Subject: async\r\n\r\nx\r\n"
            )
            with pytest.raises(SMTPReplyError) as info:
                await c.sendmail(
                    "a@example.test", ["x@elsewhere.test"], b"Subject: relay\r\n\r\nx\r\n"
                )
            assert info.value.code == 554 or info.value.code == 550  # relay access denied
            assert (await c.noop()).code == 250

    asyncio.run(main())
    got = postfix.wait_for("carol", 6)
    assert any(b"Subject: async" in m for m in got)
