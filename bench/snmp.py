"""SNMP bench: wirekit's manager and agent against Net-SNMP, pysnmp, puresnmp, ezsnmp and snmpsim.

Run: ``.venv-bench/bin/python -m bench snmp`` from the repository root. One snmpd (config written here,
volatile tables excluded) serves every client; one recording of it is replayed by wirekit's
simulator and by snmpsim. Clients are interleaved across rounds; the best round counts.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import CPUTimer, proc_cpu, write_table

ROOT = "1.3.6.1.2.1"  # mib-2: the walk every client does
REPS = 25
GETS = 1000
V3 = ("benchuser", "SHA", "bench-auth-pass", "AES", "bench-priv-pass")
ENV = dict(os.environ, MIBS="", MIBDIRS="/nonexistent")


CONTEXT = [
    "How to read this:",
    "",
    "- Every row comes from the same run, clients interleaved over three rounds (GETs: two), best round kept. The "
    "machine is shared (load in the header): CPU figures inflate with load (steal time, cold caches "
    "after each blocking receive), which costs per-request Python more than C, so ratios move by "
    "about ±30% between runs; the walk ratio has measured 1.3x to 2.0x C across runs today.",
    "- Client CPU is getrusage of this process (wirekit, pysnmp, puresnmp, ezsnmp) or of the child "
    "process (snmpbulkwalk, including its exec and text output). Agent CPU is /proc/PID/stat.",
    "- v3: after one discovery, wirekit sends one packet per request; keys are derived once per "
    "(user, engineID). Per message it does an HMAC from a copied key state, AES-CFB on one ECB "
    "context reused for the key (one ECB call decrypts a whole message), and the v3 envelope's "
    "BER in Python; that BER work, not the crypto, is most of what is left above 30 µs.",
    "- Agent: wirekit replays from a sorted table of pre-encoded varbinds; snmpd computes live "
    "values (hrSWInstalled reads the package database), so its per-varbind CPU is not comparable "
    "work, only the same answers. snmpsim ran with logging off.",
]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wait_agent(port: int, community: str = "public", timeout: float = 60) -> None:
    from wirekit.errors import ReadTimeout
    from wirekit.snmp.client import SNMPClient

    deadline = time.monotonic() + timeout
    while True:
        try:
            with SNMPClient(f"127.0.0.1:{port}", community=community, timeout=0.5, retries=0) as c:
                c.get("1.3.6.1.2.1.1.1.0")
            return
        except ReadTimeout:
            if time.monotonic() > deadline:
                raise


def start_snmpd(tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_udp_port()
    conf = tmp / "snmpd.conf"
    conf.write_text(
        "\n".join(
            [
                f"agentAddress udp:127.0.0.1:{port}",
                "view stable included .1",
                *[
                    f"view stable excluded {o}"
                    for o in (
                        ".1.3.6.1.2.1.25.4",
                        ".1.3.6.1.2.1.25.5",
                        ".1.3.6.1.2.1.6.13",
                        ".1.3.6.1.2.1.6.19",
                        ".1.3.6.1.2.1.6.20",
                        ".1.3.6.1.2.1.7.5",
                        ".1.3.6.1.2.1.7.7",
                    )
                ],
                "rocommunity public 127.0.0.1 -V stable",
                f'createUser {V3[0]} {V3[1]} "{V3[2]}" {V3[3]} "{V3[4]}"',
                f"rouser {V3[0]} priv -V stable",
                "dontLogTCPWrappersConnects yes",
            ]
        )
        + "\n"
    )
    env = dict(ENV, SNMP_PERSISTENT_DIR=str(tmp), HOME=str(tmp))
    proc = subprocess.Popen(
        [
            shutil.which("snmpd") or "/usr/sbin/snmpd",
            "-f",
            "-Lo",
            "-C",
            "-c",
            str(conf),
            "-p",
            str(tmp / "pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    wait_agent(port)
    return proc, port


# -- clients ------------------------------------------------------------------------------


def c_bulkwalk(port: int, v3: bool = False, root: str = ROOT) -> tuple[int, float, float]:
    args = (
        ["-v3", "-l", "authPriv", "-u", V3[0], "-a", V3[1], "-A", V3[2], "-x", V3[3], "-X", V3[4]]
        if v3
        else ["-v2c", "-c", "public"]
    )
    c0, t0 = children_cpu(), time.perf_counter()
    proc = subprocess.run(
        ["snmpbulkwalk", *args, "-t", "10", f"-Cr{REPS}", "-On", f"127.0.0.1:{port}", root],
        capture_output=True,
        env=ENV,
    )
    if proc.returncode:
        raise RuntimeError(f"snmpbulkwalk failed: {proc.stderr.decode(errors='replace')[-500:]}")
    out = proc.stdout
    return out.count(b"\n.") + 1, time.perf_counter() - t0, children_cpu() - c0


def wk_walk(port: int, v3: bool = False) -> tuple[int, float, float]:
    from wirekit.snmp.client import SNMPClient

    kw: dict[str, Any] = (
        dict(
            version=3,
            user=V3[0],
            auth_protocol=V3[1],
            auth_password=V3[2],
            priv_protocol=V3[3],
            priv_password=V3[4],
        )
        if v3
        else {}
    )
    with SNMPClient(f"127.0.0.1:{port}", timeout=5, max_repetitions=REPS, **kw) as c:
        if v3:
            c.get("1.3.6.1.2.1.1.1.0")  # discovery and key localisation once, outside the timing
        with CPUTimer() as t:
            n = sum(1 for _ in c.walk(ROOT))
    return n, t.wall, t.cpu


def pysnmp_walk(port: int) -> tuple[int, float, float]:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        bulk_walk_cmd,
    )

    async def run() -> int:
        engine = SnmpEngine()
        target = await UdpTransportTarget.create(("127.0.0.1", port), timeout=5, retries=1)
        n = 0
        async for err, status, _idx, vbs in bulk_walk_cmd(
            engine,
            CommunityData("public"),
            target,
            ContextData(),
            0,
            REPS,
            ObjectType(ObjectIdentity(ROOT)),
            lexicographicMode=False,
            lookupMib=False,
        ):
            if err or status:
                raise RuntimeError(f"pysnmp: {err or status}")
            n += len(vbs)
        engine.close_dispatcher()
        return n

    with CPUTimer() as t:
        n = asyncio.run(run())
    return n, t.wall, t.cpu


def puresnmp_walk(port: int) -> tuple[int, float, float]:
    from puresnmp import V2C, Client, ObjectIdentifier

    async def run() -> int:
        client = Client("127.0.0.1", V2C("public"), port=port)
        n = 0
        async for _vb in client.bulkwalk([ObjectIdentifier(ROOT)], bulk_size=REPS):
            n += 1
        return n

    with CPUTimer() as t:
        n = asyncio.run(run())
    return n, t.wall, t.cpu


def ezsnmp_walk(port: int) -> tuple[int, float, float]:
    from ezsnmp import Session

    s = Session(
        hostname="127.0.0.1",
        port_number=port,
        version="2c",
        community="public",
        set_max_repeaters_to_num=REPS,
        print_oids_numerically=True,
        timeout=5,
    )
    with CPUTimer() as t:
        rows = s.bulk_walk(ROOT)
    n = sum(1 for r in rows if "No more variables" not in str(getattr(r, "value", "")))
    return n, t.wall, t.cpu


def wk_gets(port: int, n: int, v3: bool = False) -> tuple[int, float, float]:
    from wirekit.snmp.client import SNMPClient

    kw: dict[str, Any] = (
        dict(
            version=3,
            user=V3[0],
            auth_protocol=V3[1],
            auth_password=V3[2],
            priv_protocol=V3[3],
            priv_password=V3[4],
        )
        if v3
        else {}
    )
    with SNMPClient(f"127.0.0.1:{port}", timeout=5, **kw) as c:
        c.get("1.3.6.1.2.1.1.5.0")
        with CPUTimer() as t:
            for _ in range(n):
                c.get("1.3.6.1.2.1.1.5.0")
    return n, t.wall, t.cpu


def pysnmp_gets(port: int, n: int) -> tuple[int, float, float]:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )

    async def run() -> None:
        engine = SnmpEngine()
        target = await UdpTransportTarget.create(("127.0.0.1", port), timeout=5, retries=1)
        obj = ObjectType(ObjectIdentity("1.3.6.1.2.1.1.5.0"))
        for _ in range(n):
            err, status, _i, _vbs = await get_cmd(
                engine, CommunityData("public"), target, ContextData(), obj, lookupMib=False
            )
            if err or status:
                raise RuntimeError(str(err or status))
        engine.close_dispatcher()

    with CPUTimer() as t:
        asyncio.run(run())
    return n, t.wall, t.cpu


def puresnmp_gets(port: int, n: int) -> tuple[int, float, float]:
    from puresnmp import V2C, Client, ObjectIdentifier

    async def run() -> None:
        client = Client("127.0.0.1", V2C("public"), port=port)
        oid = ObjectIdentifier("1.3.6.1.2.1.1.5.0")
        for _ in range(n):
            await client.get(oid)

    with CPUTimer() as t:
        asyncio.run(run())
    return n, t.wall, t.cpu


def ezsnmp_gets(port: int, n: int) -> tuple[int, float, float]:
    from ezsnmp import Session

    s = Session(hostname="127.0.0.1", port_number=port, version="2c", community="public", timeout=5)
    with CPUTimer() as t:
        for _ in range(n):
            s.get("1.3.6.1.2.1.1.5.0")
    return n, t.wall, t.cpu


def _with_id(pdu: Any, rid: int) -> Any:
    pdu.request_id = rid
    return pdu


def sans_io_extra(port: int) -> tuple[float, float]:
    """Per GET, CPU of building the request and decoding the reply with no I/O: (v2c, v3) in µs.

    The reply is a real one from snmpd, captured once; this isolates wirekit's protocol work
    from socket wake-ups, which inflate with machine load.
    """
    from wirekit.snmp.client import SNMPClient
    from wirekit.snmp.pdu import PDU, PDUType, VarBind
    from wirekit.snmp.values import NULL, ObjectIdentifier

    oid = ObjectIdentifier("1.3.6.1.2.1.1.5.0")
    out = []
    for v3 in (False, True):
        kw: dict[str, Any] = (
            dict(
                version=3,
                user=V3[0],
                auth_protocol=V3[1],
                auth_password=V3[2],
                priv_protocol=V3[3],
                priv_password=V3[4],
            )
            if v3
            else {}
        )
        with SNMPClient(f"127.0.0.1:{port}", timeout=5, **kw) as c:
            c.get(oid)
            session = c.session
            pdu = PDU(PDUType.GET, 0, [VarBind(oid, NULL)])
            data = c._exchange(
                lambda rid, p=pdu, s=session: s.encode(_with_id(p, rid), time.monotonic()), "get"
            )
            n, best = 3000, float("inf")
            for _ in range(3):
                with CPUTimer() as t:
                    for i in range(n):
                        session.encode(PDU(PDUType.GET, i, [VarBind(oid, NULL)]), 0.0)
                        session.decode(data, time.monotonic())
                best = min(best, t.cpu / n)
            out.append(best * 1e6)
    return out[0], out[1]


# -- agents -------------------------------------------------------------------------------


def agent_walks(pid: int, port: int, walks: int) -> tuple[int, float, float]:
    """snmpbulkwalk of the whole tree ``walks`` times; (varbinds per walk, wall per walk, agent CPU)."""
    c0 = proc_cpu(pid)
    t0 = time.perf_counter()
    n = 0
    for _ in range(walks):
        n, _w, _c = c_bulkwalk(port, root="1.3.6.1")
    return n, (time.perf_counter() - t0) / walks, proc_cpu(pid) - c0


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wirekit-bench-snmp-"))
    procs: list[subprocess.Popen[bytes]] = []
    rows: list[list[Any]] = []
    notes: list[str] = []
    try:
        snmpd, port = start_snmpd(tmp)
        procs.append(snmpd)
        # --- 1. walk of mib-2, client CPU per varbind -----------------------------------
        clients = {
            "Net-SNMP snmpbulkwalk (C, process per walk)": lambda: c_bulkwalk(port),
            "wirekit SNMPClient.walk": lambda: wk_walk(port),
            "ezsnmp 2.5 bulk_walk": lambda: ezsnmp_walk(port),
            "puresnmp 2 Client.bulkwalk": lambda: puresnmp_walk(port),
            "pysnmp 7 bulk_walk_cmd (lookupMib=False)": lambda: pysnmp_walk(port),
        }
        c_bulkwalk(port, root="1.3.6.1")  # warm snmpd's caches (hrSWInstalled reads dpkg)
        best: dict[str, tuple[int, float, float]] = {}
        for _round in range(3):
            for name, fn in clients.items():
                n, wall, cpu = fn()
                if name not in best or cpu < best[name][2]:
                    best[name] = (n, wall, cpu)
        c_name = "Net-SNMP snmpbulkwalk (C, process per walk)"
        c_per = best[c_name][2] / best[c_name][0]
        py_per = (
            best["pysnmp 7 bulk_walk_cmd (lookupMib=False)"][2]
            / best["pysnmp 7 bulk_walk_cmd (lookupMib=False)"][0]
        )
        for name, (n, wall, cpu) in best.items():
            per = cpu / n
            rows.append(
                [
                    "walk v2c mib-2 (max-rep 25)",
                    name,
                    f"{n} vb, {wall * 1000:.0f} ms",
                    f"{per * 1e6:.1f} µs/varbind",
                    f"{per / c_per:.2f}x C",
                ]
            )
        wk = best["wirekit SNMPClient.walk"]
        wk_per = wk[2] / wk[0]
        notes.append(
            f"- Walk target (<= 1.5x snmpbulkwalk's CPU per varbind, >= 15x less than pysnmp): wirekit {wk_per / c_per:.2f}x C, "
            f"pysnmp/wirekit = {py_per / wk_per:.1f}x. {'MET' if wk_per / c_per <= 1.5 else 'MISSED'} / {'MET' if py_per / wk_per >= 15 else 'MISSED'}."
        )
        # --- 2. sequential GETs --------------------------------------------------------------
        gets = {
            "wirekit SNMPClient.get": lambda: wk_gets(port, GETS),
            "ezsnmp Session.get": lambda: ezsnmp_gets(port, GETS),
            "puresnmp Client.get": lambda: puresnmp_gets(port, GETS // 2),
            "pysnmp get_cmd": lambda: pysnmp_gets(port, GETS // 4),
        }
        gbest: dict[str, tuple[int, float, float]] = {}
        for _round in range(2):
            for name, fn in gets.items():
                n, wall, cpu = fn()
                if name not in gbest or wall / n < gbest[name][1] / gbest[name][0]:
                    gbest[name] = (n, wall, cpu)
        rate = {name: n / wall for name, (n, wall, _c) in gbest.items()}
        for name, (n, wall, cpu) in gbest.items():
            rows.append(
                [
                    "sequential GET v2c sysName.0",
                    name,
                    f"{n / wall:,.0f} GETs/s",
                    f"{cpu / n * 1e6:.0f} µs CPU/GET",
                    f"{rate[name] / rate['wirekit SNMPClient.get']:.2f}x wirekit",
                ]
            )
        r_py = rate["wirekit SNMPClient.get"] / rate["pysnmp get_cmd"]
        r_pure = rate["wirekit SNMPClient.get"] / rate["puresnmp Client.get"]
        notes.append(
            f"- GET target (>= 5x pysnmp, >= 2x puresnmp GETs/s): {r_py:.1f}x pysnmp, {r_pure:.1f}x puresnmp. {'MET' if r_py >= 5 and r_pure >= 2 else 'MISSED'}."
        )
        # --- 3. v3 authPriv extra CPU ------------------------------------------------------------
        v2s, v3s = [], []
        for _ in range(3):  # interleaved, best of three each
            v2s.append(wk_gets(port, GETS))
            v3s.append(wk_gets(port, GETS, v3=True))
        v2 = min(v2s, key=lambda r: r[2])
        v3 = min(v3s, key=lambda r: r[2])
        extra_get = (v3[2] / v3[0] - v2[2] / v2[0]) * 1e6
        rows.append(
            [
                "v3 authPriv (SHA/AES) GET",
                "wirekit: v3 minus v2c",
                f"{v3[0] / v3[1]:,.0f} GETs/s v3",
                f"+{extra_get:.0f} µs per GET (+{extra_get / 2:.0f} µs per message)",
                "1 packet per GET after discovery",
            ]
        )
        wv3 = min((wk_walk(port, v3=True) for _ in range(2)), key=lambda r: r[2])
        cv3 = min((c_bulkwalk(port, v3=True) for _ in range(2)), key=lambda r: r[2])
        rows.append(
            [
                "walk v3 authPriv mib-2",
                "wirekit SNMPClient.walk",
                f"{wv3[0]} vb",
                f"{wv3[2] / wv3[0] * 1e6:.1f} µs/varbind",
                f"{(wv3[2] / wv3[0]) / (cv3[2] / cv3[0]):.2f}x C v3",
            ]
        )
        rows.append(
            [
                "walk v3 authPriv mib-2",
                "Net-SNMP snmpbulkwalk v3",
                f"{cv3[0]} vb",
                f"{cv3[2] / cv3[0] * 1e6:.1f} µs/varbind",
                "1.00x C v3",
            ]
        )
        io_free = sans_io_extra(port)
        extra_msg = (io_free[1] - io_free[0]) / 2
        rows.append(
            [
                "v3 authPriv protocol work, no I/O",
                "wirekit ManagerSession encode+decode",
                f"v2c {io_free[0]:.0f} µs, v3 {io_free[1]:.0f} µs per GET",
                f"+{extra_msg:.0f} µs per message",
                "same captured snmpd reply",
            ]
        )
        notes.append(
            f"- v3 target (<= 30 µs extra CPU per message): with sockets {extra_get / 2:.0f} µs per message ({extra_get:.0f} µs per request/response pair), "
            f"{'MET' if extra_get / 2 <= 30 else 'MISSED'}; the protocol work alone (no I/O) {extra_msg:.0f} µs per message, {'MET' if extra_msg <= 30 else 'MISSED'}."
        )
        # --- 4. agents replaying a recording -------------------------------------------------
        from wirekit.snmp.simulator import record

        data = tmp / "data"
        data.mkdir()
        recorded = record(f"127.0.0.1:{port}", data / "public.snmprec", root="1.3.6.1", timeout=5)
        wk_port = free_udp_port()
        wk_proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wirekit.cli",
                "snmp",
                "simulate",
                str(data / "public.snmprec"),
                "-e",
                f"udp:127.0.0.1:{wk_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(wk_proc)
        sim_port = free_udp_port()
        sim_bin = str(Path(sys.executable).parent / "snmpsim-command-responder")
        sim_proc = subprocess.Popen(
            [
                sim_bin,
                f"--data-dir={data}",
                f"--agent-udpv4-endpoint=127.0.0.1:{sim_port}",
                "--process-user=root",
                "--process-group=root",
                "--log-level=error",
                "--logging-method=null",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(sim_proc)
        wait_agent(wk_port)
        wait_agent(sim_port, timeout=120)
        agents = {
            "snmpd (Net-SNMP, live)": (snmpd.pid, port, 3),
            "wirekit simulate (replay)": (wk_proc.pid, wk_port, 3),
            "snmpsim 1.2 (replay)": (sim_proc.pid, sim_port, 1),
        }
        c_bulkwalk(wk_port, root="1.3.6.1")  # warm
        c_bulkwalk(sim_port, root="1.3.6.1")
        res = {name: agent_walks(pid, p, walks) for name, (pid, p, walks) in agents.items()}
        base = res["snmpd (Net-SNMP, live)"]
        for name, (n, wall, cpu) in res.items():
            walks = agents[name][2]
            rows.append(
                [
                    "agent: snmpbulkwalk of the recording",
                    name,
                    f"{n / wall:,.0f} varbinds/s ({n} vb)",
                    f"{cpu / walks / n * 1e6:.1f} µs agent CPU/varbind",
                    f"{(n / wall) / (base[0] / base[1]):.2f}x snmpd",
                ]
            )
        wk_a, sim_a = res["wirekit simulate (replay)"], res["snmpsim 1.2 (replay)"]
        rate_wk = wk_a[0] / wk_a[1]
        wk_cpu = wk_a[2] / agents["wirekit simulate (replay)"][2] / wk_a[0] * 1e6
        r_snmpd = rate_wk / (base[0] / base[1])
        r_sim = rate_wk / (sim_a[0] / sim_a[1])
        notes.append(
            f"- Agent target (>= 2x snmpd, >= 20x snmpsim walk rate, <= 5 µs agent CPU/varbind): {r_snmpd:.2f}x snmpd, {r_sim:.1f}x snmpsim, {wk_cpu:.1f} µs. "
            f"{'MET' if r_snmpd >= 2 and r_sim >= 20 and wk_cpu <= 5 else 'MISSED (see below)'}. Recording: {recorded} varbinds from snmpd. "
            "The walk rate is measured with snmpbulkwalk as the client, so the client's own CPU bounds it; agent CPU comes from /proc (10 ms ticks)."
        )
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    write_table(
        "snmp",
        "SNMP: wirekit vs Net-SNMP, pysnmp, puresnmp, ezsnmp, snmpsim",
        ["measure", "implementation", "result", "CPU", "ratio"],
        rows,
        "\n".join(["Targets (issue 4), measured in this run:", "", *notes, "", *CONTEXT]),
    )


if __name__ == "__main__":
    main()
