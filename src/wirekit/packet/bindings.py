"""Which layer follows which: a registry object, copied to extend; the default is frozen.

``DEFAULT_BINDINGS.copy()`` gives a private registry; ``bind(UDP, MyProto, 4789)`` on it
affects only packets parsed with ``Packet.parse(data, bindings=mine)``. One declaration
drives both directions: dissection (value -> class) and building (class -> value, for
AUTO type/proto/next-header fields).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from . import linktype as lt

if TYPE_CHECKING:  # pragma: no cover
    from .layer import Layer


class Bindings:
    """Next-layer table: (lower class, selector value) -> upper class, and the reverse."""

    def __init__(self, *, frozen: bool = False) -> None:
        self._next: dict[type[Layer], dict[int, type[Layer]]] = {}
        self._value: dict[tuple[type[Layer], type[Layer]], int] = {}
        self._link: dict[int, type[Layer]] = {}
        self._frozen = frozen

    def copy(self) -> Bindings:
        """An unfrozen copy to extend."""
        new = Bindings()
        new._next = {k: dict(v) for k, v in self._next.items()}
        new._value = dict(self._value)
        new._link = dict(self._link)
        return new

    def freeze(self) -> Bindings:
        """Refuse further changes (the default registry is frozen)."""
        self._frozen = True
        return self

    def _mutable(self) -> None:
        if self._frozen:
            raise ConfigError("these bindings are frozen; extend a copy: DEFAULT_BINDINGS.copy()")

    def bind(self, lower: type[Layer], upper: type[Layer], value: int) -> None:
        """Dissect ``upper`` after ``lower`` when its selector field equals ``value``; and
        build ``lower``'s AUTO selector as ``value`` when ``upper`` follows it (first bind wins).

        Raises:
            ConfigError: the registry is frozen.
        """
        self._mutable()
        self._next.setdefault(lower, {})[value] = upper
        self._value.setdefault((lower, upper), value)

    def bind_link(self, linktype: int, first: type[Layer]) -> None:
        """Use ``first`` as the outermost layer of captures with ``linktype``.

        Raises:
            ConfigError: the registry is frozen.
        """
        self._mutable()
        self._link[linktype] = first

    def lookup(self, lower: type[Layer], value: int) -> type[Layer] | None:
        """The class that follows ``lower`` when its selector is ``value`` (None: unknown)."""
        table = self._next.get(lower)
        if table is None:
            return None
        return table.get(value)

    def value_for(self, lower: type[Layer], upper: type[Layer]) -> int | None:
        """The selector value ``lower`` carries when ``upper`` follows it."""
        return self._value.get((lower, upper))

    def first_layer(self, linktype: int, data: bytes = b"") -> type[Layer]:
        """The outermost layer class for ``linktype`` (RAW looks at the IP version nibble)."""
        from .layer import Raw
        from .layers.inet import IPv4
        from .layers.inet6 import IPv6

        if linktype == lt.RAW:
            return IPv6 if data[:1] and data[0] >> 4 == 6 else IPv4
        return self._link.get(linktype, Raw)


def _default() -> Bindings:
    from .layers import dhcp, dns, ether, inet, inet6

    b = Bindings()
    ethertypes: dict[int, type[Layer]] = {
        0x0800: inet.IPv4,
        0x86DD: inet6.IPv6,
        0x0806: ether.ARP,
        0x8100: ether.Dot1Q,
        0x88A8: ether.Dot1Q,
        0x9100: ether.Dot1Q,
    }
    for lower in (ether.Ether, ether.Dot1Q, ether.SLL, ether.SLL2):
        for value, upper in ethertypes.items():
            b.bind(lower, upper, value)
    for loop in (ether.Null, ether.Loopback):
        b.bind(loop, inet.IPv4, 2)
        for fam in (24, 28, 30, 10):  # AF_INET6 differs between BSDs, macOS and Linux
            b.bind(loop, inet6.IPv6, fam)
    ipprotos: dict[int, type[Layer]] = {
        1: inet.ICMP,
        6: inet.TCP,
        17: inet.UDP,
        58: inet6.ICMPv6,
        4: inet.IPv4,
        41: inet6.IPv6,
    }
    nh_exts: dict[int, type[Layer]] = {
        0: inet6.IPv6HopByHop,
        43: inet6.IPv6Routing,
        44: inet6.IPv6Fragment,
        60: inet6.IPv6DestOpts,
    }
    for value, upper in ipprotos.items():
        b.bind(inet.IPv4, upper, value)
    ip6_lowers: list[type[Layer]] = [inet6.IPv6, *nh_exts.values()]
    for ip6 in ip6_lowers:
        for value, upper in {**nh_exts, **ipprotos}.items():
            b.bind(ip6, upper, value)
    for port in (53, 5353):
        b.bind(inet.UDP, dns.DNS, port)
    b.bind(inet.UDP, dhcp.DHCP, 67)
    b.bind(inet.UDP, dhcp.DHCP, 68)
    for t in (3, 4, 5, 11, 12):  # RFC 792: error messages quote the offending IP header
        b.bind(inet.ICMP, inet.IPv4, t)
    for t in (1, 2, 3, 4):  # RFC 4443 §3: errors quote as much of the invoking packet as fits
        b.bind(inet6.ICMPv6, inet6.ICMPv6Error, t)
    for t, cls in {
        128: inet6.ICMPv6Echo,
        129: inet6.ICMPv6Echo,
        133: inet6.NDRouterSolicit,
        134: inet6.NDRouterAdvert,
        135: inet6.NDNeighborSolicit,
        136: inet6.NDNeighborAdvert,
    }.items():
        b.bind(inet6.ICMPv6, cls, t)
    b.bind_link(lt.EN10MB, ether.Ether)
    b.bind_link(lt.LINUX_SLL, ether.SLL)
    b.bind_link(lt.LINUX_SLL2, ether.SLL2)
    b.bind_link(lt.NULL, ether.Null)
    b.bind_link(lt.LOOP, ether.Loopback)
    b.bind_link(lt.IPV4, inet.IPv4)
    b.bind_link(lt.IPV6, inet6.IPv6)
    return b.freeze()


#: The default registry (frozen). Extend a copy: ``mine = DEFAULT_BINDINGS.copy()``.
DEFAULT_BINDINGS: Bindings = _default()
