"""Building notifications: SNMPv2-Trap and Inform PDUs (RFC 3416 §4.2.6-7) and v1 Traps mapped
from v2 trap OIDs (RFC 3584 §3.2)."""

from __future__ import annotations

from .pdu import PDU, PDUType, TrapV1PDU, VarBind
from .values import IpAddress, ObjectIdentifier, TimeTicks

__all__ = [
    "SNMP_TRAP_OID",
    "SYS_UPTIME",
    "build_inform",
    "build_trap",
    "trap_v1_to_v2",
    "v2_trap_oid",
]

SYS_UPTIME = ObjectIdentifier((1, 3, 6, 1, 2, 1, 1, 3, 0))
SNMP_TRAP_OID = ObjectIdentifier((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0))
SNMP_TRAP_ENTERPRISE = ObjectIdentifier((1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0))
_GENERIC_BASE = (1, 3, 6, 1, 6, 3, 1, 1, 5)


def _v2_varbinds(trap_oid: ObjectIdentifier, varbinds: list[VarBind], uptime: int) -> list[VarBind]:
    # RFC 3416 §4.2.6: the first two varbinds are sysUpTime.0 and snmpTrapOID.0.
    return [VarBind(SYS_UPTIME, TimeTicks(uptime)), VarBind(SNMP_TRAP_OID, trap_oid), *varbinds]


def build_inform(trap_oid: ObjectIdentifier, varbinds: list[VarBind], uptime: int = 0) -> PDU:
    """An InformRequest PDU (request-id filled in by the sender)."""
    return PDU(PDUType.INFORM, 0, _v2_varbinds(trap_oid, varbinds, uptime))


def build_trap(
    version: int,
    trap_oid: ObjectIdentifier,
    varbinds: list[VarBind],
    uptime: int = 0,
    request_id: int = 0,
) -> PDU | TrapV1PDU:
    """An SNMPv2-Trap PDU (v2c/v3), or for v1 the Trap PDU mapped per RFC 3584 §3.2."""
    if version != 0:
        return PDU(PDUType.TRAP_V2, request_id, _v2_varbinds(trap_oid, varbinds, uptime))
    oid = tuple(trap_oid)
    if oid[:-1] == _GENERIC_BASE and 1 <= oid[-1] <= 6:
        return TrapV1PDU(
            ObjectIdentifier(_GENERIC_BASE), IpAddress("0.0.0.0"), oid[-1] - 1, 0, uptime, varbinds
        )
    if len(oid) >= 2 and oid[-2] == 0:
        enterprise = oid[:-2]
    else:
        enterprise = oid[:-1]
    return TrapV1PDU(
        ObjectIdentifier(enterprise), IpAddress("0.0.0.0"), 6, oid[-1], uptime, varbinds
    )


def v2_trap_oid(trap: TrapV1PDU) -> ObjectIdentifier:
    """The snmpTrapOID of a v1 Trap (RFC 3584 §3.1)."""
    if trap.generic_trap != 6:
        return ObjectIdentifier((*_GENERIC_BASE, trap.generic_trap + 1))
    return ObjectIdentifier((*trap.enterprise, 0, trap.specific_trap))


def trap_v1_to_v2(trap: TrapV1PDU) -> list[VarBind]:
    """The v2 varbind list of a v1 Trap (RFC 3584 §3.1): uptime, trap OID, varbinds, enterprise."""
    return [
        VarBind(SYS_UPTIME, TimeTicks(trap.time_stamp)),
        VarBind(SNMP_TRAP_OID, v2_trap_oid(trap)),
        *trap.varbinds,
        VarBind(SNMP_TRAP_ENTERPRISE, trap.enterprise),
    ]
