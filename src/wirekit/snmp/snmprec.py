"""snmpsim's ``.snmprec`` recording format: one ``OID|TAG|VALUE`` per line, sorted by OID.

TAG is the BER tag in decimal (2 Integer, 4 OCTET STRING, 5 NULL, 6 OID, 64 IpAddress,
65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64); an ``x`` suffix means the
value is hex. snmpsim variation modules (``TAG:module``) are read as their static value when
it parses and skipped otherwise; ``skipped`` counts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..errors import ConfigError
from .values import (
    NULL,
    Counter32,
    Counter64,
    Gauge32,
    Integer,
    IpAddress,
    ObjectIdentifier,
    OctetString,
    Opaque,
    SNMPValue,
    TimeTicks,
)

__all__ = ["Recording", "format_line", "parse_line", "read_snmprec", "write_snmprec"]

_TEXT_TYPES: dict[int, type[SNMPValue]] = {
    2: Integer,
    65: Counter32,
    66: Gauge32,
    67: TimeTicks,
    70: Counter64,
}


def parse_line(line: str) -> tuple[ObjectIdentifier, SNMPValue] | None:
    """One record, or None for blank and comment lines.

    Raises:
        ValueError: a malformed record.
    """
    line = line.rstrip("\r\n")
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    try:
        oid_text, tag_text, value = line.split("|", 2)
    except ValueError:
        raise ValueError(f"not OID|TAG|VALUE: {line[:80]!r}") from None
    tag_text = tag_text.split(":", 1)[0]
    is_hex = tag_text.endswith("x")
    tag = int(tag_text.rstrip("x"))
    oid = ObjectIdentifier(oid_text)
    raw = bytes.fromhex(value) if is_hex else None
    if tag == 4:
        return oid, OctetString(raw if raw is not None else value.encode("utf-8"))
    if tag in _TEXT_TYPES:
        number = int.from_bytes(raw, "big") if raw is not None else int(value)
        return oid, _TEXT_TYPES[tag](number)  # type: ignore[call-arg]
    if tag == 6:
        return oid, ObjectIdentifier(raw.decode() if raw is not None else value)
    if tag == 64:
        return oid, IpAddress(raw if raw is not None else value)
    if tag == 68:
        return oid, Opaque(raw if raw is not None else value.encode("latin-1"))
    if tag == 5:
        return oid, NULL
    raise ValueError(f"unknown snmprec tag {tag_text!r}")


def format_line(oid: tuple[int, ...], value: SNMPValue) -> str:
    """The record line (without newline) of one varbind."""
    dotted = ".".join(map(str, oid))
    tag = value.TAG
    if isinstance(value, OctetString):
        b = bytes(value)
        try:
            text = b.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if (
            text is not None
            and text.isprintable()
            and "|" not in text
            and text == text.strip("\r\n")
        ):
            return f"{dotted}|4|{text}"
        return f"{dotted}|4x|{b.hex()}"
    if isinstance(value, Opaque):
        return f"{dotted}|68x|{bytes(value).hex()}"
    if isinstance(value, IpAddress):
        return f"{dotted}|64|{value}"
    if value is NULL:
        return f"{dotted}|5|"
    return f"{dotted}|{tag}|{value}"


@dataclass
class Recording:
    """A parsed recording: its varbinds in file order and the count of skipped records."""

    varbinds: list[tuple[ObjectIdentifier, SNMPValue]] = field(default_factory=list)
    skipped: int = 0


def read_snmprec(source: str | Path | TextIO) -> Recording:
    """Read a ``.snmprec`` file (path or open text file).

    Raises:
        ConfigError: the file cannot be read.
    """
    rec = Recording()
    try:
        if isinstance(source, (str, Path)):
            with open(source, encoding="utf-8", errors="surrogateescape") as f:
                lines = f.readlines()
        else:
            lines = source.readlines()
    except OSError as exc:
        raise ConfigError(f"cannot read recording {source}: {exc}") from exc
    for line in lines:
        try:
            item = parse_line(line)
        except (ValueError, UnicodeError):
            rec.skipped += 1
            continue
        if item is not None:
            rec.varbinds.append(item)
    return rec


def iter_lines(varbinds: Iterable[tuple[tuple[int, ...], SNMPValue]]) -> Iterator[str]:
    """Record lines with newlines."""
    for oid, value in varbinds:
        yield format_line(oid, value) + "\n"


def write_snmprec(path: str | Path, varbinds: Iterable[tuple[tuple[int, ...], SNMPValue]]) -> int:
    """Write a recording; return the number of records.

    Raises:
        ConfigError: the file cannot be written.
    """
    n = 0
    try:
        with open(path, "w", encoding="utf-8") as f:
            for line in iter_lines(varbinds):
                f.write(line)
                n += 1
    except OSError as exc:
        raise ConfigError(f"cannot write recording {path}: {exc}") from exc
    return n
