"""The wirekit FTP server driven by ftplib (stdlib) and by wirekit's FTPClient, in-process."""

from __future__ import annotations

import ftplib
import hashlib
import io
import os
import socket
import ssl
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wirekit.errors import AuthenticationError, FTPReplyError, TLSError
from wirekit.ftp.client import FTPClient
from wirekit.lab.service import LabService

DATA = os.urandom(3 * 1024 * 1024 + 17)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture(scope="module")
def srv(ftp_server: LabService) -> LabService:
    return ftp_server


def addr(svc: LabService) -> tuple[str, int]:
    return svc.info.extra["host"], svc.info.extra["port"]


def root(svc: LabService) -> Path:
    return Path(svc.info.extra["root"])


@pytest.fixture
def client(srv: LabService) -> Iterator[FTPClient]:
    host, port = addr(srv)
    with FTPClient(host, port, "wirekit", "wirekit", timeout=10) as c:
        yield c


@pytest.fixture
def ftp(srv: LabService) -> Iterator[ftplib.FTP]:
    host, port = addr(srv)
    f = ftplib.FTP()
    f.connect(host, port, timeout=10)
    f.login("wirekit", "wirekit")
    yield f
    f.close()


class Raw:
    """A raw control connection for bad-input tests."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.f = self.sock.makefile("rb")
        self.greeting = self.reply()

    def reply(self) -> tuple[int, str]:
        line = self.f.readline()
        assert line, "server closed the control connection"
        code = int(line[:3])
        text = line[4:].decode(errors="replace").strip()
        if line[3:4] == b"-":
            while True:
                more = self.f.readline()
                if more[:4] == line[:3] + b" ":
                    break
        return code, text

    def cmd(self, raw: bytes) -> tuple[int, str]:
        self.sock.sendall(raw + b"\r\n")
        return self.reply()

    def login(self) -> None:
        assert self.cmd(b"USER wirekit")[0] == 331
        assert self.cmd(b"PASS wirekit")[0] == 230

    def close(self) -> None:
        self.f.close()
        self.sock.close()


@pytest.fixture
def raw(srv: LabService) -> Iterator[Raw]:
    r = Raw(*addr(srv))
    yield r
    r.close()


def test_listing_mlsd_list_nlst(srv: LabService, client: FTPClient, ftp: ftplib.FTP) -> None:
    (root(srv) / "listme").mkdir(exist_ok=True)
    for i in range(5):
        (root(srv) / "listme" / f"f{i}.txt").write_bytes(b"x" * i)
    entries = client.list("/listme")
    assert sorted((e.name, e.size) for e in entries) == [(f"f{i}.txt", i) for i in range(5)]
    assert dict(ftp.mlsd("listme"))["f3.txt"]["size"] == "3"
    lines: list[str] = []
    ftp.retrlines("LIST -la listme", lines.append)
    assert len(lines) == 5 and lines[0].endswith("f0.txt")
    assert sorted(ftp.nlst("listme")) == [f"f{i}.txt" for i in range(5)]
    assert client.mlst("/listme/f4.txt").size == 4


@pytest.mark.parametrize("passive", [True, False])
def test_put_get_checksum_wirekit_client(srv: LabService, passive: bool) -> None:
    host, port = addr(srv)
    name = f"wk-{passive}.bin"
    with FTPClient(host, port, "wirekit", "wirekit", passive=passive, timeout=10) as c:
        assert c.upload(io.BytesIO(DATA), name) == len(DATA)
        assert c.size(name) == len(DATA)
        assert hashlib.sha256(c.read_bytes(name)).hexdigest() == SHA
    assert hashlib.sha256((root(srv) / name).read_bytes()).hexdigest() == SHA


def test_put_get_checksum_ftplib_and_resume(srv: LabService, ftp: ftplib.FTP) -> None:
    ftp.storbinary("STOR lib.bin", io.BytesIO(DATA), blocksize=1 << 20)
    out = io.BytesIO()
    ftp.retrbinary("RETR lib.bin", out.write, blocksize=1 << 20)
    assert hashlib.sha256(out.getvalue()).hexdigest() == SHA
    # REST + RETR
    tail = io.BytesIO()
    ftp.retrbinary("RETR lib.bin", tail.write, rest=1000)
    assert tail.getvalue() == DATA[1000:]
    # STOR half, APPE the rest
    ftp.storbinary("STOR half.bin", io.BytesIO(DATA[:12345]))
    ftp.storbinary("APPE half.bin", io.BytesIO(DATA[12345:]))
    assert hashlib.sha256((root(srv) / "half.bin").read_bytes()).hexdigest() == SHA
    # REST + STOR overwrites from the offset
    ftp.storbinary("STOR rest.bin", io.BytesIO(b"A" * 100))
    ftp.storbinary("STOR rest.bin", io.BytesIO(b"BB"), rest=50)
    assert (root(srv) / "rest.bin").read_bytes() == b"A" * 50 + b"BB"


def test_client_resume_both_ways(srv: LabService, client: FTPClient, tmp_path: Path) -> None:
    client.write_bytes("res.bin", DATA[:5000])
    src = tmp_path / "src.bin"
    src.write_bytes(DATA)
    assert client.upload(src, "res.bin", resume=True) == len(DATA) - 5000
    assert hashlib.sha256((root(srv) / "res.bin").read_bytes()).hexdigest() == SHA
    local = tmp_path / "dl.bin"
    local.write_bytes(DATA[:777])
    seen: list[int] = []
    assert (
        client.download("res.bin", local, resume=True, progress=lambda d, t: seen.append(d))
        == len(DATA) - 777
    )
    assert hashlib.sha256(local.read_bytes()).hexdigest() == SHA
    assert seen[-1] == len(DATA)


def test_file_commands(srv: LabService, client: FTPClient) -> None:
    assert client.mkdir("/made") == "/made"
    client.cwd("/made")
    assert client.pwd() == "/made"
    client.write_bytes("a.txt", b"abc")
    client.rename("a.txt", "b.txt")
    assert client.size("b.txt") == 3
    assert abs(client.mdtm("b.txt").timestamp() - time.time()) < 300
    with pytest.raises(FTPReplyError) as e:
        client.rmdir("/made")
    assert e.value.code == 550
    client.delete("b.txt")
    client.cwd("/")
    client.rmdir("made")
    assert not (root(srv) / "made").exists()


def test_stor_interrupted_leaves_no_half_file(srv: LabService, raw: Raw) -> None:
    raw.login()
    code, text = raw.cmd(b"EPSV")
    assert code == 229
    port = int(text.split("|")[3])
    data = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert raw.cmd(b"STOR partial.bin")[0] == 150
    data.sendall(b"x" * 100000)
    raw.close()  # the client dies mid-transfer: control gone, data connection reset
    data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    data.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        leftovers = [p.name for p in root(srv).iterdir() if "partial" in p.name]
        if not leftovers:
            break
        time.sleep(0.05)
    assert not (root(srv) / "partial.bin").exists()
    assert leftovers == []


def test_read_only_user(srv: LabService) -> None:
    host, port = addr(srv)
    with FTPClient(host, port, "reader", "reader", timeout=10) as c:
        assert c.read_bytes("hello.txt").startswith(b"hello")
        for op in (
            lambda: c.write_bytes("x", b"1"),
            lambda: c.delete("hello.txt"),
            lambda: c.mkdir("d"),
            lambda: c.rename("hello.txt", "h"),
        ):
            with pytest.raises(FTPReplyError) as e:
                op()
            assert e.value.code == 550
        # the reader's root is pub/: the parent is out of reach
        with pytest.raises(FTPReplyError):
            c.cwd("..")


def test_anonymous_is_off_by_default_and_bad_password(srv: LabService) -> None:
    host, port = addr(srv)
    with pytest.raises(AuthenticationError):
        FTPClient(host, port, timeout=10)
    with pytest.raises(AuthenticationError):
        FTPClient(host, port, "wirekit", "wrong", timeout=10)


BAD_INPUT: list[tuple[bytes, int]] = [
    (b"XYZZY", 502),
    (b"STOR " + b"a" * 10000, 500),
    (b"RETR a\x00b", 501),
    (b"CWD ../..", 550),
    (b"RETR ../../../../etc/passwd", 550),
    (b"SIZE /../../etc/passwd", 550),
    (b"PORT 10,1,2,3,200,10", 501),
    (b"EPRT |1|10.1.2.3|5000|", 501),
    (b"PORT 127,0,0,1,0,21", 501),
    (b"PORT garbage", 501),
    (b"REST abc", 501),
    (b"RNTO x", 503),
    (b"DELE", 501),
]


@pytest.mark.parametrize(
    ("line", "code"), BAD_INPUT, ids=[c[0][:20].decode(errors="replace") for c in BAD_INPUT]
)
def test_bad_input_gets_5xx_and_server_keeps_serving(raw: Raw, line: bytes, code: int) -> None:
    raw.login()
    assert raw.cmd(line)[0] == code
    assert raw.cmd(b"NOOP")[0] == 200
    assert raw.cmd(b"PWD")[0] == 257


@pytest.mark.parametrize("line", [b"LIST", b"RETR hello.txt", b"CWD /", b"MKD x", b"PASV"])
def test_commands_before_login_refused(raw: Raw, line: bytes) -> None:
    assert raw.cmd(line)[0] == 530
    assert raw.cmd(b"NOOP")[0] == 200
    raw.login()


def test_symlink_outside_root_refused(srv: LabService, raw: Raw, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    link = root(srv) / "escape"
    if not link.is_symlink():
        link.symlink_to(secret)
    raw.login()
    assert raw.cmd(b"SIZE escape")[0] == 550
    host, port = raw.sock.getpeername()[:2]
    with FTPClient(host, port, "wirekit", "wirekit", timeout=10) as c:
        (entry,) = [e for e in c.list("/") if e.name == "escape"]
        assert entry.type != "file" and entry.size != len("top secret")  # the link, not its target
    assert raw.cmd(b"EPSV")[0] == 229
    assert raw.cmd(b"RETR escape")[0] == 550
    assert raw.cmd(b"NOOP")[0] == 200


def test_data_connection_from_foreign_address_refused(srv: LabService, raw: Raw) -> None:
    raw.login()
    code, text = raw.cmd(b"EPSV")
    assert code == 229
    port = int(text.split("|")[3])
    thief = socket.socket()
    thief.bind(("127.0.0.2", 0))  # another loopback address: not the control peer
    thief.settimeout(10)
    thief.connect(("127.0.0.1", port))
    assert thief.recv(10) == b""  # closed at once, nothing served
    thief.close()
    data = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert raw.cmd(b"RETR pub/hello.txt")[0] == 150
    got = b""
    while chunk := data.recv(65536):
        got += chunk
    data.close()
    assert got.startswith(b"hello")
    assert raw.reply()[0] == 226


def test_unknown_user_then_proper_session(raw: Raw) -> None:
    assert raw.cmd(b"USER nobody")[0] == 331
    assert raw.cmd(b"PASS x")[0] == 530
    assert raw.cmd(b"LIST")[0] == 530
    raw.login()


def test_feat_and_syst(raw: Raw) -> None:
    raw.sock.sendall(b"FEAT\r\n")
    lines = []
    while True:
        line = raw.f.readline()
        lines.append(line)
        if line.startswith(b"211 "):
            break
    feats = b"".join(lines)
    for f in (b"MLST", b"EPSV", b"REST STREAM", b"SIZE", b"MDTM", b"AUTH TLS"):
        assert f in feats
    assert raw.cmd(b"SYST")[0] == 215


def _tls_client(svc: LabService, **kw: Any) -> FTPClient:
    host, port = addr(svc)
    return FTPClient(
        host, port, "wirekit", "wirekit", tls="explicit", ca=svc.info.extra["ca"], timeout=10, **kw
    )


@pytest.mark.parametrize("passive", [True, False])
def test_ftps_explicit_wirekit_client(srv: LabService, passive: bool) -> None:
    with _tls_client(srv, passive=passive) as c:
        c.upload(io.BytesIO(DATA), f"tls-{passive}.bin")
        assert hashlib.sha256(c.read_bytes(f"tls-{passive}.bin")).hexdigest() == SHA
        assert any(e.name == f"tls-{passive}.bin" for e in c.list("/"))


def test_ftps_ftplib(srv: LabService) -> None:
    host, port = addr(srv)
    ctx = ssl.create_default_context(cafile=srv.info.extra["ca"])
    f = ftplib.FTP_TLS(context=ctx)
    f.connect(host, port, timeout=10)
    f.login("wirekit", "wirekit")
    f.prot_p()
    f.storbinary("STOR libtls.bin", io.BytesIO(DATA))
    out = io.BytesIO()
    f.retrbinary("RETR libtls.bin", out.write)
    assert hashlib.sha256(out.getvalue()).hexdigest() == SHA
    f.quit()


def test_ftps_certificate_verified_by_default(srv: LabService) -> None:
    host, port = addr(srv)
    with pytest.raises(TLSError):
        FTPClient(host, port, "wirekit", "wirekit", tls="explicit", timeout=10)


def test_prot_before_auth_refused(raw: Raw) -> None:
    assert raw.cmd(b"PROT P")[0] == 503
    assert raw.cmd(b"NOOP")[0] == 200


def test_per_user_limit_and_idle_timeout(wirekit_lab_factory: Callable[..., LabService]) -> None:
    svc = wirekit_lab_factory("ftp", max_per_user=1, idle_timeout=0.5)
    host, port = addr(svc)
    first = Raw(host, port)
    first.login()
    second = Raw(host, port)
    assert second.cmd(b"USER wirekit")[0] == 331
    assert second.cmd(b"PASS wirekit")[0] == 421
    second.close()
    # the idle first session is closed by the server with 421
    assert first.reply()[0] == 421
    first.close()
    third = Raw(host, port)
    third.login()
    third.close()


def test_implicit_tls_and_require_tls(wirekit_lab_factory: Callable[..., LabService]) -> None:
    svc = wirekit_lab_factory("ftp", implicit_tls=True)
    host, port = addr(svc)
    with FTPClient(
        host, port, "wirekit", "wirekit", tls="implicit", ca=svc.info.extra["ca"], timeout=10
    ) as c:
        c.write_bytes("i.bin", DATA)
        assert hashlib.sha256(c.read_bytes("i.bin")).hexdigest() == SHA
    req = wirekit_lab_factory("ftp", require_tls=True)
    host, port = addr(req)
    with pytest.raises(AuthenticationError):
        FTPClient(host, port, "wirekit", "wirekit", timeout=10)
    with FTPClient(
        host, port, "wirekit", "wirekit", tls="explicit", ca=req.info.extra["ca"], timeout=10
    ) as c:
        assert c.list("/") is not None


def test_stalled_transfer_is_aborted_and_session_goes_on(
    wirekit_lab_factory: Callable[..., LabService],
) -> None:
    svc = wirekit_lab_factory("ftp", data_timeout=0.5)
    r = Raw(*addr(svc))
    try:
        r.login()
        code, text = r.cmd(b"EPSV")
        assert code == 229
        data = socket.create_connection(("127.0.0.1", int(text.split("|")[3])), timeout=10)
        assert r.cmd(b"STOR stalled.bin")[0] == 150
        data.sendall(b"x" * 1000)  # then nothing: the watchdog ends it
        assert r.reply()[0] == 426
        data.close()
        assert r.cmd(b"NOOP")[0] == 200
        assert not (root(svc) / "stalled.bin").exists()
        assert not [p for p in root(svc).iterdir() if "stalled" in p.name]
        # a download whose client never reads stalls too (the socket buffers fill up)
        (root(svc) / "big.bin").write_bytes(DATA * 8)
        code, text = r.cmd(b"EPSV")
        assert code == 229
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", int(text.split("|")[3])))
        assert r.cmd(b"RETR big.bin")[0] == 150
        assert r.reply()[0] == 426
        slow.close()
        assert r.cmd(b"NOOP")[0] == 200
    finally:
        r.close()


def test_require_ssl_reuse(wirekit_lab_factory: Callable[..., LabService]) -> None:
    import asyncio

    from wirekit.ftp.aclient import AsyncFTPClient

    svc = wirekit_lab_factory("ftp", require_ssl_reuse=True)
    host, port = addr(svc)
    ca = svc.info.extra["ca"]
    with FTPClient(host, port, "wirekit", "wirekit", tls="explicit", ca=ca, timeout=10) as c:
        c.write_bytes("reuse.bin", DATA)  # the client resumes the control session
        assert c.read_bytes("reuse.bin") == DATA

    async def run() -> bytes:
        async with AsyncFTPClient(
            host, port, "wirekit", "wirekit", tls="explicit", ca=ca, timeout=10
        ) as a:
            return await a.read_bytes("reuse.bin")

    assert asyncio.run(run()) == DATA
    # a data connection with a fresh TLS session is refused
    ctx = ssl.create_default_context(cafile=ca)
    f = ftplib.FTP_TLS(context=ctx)
    f.connect(host, port, timeout=10)
    f.login("wirekit", "wirekit")
    f.prot_p()
    f.voidcmd("TYPE I")
    raw = f.sendcmd("PASV")
    assert raw.startswith("227")
    from wirekit.ftp.protocol import parse_227

    _h, dport = parse_227(raw[4:])
    plain = socket.create_connection((host, dport), timeout=10)
    f.putcmd("RETR reuse.bin")
    assert f.getresp().startswith("150")
    fresh = ssl.create_default_context(cafile=ca).wrap_socket(
        plain, server_hostname=host
    )  # no session
    with pytest.raises(ftplib.error_perm, match="522"):
        f.getresp()
    fresh.close()
    assert f.sendcmd("NOOP").startswith("200")
    f.close()


def test_abor_during_transfer(srv: LabService, ftp: ftplib.FTP) -> None:
    (root(srv) / "abor.bin").write_bytes(DATA * 8)
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("RETR abor.bin")
    assert len(conn.recv(65536)) > 0  # then stop reading: the server blocks in sendfile
    resp = ftp.abort()  # ABOR (with Telnet IP/Synch): acted on while the transfer runs
    assert resp.startswith("426")
    assert ftp.getresp().startswith("226")
    conn.close()
    assert ftp.sendcmd("NOOP").startswith("200")
    # an aborted STOR leaves nothing behind
    conn = ftp.transfercmd("STOR abor-up.bin")
    conn.sendall(b"y" * 100_000)
    assert ftp.abort().startswith("426")
    assert ftp.getresp().startswith("226")
    conn.close()
    assert not [p for p in root(srv).iterdir() if "abor-up" in p.name]


def test_pipelined_flood_is_answered_in_order(raw: Raw) -> None:
    raw.login()
    n = 2000  # far more than the server queues: it pauses reading and resumes, losing nothing
    raw.sock.sendall(b"NOOP\r\n" * n + b"PWD\r\n")
    codes = [raw.reply()[0] for _ in range(n + 1)]
    assert codes == [200] * n + [257]
