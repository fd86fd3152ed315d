"""Render a capture as a PNG: traffic over time by protocol, and the protocol mix (matplotlib, Agg)."""

from __future__ import annotations

import os
from typing import Any

from .._util.extras import require
from .query import connect, run

__all__ = ["plot"]

#: the protocol a frame is counted under in the plot
_KIND = """CASE WHEN ip_version IS NOT NULL AND frag_offset > 0 THEN 'fragment'
  WHEN dns_id IS NOT NULL THEN 'dns' WHEN proto IS NOT NULL THEN proto_name(proto)
  WHEN ethertype = 2054 THEN 'arp' ELSE 'other' END"""


def plot(
    source: Any,
    out: str | os.PathLike[str],
    *,
    buckets: int = 200,
    top: int = 6,
    title: str | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Write a PNG of packets/s by protocol, bytes/s, and the protocol mix; returns a summary.

    ``source`` is a capture, a Parquet file/dataset or a columnar table.

    Raises:
        ConfigError: the file cannot be opened or written.
        DecodeError: the capture is not pcap/pcapng.
        MissingExtraError: matplotlib/duckdb/pyarrow are not installed.
    """
    require("matplotlib", "analysis")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    con = connect(source, progress=progress)
    try:
        (span,) = run(
            con,
            "SELECT epoch_ns(min(ts)) AS t0, epoch_ns(max(ts)) AS t1, count(*) AS n FROM packets",
        ).to_pylist()
        t0 = span["t0"] or 0
        width = max(1, -(-((span["t1"] or 0) - t0 + 1) // max(1, buckets)))  # ns per bucket
        mix = run(
            con,
            f"SELECT {_KIND} AS kind, count(*) AS frames, CAST(sum(length) AS BIGINT) AS bytes FROM packets GROUP BY 1 ORDER BY 2 DESC",
        ).to_pylist()
        kinds = [m["kind"] for m in mix[:top]]
        series = run(
            con,
            f"""SELECT (epoch_ns(ts) - {t0}) // {width} AS b,
                 CASE WHEN {_KIND} IN ({", ".join("'" + k + "'" for k in kinds) or "''"}) THEN {_KIND} ELSE 'other' END AS kind,
                 count(*) AS frames, CAST(sum(length) AS BIGINT) AS bytes
               FROM packets WHERE ts IS NOT NULL GROUP BY ALL ORDER BY 1""",
        ).to_pylist()
    finally:
        con.close()

    nb = max(1, max((r["b"] for r in series), default=0) + 1)
    secs = width / 1e9
    x = [i * secs for i in range(nb)]
    names = (
        [*kinds, "other"]
        if any(r["kind"] == "other" for r in series) and "other" not in kinds
        else kinds
    )
    pps = {k: [0.0] * nb for k in names}
    bps = [0.0] * nb
    for r in series:
        pps[r["kind"]][r["b"]] += r["frames"] / secs
        bps[r["b"]] += r["bytes"] * 8 / secs

    fig = Figure(figsize=(11, 8), dpi=100)
    FigureCanvasAgg(fig)
    ax1, ax2, ax3 = fig.subplots(3, 1, gridspec_kw={"height_ratios": [3, 2, 2]})
    if names:
        ax1.stackplot(x, *[pps[k] for k in names], labels=names)
        ax1.legend(loc="upper right", fontsize="small")
    ax1.set_ylabel("packets/s")
    ax1.set_title(title or f"{span['n']} frames over {((span['t1'] or 0) - t0) / 1e9:.1f} s")
    ax2.plot(x, bps, color="black", linewidth=0.8)
    ax2.set_ylabel("bits/s")
    ax2.set_xlabel("seconds from the first frame")
    labels = [m["kind"] for m in mix[: top + 4]]
    ax3.barh(labels[::-1], [m["frames"] for m in mix[: top + 4]][::-1])
    ax3.set_xlabel("frames by protocol")
    fig.tight_layout()
    try:
        fig.savefig(os.fspath(out), format="png")
    except OSError as exc:
        from ..errors import ConfigError

        raise ConfigError(f"cannot write {os.fspath(out)!r}: {exc.strerror}") from exc
    return {
        "out": os.fspath(out),
        "frames": span["n"],
        "bucket_seconds": secs,
        "protocols": {m["kind"]: m["frames"] for m in mix},
    }
