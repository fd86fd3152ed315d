"""pcapng files: a streaming reader and a writer (SHB, IDB, EPB, SPB, NRB, comments).

Block layout follows draft-ietf-opsawg-pcapng: every block is ``type, total_length, body,
total_length`` with 32-bit alignment; the Section Header's byte-order magic sets the
endianness of everything up to the next Section Header.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO

from ..errors import DecodeError
from . import linktype as _lt
from ._source import PathOrFile, open_source
from .pcap import CaptureTruncatedWarning
from .record import Record

SHB = 0x0A0D0D0A
IDB = 1
OPB = 2  # obsolete Packet Block
SPB = 3
NRB = 4
ISB = 5
EPB = 6
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_END = 0
OPT_COMMENT = 1
IF_NAME = 2
IF_DESCRIPTION = 3
IF_TSRESOL = 9
IF_TSOFFSET = 14
SHB_HARDWARE = 2
SHB_OS = 3
SHB_USERAPPL = 4
MAX_BLOCK = 1 << 26
_CHUNK = 1 << 20

_new = tuple.__new__


@dataclass
class Interface:
    """One pcapng interface (IDB): link type, snaplen, name and timestamp resolution."""

    linktype: int
    snaplen: int = 0
    name: str | None = None
    description: str | None = None
    tsresol: int = 6  #: the if_tsresol byte: 10^-n, or 2^-(n & 0x7f) when the top bit is set
    tsoffset: int = 0  #: seconds added to every timestamp
    comments: list[str] = field(default_factory=list)

    def to_ns(self, ts: int) -> int:
        """Convert a raw timestamp in this interface's units to ns since the epoch."""
        r = self.tsresol
        if r & 0x80:
            ns = (ts * 1_000_000_000) >> (r & 0x7F)
        elif r <= 9:
            ns = ts * int(10 ** (9 - r))
        else:
            ns = ts // int(10 ** (r - 9))
        return ns + self.tsoffset * 1_000_000_000

    def from_ns(self, ts_ns: int) -> int:
        """Convert ns since the epoch to this interface's raw units."""
        ts_ns -= self.tsoffset * 1_000_000_000
        r = self.tsresol
        if r & 0x80:
            return (ts_ns << (r & 0x7F)) // 1_000_000_000
        if r <= 9:
            return ts_ns // int(10 ** (9 - r))
        return ts_ns * int(10 ** (r - 9))


def _options(body: bytes, pos: int, bo: str) -> list[tuple[int, bytes]]:
    """Parse a pcapng option list starting at ``pos``; stops quietly at the end of the body."""
    out = []
    end = len(body)
    fmt = bo + "HH"
    while pos + 4 <= end:
        code, length = struct.unpack_from(fmt, body, pos)
        pos += 4
        if code == OPT_END:
            break
        if pos + length > end:
            raise DecodeError("option runs past its block", offset=pos, layer="pcapng")
        out.append((code, body[pos : pos + length]))
        pos += (length + 3) & ~3
    return out


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace").rstrip("\x00")


class PcapNgReader:
    """Iterate the packets of a pcapng file as :class:`Record` with constant memory.

    Interfaces, section options, name-resolution entries and packet comments are collected
    as they are read: ``interfaces`` (of the current section), ``section`` (dict of SHB
    options), ``names`` (address bytes -> names). :meth:`packets` yields ``(record, comments)``.

    Raises:
        DecodeError: not a pcapng file, or a malformed block (``truncated=True`` in strict
            mode when the file ends inside a block).
    """

    def __init__(self, source: PathOrFile, *, strict: bool = False) -> None:
        self._f, self._owned = open_source(source)
        self.strict = strict
        self.truncated = False
        self.interfaces: list[Interface] = []
        self.section: dict[str, str] = {}
        self.names: dict[bytes, list[str]] = {}
        self.bo = "<"
        self._offset = 0
        head = self._f.read(12)
        if len(head) < 12 or struct.unpack_from("<I", head)[0] != SHB:
            self.close()
            raise DecodeError(
                "not a pcapng file", offset=0, layer="pcapng", truncated=len(head) < 12
            )
        self._pending = head

    def __iter__(self) -> Iterator[Record]:
        for rec, _comments in self.packets():
            yield rec

    def packets(self) -> Iterator[tuple[Record, list[str]]]:
        """Yield ``(record, comments)`` for every packet block."""
        read = self._f.read
        buf = self._pending
        self._pending = b""
        pos = 0  # blocks are read from buf[pos:]; buf is refilled in 1 MiB steps, never sliced per block
        unpack_from = struct.unpack_from
        while True:
            have = len(buf) - pos
            if have < 12:
                more = read(_CHUNK)
                if not more:
                    if have:
                        self._cut(self._offset, have)
                    return
                buf = buf[pos:] + more
                pos = 0
                continue
            btype = unpack_from(self.bo + "I", buf, pos)[0]
            if btype == SHB:
                magic = unpack_from("<I", buf, pos + 8)[0]
                if magic == BYTE_ORDER_MAGIC:
                    self.bo = "<"
                elif magic == 0x4D3C2B1A:
                    self.bo = ">"
                else:
                    raise DecodeError(
                        "bad byte-order magic in section header",
                        offset=self._offset + 8,
                        layer="pcapng",
                    )
            bo = self.bo
            total = unpack_from(bo + "I", buf, pos + 4)[0]
            if total < 12 or total % 4 or total > MAX_BLOCK:
                raise DecodeError(
                    f"bad block length {total}", offset=self._offset + 4, layer="pcapng"
                )
            if have < total:
                more = read(max(_CHUNK, total - have))
                if not more:
                    self._cut(self._offset, have)
                    return
                buf = buf[pos:] + more
                pos = 0
                continue
            if unpack_from(bo + "I", buf, pos + total - 4)[0] != total:
                raise DecodeError(
                    "block trailer length differs from header",
                    offset=self._offset + total - 4,
                    layer="pcapng",
                )
            got = self._block(btype, buf[pos + 8 : pos + total - 4])
            self._offset += total
            pos += total
            if got is not None:
                yield got

    def _block(self, btype: int, body: bytes) -> tuple[Record, list[str]] | None:
        bo = self.bo
        off = self._offset + 8
        try:
            if btype in (EPB, OPB):
                if btype == EPB:
                    iface, hi, lo, caplen, origlen = struct.unpack_from(bo + "IIIII", body)
                else:
                    iface, _drops, hi, lo, caplen, origlen = struct.unpack_from(bo + "HHIIII", body)
                if 20 + caplen > len(body):
                    raise DecodeError("packet data runs past its block", offset=off, layer="pcapng")
                itf = self._iface(iface, off)
                data = body[20 : 20 + caplen]
                comments = [
                    _text(v)
                    for c, v in _options(body, 20 + ((caplen + 3) & ~3), bo)
                    if c == OPT_COMMENT
                ]
                rec = _new(Record, (itf.to_ns((hi << 32) | lo), itf.linktype, data, origlen, iface))
                return rec, comments
            if btype == SPB:
                (origlen,) = struct.unpack_from(bo + "I", body)
                itf = self._iface(0, off)
                caplen = min(origlen, len(body) - 4)
                if itf.snaplen:
                    caplen = min(caplen, itf.snaplen)
                return _new(Record, (0, itf.linktype, body[4 : 4 + caplen], origlen, 0)), []
            if btype == IDB:
                lt, _res, snaplen = struct.unpack_from(bo + "HHI", body)
                itf = Interface(lt, snaplen)
                for code, value in _options(body, 8, bo):
                    if code == IF_TSRESOL and value:
                        itf.tsresol = value[0]
                    elif code == IF_TSOFFSET and len(value) == 8:
                        itf.tsoffset = struct.unpack(bo + "q", value)[0]
                    elif code == IF_NAME:
                        itf.name = _text(value)
                    elif code == IF_DESCRIPTION:
                        itf.description = _text(value)
                    elif code == OPT_COMMENT:
                        itf.comments.append(_text(value))
                self.interfaces.append(itf)
            elif btype == SHB:
                _magic, major, _minor, _len = struct.unpack_from(bo + "IHHq", body)
                if major != 1:
                    raise DecodeError(
                        f"unsupported pcapng major version {major}", offset=off, layer="pcapng"
                    )
                self.interfaces = []
                names = {
                    OPT_COMMENT: "comment",
                    SHB_HARDWARE: "hardware",
                    SHB_OS: "os",
                    SHB_USERAPPL: "application",
                }
                self.section = {names[c]: _text(v) for c, v in _options(body, 16, bo) if c in names}
            elif btype == NRB:
                self._names(body, bo)
        except struct.error as exc:
            raise DecodeError(
                f"block too short: {exc}", offset=off, layer="pcapng", truncated=False
            ) from None
        return None

    def _iface(self, iface: int, off: int) -> Interface:
        if iface >= len(self.interfaces):
            raise DecodeError(
                f"packet names interface {iface} which was not described",
                offset=off,
                layer="pcapng",
            )
        return self.interfaces[iface]

    def _names(self, body: bytes, bo: str) -> None:
        pos = 0
        while pos + 4 <= len(body):
            rtype, length = struct.unpack_from(bo + "HH", body, pos)
            pos += 4
            if rtype == 0:
                break
            value = body[pos : pos + length]
            pos += (length + 3) & ~3
            alen = 4 if rtype == 1 else 16 if rtype == 2 else 0
            if alen and len(value) > alen:
                parts = [_text(p) for p in value[alen:].split(b"\x00") if p]
                self.names.setdefault(value[:alen], []).extend(parts)

    def _cut(self, offset: int, have: int) -> None:
        self.truncated = True
        msg = f"capture ends inside a block ({have} bytes of a block at offset {offset})"
        if self.strict:
            raise DecodeError(msg, offset=offset, layer="pcapng", truncated=True)
        warnings.warn(msg, CaptureTruncatedWarning, stacklevel=4)

    def close(self) -> None:
        """Close the file if this reader opened it."""
        if self._owned:
            self._f.close()

    def __enter__(self) -> PcapNgReader:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _opt(code: int, value: bytes, bo: str = "<") -> bytes:
    pad = (-len(value)) % 4
    return struct.pack(bo + "HH", code, len(value)) + value + b"\x00" * pad


def _block(btype: int, body: bytes, bo: str = "<") -> bytes:
    total = 12 + len(body)
    return struct.pack(bo + "II", btype, total) + body + struct.pack(bo + "I", total)


class PcapNgWriter:
    """Write a pcapng file: one section, any number of interfaces and link types.

    Interfaces are added with :meth:`add_interface`; :meth:`write` with ``linktype=`` adds
    one per link type on first use. Timestamps are nanoseconds (``if_tsresol`` = 9).
    """

    def __init__(
        self,
        dest: str | IO[bytes],
        *,
        comment: str | None = None,
        application: str = "wirekit",
        os_name: str | None = None,
        hardware: str | None = None,
    ) -> None:
        if isinstance(dest, str) or hasattr(dest, "__fspath__"):
            self._f: IO[bytes] = open(dest, "wb")  # noqa: SIM115
            self._owned = True
        else:
            self._f = dest
            self._owned = False
        self.interfaces: list[Interface] = []
        self._by_linktype: dict[int, int] = {}
        opts = b""
        if comment:
            opts += _opt(OPT_COMMENT, comment.encode())
        if hardware:
            opts += _opt(SHB_HARDWARE, hardware.encode())
        if os_name:
            opts += _opt(SHB_OS, os_name.encode())
        if application:
            opts += _opt(SHB_USERAPPL, application.encode())
        if opts:
            opts += _opt(OPT_END, b"")
        self._f.write(_block(SHB, struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + opts))

    def add_interface(
        self,
        linktype: int = _lt.EN10MB,
        *,
        snaplen: int = 0,
        name: str | None = None,
        description: str | None = None,
        tsresol: int = 9,
        comment: str | None = None,
    ) -> int:
        """Describe an interface (IDB) and return its id for :meth:`write`."""
        opts = b""
        if name:
            opts += _opt(IF_NAME, name.encode())
        if description:
            opts += _opt(IF_DESCRIPTION, description.encode())
        if comment:
            opts += _opt(OPT_COMMENT, comment.encode())
        if tsresol != 6:
            opts += _opt(IF_TSRESOL, bytes([tsresol]))
        if opts:
            opts += _opt(OPT_END, b"")
        self._f.write(_block(IDB, struct.pack("<HHI", linktype, 0, snaplen) + opts))
        self.interfaces.append(Interface(linktype, snaplen, name, description, tsresol))
        self._by_linktype.setdefault(linktype, len(self.interfaces) - 1)
        return len(self.interfaces) - 1

    def write(
        self,
        data: bytes,
        ts_ns: int = 0,
        *,
        interface: int | None = None,
        linktype: int = _lt.EN10MB,
        orig_len: int | None = None,
        comment: str | None = None,
    ) -> None:
        """Append an Enhanced Packet Block on ``interface`` (or the one for ``linktype``)."""
        if interface is None:
            interface = self._by_linktype.get(linktype)
            if interface is None:
                interface = self.add_interface(linktype)
        itf = self.interfaces[interface]
        data = bytes(data)
        caplen = len(data)
        if itf.snaplen and caplen > itf.snaplen:
            data = data[: itf.snaplen]
            caplen = itf.snaplen
        ts = itf.from_ns(ts_ns)
        body = struct.pack(
            "<IIIII",
            interface,
            ts >> 32,
            ts & 0xFFFFFFFF,
            caplen,
            caplen if orig_len is None else orig_len,
        )
        body += data + b"\x00" * ((-caplen) % 4)
        if comment:
            body += _opt(OPT_COMMENT, comment.encode()) + _opt(OPT_END, b"")
        self._f.write(_block(EPB, body))

    def write_record(self, rec: Record, *, comment: str | None = None) -> None:
        """Append a :class:`Record`, adding an interface for its link type if needed."""
        self.write(
            rec.data, rec.ts_ns, linktype=rec.linktype, orig_len=rec.orig_len, comment=comment
        )

    def write_simple(self, data: bytes, orig_len: int | None = None) -> None:
        """Append a Simple Packet Block (interface 0, no timestamp)."""
        if not self.interfaces:
            self.add_interface(_lt.EN10MB)
        data = bytes(data)
        body = (
            struct.pack("<I", len(data) if orig_len is None else orig_len)
            + data
            + b"\x00" * ((-len(data)) % 4)
        )
        self._f.write(_block(SPB, body))

    def write_names(self, entries: list[tuple[bytes, str]]) -> None:
        """Append a Name Resolution Block of (packed IPv4 or IPv6 address, name) entries."""
        body = b""
        for addr, name in entries:
            rtype = 1 if len(addr) == 4 else 2
            value = bytes(addr) + name.encode() + b"\x00"
            body += struct.pack("<HH", rtype, len(value)) + value + b"\x00" * ((-len(value)) % 4)
        body += struct.pack("<HH", 0, 0)
        self._f.write(_block(NRB, body))

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        """Flush, and close the file if this writer opened it."""
        self._f.flush()
        if self._owned:
            self._f.close()

    def __enter__(self) -> PcapNgWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
