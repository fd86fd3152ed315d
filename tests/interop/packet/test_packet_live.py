"""Live send/sniff/sr1 in test-made network namespaces, against the Linux kernel, ping and a
DNS responder as the real peers."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from pathlib import Path

import pytest
from netns import PYTHON, VethPair

from wirekit.packet import live
from wirekit.packet.capture import open_capture
from wirekit.packet.layer import Packet
from wirekit.packet.layers import DNS, DNSQR, ICMP, TCP, UDP, Ether, ICMPv6, ICMPv6Echo, IPv4, IPv6
from wirekit.packet.pcapng import PcapNgWriter

pytestmark = [pytest.mark.interop, pytest.mark.netns]
HERE = Path(__file__).parent


def _in_thread(fn):  # type: ignore[no-untyped-def]
    box: dict[str, object] = {}
    started = threading.Event()

    def run() -> None:
        try:
            box["result"] = fn(started)
        except BaseException as exc:
            box["error"] = exc
            started.set()

    t = threading.Thread(target=run)
    t.start()
    assert started.wait(10), "sniffer did not start"
    return t, box


def _join(t: threading.Thread, box: dict[str, object]):  # type: ignore[no-untyped-def]
    t.join(30)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]


def test_sniff_real_ping_and_write_pcapng(veth: VethPair, tmp_path: Path) -> None:
    out = tmp_path / "live.pcapng"
    with PcapNgWriter(str(out)) as w:
        t, box = _in_thread(
            lambda ev: live.sniff(
                veth.if_b, netns=veth.b, count=2, timeout=20, filter="icmp", writer=w, started=ev
            )
        )
        veth.run(veth.a, "ping", "-c1", "-W2", veth.ip_b)
        got = _join(t, box)
    pkts = [c.packet() for c in got]
    req, rep = pkts
    assert req[ICMP].type == 8 and req[IPv4].src == veth.ip_a and req[IPv4].dst == veth.ip_b
    assert (
        rep[ICMP].type == 0
        and rep[ICMP].id == req[ICMP].id
        and got[1].outgoing
        and not got[0].outgoing
    )
    assert req[Ether].src == veth.mac_a
    back = [Packet.parse(r.data) for r in open_capture(out)]
    assert [p[ICMP].type for p in back] == [8, 0]


def test_bpf_filter_drops_other_traffic(veth: VethPair) -> None:
    t, box = _in_thread(
        lambda ev: live.sniff(
            veth.if_b, netns=veth.b, count=1, timeout=20, filter="udp port 9999", started=ev
        )
    )
    veth.run(veth.a, "ping", "-c2", "-i0.2", "-W2", veth.ip_b)
    frame = (
        Ether(src=veth.mac_a, dst=veth.mac_b)
        / IPv4(src=veth.ip_a, dst=veth.ip_b)
        / UDP(sport=1111, dport=9999)
        / b"hello"
    )
    live.sendp(frame, veth.if_a, netns=veth.a)
    got = _join(t, box)
    p = got[0].packet()
    assert ICMP not in p and p[UDP].dport == 9999 and p[UDP].payload.load == b"hello"


def test_sr1_icmp_echo_v4_and_v6(veth: VethPair) -> None:
    req = (
        Ether(src=veth.mac_a, dst=veth.mac_b)
        / IPv4(src=veth.ip_a, dst=veth.ip_b)
        / ICMP(id=4321, seq=9)
        / b"wirekit"
    )
    ans = live.sr1(req, veth.if_a, netns=veth.a, timeout=5)
    assert ans is not None and ans[ICMP].type == 0 and ans[ICMP].id == 4321 and ans[ICMP].seq == 9
    assert ans[ICMP].payload.load == b"wirekit"
    req6 = (
        Ether(src=veth.mac_a, dst=veth.mac_b)
        / IPv6(src=veth.ip6_a, dst=veth.ip6_b)
        / ICMPv6(type=128)
        / ICMPv6Echo(id=7, seq=8)
        / b"v6"
    )
    ans6 = live.sr1(req6, veth.if_a, netns=veth.a, timeout=5)
    assert ans6 is not None and ans6[ICMPv6].type == 129 and ans6[ICMPv6Echo].id == 7


def test_sr1_tcp_syn_gets_rst_from_closed_and_synack_from_open_port(veth: VethPair) -> None:
    closed = live.sr1(
        Ether(src=veth.mac_a, dst=veth.mac_b)
        / IPv4(src=veth.ip_a, dst=veth.ip_b)
        / TCP(sport=40000, dport=9, seq=100),
        veth.if_a,
        netns=veth.a,
        timeout=5,
    )
    assert closed is not None and "R" in closed[TCP].flags and closed[TCP].ack == 101
    server = veth.spawn(
        veth.b,
        PYTHON,
        "-c",
        f"import socket,time; s=socket.socket(); s.bind(('{veth.ip_b}', 8080)); s.listen(); print('ok', flush=True); time.sleep(60)",
    )
    assert server.stdout is not None and server.stdout.readline().strip() == b"ok"
    opened = live.sr1(
        Ether(src=veth.mac_a, dst=veth.mac_b)
        / IPv4(src=veth.ip_a, dst=veth.ip_b)
        / TCP(sport=40001, dport=8080, seq=5000),
        veth.if_a,
        netns=veth.a,
        timeout=5,
    )
    assert opened is not None and opened[TCP].flags == "SA" and opened[TCP].ack == 5001
    assert any(k == "MSS" for k, _ in opened[TCP].options)


def test_sr1_dns_against_responder(veth: VethPair) -> None:
    proc = veth.spawn(veth.b, PYTHON, str(HERE / "dns_responder.py"), veth.ip_b, "53")
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    q = (
        Ether(src=veth.mac_a, dst=veth.mac_b)
        / IPv4(src=veth.ip_a, dst=veth.ip_b)
        / UDP(sport=33000, dport=53)
        / DNS(id=0xBEEF, qd=[DNSQR("wirekit.test.", "A")])
    )
    ans = live.sr1(q, veth.if_a, netns=veth.a, timeout=5)
    assert (
        ans is not None
        and ans[DNS].id == 0xBEEF
        and ans[DNS].an[0].rdata == f"192.0.2.{len('wirekit.test.')}"
    )


def test_asniff_sees_sendp_frames(veth: VethPair) -> None:
    frames = [
        Ether(src=veth.mac_a, dst=veth.mac_b)
        / IPv4(src=veth.ip_a, dst=veth.ip_b)
        / UDP(sport=2000 + i, dport=7777)
        for i in range(3)
    ]

    async def main() -> list[int]:
        seen = []

        async def collect() -> None:
            async for c in live.asniff(
                veth.if_b, netns=veth.b, count=3, timeout=20, filter="udp port 7777"
            ):
                seen.append(c.packet()[UDP].sport)

        task = asyncio.ensure_future(collect())
        await asyncio.sleep(0.5)  # the socket is open once the generator has started
        await asyncio.to_thread(live.sendp, frames, veth.if_a, netns=veth.a)
        await asyncio.wait_for(task, 25)
        return seen

    assert asyncio.run(main()) == [2000, 2001, 2002]


def test_l3_send_through_kernel_routing(veth: VethPair) -> None:
    t, box = _in_thread(
        lambda ev: live.sniff(
            veth.if_b, netns=veth.b, count=2, timeout=20, filter="udp port 6666", started=ev
        )
    )
    packets = [
        IPv4(src=veth.ip_a, dst=veth.ip_b) / UDP(sport=1, dport=6666) / b"l3",
        IPv6(src=veth.ip6_a, dst=veth.ip6_b) / UDP(sport=1, dport=6666) / b"l3",
    ]
    assert live.send(packets, netns=veth.a) == 2
    got = _join(t, box)
    assert {IPv4 in c.packet() for c in got} == {True, False}
    assert got[0].packet()[UDP].payload.load == b"l3"


def test_cli_craft_send_and_sniff(veth: VethPair) -> None:
    sniffer = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "wirekit.cli",
            "pkt",
            "sniff",
            "-i",
            veth.if_b,
            "--netns",
            veth.b,
            "-c",
            "1",
            "-t",
            "20",
            "-f",
            "udp port 5555",
            "-m",
            "udp.sport == 4444",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        expr = f'Ether(src="{veth.mac_a}", dst="{veth.mac_b}")/IPv4(src="{veth.ip_a}", dst="{veth.ip_b}")/UDP(sport=4444, dport=5555)/b"cli"'
        # resend until the sniffer (a separate process) is listening and catches one
        for _ in range(40):
            r = subprocess.run(
                [
                    PYTHON,
                    "-m",
                    "wirekit.cli",
                    "pkt",
                    "craft",
                    expr,
                    "--send",
                    veth.if_a,
                    "--netns",
                    veth.a,
                    "--json",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["sent"]["packets"] == 1
            try:
                out, _err = sniffer.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            raise AssertionError("sniffer saw nothing")
        line = json.loads(out.decode().splitlines()[0])
        assert line["layers"][2]["dport"] == 5555 and "UDP" in line["summary"]
    finally:
        if sniffer.poll() is None:
            sniffer.kill()
            sniffer.communicate()
