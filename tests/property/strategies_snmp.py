"""Hypothesis strategies for SNMP values, varbinds, PDUs and messages."""

from __future__ import annotations

from hypothesis import strategies as st

from wirekit.snmp.pdu import PDU, BulkPDU, PDUType, TrapV1PDU, VarBind
from wirekit.snmp.values import (
    NULL,
    Counter32,
    Counter64,
    EndOfMibView,
    Gauge32,
    Integer,
    IpAddress,
    NoSuchInstance,
    NoSuchObject,
    ObjectIdentifier,
    OctetString,
    Opaque,
    TimeTicks,
)

arcs = st.integers(0, 2**32 - 1)
oids = st.builds(
    lambda first, second, rest: ObjectIdentifier((first, second, *rest)),
    st.integers(0, 1),
    st.integers(0, 39),
    st.lists(arcs, max_size=30),
) | st.builds(
    lambda second, rest: ObjectIdentifier((2, second, *rest)),
    st.integers(0, 2**20),
    st.lists(arcs, max_size=10),
)

u32 = st.integers(0, 2**32 - 1)
values = st.one_of(
    st.builds(Integer, st.integers(-(2**31), 2**31 - 1)),
    st.builds(OctetString, st.binary(max_size=300)),
    st.just(NULL),
    oids,
    st.builds(IpAddress, st.binary(min_size=4, max_size=4)),
    st.builds(Counter32, u32),
    st.builds(Gauge32, u32),
    st.builds(TimeTicks, u32),
    st.builds(Opaque, st.binary(max_size=20)),
    st.builds(Counter64, st.integers(0, 2**64 - 1)),
    st.just(NoSuchObject()),
    st.just(NoSuchInstance()),
    st.just(EndOfMibView()),
)
varbinds = st.builds(VarBind, oids, values)
request_ids = st.integers(-(2**31), 2**31 - 1)

pdus = st.one_of(
    st.builds(
        PDU,
        st.sampled_from(
            [
                PDUType.GET,
                PDUType.GET_NEXT,
                PDUType.RESPONSE,
                PDUType.SET,
                PDUType.INFORM,
                PDUType.TRAP_V2,
                PDUType.REPORT,
            ]
        ),
        request_ids,
        st.lists(varbinds, max_size=8),
        st.integers(0, 18),
        st.integers(0, 8),
    ),
    st.builds(
        BulkPDU,
        request_ids,
        st.lists(varbinds, max_size=8),
        st.integers(0, 10),
        st.integers(0, 100),
    ),
    st.builds(
        TrapV1PDU,
        oids,
        st.builds(IpAddress, st.binary(min_size=4, max_size=4)),
        st.integers(0, 6),
        st.integers(0, 2**31 - 1),
        st.builds(TimeTicks, u32),
        st.lists(varbinds, max_size=5),
    ),
)
