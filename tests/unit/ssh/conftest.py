"""Fixtures for wirekit.ssh unit tests: a wirekit SSHServer on a private loop thread."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wirekit.ssh.keys import KeyPair, generate_keypair
from wirekit.ssh.server import ExecContext, SSHServer
from wirekit.ssh.sync import Portal


async def _drop(ctx: ExecContext) -> int:
    """Write a line, then abort the whole connection mid-command."""
    ctx.write("partial\n")
    await asyncio.sleep(0.05)
    ctx._process.channel.get_connection().abort()
    await asyncio.sleep(5)
    return 0


async def _hang(ctx: ExecContext) -> int:
    await asyncio.sleep(3600)
    return 0


def _hello(ctx: ExecContext) -> int:
    ctx.write(f"hello {ctx.user} {' '.join(ctx.argv[1:])}\n")
    ctx.write_stderr("to stderr\n")
    return 5


@dataclass
class SSHEnv:
    server: SSHServer
    portal: Portal
    port: int
    known_hosts: Path
    key: KeyPair
    user: str = "wk"
    password: str = "pw-123"

    @property
    def target(self) -> str:
        return f"{self.user}@127.0.0.1:{self.port}"

    def opts(self, **kw: object) -> dict[str, object]:
        base: dict[str, object] = {
            "password": self.password,
            "known_hosts": str(self.known_hosts),
            "ssh_config": None,
            "agent": False,
        }
        base.update(kw)
        return base


@pytest.fixture(scope="module")
def ssh_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHEnv]:
    tmp = tmp_path_factory.mktemp("sshenv")
    key = generate_keypair(tmp / "id_ed25519")
    portal = Portal("test-sshd")
    server = SSHServer(
        users={"wk": "pw-123"},
        authorized_keys=[key.public_line],
        root=tmp / "root",
        handlers={"drop": _drop, "hang": _hang, "hello": _hello},
        allow_forwarding=True,
    )
    portal.call(server.start())
    kh = server.write_known_hosts(tmp / "known_hosts")
    try:
        yield SSHEnv(server, portal, server.port, kh, key)
    finally:
        portal.call(server.stop())
        portal.close()
