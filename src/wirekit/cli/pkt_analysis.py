"""``wirekit pkt stats|query|convert|plot``: columnar analysis of captures (SQL, Parquet, Dask)."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from .render import emit, json_option


@contextlib.contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr (only on a terminal); yields the callback or None."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _plain(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (datetime.datetime, datetime.date)):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return v.total_seconds()
    return v


def _table_rows(table: Any, limit: int) -> tuple[list[dict[str, Any]], int]:
    total = table.num_rows
    if limit:
        table = table.slice(0, limit)
    return [{k: _plain(v) for k, v in r.items()} for r in table.to_pylist()], total


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("sql")
@click.option(
    "--dask",
    "dask_addr",
    metavar="ADDR",
    help="Run over a Parquet dataset with Dask: a scheduler address (tcp://host:8786) or `local`.",
)
@click.option(
    "--reduce",
    "reduce_sql",
    metavar="SQL",
    help="With --dask: SQL over the per-partition `results` that combines them.",
)
@click.option("--max-rows", default=1000, show_default=True, help="Rows to print (0: all).")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Also write the result to a .parquet or .csv file.",
)
@json_option
def query(
    source: Path,
    sql: str,
    dask_addr: str | None,
    reduce_sql: str | None,
    max_rows: int,
    out: Path | None,
    as_json: bool,
) -> None:
    """Run SQL over a capture, Parquet file or dataset: the table is called `packets`.

    \b
    wirekit pkt query cap.pcap "SELECT src, count(*) n FROM packets GROUP BY src ORDER BY n DESC LIMIT 10"
    wirekit pkt query ds/ --dask local "SELECT src, sum(length) b FROM packets GROUP BY src" \\
        --reduce "SELECT src, sum(b) b FROM results GROUP BY src ORDER BY b DESC LIMIT 10"
    """
    if dask_addr:
        from ..packet.dataset import dask_query

        if dask_addr == "local":
            from .._util.extras import require

            distributed = require("distributed", "dask")
            with (
                distributed.LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                table = dask_query(source, sql, address=client, reduce=reduce_sql)
        else:
            table = dask_query(source, sql, address=dask_addr, reduce=reduce_sql)
    else:
        from ..packet.query import query as run_query

        with _progress(f"decoding {source.name}", not as_json) as cb:
            table = run_query(source, sql, progress=cb)
    if out is not None:
        _write_result(table, out)
    rows, total = _table_rows(table, max_rows)
    emit(rows, as_json)
    if total > len(rows):
        click.echo(f"({total - len(rows)} more rows; use --max-rows 0 or --out)", err=True)


def _write_result(table: Any, out: Path) -> None:
    from ..errors import ConfigError

    if out.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        pq.write_table(table, out)
    elif out.suffix.lower() == ".csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, out)
    else:
        raise ConfigError(f"--out must end in .parquet or .csv, not {out.name!r}")


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--top", default=10, show_default=True, help="Rows per list.")
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(["hierarchy", "endpoints", "conversations", "flows"]),
    help="Only these sections (repeatable; default all).",
)
@json_option
def stats(source: Path, top: int, sections: tuple[str, ...], as_json: bool) -> None:
    """Protocol hierarchy, top talkers, conversations and flows (like tshark -z)."""
    from ..packet.stats import capture_stats

    with _progress(f"decoding {source.name}", not as_json) as cb:
        s = capture_stats(source, top=top, progress=cb)
    wanted = sections or ("hierarchy", "endpoints", "conversations", "flows")
    if as_json:
        data = {"frames": s.frames, "bytes": s.bytes, "start": s.start, "duration": s.duration}
        data.update({k: getattr(s, k) for k in wanted})
        emit(data, True)
        return
    click.echo(f"{s.frames} frames, {s.bytes} bytes, {s.duration:.3f} s")
    titles = {
        "hierarchy": "Protocol hierarchy",
        "endpoints": "Top talkers (IP endpoints)",
        "conversations": "IP conversations",
        "flows": "Flows (5-tuples)",
    }
    for k in wanted:
        emit(getattr(s, k), False, title=titles[k])


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "fmt",
    type=click.Choice(["pcap", "pcapng", "parquet"]),
    help="Output format (default: from DEST's suffix).",
)
@click.option(
    "--with-data",
    is_flag=True,
    help="Parquet: keep each frame's bytes (a `data` column) so it converts back.",
)
@json_option
def convert(source: Path, dest: Path, fmt: str | None, with_data: bool, as_json: bool) -> None:
    """Convert between pcap, pcapng and Parquet; a folder of captures becomes a Parquet dataset.

    \b
    wirekit pkt convert cap.pcapng cap.pcap
    wirekit pkt convert cap.pcap cap.parquet
    wirekit pkt convert captures/ dataset/        # capture=<name>/part-0.parquet
    """
    if source.is_dir():
        from ..packet.dataset import build_dataset

        with _progress("captures", not as_json) as cb:
            result: Any = build_dataset(source, dest, progress=cb)
        if not as_json:
            result = {"dataset": result.path, "captures": result.captures, "frames": result.frames}
    else:
        from ..packet.convert import convert as run_convert

        with _progress(f"converting {source.name}", not as_json) as cb:
            result = run_convert(source, dest, to=fmt, with_data=with_data, progress=cb)
    emit(result, as_json)


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("traffic.png"),
    show_default=True,
    help="PNG to write.",
)
@click.option("--buckets", default=200, show_default=True, help="Time buckets on the x axis.")
@click.option("--title", help="Chart title.")
@json_option
def plot(source: Path, out: Path, buckets: int, title: str | None, as_json: bool) -> None:
    """Render a PNG of traffic over time by protocol and the protocol mix."""
    from ..packet.plot import plot as run_plot

    with _progress(f"decoding {source.name}", not as_json) as cb:
        summary = run_plot(source, out, buckets=buckets, title=title, progress=cb)
    emit(summary, as_json)
