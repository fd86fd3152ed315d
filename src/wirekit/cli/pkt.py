"""``wirekit pkt``: read, show, craft and sniff packets (analysis commands live in pkt_analysis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ._lazy import LazyGroup
from .render import emit, json_option

if TYPE_CHECKING:  # pragma: no cover
    from ..errors import DecodeError
    from ..packet.layer import Layer
    from ..packet.record import Record

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


def _ts(ts_ns: int) -> str:
    import datetime as _dt

    t = _dt.datetime.fromtimestamp(ts_ns / 1e9, tz=_dt.UTC)
    return t.strftime("%H:%M:%S.") + f"{(ts_ns // 1000) % 1_000_000:06d}"


def _progress(total: int | None, label: str):  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _dissect(rec: Record) -> tuple[Layer | None, DecodeError | None]:
    from ..errors import DecodeError
    from ..packet.layer import Layer

    try:
        return Layer.parse(rec.data, linktype=rec.linktype), None
    except DecodeError as exc:
        return None, exc


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("filter_words", nargs=-1)
@click.option("-c", "--count", type=int, default=0, help="Stop after this many (matching) packets.")
@click.option(
    "-f",
    "--filter",
    "filter_expr",
    default=None,
    help="Field expression, e.g. 'tcp.dport == 80 and ip.src == \"10.0.0.1\"'.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="Only count matching packets (with a progress bar)."
)
@json_option
def read(
    file: str,
    filter_words: tuple[str, ...],
    count: int,
    filter_expr: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Print FILE (pcap or pcapng, gzip ok) one line per packet, tcpdump-style.

    A filter may follow FILE or be given with -f: `wirekit pkt read cap.pcap tcp.dport == 443`.
    """
    import json
    import sys

    from ..packet.capture import open_reader
    from ..packet.expr import compile_filter

    text = filter_expr or " ".join(filter_words) or None
    pred = compile_filter(text) if text else None
    source = sys.stdin.buffer if file == "-" else file
    reader = open_reader(source)
    n = 0
    seen = 0
    first = True
    if as_json and not quiet:
        sys.stdout.write("[")
    try:
        with _progress(None, "reading") as prog:
            task = prog.add_task("read", total=None)
            for rec in reader:
                seen += 1
                pkt, err = _dissect(rec)
                if pred is not None and (pkt is None or not pred(pkt)):
                    continue
                n += 1
                if quiet:
                    if n % 4096 == 0:
                        prog.update(task, completed=seen)
                elif as_json:
                    item = {
                        "n": seen,
                        "ts_ns": rec.ts_ns,
                        "len": rec.orig_len,
                        "summary": pkt.summary() if pkt else f"malformed: {err}",
                        "layers": pkt.to_dict() if pkt else [],
                    }
                    sys.stdout.write(("" if first else ",") + "\n" + json.dumps(item))
                    first = False
                else:
                    line = pkt.summary() if pkt is not None else f"[malformed: {err}]"
                    click.echo(f"{seen:>6}  {_ts(rec.ts_ns)}  {line}")
                if count and n >= count:
                    break
    finally:
        reader.close()
    if quiet:
        emit({"packets": seen, "matched": n}, as_json)
    elif as_json:
        sys.stdout.write("\n]\n")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-n", "number", type=int, default=1, show_default=True, help="Packet number (1 = first)."
)
@json_option
def show(file: str, number: int, as_json: bool) -> None:
    """Show packet N of FILE as a layered tree and a hexdump."""
    from .._util.hexdump import hexdump
    from ..errors import ConfigError
    from ..packet.capture import open_capture

    for i, rec in enumerate(open_capture(file), 1):
        if i == number:
            pkt, err = _dissect(rec)
            if as_json:
                emit(
                    {
                        "n": i,
                        "ts_ns": rec.ts_ns,
                        "linktype": rec.linktype,
                        "len": rec.orig_len,
                        "layers": pkt.to_dict() if pkt else [],
                        "error": str(err) if err else None,
                        "hex": rec.data.hex(),
                    },
                    True,
                )
                return
            click.echo(f"packet {i}  {_ts(rec.ts_ns)}  {len(rec.data)} of {rec.orig_len} bytes")
            click.echo(pkt.show() if pkt is not None else f"malformed: {err}")
            click.echo(hexdump(rec.data))
            return
    raise ConfigError(f"{file} has fewer than {number} packets")


@click.command()
@click.argument("expression")
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="Write to a capture file (.pcap or .pcapng).",
)
@click.option("--send", "send_iface", metavar="IFACE", help="Send the frame(s) on IFACE (root).")
@click.option(
    "-c",
    "--count",
    type=int,
    default=1,
    show_default=True,
    help="How many copies to write or send.",
)
@click.option("--netns", help="Send from inside this network namespace.")
@json_option
def craft(
    expression: str,
    out: str | None,
    send_iface: str | None,
    count: int,
    netns: str | None,
    as_json: bool,
) -> None:
    """Build a packet from EXPRESSION, e.g. 'Ether()/IPv4(dst="10.0.0.1")/TCP(dport=80, flags="S")'.

    Only layer constructors, `/` and literals are accepted (parsed with an AST whitelist).
    """
    from .._util.hexdump import hexdump
    from ..packet.capture import open_writer
    from ..packet.expr import parse_craft
    from ..packet.layer import Layer
    from ..packet.layers import Ether

    pkt = parse_craft(expression)
    frame = bytes(pkt)
    lt = 1 if isinstance(pkt, Ether) else 101
    parsed = Layer.parse(frame, linktype=lt)
    result: dict[str, object] = {
        "summary": parsed.summary(),
        "length": len(frame),
        "hex": frame.hex(),
        "layers": parsed.to_dict(),
    }
    if out:
        w = open_writer(out, linktype=lt)
        with _progress(count, "writing") as prog:
            task = prog.add_task("write", total=count)
            for i in range(count):
                if hasattr(w, "add_interface"):
                    w.write(frame, i * 1000, linktype=lt)  # type: ignore[call-arg]
                else:
                    w.write(frame, i * 1000)
                if i % 4096 == 0:
                    prog.update(task, completed=i)
        w.close()
        result["written"] = {"file": out, "packets": count}
    if send_iface:
        from ..packet import live

        if lt != 1:
            sent = live.send(parsed, iface=send_iface, count=count, netns=netns)
        else:
            sent = live.sendp(frame, send_iface, count=count, netns=netns)
        result["sent"] = {"iface": send_iface, "packets": sent}
    if as_json:
        emit(result, True)
        return
    click.echo(parsed.summary())
    click.echo(hexdump(frame))
    if out:
        click.echo(f"wrote {count} packet(s) to {out}")
    if send_iface:
        click.echo(f"sent {result['sent']['packets']} packet(s) on {send_iface}")  # type: ignore[index]


@click.command()
@click.option("-i", "--iface", required=True, help="Interface to capture on.")
@click.option("-c", "--count", type=int, default=0, help="Stop after this many packets.")
@click.option("-t", "--timeout", type=float, default=None, help="Stop after this many seconds.")
@click.option(
    "-f", "--filter", "bpf", default=None, help="BPF expression (compiled by tcpdump -ddd)."
)
@click.option(
    "-w",
    "--write",
    "out",
    type=click.Path(dir_okay=False),
    help="Also write the capture (pcapng unless .pcap).",
)
@click.option(
    "-m",
    "--match",
    "match",
    default=None,
    help="Keep only packets matching a field expression (tcp.flags == 'S').",
)
@click.option("--netns", help="Capture inside this network namespace.")
@json_option
def sniff(
    iface: str,
    count: int,
    timeout: float | None,
    bpf: str | None,
    out: str | None,
    match: str | None,
    netns: str | None,
    as_json: bool,
) -> None:
    """Capture live traffic on IFACE (Linux, root): one line per packet, or JSON lines.

    -f filters in the kernel (BPF, compiled by tcpdump -ddd); -m filters in Python on fields.
    """
    import json

    from ..packet import live
    from ..packet.capture import open_writer
    from ..packet.expr import compile_filter

    lfilter = compile_filter(match) if match else None

    writer = open_writer(out) if out else None

    def prn(c: live.Captured) -> None:
        pkt = c.packet()
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "ts_ns": c.record.ts_ns,
                        "len": c.record.orig_len,
                        "outgoing": c.outgoing,
                        "summary": pkt.summary(),
                        "layers": pkt.to_dict(),
                    }
                )
            )
        else:
            click.echo(f"{_ts(c.record.ts_ns)} {'>' if c.outgoing else '<'} {pkt.summary()}")

    try:
        got = live.sniff(
            iface,
            count=count,
            timeout=timeout,
            filter=bpf,
            netns=netns,
            prn=prn,
            lfilter=lfilter,
            writer=writer,
            store=False,
        )
    except KeyboardInterrupt:
        got = []
    finally:
        if writer is not None:
            writer.close()
    del got
