"""The lab's FTP service: wirekit's FTPServer with a read-write and a read-only user, FTPS via AUTH TLS."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any

from .service import LabService, ServiceInfo, Tour

USER, PASSWORD = "wirekit", "wirekit"
READER, READER_PASSWORD = "reader", "reader"


class FTPService(LabService):
    """FTP with users ``wirekit``/``wirekit`` (all permissions) and ``reader``/``reader`` (read).

    Options: ``anonymous`` (bool, read-only anonymous login), ``passive_ports`` (range),
    ``max_per_user``, ``idle_timeout``, ``data_timeout``, ``require_tls``,
    ``require_ssl_reuse``, ``implicit_tls``.
    """

    name = "ftp"

    def __init__(self, ctx: Any, port: int = 0, **options: Any) -> None:
        super().__init__(ctx, port, **options)
        self.server: Any = None

    async def start(self) -> None:
        from ..ftp.server import FTPServer
        from ..ftp.users import UserDB

        self.root = self.ctx.subdir("ftp")
        (self.root / "pub").mkdir(exist_ok=True)
        (self.root / "pub" / "hello.txt").write_bytes(b"hello from the wirekit lab FTP server\n")
        users = UserDB()
        users.add(USER, PASSWORD, self.root, "rwdmf")
        users.add(READER, READER_PASSWORD, self.root / "pub", "r")
        if self.options.get("anonymous"):
            users.add_anonymous(self.root / "pub")
        self.server = FTPServer(
            users,
            self.ctx.host,
            self.port,
            ssl_context=self.ctx.tls.server_context(),
            passive_ports=self.options.get("passive_ports"),
            max_per_user=self.options.get("max_per_user"),
            idle_timeout=self.options.get("idle_timeout", 300.0),
            data_timeout=self.options.get("data_timeout", 30.0),
            require_tls=self.options.get("require_tls", False),
            require_ssl_reuse=self.options.get("require_ssl_reuse", False),
            implicit_tls=self.options.get("implicit_tls", False),
            auth_failure_delay=self.options.get("auth_failure_delay", 0.05),
        )
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(1.0)

    @property
    def info(self) -> ServiceInfo:
        host, port = self.server.address
        scheme = "ftps" if self.options.get("implicit_tls") else "ftp"
        return ServiceInfo(
            self.name,
            {
                "ftp": f"{scheme}://{host}:{port}/",
                "url": f"{scheme}://{USER}:{PASSWORD}@{host}:{port}/",
            },
            {USER: PASSWORD, READER: READER_PASSWORD},
            extra={
                "root": str(self.root),
                "ca": str(self.ctx.tls.ca_cert),
                "host": host,
                "port": port,
            },
        )

    def tour(self, tour: Tour) -> None:
        from ..ftp.client import FTPClient

        host, port = self.server.address
        data = os.urandom(1 << 20)
        digest = hashlib.sha256(data).hexdigest()
        with (
            tour.step("login + MLSD listing"),
            FTPClient(host, port, USER, PASSWORD, timeout=10) as c,
        ):
            names = {e.name for e in c.list("/")}
            if "pub" not in names:
                raise AssertionError(f"pub missing from listing {names}")
        with (
            tour.step("put + get 1 MiB (sha256 checked)"),
            FTPClient(host, port, USER, PASSWORD, timeout=10) as c,
        ):
            c.upload(io.BytesIO(data), "tour.bin")
            if hashlib.sha256(c.read_bytes("tour.bin")).hexdigest() != digest:
                raise AssertionError("checksum mismatch")
            c.delete("tour.bin")
        with (
            tour.step("FTPS (AUTH TLS, PROT P, test CA verified)"),
            FTPClient(
                host, port, USER, PASSWORD, tls="explicit", ca=self.ctx.tls.ca_cert, timeout=10
            ) as c,
        ):
            c.upload(io.BytesIO(data), "tour-tls.bin")
            if hashlib.sha256(c.read_bytes("tour-tls.bin")).hexdigest() != digest:
                raise AssertionError("checksum mismatch over TLS")
            c.delete("tour-tls.bin")
        with (
            tour.step("read-only user refused STOR"),
            FTPClient(host, port, READER, READER_PASSWORD, timeout=10) as c,
        ):
            from ..errors import FTPReplyError

            try:
                c.write_bytes("nope.txt", b"x")
            except FTPReplyError as exc:
                if exc.code != 550:
                    raise
            else:
                raise AssertionError("read-only user could upload")
