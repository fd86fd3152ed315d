"""Shared bench helpers: CPU accounting, process pinning and the results-table writer."""

from __future__ import annotations

import os
import platform
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass
class CPUTimer:
    """Wall time and this process's user+system CPU over a ``with`` block."""

    wall: float = 0.0
    cpu: float = 0.0

    def __enter__(self) -> CPUTimer:
        self._w = time.perf_counter()
        r = resource.getrusage(resource.RUSAGE_SELF)
        self._c = r.ru_utime + r.ru_stime
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._w
        r = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = r.ru_utime + r.ru_stime - self._c


def proc_cpu(pid: int) -> float:
    """user+system CPU seconds of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_line() -> str:
    load = os.getloadavg()
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, load {load[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"


def write_table(
    name: str, title: str, header: Sequence[str], rows: Sequence[Sequence[object]], notes: str = ""
) -> Path:
    """Write bench/results/NAME.md with a markdown table and notes; print it too."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# {title}",
        "",
        f"Measured: {machine_line()}. Ratios from one run count; absolute times do not.",
        "",
    ]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    if notes:
        lines += ["", notes.strip(), ""]
    text = "\n".join(lines) + "\n"
    path = RESULTS / f"{name}.md"
    path.write_text(text)
    print(text)
    return path
