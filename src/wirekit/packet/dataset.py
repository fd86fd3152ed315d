"""Scale-out: a folder of captures becomes a partitioned Parquet dataset, queried with Dask.

Layout (hive partitioning, readable by DuckDB, Dask, Spark and pyarrow.dataset)::

    out/capture=<file stem>/part-0.parquet

A Dask query is map-reduce SQL: ``sql`` runs on every partition (a pandas DataFrame
from ``dask.dataframe.read_parquet``) with DuckDB on the workers; the partial results are
concatenated, and ``reduce`` (SQL over a ``results`` view) combines them on the client.
Without ``reduce`` the result is the concatenation, which is right for filters and
projections; aggregations need a ``reduce`` that re-aggregates (sum of sums, and so on).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._util.extras import require
from ..errors import ConfigError

__all__ = ["CAPTURE_GLOBS", "Dataset", "build_dataset", "dask_query", "find_captures"]

CAPTURE_GLOBS = ("*.pcap", "*.pcapng", "*.cap", "*.pcap.gz", "*.pcapng.gz")


@dataclass
class Dataset:
    """What :func:`build_dataset` wrote."""

    path: str
    captures: int
    frames: int
    files: list[str] = field(default_factory=list)


def find_captures(source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The capture files of a folder (recursively), or the given paths.

    Raises:
        ConfigError: a path does not exist, or the folder holds no captures.
    """
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if not p.exists():
            raise ConfigError(f"no such file or folder: {os.fspath(p)!r}")
        if p.is_file():
            return [p]
        found = sorted({f for g in CAPTURE_GLOBS for f in p.rglob(g)})
        if not found:
            raise ConfigError(f"no captures ({', '.join(CAPTURE_GLOBS)}) under {os.fspath(p)!r}")
        return found
    return [q for s in source for q in find_captures(s)]


def _partition_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".pcapng", ".pcap", ".cap"):
        name = name.removesuffix(suffix)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "capture"


def build_dataset(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    compression: str = "zstd",
    progress: Any = None,
) -> Dataset:
    """Convert every capture of ``source`` into ``out/capture=<name>/part-0.parquet``.

    ``progress(done_captures, total_captures)`` is called after each file.

    Raises:
        ConfigError: no captures, or two captures with the same partition name.
        DecodeError: a file is not a capture.
        MissingExtraError: pyarrow is not installed.
    """
    pq = require("pyarrow.parquet", "analysis")
    from .columnar import iter_batches, schema

    files = find_captures(source)
    names = [_partition_name(f) for f in files]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"captures with the same name would share a partition: {sorted(dupes)}")
    root = Path(out)
    ds = Dataset(os.fspath(root), len(files), 0)
    for i, (f, name) in enumerate(zip(files, names, strict=True)):
        part = root / f"capture={name}"
        part.mkdir(parents=True, exist_ok=True)
        dest = part / "part-0.parquet"
        with pq.ParquetWriter(os.fspath(dest), schema(), compression=compression) as w:
            for batch in iter_batches(f, batch_size=65536):
                w.write_batch(batch)
                ds.frames += batch.num_rows
        ds.files.append(os.fspath(dest))
        if progress is not None:
            progress(i + 1, len(files))
    return ds


def _run_sql(df: Any, sql: str) -> Any:
    """Run ``sql`` over one partition (a pandas DataFrame) with DuckDB, on a Dask worker."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        from .query import MACROS

        for m in MACROS:
            con.execute(m)
        # Categoricals (dictionary columns) become plain strings so every partition agrees.
        for c in df.columns:
            if str(df[c].dtype) == "category":
                df[c] = df[c].astype(object)
        con.register("packets", df)
        return con.sql(sql).df()
    finally:
        con.close()


def dask_query(
    dataset: str | os.PathLike[str], sql: str, *, address: Any = None, reduce: str | None = None
) -> Any:
    """Run map-reduce SQL over a Parquet dataset with Dask; returns an Arrow table.

    ``address`` is a Dask scheduler (``tcp://host:8786``), a ``distributed.Client``, or
    ``None`` for Dask's local threads.

    Raises:
        ConfigError: no dataset there, or a bad query.
        MissingExtraError: dask/pandas/duckdb are not installed (``pip install 'wirekit[dask,analysis]'``).
    """
    dd = require("dask.dataframe", "dask")
    duckdb = require("duckdb", "analysis")
    pa = require("pyarrow", "analysis")
    if not Path(dataset).exists():
        raise ConfigError(f"no such dataset: {os.fspath(dataset)!r}")
    if Path(dataset).is_file() and Path(dataset).suffix.lower() not in (".parquet", ".pq"):
        raise ConfigError(
            f"{os.fspath(dataset)!r} is not Parquet: Dask reads a Parquet dataset; "
            "build one with `wirekit pkt convert CAPTURES/ DATASET/`"
        )
    ddf = dd.read_parquet(os.fspath(dataset))
    try:
        meta = _run_sql(ddf._meta.copy(), sql)
        parts = ddf.map_partitions(_run_sql, sql, meta=meta)
        if address is None:
            result = parts.compute(scheduler="threads")
        else:
            distributed = require("distributed", "dask")
            client = (
                address if isinstance(address, distributed.Client) else distributed.Client(address)
            )
            try:
                result = client.compute(parts).result()
            finally:
                if client is not address:
                    client.close()
    except duckdb.Error as exc:
        raise ConfigError(f"SQL error: {exc}") from exc
    table = pa.Table.from_pandas(result, preserve_index=False)
    if reduce:
        from .query import connect, run

        con = connect()
        try:
            con.register("results", table)
            return run(con, reduce)
        finally:
            con.close()
    return table
