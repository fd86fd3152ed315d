"""Declarative, typed header fields and the compiler that turns a field list into struct code.

A layer lists its fields once (``fields_desc``); :func:`compile_layer` merges adjacent bit
fields into whole bytes, derives ONE ``struct.Struct`` for the fixed header, and generates
two small functions: ``unpack(buf, off) -> list`` and ``pack(values) -> bytes``. That is
dpkt's one-format-per-header idea with Scapy's declarative fields, and no per-field Python
object on the hot path.
"""

from __future__ import annotations

import functools
import ipaddress
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import LocalProtocolError


class _Auto:
    """Sentinel: compute this field when the packet is built (lengths, checksums, types)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "AUTO"

    def __reduce__(self) -> str:
        return "AUTO"


AUTO: Any = _Auto()


# ---- value conversions used by generated code -------------------------------------------


def ip4_ntoa(b: bytes) -> str:
    """Dotted-quad text of 4 packed bytes."""
    return f"{b[0]}.{b[1]}.{b[2]}.{b[3]}"


_OCTET = {str(i): i for i in range(256)}.__getitem__  # "0".."255" without leading zeros


@functools.lru_cache(maxsize=4096)
def _ip4_text(value: str) -> bytes:
    # a pure function, memoised: crafting loops reuse a handful of addresses
    parts = value.split(".")
    if len(parts) == 4:
        try:
            return bytes(map(_OCTET, parts))
        except KeyError:
            pass
    raise LocalProtocolError(f"not an IPv4 address: {value!r}")


@functools.lru_cache(maxsize=4096)
def _mac_text(value: str) -> bytes:
    try:
        b = bytes.fromhex(value.replace(":", "").replace("-", ""))
    except ValueError:
        b = b""
    if len(b) != 6:
        raise LocalProtocolError(f"not a MAC address: {value!r}")
    return b


def ip4_aton(value: Any) -> bytes:
    """4 packed bytes from dotted-quad text, an int, bytes or an ``IPv4Address``.

    Raises:
        LocalProtocolError: not an IPv4 address.
    """
    if value.__class__ is bytes and len(value) == 4:
        return value
    if value.__class__ is str:
        return _ip4_text(value)
    if isinstance(value, int):
        return value.to_bytes(4, "big")
    if isinstance(value, (bytes, bytearray)) and len(value) == 4:
        return bytes(value)
    if isinstance(value, ipaddress.IPv4Address):
        return value.packed
    raise LocalProtocolError(f"not an IPv4 address: {value!r}")


def ip6_ntoa(b: bytes) -> str:
    """RFC 5952 text of 16 packed bytes (longest zero run compressed, lower case; IPv4-mapped
    addresses in the mixed ``::ffff:192.0.2.1`` form of §5)."""
    if b[:12] == b"\x00" * 10 + b"\xff\xff":
        return f"::ffff:{b[12]}.{b[13]}.{b[14]}.{b[15]}"
    h = b.hex()
    groups = [h[i : i + 4].lstrip("0") or "0" for i in range(0, 32, 4)]
    best, best_len, i = -1, 1, 0
    while i < 8:
        if groups[i] == "0":
            j = i
            while j < 8 and groups[j] == "0":
                j += 1
            if j - i > best_len:
                best, best_len = i, j - i
            i = j
        else:
            i += 1
    if best < 0:
        return ":".join(groups)
    return ":".join(groups[:best]) + "::" + ":".join(groups[best + best_len :])


def ip6_aton(value: Any) -> bytes:
    """16 packed bytes from IPv6 text, an int, bytes or an ``IPv6Address``.

    Raises:
        LocalProtocolError: not an IPv6 address.
    """
    if isinstance(value, (bytes, bytearray)) and len(value) == 16:
        return bytes(value)
    try:
        return ipaddress.IPv6Address(value).packed
    except (ValueError, TypeError):
        raise LocalProtocolError(f"not an IPv6 address: {value!r}") from None


def mac_ntoa(b: bytes) -> str:
    """``aa:bb:cc:dd:ee:ff`` text of 6 bytes."""
    return b.hex(":")


def mac_aton(value: Any) -> bytes:
    """6 bytes from MAC text (``:``/``-`` separated or bare hex) or bytes.

    Raises:
        LocalProtocolError: not a MAC address.
    """
    if value.__class__ is bytes and len(value) == 6:
        return value
    if value.__class__ is str:
        return _mac_text(value)
    if isinstance(value, (bytes, bytearray)) and len(value) == 6:
        return bytes(value)
    raise LocalProtocolError(f"not a MAC address: {value!r}")


class FlagValue(int):
    """An int whose text form is flag letters (``"SA"``); compares equal to either form."""

    __slots__ = ()
    names: str = ""

    def __new__(cls, value: int, names: str = "") -> FlagValue:
        obj = int.__new__(cls, value)
        return obj

    def __str__(self) -> str:
        return flags_text(int(self), type(self).names)

    def __repr__(self) -> str:
        return f"<Flag {int(self)} ({self})>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return int(self) == flags_int(other, type(self).names)
        return int(self) == other

    def __hash__(self) -> int:
        return int(self)

    def __contains__(self, letter: str) -> bool:
        return bool(int(self) & flags_int(letter, type(self).names))


def flags_text(value: int, names: str) -> str:
    """Letters of the set bits; ``names[0]`` is bit 0."""
    return "".join(n for i, n in enumerate(names) if value >> i & 1)


def flags_int(value: Any, names: str) -> int:
    """An int from flag letters (``"SA"``), or the int itself.

    Raises:
        LocalProtocolError: an unknown letter.
    """
    if isinstance(value, int):
        return int(value)
    out = 0
    for ch in str(value):
        i = names.find(ch)
        if i < 0:
            raise LocalProtocolError(f"unknown flag {ch!r}; known: {names}")
        out |= 1 << i
    return out


def enum_int(value: Any, names: Mapping[int, str]) -> int:
    """An int from an enum name or the int itself.

    Raises:
        LocalProtocolError: an unknown name.
    """
    if isinstance(value, int):
        return int(value)
    for k, v in names.items():
        if v == value:
            return k
    raise LocalProtocolError(f"unknown value {value!r}; known: {', '.join(names.values())}")


# ---- field declarations ------------------------------------------------------------------


class Field:
    """One header field: ``name``, ``default`` (AUTO = computed on build), a struct code or a
    bit width, and how values show. Subclasses set the kind."""

    kind = "int"

    def __init__(
        self,
        name: str,
        default: Any = 0,
        fmt: str = "B",
        *,
        bits: int = 0,
        names: Mapping[int, str] | None = None,
        flags: str | None = None,
        hex: bool = False,
    ) -> None:
        self.name = name
        self.default = default
        self.fmt = fmt
        self.bits = bits
        self.names = dict(names or {})
        self.flags = flags
        self.hex = hex
        self.var = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def render(self, value: Any) -> str:
        """Human text of ``value`` for ``show()``."""
        if value is AUTO:
            return "AUTO"
        if self.flags and isinstance(value, int):
            return f"{flags_text(value, self.flags) or 0} ({value:#x})" if value else "0"
        if self.names and isinstance(value, int) and value in self.names:
            return f"{self.names[value]} ({value})"
        if self.hex and isinstance(value, int):
            return f"{value:#x}"
        return repr(value) if isinstance(value, (bytes, str)) else str(value)

    def coerce(self, value: Any) -> Any:
        """Normalise a user value for comparisons (flag letters and enum names to ints)."""
        if self.flags is not None and isinstance(value, str):
            return flags_int(value, self.flags)
        if self.names and isinstance(value, str):
            return enum_int(value, self.names)
        return value


def Int(name: str, default: Any = 0, fmt: str = "B", **kw: Any) -> Field:
    """An unsigned integer field stored with struct code ``fmt`` (B, H, I, Q)."""
    return Field(name, default, fmt, **kw)


def Bits(name: str, bits: int, default: Any = 0, **kw: Any) -> Field:
    """An integer of ``bits`` bits; adjacent bit fields are packed MSB first into whole bytes."""
    return Field(name, default, "", bits=bits, **kw)


class MAC(Field):
    """A MAC address shown as ``aa:bb:cc:dd:ee:ff``."""

    kind = "mac"

    def __init__(self, name: str, default: Any = "00:00:00:00:00:00") -> None:
        super().__init__(name, default, "6s")


class IPv4Addr(Field):
    """An IPv4 address shown as dotted quad."""

    kind = "ip4"

    def __init__(self, name: str, default: Any = "0.0.0.0") -> None:
        super().__init__(name, default, "4s")


class IPv6Addr(Field):
    """An IPv6 address shown in RFC 5952 form."""

    kind = "ip6"

    def __init__(self, name: str, default: Any = "::") -> None:
        super().__init__(name, default, "16s")


class Bytes(Field):
    """A fixed-width byte string (``size`` bytes; shorter values are zero-padded)."""

    kind = "bytes"

    def __init__(self, name: str, size: int, default: bytes | None = None) -> None:
        super().__init__(name, default if default is not None else b"\x00" * size, f"{size}s")


class Var(Field):
    """A variable part (options, records, payload data) decoded and encoded by the layer."""

    kind = "var"

    def __init__(self, name: str, default: Any = ()) -> None:
        super().__init__(name, default, "")
        self.var = True

    def render(self, value: Any) -> str:
        return repr(value)


# ---- the compiler --------------------------------------------------------------------------

_GROUP_CODE = {8: "B", 16: "H", 24: None, 32: "I"}


class Compiled:
    """The compiled form of one layer's fields."""

    def __init__(
        self,
        struct_: struct.Struct,
        unpack: Callable[[Any, int], list[Any]],
        pack: Callable[[Sequence[Any]], bytes],
        source: str,
        offsets: dict[int, tuple[int, str]],
    ) -> None:
        self.struct = struct_
        self.unpack = unpack
        self.pack = pack
        self.source = source
        #: field index -> (byte offset, struct code) for whole-byte fixed fields
        self.offsets = offsets


def compile_fields(fields: Sequence[Field], byteorder: str = "!", owner: str = "layer") -> Compiled:
    """Generate the struct and the unpack/pack functions for ``fields`` (var fields skipped).

    Raises:
        TypeError: bit fields that do not add up to whole bytes.
    """
    fmt = byteorder
    dec: dict[int, str] = {}
    enc: list[str] = []
    group: list[tuple[int, Field]] = []
    gbits = 0
    ri = 0
    offsets: dict[int, tuple[int, str]] = {}
    st_size = struct.calcsize
    env: dict[str, Any] = {
        "ip4_ntoa": ip4_ntoa,
        "ip4_aton": ip4_aton,
        "ip6_ntoa": ip6_ntoa,
        "ip6_aton": ip6_aton,
        "mac_aton": mac_aton,
        "flags_int": flags_int,
        "enum_int": enum_int,
    }

    def int_expr(k: int, f: Field) -> str:
        v = f"v[{k}]"
        if f.flags is not None:
            env[f"_fl{k}"] = f.flags
            env[f"_flc{k}"] = {flags_text(i, f.flags): i for i in range(1 << len(f.flags))}
            return f"({v} if {v}.__class__ is int else _flc{k}.get({v}) or flags_int({v}, _fl{k}))"
        if f.names:
            env[f"_en{k}"] = f.names
            return f"({v} if {v}.__class__ is int else enum_int({v}, _en{k}))"
        return v

    def dec_int(k: int, f: Field, expr: str) -> str:
        return expr  # flag fields are wrapped in FlagValue by their descriptor, on read

    for k, f in enumerate(fields):
        if f.var:
            continue
        if f.bits:
            group.append((k, f))
            gbits += f.bits
            if gbits % 8 == 0 and _GROUP_CODE.get(gbits):
                fmt += _GROUP_CODE[gbits] or ""
                shift = gbits
                parts = []
                for k2, f2 in group:
                    shift -= f2.bits
                    m = (1 << f2.bits) - 1
                    dec[k2] = dec_int(
                        k2, f2, f"(r[{ri}] >> {shift}) & {m}" if shift else f"r[{ri}] & {m}"
                    )
                    parts.append(
                        f"(({int_expr(k2, f2)} & {m}) << {shift})"
                        if shift
                        else f"({int_expr(k2, f2)} & {m})"
                    )
                enc.append(" | ".join(parts))
                ri += 1
                group = []
                gbits = 0
            continue
        if group:
            raise TypeError(f"{owner}: bit fields before {f.name!r} do not fill whole bytes")
        fmt += f.fmt
        offsets[k] = (st_size(fmt) - st_size(byteorder + f.fmt), f.fmt)
        # address fields stay packed bytes until read (their descriptor formats them), and
        # their encoders accept packed bytes as well as text
        if f.kind in ("ip4", "ip6", "mac"):
            # packed bytes of the right size pass straight through; anything else is converted
            size = {"ip4": 4, "ip6": 16, "mac": 6}[f.kind]
            dec[k] = f"r[{ri}]"
            enc.append(
                f"(v[{k}] if v[{k}].__class__ is bytes and len(v[{k}]) == {size} else {f.kind}_aton(v[{k}]))"
            )
        elif f.kind == "bytes":
            dec[k] = f"r[{ri}]"
            enc.append(f"v[{k}]")
        else:
            dec[k] = dec_int(k, f, f"r[{ri}]")
            enc.append(int_expr(k, f))
        ri += 1
    if group:
        raise TypeError(f"{owner}: trailing bit fields do not fill whole bytes")
    st = struct.Struct(fmt)
    env["_unpack_from"] = st.unpack_from
    env["_pack"] = st.pack
    fixed = [k for k, f in enumerate(fields) if not f.var]
    src = (
        "def unpack(buf, off):\n"
        "    r = _unpack_from(buf, off)\n"
        f"    return [{', '.join(dec[k] for k in fixed)}]\n"
        "def pack(v):\n"
        f"    return _pack({', '.join(enc)})\n"
    )
    exec(
        compile(src, f"<wirekit layer {owner}>", "exec"), env
    )  # generated from the field list above
    return Compiled(st, env["unpack"], env["pack"], src, offsets)
