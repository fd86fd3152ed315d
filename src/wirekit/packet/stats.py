"""Capture statistics like ``tshark -z``: protocol hierarchy, endpoints, conversations, flows.

Computed with SQL over the columnar table, so a million frames take well under a second
once decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .query import connect, run

__all__ = ["CaptureStats", "Conversation", "Endpoint", "Flow", "ProtocolNode", "capture_stats"]


@dataclass
class ProtocolNode:
    """One line of the protocol hierarchy (``tshark -z io,phs``)."""

    protocol: str  #: path, e.g. ``eth:ipv4:udp:dns``
    frames: int
    bytes: int
    percent: float  #: share of all frames


@dataclass
class Endpoint:
    """One IP address (``tshark -z endpoints,ip``)."""

    address: str
    packets: int
    bytes: int
    tx_packets: int
    tx_bytes: int
    rx_packets: int
    rx_bytes: int


@dataclass
class Conversation:
    """Traffic between two IP addresses in both directions (``tshark -z conv,ip``)."""

    a: str
    b: str
    packets: int
    bytes: int
    a_to_b: int  #: packets
    b_to_a: int
    start: float  #: seconds since the epoch
    duration: float


@dataclass
class Flow:
    """A bidirectional 5-tuple (protocol, endpoints and ports)."""

    proto: str
    a: str
    a_port: int | None
    b: str
    b_port: int | None
    packets: int
    bytes: int
    start: float
    duration: float


@dataclass
class CaptureStats:
    """Everything ``wirekit pkt stats`` prints."""

    frames: int
    bytes: int
    start: float | None
    duration: float
    hierarchy: list[ProtocolNode] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)


#: a protocol path per frame, from the decoded columns
_STACK = """
concat_ws(':',
  CASE linktype WHEN 1 THEN 'eth' WHEN 113 THEN 'sll' WHEN 276 THEN 'sll2' WHEN 0 THEN 'null'
       WHEN 108 THEN 'loop' WHEN 101 THEN 'raw' WHEN 228 THEN 'raw' WHEN 229 THEN 'raw'
       ELSE 'linktype' || linktype END,
  CASE WHEN vlan IS NOT NULL THEN 'vlan' END,
  CASE WHEN ip_version = 4 THEN 'ipv4' WHEN ip_version = 6 THEN 'ipv6'
       WHEN ethertype = 2054 THEN 'arp'
       WHEN ethertype IS NOT NULL THEN printf('ethertype_0x%04x', ethertype) END,
  CASE WHEN ip_version IS NOT NULL AND frag_offset > 0 THEN 'fragment'
       ELSE proto_name(proto) END,
  CASE WHEN dns_id IS NOT NULL THEN 'dns' END
)"""


def capture_stats(source: Any, *, top: int = 10, progress: Any = None) -> CaptureStats:
    """Statistics of a capture, Parquet dataset or columnar table; ``top`` rows per list.

    Raises:
        ConfigError: the file cannot be opened.
        DecodeError: the capture is not pcap/pcapng.
        MissingExtraError: duckdb/pyarrow are not installed.
    """
    con = connect(source, progress=progress)
    try:
        return _stats(con, top)
    finally:
        con.close()


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    return list(run(con, sql).to_pylist())


def _stats(con: Any, top: int) -> CaptureStats:
    (tot,) = _rows(
        con,
        "SELECT count(*) AS frames, CAST(coalesce(sum(length), 0) AS BIGINT) AS bytes, "
        "epoch_ns(min(ts)) AS t0, epoch_ns(max(ts)) AS t1 FROM packets",
    )
    frames = int(tot["frames"])
    start = None if tot["t0"] is None else tot["t0"] / 1e9
    duration = 0.0 if tot["t0"] is None else (tot["t1"] - tot["t0"]) / 1e9
    stats = CaptureStats(frames=frames, bytes=int(tot["bytes"]), start=start, duration=duration)

    counts: dict[str, list[int]] = {}
    for r in _rows(
        con,
        f"SELECT {_STACK} AS stack, count(*) AS n, CAST(sum(length) AS BIGINT) AS b FROM packets GROUP BY 1",
    ):
        parts = r["stack"].split(":")
        for i in range(1, len(parts) + 1):
            c = counts.setdefault(":".join(parts[:i]), [0, 0])
            c[0] += r["n"]
            c[1] += r["b"]
    stats.hierarchy = [
        ProtocolNode(path, n, b, round(100.0 * n / frames, 2) if frames else 0.0)
        for path, (n, b) in sorted(counts.items())
    ]

    stats.endpoints = [
        Endpoint(**r)
        for r in _rows(
            con,
            f"""
            WITH sides AS (
              SELECT src AS address, 1 AS tx, length FROM packets WHERE src IS NOT NULL
              UNION ALL
              SELECT dst AS address, 0 AS tx, length FROM packets WHERE dst IS NOT NULL)
            SELECT CAST(address AS VARCHAR) AS address, count(*) AS packets,
                   CAST(sum(length) AS BIGINT) AS bytes,
                   CAST(sum(tx) AS BIGINT) AS tx_packets,
                   CAST(coalesce(sum(length) FILTER (WHERE tx = 1), 0) AS BIGINT) AS tx_bytes,
                   CAST(count(*) - sum(tx) AS BIGINT) AS rx_packets,
                   CAST(coalesce(sum(length) FILTER (WHERE tx = 0), 0) AS BIGINT) AS rx_bytes
            FROM sides GROUP BY address ORDER BY bytes DESC, address LIMIT {int(top)}""",
        )
    ]

    stats.conversations = [
        Conversation(**r)
        for r in _rows(
            con,
            f"""
            WITH c AS (
              SELECT least(CAST(src AS VARCHAR), CAST(dst AS VARCHAR)) AS a,
                     greatest(CAST(src AS VARCHAR), CAST(dst AS VARCHAR)) AS b,
                     CAST(src AS VARCHAR) AS s, length, epoch_ns(ts) AS t
              FROM packets WHERE src IS NOT NULL AND dst IS NOT NULL)
            SELECT a, b, count(*) AS packets, CAST(sum(length) AS BIGINT) AS bytes,
                   count(*) FILTER (WHERE s = a) AS a_to_b, count(*) FILTER (WHERE s <> a) AS b_to_a,
                   min(t) / 1e9 AS start, (max(t) - min(t)) / 1e9 AS duration
            FROM c GROUP BY a, b ORDER BY bytes DESC, a, b LIMIT {int(top)}""",
        )
    ]

    stats.flows = [
        Flow(**r)
        for r in _rows(
            con,
            f"""
            WITH f AS (
              SELECT proto_name(proto) AS proto,
                     CAST(src AS VARCHAR) AS s, sport, CAST(dst AS VARCHAR) AS d, dport,
                     (CAST(src AS VARCHAR), sport) <= (CAST(dst AS VARCHAR), dport) AS fwd,
                     length, epoch_ns(ts) AS t
              FROM packets WHERE src IS NOT NULL AND (frag_offset = 0 OR frag_offset IS NULL))
            SELECT proto,
                   CASE WHEN fwd THEN s ELSE d END AS a, CASE WHEN fwd THEN sport ELSE dport END AS a_port,
                   CASE WHEN fwd THEN d ELSE s END AS b, CASE WHEN fwd THEN dport ELSE sport END AS b_port,
                   count(*) AS packets, CAST(sum(length) AS BIGINT) AS bytes,
                   min(t) / 1e9 AS start, (max(t) - min(t)) / 1e9 AS duration
            FROM f GROUP BY ALL ORDER BY bytes DESC, a, b LIMIT {int(top)}""",
        )
    ]
    return stats
