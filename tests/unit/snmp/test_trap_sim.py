"""Traps and informs (client -> receiver, v1/v2c/v3), .snmprec and the simulator, and the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wirekit.cli import cli
from wirekit.snmp.client import AsyncSNMPClient, SNMPClient
from wirekit.snmp.simulator import Simulator, record
from wirekit.snmp.snmprec import format_line, parse_line, read_snmprec, write_snmprec
from wirekit.snmp.trap import TrapReceiver
from wirekit.snmp.usm import USMUser
from wirekit.snmp.values import (
    Counter64,
    Gauge32,
    Integer,
    IpAddress,
    ObjectIdentifier,
    OctetString,
    Opaque,
    TimeTicks,
)

TRAP_USER = USMUser("trapper", "SHA-256", "authpassword", "AES-256", "privpassword")


def test_traps_and_informs_all_versions(loop_thread: Any) -> None:
    receiver = TrapReceiver("udp:127.0.0.1:0", communities=["public"], users=[TRAP_USER])
    loop_thread.call(receiver.start())
    try:
        ep = f"127.0.0.1:{receiver.address[1]}"
        with SNMPClient(ep, version=1) as c:
            c.send_trap("1.3.6.1.4.1.9999.0.7", [("1.3.6.1.4.1.9999.1", "v1")])
            c.send_trap(
                "1.3.6.1.6.3.1.1.5.3", [("1.3.6.1.2.1.2.2.1.1.1", 1)]
            )  # linkDown, generic 2
        with SNMPClient(ep) as c:
            c.send_trap("1.3.6.1.4.1.9999.0.1", [("1.3.6.1.4.1.9999.1", "v2c")], uptime=42)
            c.inform("1.3.6.1.4.1.9999.0.2", [("1.3.6.1.4.1.9999.1", "inform")])
        kw = {
            "version": 3,
            "user": "trapper",
            "auth_protocol": "SHA-256",
            "auth_password": "authpassword",
            "priv_protocol": "AES-256",
            "priv_password": "privpassword",
            "timeout": 2,
        }
        with SNMPClient(ep, **kw) as c:
            c.send_trap("1.3.6.1.4.1.9999.0.3", [("1.3.6.1.4.1.9999.1", "v3")])
            c.inform("1.3.6.1.4.1.9999.0.4", [("1.3.6.1.4.1.9999.1", "v3 inform")])

        async def async_trap() -> None:
            async with AsyncSNMPClient(ep) as ac:
                await ac.send_trap("1.3.6.1.4.1.9999.0.5")

        asyncio.run(async_trap())
        with SNMPClient(ep, community="wrong") as c:
            c.send_trap("1.3.6.1.4.1.9999.0.6")
        notes = loop_thread.call(receiver.wait_for(7))
    finally:
        loop_thread.call(receiver.stop())
    got = [(n.version, n.kind, n.trap_oid) for n in notes]
    assert got == [
        ("1", "trap-v1", "1.3.6.1.4.1.9999.0.7"),
        ("1", "trap-v1", "1.3.6.1.6.3.1.1.5.3"),
        ("2c", "trap", "1.3.6.1.4.1.9999.0.1"),
        ("2c", "inform", "1.3.6.1.4.1.9999.0.2"),
        ("3", "trap", "1.3.6.1.4.1.9999.0.3"),
        ("3", "inform", "1.3.6.1.4.1.9999.0.4"),
        ("2c", "trap", "1.3.6.1.4.1.9999.0.5"),
    ]
    assert notes[2].uptime == 42
    assert notes[4].varbinds[0].value == OctetString(b"v3")
    assert notes[4].security == "trapper"
    assert receiver.decoder.dropped == 1  # the wrong community


@pytest.mark.parametrize(
    "value",
    [
        Integer(-3),
        OctetString(b"text"),
        OctetString(b"\x00\x01|\n"),
        ObjectIdentifier("1.3.6.1"),
        IpAddress("10.0.0.1"),
        Gauge32(5),
        TimeTicks(7),
        Counter64(2**63),
        Opaque.from_float(1.5),
    ],
)
def test_snmprec_line_round_trip(value: Any) -> None:
    oid, back = parse_line(format_line((1, 3, 6, 1, 4, 1, 1, 0), value)) or (None, None)
    assert back == value and type(back) is type(value)
    assert oid == (1, 3, 6, 1, 4, 1, 1, 0)


def test_snmprec_reads_snmpsim_files(tmp_path: Path) -> None:
    path = tmp_path / "device.snmprec"
    path.write_text(
        "# comment\n"
        "1.3.6.1.2.1.1.1.0|4|Linux router\n"
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10\n"
        "1.3.6.1.2.1.1.3.0|67|123456\n"
        "1.3.6.1.2.1.2.2.1.6.1|4x|00155d010203\n"
        "1.3.6.1.2.1.2.2.1.10.1|65:numeric|rate=10,initial=5\n"
        "1.3.6.1.4.1.2021.10.1.6.1|68x|9f78043f000000\n"
    )
    rec = read_snmprec(path)
    assert len(rec.varbinds) == 5 and rec.skipped == 1
    assert rec.varbinds[3][1] == OctetString(bytes.fromhex("00155d010203"))
    assert rec.varbinds[4][1].float == 0.5  # type: ignore[attr-defined]


def test_record_then_simulate(start_agent: Any, loop_thread: Any, tmp_path: Path) -> None:
    agent = start_agent()
    out = tmp_path / "public.snmprec"
    n = record(agent.endpoint, out, root="1.3.6.1.2.1", timeout=2)
    assert n > 60
    other = tmp_path / "other.snmprec"
    write_snmprec(other, [((1, 3, 6, 1, 2, 1, 1, 1, 0), OctetString(b"second device"))])
    sim = Simulator([out, other], "udp:127.0.0.1:0")
    loop_thread.call(sim.start())
    try:
        ep = sim.devices[0].endpoint
        with SNMPClient(ep, community="public", timeout=2) as c:
            replay = [(vb.oid, vb.value) for vb in c.walk("1.3.6.1.2.1.2")]
        original = [(o, v) for o, v in read_snmprec(out).varbinds if o[:7] == (1, 3, 6, 1, 2, 1, 2)]
        assert replay == original
        with SNMPClient(ep, community="other", timeout=2) as c:
            assert c.get_value("sysDescr.0") == OctetString(b"second device")
    finally:
        loop_thread.call(sim.stop())
    per_port = Simulator([out, other], "udp:127.0.0.1:0", per_port=True)
    loop_thread.call(per_port.start())
    try:
        assert len({d.endpoint for d in per_port.devices}) == 2
        with SNMPClient(per_port.devices[1].endpoint, community="other", timeout=2) as c:
            assert c.get_value("sysDescr.0") == OctetString(b"second device")
    finally:
        loop_thread.call(per_port.stop())


def test_cli_commands(start_agent: Any, tmp_path: Path) -> None:
    agent = start_agent()
    ep = agent.endpoint
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert (
        json.loads(run("snmp", "get", ep, "sysDescr.0", "--json"))[0]["value"]
        == "wirekit demo agent"
    )
    assert (
        json.loads(run("snmp", "next", ep, "sysDescr.0", "--json"))[0]["oid"] == "1.3.6.1.2.1.1.2.0"
    )
    assert len(json.loads(run("snmp", "bulk", ep, "ifDescr", "-M", "3", "--json"))) == 3
    walked = json.loads(run("snmp", "walk", ep, "system", "--json"))
    assert len(walked) == 7
    assert "1.3.6.1.2.1.1.5.0 = OctetString: wirekit-lab" in run("snmp", "walk", ep, "system")
    assert (
        json.loads(run("snmp", "set", ep, "-c", "private", "sysName.0", "s", "cli", "--json"))[0][
            "value"
        ]
        == "cli"
    )
    assert sorted(json.loads(run("snmp", "table", ep, "ifTable", "--json"))["rows"]) == [
        "1",
        "2",
        "3",
        "4",
    ]
    v3 = [
        "-v",
        "3",
        "-u",
        "alice",
        "-l",
        "authPriv",
        "-a",
        "SHA",
        "-A",
        "authpassword",
        "-x",
        "AES",
        "-X",
        "privpassword",
    ]
    assert json.loads(run("snmp", "get", ep, "sysName.0", *v3, "--json"))[0]["value"] == "cli"
    out = tmp_path / "rec.snmprec"
    assert (
        json.loads(run("snmp", "record", ep, "-o", str(out), "--root", "1.3.6.1.2.1.1", "--json"))[
            "records"
        ]
        == 7
    )
    bad = runner.invoke(
        cli,
        [
            "snmp",
            "get",
            ep,
            "sysName.0",
            "-v",
            "3",
            "-u",
            "alice",
            "-l",
            "authPriv",
            "-a",
            "SHA",
            "-A",
            "wrongpassword",
            "-x",
            "AES",
            "-X",
            "privpassword",
        ],
    )
    assert isinstance(bad.exception, Exception)
    for sub in (
        "get",
        "next",
        "bulk",
        "walk",
        "set",
        "table",
        "record",
        "simulate",
        "trap",
        "traps",
    ):
        assert runner.invoke(cli, ["snmp", sub, "--help"]).exit_code == 0


def test_cli_exit_codes(start_agent: Any) -> None:
    from wirekit.cli import main

    agent = start_agent()
    with pytest.raises(SystemExit) as info:
        main(
            [
                "snmp",
                "get",
                agent.endpoint,
                "sysName.0",
                "-v",
                "3",
                "-u",
                "alice",
                "-l",
                "authPriv",
                "-a",
                "SHA",
                "-A",
                "wrongpassword",
                "-x",
                "AES",
                "-X",
                "privpassword",
            ]
        )
    assert info.value.code == 6  # AuthenticationError
    with pytest.raises(SystemExit) as info:
        main(["snmp", "get", "127.0.0.1:9", "sysName.0", "-t", "0.05", "-r", "0"])
    assert info.value.code == 4  # Timeout


def test_lab_fixture(snmp_agent: Any) -> None:
    info = snmp_agent.info
    creds = info.credentials
    with SNMPClient(info.endpoints["udp"], community=creds["community"], timeout=2) as c:
        assert "wirekit" in str(c.get_value("sysDescr.0"))
    auth = creds["v3_auth"].split()
    priv = creds["v3_priv"].split()
    with SNMPClient(
        info.endpoints["udp"],
        version=3,
        user=creds["v3_user"],
        auth_protocol=auth[0],
        auth_password=auth[1],
        priv_protocol=priv[0],
        priv_password=priv[1],
        timeout=2,
    ) as c:
        assert c.get("sysName.0")
