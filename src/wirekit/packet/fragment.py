"""IP fragmentation and reassembly helpers (RFC 791 §3.2, RFC 8200 §4.5); explicit, never implicit.

Dissection never reassembles on its own (unlike tshark's default): fragments stay fragments,
and non-first fragments carry a Raw payload. :class:`Reassembler` is the opt-in stage.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..errors import ConfigError
from .layer import Layer, Raw
from .layers.inet import IPv4
from .layers.inet6 import IPv6, IPv6Fragment


def fragment(packet: IPv4, mtu: int = 1500) -> list[IPv4]:
    """Split an IPv4 packet into fragments whose total length is at most ``mtu``.

    Checksums of the upper layer are computed over the whole datagram first, as a sender would.

    Raises:
        ConfigError: ``mtu`` leaves no room for 8 bytes of data.
    """
    whole = IPv4.parse(bytes(packet))
    hl = whole._hl
    data = bytes(whole)[hl : whole._end - whole._off]
    step = (mtu - hl) // 8 * 8
    if step <= 0:
        raise ConfigError(f"MTU {mtu} is too small for a {hl}-byte header")
    out: list[IPv4] = []
    base_off = int(whole.frag)
    more = int(whole.flags) & 1
    for start in range(0, len(data), step):
        chunk = data[start : start + step]
        last = start + step >= len(data)
        frag = whole.replace(
            frag=base_off + start // 8,
            flags=(int(whole.flags) & ~1) | (0 if last and not more else 1),
        )
        frag.payload = Raw(chunk)
        assert isinstance(frag, IPv4)
        out.append(frag)
    return out


@dataclass
class _Pending:
    pieces: dict[int, bytes] = field(default_factory=dict)
    head: bytes | None = None
    total: int | None = None


class Reassembler:
    """Collects IPv4 and IPv6 fragments and returns whole datagrams.

    ``feed(packet)`` returns the packet itself when it is not a fragment, the reassembled
    datagram (a parsed IPv4/IPv6 layer) when the last missing piece arrives, else None.
    At most ``max_pending`` datagrams are kept; the oldest is dropped beyond that.
    Overlapping fragments: the first bytes received win (RFC 5722 says drop; we keep data).
    """

    def __init__(self, max_pending: int = 1024) -> None:
        self.max_pending = max_pending
        self._pending: OrderedDict[tuple[object, ...], _Pending] = OrderedDict()

    def feed(self, packet: Layer) -> Layer | None:
        """Take one packet; return it, a reassembled datagram, or None (kept for later)."""
        if packet._buf is None or not packet._clean():  # built or changed: use its wire form
            packet = type(packet).parse(bytes(packet))
        ip4 = packet.get(IPv4)
        if ip4 is not None and (ip4.frag or int(ip4.flags) & 1):
            key: tuple[object, ...] = (4, ip4.src, ip4.dst, ip4.id, ip4.proto)
            raw = bytes(ip4)
            hl = ip4._hl if ip4._buf is not None else int(ip4.ihl) * 4
            return self._add(
                key,
                raw[:hl],
                int(ip4.frag) * 8,
                raw[hl : int(ip4.len)],
                not (int(ip4.flags) & 1),
                4,
            )
        ip6 = packet.get(IPv6)
        fr = packet.get(IPv6Fragment)
        if ip6 is not None and fr is not None:
            raw = bytes(ip6)
            cut = fr._off - ip6._off
            head = bytearray(raw[:cut])
            # the header before the Fragment header now names what the fragments carried
            prev_nh_at = 6 if cut == 40 else _last_ext_offset(raw, cut)
            head[prev_nh_at] = int(fr.nh)
            key = (6, ip6.src, ip6.dst, fr.id)
            return self._add(key, bytes(head), int(fr.offset) * 8, raw[cut + 8 :], not fr.m, 6)
        return packet

    def _add(
        self,
        key: tuple[object, ...],
        head: bytes,
        offset: int,
        data: bytes,
        last: bool,
        version: int,
    ) -> Layer | None:
        st = self._pending.get(key)
        if st is None:
            st = self._pending[key] = _Pending()
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
        st.pieces.setdefault(offset, data)
        if offset == 0:
            st.head = head
        if last:
            st.total = offset + len(data)
        if st.total is None or st.head is None:
            return None
        buf = bytearray()
        for off in sorted(st.pieces):
            if off > len(buf):
                return None  # a hole remains
            buf[off : off + len(st.pieces[off])] = st.pieces[off]
        if len(buf) < st.total:
            return None
        del self._pending[key]
        payload = bytes(buf[: st.total])
        hdr = bytearray(st.head)
        if version == 4:
            hdr[6] = hdr[6] & 0x40  # keep DF, clear MF and the offset
            hdr[7] = 0
            tl = len(hdr) + len(payload)
            hdr[2:4] = tl.to_bytes(2, "big")
            hdr[10:12] = b"\x00\x00"
            from .checksum import checksum

            hdr[10:12] = checksum(bytes(hdr)).to_bytes(2, "big")
            return IPv4.parse(bytes(hdr) + payload)
        plen = len(hdr) - 40 + len(payload)
        hdr[4:6] = plen.to_bytes(2, "big")
        return IPv6.parse(bytes(hdr) + payload)


def _last_ext_offset(raw: bytes, cut: int) -> int:
    """Offset of the next-header byte of the last extension header before ``cut``."""
    pos = 40
    last = 6
    while pos < cut:
        last = pos
        pos += (raw[pos + 1] + 1) * 8
    return last


def reassemble(packets: Iterable[Layer], max_pending: int = 1024) -> Iterator[Layer]:
    """Yield non-fragments as they come and each datagram once all its fragments arrived."""
    r = Reassembler(max_pending)
    for p in packets:
        out = r.feed(p)
        if out is not None:
            yield out
