"""The lab's SSH service: wirekit's SSHServer with a generated host key, user key and password."""

from __future__ import annotations

import secrets
import socket
from typing import Any

from .service import LabService, ServiceInfo, Tour


class SSHService(LabService):
    """SSH on ``ctx.host``: user ``wirekit`` with a password and a generated Ed25519 key, exec,
    SFTP rooted in the service's directory, forwarding on (``allow_forwarding=False`` to refuse)."""

    name = "ssh"

    async def start(self) -> None:
        from ..ssh.keys import generate_keypair
        from ..ssh.server import SSHServer

        d = self.ctx.subdir("ssh")
        self.user = str(self.options.get("user", "wirekit"))
        self.password = str(self.options.get("password") or secrets.token_urlsafe(12))
        self.key = generate_keypair(d / "id_ed25519", comment="wirekit-lab-user")
        self.server = SSHServer(
            self.ctx.host,
            self.port,
            users={self.user: self.password},
            authorized_keys=[self.key.public_line],
            host_key=None,
            root=d / "root",
            allow_forwarding=bool(self.options.get("allow_forwarding", True)),
        )
        await self.server.start()
        self.known_hosts = self.server.write_known_hosts(d / "known_hosts")

    async def stop(self) -> None:
        await self.server.stop()

    @property
    def target(self) -> str:
        """``user@host:port`` of the running server."""
        return f"{self.user}@{self.ctx.host}:{self.server.port}"

    def client_options(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for SSHClient/run_many that trust this server and use its key."""
        opts: dict[str, Any] = {
            "key_files": [str(self.key.private_path)],
            "known_hosts": str(self.known_hosts),
            "ssh_config": None,
            "agent": False,
        }
        opts.update(overrides)
        return opts

    @property
    def info(self) -> ServiceInfo:
        return ServiceInfo(
            self.name,
            {"ssh": f"ssh://{self.target}", "tcp": f"tcp:{self.ctx.host}:{self.server.port}"},
            credentials={
                "user": self.user,
                "password": self.password,
                "key": str(self.key.private_path),
                "known_hosts": str(self.known_hosts),
            },
            extra={"root": str(self.server.root), "host_key": self.server.host_public_key},
        )

    def tour(self, tour: Tour) -> None:
        from ..ssh import SSHClient, run_many

        opts = self.client_options()
        with (
            tour.step("exec with key auth (known_hosts verified)"),
            SSHClient(self.target, **opts) as c,
        ):
            r = c.run("echo hello from $USER", check=True)
            if r.stdout != f"hello from {self.user}\n":
                raise AssertionError(f"unexpected output {r.stdout!r}")
        with (
            tour.step("exec with password auth"),
            SSHClient(
                self.target, **self.client_options(key_files=[], password=self.password)
            ) as c,
        ):
            c.run("true", check=True)
        with (
            tour.step("sftp put/get with checksum"),
            SSHClient(self.target, **opts) as c,
            c.sftp() as s,
        ):
            scratch = self.ctx.subdir("ssh-tour")
            (scratch / "up.txt").write_bytes(b"wirekit lab\n" * 1000)
            up = s.put(scratch / "up.txt", "tour.txt", checksum=True)
            down = s.get("tour.txt", scratch / "down.txt", checksum=True)
            same = (scratch / "down.txt").read_bytes() == (scratch / "up.txt").read_bytes()
            if up[0].sha256 != down[0].sha256 or not same:
                raise AssertionError("sftp round trip mismatch")
            s.rm("tour.txt")
        with tour.step("fan-out: 20 sessions"):
            res = run_many([self.target] * 20, "echo ok", **opts)
            if res.summary.ok != 20:
                raise AssertionError(f"fan-out summary {res.summary}")
        with (
            tour.step("local forward to the server's own port"),
            SSHClient(self.target, **opts) as c,
            c.forward_local(0, self.ctx.host, self.server.port) as f,
        ):
            with socket.create_connection((self.ctx.host, f.port), timeout=5) as sock:
                banner = sock.recv(64)
            if not banner.startswith(b"SSH-2.0-"):
                raise AssertionError(f"no SSH banner through the tunnel: {banner!r}")
