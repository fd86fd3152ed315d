"""wirekit's manager against Net-SNMP snmpd: walks equal ``snmpbulkwalk``/``snmpwalk`` on stable
subtrees for v1, v2c and v3 (several USM combinations); SET; wrong credentials."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import (
    PARSE_OPTS,
    V3_USERS,
    Snmpd,
    parse_netsnmp,
    render,
    run_tool,
    v3_args,
    v3_kwargs,
)
from wirekit.errors import AuthenticationError, ReadTimeout
from wirekit.snmp.client import AsyncSNMPClient, SNMPClient

pytestmark = pytest.mark.interop

SYSTEM = "1.3.6.1.2.1.1"
SW_INSTALLED = "1.3.6.1.2.1.25.6.3"  # hrSWInstalledTable: large and stable
UPTIME = "1.3.6.1.2.1.1.3.0"


def reference(snmpd: Snmpd, tool: str, args: list[str], subtree: str) -> dict[str, str]:
    out = run_tool(
        tool, *args, *PARSE_OPTS, "-Cr25" if tool == "snmpbulkwalk" else "-Cc", snmpd.agent, subtree
    ).stdout
    ref = parse_netsnmp(out)
    ref.pop(UPTIME, None)
    return ref


def ours(client: SNMPClient, subtree: str) -> dict[str, str]:
    got = {str(vb.oid): render(vb.value) for vb in client.walk(subtree)}
    got.pop(UPTIME, None)
    return got


CASES = [
    pytest.param("1", None, id="v1"),
    pytest.param("2c", None, id="v2c"),
    *[pytest.param("3", u, id=f"v3-{u[0]}") for u in V3_USERS],
]


@pytest.mark.parametrize(("version", "user"), CASES)
@pytest.mark.parametrize("subtree", [SYSTEM, SW_INSTALLED])
def test_walk_equals_net_snmp(snmpd: Snmpd, version: str, user: Any, subtree: str) -> None:
    if version == "3":
        args, kwargs = v3_args(user), v3_kwargs(user)
    else:
        args, kwargs = [f"-v{version}", "-c", "public"], {"version": version, "community": "public"}
    tool = "snmpwalk" if version == "1" else "snmpbulkwalk"
    expected = reference(snmpd, tool, args, subtree)
    with SNMPClient(snmpd.agent, timeout=3, **kwargs) as client:
        got = ours(client, subtree)
    assert len(expected) > 3
    assert list(got) == list(expected)  # the same OIDs in the same order
    assert got == expected


def test_get_and_set_against_snmpd(snmpd: Snmpd) -> None:
    with SNMPClient(snmpd.agent, community="private", timeout=3) as c:
        c.set({"sysLocation.0": b"set by wirekit"})
    ref = parse_netsnmp(
        run_tool(
            "snmpget", "-v2c", "-c", "public", *PARSE_OPTS, snmpd.agent, "1.3.6.1.2.1.1.6.0"
        ).stdout
    )
    assert ref["1.3.6.1.2.1.1.6.0"] == b"set by wirekit".hex().upper()
    with SNMPClient(snmpd.agent, timeout=3, **v3_kwargs(V3_USERS[0])) as c:
        c.set({"sysLocation.0": b"set over v3"})
        assert c.get_value("sysLocation.0") == b"set over v3"


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"auth_password": "not-the-password"}, "wrongDigest"),
        ({"user": "nosuchuser"}, "unknownUserName"),
        ({"auth_protocol": "MD5"}, "wrongDigest"),
    ],
)
def test_wrong_credentials_are_refused(snmpd: Snmpd, change: dict[str, str], check: str) -> None:
    kwargs = {**v3_kwargs(V3_USERS[0]), **change}
    with (
        SNMPClient(snmpd.agent, timeout=2, retries=0, **kwargs) as c,
        pytest.raises(AuthenticationError) as info,
    ):
        c.get("sysName.0")
    assert info.value.check == check  # type: ignore[attr-defined]


def test_wrong_priv_password_times_out_like_net_snmp(snmpd: Snmpd) -> None:
    # snmpd counts usmStatsDecryptionErrors but sends no Report (it could not encrypt one for a
    # user whose key it cannot trust), so the manager sees silence, as snmpget does.
    kwargs = {**v3_kwargs(V3_USERS[0]), "priv_password": "not-the-password"}
    with (
        SNMPClient(snmpd.agent, timeout=0.5, retries=0, **kwargs) as c,
        pytest.raises(ReadTimeout, match=snmpd.agent),
    ):
        c.get("sysName.0")
    bad = v3_args((*V3_USERS[0][:4], "not-the-password"))
    proc = run_tool("snmpget", "-r0", "-t1", *bad, snmpd.agent, "1.3.6.1.2.1.1.5.0", check=False)
    assert proc.returncode != 0 and "Timeout" in proc.stdout + proc.stderr


def test_async_walk_equals_sync(snmpd: Snmpd) -> None:
    with SNMPClient(snmpd.agent, timeout=3) as c:
        sync = [(vb.oid, vb.value) for vb in c.walk(SW_INSTALLED)]

    async def run() -> list[Any]:
        async with AsyncSNMPClient(snmpd.agent, timeout=3, **v3_kwargs(V3_USERS[0])) as c:
            return [(vb.oid, vb.value) async for vb in c.walk(SW_INSTALLED)]

    assert asyncio.run(run()) == sync
