"""Batch crafting: build a packet once, then stamp out frames that differ in a few fields.

A :class:`Template` builds its packet once, notes the byte offset of every varying field and,
for every checksum covering it, the field's weight in the one's-complement sum. Because
2**16 ≡ 1 (mod 0xFFFF), a field of value x whose last byte sits k bytes before the end of the
(even-padded) checksummed region contributes x·256**(k mod 2) to the sum: a new checksum is
the base sum plus a few multiplications, never a pass over the bytes (RFC 1624 in spirit).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import ConfigError
from .field import ip4_aton, ip6_aton, mac_aton
from .layer import Layer
from .layers.inet import ICMP, TCP, UDP, IPv4
from .layers.inet6 import ICMPv6, IPv6


def _int_of(kind: str, value: Any) -> int:
    if isinstance(value, int):
        return value
    if kind == "ip4":
        return int.from_bytes(ip4_aton(value), "big")
    if kind == "ip6":
        return int.from_bytes(ip6_aton(value), "big")
    if kind == "mac":
        return int.from_bytes(mac_aton(value), "big")
    raise ConfigError(f"template value {value!r} is not an int")


class Template:
    """Frames from ``packet`` with the fields named in ``vary`` (``"TCP.sport"``, or just
    ``"sport"`` for the first layer having it) replaced per frame.

    ``build(*values)`` returns one frame; ``build_many(rows)`` a list. Lengths are fixed by
    the template; IPv4, TCP, UDP, ICMP and ICMPv6 checksums are kept right.

    Raises:
        ConfigError: an unknown or unsupported (bit or variable-length) field.
    """

    def __init__(self, packet: Layer, vary: Sequence[str]) -> None:
        self.packet = packet
        self.vary = tuple(vary)
        base = bytes(packet)
        self.base = base
        parsed = type(packet).parse(base, bindings=packet._bnd)
        layers = list(parsed.layers())
        fields: list[tuple[int, int, str, str]] = []  # (offset, width, struct code, kind)
        owners: list[Layer] = []
        for name in self.vary:
            lname, _, fname = name.rpartition(".")
            hit = None
            for layer in layers:
                if (not lname or layer.name == lname) and fname in layer._index:
                    hit = layer
                    break
            if hit is None:
                raise ConfigError(f"no layer of the template has field {name!r}")
            idx = hit._index[fname]
            if idx not in hit._c.offsets:
                raise ConfigError(f"{name}: only whole-byte fixed fields can vary in a template")
            rel, code = hit._c.offsets[idx]
            width = struct.calcsize("!" + code)
            fields.append((hit._off + rel, width, code, hit.fields_desc[idx].kind))
            owners.append(hit)
        self._fields = fields
        # checksum plans: (checksum offset, region start, region end, extra base sum, fields weights, is_udp)
        plans: list[tuple[int, int, int, Layer | None, bool]] = []
        buf = bytearray(base)
        for k, layer in enumerate(layers):
            ip = next((x for x in reversed(layers[:k]) if x._is_ip), None)
            if isinstance(layer, IPv4):
                plans.append((layer._off + 10, layer._off, layer._off + layer._hl, None, False))
            elif isinstance(layer, (TCP, UDP, ICMPv6)) and ip is not None:
                ck = layer._off + (
                    16 if isinstance(layer, TCP) else 6 if isinstance(layer, UDP) else 2
                )
                plans.append((ck, layer._off, layer._end, ip, isinstance(layer, UDP)))
            elif isinstance(layer, ICMP):
                plans.append((layer._off + 2, layer._off, layer._end, None, False))
        for off, width, _code, _kind in fields:
            buf[off : off + width] = bytes(width)
        self._plans = []
        for ck, start, end, ip, is_udp in plans:
            region = bytearray(buf[start:end])
            region[ck - start : ck - start + 2] = b"\x00\x00"
            if len(region) & 1:
                region += b"\x00"
            total = int.from_bytes(region, "big") % 0xFFFF
            weights = []
            for j, (off, width, _code, _kind) in enumerate(fields):
                if start <= off and off + width <= end:
                    weights.append((j, 256 if (len(region) - (off - start) - width) % 2 else 1))
            if ip is not None:
                proto = 17 if is_udp else 58 if isinstance(ip, IPv6) else 6
                alen = 4 if isinstance(ip, IPv4) else 16
                srcoff = ip._off + (12 if alen == 4 else 8)
                total += (
                    int.from_bytes(buf[srcoff : srcoff + 2 * alen], "big") + proto + (end - start)
                )
                for j, (off, width, _code, _kind) in enumerate(fields):
                    if srcoff <= off and off + width <= srcoff + 2 * alen:
                        weights.append((j, 256 if (2 * alen - (off - srcoff) - width) % 2 else 1))
            self._plans.append((ck, total % 0xFFFF, tuple(weights), is_udp))
        self._compile()

    def _compile(self) -> None:
        n = len(self._fields)
        args = [f"v{j}" for j in range(n)]
        env: dict[str, Any] = {
            "BASE": self.base,
            "_int_of": _int_of,
            "pack_into": struct.pack_into,
            "bytearray": bytearray,
        }
        lines = [f"def build({', '.join(args)}):", "    b = bytearray(BASE)"]
        for j, (off, width, code, kind) in enumerate(self._fields):
            if code.endswith("s"):
                lines.append(f"    if v{j}.__class__ is not int: v{j} = _int_of({kind!r}, v{j})")
                lines.append(f"    b[{off}:{off + width}] = v{j}.to_bytes({width}, 'big')")
            else:
                lines.append(f"    pack_into('!{code}', b, {off}, v{j})")
        for ck, total, weights, is_udp in self._plans:
            expr = " + ".join(
                [str(total)] + [f"v{j}*{m}" if m != 1 else f"v{j}" for j, m in weights]
            )
            lines.append(f"    s = ({expr}) % 0xFFFF")
            lines.append("    c = 0xFFFF - s if s else 0")
            if is_udp:
                lines.append("    c = c or 0xFFFF")  # RFC 768: a zero checksum is sent as all ones
            lines.append(f"    b[{ck}] = c >> 8")
            lines.append(f"    b[{ck + 1}] = c & 0xFF")
        lines.append("    return bytes(b)")
        src = "\n".join(lines) + "\n"
        exec(
            compile(src, "<wirekit template>", "exec"), env
        )  # generated from the template's layout
        self.build = env["build"]  # type: ignore[method-assign]
        self.source = src

    def build(self, *values: Any) -> bytes:  # replaced per instance by the generated builder
        """One frame with the ``vary`` fields set to ``values`` (in order)."""
        raise NotImplementedError

    def build_many(self, rows: Iterable[Sequence[Any]]) -> list[bytes]:
        """Frames for every row of values."""
        b = self.build
        return [b(*row) for row in rows]

    def iter_columns(self, *columns: Iterable[Any]) -> Iterator[bytes]:
        """Frames from columns of values (one iterable per ``vary`` field)."""
        b = self.build
        for row in zip(*columns, strict=True):
            yield b(*row)
