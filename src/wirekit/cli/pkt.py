"""``wirekit pkt``: read, show, craft and sniff packets (analysis commands live in pkt_analysis)."""

from __future__ import annotations

import click

from ._lazy import LazyGroup

PKT_COMMANDS: dict[str, str] = {
    "read": "wirekit.cli.pkt:read",
    "show": "wirekit.cli.pkt:show",
    "craft": "wirekit.cli.pkt:craft",
    "sniff": "wirekit.cli.pkt:sniff",
    "stats": "wirekit.cli.pkt_analysis:stats",
    "query": "wirekit.cli.pkt_analysis:query",
    "convert": "wirekit.cli.pkt_analysis:convert",
    "plot": "wirekit.cli.pkt_analysis:plot",
}

PKT_HELP: dict[str, str] = {
    "read": "Print a capture tcpdump-style, optionally filtered (tcp.dport == 80).",
    "show": "Show packet N of a capture as a layered tree with a hexdump.",
    "craft": "Build packets from an expression; write them to a file or send them.",
    "sniff": "Capture live traffic on an interface (root, Linux).",
    "stats": "Protocol hierarchy, top talkers, conversations and flows.",
    "query": "Run SQL over a capture (DuckDB; a `packets` view).",
    "convert": "Convert between pcap, pcapng and Parquet.",
    "plot": "Render a PNG of traffic over time and the protocol mix.",
}


@click.group(cls=LazyGroup, lazy_commands=PKT_COMMANDS, lazy_help=PKT_HELP)
def pkt() -> None:
    """Packets: read, show, craft, sniff, stats, SQL query, convert, plot."""
