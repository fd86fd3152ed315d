"""HTTP client bench: wirekit.http vs urllib3, requests, aiohttp, httpx, curl and HTTPie on one private nginx.

Cases (targets from issue 8):
1. sync, sequential keep-alive GET + JSON parse      >= 1.0x urllib3, >= 2.5x requests
2. async, concurrency 50 (GET + JSON)                 >= 0.8x aiohttp, >= 10x httpx.AsyncClient
3. 200 MB streamed download, sync and async           >= 0.75x curl
4. CLI cold start, one GET printed                    <= 0.35x HTTPie's time

Every case runs wirekit and its anchors in this one run, interleaved, best of ``REPS``;
CPU per operation is this process's user+system time (curl/HTTPie: the child's).
Run: ``.venv-bench/bin/python -m bench http`` from the repo root.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "interop" / "http"))

from nginx_peer import start_nginx, stop_nginx

from bench._common import CPUTimer, write_table


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SEQ_N = int(os.environ.get("WIREKIT_BENCH_HTTP_SEQ", "3000"))
CONC_N = int(os.environ.get("WIREKIT_BENCH_HTTP_CONC", "3000"))
HTTPX_N = 600  # httpx.AsyncClient is ~20x slower: fewer requests, same per-op figures
DOWNLOAD_MB = int(os.environ.get("WIREKIT_BENCH_HTTP_MB", "200"))
REPS = 3
CONCURRENCY = 50
CONTEXT = """
Context (the same every run; the numbers above are this run's):

- The machine is shared (load 10-30 on 2 CPUs during development), so wall-time ratios move by
  +-20 % between runs. Across five development runs the spread was: sync vs urllib3 0.82-1.06x
  by wall and 0.96-1.06x by CPU/request; async vs aiohttp 0.77-1.04x by CPU/request and
  0.78-1.26x by wall; async 200 MB download 0.60-1.09x curl (aiohttp itself 0.75-1.25x curl in
  the same runs). Read the targets as "at parity" rather than "beaten by a margin".
- Sync: wirekit drives urllib3's HTTPConnectionPool directly (pools keyed by origin and TLS
  settings), so it skips PoolManager's per-call URL parsing and pool-key building; that buys
  back what wirekit's own policy layer (redirects, cookies, retries, auth; ~16-20 µs/request
  measured against a stub transport) costs.
- Async: wirekit adds ~18 µs/request of policy over aiohttp's ClientSession and a per-read
  socket timeout (aiohttp's default has none); it keeps aiohttp's 64 KiB read buffer, which
  measured faster for bulk bodies than larger ones, and streams transport chunks without
  re-chunking.
- CLI cold start misses: `wirekit http` costs within ~5-15 % of the floor row (a bare `python -c`
  that only imports click and urllib3 and does one GET). The floor itself is 0.38-0.41x
  HTTPie here because importing click costs ~0.15x HTTPie on this box; 0.35x would need an
  entry point that does not load click for `wirekit http` (the CLI root is shared), or a
  transport lighter than urllib3 for one-shot calls. wirekit's own modules are loaded
  lazily (no asyncio, aiohttp, zstandard or rich on this path).
"""
JSON_BODY = json.dumps(
    {
        "id": 1,
        "name": "wirekit",
        "tags": ["a", "b", "c"],
        "items": [{"k": i, "v": str(i) * 3} for i in range(8)],
    }
).encode()


def best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """(wall, cpu) of the fastest run."""
    return min(runs, key=lambda r: r[0])


# -- 1. sync sequential ---------------------------------------------------------------
def seq_wirekit(url: str, n: int) -> Callable[[], None]:
    import wirekit.http as wh

    client = wh.Client()
    client.get(url).json()

    def run() -> None:
        get = client.get
        for _ in range(n):
            get(url).json()

    return run


def seq_urllib3(url: str, n: int) -> Callable[[], None]:
    import urllib3

    pm = urllib3.PoolManager()
    pm.request("GET", url).json()

    def run() -> None:
        for _ in range(n):
            pm.request("GET", url).json()

    return run


def seq_requests(url: str, n: int) -> Callable[[], None]:
    import requests

    s = requests.Session()
    s.get(url).json()

    def run() -> None:
        for _ in range(n):
            s.get(url).json()

    return run


def measure(fn: Callable[[], None]) -> tuple[float, float]:
    with CPUTimer() as t:
        fn()
    return t.wall, t.cpu


# -- 2. async concurrency 50 ------------------------------------------------------------
async def conc_wirekit(url: str, n: int) -> tuple[float, float]:
    import wirekit.http as wh
    from wirekit.http._aiohttp import AiohttpTransport

    async with wh.AsyncClient(transport=AiohttpTransport(limit=CONCURRENCY)) as c:
        await c.get(url)
        return await _workers(lambda: c.get(url), n, lambda r: r.json())


async def conc_aiohttp(url: str, n: int) -> tuple[float, float]:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as s:

        async def one() -> Any:
            async with s.get(url) as r:
                return await r.json()

        await one()
        return await _workers(one, n, None)


async def conc_httpx(url: str, n: int) -> tuple[float, float]:
    import httpx

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits) as c:
        await c.get(url)
        return await _workers(lambda: c.get(url), n, lambda r: r.json())


async def _workers(
    one: Callable[[], Any], n: int, post: Callable[[Any], Any] | None
) -> tuple[float, float]:
    per = n // CONCURRENCY

    async def worker() -> None:
        for _ in range(per):
            r = await one()
            if post is not None:
                post(r)

    with CPUTimer() as t:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return t.wall, t.cpu


def run_async(coro_fn: Callable[..., Any], *args: Any) -> tuple[float, float]:
    from wirekit.runtime.loop import new_event_loop

    loop = new_event_loop()  # the same loop kind (uvloop when installed) for every client
    try:
        return loop.run_until_complete(coro_fn(*args))  # type: ignore[no-any-return]
    finally:
        loop.close()


# -- 3. download ----------------------------------------------------------------------
def dl_wirekit_sync(url: str) -> tuple[float, float, int]:
    import wirekit.http as wh

    with wh.Client() as c, CPUTimer() as t:
        got = 0
        with c.stream("GET", url) as r:
            for chunk in r.iter_bytes():
                got += len(chunk)
    return t.wall, t.cpu, got


def dl_urllib3(url: str) -> tuple[float, float, int]:
    import urllib3

    pm = urllib3.PoolManager()
    with CPUTimer() as t:
        got = 0
        r = pm.request("GET", url, preload_content=False)
        for chunk in r.stream(256 * 1024):
            got += len(chunk)
        r.release_conn()
    return t.wall, t.cpu, got


async def _dl_wirekit_async(url: str) -> tuple[float, float, int]:
    import wirekit.http as wh

    async with wh.AsyncClient() as c:
        with CPUTimer() as t:
            got = 0
            async with c.stream("GET", url) as r:
                async for chunk in r.aiter_bytes():
                    got += len(chunk)
    return t.wall, t.cpu, got


async def _dl_aiohttp(url: str) -> tuple[float, float, int]:
    import aiohttp

    async with aiohttp.ClientSession() as s:
        with CPUTimer() as t:
            got = 0
            async with s.get(url) as r:
                async for chunk in r.content.iter_chunked(64 * 1024):
                    got += len(chunk)
    return t.wall, t.cpu, got


def child_run(cmd: list[str]) -> tuple[float, float]:
    """Wall time and the child's CPU for one command (stdout discarded)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def add_rows(
    rows: list[list[Any]],
    case: str,
    runs: dict[str, list[tuple[float, float]]],
    counts: dict[str, int],
) -> None:
    """One row per client: best wall throughput, best CPU per request, and wirekit's ratios."""
    w_wall, w_cpu = (
        min(r[0] for r in runs["wirekit"]) / counts["wirekit"],
        min(r[1] for r in runs["wirekit"]) / counts["wirekit"],
    )
    for name, rs in runs.items():
        wall = min(r[0] for r in rs) / counts[name]
        cpu = min(r[1] for r in rs) / counts[name]
        rows.append(
            [
                case,
                name,
                f"{1 / wall:,.0f} req/s",
                f"{cpu * 1e6:.0f} µs",
                f"{wall / w_wall:.2f}x",
                f"{cpu / w_cpu:.2f}x",
            ]
        )


def target_note(
    label: str,
    runs: dict[str, list[tuple[float, float]]],
    counts: dict[str, int],
    targets: list[tuple[str, float]],
) -> str:
    """'wirekit is Nx anchor (target >= T: met/MISSED)' by wall time and by CPU per request."""
    w_wall = min(r[0] for r in runs["wirekit"]) / counts["wirekit"]
    w_cpu = min(r[1] for r in runs["wirekit"]) / counts["wirekit"]
    parts = []
    for anchor, target in targets:
        by_wall = (min(r[0] for r in runs[anchor]) / counts[anchor]) / w_wall
        by_cpu = (min(r[1] for r in runs[anchor]) / counts[anchor]) / w_cpu
        verdict = (
            "met"
            if by_wall >= target and by_cpu >= target
            else "met by one measure"
            if max(by_wall, by_cpu) >= target
            else "MISSED"
        )
        parts.append(
            f"{by_wall:.2f}x {anchor} by wall time, {by_cpu:.2f}x by CPU/request (target >= {target}: {verdict})"
        )
    return f"- {label}: wirekit is " + "; ".join(parts) + "."


def main() -> None:
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    tmp = Path(tempfile.mkdtemp(prefix="wirekit-bench-http-"))
    from wirekit.streams.certs import make_test_tls

    tls = make_test_tls(tmp / "tls")
    n = start_nginx(nginx_bin, tmp, free_port(), free_port(), tls.cert, tls.key)
    try:
        (n.www / "plain").mkdir()
        (n.www / "plain" / "data.json").write_bytes(JSON_BODY)
        blob = n.www / "plain" / "big.bin"
        block = os.urandom(1 << 20)
        with open(blob, "wb") as fh:
            for _ in range(DOWNLOAD_MB):
                fh.write(block)
        json_url = n.url + "/plain/data.json"
        big_url = n.url + "/plain/big.bin"
        rows: list[list[Any]] = []
        notes: list[str] = []

        # 1. sync sequential (order rotated each rep: on a shared box the first runner pays)
        seq: dict[str, list[tuple[float, float]]] = {
            name: [] for name in ("wirekit", "urllib3", "requests")
        }
        makers = {"wirekit": seq_wirekit, "urllib3": seq_urllib3, "requests": seq_requests}
        runners = list((k, f(json_url, SEQ_N)) for k, f in makers.items())
        for rep in range(REPS):
            for name, fn in runners[rep % 3 :] + runners[: rep % 3]:
                seq[name].append(measure(fn))
        add_rows(rows, "sync seq GET+JSON", seq, {k: SEQ_N for k in seq})
        notes.append(
            target_note(
                "sync sequential",
                seq,
                {k: SEQ_N for k in seq},
                [("urllib3", 1.0), ("requests", 2.5)],
            )
        )

        # 2. async concurrency 50
        conc: dict[str, list[tuple[float, float]]] = {"wirekit": [], "aiohttp": [], "httpx": []}
        for rep in range(REPS):
            pair = [("wirekit", conc_wirekit), ("aiohttp", conc_aiohttp)]
            for name, fn in pair if rep % 2 == 0 else pair[::-1]:
                conc[name].append(run_async(fn, json_url, CONC_N))
        conc["httpx"].append(run_async(conc_httpx, json_url, HTTPX_N))
        counts = {
            k: n // CONCURRENCY * CONCURRENCY
            for k, n in {"wirekit": CONC_N, "aiohttp": CONC_N, "httpx": HTTPX_N}.items()
        }
        add_rows(rows, f"async conc {CONCURRENCY} GET+JSON", conc, counts)
        notes.append(
            target_note(
                f"async concurrency {CONCURRENCY}",
                conc,
                counts,
                [("aiohttp", 0.8), ("httpx", 10.0)],
            )
        )

        # 3. download
        size = DOWNLOAD_MB << 20
        dl: dict[str, list[tuple[float, float]]] = {
            k: [] for k in ("wirekit sync", "wirekit async", "curl", "urllib3", "aiohttp")
        }
        curl = shutil.which("curl") or "curl"
        for _ in range(2):
            wall, cpu, got = dl_wirekit_sync(big_url)
            assert got == size, got
            dl["wirekit sync"].append((wall, cpu))
            wall, cpu, got = run_async(_dl_wirekit_async, big_url)
            assert got == size, got
            dl["wirekit async"].append((wall, cpu))
            dl["curl"].append(child_run([curl, "-s", "--noproxy", "*", "-o", "/dev/null", big_url]))
            wall, cpu, _ = dl_urllib3(big_url)
            dl["urllib3"].append((wall, cpu))
            wall, cpu, _ = run_async(_dl_aiohttp, big_url)
            dl["aiohttp"].append((wall, cpu))
        curl_wall = best(dl["curl"])[0]
        for name, runs in dl.items():
            wall, cpu = best(runs)
            rows.append(
                [
                    f"download {DOWNLOAD_MB} MB",
                    name,
                    f"{size / wall / 1e6:,.0f} MB/s",
                    f"{cpu:.2f} s",
                    f"{curl_wall / wall:.2f}x curl",
                    "",
                ]
            )
        for name in ("wirekit sync", "wirekit async"):
            r = curl_wall / best(dl[name])[0]
            notes.append(
                f"- download, {name}: {r:.2f}x curl (target >= 0.75: {'met' if r >= 0.75 else 'MISSED'})."
            )

        # 4. CLI cold start. A pip install byte-compiles wirekit; this tree may run with
        # PYTHONDONTWRITEBYTECODE=1, so compile it as an install would (HTTPie's are compiled).
        import wirekit

        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(Path(wirekit.__file__).parent)],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        get_url = json_url
        wirekit_cli = str(Path(sys.executable).with_name("wirekit"))
        httpie = str(Path(sys.executable).with_name("http"))
        floor = f"import click, urllib3, sys; sys.stdout.buffer.write(urllib3.request('GET', {get_url!r}).data)"
        cold: dict[str, list[tuple[float, float]]] = {
            "wirekit http": [],
            "HTTPie http --body": [],
            "python -c pass": [],
            "floor: click+urllib3 GET": [],
        }
        for _ in range(7):
            cold["wirekit http"].append(child_run([wirekit_cli, "http", get_url]))
            cold["HTTPie http --body"].append(child_run([httpie, "--body", get_url]))
            cold["python -c pass"].append(child_run([sys.executable, "-c", "pass"]))
            cold["floor: click+urllib3 GET"].append(child_run([sys.executable, "-c", floor]))
        hp = best(cold["HTTPie http --body"])[0]
        hp_cpu = min(r[1] for r in cold["HTTPie http --body"])
        for name, runs in cold.items():
            wall, cpu = best(runs)
            cpu = min(r[1] for r in runs)
            rows.append(
                [
                    "CLI cold start, one GET",
                    name,
                    f"{wall * 1000:.0f} ms",
                    f"{cpu * 1000:.0f} ms",
                    f"{wall / hp:.2f}x HTTPie's time",
                    f"{cpu / hp_cpu:.2f}x HTTPie's CPU",
                ]
            )
        r_cli = best(cold["wirekit http"])[0] / hp
        r_floor = best(cold["floor: click+urllib3 GET"])[0] / hp
        notes.append(
            f"- CLI cold start: wirekit takes {r_cli:.2f}x HTTPie's time and "
            f"{min(r[1] for r in cold['wirekit http']) / hp_cpu:.2f}x its CPU (target <= 0.35: {'met' if r_cli <= 0.35 else 'MISSED'}); "
            f"the floor of any click+urllib3 CLI (import both, one GET) is {r_floor:.2f}x here."
        )
    finally:
        stop_nginx(n)
        shutil.rmtree(tmp, ignore_errors=True)

    write_table(
        "http",
        "HTTP clients: wirekit.http vs urllib3, requests, aiohttp, httpx, curl, HTTPie (one private nginx on loopback)",
        [
            "case",
            "client",
            "throughput",
            "CPU/op (or total)",
            "wirekit vs this (wall)",
            "wirekit vs this (CPU)",
        ],
        rows,
        "\n".join(
            [
                f"Sequential: {SEQ_N} GETs of a {len(JSON_BODY)}-byte JSON file over one keep-alive connection, body parsed. "
                f"Concurrent: {CONC_N} GETs (httpx: {HTTPX_N}) by {CONCURRENCY} workers on one event loop (uvloop when installed, the same for all). "
                f"Download: {DOWNLOAD_MB} MB file streamed and discarded. Best of {REPS} interleaved runs (order rotated); download best of 2; cold start best of 7. "
                "'wirekit vs this' is wirekit's advantage: this client's time (or CPU) per request over wirekit's (>1: wirekit faster); download: throughput over curl's; cold start: wirekit's time over HTTPie's. CPU per request is the steadier figure on this shared machine.",
                "",
                *notes,
                CONTEXT,
            ]
        ),
    )


if __name__ == "__main__":
    main()
