"""The one record type every capture reader yields."""

from __future__ import annotations

from typing import NamedTuple


class Record(NamedTuple):
    """One captured frame: ``ts_ns`` (ns since the epoch), its link type, the captured bytes,
    the original length on the wire, and the pcapng interface id (0 for classic pcap)."""

    ts_ns: int
    linktype: int
    data: bytes
    orig_len: int
    interface: int = 0

    @property
    def truncated(self) -> bool:
        """True when the capture kept fewer bytes than were on the wire (snaplen)."""
        return len(self.data) < self.orig_len
