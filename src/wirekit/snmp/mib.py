"""Built-in MIB-2 names (system, interfaces, ifXTable, ip, tcp, udp, snmp, host resources, UCD,
SNMP-FRAMEWORK/USM) so ``sysDescr.0`` and ``IF-MIB::ifDescr`` work with no MIB files.

Resolution is a dict lookup; it never sits on the hot path of a walk.
"""

from __future__ import annotations

from .values import ObjectIdentifier

__all__ = ["NAMES", "format_oid", "name_of", "parse_oid"]

_MIB2 = "1.3.6.1.2.1"

# (module, name, dotted oid). Kept as data: each line is one OBJECT-TYPE or node.
_TABLE = """
SNMPv2-SMI iso 1
SNMPv2-SMI org 1.3
SNMPv2-SMI dod 1.3.6
SNMPv2-SMI internet 1.3.6.1
SNMPv2-SMI mgmt 1.3.6.1.2
SNMPv2-SMI mib-2 1.3.6.1.2.1
SNMPv2-SMI private 1.3.6.1.4
SNMPv2-SMI enterprises 1.3.6.1.4.1
SNMPv2-SMI snmpV2 1.3.6.1.6
SNMPv2-MIB system M.1
SNMPv2-MIB sysDescr M.1.1
SNMPv2-MIB sysObjectID M.1.2
SNMPv2-MIB sysUpTime M.1.3
SNMPv2-MIB sysContact M.1.4
SNMPv2-MIB sysName M.1.5
SNMPv2-MIB sysLocation M.1.6
SNMPv2-MIB sysServices M.1.7
SNMPv2-MIB sysORLastChange M.1.8
SNMPv2-MIB sysORTable M.1.9
SNMPv2-MIB sysOREntry M.1.9.1
SNMPv2-MIB sysORIndex M.1.9.1.1
SNMPv2-MIB sysORID M.1.9.1.2
SNMPv2-MIB sysORDescr M.1.9.1.3
SNMPv2-MIB sysORUpTime M.1.9.1.4
IF-MIB interfaces M.2
IF-MIB ifNumber M.2.1
IF-MIB ifTable M.2.2
IF-MIB ifEntry M.2.2.1
IF-MIB ifIndex M.2.2.1.1
IF-MIB ifDescr M.2.2.1.2
IF-MIB ifType M.2.2.1.3
IF-MIB ifMtu M.2.2.1.4
IF-MIB ifSpeed M.2.2.1.5
IF-MIB ifPhysAddress M.2.2.1.6
IF-MIB ifAdminStatus M.2.2.1.7
IF-MIB ifOperStatus M.2.2.1.8
IF-MIB ifLastChange M.2.2.1.9
IF-MIB ifInOctets M.2.2.1.10
IF-MIB ifInUcastPkts M.2.2.1.11
IF-MIB ifInNUcastPkts M.2.2.1.12
IF-MIB ifInDiscards M.2.2.1.13
IF-MIB ifInErrors M.2.2.1.14
IF-MIB ifInUnknownProtos M.2.2.1.15
IF-MIB ifOutOctets M.2.2.1.16
IF-MIB ifOutUcastPkts M.2.2.1.17
IF-MIB ifOutNUcastPkts M.2.2.1.18
IF-MIB ifOutDiscards M.2.2.1.19
IF-MIB ifOutErrors M.2.2.1.20
IF-MIB ifOutQLen M.2.2.1.21
IF-MIB ifSpecific M.2.2.1.22
IF-MIB ifMIB M.31
IF-MIB ifXTable M.31.1.1
IF-MIB ifXEntry M.31.1.1.1
IF-MIB ifName M.31.1.1.1.1
IF-MIB ifInMulticastPkts M.31.1.1.1.2
IF-MIB ifInBroadcastPkts M.31.1.1.1.3
IF-MIB ifOutMulticastPkts M.31.1.1.1.4
IF-MIB ifOutBroadcastPkts M.31.1.1.1.5
IF-MIB ifHCInOctets M.31.1.1.1.6
IF-MIB ifHCInUcastPkts M.31.1.1.1.7
IF-MIB ifHCInMulticastPkts M.31.1.1.1.8
IF-MIB ifHCInBroadcastPkts M.31.1.1.1.9
IF-MIB ifHCOutOctets M.31.1.1.1.10
IF-MIB ifHCOutUcastPkts M.31.1.1.1.11
IF-MIB ifHCOutMulticastPkts M.31.1.1.1.12
IF-MIB ifHCOutBroadcastPkts M.31.1.1.1.13
IF-MIB ifLinkUpDownTrapEnable M.31.1.1.1.14
IF-MIB ifHighSpeed M.31.1.1.1.15
IF-MIB ifPromiscuousMode M.31.1.1.1.16
IF-MIB ifConnectorPresent M.31.1.1.1.17
IF-MIB ifAlias M.31.1.1.1.18
IF-MIB ifCounterDiscontinuityTime M.31.1.1.1.19
IP-MIB ip M.4
IP-MIB ipForwarding M.4.1
IP-MIB ipDefaultTTL M.4.2
IP-MIB ipInReceives M.4.3
IP-MIB ipAddrTable M.4.20
IP-MIB ipAdEntAddr M.4.20.1.1
IP-MIB ipAdEntIfIndex M.4.20.1.2
IP-MIB ipAdEntNetMask M.4.20.1.3
IP-MIB icmp M.5
TCP-MIB tcp M.6
TCP-MIB tcpRtoAlgorithm M.6.1
TCP-MIB tcpActiveOpens M.6.5
TCP-MIB tcpPassiveOpens M.6.6
TCP-MIB tcpCurrEstab M.6.9
TCP-MIB tcpInSegs M.6.10
TCP-MIB tcpOutSegs M.6.11
TCP-MIB tcpConnTable M.6.13
UDP-MIB udp M.7
UDP-MIB udpInDatagrams M.7.1
UDP-MIB udpNoPorts M.7.2
UDP-MIB udpInErrors M.7.3
UDP-MIB udpOutDatagrams M.7.4
UDP-MIB udpTable M.7.5
SNMPv2-MIB snmp M.11
SNMPv2-MIB snmpInPkts M.11.1
SNMPv2-MIB snmpOutPkts M.11.2
SNMPv2-MIB snmpInBadVersions M.11.3
SNMPv2-MIB snmpInBadCommunityNames M.11.4
SNMPv2-MIB snmpInASNParseErrs M.11.6
SNMPv2-MIB snmpEnableAuthenTraps M.11.30
HOST-RESOURCES-MIB host M.25
HOST-RESOURCES-MIB hrSystem M.25.1
HOST-RESOURCES-MIB hrSystemUptime M.25.1.1
HOST-RESOURCES-MIB hrSystemDate M.25.1.2
HOST-RESOURCES-MIB hrSystemNumUsers M.25.1.5
HOST-RESOURCES-MIB hrSystemProcesses M.25.1.6
HOST-RESOURCES-MIB hrStorage M.25.2
HOST-RESOURCES-MIB hrMemorySize M.25.2.2
HOST-RESOURCES-MIB hrStorageTable M.25.2.3
HOST-RESOURCES-MIB hrStorageEntry M.25.2.3.1
HOST-RESOURCES-MIB hrStorageIndex M.25.2.3.1.1
HOST-RESOURCES-MIB hrStorageType M.25.2.3.1.2
HOST-RESOURCES-MIB hrStorageDescr M.25.2.3.1.3
HOST-RESOURCES-MIB hrStorageAllocationUnits M.25.2.3.1.4
HOST-RESOURCES-MIB hrStorageSize M.25.2.3.1.5
HOST-RESOURCES-MIB hrStorageUsed M.25.2.3.1.6
HOST-RESOURCES-MIB hrDevice M.25.3
HOST-RESOURCES-MIB hrDeviceTable M.25.3.2
HOST-RESOURCES-MIB hrProcessorTable M.25.3.3
HOST-RESOURCES-MIB hrProcessorLoad M.25.3.3.1.2
HOST-RESOURCES-MIB hrSWRun M.25.4
HOST-RESOURCES-MIB hrSWRunTable M.25.4.2
HOST-RESOURCES-MIB hrSWRunName M.25.4.2.1.2
HOST-RESOURCES-MIB hrSWInstalled M.25.6
HOST-RESOURCES-MIB hrSWInstalledTable M.25.6.3
HOST-RESOURCES-MIB hrSWInstalledName M.25.6.3.1.2
UCD-SNMP-MIB ucdavis 1.3.6.1.4.1.2021
UCD-SNMP-MIB memory 1.3.6.1.4.1.2021.4
UCD-SNMP-MIB laTable 1.3.6.1.4.1.2021.10
UCD-SNMP-MIB laLoad 1.3.6.1.4.1.2021.10.1.3
UCD-SNMP-MIB laLoadFloat 1.3.6.1.4.1.2021.10.1.6
UCD-SNMP-MIB systemStats 1.3.6.1.4.1.2021.11
NET-SNMP-MIB netSnmp 1.3.6.1.4.1.8072
SNMPv2-MIB snmpTrapOID 1.3.6.1.6.3.1.1.4.1
SNMPv2-MIB snmpTrapEnterprise 1.3.6.1.6.3.1.1.4.3
SNMPv2-MIB coldStart 1.3.6.1.6.3.1.1.5.1
SNMPv2-MIB warmStart 1.3.6.1.6.3.1.1.5.2
IF-MIB linkDown 1.3.6.1.6.3.1.1.5.3
IF-MIB linkUp 1.3.6.1.6.3.1.1.5.4
SNMPv2-MIB authenticationFailure 1.3.6.1.6.3.1.1.5.5
SNMP-FRAMEWORK-MIB snmpEngine 1.3.6.1.6.3.10.2.1
SNMP-FRAMEWORK-MIB snmpEngineID 1.3.6.1.6.3.10.2.1.1
SNMP-FRAMEWORK-MIB snmpEngineBoots 1.3.6.1.6.3.10.2.1.2
SNMP-FRAMEWORK-MIB snmpEngineTime 1.3.6.1.6.3.10.2.1.3
SNMP-FRAMEWORK-MIB snmpEngineMaxMessageSize 1.3.6.1.6.3.10.2.1.4
SNMP-MPD-MIB snmpUnknownSecurityModels 1.3.6.1.6.3.11.2.1.1
SNMP-MPD-MIB snmpInvalidMsgs 1.3.6.1.6.3.11.2.1.2
SNMP-MPD-MIB snmpUnknownPDUHandlers 1.3.6.1.6.3.11.2.1.3
SNMP-USER-BASED-SM-MIB usmStats 1.3.6.1.6.3.15.1.1
SNMP-USER-BASED-SM-MIB usmStatsUnsupportedSecLevels 1.3.6.1.6.3.15.1.1.1
SNMP-USER-BASED-SM-MIB usmStatsNotInTimeWindows 1.3.6.1.6.3.15.1.1.2
SNMP-USER-BASED-SM-MIB usmStatsUnknownUserNames 1.3.6.1.6.3.15.1.1.3
SNMP-USER-BASED-SM-MIB usmStatsUnknownEngineIDs 1.3.6.1.6.3.15.1.1.4
SNMP-USER-BASED-SM-MIB usmStatsWrongDigests 1.3.6.1.6.3.15.1.1.5
SNMP-USER-BASED-SM-MIB usmStatsDecryptionErrors 1.3.6.1.6.3.15.1.1.6
"""


def _load() -> tuple[dict[str, tuple[int, ...]], dict[tuple[int, ...], str]]:
    names: dict[str, tuple[int, ...]] = {}
    by_oid: dict[tuple[int, ...], str] = {}
    for line in _TABLE.strip().splitlines():
        module, name, dotted = line.split()
        oid = tuple(int(p) for p in dotted.replace("M", _MIB2).split("."))
        names[name] = oid
        names[f"{module}::{name}"] = oid
        by_oid.setdefault(oid, f"{module}::{name}")
    return names, by_oid


#: name (bare and ``MODULE::name``) -> arcs; read-only after import.
NAMES, _BY_OID = _load()


def parse_oid(text: str | tuple[int, ...] | ObjectIdentifier) -> ObjectIdentifier:
    """An OID from dotted digits (``1.3.6.1``, ``.1.3.6.1``), a name (``sysDescr.0``,
    ``SNMPv2-MIB::sysDescr.0``, ``IF-MIB::ifDescr``) or a tuple.

    Raises:
        ValueError: not a dotted OID and not a known name.
    """
    if isinstance(text, ObjectIdentifier):
        return text
    if isinstance(text, tuple):
        return ObjectIdentifier(text)
    s = text.strip().lstrip(".")
    if s[:1].isdigit():
        return ObjectIdentifier(s)
    head, dot, rest = s.partition(".")
    base = NAMES.get(head)
    if base is None and "::" in head:
        base = NAMES.get(head.split("::", 1)[1])
    if base is None:
        raise ValueError(f"unknown OID name {head!r} (use dotted digits, or a built-in MIB-2 name)")
    if not dot:
        return ObjectIdentifier(base)
    try:
        return ObjectIdentifier(base + tuple(int(p) for p in rest.split(".")))
    except ValueError:
        raise ValueError(f"bad OID suffix in {text!r}") from None


def name_of(oid: tuple[int, ...]) -> str:
    """The symbolic form ``MODULE::name.suffix`` by longest known prefix, else the dotted form."""
    for n in range(len(oid), 0, -1):
        name = _BY_OID.get(tuple(oid[:n]))
        if name is not None:
            suffix = ".".join(map(str, oid[n:]))
            return f"{name}.{suffix}" if suffix else name
    return ".".join(map(str, oid))


def format_oid(oid: tuple[int, ...], numeric: bool = True) -> str:
    """Dotted (``numeric=True``) or symbolic rendering of an OID."""
    return ".".join(map(str, oid)) if numeric else name_of(oid)
