"""Link-layer header type numbers used in pcap and pcapng files (tcpdump.org/linktypes.html)."""

from __future__ import annotations

NULL = 0  #: BSD loopback: 4-byte address family in the capturing host's byte order
EN10MB = 1  #: Ethernet II (and 802.3)
RAW = 101  #: raw IPv4 or IPv6, version from the first nibble
LOOP = 108  #: OpenBSD loopback: 4-byte address family in network byte order
LINUX_SLL = 113  #: Linux cooked capture v1 (16-byte header)
IPV4 = 228  #: raw IPv4
IPV6 = 229  #: raw IPv6
LINUX_SLL2 = 276  #: Linux cooked capture v2 (20-byte header)

NAMES: dict[int, str] = {
    NULL: "NULL",
    EN10MB: "EN10MB",
    RAW: "RAW",
    LOOP: "LOOP",
    LINUX_SLL: "LINUX_SLL",
    IPV4: "IPV4",
    IPV6: "IPV6",
    LINUX_SLL2: "LINUX_SLL2",
}


def name(linktype: int) -> str:
    """A short name for ``linktype`` (``"LINKTYPE_<n>"`` when unknown)."""
    return NAMES.get(linktype, f"LINKTYPE_{linktype}")
