"""wirekit's FTPClient against a real vsftpd (anonymous with a writable incoming/, optional TLS).

vsftpd has no MLSD, so listings exercise the LIST fallback. Every transfer is checked by sha256.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2]))

from peerlib import free_port, require_root, require_tool, stop_process, wait_tcp
from wirekit.errors import FTPReplyError, TLSError
from wirekit.ftp.client import FTPClient
from wirekit.streams.certs import make_test_tls

pytestmark = pytest.mark.interop

DATA = os.urandom(4 * 1024 * 1024 + 3)
SHA = hashlib.sha256(DATA).hexdigest()


@dataclass
class Vsftpd:
    port: int
    root: Path
    ca: Path


@pytest.fixture(scope="module")
def vsftpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vsftpd]:
    exe = require_tool("vsftpd")
    require_root("vsftpd (chroot, drops to the 'ftp' user)")
    tmp = tmp_path_factory.mktemp("vsftpd")
    root, empty = tmp / "root", tmp / "empty"
    (root / "incoming").mkdir(parents=True)
    empty.mkdir()
    (root / "readme.txt").write_bytes(b"vsftpd interop\n")
    (root / "data.bin").write_bytes(DATA)
    os.chmod(root / "data.bin", 0o644)
    os.chmod(root / "readme.txt", 0o644)
    os.chmod(root / "incoming", 0o777)
    os.chmod(root, 0o555)  # vsftpd refuses a writable chroot
    tls = make_test_tls(tmp / "tls")  # EC P-256 server key: vsftpd 3.0.3 accepts it
    port = free_port()
    pasv = free_port()
    conf = tmp / "vsftpd.conf"
    conf.write_text(
        "\n".join(
            [
                "listen=YES",
                "listen_ipv6=NO",
                "listen_address=127.0.0.1",
                f"listen_port={port}",
                "background=NO",
                "anonymous_enable=YES",
                "local_enable=NO",
                f"anon_root={root}",
                "no_anon_password=YES",
                "ftp_username=ftp",
                "write_enable=YES",
                "anon_upload_enable=YES",
                "anon_mkdir_write_enable=YES",
                "anon_other_write_enable=YES",
                "anon_umask=022",
                "pasv_enable=YES",
                # a small passive range starting at a free port (vsftpd picks within it)
                f"pasv_min_port={pasv}",
                f"pasv_max_port={min(pasv + 20, 65535)}",
                "pasv_address=127.0.0.1",
                "port_enable=YES",
                f"secure_chroot_dir={empty}",
                "seccomp_sandbox=NO",
                "isolate=NO",
                "isolate_network=NO",
                "ssl_enable=YES",
                "allow_anon_ssl=YES",
                "force_anon_logins_ssl=NO",
                "force_anon_data_ssl=NO",
                f"rsa_cert_file={tls.cert}",
                f"rsa_private_key_file={tls.key}",
                "require_ssl_reuse=YES",
                "ssl_ciphers=HIGH",
                "xferlog_enable=NO",
                "",
            ]
        )
    )
    if not Path("/etc/passwd").read_text().count("\nftp:") and not Path(
        "/etc/passwd"
    ).read_text().startswith("ftp:"):
        pytest.skip("vsftpd needs the 'ftp' system user (created by the Debian vsftpd package)")
    proc = subprocess.Popen([exe, str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_tcp(port, proc=proc)
        yield Vsftpd(port, root, tls.ca_cert)
    finally:
        stop_process(proc)
        if proc.stdout:
            proc.stdout.close()


def client(v: Vsftpd, **kw: object) -> FTPClient:
    return FTPClient("127.0.0.1", v.port, timeout=15, **kw)  # type: ignore[arg-type]


def test_list_falls_back_to_list_parsing(vsftpd: Vsftpd) -> None:
    with client(vsftpd) as c:
        entries = {e.name: e for e in c.list("/")}
        assert c._mlsd_ok is False  # vsftpd answered 500 to MLSD
        assert entries["data.bin"].size == len(DATA)
        assert entries["incoming"].is_dir
        assert "readme.txt" in {
            n.rsplit("/", 1)[-1] for n in c.nlst("/")
        }  # vsftpd prefixes the path


@pytest.mark.parametrize("passive", [True, False])
def test_get_and_put_checksum(vsftpd: Vsftpd, passive: bool, tmp_path: Path) -> None:
    with client(vsftpd, passive=passive) as c:
        local = tmp_path / "dl.bin"
        assert c.download("data.bin", local) == len(DATA)
        assert hashlib.sha256(local.read_bytes()).hexdigest() == SHA
        name = f"incoming/up-{passive}.bin"
        assert c.upload(local, name) == len(DATA)
        assert c.size(name) == len(DATA)
    assert hashlib.sha256((vsftpd.root / name).read_bytes()).hexdigest() == SHA


def test_resume_both_ways(vsftpd: Vsftpd, tmp_path: Path) -> None:
    with client(vsftpd) as c:
        local = tmp_path / "part.bin"
        local.write_bytes(DATA[:1_000_000])
        assert c.download("data.bin", local, resume=True) == len(DATA) - 1_000_000
        assert hashlib.sha256(local.read_bytes()).hexdigest() == SHA
        c.upload(io.BytesIO(DATA[:333_333]), "incoming/resume.bin")
        assert c.upload(local, "incoming/resume.bin", resume=True) == len(DATA) - 333_333
    assert hashlib.sha256((vsftpd.root / "incoming" / "resume.bin").read_bytes()).hexdigest() == SHA


def test_file_commands(vsftpd: Vsftpd) -> None:
    with client(vsftpd) as c:
        c.mkdir("incoming/sub")
        c.write_bytes("incoming/sub/a.txt", b"abc")
        c.rename("incoming/sub/a.txt", "incoming/sub/b.txt")
        assert c.size("incoming/sub/b.txt") == 3
        assert c.mdtm("incoming/sub/b.txt").year >= 2024
        c.delete("incoming/sub/b.txt")
        c.rmdir("incoming/sub")
        with pytest.raises(FTPReplyError) as e:
            c.size("nope.bin")
        assert e.value.code == 550


@pytest.mark.parametrize("passive", [True, False])
def test_ftps_explicit(vsftpd: Vsftpd, passive: bool) -> None:
    with client(vsftpd, tls="explicit", ca=vsftpd.ca, passive=passive) as c:
        assert hashlib.sha256(c.read_bytes("data.bin")).hexdigest() == SHA
        c.upload(io.BytesIO(DATA), f"incoming/tls-{passive}.bin")
        assert {e.name for e in c.list("/incoming")} >= {f"tls-{passive}.bin"}
    assert (
        hashlib.sha256((vsftpd.root / "incoming" / f"tls-{passive}.bin").read_bytes()).hexdigest()
        == SHA
    )


def test_ftps_verifies_certificate(vsftpd: Vsftpd) -> None:
    with pytest.raises(TLSError):
        client(vsftpd, tls="explicit")


@pytest.mark.parametrize("tls", [None, "explicit"])
def test_async_client(vsftpd: Vsftpd, tls: str | None) -> None:
    import asyncio

    from wirekit.ftp.aclient import AsyncFTPClient

    async def main() -> None:
        async with AsyncFTPClient("127.0.0.1", vsftpd.port, tls=tls, ca=vsftpd.ca, timeout=15) as c:
            assert {"data.bin", "incoming"} <= {e.name for e in await c.list("/")}
            assert hashlib.sha256(await c.read_bytes("data.bin")).hexdigest() == SHA
            await c.upload(io.BytesIO(DATA), f"incoming/async-{tls}.bin")

    asyncio.run(main())
    assert (
        hashlib.sha256((vsftpd.root / "incoming" / f"async-{tls}.bin").read_bytes()).hexdigest()
        == SHA
    )


def test_pasv_fallback_path(vsftpd: Vsftpd) -> None:
    with client(vsftpd) as c:
        c._epsv_ok = False  # as after a server refused EPSV: PASV with its 227 reply
        assert hashlib.sha256(c.read_bytes("data.bin")).hexdigest() == SHA
        assert {e.name for e in c.list("/")} >= {"data.bin", "readme.txt"}


def test_port_fallback_path(vsftpd: Vsftpd) -> None:
    with client(vsftpd, passive=False) as c:
        c._eprt_ok = False  # PORT instead of EPRT
        assert hashlib.sha256(c.read_bytes("data.bin")).hexdigest() == SHA
