"""SNMPClient and AsyncSNMPClient against the wirekit agent over 127.0.0.1 UDP."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from wirekit.errors import (
    AuthenticationError,
    ConfigError,
    ReadTimeout,
    RemoteProtocolError,
    SNMPErrorStatus,
)
from wirekit.snmp.client import AsyncSNMPClient, AsyncSNMPTransport, SNMPClient
from wirekit.snmp.pdu import PDU
from wirekit.snmp.responder import Responder
from wirekit.snmp.usm import AUTH_PROTOCOLS, PRIV_PROTOCOLS, USMUser
from wirekit.snmp.values import NoSuchObject, OctetString

V3_USER = USMUser("alice", "SHA", "authpassword", "AES", "privpassword")


def v3(agent: Any, user: USMUser = V3_USER, **kw: Any) -> SNMPClient:
    return SNMPClient(
        agent.endpoint,
        version=3,
        user=user.name,
        auth_protocol=user.auth_protocol,
        auth_password=user.auth_password,
        priv_protocol=user.priv_protocol,
        priv_password=user.priv_password,
        timeout=2,
        **kw,
    )


@pytest.mark.parametrize("version", ["1", "2c"])
def test_get_next_walk_table(start_agent: Any, version: str) -> None:
    agent = start_agent()
    with SNMPClient(agent.endpoint, version=version, timeout=2) as c:
        assert c.get_value("sysDescr.0") == OctetString(b"wirekit demo agent")
        assert str(c.get_next("sysDescr.0")[0].oid) == "1.3.6.1.2.1.1.2.0"
        walked = list(c.walk("1.3.6.1.2.1.2.2"))
        assert len(walked) == 4 * 10
        assert walked == sorted(walked, key=lambda vb: vb.oid)
        table = c.table("ifTable")
        assert sorted(table.rows) == ["1", "2", "3", "4"]
        assert table.rows["2"][2] == OctetString(b"eth1")


def test_walk_of_a_leaf_gets_it(start_agent: Any) -> None:
    agent = start_agent()
    with SNMPClient(agent.endpoint, timeout=2) as c:
        assert [str(vb.oid) for vb in c.walk("sysDescr.0")] == ["1.3.6.1.2.1.1.1.0"]


def test_v2c_exceptions_and_v1_errors(start_agent: Any) -> None:
    agent = start_agent()
    with SNMPClient(agent.endpoint, timeout=2) as c:
        assert isinstance(c.get_value("1.3.6.1.2.1.1.99.0"), NoSuchObject)
    with (
        SNMPClient(agent.endpoint, version=1, timeout=2) as c,
        pytest.raises(SNMPErrorStatus) as info,
    ):
        c.get("1.3.6.1.2.1.1.99.0")
    assert info.value.text == "noSuchName"
    with SNMPClient(agent.endpoint, version=1, timeout=2) as c, pytest.raises(ConfigError):
        c.get_bulk("1.3.6.1")


def test_set_with_write_community_only(start_agent: Any) -> None:
    agent = start_agent()
    with (
        SNMPClient(agent.endpoint, community="public", timeout=2) as c,
        pytest.raises(SNMPErrorStatus) as info,
    ):
        c.set({"sysName.0": "x"})
    assert info.value.text == "noAccess"
    with SNMPClient(agent.endpoint, community="private", timeout=2) as c:
        c.set({"sysName.0": "renamed"})
        assert c.get_value("sysName.0") == OctetString(b"renamed")


def test_bulk(start_agent: Any) -> None:
    agent = start_agent()
    with SNMPClient(agent.endpoint, timeout=2) as c:
        vbs = c.get_bulk("sysDescr.0", "ifDescr", non_repeaters=1, max_repetitions=3)
        assert [str(vb.oid) for vb in vbs] == [
            "1.3.6.1.2.1.1.2.0",
            "1.3.6.1.2.1.2.2.1.2.1",
            "1.3.6.1.2.1.2.2.1.2.2",
            "1.3.6.1.2.1.2.2.1.2.3",
        ]


@pytest.mark.parametrize("auth", list(AUTH_PROTOCOLS))
@pytest.mark.parametrize("priv", [None, *PRIV_PROTOCOLS])
def test_v3_every_auth_and_priv(start_agent: Any, auth: str, priv: str | None) -> None:
    user = USMUser("u", auth, "authpassword", priv, "privpassword" if priv else None)
    agent = start_agent(rw_users=[user])
    with v3(agent, user) as c:
        assert c.get_value("sysDescr.0") == OctetString(b"wirekit demo agent")
        c.set({"sysLocation.0": "v3 was here"})
        assert len(list(c.walk("system"))) == 7


def test_v3_discovery_happens_once(start_agent: Any) -> None:
    agent = start_agent()
    with v3(agent) as c:
        for _ in range(5):
            c.get("sysName.0")
    # 1 discovery + 5 requests: one packet per request after discovery.
    assert agent.counters["snmpInPkts"] == 6


@pytest.mark.parametrize(
    ("user", "check"),
    [
        (USMUser("nobody", "SHA", "authpassword", "AES", "privpassword"), "unknownUserName"),
        (USMUser("alice", "SHA", "badpassword", "AES", "privpassword"), "wrongDigest"),
        (USMUser("alice", "SHA", "authpassword", "AES", "badpassword"), "decryptionError"),
        (USMUser("alice", "MD5", "authpassword", "AES", "privpassword"), "wrongDigest"),
    ],
)
def test_v3_wrong_credentials_name_the_check(start_agent: Any, user: USMUser, check: str) -> None:
    agent = start_agent()
    with v3(agent, user) as c, pytest.raises(AuthenticationError, match=check) as info:
        c.get("sysName.0")
    assert info.value.check == check  # type: ignore[attr-defined]


def test_unanswered_request_times_out_naming_the_agent() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        with (
            SNMPClient(f"127.0.0.1:{port}", timeout=0.05, retries=1) as c,
            pytest.raises(ReadTimeout, match=f"127.0.0.1:{port}"),
        ):
            c.get("sysName.0")


def test_agent_reboot_is_handled(start_agent: Any, loop_thread: Any) -> None:
    first = start_agent(engine_id=b"\x80\x00\x1f\x88\x05rebootme", engine_boots=1)
    port = first.address[1]
    with v3(first) as c:
        c.get("sysName.0")
        loop_thread.call(first.stop())
        # The same engine comes back with engineBoots 2 and its clock reset.
        from wirekit.snmp.agent import SNMPAgent
        from wirekit.snmp.demo import demo_tree

        second = SNMPAgent(
            demo_tree(),
            f"udp:127.0.0.1:{port}",
            rw_users=[V3_USER],
            engine_id=b"\x80\x00\x1f\x88\x05rebootme",
            engine_boots=2,
        )
        loop_thread.call(second.start())
        try:
            c.get("sysName.0")
            assert c.session.boots == 2
            assert second.counters["notInTimeWindow"] == 1
            loop_thread.call(second.stop())
            # Replaced by another engine (new engineID): rediscovered.
            third = SNMPAgent(demo_tree(), f"udp:127.0.0.1:{port}", rw_users=[V3_USER])
            loop_thread.call(third.start())
            try:
                c.get("sysName.0")
                assert c.session.engine_id == third.config.engine_id
            finally:
                loop_thread.call(third.stop())
        finally:
            loop_thread.call(second.stop())


class _TooBigAbove(Responder):
    """An agent quirk: tooBig for GETBULK with max-repetitions above a limit."""

    limit = 4

    def _bulk(self, pdu: PDU, access: Any, budget: int) -> bytes:
        if pdu.error_index > self.limit:
            from wirekit.snmp.responder import _response

            return _response(pdu.request_id, 1, 0, b"\x30\x00")
        return super()._bulk(pdu, access, budget)


class _Looping(Responder):
    """An agent bug: GETNEXT/GETBULK always return the same OID."""

    def _bulk(self, pdu: PDU, access: Any, budget: int) -> bytes:
        from wirekit.snmp.pdu import VarBind, encode_varbinds
        from wirekit.snmp.responder import _response
        from wirekit.snmp.values import Integer, ObjectIdentifier

        return _response(
            pdu.request_id,
            0,
            0,
            encode_varbinds([VarBind(ObjectIdentifier("1.3.6.1.2.1.1.1.0"), Integer(1))]),
        )


def test_walk_shrinks_on_too_big(start_agent: Any) -> None:
    agent = start_agent()
    agent.responder.__class__ = _TooBigAbove
    with SNMPClient(agent.endpoint, timeout=2) as c:
        assert len(list(c.walk("1.3.6.1.2.1.2.2", max_repetitions=50))) == 40


def test_walk_detects_non_increasing_oids(start_agent: Any) -> None:
    agent = start_agent()
    agent.responder.__class__ = _Looping
    with (
        SNMPClient(agent.endpoint, timeout=2) as c,
        pytest.raises(RemoteProtocolError, match="not increasing"),
    ):
        list(c.walk("1.3.6.1.2.1.1.1"))


def test_async_many_agents_one_socket(start_agent: Any) -> None:
    agents = [start_agent() for _ in range(3)]

    async def run() -> list[str]:
        transport = await AsyncSNMPTransport.open()
        try:
            clients = [AsyncSNMPClient(a.endpoint, transport=transport, timeout=2) for a in agents]
            results = await asyncio.gather(
                *(c.get("sysDescr.0") for c in clients for _ in range(5))
            )
            walked = [vb async for vb in clients[0].walk("system")]
            assert len(walked) == 7
            v3c = AsyncSNMPClient(
                agents[0].endpoint,
                transport=transport,
                version=3,
                user="alice",
                auth_protocol="SHA",
                auth_password="authpassword",
                priv_protocol="AES",
                priv_password="privpassword",
                timeout=2,
            )
            v3_results = await asyncio.gather(*(v3c.get("sysName.0") for _ in range(4)))
            assert len(v3_results) == 4
            return [str(r[0].value) for r in results]
        finally:
            transport.close()

    values = asyncio.run(run())
    assert values == ["wirekit demo agent"] * 15
    assert all(a.counters["snmpInPkts"] >= 5 for a in agents)
    # v3 discovery once even with 4 requests in flight: 1 discovery + 4 gets on agent 0's v3 path.
    assert agents[0].counters["unknownEngineID"] == 1


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError):
        SNMPClient("127.0.0.1:161", version="4")
    with pytest.raises(ConfigError):
        SNMPClient("127.0.0.1:notaport")
    with pytest.raises(ConfigError):
        SNMPClient("127.0.0.1", version=3)


def test_one_client_shared_by_threads(start_agent: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    agent = start_agent()
    with SNMPClient(agent.endpoint, timeout=2) as c, ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: c.get("sysDescr.0", f"ifDescr.{i % 4 + 1}"), range(64)))
    for i, vbs in enumerate(results):
        assert vbs[1].value == OctetString(f"eth{i % 4}".encode())


def test_views_per_user_and_community(start_agent: Any) -> None:
    from wirekit.snmp.mibtree import View

    agent = start_agent(views={"alice": View.of(["system"]), "public": View.of(["1.3.6.1.2.1.2"])})
    with v3(agent) as c:
        assert len(list(c.walk("1.3.6.1.2.1"))) == 7  # system only
        assert isinstance(c.get_value("ifDescr.1"), NoSuchObject)
    with SNMPClient(agent.endpoint, timeout=2) as c:
        assert all(vb.oid[:7] == (1, 3, 6, 1, 2, 1, 2) for vb in c.walk("1.3.6.1.2.1"))
        assert isinstance(c.get_value("sysDescr.0"), NoSuchObject)


def test_unresolvable_agent_is_a_connect_error() -> None:
    from wirekit.errors import ConnectError

    with pytest.raises(ConnectError, match=r"no-such-host\.invalid"):
        SNMPClient("no-such-host.invalid:161")
