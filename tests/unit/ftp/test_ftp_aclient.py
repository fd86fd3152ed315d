"""AsyncFTPClient against the lab server: the same operations as the blocking twin."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from pathlib import Path

import pytest

from wirekit.errors import AuthenticationError, FTPReplyError, TLSError
from wirekit.ftp.aclient import AsyncFTPClient
from wirekit.lab.service import LabService

DATA = os.urandom(2 * 1024 * 1024 + 5)
SHA = hashlib.sha256(DATA).hexdigest()


def make(svc: LabService, **kw: object) -> AsyncFTPClient:
    e = svc.info.extra
    return AsyncFTPClient(e["host"], e["port"], "wirekit", "wirekit", timeout=10, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("passive", [True, False])
def test_async_put_get_list(ftp_server: LabService, passive: bool, tmp_path: Path) -> None:
    async def main() -> None:
        async with make(ftp_server, passive=passive) as c:
            src = tmp_path / "src.bin"
            src.write_bytes(DATA)
            assert await c.upload(src, f"a-{passive}.bin") == len(DATA)
            assert await c.size(f"a-{passive}.bin") == len(DATA)
            assert hashlib.sha256(await c.read_bytes(f"a-{passive}.bin")).hexdigest() == SHA
            names = {e.name for e in await c.list("/")}
            assert f"a-{passive}.bin" in names
            assert f"a-{passive}.bin" in await c.nlst("/")
            local = tmp_path / "dl.bin"
            local.write_bytes(DATA[:1000])
            assert await c.download(f"a-{passive}.bin", local, resume=True) == len(DATA) - 1000
            assert hashlib.sha256(local.read_bytes()).hexdigest() == SHA
            await c.write_bytes("r.bin", DATA[:10])
            assert await c.upload(io.BytesIO(DATA), "r.bin", resume=True) == len(DATA) - 10
            assert (
                hashlib.sha256(
                    (Path(ftp_server.info.extra["root"]) / "r.bin").read_bytes()
                ).hexdigest()
                == SHA
            )

    asyncio.run(main())


def test_async_file_commands_and_errors(ftp_server: LabService) -> None:
    async def main() -> None:
        async with make(ftp_server) as c:
            assert await c.mkdir("/adir") == "/adir"
            await c.cwd("/adir")
            assert await c.pwd() == "/adir"
            await c.write_bytes("x.txt", b"x")
            await c.rename("x.txt", "y.txt")
            assert (await c.mlst("y.txt")).size == 1
            assert (await c.mdtm("y.txt")).year >= 2024
            await c.delete("y.txt")
            await c.cwd("/")
            await c.rmdir("adir")
            with pytest.raises(FTPReplyError):
                await c.size("missing")
        e = ftp_server.info.extra
        with pytest.raises(AuthenticationError):
            async with AsyncFTPClient(e["host"], e["port"], "wirekit", "bad", timeout=10):
                pass

    asyncio.run(main())


def test_async_ftps(ftp_server: LabService) -> None:
    async def main() -> None:
        async with make(ftp_server, tls="explicit", ca=ftp_server.info.extra["ca"]) as c:
            await c.write_bytes("atls.bin", DATA)
            assert hashlib.sha256(await c.read_bytes("atls.bin")).hexdigest() == SHA
            assert "atls.bin" in {e.name for e in await c.list("/")}
        with pytest.raises(TLSError):
            async with make(ftp_server, tls="explicit"):
                pass

    asyncio.run(main())
