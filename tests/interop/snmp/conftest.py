"""Real Net-SNMP peers for SNMP interop tests: snmpd started on a 127.0.0.1 high port with a
config written here, and a runner for the Net-SNMP command-line tools (no MIB loading)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[2]))

from peerlib import free_port, require_tool, stop_process
from wirekit.snmp.values import IpAddress, ObjectIdentifier, OctetString, Opaque, SNMPValue

#: v3 users created in snmpd (name, auth, auth pass, priv, priv pass); Net-SNMP protocol names.
V3_USERS = [
    ("shaaes", "SHA", "shaaes-auth", "AES", "shaaes-priv"),
    ("md5des", "MD5", "md5des-auth", "DES", "md5des-priv"),
    ("sha256aes192", "SHA-256", "s256-auth-pass", "AES-192", "s256-priv-pass"),
    ("sha512aes256", "SHA-512", "s512-auth-pass", "AES-256", "s512-priv-pass"),
    ("shaauth", "SHA", "shaauth-auth", None, None),
]


def netsnmp_env(tmp: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, MIBS="", MIBDIRS=str(tmp or "/nonexistent"))
    if tmp is not None:
        env["SNMP_PERSISTENT_DIR"] = str(tmp)
        env["HOME"] = str(tmp)  # no ~/.snmp/snmp.conf
    return env


def run_tool(
    tool: str,
    *args: str,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run a Net-SNMP tool with no MIBs loaded."""
    path = require_tool(tool)
    proc = subprocess.run(
        [path, *args], capture_output=True, text=True, env=env or netsnmp_env(), timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{tool} {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}"
        )
    return proc


def v3_args(user: tuple[str, str, str, str | None, str | None]) -> list[str]:
    name, auth, apw, priv, ppw = user
    if priv:
        return [
            "-v3",
            "-l",
            "authPriv",
            "-u",
            name,
            "-a",
            auth,
            "-A",
            apw,
            "-x",
            priv,
            "-X",
            ppw or "",
        ]
    return ["-v3", "-l", "authNoPriv", "-u", name, "-a", auth, "-A", apw]


def v3_kwargs(user: tuple[str, str, str, str | None, str | None]) -> dict[str, Any]:
    name, auth, apw, priv, ppw = user
    return {
        "version": 3,
        "user": name,
        "auth_protocol": auth,
        "auth_password": apw,
        "priv_protocol": priv,
        "priv_password": ppw,
    }


#: Options that make Net-SNMP print machine-comparable output: numeric OIDs, bare values,
#: numeric timeticks and enums, strings in hex.
PARSE_OPTS = ["-On", "-Oq", "-Ot", "-Oe", "-Ox"]


def parse_netsnmp(text: str) -> dict[str, str]:
    """``{oid: normalised value}`` from output printed with :data:`PARSE_OPTS`."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith(".1."):
            oid, _, value = line.partition(" ")
            current = oid.lstrip(".")
            out[current] = value
        elif current is not None:
            out[current] += line
    return {oid: _norm(v) for oid, v in out.items()}


def _norm(value: str) -> str:
    value = value.strip()
    if value.startswith('"') and value.endswith('"'):
        return value[1:-1].replace(" ", "").upper()
    if value.startswith(".") and value[1:].replace(".", "").isdigit():
        return value[1:]  # an OID value
    return value


def render(value: SNMPValue) -> str:
    """A wirekit value as :func:`parse_netsnmp` normalises Net-SNMP's rendering."""
    if isinstance(value, (OctetString,)):
        return bytes(value).hex().upper()
    if isinstance(value, ObjectIdentifier):
        return str(value)
    if isinstance(value, IpAddress):
        return str(value)
    if isinstance(value, Opaque):
        return f"{value.float:.6f}" if value.float is not None else bytes(value).hex().upper()
    return str(value)


@dataclass
class Snmpd:
    port: int
    proc: subprocess.Popen[bytes]
    workdir: Path

    @property
    def agent(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    """Net-SNMP snmpd on 127.0.0.1 with communities public (ro) and private (rw) and the
    :data:`V3_USERS`; volatile tables are outside the view."""
    binary = require_tool("snmpd")
    tmp = tmp_path_factory.mktemp("snmpd")
    port = free_port(__import__("socket").SOCK_DGRAM)
    lines = [
        f"agentAddress udp:127.0.0.1:{port}",
        "view stable included .1",
        "view stable excluded .1.3.6.1.2.1.25.4",  # hrSWRun, hrSWRunPerf: process churn
        "view stable excluded .1.3.6.1.2.1.25.5",
        "view stable excluded .1.3.6.1.2.1.6.13",
        "view stable excluded .1.3.6.1.2.1.6.19",
        "view stable excluded .1.3.6.1.2.1.6.20",
        "view stable excluded .1.3.6.1.2.1.7.5",
        "view stable excluded .1.3.6.1.2.1.7.7",
        "rocommunity public 127.0.0.1 -V stable",
        "rwcommunity private 127.0.0.1",
        "dontLogTCPWrappersConnects yes",
    ]
    for name, auth, apw, priv, ppw in V3_USERS:
        lines.append(f'createUser {name} {auth} "{apw}"' + (f' {priv} "{ppw}"' if priv else ""))
        lines.append(f"rwuser {name} {'priv' if priv else 'auth'}")
    conf = tmp / "snmpd.conf"
    conf.write_text("\n".join(lines) + "\n")
    log = open(tmp / "snmpd.log", "wb")  # noqa: SIM115 - lives as long as snmpd; a file, not a pipe nobody reads
    proc = subprocess.Popen(
        [binary, "-f", "-Lo", "-C", "-c", str(conf), "-p", str(tmp / "snmpd.pid")],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=netsnmp_env(tmp),
    )
    from wirekit.errors import ReadTimeout
    from wirekit.snmp.client import SNMPClient

    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            log.close()
            raise RuntimeError(
                f"snmpd exited: {(tmp / 'snmpd.log').read_text(errors='replace')[-2000:]}"
            )
        try:
            with SNMPClient(f"127.0.0.1:{port}", timeout=0.2, retries=0) as c:
                c.get("1.3.6.1.2.1.1.1.0")
            break
        except ReadTimeout:
            if time.monotonic() > deadline:
                stop_process(proc)
                log.close()
                raise
    try:
        yield Snmpd(port, proc, tmp)
    finally:
        stop_process(proc)
        log.close()


class AgentThread:
    """A wirekit asyncio server (agent, receiver) on a background loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[AgentThread]:
    lt = AgentThread()
    yield lt
    lt.close()
