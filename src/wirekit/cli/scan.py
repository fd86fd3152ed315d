"""``wirekit scan HOST --ports 1-1024``: an asyncio TCP connect scan with a progress bar."""

from __future__ import annotations

import sys

import click

from .render import emit, json_option


@click.command()
@click.argument("host")
@click.option(
    "-p",
    "--ports",
    default="1-1024",
    show_default=True,
    help="Ports to probe, e.g. 22,80,8000-8100 (- for all).",
)
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Connects in flight at once.",
)
@click.option(
    "-r",
    "--rate",
    type=float,
    default=None,
    help="At most this many connects per second (default: no limit).",
)
@click.option(
    "-t",
    "--timeout",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds to wait for each connect (then: filtered).",
)
@click.option(
    "-a",
    "--all",
    "show_all",
    is_flag=True,
    help="List closed and filtered ports too (default: open only).",
)
@json_option
def scan(
    host: str,
    ports: str,
    concurrency: int,
    rate: float | None,
    timeout: float,
    show_all: bool,
    as_json: bool,
) -> None:
    """TCP connect scan of HOST: open (handshake done), closed (RST) or filtered (no answer).

    Scan only hosts you are allowed to scan. Examples:

    \b
      wirekit scan 127.0.0.1 --ports 22,80,8000-8100
      wirekit scan localhost -p 1-65535 -c 500 --rate 2000 --json
    """
    from ..runtime.scan import parse_ports, tcp_scan

    port_list = parse_ports(ports)
    show_progress = not as_json and sys.stderr.isatty()
    if show_progress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn(f"scanning {host}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[found]} open"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        task = progress.add_task("scan", total=len(port_list), found=0)
        found = 0

        def on_result(result: object) -> None:
            nonlocal found
            if getattr(result, "state", None) == "open":
                found += 1
            progress.update(task, advance=1, found=found)

        with progress:
            report = tcp_scan(
                host,
                port_list,
                concurrency=concurrency,
                rate=rate,
                timeout=timeout,
                on_result=on_result,
            )
    else:
        report = tcp_scan(host, port_list, concurrency=concurrency, rate=rate, timeout=timeout)

    rows = report.results if show_all else [r for r in report.results if r.state == "open"]
    if as_json:
        emit(
            {
                "host": report.host,
                "address": report.address,
                "elapsed": round(report.elapsed, 3),
                "scanned": len(report.results),
                "open": report.count("open"),
                "closed": report.count("closed"),
                "filtered": report.count("filtered"),
                "ports": rows,
            },
            True,
        )
        return
    table = [
        {
            "port": r.port,
            "state": r.state,
            "service": r.service or "",
            "latency": f"{r.latency_ms:.2f} ms" if r.latency_ms is not None else "",
        }
        for r in rows
    ]
    if table:
        emit(table, False, title=f"{host} ({report.address})")
    click.echo(
        f"{len(report.results)} ports scanned in {report.elapsed:.2f}s: "
        f"{report.count('open')} open, {report.count('closed')} closed, {report.count('filtered')} filtered",
        err=True,
    )
