"""The agent core, bytes in and bytes out: the manager session builds requests, the responder
answers, the session decodes. No sockets."""

from __future__ import annotations

import pytest

from wirekit.snmp.ber import tlv
from wirekit.snmp.message import V1, V2C, V3
from wirekit.snmp.mibtree import MibTree, View
from wirekit.snmp.pdu import PDU, BulkPDU, PDUType, VarBind
from wirekit.snmp.responder import AgentConfig, Responder
from wirekit.snmp.session import ManagerSession
from wirekit.snmp.usm import USMUser
from wirekit.snmp.values import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NULL,
    Counter64,
    Integer,
    ObjectIdentifier,
    OctetString,
)

USER = USMUser("alice", "SHA", "authpassword", "AES", "privpassword")


def make(tree: MibTree | None = None, **config: object) -> Responder:
    if tree is None:
        tree = MibTree(
            {
                "1.3.6.1.2.1.1.1.0": "descr",
                "1.3.6.1.2.1.1.5.0": "name",
                "1.3.6.1.2.1.2.2.1.2.1": "eth0",
                "1.3.6.1.2.1.2.2.1.2.2": "eth1",
            }
        )
        tree.set("1.3.6.1.2.1.1.4.0", "contact", writable=True)
    cfg = AgentConfig(**config)  # type: ignore[arg-type]
    cfg.add_community("public")
    cfg.add_community("private", writable=True)
    cfg.add_user(USER, writable=True)
    return Responder(tree, cfg)


def ask(responder: Responder, pdu: PDU, version: int = V2C, community: bytes = b"public") -> PDU:
    session = ManagerSession(version, community)
    out = responder.handle(session.encode(pdu))
    assert out is not None
    return session.decode(out).pdu


def vb(oid: str) -> VarBind:
    return VarBind(ObjectIdentifier(oid), NULL)


def test_get_values_and_exceptions() -> None:
    r = make()
    pdu = ask(
        r,
        PDU(
            PDUType.GET,
            1,
            [vb("1.3.6.1.2.1.1.1.0"), vb("1.3.6.1.2.1.1.9.0"), vb("1.3.6.1.2.1.2.2.1.2.7")],
        ),
    )
    assert pdu.request_id == 1
    assert [v.value for v in pdu.varbinds] == [
        OctetString(b"descr"),
        NO_SUCH_OBJECT,
        NO_SUCH_INSTANCE,
    ]


def test_v1_get_missing_is_no_such_name() -> None:
    pdu = ask(make(), PDU(PDUType.GET, 1, [vb("1.3.6.1.2.1.1.1.0"), vb("1.3.6.1.2.1.1.9.0")]), V1)
    assert (pdu.error_status, pdu.error_index) == (2, 2)


def test_getnext_and_end_of_mib() -> None:
    r = make()
    pdu = ask(r, PDU(PDUType.GET_NEXT, 2, [vb("1.3.6.1.2.1.1.1.0"), vb("1.3.6.1.6.3.99")]))
    assert pdu.varbinds[0].oid == ObjectIdentifier("1.3.6.1.2.1.1.4.0")
    assert pdu.varbinds[1].value == END_OF_MIB_VIEW


def test_v1_skips_counter64() -> None:
    tree = MibTree(
        {"1.3.6.1.2.1.31.1.1.1.6.1": Counter64(5), "1.3.6.1.2.1.31.1.1.1.7.1": Integer(1)}
    )
    pdu = ask(make(tree), PDU(PDUType.GET_NEXT, 2, [vb("1.3.6.1.2.1.31")]), V1)
    assert pdu.varbinds[0].oid == ObjectIdentifier("1.3.6.1.2.1.31.1.1.1.7.1")


def test_getbulk_non_repeaters_and_repetitions() -> None:
    pdu = ask(
        make(),
        BulkPDU(
            3, [vb("1.3.6.1.2.1.1.1.0"), vb("1.3.6.1.2.1.2")], non_repeaters=1, max_repetitions=5
        ),
    )
    oids = [str(v.oid) for v in pdu.varbinds]
    assert oids[0] == "1.3.6.1.2.1.1.4.0"
    assert oids[1:3] == ["1.3.6.1.2.1.2.2.1.2.1", "1.3.6.1.2.1.2.2.1.2.2"]


def test_getbulk_is_truncated_to_max_size_never_too_big() -> None:
    tree = MibTree({f"1.3.6.1.4.1.1.{i}": "v" * 100 for i in range(1, 200)})
    r = make(tree, max_size=1400)
    pdu = ask(r, BulkPDU(4, [vb("1.3.6.1.4.1.1")], 0, 100))
    assert pdu.error_status == 0
    assert 5 < len(pdu.varbinds) < 100
    data = ManagerSession(V2C, b"public").encode(BulkPDU(4, [vb("1.3.6.1.4.1.1")], 0, 100))
    out = r.handle(data)
    assert out is not None and len(out) <= 1400


def test_get_too_big_answers_too_big() -> None:
    tree = MibTree({f"1.3.6.1.4.1.1.{i}": "v" * 100 for i in range(1, 50)})
    pdu = ask(
        make(tree, max_size=1000),
        PDU(PDUType.GET, 5, [vb(f"1.3.6.1.4.1.1.{i}") for i in range(1, 50)]),
    )
    assert pdu.error_status == 1


def test_set_needs_write_access_and_type() -> None:
    r = make()
    new = [VarBind(ObjectIdentifier("1.3.6.1.2.1.1.4.0"), OctetString(b"me"))]
    assert ask(r, PDU(PDUType.SET, 6, new)).error_status == 6  # noAccess on the read-only community
    assert ask(r, PDU(PDUType.SET, 7, new), community=b"private").error_status == 0
    assert r.tree["1.3.6.1.2.1.1.4.0"] == OctetString(b"me")
    wrong_type = [VarBind(ObjectIdentifier("1.3.6.1.2.1.1.4.0"), Integer(1))]
    assert ask(r, PDU(PDUType.SET, 8, wrong_type), community=b"private").error_status == 7
    not_writable = [VarBind(ObjectIdentifier("1.3.6.1.2.1.1.1.0"), OctetString(b"x"))]
    assert ask(r, PDU(PDUType.SET, 9, not_writable), community=b"private").error_status == 17


def test_set_undo_when_commit_fails() -> None:
    tree = MibTree()
    tree.set("1.3.6.1.4.1.1.1.0", "a", writable=True)

    def refuse(value: object) -> None:
        raise RuntimeError("device said no")

    tree.register("1.3.6.1.4.1.1.2.0", lambda: OctetString(b"b"), refuse)
    r = make(tree)
    pdu = ask(
        r,
        PDU(
            PDUType.SET,
            1,
            [
                VarBind(ObjectIdentifier("1.3.6.1.4.1.1.1.0"), OctetString(b"new")),
                VarBind(ObjectIdentifier("1.3.6.1.4.1.1.2.0"), OctetString(b"new")),
            ],
        ),
        community=b"private",
    )
    assert (pdu.error_status, pdu.error_index) == (14, 2)  # commitFailed
    assert tree["1.3.6.1.4.1.1.1.0"] == OctetString(b"a")  # undone


def test_views_hide_subtrees() -> None:
    tree = MibTree({"1.3.6.1.2.1.1.1.0": "visible", "1.3.6.1.4.1.1.0": "hidden"})
    cfg = AgentConfig()
    cfg.add_community("limited", view=View.of(["1.3.6.1.2.1.1"]))
    r = Responder(tree, cfg)
    pdu = ask(r, PDU(PDUType.GET, 1, [vb("1.3.6.1.4.1.1.0")]), community=b"limited")
    assert pdu.varbinds[0].value == NO_SUCH_OBJECT
    pdu = ask(r, PDU(PDUType.GET_NEXT, 1, [vb("1.3.6.1.2.1.1.1.0")]), community=b"limited")
    assert pdu.varbinds[0].value == END_OF_MIB_VIEW


def test_bad_community_and_garbage_are_counted_and_dropped() -> None:
    r = make()
    assert (
        r.handle(
            ManagerSession(V2C, b"wrong").encode(PDU(PDUType.GET, 1, [vb("1.3.6.1.2.1.1.1.0")]))
        )
        is None
    )
    assert r.counters["snmpInBadCommunityNames"] == 1
    assert r.handle(b"\x30\x03\x02\x01") is None
    assert r.handle(b"") is None
    assert r.counters["snmpInASNParseErrs"] == 2
    # The counters are served as objects too.
    assert ask(r, PDU(PDUType.GET, 1, [vb("1.3.6.1.2.1.11.6.0")])).varbinds[0].value == 2


def test_callbacks_are_called_per_request() -> None:
    tree = MibTree()
    calls = []
    tree.register("1.3.6.1.4.1.2.0", lambda: calls.append(1) or len(calls))
    r = make(tree)
    assert ask(r, PDU(PDUType.GET, 1, [vb("1.3.6.1.4.1.2.0")])).varbinds[0].value == Integer(1)
    assert ask(r, PDU(PDUType.GET, 1, [vb("1.3.6.1.4.1.2.0")])).varbinds[0].value == Integer(2)


def _v3(r: Responder, user: USMUser, now: float = 0.0) -> tuple[ManagerSession, PDU]:
    s = ManagerSession(V3, user=user)
    reply = s.decode(r.handle(s.discovery_request(1), now) or b"", now)
    assert reply.report == "unknownEngineID"
    assert s.engine_id == r.config.engine_id
    out = r.handle(s.encode(PDU(PDUType.GET, 2, [vb("1.3.6.1.2.1.1.1.0")]), now), now)
    assert out is not None
    return s, s.decode(out, now).pdu


def test_v3_discovery_then_authpriv_get() -> None:
    r = make()
    _s, pdu = _v3(r, USER)
    assert pdu.varbinds[0].value == OctetString(b"descr")


@pytest.mark.parametrize(
    ("user", "check"),
    [
        (USMUser("mallory", "SHA", "authpassword", "AES", "privpassword"), "unknownUserName"),
        (USMUser("alice", "SHA", "wrongpassword", "AES", "privpassword"), "wrongDigest"),
        (USMUser("alice", "SHA", "authpassword", "AES", "wrongpassword"), "decryptionError"),
        (USMUser("alice", "SHA", "authpassword"), "unsupportedSecLevel"),
    ],
)
def test_v3_wrong_credentials_get_reports(user: USMUser, check: str) -> None:
    r = make()
    s = ManagerSession(V3, user=user)
    s.decode(r.handle(s.discovery_request(1)) or b"")
    out = r.handle(s.encode(PDU(PDUType.GET, 2, [vb("1.3.6.1.2.1.1.1.0")])))
    assert out is not None
    assert s.decode(out).report == check
    assert r.counters[check] == 1


def test_v3_time_window_and_resync() -> None:
    r = make()
    s, _ = _v3(r, USER, now=0.0)
    # The agent's clock runs 1000 s ahead of what the manager learned: out of window.
    out = r.handle(s.encode(PDU(PDUType.GET, 3, [vb("1.3.6.1.2.1.1.1.0")]), now=0.0), 1000.0)
    reply = s.decode(out or b"", 0.0)
    assert reply.report == "notInTimeWindow"
    assert s.etime >= 1000  # adopted from the authenticated report
    out = r.handle(s.encode(PDU(PDUType.GET, 4, [vb("1.3.6.1.2.1.1.1.0")]), now=0.0), 1000.0)
    assert s.decode(out or b"", 0.0).report is None


def test_never_crashes_on_mutations() -> None:
    r = make()
    good = ManagerSession(V2C, b"public").encode(BulkPDU(1, [vb("1.3.6.1")], 0, 10))
    for i in range(len(good)):
        for b in (0x00, 0x80, 0xFF):
            data = bytearray(good)
            data[i] = b
            r.handle(bytes(data))  # must not raise
        r.handle(good[:i])
    r.handle(tlv(0x30, b"\x02\x01\x03" + b"\x30\x00"))


def test_walker_shrinks_and_grows_back() -> None:
    from wirekit.snmp.session import Walker

    w = Walker(ObjectIdentifier("1.3.6.1.4.1"), bulk=True, max_repetitions=32)
    assert w.on_timeout() and w.max_repetitions == 16
    for i in range(4):
        w.on_response(
            PDU(
                PDUType.RESPONSE, 1, [VarBind(ObjectIdentifier(f"1.3.6.1.4.1.{i + 1}"), Integer(1))]
            )
        )
    assert w.max_repetitions == 32  # a timeout does not lower the ceiling
    w.on_response(PDU(PDUType.RESPONSE, 1, [], error_status=1))  # tooBig
    assert (w.max_repetitions, w.ceiling) == (16, 16)
    for i in range(8):
        w.on_response(
            PDU(
                PDUType.RESPONSE,
                1,
                [VarBind(ObjectIdentifier(f"1.3.6.1.4.1.{i + 10}"), Integer(1))],
            )
        )
    assert w.max_repetitions == 16  # never above what the agent could answer
