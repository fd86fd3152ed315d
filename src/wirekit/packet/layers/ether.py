"""Link layers: Ethernet II, 802.1Q/802.1ad VLAN tags, ARP, Linux cooked (SLL, SLL2), loopback."""

from __future__ import annotations

from typing import ClassVar

from ...errors import DecodeError
from ..field import AUTO, MAC, Bits, Bytes, Field, Int, IPv4Addr
from ..layer import Layer

ETHERTYPES = {
    0x0800: "IPv4",
    0x86DD: "IPv6",
    0x0806: "ARP",
    0x8100: "802.1Q",
    0x88A8: "802.1ad",
    0x88CC: "LLDP",
    0x9100: "QinQ",
}


class Ether(Layer):
    """Ethernet II (IEEE 802.3 with an EtherType)."""

    __slots__ = ()
    fields_desc = (
        MAC("dst", "ff:ff:ff:ff:ff:ff"),
        MAC("src", "00:00:00:00:00:00"),
        Int("type", AUTO, "H", names=ETHERTYPES, hex=True),
    )
    bind_field = "type"

    def build_header(self, payload: bytes, ip: Layer | None) -> bytes:
        v = self._v if self._v is not None else self._materialize()
        if v[2] is AUTO:
            v = [v[0], v[1], self._bind_value()]
        return self._c.pack(v)

    def describe(self, ip: Layer | None = None) -> str | None:
        return f"{self.src} > {self.dst}, ethertype {ETHERTYPES.get(self.type, hex(self.type))}"


class Dot1Q(Layer):
    """An IEEE 802.1Q VLAN tag (also the 802.1ad outer tag of QinQ)."""

    __slots__ = ()
    fields_desc = (
        Bits("pcp", 3, 0),
        Bits("dei", 1, 0),
        Bits("vlan", 12, 1),
        Int("type", AUTO, "H", names=ETHERTYPES, hex=True),
    )
    bind_field = "type"


ARP_OPS = {1: "who-has", 2: "is-at", 3: "rarp-req", 4: "rarp-rep"}


class ARP(Layer):
    """ARP for IPv4 over Ethernet (RFC 826)."""

    __slots__ = ()
    fields_desc = (
        Int("hwtype", 1, "H"),
        Int("ptype", 0x0800, "H", hex=True),
        Int("hwlen", 6, "B"),
        Int("plen", 4, "B"),
        Int("op", 1, "H", names=ARP_OPS),
        MAC("hwsrc", "00:00:00:00:00:00"),
        IPv4Addr("psrc", "0.0.0.0"),
        MAC("hwdst", "00:00:00:00:00:00"),
        IPv4Addr("pdst", "0.0.0.0"),
    )

    @classmethod
    def _check(cls, buf: bytes, off: int, end: int) -> tuple[int, int]:
        hl, end = super()._check(buf, off, end)
        if buf[off + 4] != 6 or buf[off + 5] != 4:
            raise DecodeError(
                "only Ethernet/IPv4 ARP (hwlen 6, plen 4) is decoded", offset=off + 4, layer="ARP"
            )
        return hl, off + hl

    def describe(self, ip: Layer | None = None) -> str | None:
        if self.op == 1:
            return f"ARP, Request who-has {self.pdst} tell {self.psrc}, length 28"
        if self.op == 2:
            return f"ARP, Reply {self.psrc} is-at {self.hwsrc}, length 28"
        return f"ARP, op {self.op}"


SLL_TYPES = {0: "unicast-to-us", 1: "broadcast", 2: "multicast", 3: "to-other-host", 4: "outgoing"}


class SLL(Layer):
    """Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16 bytes)."""

    __slots__ = ()
    fields_desc = (
        Int("pkttype", 0, "H", names=SLL_TYPES),
        Int("hatype", 1, "H"),
        Int("halen", 6, "H"),
        Bytes("addr", 8),
        Int("proto", AUTO, "H", names=ETHERTYPES, hex=True),
    )
    bind_field = "proto"


class SLL2(Layer):
    """Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20 bytes)."""

    __slots__ = ()
    fields_desc = (
        Int("proto", AUTO, "H", names=ETHERTYPES, hex=True),
        Int("reserved", 0, "H"),
        Int("ifindex", 0, "I"),
        Int("hatype", 1, "H"),
        Int("pkttype", 0, "B", names=SLL_TYPES),
        Int("halen", 6, "B"),
        Bytes("addr", 8),
    )
    bind_field = "proto"


class Null(Layer):
    """BSD loopback (LINKTYPE_NULL): a 4-byte address family in host (here: little-endian) order."""

    __slots__ = ()
    _byteorder: ClassVar[str] = "<"
    fields_desc: ClassVar[tuple[Field, ...]] = (
        Int(
            "family",
            AUTO,
            "I",
            names={
                2: "AF_INET",
                10: "AF_INET6(linux)",
                24: "AF_INET6(bsd)",
                28: "AF_INET6(freebsd)",
                30: "AF_INET6(darwin)",
            },
        ),
    )
    bind_field = "family"

    def next_layer(self) -> type[Layer] | None:
        fam = self.family
        if fam > 0xFFFF:  # written on a big-endian host: the value reads byte-swapped here
            fam = int.from_bytes(fam.to_bytes(4, "little"), "big")
        from ..bindings import DEFAULT_BINDINGS

        return (self._bnd or DEFAULT_BINDINGS).lookup(Null, fam)


class Loopback(Layer):
    """OpenBSD loopback (LINKTYPE_LOOP): the address family in network byte order."""

    __slots__ = ()
    fields_desc = (
        Int(
            "family",
            AUTO,
            "I",
            names={2: "AF_INET", 24: "AF_INET6", 28: "AF_INET6", 30: "AF_INET6"},
        ),
    )
    bind_field = "family"
