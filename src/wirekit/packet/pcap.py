"""Classic libpcap files: a streaming reader (both byte orders, µs and ns) and a writer."""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator
from types import TracebackType
from typing import IO

from ..errors import DecodeError
from . import linktype as _lt
from ._source import PathOrFile, open_source
from .record import Record

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
_CHUNK = 1 << 20
#: a record larger than this is corruption, not a packet (libpcap uses 256 KiB for most links)
MAX_RECORD = 1 << 26

_new = tuple.__new__


class CaptureTruncatedWarning(UserWarning):
    """A capture file ended in the middle of a record; every whole record was read."""


class PcapReader:
    """Iterate the records of a classic pcap file with constant memory.

    ``strict=True`` raises :class:`DecodeError` (``truncated=True``) when the file ends in
    the middle of a record; otherwise a :class:`CaptureTruncatedWarning` is issued and
    ``reader.truncated`` is set. Either way every whole record is yielded first.

    Raises:
        DecodeError: not a pcap file, or a corrupt record header.
    """

    def __init__(self, source: PathOrFile, *, strict: bool = False) -> None:
        self._f, self._owned = open_source(source)
        self.strict = strict
        self.truncated = False
        head = self._f.read(24)
        if len(head) < 24:
            self.close()
            raise DecodeError(
                "file too short for a pcap header", offset=0, layer="pcap", truncated=True
            )
        magic_le = struct.unpack_from("<I", head)[0]
        if magic_le in (MAGIC_US, MAGIC_NS):
            self.byteorder = "<"
        elif struct.unpack_from(">I", head)[0] in (MAGIC_US, MAGIC_NS):
            self.byteorder = ">"
        else:
            self.close()
            raise DecodeError(f"not a pcap file (magic {head[:4].hex()})", offset=0, layer="pcap")
        bo = self.byteorder
        (
            magic,
            self.version_major,
            self.version_minor,
            self.thiszone,
            _sigfigs,
            self.snaplen,
            network,
        ) = struct.unpack_from(bo + "IHHiIII", head)
        self.nanosecond = magic == MAGIC_NS
        self.linktype = network & 0x0FFFFFFF  # the top 4 bits may carry FCS length (pcap spec §4)
        self._rec = struct.Struct(bo + "IIII")
        self._offset = 24

    def __iter__(self) -> Iterator[Record]:
        unpack_from = self._rec.unpack_from
        read = self._f.read
        lt = self.linktype
        mult = 1 if self.nanosecond else 1000
        buf = b""
        pos = 0
        base = self._offset
        while True:
            end = len(buf)
            if end - pos < 16:
                more = read(_CHUNK)
                if not more:
                    if end > pos:
                        self._cut(base + pos, end - pos)
                    return
                base += pos
                buf = buf[pos:] + more
                pos = 0
                continue
            sec, frac, incl, orig = unpack_from(buf, pos)
            if incl > MAX_RECORD:
                raise DecodeError(
                    f"record length {incl} is not plausible", offset=base + pos, layer="pcap"
                )
            start = pos + 16
            stop = start + incl
            if stop > end:
                more = read(max(_CHUNK, incl))
                if not more:
                    self._cut(base + pos, end - pos)
                    return
                base += pos
                buf = buf[pos:] + more
                pos = 0
                continue
            yield _new(Record, (sec * 1_000_000_000 + frac * mult, lt, buf[start:stop], orig, 0))
            pos = stop

    def _cut(self, offset: int, have: int) -> None:
        self.truncated = True
        msg = f"capture ends inside a record ({have} bytes of a record at offset {offset})"
        if self.strict:
            raise DecodeError(msg, offset=offset, layer="pcap", truncated=True)
        warnings.warn(msg, CaptureTruncatedWarning, stacklevel=3)

    def close(self) -> None:
        """Close the file if this reader opened it."""
        if self._owned:
            self._f.close()

    def __enter__(self) -> PcapReader:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class PcapWriter:
    """Write a classic pcap file (little-endian unless ``byteorder=">"``; µs unless ``nanosecond``)."""

    def __init__(
        self,
        dest: str | IO[bytes],
        *,
        linktype: int = _lt.EN10MB,
        snaplen: int = 262144,
        nanosecond: bool = False,
        byteorder: str = "<",
    ) -> None:
        if isinstance(dest, str) or hasattr(dest, "__fspath__"):
            self._f: IO[bytes] = open(dest, "wb")  # noqa: SIM115
            self._owned = True
        else:
            self._f = dest
            self._owned = False
        self.linktype = linktype
        self.snaplen = snaplen
        self.nanosecond = nanosecond
        self._div = 1_000_000_000 if nanosecond else 1_000_000
        self._unit = 1 if nanosecond else 1000
        self._rec = struct.Struct(byteorder + "IIII")
        magic = MAGIC_NS if nanosecond else MAGIC_US
        self._f.write(struct.pack(byteorder + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, data: bytes, ts_ns: int = 0, orig_len: int | None = None) -> None:
        """Append one frame captured at ``ts_ns`` (ns since the epoch)."""
        data = bytes(data)
        incl = len(data)
        if incl > self.snaplen:
            data = data[: self.snaplen]
            incl = self.snaplen
        sec, frac = divmod(ts_ns, 1_000_000_000)
        self._f.write(
            self._rec.pack(sec, frac // self._unit, incl, incl if orig_len is None else orig_len)
            + data
        )

    def write_record(self, rec: Record) -> None:
        """Append a :class:`Record` (its link type must match the file's)."""
        self.write(rec.data, rec.ts_ns, rec.orig_len)

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        """Flush, and close the file if this writer opened it."""
        self._f.flush()
        if self._owned:
            self._f.close()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
