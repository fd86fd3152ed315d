"""Echo benchmark: wirekit's servers and sync client against raw asyncio/uvloop, Twisted, socketserver, pwntools.

One run, one C load generator (bench/loadgen.c, built into bench/.work/) in a separate
process. Servers run in their own processes pinned to CPU 0, the load generator on CPU 1
(``taskset``). Reported: req/s, ratio to the raw uvloop Protocol server *in the same round*,
and server CPU (user, and user+sys) per request from /proc of the server pid. Also bulk MB/s,
the sync client's CPU per line round trip, the hexdump trace's cost, and ``wirekit --help``
cold start.

Run: ``.venv-bench/bin/python -m bench echo`` from the repository root (about 2 minutes).
Environment knobs: ``ECHO_SECONDS`` (per server, default 1.5), ``ECHO_ROUNDS`` (default 5),
``WIREKIT_SRC`` (a ``src`` directory to benchmark instead of the installed wirekit, e.g. an
export of a commit: ``git archive HEAD src | tar -x -C /tmp/wk``; then ``WIREKIT_SRC=/tmp/wk/src``).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
WORK = HERE / ".work"
LOADGEN = WORK / "loadgen"

CONNS = 50
MSG = 100
WARMUP = 0.5
BULK_CHUNK = 65536
CLIENT_RTS = 3000

SERVERS = [
    "uvloop-protocol",
    "wirekit-protocol",
    "wirekit-async",
    "asyncio-protocol",
    "uvloop-streams",
    "asyncio-streams",
    "twisted",
    "socketserver-threads",
    "uvloop-task-floor",
]
BULK_SERVERS = ["uvloop-protocol", "wirekit-protocol", "wirekit-async"]
CLIENTS = [
    "raw-socket",
    "raw-socket-settimeout",
    "raw-socket-so-rcvtimeo",
    "wirekit",
    "wirekit-trace-on",
    "pwntools",
]


# --------------------------------------------------------------------------- echo servers
# Each runs in its own process (``python -m bench.echo --serve KIND``), prints "PORT n" once
# listening on 127.0.0.1, and echoes every byte until killed.


def _announce(port: int) -> None:
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()


def _serve_asyncio_family(kind: str) -> None:
    import asyncio

    if kind.startswith("uvloop"):
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)  # type: ignore[attr-defined]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    if kind.endswith("protocol"):
        server = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0, backlog=1024))
    else:
        server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024))
    _announce(server.sockets[0].getsockname()[1])
    loop.run_forever()


def _serve_wirekit(kind: str) -> None:
    import asyncio

    import wirekit
    from wirekit.runtime.protocol import Protocol
    from wirekit.streams import AsyncStream

    class Echo(Protocol):
        def data_received(self, data: bytes) -> None:
            self.write(data)

    async def handle(stream: AsyncStream) -> None:
        while data := await stream.recv():
            await stream.send_all(data)

    async def main() -> None:
        handler = Echo if kind == "wirekit-protocol" else handle
        server = wirekit.Server(handler, "tcp:127.0.0.1:0", max_connections=4096, backlog=1024)
        await server.start()
        _announce(server.address[1])
        await asyncio.Event().wait()

    wirekit.run(main)


def _serve_twisted() -> None:
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import protocol, reactor

    class Echo(protocol.Protocol):
        def connectionMade(self) -> None:
            self.transport.setTcpNoDelay(True)

        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    factory = protocol.Factory.forProtocol(Echo)
    port = reactor.listenTCP(0, factory, backlog=1024, interface="127.0.0.1")  # type: ignore[attr-defined]
    _announce(port.getHost().port)
    reactor.run()  # type: ignore[attr-defined]


def _serve_socketserver() -> None:
    import socket
    import socketserver

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock = self.request
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while data := sock.recv(65536):
                sock.sendall(data)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 1024

    with Server(("127.0.0.1", 0), Handler) as srv:
        _announce(srv.server_address[1])
        srv.serve_forever()


def _serve_task_floor() -> None:
    """The least a task-per-connection handler can cost on uvloop: a bare Protocol that wakes a
    handler coroutine with one future per read (no limits, timeouts, counters or error
    mapping). A reference for what an ``async def handler(stream)`` design can reach."""
    import asyncio

    import uvloop

    loop = uvloop.new_event_loop()

    class Conn(asyncio.Protocol):
        def __init__(self) -> None:
            self.buf = bytearray()
            self.waiter: asyncio.Future[None] | None = None
            self.eof = False

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            loop.create_task(handler(self))

        def data_received(self, data: bytes) -> None:
            self.buf += data
            w = self.waiter
            if w is not None:
                self.waiter = None
                w.set_result(None)

        def connection_lost(self, exc: Exception | None) -> None:
            self.eof = True
            w = self.waiter
            if w is not None:
                self.waiter = None
                w.set_result(None)

    async def recv(c: Conn) -> bytes:
        if not c.buf:
            if c.eof:
                return b""
            c.waiter = loop.create_future()
            await c.waiter
        data = bytes(c.buf)
        c.buf.clear()
        return data

    async def handler(c: Conn) -> None:
        while data := await recv(c):
            c.transport.write(data)  # type: ignore[attr-defined]

    server = loop.run_until_complete(loop.create_server(Conn, "127.0.0.1", 0, backlog=1024))
    _announce(server.sockets[0].getsockname()[1])
    loop.run_forever()


def serve(kind: str) -> None:
    """Run the echo server ``kind`` in this process until killed."""
    if kind == "uvloop-task-floor":
        _serve_task_floor()
    elif kind.startswith("wirekit"):
        _serve_wirekit(kind)
    elif kind == "twisted":
        _serve_twisted()
    elif kind == "socketserver-threads":
        _serve_socketserver()
    else:
        _serve_asyncio_family(kind)


# --------------------------------------------------------------------------- sync clients
# Each runs in its own process pinned to CPU 1 against the C echo server on CPU 0 and prints
# one JSON line: CPU (user, sys) and wall time over CLIENT_RTS line round trips.


def client(kind: str, port: int, rts: int) -> None:
    """Time ``rts`` 100-byte line round trips with client ``kind`` against 127.0.0.1:``port``."""
    line = b"x" * (MSG - 1)
    if kind.startswith("raw-socket"):
        import socket
        import struct

        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if kind == "raw-socket-settimeout":
            # CPython's timeout mode: a poll() before every send and recv.
            sock.settimeout(10)
        elif kind == "raw-socket-so-rcvtimeo":
            # Kernel timeouts on a blocking socket: one syscall per send/recv, still bounded.
            tv = struct.pack("ll", 10, 0)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
        buf = bytearray()
        msg = line + b"\n"

        def rt() -> bytes:
            sock.sendall(msg)
            while (i := buf.find(b"\n")) < 0:
                data = sock.recv(65536)
                if not data:
                    raise EOFError
                buf.extend(data)
            out = bytes(buf[:i])
            del buf[: i + 1]
            return out

    elif kind.startswith("wirekit"):
        import wirekit
        from wirekit.streams import Trace

        trace = Trace("bench", file=open(os.devnull, "w")) if kind == "wirekit-trace-on" else None  # noqa: SIM115
        stream = wirekit.connect(f"tcp:127.0.0.1:{port}", timeout=10, trace=trace)

        def rt() -> bytes:
            stream.send_line(line)
            return stream.recv_line()

    elif kind == "pwntools":
        os.environ.setdefault("PWNLIB_NOTERM", "1")
        from pwn import remote

        tube = remote("127.0.0.1", port)

        def rt() -> bytes:
            tube.sendline(line)
            return tube.recvline(keepends=False)

    else:
        raise SystemExit(f"unknown client {kind}")
    for _ in range(200):  # warm-up
        assert rt() == line
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for _ in range(rts):
        rt()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    user = r1.ru_utime - r0.ru_utime
    cpu = user + r1.ru_stime - r0.ru_stime
    print(json.dumps({"kind": kind, "rts": rts, "wall": wall, "cpu": cpu, "user": user}))


# --------------------------------------------------------------------------- harness


def proc_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of process ``pid``, all threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def build_loadgen() -> Path:
    """Compile bench/loadgen.c into bench/.work/ when the source is newer than the binary."""
    WORK.mkdir(exist_ok=True)
    src = HERE / "loadgen.c"
    if not LOADGEN.exists() or LOADGEN.stat().st_mtime < src.stat().st_mtime:
        gcc = shutil.which("gcc") or shutil.which("cc")
        if gcc is None:
            raise RuntimeError("the echo benchmark needs gcc to build bench/loadgen.c")
        subprocess.run([gcc, "-O2", "-o", str(LOADGEN), str(src)], check=True)
    return LOADGEN


def _pin(cpu: int) -> list[str]:
    """Pin to ``cpu`` and raise the priority: the box is shared, and a server descheduled for
    another job's test run measures the neighbours, not the server. Runs are seconds long."""
    argv = (
        ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    )
    if os.geteuid() == 0:
        argv = ["nice", "-n", "-10", *argv]
    return argv


def _env() -> dict[str, str]:
    """The environment of child processes: bench importable, and WIREKIT_SRC first if set."""
    paths = [os.environ["WIREKIT_SRC"]] if os.environ.get("WIREKIT_SRC") else []
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, str(ROOT)])}


class Peer:
    """A server process (pinned to CPU 0) that announced its port."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            [*_pin(0), *argv],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_env(),
        )
        watchdog = threading.Timer(60, self.proc.kill)
        watchdog.start()
        try:
            line = self.proc.stdout.readline().decode() if self.proc.stdout else ""
        finally:
            watchdog.cancel()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"server {argv} did not start (said {line!r})")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _python_server(kind: str) -> Peer:
    return Peer([sys.executable, "-m", "bench.echo", "--serve", kind])


def run_load(kind: str, mode: str, conns: int, seconds: float, size: int) -> dict[str, float]:
    """Start server ``kind``, drive it with the load generator, return rates and server CPU."""
    peer = _python_server(kind)
    try:
        u0, s0 = proc_times(peer.proc.pid)
        out = subprocess.run(
            [
                *_pin(1),
                str(LOADGEN),
                mode,
                "127.0.0.1",
                str(peer.port),
                str(conns),
                str(seconds),
                str(WARMUP),
                str(size),
            ],
            capture_output=True,
            check=True,
            timeout=seconds + 60,
        )
        u1, s1 = proc_times(peer.proc.pid)
    finally:
        peer.stop()
    res = json.loads(out.stdout)
    if not res["total"]:
        raise RuntimeError(f"server {kind} answered no requests (is it broken?)")
    res["user"] = u1 - u0
    res["sys"] = s1 - s0
    return res


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


def bench_pingpong(rounds: int, seconds: float) -> tuple[list[list[object]], dict[str, float]]:
    """Every server, ``rounds`` times in rotated order; ratios are taken within a round."""
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in SERVERS}
    ratios: dict[str, list[float]] = {k: [] for k in SERVERS}
    for rnd in range(rounds):
        order = SERVERS[rnd % len(SERVERS) :] + SERVERS[: rnd % len(SERVERS)]  # rotate
        this: dict[str, dict[str, float]] = {}
        for kind in order:
            res = run_load(kind, "pingpong", CONNS, seconds, MSG)
            res["cpu_us"] = (res["user"] + res["sys"]) / res["total"] * 1e6
            res["user_us"] = res["user"] / res["total"] * 1e6
            runs[kind].append(res)
            this[kind] = res
            print(
                f"  round {rnd + 1} {kind:22s} {res['rps']:>10,.0f} req/s  "
                f"{res['user_us']:6.2f} us user/req  {res['cpu_us']:6.2f} us CPU/req",
                flush=True,
            )
        base = this["uvloop-protocol"]
        for kind in SERVERS:
            ratios[kind].append(this[kind]["rps"] / base["rps"])
    # CPU per request: the best (lowest) round of each server. Interference from other jobs
    # only ever adds CPU (cache misses, smaller batches), so the minimum is the estimate of the
    # server's own cost; the capacity ratio compares those minima.
    best = {kind: min(runs[kind], key=lambda r: r["cpu_us"]) for kind in SERVERS}
    rows = []
    summary: dict[str, float] = {}
    for kind in SERVERS:
        med = {key: statistics.median(r[key] for r in runs[kind]) for key in ("rps", "p50_us")}
        summary[f"{kind}:rps_ratio"] = statistics.median(ratios[kind])
        summary[f"{kind}:cap_ratio"] = best["uvloop-protocol"]["cpu_us"] / best[kind]["cpu_us"]
        summary[f"{kind}:rps"] = med["rps"]
        summary[f"{kind}:cpu_us"] = best[kind]["cpu_us"]
        rows.append(
            [
                kind,
                _fmt(med["rps"], 0),
                _fmt(summary[f"{kind}:rps_ratio"]),
                _fmt(summary[f"{kind}:cap_ratio"]),
                _fmt(best[kind]["user_us"]),
                _fmt(best[kind]["cpu_us"]),
                _fmt(med["p50_us"], 0),
            ]
        )
    return rows, summary


def bench_bulk(rounds: int, seconds: float) -> list[list[object]]:
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in BULK_SERVERS}
    for rnd in range(rounds):
        order = BULK_SERVERS[rnd:] + BULK_SERVERS[:rnd]
        for kind in order:
            res = run_load(kind, "bulk", 1, seconds, BULK_CHUNK)
            runs[kind].append(res)
            print(f"  bulk round {rnd + 1} {kind:18s} {res['mbps']:>8,.0f} MB/s", flush=True)

    def ms_per_mb(kind: str) -> float:
        return min((r["user"] + r["sys"]) / (r["total"] / 1e6) * 1e3 for r in runs[kind])

    base = statistics.median(r["mbps"] for r in runs["uvloop-protocol"])
    base_cpu = ms_per_mb("uvloop-protocol")
    rows = []
    for kind in BULK_SERVERS:
        mbps = statistics.median(r["mbps"] for r in runs[kind])
        cpu = ms_per_mb(kind)
        rows.append([kind, _fmt(mbps, 0), _fmt(mbps / base), _fmt(base_cpu / cpu), _fmt(cpu, 3)])
    return rows


def bench_clients(rounds: int) -> tuple[list[list[object]], dict[str, float]]:
    server = Peer([str(LOADGEN), "serve", "127.0.0.1", "0"])
    per: dict[str, list[dict[str, float]]] = {k: [] for k in CLIENTS}
    try:
        for rnd in range(rounds):
            for kind in CLIENTS[rnd % 2 :] + CLIENTS[: rnd % 2]:
                out = subprocess.run(
                    [
                        *_pin(1),
                        sys.executable,
                        "-m",
                        "bench.echo",
                        "--client",
                        kind,
                        str(server.port),
                        str(CLIENT_RTS),
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    check=True,
                    timeout=120,
                    env={**_env(), "PWNLIB_NOTERM": "1"},
                )
                # pwntools prints its own status lines; ours is the JSON one.
                res = json.loads(
                    next(ln for ln in out.stdout.decode().splitlines() if ln.startswith("{"))
                )
                per[kind].append(res)
                print(
                    f"  client round {rnd + 1} {kind:18s} {res['cpu'] / res['rts'] * 1e6:7.1f} us CPU/rt",
                    flush=True,
                )
    finally:
        server.stop()
    # CPU per round trip: best round (interference only adds), as for the servers.
    cpu = {k: min(r["cpu"] / r["rts"] * 1e6 for r in per[k]) for k in CLIENTS}
    user = {k: min(r["user"] / r["rts"] * 1e6 for r in per[k]) for k in CLIENTS}
    rate = {k: statistics.median(r["rts"] / r["wall"] for r in per[k]) for k in CLIENTS}
    rows = [
        [k, _fmt(rate[k], 0), _fmt(cpu[k], 1), _fmt(user[k], 1), _fmt(cpu[k] / cpu["raw-socket"])]
        for k in CLIENTS
    ]
    return rows, cpu


def trace_check_cost() -> float:
    """Nanoseconds for the one ``trace is not None`` test a traced-off stream call makes."""
    import timeit

    class S:
        __slots__ = ("trace",)

        def __init__(self) -> None:
            self.trace = None

    s = S()
    n = 2_000_000
    with_check = min(
        timeit.repeat("if s.trace is not None: pass", globals={"s": s}, number=n, repeat=5)
    )
    empty = min(timeit.repeat("pass", number=n, repeat=5))
    return max(0.0, (with_check - empty) / n * 1e9)


def cold_start(runs: int = 10) -> list[list[object]]:
    """Median wall and CPU time of fresh processes: ``python -c pass``, ``import wirekit``, ``wirekit --help``.

    CPU time (user+sys of the child, from ``getrusage(RUSAGE_CHILDREN)``) is what the start-up
    costs; on a busy machine wall time adds the wait for a core.
    """
    exe = Path(sys.executable)
    wk = exe.parent / "wirekit"
    if not wk.exists():
        wk = ROOT / ".venv" / "bin" / "wirekit"
    cases = [
        ("python -c pass", [str(exe), "-c", "pass"]),
        ("python -c 'import wirekit'", [str(exe), "-c", "import wirekit"]),
        ("wirekit --help", [str(wk), "--help"]),
        ("wirekit scan --help", [str(wk), "scan", "--help"]),
    ]
    wall: dict[str, list[float]] = {name: [] for name, _ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, _ in cases}
    env = _env()
    for _ in range(runs):
        for name, argv in cases:  # interleaved, so load spikes hit every case alike
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env
            )
            wall[name].append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    base = statistics.median(wall["python -c pass"])
    return [
        [
            name,
            _fmt(statistics.median(wall[name]) * 1e3, 1),
            _fmt(min(wall[name]) * 1e3, 1),
            _fmt(statistics.median(cpu[name]) * 1e3, 1),
            _fmt((statistics.median(wall[name]) - base) * 1e3, 1),
        ]
        for name, _ in cases
    ]


def _tree() -> str:
    """Which wirekit was measured: WIREKIT_SRC if set, else the working tree, with its commit."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = "unknown commit"
    src = os.environ.get("WIREKIT_SRC")
    return (
        f"`{src}` (WIREKIT_SRC; repository HEAD {head})" if src else f"the working tree at {head}"
    )


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench._common import write_table

    seconds = float(os.environ.get("ECHO_SECONDS", "1.5"))
    rounds = int(os.environ.get("ECHO_ROUNDS", "5"))
    build_loadgen()
    print(
        f"echo ping-pong: {CONNS} connections, {MSG} B, {seconds}s x {rounds} rounds per server",
        flush=True,
    )
    ping_rows, s = bench_pingpong(rounds, seconds)
    print("bulk echo", flush=True)
    bulk_rows = bench_bulk(min(rounds, 3), 1.5)
    print("sync client", flush=True)
    client_rows, ccpu = bench_clients(min(rounds, 3))
    check_ns = trace_check_cost()
    start_rows = cold_start()

    def pair(kind: str, base: str) -> tuple[float, float]:
        """(req/s ratio, CPU-per-request capacity ratio) of ``kind`` over ``base``."""
        return s[f"{kind}:rps"] / s[f"{base}:rps"], s[f"{base}:cpu_us"] / s[f"{kind}:cpu_us"]

    proto_uv = (s["wirekit-protocol:rps_ratio"], s["wirekit-protocol:cap_ratio"])
    proto_tw = pair("wirekit-protocol", "twisted")
    async_st = pair("wirekit-async", "uvloop-streams")
    floor_st = pair("uvloop-task-floor", "uvloop-streams")
    async_floor = pair("wirekit-async", "uvloop-task-floor")
    client_ratio = ccpu["wirekit"] / ccpu["raw-socket"]
    pwn_ratio = ccpu["pwntools"] / ccpu["raw-socket"]
    trace_on = ccpu["wirekit-trace-on"] / ccpu["wirekit"]
    check_share = 2 * check_ns / (ccpu["wirekit"] * 1e3) * 100  # two stream calls per round trip
    help_row = next(r for r in start_rows if r[0] == "wirekit --help")
    help_wall, help_min, help_cpu = (float(str(help_row[i]).replace(",", "")) for i in (1, 2, 3))
    if help_wall <= 100:
        help_verdict = _verdict(True)
    elif help_cpu <= 100:
        help_verdict = "**met on CPU time**, wall missed (waiting for a core under load)"
    else:
        help_verdict = _verdict(False)

    def server_row(name: str, target: float, got: tuple[float, float]) -> list[object]:
        verdict = _verdict(got[1] >= target)
        if (got[0] >= target) != (got[1] >= target):
            verdict += " (req/s ratio disagrees)"
        return [name, f">= {target:g}x", f"{got[0]:.2f}x", f"{got[1]:.2f}x", verdict]

    targets = [
        server_row("wirekit Protocol server vs raw uvloop Protocol", 0.95, proto_uv),
        server_row("wirekit Protocol server vs Twisted", 2, proto_tw),
        server_row("async-handler server vs uvloop streams", 1.2, async_st),
        [
            "sync client CPU per round trip vs raw socket",
            "<= 1.2x",
            "",
            f"{client_ratio:.2f}x (pwntools {pwn_ratio:.2f}x)",
            _verdict(client_ratio <= 1.2),
        ],
        [
            "hexdump trace when off",
            "no measurable cost",
            "",
            f"{check_ns:.0f} ns/call = {check_share:.2f}% of a round trip",
            _verdict(check_share < 1),
        ],
        [
            "`wirekit --help` cold",
            "<= 100 ms",
            "",
            f"wall median {help_wall:.0f} ms (min {help_min:.0f}), CPU {help_cpu:.0f} ms",
            help_verdict,
        ],
    ]
    notes = f"""
wirekit under test: {_tree()}.

Ping-pong: {CONNS} connections, {MSG}-byte messages, {seconds:.1f} s per server after a {WARMUP} s warm-up,
{rounds} rounds in rotated order; server pinned to CPU 0 and bench/loadgen.c to CPU 1. The ratio is to raw
uvloop Protocol *in the same round* (median over rounds); req/s and p50 are medians. CPU columns are the
server process's CPU (from /proc) over the whole load run divided by every request served, warm-up
included, from each server's best round: other jobs on the box only ever add CPU, so the minimum is the
estimate of the server's own cost. The CPU-per-request ratio compares those minima.

## Targets (issue 2 §8)

{_table(["measure", "target", "req/s ratio", "CPU-per-request ratio", "verdict"], targets)}

Server verdicts use the CPU-per-request ratio ("capacity": requests per CPU second, relative): on
this shared 2-vCPU box the load generator's core is also used by other jobs, so req/s mostly
measures how often the client was scheduled, while CPU per request is a property of the server.

`uvloop-task-floor` is not a product: it is the least an `async def handler(stream)` design can
cost on uvloop (a bare Protocol waking one handler task with one future per read, no limits,
timeouts, counters or error mapping). This run it is {floor_st[1]:.2f}x uvloop streams by CPU per
request ({floor_st[0]:.2f}x by req/s); wirekit's async handler is {async_floor[1]:.2f}x the floor. The
1.2x-over-streams target needs a design at or near the floor.

## Bulk echo: 1 connection, {BULK_CHUNK // 1024} KiB writes, at most 4 MiB in flight

{_table(["server", "MB/s", "x uvloop Protocol (MB/s)", "x uvloop Protocol (CPU/MB)", "server CPU ms/MB"], bulk_rows)}

## Sync client: one connection, {CLIENT_RTS} line round trips of {MSG} B against the C echo server

Client pinned to CPU 1, the C server (`loadgen serve`) to CPU 0. `wirekit` is `wirekit.connect()` +
`send_line`/`recv_line`; `raw-socket` is `sendall` + `recv` into a bytearray and a `find(b"\\n")`;
`pwntools` is `remote()` + `sendline`/`recvline` with the default log level;
`wirekit-trace-on` writes every hexdump to /dev/null. Two more raw rows show what a *timeout* costs:
`raw-socket-settimeout` uses CPython's `settimeout(10)` (a `poll()` before each `send`/`recv`),
`raw-socket-so-rcvtimeo` sets kernel `SO_RCVTIMEO`/`SO_SNDTIMEO` on a blocking socket (one syscall each).
CPU per round trip is each client's best round; round trips/s is the median.

{_table(["client", "round trips/s", "CPU us/rt", "user us/rt", "CPU x raw"], client_rows)}

Trace off: a stream with tracing off holds `trace = None`, and each call pays one `is not None` test:
{check_ns:.0f} ns measured with timeit, {check_share:.2f}% of a wirekit round trip's CPU, below what this
benchmark can resolve. Trace on costs {trace_on:.1f}x the CPU of trace off (hexdump formatting of both directions).

## Cold start (10 fresh processes each, interleaved)

{_table(["command", "median wall ms", "min wall ms", "median CPU ms", "wall over python -c pass, ms"], start_rows)}
"""
    write_table(
        "echo",
        f"Echo servers: {CONNS} connections, {MSG} B ping-pong",
        [
            "server",
            "req/s",
            "x uvloop Protocol (req/s)",
            "x uvloop Protocol (CPU/req)",
            "server user us/req",
            "server CPU us/req",
            "p50 latency us",
        ],
        ping_rows,
        notes,
    )


def _cli(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--serve":
        serve(argv[1])
        return 0
    if len(argv) == 4 and argv[0] == "--client":
        client(argv[1], int(argv[2]), int(argv[3]))
        return 0
    main()
    return 0


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
