"""SQL over captures: DuckDB (embedded) with a ``packets`` view over the columnar table.

The one adapter module for DuckDB: its exceptions are translated here (a bad query is a
:class:`ConfigError`, the user's input).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._util.extras import require
from ..errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["PARQUET_SUFFIXES", "connect", "is_parquet", "query", "source_sql"]

PARQUET_SUFFIXES = (".parquet", ".pq")

#: SQL macros defined on every connection: readable TCP flags and protocol names.
MACROS = (
    "CREATE OR REPLACE MACRO tcp_flag_names(f) AS concat_ws(',', "
    "CASE WHEN f & 2 > 0 THEN 'SYN' END, CASE WHEN f & 16 > 0 THEN 'ACK' END, "
    "CASE WHEN f & 1 > 0 THEN 'FIN' END, CASE WHEN f & 4 > 0 THEN 'RST' END, "
    "CASE WHEN f & 8 > 0 THEN 'PSH' END, CASE WHEN f & 32 > 0 THEN 'URG' END)",
    "CREATE OR REPLACE MACRO proto_name(p) AS CASE p WHEN 1 THEN 'icmp' WHEN 6 THEN 'tcp' "
    "WHEN 17 THEN 'udp' WHEN 58 THEN 'icmpv6' WHEN 2 THEN 'igmp' WHEN 47 THEN 'gre' "
    "WHEN 50 THEN 'esp' WHEN 132 THEN 'sctp' ELSE CAST(p AS VARCHAR) END",
)


def is_parquet(source: str | os.PathLike[str]) -> bool:
    """True for a Parquet file or a folder holding a Parquet dataset."""
    p = Path(source)
    return p.is_dir() or p.suffix.lower() in PARQUET_SUFFIXES


def source_sql(path: str | os.PathLike[str]) -> str:
    """A DuckDB table expression reading a Parquet file or a (hive-partitioned) folder."""
    p = Path(path)
    if p.is_dir():
        glob = str(p / "**" / "*.parquet").replace("'", "''")
        return f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true)"
    return f"read_parquet('{str(p).replace(chr(39), chr(39) * 2)}')"


def connect(source: Any = None, *, progress: Any = None) -> Any:
    """An in-memory DuckDB connection with a ``packets`` view over ``source``.

    ``source`` is a capture (pcap/pcapng, gzipped or not; decoded with
    :func:`wirekit.packet.columns`), a Parquet file or dataset folder, or an Arrow table.

    Raises:
        ConfigError: the file cannot be opened.
        DecodeError: the capture is not pcap/pcapng.
        MissingExtraError: duckdb/pyarrow are not installed.
    """
    duckdb = require("duckdb", "analysis")
    con = duckdb.connect(":memory:")
    for m in MACROS:
        con.execute(m)
    if source is None:
        return con
    if isinstance(source, (str, os.PathLike)):
        if not Path(source).exists():
            raise ConfigError(f"no such capture or dataset: {os.fspath(source)!r}")
        if is_parquet(source):
            if Path(source).is_dir() and not any(Path(source).rglob("*.parquet")):
                con.close()
                raise ConfigError(
                    f"no Parquet files under {os.fspath(source)!r}; for a folder of captures, "
                    "build a dataset first: wirekit pkt convert CAPTURES/ DATASET/"
                )
            con.execute(f"CREATE VIEW packets AS SELECT * FROM {source_sql(source)}")
            return con
        from .columnar import columns

        source = columns(source, progress=progress)
    con.register("packets_arrow", source)
    con.execute("CREATE VIEW packets AS SELECT * FROM packets_arrow")
    return con


def query(source: Any, sql: str, *, progress: Any = None) -> pa.Table:
    """Run ``sql`` (which reads the ``packets`` view) over ``source``; returns an Arrow table.

    Raises:
        ConfigError: a bad query, or the file cannot be opened.
        DecodeError: the capture is not pcap/pcapng.
        MissingExtraError: duckdb/pyarrow are not installed.
    """
    con = connect(source, progress=progress)
    try:
        return run(con, sql)
    finally:
        con.close()


def run(con: Any, sql: str) -> pa.Table:
    """Run ``sql`` on ``con`` and fetch the result as Arrow.

    Raises:
        ConfigError: DuckDB refused the query.
    """
    duckdb = require("duckdb", "analysis")
    try:
        rel = con.sql(sql)
        if rel is None:
            return require("pyarrow", "analysis").table({})
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
    except duckdb.Error as exc:
        raise ConfigError(f"SQL error: {exc}") from exc
