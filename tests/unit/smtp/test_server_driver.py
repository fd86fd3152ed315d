"""SMTPServer over real loopback sockets: durability, relay policy, limits, drops mid-DATA."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from wirekit.errors import ConfigError
from wirekit.smtp import SMTPClient
from wirekit.smtp.server import RecipientPolicy, SinkHandler, SMTPServer
from wirekit.smtp.store import MaildirStore, MemoryStore


class Running:
    """An SMTPServer on its own event loop thread."""

    def __init__(self, server: SMTPServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(server.start(), self.loop).result(10)

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(1.0), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def run_server() -> Iterator:
    started: list[Running] = []

    def start(handler=None, **kw) -> Running:
        r = Running(SMTPServer(handler, "tcp:127.0.0.1:0", **kw))
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def talk(address, lines: bytes, *, expect: int, timeout: float = 10.0) -> bytes:
    """Send raw bytes, read until ``expect`` final reply lines arrived (or EOF)."""
    with socket.create_connection(address, timeout=timeout) as s:
        s.sendall(lines)
        data = b""
        deadline = time.monotonic() + timeout
        while (
            data.count(b"\r\n") - len([ln for ln in data.split(b"\r\n") if ln[3:4] == b"-"])
            < expect + 1
        ):
            if time.monotonic() > deadline:
                break
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def final_codes(data: bytes) -> list[int]:
    return [int(ln[:3]) for ln in data.split(b"\r\n") if len(ln) >= 4 and ln[3:4] == b" "]


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def test_maildir_message_is_complete_or_absent(run_server, tmp_path):
    store = MaildirStore(tmp_path / "Maildir")
    srv = run_server(SinkHandler(store, RecipientPolicy.of(accept_all=True)))
    # dropped mid-DATA: nothing stored, not even in tmp/
    with socket.create_connection(srv.address, timeout=10) as s:
        s.sendall(b"EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n")
        buf = b""
        while b"354" not in buf:
            buf += s.recv(4096)
        s.sendall(b"Subject: cut\r\n\r\nhalf a message\r\n")
    time.sleep(0.2)
    assert store.list() == []
    assert list((tmp_path / "Maildir" / "tmp").iterdir()) == []
    # a complete one is in new/ once 250 arrives (fsynced before the reply)
    out = talk(
        srv.address,
        b"EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nSubject: ok\r\n\r\nx\r\n.\r\nQUIT\r\n",
        expect=6,
    )
    assert final_codes(out) == [220, 250, 250, 250, 354, 250, 221]
    (item,) = store.list()
    assert (
        store.read(item.id)
        == b"Return-Path: <a@x.test>\nX-Wirekit-Rcpt: <b@y.test>\nSubject: ok\n\nx\n"
    )


def test_not_an_open_relay(run_server):
    store = MemoryStore()
    srv = run_server(
        SinkHandler(
            store, RecipientPolicy.of(domains=["mine.test"], recipients=["boss@other.test"])
        )
    )
    out = talk(
        srv.address,
        b"EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<u@mine.test>\r\nRCPT TO:<boss@other.test>\r\nRCPT TO:<x@elsewhere.test>\r\nQUIT\r\n",
        expect=6,
    )
    assert final_codes(out) == [220, 250, 250, 250, 250, 550, 221]
    assert b"5.7.1" in out


def test_accept_all_refused_on_non_loopback():
    handler = SinkHandler(MemoryStore(), RecipientPolicy.of(accept_all=True))
    server = SMTPServer(handler, "tcp:0.0.0.0:0")
    with pytest.raises(ConfigError, match="open relay"):
        asyncio.run(server.start())


def test_max_connections_421(run_server):
    srv = run_server(max_connections=1)
    with socket.create_connection(srv.address, timeout=10) as first:
        assert first.recv(100).startswith(b"220")
        out = talk(srv.address, b"", expect=0)
        assert out.startswith(b"421 4.7.0")
    assert srv.server.stats.refused == 1


def test_idle_timeout_421(run_server):
    srv = run_server(idle_timeout=0.3)
    with socket.create_connection(srv.address, timeout=10) as s:
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert b"421 4.4.2" in data


def test_starttls_injection_over_the_wire(run_server, tmp_path):
    from wirekit.streams.certs import make_test_tls

    tls = make_test_tls(tmp_path / "tls")
    store = MemoryStore()
    srv = run_server(
        SinkHandler(store, RecipientPolicy.of(accept_all=True)), ssl_context=tls.server_context()
    )
    import ssl

    with socket.create_connection(srv.address, timeout=10) as raw:
        f = raw.makefile("rb")
        f.readline()
        raw.sendall(b"EHLO c\r\n")
        while f.readline()[3:4] == b"-":
            pass
        # the injected MAIL must be discarded, not answered after the handshake
        raw.sendall(b"STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n")
        assert f.readline().startswith(b"220")
        ctx = ssl.create_default_context(cafile=str(tls.ca_cert))
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"NOOP\r\n")
            assert s.recv(100).startswith(b"250 ")


def test_handler_exceptions_become_451(run_server):
    class Broken(SinkHandler):
        def message(self, session, event):
            async def fail():
                raise RuntimeError("disk on fire")

            return fail()

    srv = run_server(Broken(MemoryStore(), RecipientPolicy.of(accept_all=True)))
    out = talk(
        srv.address,
        b"EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n",
        expect=6,
    )
    assert final_codes(out)[-2:] == [451, 250]


def test_client_against_sink_many_messages_and_rset_between(run_server):
    store = MemoryStore()
    srv = run_server(SinkHandler(store, RecipientPolicy.of(accept_all=True)))
    host, port = srv.address
    with SMTPClient(f"tcp:{host}:{port}", timeout=10) as c:
        for i in range(50):
            c.sendmail("a@x.test", ["b@y.test"], f"Subject: {i}\r\n\r\nbody\r\n")
    wait_until(lambda: len(store) == 50)
    assert srv.server.stats.messages == 50


class _SlowSender(SinkHandler):
    """An awaitable decision for MAIL: the pipelined commands behind it wait their turn."""

    async def _later(self) -> object:
        await asyncio.sleep(0.01)
        from wirekit.smtp.server_protocol import R_MAIL_OK

        return R_MAIL_OK

    def mail_from(self, session, address, params):  # type: ignore[override]
        return self._later()


@pytest.mark.parametrize("slow", [False, True])
def test_pipelined_transactions_in_one_segment(run_server, slow):
    store = MemoryStore()
    cls = _SlowSender if slow else SinkHandler
    r = run_server(cls(store, RecipientPolicy.of(accept_all=True)))
    one = b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nSubject: %d\r\n\r\n..dot\r\n.\r\n"
    data = talk(r.address, b"EHLO t\r\n" + one % 1 + one % 2 + b"QUIT\r\n", expect=10)
    assert final_codes(data) == [220, 250, 250, 250, 354, 250, 250, 250, 354, 250, 221]
    msgs = sorted(store.read(m.id) for m in store.list())
    assert len(msgs) == 2 and all(m.endswith(b"\r\n\r\n.dot\r\n") for m in msgs)
    assert r.server.stats.messages == 2
