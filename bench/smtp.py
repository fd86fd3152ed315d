"""SMTP benchmark: the wirekit mail sink against aiosmtpd, wirekit's clients against smtplib and aiosmtplib.

Servers run in their own processes (``python -m bench.smtp --serve KIND``) pinned to CPU 0;
the clients run here, pinned to CPU 1. Server CPU per message comes from /proc of the server
pid, client CPU from getrusage. Messages are 689 bytes, like the research runs.

Rows:
  A. smtplib, one connection: wirekit sink (memory store) vs aiosmtpd (memory handler).
  B. the same over STARTTLS + AUTH PLAIN: cost ratio to plain, per server.
  C. client CPU per message: wirekit SMTPClient vs smtplib, same wirekit sink.
  D. async clients at concurrency 20 (20 connections x N/20): AsyncSMTPClient vs aiosmtplib.
  E. the sink with its default durable Maildir store (fsync file + directory before 250).

Run: ``.venv-bench/bin/python -m bench smtp`` from the repository root (about a minute).
Knobs: ``SMTP_MSGS`` (per row and round, default 300), ``SMTP_ROUNDS`` (default 5),
``SMTP_FSYNC_MSGS`` (default 300), ``SMTP_BASELINE`` (a git rev: its sink is measured too,
plain and STARTTLS, for a before/after in the same run).
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import CPUTimer, proc_cpu, write_table

HERE = Path(__file__).parent
ROOT = HERE.parent
WORK = HERE / ".work" / "smtp"

N = int(os.environ.get("SMTP_MSGS", "300"))
N_FSYNC = int(os.environ.get("SMTP_FSYNC_MSGS", "300"))
ROUNDS = int(os.environ.get("SMTP_ROUNDS", "5"))
USER, PASSWORD = "bench", "bench-secret"
SENDER, RCPT = "bench@example.test", "sink@example.test"


def message(i: int = 0) -> bytes:
    head = (
        f"From: Bench <{SENDER}>\r\nTo: Sink <{RCPT}>\r\nSubject: benchmark message {i:06d}\r\n"
        "Date: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <bench.%06d@example.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" % i
    )
    data = head.encode()
    line = b"The quick brown fox jumps over the lazy dog. " * 2 + b"\r\n"
    while len(data) + len(line) <= 689:
        data += line
    return data + b"x" * max(0, 689 - len(data) - 2) + b"\r\n"


MSG = message()


# --------------------------------------------------------------------------- servers


def _announce(port: int) -> None:
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()


def _tls():
    from wirekit.streams.certs import make_test_tls

    return make_test_tls(WORK / "tls")


def serve(kind: str) -> None:
    """Run one server kind until killed (in its own process).

    ``KIND@baseline`` runs KIND from the wirekit tree exported by ``SMTP_BASELINE`` (before/after).
    """
    if kind.endswith("@baseline"):
        sys.path.insert(0, str(WORK / "baseline" / "src"))
        kind = kind.removesuffix("@baseline")
    tls = _tls()
    if kind.startswith("wirekit"):
        from wirekit.runtime.loop import run
        from wirekit.smtp.server import RecipientPolicy, SinkHandler, SMTPServer
        from wirekit.smtp.store import MaildirStore, MemoryStore

        store = (
            MemoryStore()
            if kind == "wirekit-memory"
            else MaildirStore(tempfile.mkdtemp(prefix="bench-maildir-", dir=WORK))
        )

        async def main() -> None:
            handler = SinkHandler(
                store, RecipientPolicy.of(accept_all=True), credentials={USER: PASSWORD}
            )
            server = SMTPServer(
                handler, "tcp:127.0.0.1:0", ssl_context=tls.server_context(), max_connections=1000
            )
            await server.start()
            _announce(server.address[1])
            await asyncio.Event().wait()

        run(main())
    elif kind.startswith("aiosmtpd"):
        from aiosmtpd.smtp import SMTP, AuthResult

        class Memory:
            def __init__(self) -> None:
                self.messages: list[bytes] = []

            async def handle_DATA(self, server, session, envelope):
                self.messages.append(envelope.original_content)
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
            return AuthResult(success=ok, handled=False)  # aiosmtpd#283

        handler = Memory()
        ctx = tls.server_context()

        async def main() -> None:
            loop = asyncio.get_running_loop()
            server = await loop.create_server(
                lambda: SMTP(
                    handler,
                    tls_context=ctx,
                    authenticator=authenticator,
                    auth_require_tls=True,
                    hostname="bench",
                ),
                "127.0.0.1",
                0,
            )
            _announce(server.sockets[0].getsockname()[1])
            await asyncio.Event().wait()

        if kind == "aiosmtpd-uvloop":
            import uvloop

            uvloop.run(main())
        else:
            asyncio.run(main())
    elif kind == "floor":
        import uvloop

        uvloop.run(_floor())
    else:
        raise SystemExit(f"unknown server kind {kind}")


async def _floor() -> None:
    """The floor: a minimal SMTP sink as a bare asyncio Protocol (no TLS, no checks, no store
    beyond a list), like the research's 90-line sink. Not a product: a yardstick for this run."""
    replies = {
        b"EHLO": b"250-bench\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
        b"HELO": b"250 bench\r\n",
        b"MAIL": b"250 OK\r\n",
        b"RCPT": b"250 OK\r\n",
        b"RSET": b"250 OK\r\n",
        b"NOOP": b"250 OK\r\n",
        b"DATA": b"354 go\r\n",
        b"QUIT": b"221 bye\r\n",
    }
    store: list[bytes] = []

    class Sink(asyncio.Protocol):
        def connection_made(self, transport):
            self.t = transport
            self.buf = b""
            self.data = False
            transport.write(b"220 floor\r\n")

        def data_received(self, chunk):
            self.buf += chunk
            out = []
            while True:
                if self.data:
                    i = self.buf.find(b"\r\n.\r\n")
                    if i < 0:
                        break
                    store.append(self.buf[:i])
                    self.buf = self.buf[i + 5 :]
                    self.data = False
                    out.append(b"250 OK\r\n")
                    continue
                i = self.buf.find(b"\r\n")
                if i < 0:
                    break
                line, self.buf = self.buf[:i], self.buf[i + 2 :]
                verb = line[:4].upper()
                out.append(replies.get(verb, b"500 ?\r\n"))
                if verb == b"DATA":
                    self.data = True
                    self.buf = b"\r\n" + self.buf
                elif verb == b"QUIT":
                    self.t.write(b"".join(out))
                    self.t.close()
                    return
            if out:
                self.t.write(b"".join(out))

    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, "127.0.0.1", 0)
    _announce(server.sockets[0].getsockname()[1])
    await asyncio.Event().wait()


class Server:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        env = dict(os.environ, PYTHONPATH=f"{ROOT}:{os.environ.get('PYTHONPATH', '')}")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp", "--serve", kind],
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"{kind} server did not start: {line!r}")
        self.port = int(line.split()[1])
        try:
            os.sched_setaffinity(self.proc.pid, {0})
        except OSError:
            pass

    def cpu(self) -> float:
        """CPU seconds of every thread of the server: /proc schedstat (ns resolution), else ticks."""
        total = 0
        try:
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            return proc_cpu(self.proc.pid)
        return total / 1e9

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


# --------------------------------------------------------------------------- clients


def client_ctx() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(_tls().ca_cert))


def run_smtplib(port: int, n: int, tls: bool = False) -> None:
    with smtplib.SMTP("localhost", port, timeout=30) as s:
        if tls:
            s.starttls(context=client_ctx())
            s.login(USER, PASSWORD)
        for _ in range(n):
            s.sendmail(SENDER, [RCPT], MSG)


def run_wirekit(port: int, n: int, tls: bool = False) -> None:
    from wirekit.smtp import SMTPClient

    kw = (
        dict(starttls=True, ssl_context=client_ctx(), username=USER, password=PASSWORD)
        if tls
        else {}
    )
    with SMTPClient(f"tcp:localhost:{port}", timeout=30, local_hostname="bench", **kw) as c:
        for _ in range(n):
            c.sendmail(SENDER, [RCPT], MSG)


def run_async(port: int, n: int, conns: int, which: str) -> None:
    per = n // conns

    async def wk(i: int) -> None:
        from wirekit.smtp import AsyncSMTPClient

        async with AsyncSMTPClient(
            f"tcp:127.0.0.1:{port}", timeout=30, local_hostname="bench"
        ) as c:
            for _ in range(per):
                await c.sendmail(SENDER, [RCPT], MSG)

    async def aio(i: int) -> None:
        import aiosmtplib

        c = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, timeout=30, start_tls=False, local_hostname="bench"
        )
        await c.connect()
        for _ in range(per):
            await c.sendmail(SENDER, [RCPT], MSG)
        await c.quit()

    one = wk if which == "wirekit" else aio

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(conns)))

    from wirekit.runtime.loop import new_event_loop

    loop = new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def measure(server: Server, fn, *args) -> dict[str, float]:
    """Run ``fn(port, *args)``; msgs from args[0]."""
    n = args[0]
    s0 = server.cpu()
    with CPUTimer() as t:
        fn(server.port, *args)
    time.sleep(0.05)  # let the server finish accounting the last replies
    s1 = server.cpu()
    return {
        "n": n,
        "rate": n / t.wall,
        "client_us": t.cpu / n * 1e6,
        "server_us": (s1 - s0) / n * 1e6,
        "wall": t.wall,
    }


def _median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


PLAN = [
    # key, server, client, extra args
    ("A.floor", "floor", run_smtplib, ()),
    ("A.wk", "wirekit-memory", run_smtplib, ()),
    ("A.aio", "aiosmtpd", run_smtplib, ()),
    ("A.aiouv", "aiosmtpd-uvloop", run_smtplib, ()),
    ("B.wk", "wirekit-memory", run_smtplib, (True,)),
    ("B.aio", "aiosmtpd", run_smtplib, (True,)),
    ("C.smtplib", "wirekit-memory", run_smtplib, ()),
    ("C.wk", "wirekit-memory", run_wirekit, ()),
    ("C.wktls", "wirekit-memory", run_wirekit, (True,)),
    ("D.wk", "wirekit-memory", run_async, (20, "wirekit")),
    ("D.aio", "wirekit-memory", run_async, (20, "aiosmtplib")),
    ("D.wk-aiosmtpd", "aiosmtpd", run_async, (20, "wirekit")),
    ("D.aio-aiosmtpd", "aiosmtpd", run_async, (20, "aiosmtplib")),
]


def _export_baseline(rev: str) -> str:
    """Export wirekit's src at git ``rev`` to WORK/baseline; returns the short commit id."""
    import shutil

    dest = WORK / "baseline"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", rev, "src/wirekit"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    baseline = os.environ.get("SMTP_BASELINE", "")  # a git rev: also measure its sink (A/B)
    base_id = _export_baseline(baseline) if baseline else ""
    plan = list(PLAN)
    if baseline:  # each baseline row runs right after its current-tree row in every round
        plan.insert(2, ("A.base", "wirekit-memory@baseline", run_smtplib, ()))
        plan.insert(6, ("B.base", "wirekit-memory@baseline", run_smtplib, (True,)))
    _tls()
    try:
        os.sched_setaffinity(0, {1})
    except OSError:
        pass
    load_before = os.getloadavg()[0]
    kinds = ("floor", "wirekit-memory", "aiosmtpd", "aiosmtpd-uvloop", "wirekit-maildir")
    if baseline:
        kinds += ("wirekit-memory@baseline",)
    servers = {k: Server(k) for k in kinds}
    runs: dict[str, list[dict[str, float]]] = {key: [] for key, *_ in plan}
    try:
        for k in kinds[:4] + kinds[5:]:
            run_smtplib(servers[k].port, 50)  # warm up
            if k != "floor":
                run_smtplib(servers[k].port, 20, True)
        run_wirekit(servers["wirekit-memory"].port, 50)
        for _ in range(ROUNDS):  # interleaved rounds: every row sees the same background load
            for key, kind, fn, extra in plan:
                runs[key].append(measure(servers[kind], fn, N, *extra))
        fsync = measure(servers["wirekit-maildir"], run_smtplib, N_FSYNC)
    finally:
        for srv in servers.values():
            srv.stop()

    def med(key: str, field: str) -> float:
        return _median([x[field] for x in runs[key]])

    def ratio(a: str, b: str, field: str) -> float:
        # the median of per-round ratios: each ratio compares runs made moments apart
        return _median([x[field] / y[field] for x, y in zip(runs[a], runs[b], strict=True)])

    def row(label: str, key: str, note: str = "") -> list[object]:
        return [
            label,
            N,
            f"{med(key, 'rate'):,.0f}",
            note,
            f"{med(key, 'client_us'):.0f}",
            f"{med(key, 'server_us'):.0f}",
        ]

    a_rate = ratio("A.wk", "A.aio", "rate")
    a_rate_uv = ratio("A.wk", "A.aiouv", "rate")
    a_cpu = ratio("A.aio", "A.wk", "server_us")
    a_floor = ratio("A.wk", "A.floor", "server_us")
    floor_rate = ratio("A.floor", "A.aio", "rate")
    b_wk = ratio("B.wk", "A.wk", "server_us")
    b_aio = ratio("B.aio", "A.aio", "server_us")
    b_pipe = ratio("C.wktls", "C.wk", "server_us")
    same = ratio("C.smtplib", "A.wk", "server_us")
    same_rate = ratio("C.smtplib", "A.wk", "rate")
    c_ratio = ratio("C.wk", "C.smtplib", "client_us")
    d_ratio = ratio("D.wk", "D.aio", "rate")
    d_ratio2 = ratio("D.wk-aiosmtpd", "D.aio-aiosmtpd", "rate")
    scaled_target = 100 / 62.5  # research: 100 µs target over a 60-65 µs floor
    rows = [
        row(
            "A. smtplib 1 conn -> floor (bare asyncio sink, yardstick)",
            "A.floor",
            f"{floor_rate:.2f}x aiosmtpd",
        ),
        row(
            "A. smtplib 1 conn -> **wirekit sink** (memory store)",
            "A.wk",
            f"{a_rate:.2f}x aiosmtpd; server CPU {a_floor:.2f}x floor",
        ),
        row(
            "A. smtplib 1 conn -> aiosmtpd (asyncio, memory)",
            "A.aio",
            f"1.00; server CPU {a_cpu:.2f}x wirekit's",
        ),
        row("A. smtplib 1 conn -> aiosmtpd on uvloop", "A.aiouv", f"wirekit {a_rate_uv:.2f}x this"),
        row(
            "B. smtplib STARTTLS+AUTH 1 conn -> **wirekit sink**",
            "B.wk",
            f"server CPU {b_wk:.2f}x plain",
        ),
        row(
            "B. smtplib STARTTLS+AUTH 1 conn -> aiosmtpd", "B.aio", f"server CPU {b_aio:.2f}x plain"
        ),
        row("C. smtplib 1 conn -> wirekit sink", "C.smtplib", "1.00 (client CPU)"),
        row(
            "C. **wirekit SMTPClient** 1 conn -> wirekit sink",
            "C.wk",
            f"client CPU {c_ratio:.2f}x smtplib",
        ),
        row("C. wirekit SMTPClient STARTTLS+AUTH -> wirekit sink", "C.wktls", ""),
        row(
            "D. **AsyncSMTPClient** 20 conns -> wirekit sink", "D.wk", f"{d_ratio:.2f}x aiosmtplib"
        ),
        row("D. aiosmtplib 20 conns -> wirekit sink", "D.aio", "1.00"),
        row(
            "D. **AsyncSMTPClient** 20 conns -> aiosmtpd",
            "D.wk-aiosmtpd",
            f"{d_ratio2:.2f}x aiosmtplib",
        ),
        row("D. aiosmtplib 20 conns -> aiosmtpd", "D.aio-aiosmtpd", "1.00"),
        [
            "E. smtplib 1 conn -> wirekit sink, Maildir + fsync",
            N_FSYNC,
            f"{fsync['rate']:,.0f}",
            "durable: fsync before 250",
            f"{fsync['client_us']:.0f}",
            f"{fsync['server_us']:.0f}",
        ],
    ]

    before = ""
    if baseline:
        rows[2:2] = [
            row(
                f"A. smtplib 1 conn -> wirekit sink at {base_id} (before)",
                "A.base",
                f"wirekit now at {ratio('A.wk', 'A.base', 'server_us'):.2f}x this server CPU",
            )
        ]
        rows[6:6] = [
            row(
                f"B. smtplib STARTTLS+AUTH 1 conn -> wirekit sink at {base_id} (before)",
                "B.base",
                f"server CPU {ratio('B.base', 'A.base', 'server_us'):.2f}x plain",
            )
        ]
        before = f"""- Before/after in this run: the sink as of {base_id} (``SMTP_BASELINE={baseline}``) next to the
  current tree, interleaved: server CPU per message {med("A.base", "server_us"):.0f} -> {med("A.wk", "server_us"):.0f} µs plain
  ({ratio("A.wk", "A.base", "server_us"):.2f}x), {med("B.base", "server_us"):.0f} -> {med("B.wk", "server_us"):.0f} µs STARTTLS+AUTH
  ({ratio("B.wk", "B.base", "server_us"):.2f}x); messages/s {ratio("A.wk", "A.base", "rate"):.2f}x before's.
  Each "before" row runs right after its current-tree row in every round; a row's position in
  the round still moves its numbers (see the noise check), so read these as one run's estimate.
"""

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    load_after = os.getloadavg()[0]
    notes = f"""
Targets (issue 6), medians of {ROUNDS} interleaved rounds of this run:

- Sink >= 3x aiosmtpd's messages/s on one smtplib connection: {a_rate:.2f}x -> {verdict(a_rate >= 3)}
  (vs aiosmtpd on uvloop {a_rate_uv:.2f}x; the bare floor sink itself reaches {floor_rate:.2f}x).
  One smtplib connection is a strict request/response loop, 4 round trips per message, so its
  rate is bounded by smtplib's own CPU and by scheduling on this shared 2-CPU machine, not only
  by the server: a server with zero cost could not go faster than the floor row.
- Server CPU <= 100 µs per message: {med("A.wk", "server_us"):.0f} µs -> {verdict(med("A.wk", "server_us") <= 100)}
  in absolute terms on this loaded machine (load average {load_before:.1f} -> {load_after:.1f} on 2 CPUs); the
  bare floor sink needed {med("A.floor", "server_us"):.0f} µs in the same rounds, where the research measured
  60-65 µs for it. Relative to that yardstick wirekit costs {a_floor:.2f}x the floor (the target,
  100 µs over a 62.5 µs floor, is {scaled_target:.1f}x) -> {verdict(a_floor <= scaled_target)}, and aiosmtpd
  costs {a_cpu:.2f}x what wirekit does. The wirekit sink does what the floor skips: full RFC 5321
  parsing and checks, limits, SIZE, relay policy, enhanced status codes, the handler layer.
- STARTTLS + AUTH <= 1.3x the cost of plain (server CPU per message, smtplib): {b_wk:.2f}x -> {verdict(b_wk <= 1.3)}
  (aiosmtpd: {b_aio:.2f}x). In absolute terms TLS adds {med("B.wk", "server_us") - med("A.wk", "server_us"):.0f} µs per message to the
  wirekit sink and {med("B.aio", "server_us") - med("A.aio", "server_us"):.0f} µs to aiosmtpd: a ratio is a harder bar for the cheaper plain
  path, as TLS adds its per-round-trip work (record crypto, the SSL transport) to a smaller base. With wirekit's pipelining client (2 round trips, so half the TLS
  records per message) the sink's TLS cost is {b_pipe:.2f}x plain. The remaining TLS cost is
  record encryption and the SSL transport's per-read work, paid per round trip.
- Noise check: rows A (wirekit sink) and C (smtplib -> wirekit sink) are the same work measured
  at two points of each round; their server CPU differs by {same:.2f}x and their msgs/s by
  {same_rate:.2f}x here (with C's rate, the sink is {med("C.smtplib", "rate") / med("A.aio", "rate"):.2f}x aiosmtpd). Read every ratio above with that
  spread in mind.
- Client CPU <= smtplib's per message: {c_ratio:.2f}x -> {verdict(c_ratio <= 1.0)}. The client pipelines
  MAIL/RCPT/DATA (RFC 2920), so a message costs 2 round trips instead of smtplib's 4.
- Async client at concurrency 20 >= 1.2x aiosmtplib's throughput: {d_ratio:.2f}x against the wirekit
  sink -> {verdict(d_ratio >= 1.2)}; {d_ratio2:.2f}x against aiosmtpd (which offers no PIPELINING, so there both
  clients make 4 round trips per message).
{before}- Row E is the sink's default durable store: each message is written, fsynced, renamed into
  new/ and the directory fsynced before the 250. It is bound by the disk's fsync latency;
  aiosmtpd has no durable store to compare with.

Method: servers in their own processes pinned to CPU 0, clients in the bench process on CPU 1;
{N} messages of {len(MSG)} bytes per row and round ({N_FSYNC} for E). Server CPU from
/proc/PID/task/*/schedstat (on-CPU time of all threads, ns resolution), client CPU from getrusage. wirekit servers, the
floor and the async clients use uvloop; aiosmtpd runs on stdlib asyncio as its Controller does,
plus one row on uvloop. The machine is shared with other jobs: absolute numbers move between
runs, so compare the ratios, which come from runs made moments apart.
"""
    write_table(
        "smtp",
        "SMTP: wirekit sink and clients vs aiosmtpd, smtplib, aiosmtplib",
        ["run", "msgs", "msgs/s", "ratio", "client CPU µs/msg", "server CPU µs/msg"],
        rows,
        notes,
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
    else:
        main()
