"""Convert captures between pcap, pcapng and Parquet (the columnar table, optionally with frames)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._util.extras import require
from ..errors import ConfigError

__all__ = ["FORMATS", "ConvertResult", "convert", "format_of"]

FORMATS = ("pcap", "pcapng", "parquet")


@dataclass
class ConvertResult:
    """What :func:`convert` wrote."""

    source: str
    dest: str
    format: str
    frames: int
    bytes: int  #: size of the output file


def format_of(path: str | os.PathLike[str]) -> str:
    """``pcap``, ``pcapng`` or ``parquet`` from a file name (``.gz`` is looked through).

    Raises:
        ConfigError: the suffix names none of them.
    """
    name = os.fspath(path).lower().removesuffix(".gz")
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".pcapng") or name.endswith(".ntar"):
        return "pcapng"
    if name.endswith((".pcap", ".cap", ".dmp")):
        return "pcap"
    raise ConfigError(
        f"cannot tell the format of {os.fspath(path)!r}; use one of {', '.join(FORMATS)}"
    )


def convert(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    to: str | None = None,
    with_data: bool = False,
    compression: str = "zstd",
    progress: Any = None,
) -> ConvertResult:
    """Convert ``source`` to ``dest`` (format from ``to`` or ``dest``'s suffix).

    Capture to Parquet writes the columnar table (:func:`wirekit.packet.columns`), plus each
    frame's bytes in a ``data`` column when ``with_data``. Parquet back to pcap/pcapng needs
    that ``data`` column. pcap and pcapng convert record by record.

    Raises:
        ConfigError: unknown format, missing file, mixed link types into pcap, or a Parquet
            file without frame data.
        DecodeError: the source is not a capture.
    """
    src_fmt = "parquet" if Path(source).suffix.lower() in (".parquet", ".pq") else "capture"
    fmt = to or format_of(dest)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not Path(source).exists():
        raise ConfigError(f"no such file: {os.fspath(source)!r}")
    if fmt == "parquet":
        if src_fmt == "parquet":
            raise ConfigError("the source is already Parquet")
        frames = _to_parquet(source, dest, with_data, compression, progress)
    elif src_fmt == "parquet":
        frames = _from_parquet(source, dest, fmt, progress)
    else:
        frames = _capture_to_capture(source, dest, fmt, progress)
    return ConvertResult(os.fspath(source), os.fspath(dest), fmt, frames, Path(dest).stat().st_size)


def _to_parquet(source: Any, dest: Any, with_data: bool, compression: str, progress: Any) -> int:
    pq = require("pyarrow.parquet", "analysis")
    from .columnar import iter_batches, schema

    frames = 0
    with pq.ParquetWriter(os.fspath(dest), schema(raw=with_data), compression=compression) as w:
        for batch in iter_batches(source, raw=with_data, progress=progress, batch_size=65536):
            w.write_batch(batch)
            frames += batch.num_rows
    return frames


def _writer(dest: Any, fmt: str, linktype: int) -> Any:
    from .pcap import PcapWriter
    from .pcapng import PcapNgWriter

    if fmt == "pcap":
        return PcapWriter(os.fspath(dest), linktype=linktype)
    return PcapNgWriter(os.fspath(dest))


def _write_all(records: Any, dest: Any, fmt: str, progress: Any, total: int) -> int:
    w = None
    linktype = None
    frames = 0
    done = 0
    try:
        for ts, lt, data, orig in records:
            if w is None:
                linktype = lt
                w = _writer(dest, fmt, lt)
            if fmt == "pcap":
                if lt != linktype:
                    raise ConfigError(
                        f"frame {frames + 1} has link type {lt}, not {linktype}: pcap holds one link type; convert to pcapng"
                    )
                w.write(data, ts, orig)
            else:
                w.write(data, ts, linktype=lt, orig_len=orig)
            frames += 1
            done += len(data) + 16
            if progress is not None and frames % 65536 == 0:
                progress(min(done, total), total)
        if w is None:
            w = _writer(dest, fmt, 1)
    finally:
        if w is not None:
            w.close()
    if progress is not None:
        progress(total, total)
    return frames


def _capture_to_capture(source: Any, dest: Any, fmt: str, progress: Any) -> int:
    from .capture import open_capture

    recs = ((r.ts_ns, r.linktype, r.data, r.orig_len) for r in open_capture(source))
    return _write_all(recs, dest, fmt, progress, os.path.getsize(source))


def _from_parquet(source: Any, dest: Any, fmt: str, progress: Any) -> int:
    pq = require("pyarrow.parquet", "analysis")
    pf = pq.ParquetFile(os.fspath(source))
    if "data" not in pf.schema_arrow.names:
        raise ConfigError(
            "this Parquet file has no frame bytes (convert with --with-data to keep them)"
        )

    def records() -> Any:
        for b in pf.iter_batches(columns=["ts", "linktype", "data", "length"], batch_size=65536):
            ts = b.column("ts").cast("int64").fill_null(0).to_pylist()
            yield from zip(
                ts,
                b.column("linktype").to_pylist(),
                b.column("data").to_pylist(),
                b.column("length").to_pylist(),
                strict=True,
            )

    return _write_all(records(), dest, fmt, progress, pf.metadata.num_rows * 64 or 1)
