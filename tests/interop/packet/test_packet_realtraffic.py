"""wirekit reads captures of real traffic: ping, curl against a web server and dig against a
DNS responder, captured by tcpdump (pcap, Ethernet and Linux SLL2 via ``-i any``) and dumpcap
(pcapng) inside test-made namespaces."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from netns import PYTHON, VethPair

from peerlib import require_tool
from wirekit.packet import linktype
from wirekit.packet.capture import open_reader
from wirekit.packet.layer import Layer, Raw
from wirekit.packet.layers import DNS, ICMP, SLL2, TCP, UDP, Ether, ICMPv6, IPv4

pytestmark = [pytest.mark.interop, pytest.mark.netns]
HERE = Path(__file__).parent


def _start_capture(veth: VethPair, argv: list[str], ready: bytes) -> subprocess.Popen[bytes]:
    proc = veth.spawn(veth.a, *argv)
    assert proc.stderr is not None
    deadline = time.monotonic() + 20
    seen = b""
    while ready not in seen:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            raise AssertionError(f"capture exited: {seen.decode(errors='replace')}")
        seen += line
        assert time.monotonic() < deadline, seen
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    time.sleep(1.0)  # let the last replies land in the capture (tcpdump flushes on SIGTERM)
    proc.terminate()
    proc.wait(10)


def _traffic(veth: VethPair) -> None:
    curl, dig = require_tool("curl"), require_tool("dig")
    web = veth.spawn(
        veth.b, PYTHON, "-m", "http.server", "8000", "--bind", veth.ip_b, stderr=subprocess.DEVNULL
    )
    dns = veth.spawn(veth.b, PYTHON, str(HERE / "dns_responder.py"), veth.ip_b, "53")
    assert dns.stdout is not None and dns.stdout.readline().strip() == b"ready"
    assert web.poll() is None
    veth.run(veth.a, "ping", "-c2", "-i0.2", "-W2", veth.ip_b)
    veth.run(veth.a, "ping", "-6", "-c1", "-W2", veth.ip6_b)
    for _ in range(50):
        r = veth.run(
            veth.a,
            curl,
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            f"http://{veth.ip_b}:8000/",
            check=False,
        )
        if r.stdout == "200":
            break
        time.sleep(0.1)
    assert r.stdout == "200"
    out = veth.run(
        veth.a, dig, f"@{veth.ip_b}", "-p", "53", "+tries=1", "+time=3", "wirekit.example", "A"
    ).stdout
    assert "192.0.2." in out


def _check(packets: list[Layer], veth: VethPair) -> None:
    icmp = [p for p in packets if ICMP in p]
    assert (
        sorted(p[ICMP].type for p in icmp).count(8) == 2
        and sorted(p[ICMP].type for p in icmp).count(0) == 2
    )
    assert all(p[IPv4].src in (veth.ip_a, veth.ip_b) for p in icmp)
    assert any(ICMPv6 in p and p[ICMPv6].type == 128 for p in packets)
    syn = [p for p in packets if TCP in p and p[TCP].flags == "S" and p[TCP].dport == 8000]
    synack = [p for p in packets if TCP in p and p[TCP].flags == "SA" and p[TCP].sport == 8000]
    assert syn and synack and synack[0][TCP].ack == syn[0][TCP].seq + 1
    http = [
        p
        for p in packets
        if TCP in p
        and isinstance(p[TCP].payload, Raw)
        and p[TCP].payload.load.startswith(b"GET / HTTP/1.1")
    ]
    assert http and http[0][TCP].dport == 8000
    resp = [
        p
        for p in packets
        if TCP in p
        and isinstance(p[TCP].payload, Raw)
        and p[TCP].payload.load.startswith(b"HTTP/1.0 200")
    ]
    assert resp
    dns = [p[DNS] for p in packets if DNS in p]
    q = [d for d in dns if not d.qr]
    a = [d for d in dns if d.qr]
    assert q and a and q[0].qd[0].qname == "wirekit.example." and a[0].id == q[0].id
    assert a[0].an[0].rdata == f"192.0.2.{len('wirekit.example.')}"
    assert any(rr.type == 41 for rr in q[0].ar)  # dig sends EDNS0 OPT
    assert all(UDP in p for p in packets if DNS in p)


def _read(path: Path) -> tuple[list[Layer], set[int]]:
    reader = open_reader(path)
    recs = list(reader)
    reader.close()
    return [Layer.parse(r.data, linktype=r.linktype) for r in recs], {r.linktype for r in recs}


def test_tcpdump_pcap_ethernet(veth: VethPair, tmp_path: Path) -> None:
    tcpdump = require_tool("tcpdump")
    out = tmp_path / "eth.pcap"
    cap = _start_capture(
        veth,
        [tcpdump, "-i", veth.if_a, "-U", "--immediate-mode", "-n", "-w", str(out)],
        b"listening on",
    )
    _traffic(veth)
    _stop(cap)
    packets, lts = _read(out)
    assert lts == {linktype.EN10MB} and all(isinstance(p, Ether) for p in packets)
    _check(packets, veth)


def test_tcpdump_any_interface_sll2(veth: VethPair, tmp_path: Path) -> None:
    tcpdump = require_tool("tcpdump")
    out = tmp_path / "any.pcap"
    cap = _start_capture(
        veth,
        [tcpdump, "-i", "any", "-U", "--immediate-mode", "-n", "-w", str(out)],
        b"listening on",
    )
    _traffic(veth)
    _stop(cap)
    packets, lts = _read(out)
    assert lts <= {linktype.LINUX_SLL2, linktype.LINUX_SLL}
    assert all(isinstance(p, SLL2) for p in packets) or lts == {linktype.LINUX_SLL}
    _check(packets, veth)


def test_dumpcap_pcapng(veth: VethPair, tmp_path: Path) -> None:
    dumpcap = require_tool("dumpcap")
    out = tmp_path / "dump.pcapng"
    cap = _start_capture(veth, [dumpcap, "-i", veth.if_a, "-w", str(out)], b"Capturing on")
    _traffic(veth)
    _stop(cap)
    reader = open_reader(out)
    recs = list(reader)
    assert reader.interfaces[0].name == veth.if_a  # type: ignore[union-attr]
    reader.close()
    packets = [Layer.parse(r.data, linktype=r.linktype) for r in recs]
    _check(packets, veth)
