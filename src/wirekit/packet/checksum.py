"""The Internet checksum (RFC 1071) and the pseudo-header sums of RFC 768/793 and RFC 8200 §8.1."""

from __future__ import annotations

_from_bytes = int.from_bytes


def csum_sum(data: bytes) -> int:
    """One's-complement sum of ``data`` as 16-bit words, reduced mod 0xFFFF.

    2**16 ≡ 1 (mod 0xFFFF), so the big-endian integer of the bytes is congruent to the sum
    of its 16-bit words: one C-level conversion replaces a Python loop (RFC 1071 §2(B)).
    """
    if len(data) & 1:
        data += b"\x00"
    return _from_bytes(data, "big") % 0xFFFF


def finish(total: int) -> int:
    """Fold a word sum (any size) and complement it into the checksum field value."""
    s = total % 0xFFFF
    if s == 0 and total:
        s = 0xFFFF  # a non-zero sum congruent to 0 is 0xFFFF in one's complement
    return ~s & 0xFFFF


def checksum(data: bytes) -> int:
    """The Internet checksum of ``data`` (RFC 1071)."""
    if len(data) & 1:
        data += b"\x00"
    n = _from_bytes(data, "big")
    s = n % 0xFFFF
    if s == 0 and n:
        s = 0xFFFF
    return ~s & 0xFFFF
