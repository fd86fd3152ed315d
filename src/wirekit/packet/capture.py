"""Open any capture file (pcap, pcapng, gzipped either way) as an iterator of records."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO

from ..errors import DecodeError
from ._source import PathOrFile, open_source, peek
from .pcap import MAGIC_NS, MAGIC_US, CaptureTruncatedWarning, PcapReader, PcapWriter
from .pcapng import SHB, PcapNgReader, PcapNgWriter
from .record import Record

__all__ = [
    "CaptureTruncatedWarning",
    "Record",
    "open_capture",
    "open_reader",
    "open_writer",
    "sniff_format",
]


def sniff_format(head: bytes) -> str:
    """``"pcap"`` or ``"pcapng"`` from a file's first 4 bytes.

    Raises:
        DecodeError: neither format.
    """
    if len(head) < 4:
        raise DecodeError(
            "file too short to be a capture", offset=0, layer="capture", truncated=True
        )
    le = int.from_bytes(head[:4], "little")
    be = int.from_bytes(head[:4], "big")
    if le == SHB:
        return "pcapng"
    if le in (MAGIC_US, MAGIC_NS) or be in (MAGIC_US, MAGIC_NS):
        return "pcap"
    raise DecodeError(
        f"not a pcap or pcapng file (magic {head[:4].hex()})", offset=0, layer="capture"
    )


def open_reader(source: PathOrFile, *, strict: bool = False) -> PcapReader | PcapNgReader:
    """A :class:`PcapReader` or :class:`PcapNgReader` for ``source``, detected from its magic.

    Raises:
        ConfigError: the path cannot be opened.
        DecodeError: not a capture file.
    """
    f, owned = open_source(source)
    try:
        head, f = peek(f, 4)
        fmt = sniff_format(head)
    except BaseException:
        if owned:
            f.close()
        raise
    reader: PcapReader | PcapNgReader = (
        PcapReader(f, strict=strict) if fmt == "pcap" else PcapNgReader(f, strict=strict)
    )
    reader._owned = owned
    return reader


def open_capture(source: PathOrFile, *, strict: bool = False) -> Iterator[Record]:
    """Iterate the records of a pcap or pcapng file (gzip-transparent), closing it at the end.

    Raises:
        ConfigError: the path cannot be opened.
        DecodeError: not a capture file, or a malformed one (truncation only when ``strict``).
    """
    reader = open_reader(source, strict=strict)
    try:
        yield from reader
    finally:
        reader.close()


def open_writer(
    dest: str | os.PathLike[str] | IO[bytes], *, fmt: str | None = None, linktype: int = 1
) -> PcapWriter | PcapNgWriter:
    """A writer for ``dest``: pcapng unless ``fmt="pcap"`` or the name ends in ``.pcap``."""
    if fmt is None:
        fmt = (
            "pcap"
            if isinstance(dest, (str, os.PathLike)) and os.fspath(dest).endswith(".pcap")
            else "pcapng"
        )
    path: str | IO[bytes] = os.fspath(dest) if isinstance(dest, os.PathLike) else dest
    if fmt == "pcap":
        return PcapWriter(path, linktype=linktype)
    return PcapNgWriter(path)
