"""Net-SNMP's tools against the wirekit agent: snmpget, snmpgetnext, snmpwalk, snmpbulkwalk,
snmpset and snmptable return exactly the agent's data for v1, v2c and v3; wrong credentials
are refused."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import PARSE_OPTS, AgentThread, netsnmp_env, parse_netsnmp, render, run_tool
from wirekit.snmp.agent import SNMPAgent
from wirekit.snmp.demo import demo_tree
from wirekit.snmp.usm import USMUser
from wirekit.snmp.values import Counter64, Gauge32, IpAddress, ObjectIdentifier, OctetString

pytestmark = pytest.mark.interop

USERS = [
    USMUser("shaaes", "SHA", "shaaes-auth", "AES", "shaaes-priv"),
    USMUser("md5des", "MD5", "md5des-auth", "DES", "md5des-priv"),
    USMUser("sha512aes256", "SHA-512", "s512-auth-pass", "AES-256", "s512-priv-pass"),
]
UPTIME = "1.3.6.1.2.1.1.3.0"


def volatile(oid: str) -> bool:
    """sysUpTime and the agent's own packet counters change between two reads."""
    return oid == UPTIME or oid.startswith("1.3.6.1.2.1.11.")


def tool_args(version: str, user: USMUser | None = None) -> list[str]:
    if user is None:
        return [f"-v{version}", "-c", "public"]
    return [
        "-v3",
        "-l",
        "authPriv",
        "-u",
        str(user.name),
        "-a",
        str(user.auth_protocol),
        "-A",
        str(user.auth_password),
        "-x",
        str(user.priv_protocol),
        "-X",
        str(user.priv_password),
    ]


@pytest.fixture(scope="module")
def agent(loop_thread: AgentThread) -> Iterator[SNMPAgent]:
    tree = demo_tree(interfaces=30)
    tree["1.3.6.1.4.1.99999.1.0"] = IpAddress("192.0.2.7")
    tree["1.3.6.1.4.1.99999.2.0"] = Gauge32(4294967295)
    tree["1.3.6.1.4.1.99999.3.0"] = Counter64(2**64 - 1)
    tree["1.3.6.1.4.1.99999.4.0"] = OctetString(bytes(range(256)))
    tree["1.3.6.1.4.1.99999.5.0"] = ObjectIdentifier("1.3.6.1.4.1.99999.5.1.2.3")
    for i in range(1, 400):
        tree[f"1.3.6.1.4.1.99999.6.1.{i}"] = OctetString(f"row {i} ".encode() * 5)
    a = SNMPAgent(
        tree, "udp:127.0.0.1:0", communities={"public": "ro", "private": "rw"}, rw_users=USERS
    )
    loop_thread.call(a.start())
    yield a
    loop_thread.call(a.stop())


def expected(agent: SNMPAgent, subtree: str, v1: bool = False) -> dict[str, str]:
    prefix = tuple(int(p) for p in subtree.split("."))
    out = {}
    for oid, value in agent.tree.items():
        if (
            oid[: len(prefix)] == prefix
            and not volatile(str(oid))
            and not (v1 and isinstance(value, Counter64))
        ):
            out[str(oid)] = render(value)
    return out


def walked(
    tool: str, args: list[str], agent: SNMPAgent, subtree: str, *extra: str
) -> dict[str, str]:
    ep = f"127.0.0.1:{agent.address[1]}"
    got = parse_netsnmp(run_tool(tool, *args, *PARSE_OPTS, *extra, ep, subtree).stdout)
    return {oid: value for oid, value in got.items() if not volatile(oid)}


CASES = [
    pytest.param("1", None, id="v1"),
    pytest.param("2c", None, id="v2c"),
    *[pytest.param("3", u, id=f"v3-{u.name}") for u in USERS],
]


@pytest.mark.parametrize(("version", "user"), CASES)
def test_walk_and_bulkwalk(agent: SNMPAgent, version: str, user: USMUser | None) -> None:
    args = tool_args(version, user)
    for subtree in ("1.3.6.1.2.1", "1.3.6.1.4.1.99999"):
        want = expected(agent, subtree, v1=version == "1")
        assert walked("snmpwalk", args, agent, subtree) == want
        if version != "1":
            assert walked("snmpbulkwalk", args, agent, subtree, "-Cr50") == want


@pytest.mark.parametrize(("version", "user"), CASES)
def test_get_and_getnext(agent: SNMPAgent, version: str, user: USMUser | None) -> None:
    args = tool_args(version, user)
    ep = f"127.0.0.1:{agent.address[1]}"
    oids = [
        "1.3.6.1.2.1.1.1.0",
        "1.3.6.1.4.1.99999.1.0",
        "1.3.6.1.4.1.99999.4.0",
        "1.3.6.1.4.1.99999.2.0",
    ]
    got = parse_netsnmp(run_tool("snmpget", *args, *PARSE_OPTS, ep, *oids).stdout)
    assert got == {o: render(agent.tree[o]) for o in oids}
    nxt = parse_netsnmp(
        run_tool("snmpgetnext", *args, *PARSE_OPTS, ep, "1.3.6.1.4.1.99999.1.0").stdout
    )
    assert nxt == {"1.3.6.1.4.1.99999.2.0": "4294967295"}


@pytest.mark.parametrize(
    ("version", "user", "community"),
    [("1", None, "private"), ("2c", None, "private"), ("3", USERS[0], None)],
)
def test_set_then_get(
    agent: SNMPAgent, version: str, user: USMUser | None, community: str | None
) -> None:
    args = tool_args(version, user)
    if community:
        args[args.index("public")] = community
    ep = f"127.0.0.1:{agent.address[1]}"
    value = f"set via v{version}"
    run_tool("snmpset", *args, ep, "1.3.6.1.2.1.1.6.0", "s", value)
    assert agent.tree["1.3.6.1.2.1.1.6.0"] == OctetString(value.encode())
    got = parse_netsnmp(
        run_tool("snmpget", *tool_args("2c"), *PARSE_OPTS, ep, "1.3.6.1.2.1.1.6.0").stdout
    )
    assert got["1.3.6.1.2.1.1.6.0"] == value.encode().hex().upper()


def test_set_is_refused_read_only_and_not_writable(agent: SNMPAgent) -> None:
    ep = f"127.0.0.1:{agent.address[1]}"
    ro = run_tool("snmpset", *tool_args("2c"), ep, "1.3.6.1.2.1.1.6.0", "s", "x", check=False)
    assert ro.returncode != 0 and "noAccess" in ro.stderr
    nw = run_tool(
        "snmpset", "-v2c", "-c", "private", ep, "1.3.6.1.2.1.1.1.0", "s", "x", check=False
    )
    assert nw.returncode != 0 and "notWritable" in nw.stderr
    wt = run_tool(
        "snmpset", "-v2c", "-c", "private", ep, "1.3.6.1.2.1.1.6.0", "i", "5", check=False
    )
    assert wt.returncode != 0 and "wrongType" in wt.stderr


MIB = """WIREKIT-TEST-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE, Integer32 FROM SNMPv2-SMI;
wkIfTable OBJECT-TYPE SYNTAX SEQUENCE OF WkIfEntry MAX-ACCESS not-accessible STATUS current
    DESCRIPTION "ifTable" ::= { 1 3 6 1 2 1 2 2 }
wkIfEntry OBJECT-TYPE SYNTAX WkIfEntry MAX-ACCESS not-accessible STATUS current
    DESCRIPTION "row" INDEX { wkIfIndex } ::= { wkIfTable 1 }
WkIfEntry ::= SEQUENCE { wkIfIndex Integer32, wkIfDescr OCTET STRING, wkIfType Integer32, wkIfMtu Integer32 }
wkIfIndex OBJECT-TYPE SYNTAX Integer32 MAX-ACCESS read-only STATUS current DESCRIPTION "i" ::= { wkIfEntry 1 }
wkIfDescr OBJECT-TYPE SYNTAX OCTET STRING MAX-ACCESS read-only STATUS current DESCRIPTION "d" ::= { wkIfEntry 2 }
wkIfType OBJECT-TYPE SYNTAX Integer32 MAX-ACCESS read-only STATUS current DESCRIPTION "t" ::= { wkIfEntry 3 }
wkIfMtu OBJECT-TYPE SYNTAX Integer32 MAX-ACCESS read-only STATUS current DESCRIPTION "m" ::= { wkIfEntry 4 }
END
"""


@pytest.mark.parametrize(("version", "user"), [("1", None), ("2c", None), ("3", USERS[0])])
def test_snmptable(agent: SNMPAgent, tmp_path: Path, version: str, user: USMUser | None) -> None:
    # Debian ships no SNMPv2-SMI, so the test brings a four-column MIB for the demo ifTable.
    (tmp_path / "WIREKIT-TEST-MIB.txt").write_text(MIB)
    env = {**netsnmp_env(), "MIBS": "WIREKIT-TEST-MIB", "MIBDIRS": str(tmp_path)}
    ep = f"127.0.0.1:{agent.address[1]}"
    out = run_tool(
        "snmptable",
        *tool_args(version, user),
        "-Cf",
        "|",
        "-CH",
        "-Ci",
        ep,
        "WIREKIT-TEST-MIB::wkIfTable",
        env=env,
    ).stdout
    rows = [line.split("|") for line in out.splitlines() if "|" in line]
    assert len(rows) == 30
    for index, if_index, descr, if_type, mtu in rows:
        assert if_index == index
        assert descr.strip('"') == f"eth{int(index) - 1}"
        assert (if_type, mtu) == ("6", "1500")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "-v3",
                "-l",
                "authPriv",
                "-u",
                "shaaes",
                "-a",
                "SHA",
                "-A",
                "wrong-password",
                "-x",
                "AES",
                "-X",
                "shaaes-priv",
            ],
            "Authentication failure",
        ),
        (
            [
                "-v3",
                "-l",
                "authPriv",
                "-u",
                "mallory",
                "-a",
                "SHA",
                "-A",
                "shaaes-auth",
                "-x",
                "AES",
                "-X",
                "shaaes-priv",
            ],
            "Unknown user name",
        ),
        (
            [
                "-v3",
                "-l",
                "authPriv",
                "-u",
                "shaaes",
                "-a",
                "SHA",
                "-A",
                "shaaes-auth",
                "-x",
                "AES",
                "-X",
                "wrong-password",
            ],
            "Decryption error",
        ),
        (
            ["-v3", "-l", "authNoPriv", "-u", "shaaes", "-a", "SHA", "-A", "shaaes-auth"],
            "Unsupported security level",
        ),
        (["-v2c", "-c", "wrong-community", "-r0", "-t", "0.5"], "Timeout"),
    ],
    ids=["wrong-auth", "unknown-user", "wrong-priv", "wrong-level", "wrong-community"],
)
def test_wrong_credentials_are_refused(agent: SNMPAgent, args: list[str], message: str) -> None:
    ep = f"127.0.0.1:{agent.address[1]}"
    proc = run_tool("snmpget", *args, ep, "1.3.6.1.2.1.1.1.0", check=False)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr


def test_agent_counts_what_it_refused(agent: SNMPAgent) -> Any:
    assert agent.counters["snmpInPkts"] > 0
    assert agent.counters["snmpOutPkts"] > 0
