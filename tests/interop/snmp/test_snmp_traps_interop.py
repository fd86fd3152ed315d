"""Traps both ways: snmptrapd receives wirekit's v1/v2c/v3 traps and informs; wirekit's
receiver decodes snmptrap's and snmpinform's."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[2]))

from conftest import AgentThread, netsnmp_env, run_tool
from peerlib import free_port, require_tool, stop_process
from wirekit.snmp.client import SNMPClient
from wirekit.snmp.trap import TrapReceiver
from wirekit.snmp.usm import USMUser
from wirekit.snmp.values import OctetString

pytestmark = pytest.mark.interop

SENDER_ENGINE = "80001f88050102030405060708"
V3 = {
    "user": "trapper",
    "auth_protocol": "SHA",
    "auth_password": "trap-auth-pass",
    "priv_protocol": "AES",
    "priv_password": "trap-priv-pass",
}


class Trapd:
    def __init__(self, port: int, log: Path, proc: subprocess.Popen[bytes]) -> None:
        self.port, self.log, self.proc = port, log, proc

    def lines(self, count: int, timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            got = [
                line
                for line in self.log.read_text(errors="replace").splitlines()
                if line.startswith("TRAP ")
            ]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.05)


@pytest.fixture
def snmptrapd(tmp_path: Path) -> Iterator[Trapd]:
    binary = require_tool("snmptrapd")
    port = free_port(__import__("socket").SOCK_DGRAM)
    conf = tmp_path / "snmptrapd.conf"
    conf.write_text(
        "authCommunity log public\n"
        # v3 traps: the sender is authoritative, so its engineID is configured here.
        f"createUser -e 0x{SENDER_ENGINE} trapper SHA trap-auth-pass AES trap-priv-pass\n"
        # v3 informs: snmptrapd is authoritative (its own engineID).
        "createUser trapper SHA trap-auth-pass AES trap-priv-pass\n"
        "authUser log trapper priv\n"
        "format1 TRAP v1 %N %w %q %v\\n\n"
        "format2 TRAP v2 %v\\n\n"
    )
    log = tmp_path / "trapd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                "-f",
                "-Lo",
                "-C",
                "-c",
                str(conf),
                "-p",
                str(tmp_path / "pid"),
                f"udp:127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=netsnmp_env(tmp_path),
        )
    deadline = time.monotonic() + 15
    while "NET-SNMP version" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_process(proc)
            raise RuntimeError(
                f"snmptrapd did not start: {log.read_text(errors='replace')[-2000:]}"
            )
        time.sleep(0.05)
    yield Trapd(port, log, proc)
    stop_process(proc)


def test_snmptrapd_receives_wirekit_notifications(snmptrapd: Trapd) -> None:
    ep = f"127.0.0.1:{snmptrapd.port}"
    with SNMPClient(ep, version=1) as c:
        c.send_trap("1.3.6.1.4.1.99999.0.1", [("1.3.6.1.4.1.99999.1", "v1 trap")])
    with SNMPClient(ep, timeout=3) as c:
        c.send_trap("1.3.6.1.4.1.99999.0.2", [("1.3.6.1.4.1.99999.1", "v2c trap")], uptime=77)
        c.inform("1.3.6.1.4.1.99999.0.3", [("1.3.6.1.4.1.99999.1", "v2c inform")])
    with SNMPClient(ep, version=3, timeout=3, engine_id=bytes.fromhex(SENDER_ENGINE), **V3) as c:
        c.send_trap("1.3.6.1.4.1.99999.0.4", [("1.3.6.1.4.1.99999.1", "v3 trap")])
        acked = c.inform("1.3.6.1.4.1.99999.0.5", [("1.3.6.1.4.1.99999.1", "v3 inform")])
    assert acked[-1].value == OctetString(b"v3 inform")
    lines = snmptrapd.lines(5)
    assert len(lines) == 5, lines
    assert lines[0].startswith(
        "TRAP v1 iso.3.6.1.4.1.99999 6 .1 "
    )  # enterprise, enterpriseSpecific, specific 1
    assert '"v1 trap"' in lines[0]
    for line, oid, text in zip(
        lines[1:],
        ["0.2", "0.3", "0.4", "0.5"],
        ["v2c trap", "v2c inform", "v3 trap", "v3 inform"],
        strict=True,
    ):
        assert f"1.3.6.1.4.1.99999.{oid}" in line.replace("iso.", "1.")
        assert f'"{text}"' in line
    assert "Timeticks: (77)" in lines[1]


def test_wirekit_receiver_decodes_net_snmp(tmp_path: Path) -> None:
    lt = AgentThread()
    user = USMUser("trapper", "SHA", "trap-auth-pass", "AES", "trap-priv-pass")
    receiver = TrapReceiver("udp:127.0.0.1:0", communities=["public"], users=[user])
    lt.call(receiver.start())
    try:
        ep = f"127.0.0.1:{receiver.address[1]}"
        v3 = [
            "-v3",
            "-l",
            "authPriv",
            "-u",
            "trapper",
            "-a",
            "SHA",
            "-A",
            "trap-auth-pass",
            "-x",
            "AES",
            "-X",
            "trap-priv-pass",
        ]
        run_tool(
            "snmptrap",
            "-v1",
            "-c",
            "public",
            ep,
            "1.3.6.1.4.1.99999",
            "127.0.0.1",
            "6",
            "17",
            "123",
            "1.3.6.1.4.1.99999.1",
            "s",
            "v1",
        )
        run_tool(
            "snmptrap", "-v1", "-c", "public", ep, "1.3.6.1.4.1.99999", "127.0.0.1", "3", "0", "124"
        )
        run_tool(
            "snmptrap",
            "-v2c",
            "-c",
            "public",
            ep,
            "456",
            "1.3.6.1.4.1.99999.0.2",
            "1.3.6.1.4.1.99999.1",
            "i",
            "42",
        )
        run_tool(
            "snmpinform",
            "-v2c",
            "-c",
            "public",
            ep,
            "457",
            "1.3.6.1.4.1.99999.0.3",
            "1.3.6.1.4.1.99999.1",
            "x",
            "00FF",
        )
        run_tool(
            "snmptrap",
            *v3,
            "-e",
            f"0x{SENDER_ENGINE}",
            ep,
            "0",
            "1.3.6.1.4.1.99999.0.4",
            "1.3.6.1.4.1.99999.1",
            "s",
            "v3 trap",
        )
        run_tool(
            "snmpinform",
            *v3,
            ep,
            "0",
            "1.3.6.1.4.1.99999.0.5",
            "1.3.6.1.4.1.99999.1",
            "s",
            "v3 inform",
        )
        notes = lt.call(receiver.wait_for(6, timeout=10))
    finally:
        lt.call(receiver.stop())
        lt.close()
    got = [(n.version, n.kind, n.trap_oid) for n in notes]
    assert got == [
        ("1", "trap-v1", "1.3.6.1.4.1.99999.0.17"),
        ("1", "trap-v1", "1.3.6.1.6.3.1.1.5.4"),  # generic linkUp (RFC 3584 §3.1)
        ("2c", "trap", "1.3.6.1.4.1.99999.0.2"),
        ("2c", "inform", "1.3.6.1.4.1.99999.0.3"),
        ("3", "trap", "1.3.6.1.4.1.99999.0.4"),
        ("3", "inform", "1.3.6.1.4.1.99999.0.5"),
    ]
    assert notes[0].uptime == 123
    assert notes[2].varbinds[0].value == 42
    assert bytes(notes[3].varbinds[0].value) == b"\x00\xff"  # type: ignore[arg-type]
    assert notes[4].varbinds[0].value == OctetString(b"v3 trap")
