"""SNMP typed values (RFC 2578 SMI and RFC 3416 exceptions), their BER codecs and JSON forms.

Each type subclasses the Python type it behaves like (``int``, ``bytes``, ``tuple``) so values
are cheap to create and compare, convert with ``int()``/``str()``, and keep their SNMP tag.
OCTET STRINGs keep their bytes; text is decoded only when asked for.
"""

from __future__ import annotations

import builtins
import ipaddress
import struct
from typing import Any, ClassVar

from ..errors import DecodeError
from .ber import (
    decode_integer,
    decode_oid,
    decode_unsigned,
    encode_integer,
    encode_oid,
    encode_unsigned,
    tlv,
)

__all__ = [
    "EXCEPTION_VALUES",
    "TAGS",
    "Counter32",
    "Counter64",
    "EndOfMibView",
    "Gauge32",
    "Integer",
    "IpAddress",
    "NoSuchInstance",
    "NoSuchObject",
    "Null",
    "ObjectIdentifier",
    "OctetString",
    "Opaque",
    "SNMPValue",
    "TimeTicks",
    "Unsigned32",
    "decode_value",
    "encode_value",
    "value_from_python",
]

_LAYER = "snmp-value"


class SNMPValue:
    """Mixin of every SNMP value: its BER ``TAG`` and ``type_name``."""

    TAG: ClassVar[int]
    type_name: ClassVar[str]
    __slots__ = ()

    def encode_body(self) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def encode(self) -> bytes:
        """The full TLV."""
        return tlv(self.TAG, self.encode_body())

    def to_json(self) -> Any:
        """A JSON-friendly Python value."""
        raise NotImplementedError  # pragma: no cover


class _IntValue(int, SNMPValue):
    __slots__ = ()
    BITS: ClassVar[int] = 32

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"

    def __str__(self) -> str:
        return str(int(self))

    def encode_body(self) -> bytes:
        return encode_unsigned(self)

    def to_json(self) -> Any:
        return int(self)


class Integer(_IntValue):
    """INTEGER / Integer32 (tag 0x02)."""

    TAG = 0x02
    type_name = "Integer"
    __slots__ = ()

    def encode_body(self) -> bytes:
        return encode_integer(self)


class Counter32(_IntValue):
    """Counter32 (tag 0x41)."""

    TAG = 0x41
    type_name = "Counter32"
    __slots__ = ()


class Gauge32(_IntValue):
    """Gauge32, also Unsigned32 (tag 0x42)."""

    TAG = 0x42
    type_name = "Gauge32"
    __slots__ = ()


Unsigned32 = Gauge32


class TimeTicks(_IntValue):
    """TimeTicks: hundredths of a second (tag 0x43)."""

    TAG = 0x43
    type_name = "TimeTicks"
    __slots__ = ()

    def pretty(self) -> str:
        """Net-SNMP's ``(N) D day(s), H:MM:SS.CC`` rendering."""
        t = int(self)
        days, rest = divmod(t, 8640000)
        h, rest = divmod(rest, 360000)
        m, rest = divmod(rest, 6000)
        s, cs = divmod(rest, 100)
        prefix = f"{days} day{'s' if days != 1 else ''}, " if days else ""
        return f"({t}) {prefix}{h}:{m:02d}:{s:02d}.{cs:02d}"


class Counter64(_IntValue):
    """Counter64 (tag 0x46)."""

    TAG = 0x46
    type_name = "Counter64"
    BITS = 64
    __slots__ = ()


class OctetString(bytes, SNMPValue):
    """OCTET STRING (tag 0x04): the bytes are kept; ``text`` decodes lazily."""

    TAG = 0x04
    type_name = "OctetString"
    __slots__ = ()

    @property
    def text(self) -> str:
        """UTF-8 text, with undecodable octets escaped."""
        return self.decode("utf-8", "backslashreplace")

    def is_printable(self) -> bool:
        """True if the bytes are UTF-8 text with no control characters other than whitespace."""
        try:
            s = self.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return all(c.isprintable() or c in "\r\n\t" for c in s)

    def __str__(self) -> str:
        return self.text if self.is_printable() else self.hex(" ").upper()

    def __repr__(self) -> str:
        return f"OctetString({bytes(self)!r})"

    def encode_body(self) -> bytes:
        return bytes(self)

    def to_json(self) -> Any:
        return self.text if self.is_printable() else {"hex": self.hex()}


class Opaque(bytes, SNMPValue):
    """Opaque (tag 0x44); ``float`` decodes Net-SNMP's wrapped float/double (UCD load averages)."""

    TAG = 0x44
    type_name = "Opaque"
    __slots__ = ()

    @property
    def float(self) -> builtins.float | None:
        """The wrapped value of ``9f 78 04 <float>`` or ``9f 79 08 <double>``, else None."""
        if len(self) == 7 and self[:3] == b"\x9f\x78\x04":
            return float(struct.unpack(">f", self[3:])[0])
        if len(self) == 11 and self[:3] == b"\x9f\x79\x08":
            return float(struct.unpack(">d", self[3:])[0])
        return None

    @classmethod
    def from_float(cls, value: builtins.float) -> Opaque:
        """Wrap a float the way Net-SNMP does."""
        return cls(b"\x9f\x78\x04" + struct.pack(">f", value))

    def __str__(self) -> str:
        f = self.float
        return repr(f) if f is not None else self.hex(" ").upper()

    def __repr__(self) -> str:
        return f"Opaque({bytes(self)!r})"

    def encode_body(self) -> bytes:
        return bytes(self)

    def to_json(self) -> Any:
        f = self.float
        return f if f is not None else {"hex": self.hex()}


class IpAddress(bytes, SNMPValue):
    """IpAddress (tag 0x40): four octets; ``str`` gives dotted quad."""

    TAG = 0x40
    type_name = "IpAddress"
    __slots__ = ()

    def __new__(cls, value: bytes | str | ipaddress.IPv4Address = b"\0\0\0\0") -> IpAddress:
        if isinstance(value, str):
            value = ipaddress.IPv4Address(value).packed
        elif isinstance(value, ipaddress.IPv4Address):
            value = value.packed
        return super().__new__(cls, value)

    def __str__(self) -> str:
        return ".".join(str(b) for b in self) if len(self) == 4 else self.hex(" ")

    def __repr__(self) -> str:
        return f"IpAddress({str(self)!r})"

    def encode_body(self) -> bytes:
        return bytes(self)

    def to_json(self) -> Any:
        return str(self)


class ObjectIdentifier(tuple[int, ...], SNMPValue):
    """OBJECT IDENTIFIER (tag 0x06): a tuple of arcs; ``str`` gives the dotted form.

    Construct from a tuple or a dotted string (``ObjectIdentifier("1.3.6.1")``). Names such as
    ``sysDescr.0`` are resolved by :func:`wirekit.snmp.mib.parse_oid`.
    """

    TAG = 0x06
    type_name = "ObjectIdentifier"
    __slots__ = ()

    def __new__(cls, value: Any = ()) -> ObjectIdentifier:
        if isinstance(value, str):
            text = value.strip().lstrip(".")
            try:
                value = tuple(int(p) for p in text.split(".")) if text else ()
            except ValueError:
                raise ValueError(f"not a dotted OID: {value!r}") from None
            if any(a < 0 for a in value):
                raise ValueError(f"not a dotted OID: {value!r}")
        return super().__new__(cls, value)

    def __str__(self) -> str:
        return ".".join(map(str, self))

    def __repr__(self) -> str:
        return f"ObjectIdentifier({str(self)!r})"

    def startswith(self, prefix: tuple[int, ...]) -> bool:
        """True if ``prefix`` is a prefix of (or equal to) this OID."""
        return self[: len(prefix)] == tuple(prefix)

    def encode_body(self) -> bytes:
        return encode_oid(self)

    def to_json(self) -> Any:
        return str(self)


class _NullLike(SNMPValue):
    """A value with an empty body: Null and the three v2 exceptions."""

    __slots__ = ()
    _instance: ClassVar[Any] = None

    def __new__(cls) -> Any:
        inst = cls.__dict__.get("_instance")
        if inst is None:
            inst = object.__new__(cls)
            cls._instance = inst
        return inst

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __bool__(self) -> bool:
        return False

    def encode_body(self) -> bytes:
        return b""

    def encode(self) -> bytes:
        return bytes((self.TAG, 0))


class Null(_NullLike):
    """NULL (tag 0x05), the value of every varbind in a request."""

    TAG = 0x05
    type_name = "Null"
    __slots__ = ()

    def __str__(self) -> str:
        return ""

    def to_json(self) -> Any:
        return None


class NoSuchObject(_NullLike):
    """The v2 exception noSuchObject ([0] IMPLICIT NULL, tag 0x80)."""

    TAG = 0x80
    type_name = "noSuchObject"
    __slots__ = ()

    def __str__(self) -> str:
        return "No Such Object available on this agent at this OID"

    def to_json(self) -> Any:
        return {"exception": "noSuchObject"}


class NoSuchInstance(_NullLike):
    """The v2 exception noSuchInstance (tag 0x81)."""

    TAG = 0x81
    type_name = "noSuchInstance"
    __slots__ = ()

    def __str__(self) -> str:
        return "No Such Instance currently exists at this OID"

    def to_json(self) -> Any:
        return {"exception": "noSuchInstance"}


class EndOfMibView(_NullLike):
    """The v2 exception endOfMibView (tag 0x82)."""

    TAG = 0x82
    type_name = "endOfMibView"
    __slots__ = ()

    def __str__(self) -> str:
        return "No more variables left in this MIB View"

    def to_json(self) -> Any:
        return {"exception": "endOfMibView"}


NULL: Null = Null()
NO_SUCH_OBJECT: NoSuchObject = NoSuchObject()
NO_SUCH_INSTANCE: NoSuchInstance = NoSuchInstance()
END_OF_MIB_VIEW: EndOfMibView = EndOfMibView()

#: The three v2 exception values (RFC 3416 §3).
EXCEPTION_VALUES = (NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW)

#: tag -> value class.
TAGS: dict[int, type[SNMPValue]] = {
    cls.TAG: cls
    for cls in (
        Integer,
        OctetString,
        Null,
        ObjectIdentifier,
        IpAddress,
        Counter32,
        Gauge32,
        TimeTicks,
        Opaque,
        Counter64,
        NoSuchObject,
        NoSuchInstance,
        EndOfMibView,
    )
}

_EMPTY = {0x05: NULL, 0x80: NO_SUCH_OBJECT, 0x81: NO_SUCH_INSTANCE, 0x82: END_OF_MIB_VIEW}


def decode_value(tag: int, buf: bytes, start: int, end: int) -> SNMPValue:
    """Build the typed value of tag ``tag`` from ``buf[start:end]``.

    Raises:
        DecodeError: unknown tag or a body that does not fit the type.
    """
    if tag == 0x04:
        return OctetString(buf[start:end])
    if tag == 0x02:
        return Integer(decode_integer(buf, start, end))
    if tag == 0x41:
        return Counter32(decode_unsigned(buf, start, end))
    if tag == 0x42:
        return Gauge32(decode_unsigned(buf, start, end))
    if tag == 0x43:
        return TimeTicks(decode_unsigned(buf, start, end))
    if tag == 0x06:
        return ObjectIdentifier(decode_oid(buf, start, end))
    if tag == 0x46:
        return Counter64(decode_unsigned(buf, start, end, 64))
    if tag == 0x40:
        if end - start != 4:
            raise DecodeError(f"IpAddress of {end - start} octets", offset=start, layer=_LAYER)
        return IpAddress(buf[start:end])
    if tag == 0x44:
        return Opaque(buf[start:end])
    empty = _EMPTY.get(tag)
    if empty is not None:
        if end != start:
            raise DecodeError(f"tag 0x{tag:02x} must be empty", offset=start, layer=_LAYER)
        return empty
    raise DecodeError(f"unknown value tag 0x{tag:02x}", offset=start - 2, layer=_LAYER)


def encode_value(value: SNMPValue) -> bytes:
    """The TLV of a typed value."""
    return value.encode()


def value_from_python(value: Any) -> SNMPValue:
    """Map a plain Python value to an SNMP type: int -> Integer, str/bytes -> OctetString,
    None -> Null, tuple -> ObjectIdentifier, float -> Opaque float. Typed values pass through.

    Raises:
        TypeError: a value with no obvious SNMP type.
    """
    if isinstance(value, SNMPValue):
        return value
    if value is None:
        return NULL
    if isinstance(value, bool):
        return Integer(int(value))
    if isinstance(value, int):
        return Integer(value)
    if isinstance(value, str):
        return OctetString(value.encode("utf-8"))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return OctetString(bytes(value))
    if isinstance(value, float):
        return Opaque.from_float(value)
    if isinstance(value, tuple):
        return ObjectIdentifier(value)
    if isinstance(value, ipaddress.IPv4Address):
        return IpAddress(value)
    raise TypeError(f"no SNMP type for {type(value).__name__} {value!r}")


def value_from_text(type_code: str, text: str) -> SNMPValue:
    """Parse a Net-SNMP ``snmpset`` type letter and text (``i 5``, ``s foo``, ``x 0A0B``...).

    Raises:
        ValueError: unknown type letter or unparsable text.
    """
    code = type_code.strip()
    if code == "i":
        return Integer(int(text, 0))
    if code in ("u", "g"):
        return Gauge32(int(text, 0))
    if code == "c":
        return Counter32(int(text, 0))
    if code == "C":
        return Counter64(int(text, 0))
    if code == "t":
        return TimeTicks(int(text, 0))
    if code == "a":
        return IpAddress(text)
    if code == "o":
        return ObjectIdentifier(text)
    if code == "s":
        return OctetString(text.encode("utf-8"))
    if code == "x":
        return OctetString(bytes.fromhex(text.replace(":", "").replace(" ", "")))
    if code == "d":
        return OctetString(bytes(int(p) for p in text.replace(".", " ").split()))
    if code == "n":
        return NULL
    if code == "F":
        return Opaque.from_float(float(text))
    raise ValueError(f"unknown value type {type_code!r}; use one of i u g c C t a o s x d n F")
