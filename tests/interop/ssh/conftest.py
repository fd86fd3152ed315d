"""A private OpenSSH sshd on a loopback high port (own config, host key, authorized key)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from peerlib import free_port, require_root, require_tool, stop_process, wait_tcp
from wirekit.ssh.hostkeys import known_hosts_pattern
from wirekit.ssh.keys import KeyPair, generate_keypair


@dataclass
class Sshd:
    port: int
    host_key: KeyPair
    user_key: KeyPair
    known_hosts: Path
    tmp: Path
    user: str = "root"

    @property
    def target(self) -> str:
        return f"{self.user}@127.0.0.1:{self.port}"

    def opts(self, **kw: object) -> dict[str, object]:
        base: dict[str, object] = {
            "key_files": [str(self.user_key.private_path)],
            "known_hosts": str(self.known_hosts),
            "ssh_config": None,
            "agent": False,
        }
        base.update(kw)
        return base


def sshd_config(tmp: Path, port: int, host_key: Path, authorized: Path) -> str:
    return f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile {authorized}
AcceptEnv WK_*
SetEnv SHLVL=1
Subsystem sftp internal-sftp
AllowTcpForwarding yes
MaxStartups 1000:30:1000
MaxSessions 1000
LogLevel ERROR
"""


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    binary = require_tool("sshd")
    require_root("sshd interop (privilege separation)")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    tmp = tmp_path_factory.mktemp("sshd")
    host_key = generate_keypair(tmp / "ssh_host_ed25519_key", comment="wirekit-test-host")
    user_key = generate_keypair(tmp / "id_ed25519", comment="wirekit-test-user")
    authorized = tmp / "authorized_keys"
    authorized.write_text(user_key.public_line + "\n")
    port = free_port()
    conf = tmp / "sshd_config"
    conf.write_text(sshd_config(tmp, port, host_key.private_path, authorized))
    check = subprocess.run([binary, "-t", "-f", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(
        [binary, "-D", "-e", "-f", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_tcp(port, proc=proc)
        kh = tmp / "known_hosts"
        kh.write_text(f"{known_hosts_pattern('127.0.0.1', port)} {host_key.public_line}\n")
        yield Sshd(port, host_key, user_key, kh, tmp)
    finally:
        stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()


@dataclass
class WkServer:
    server: object
    port: int
    user_key: KeyPair
    known_hosts: Path
    root: Path
    user: str = "wk"

    def ssh_opts(self) -> list[str]:
        return [
            "-F",
            "/dev/null",
            "-i",
            str(self.user_key.private_path),
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ConnectTimeout=10",
        ]


@pytest.fixture(scope="module")
def wk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WkServer]:
    """wirekit's SSHServer on a private loop thread, for OpenSSH clients to talk to."""
    from wirekit.ssh.server import SSHServer
    from wirekit.ssh.sync import Portal

    tmp = tmp_path_factory.mktemp("wkserver")
    user_key = generate_keypair(tmp / "id_ed25519")
    root = tmp / "root"
    portal = Portal("interop-wk-sshd")
    server = SSHServer(users={"wk": None}, authorized_keys=[user_key.public_line], root=root)
    portal.call(server.start())
    kh = tmp / "known_hosts"
    server.write_known_hosts(kh)
    try:
        yield WkServer(server, server.port, user_key, kh, root)
    finally:
        portal.call(server.stop())
        portal.close()
