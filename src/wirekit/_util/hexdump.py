"""Hexdump rendering (pwntools/xxd style) used by stream traces and packet dumps."""

from __future__ import annotations

_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))


def hexdump(data: bytes, *, width: int = 16, offset: int = 0, prefix: str = "") -> str:
    """Return ``data`` as hexdump lines: offset, hex bytes in groups of 4, ASCII column."""
    lines = []
    for i in range(0, len(data), width):
        chunk = data[i : i + width]
        groups = " ".join(chunk[j : j + 4].hex(" ") for j in range(0, len(chunk), 4))
        hex_width = width * 3 + (width // 4 - 1) - 1
        lines.append(
            f"{prefix}{offset + i:08x}  {groups:<{hex_width}}  |{chunk.translate(_PRINTABLE).decode('ascii')}|"
        )
    if not data:
        lines.append(f"{prefix}{offset:08x}  (empty)")
    return "\n".join(lines)
