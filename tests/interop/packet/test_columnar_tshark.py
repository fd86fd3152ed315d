"""Columnar decoder vs a real tshark, and vs tcpdump captures of real loopback traffic.

tshark is the reference for the fields it gets right with reassembly off; on IP fragments
and IPv6 extension headers the reference is the crafted bytes (unit tests), because tshark
reports ``ipv6.nxt`` as the first next header, not the upper layer.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")

import columnar_frames as cf
from peerlib import free_port, require_root, require_tool, stop_process
from wirekit.packet.columnar import columns

pytestmark = pytest.mark.interop

#: our column -> tshark field(s); the first non-empty field wins
FIELDS: dict[str, tuple[str, ...]] = {
    "length": ("frame.len",),
    "caplen": ("frame.cap_len",),
    "eth_src": ("eth.src", "sll.src.eth"),
    "eth_dst": ("eth.dst",),
    "vlan": ("ieee8021ad.id", "vlan.id"),  # an 802.1ad outer tag is ieee8021ad.id in tshark
    "vlan_inner": (
        "ieee8021ad.id",
    ),  # replaced below by vlan.id when there is an outer 802.1ad tag
    "src": ("ip.src", "ipv6.src"),
    "dst": ("ip.dst", "ipv6.dst"),
    "ttl": ("ip.ttl", "ipv6.hlim"),
    "sport": ("tcp.srcport", "udp.srcport"),
    "dport": ("tcp.dstport", "udp.dstport"),
    "tcp_flags": ("tcp.flags",),
    "seq": ("tcp.seq_raw",),
    "ack": ("tcp.ack_raw",),
    "window": ("tcp.window_size_value",),
    "icmp_type": ("icmp.type", "icmpv6.type"),
    "icmp_code": ("icmp.code", "icmpv6.code"),
    "dns_id": ("dns.id",),
    "dns_rcode": ("dns.flags.rcode",),
    "dns_qtype": ("dns.qry.type",),
    "dns_qname": ("dns.qry.name",),
}
V4_ONLY = {"proto": ("ip.proto",), "ip_id": ("ip.id",), "frag_offset": ("ip.frag_offset",)}


def _tshark(path: Path) -> list[dict[str, str]]:
    tshark = require_tool("tshark")
    fields = sorted({f for fs in (*FIELDS.values(), *V4_ONLY.values()) for f in fs})
    cmd = [
        tshark,
        "-r",
        str(path),
        "-n",
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
        "-o",
        "tcp.desegment_tcp_streams:FALSE",
        "-T",
        "fields",
        "-E",
        "occurrence=f",
        "-E",
        "separator=\t",
    ]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    return [dict(zip(fields, line.split("\t"), strict=True)) for line in out.splitlines()]


def _norm(column: str, value: str) -> object:
    if value == "":
        return None
    if column in ("src", "dst", "eth_src", "eth_dst", "dns_qname"):
        return value
    return int(value, 0)


def _compare(path: Path) -> int:
    ours = columns(path).to_pylist()
    theirs = _tshark(path)
    assert len(ours) == len(theirs) and ours
    checked = 0
    for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
        fields = dict(FIELDS)
        if o["ip_version"] == 4:
            fields.update(V4_ONLY)
        for col, names in fields.items():
            want = next((_norm(col, t[n]) for n in names if t[n] != ""), None)
            if col == "frag_offset" and want is not None:
                want *= 8  # type: ignore[operator]  # tshark 4.0 reports 8-byte units
            if col == "vlan_inner":
                want = _norm(col, t["vlan.id"]) if t["ieee8021ad.id"] else None
            got = o[col]
            if col == "dns_qname" and want is None:
                continue
            if col == "dns_rcode" and not o["dns_qr"]:  # tshark shows rcode on responses only
                continue
            assert got == want, f"frame {i + 1} {col}: wirekit {got!r}, tshark {want!r}"
            checked += 1
    return checked


def test_crafted_mix_agrees_with_tshark(tmp_path: Path) -> None:
    frames = [
        cf.eth(
            cf.ipv4(
                cf.tcp(
                    40000,
                    443,
                    seq=123456789,
                    ack=987654321,
                    flags=0x18,
                    window=501,
                    payload=b"x" * 40,
                ),
                6,
                src="192.0.2.1",
                dst="198.51.100.2",
                ttl=61,
                ident=777,
                df=True,
            ),
            0x0800,
        ),
        cf.eth(
            cf.ipv4(
                cf.tcp(443, 40000, flags=0x12, options=b"\x02\x04\x05\xb4\x01\x03\x03\x07"),
                6,
                src="198.51.100.2",
                dst="192.0.2.1",
            ),
            0x0800,
        ),
        cf.eth(
            cf.ipv4(
                cf.udp(53000, 53, cf.dns(0x4242, "www.example.com", 28)),
                17,
                src="10.1.1.1",
                dst="10.1.1.53",
            ),
            0x0800,
            vlans=(42,),
        ),
        cf.eth(
            cf.ipv4(
                cf.udp(53, 53000, cf.dns(0x4242, "nope.example", 1, response=True, rcode=3)),
                17,
                src="10.1.1.53",
                dst="10.1.1.1",
            ),
            0x0800,
        ),
        cf.eth(
            cf.ipv6(
                cf.udp(5353, 5353, cf.dns(0, "printer.local", 12)),
                17,
                src="fe80::1",
                dst="ff02::fb",
                hlim=255,
            ),
            0x86DD,
        ),
        cf.eth(
            cf.ipv6(
                cf.tcp(22, 50000, seq=1, ack=2, flags=0x10, window=65535),
                6,
                src="2001:db8::10",
                dst="2001:db8::20",
            ),
            0x86DD,
            vlans=(100, 200),
        ),
        cf.eth(cf.ipv4(cf.icmp(8, 0, b"p" * 56), 1, src="127.0.0.1", dst="127.0.0.2"), 0x0800),
        cf.eth(cf.ipv6(cf.icmp(128, 0, b"p" * 16), 58, src="::1", dst="::1"), 0x86DD),
        cf.eth(cf.ipv4(cf.udp(1234, 4321, b"a" * 64)[:40], 17, mf=True, ident=99), 0x0800),
        cf.eth(cf.ipv4(b"b" * 32, 17, frag=40, ident=99), 0x0800),
        cf.eth(cf.ipv4(cf.udp(5, 6, b"opt"), 17, options=b"\x94\x04\x00\x00"), 0x0800),
        cf.eth(bytes.fromhex("0001080006040001") + b"\x02" * 20, 0x0806),
    ]
    recs = [(1_700_000_000_000_000_000 + i * 1_000_000, f) for i, f in enumerate(frames)]
    path = tmp_path / "mix.pcap"
    path.write_bytes(cf.pcap(recs))
    assert _compare(path) >= 150
    # the same frames as pcapng and snaplen-truncated (tshark reads both)
    ng = tmp_path / "mix.pcapng"
    ng.write_bytes(cf.pcapng([("<", [(1, 9)], [(0, ts, f) for ts, f in recs])]))
    assert _compare(ng) >= 150
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(cf.pcap([(ts, f[:64], len(f)) for ts, f in recs]))
    _compare_truncated(cut)


def _compare_truncated(path: Path) -> None:
    """Snaplen 64 (every IP header whole): lengths and addresses must still agree."""
    ours = columns(path).to_pylist()
    theirs = _tshark(path)
    for o, t in zip(ours, theirs, strict=True):
        assert o["length"] == int(t["frame.len"]) and o["caplen"] == int(t["frame.cap_len"])
        for col in ("src", "dst"):
            want = next((_norm(col, t[n]) for n in FIELDS[col] if t[n]), None)
            assert o[col] == want


def _capture(tmp_path: Path, iface: str, port: int, traffic) -> Path:  # type: ignore[no-untyped-def]
    require_root("tcpdump capture")
    tcpdump = require_tool("tcpdump")
    out = tmp_path / f"{iface}.pcap"
    log = tmp_path / "tcpdump.log"
    with log.open("wb") as err:
        # -Z root: keep writing into pytest's root-only tmp dir after tcpdump drops privileges
        proc = subprocess.Popen(
            [
                tcpdump,
                "-i",
                iface,
                "-U",
                "--immediate-mode",
                "-B",
                "8192",
                "-n",
                "-Z",
                "root",
                "-w",
                str(out),
                f"port {port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 10
        while b"listening on" not in log.read_bytes():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "tcpdump did not start"
            time.sleep(0.05)
        traffic(port)
        time.sleep(0.5)
    finally:
        stop_process(proc)
    assert out.exists(), log.read_text()
    return out


def _tcp_and_udp(port: int) -> None:
    srv = socket.create_server(("127.0.0.1", port))
    with srv, socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        conn, _ = srv.accept()
        with conn:
            c.sendall(b"hello over loopback")
            assert conn.recv(100) == b"hello over loopback"
            conn.sendall(b"ok")
            c.recv(10)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(b"datagram", ("127.0.0.1", port))


@pytest.mark.parametrize("iface", ["lo", "any"])
def test_real_loopback_capture_agrees_with_tshark(tmp_path: Path, iface: str) -> None:
    port = free_port()
    path = _capture(tmp_path, iface, port, _tcp_and_udp)
    t = columns(path)
    assert (
        t.num_rows >= 4
    )  # at least the handshake and the data (the kernel may drop some on "any")
    assert 0x02 in t.column("tcp_flags").to_pylist()
    assert set(t.column("linktype").to_pylist()) <= (
        {1} if iface == "lo" else {276, 113}
    )  # SLL2 on tcpdump >= 4.99
    assert port in t.column("dport").to_pylist()
    assert _compare(path) > 0


def _hosts_capture(path: Path) -> None:
    frames = []
    for i in range(300):
        a, b = f"10.0.{i % 3}.{1 + i % 5}", f"192.168.{i % 2}.{10 + i % 7}"
        src, dst = (a, b) if i % 4 else (b, a)
        if i % 3 == 0:
            f = cf.eth(
                cf.ipv4(
                    cf.udp(1000 + i % 9, 53, cf.dns(i, f"n{i % 5}.example")), 17, src=src, dst=dst
                ),
                0x0800,
            )
        else:
            f = cf.eth(
                cf.ipv4(cf.tcp(2000 + i % 11, 443, payload=b"d" * (i % 700)), 6, src=src, dst=dst),
                0x0800,
                vlans=(7,) if i % 10 == 0 else (),
            )
        frames.append((1_700_000_000_000_000_000 + i * 3_000_000, f))
    frames.append((1_700_000_001_000_000_000, cf.eth(cf.ipv6(cf.udp(1, 2), 17), 0x86DD)))
    path.write_bytes(cf.pcap(frames))


def _tshark_z(path: Path, what: str) -> list[list[str]]:
    tshark = require_tool("tshark")
    out = subprocess.run(
        [tshark, "-r", str(path), "-n", "-q", "-o", "ip.defragment:FALSE", "-z", what],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return [line.split() for line in out.splitlines() if line[:1].isdigit()]


def test_stats_agree_with_tshark_z(tmp_path: Path) -> None:
    from wirekit.packet.stats import capture_stats

    path = tmp_path / "hosts.pcap"
    _hosts_capture(path)
    s = capture_stats(path, top=1000)
    # endpoints,ip: address, packets, bytes, tx packets, tx bytes, rx packets, rx bytes
    theirs = {r[0]: tuple(int(x) for x in r[1:7]) for r in _tshark_z(path, "endpoints,ip")}
    ours = {
        e.address: (e.packets, e.bytes, e.tx_packets, e.tx_bytes, e.rx_packets, e.rx_bytes)
        for e in s.endpoints
        if ":" not in e.address
    }
    assert ours == theirs and len(ours) > 10
    # conv,ip: "a <-> b  f_ba N bytes  f_ab N bytes  total N bytes ..."
    # (tshark prints "N bytes", or "N kB" once large: compare bytes where it gives them exactly)
    conv = {}
    for r in _tshark_z(path, "conv,ip"):
        frames, size, unit = int(r[9]), int(r[10].replace(",", "")), r[11]
        conv[frozenset((r[0], r[2]))] = (frames, size if unit == "bytes" else None)
    got = {frozenset((c.a, c.b)): (c.packets, c.bytes) for c in s.conversations if ":" not in c.a}
    assert got.keys() == conv.keys() and len(got) > 10
    for k, (frames, size) in conv.items():
        assert got[k][0] == frames and (size is None or got[k][1] == size), k


def test_pcapng_from_editcap_and_mergecap(tmp_path: Path) -> None:
    editcap = require_tool("editcap")
    mergecap = require_tool("mergecap")
    base = tmp_path / "hosts.pcap"
    _hosts_capture(base)
    ng = tmp_path / "hosts.pcapng"
    subprocess.run([editcap, "-F", "pcapng", str(base), str(ng)], check=True, timeout=60)
    want = columns(base).drop_columns(["interface"])
    assert columns(ng).drop_columns(["interface"]).equals(want)
    cut = tmp_path / "cut.pcapng"
    subprocess.run(
        [editcap, "-F", "pcapng", "-s", "60", str(base), str(cut)], check=True, timeout=60
    )
    t = columns(cut)
    assert t.column("length").to_pylist() == want.column("length").to_pylist()
    assert max(t.column("caplen").to_pylist()) == 60
    assert t.column("src").to_pylist() == want.column("src").to_pylist()
    # a raw-IP capture merged with the Ethernet one: pcapng with two interfaces and link types
    raw = tmp_path / "raw.pcap"
    raw.write_bytes(
        cf.pcap(
            [(1_700_000_000_500_000_000, cf.ipv4(cf.udp(7, 8), 17, src="172.16.0.1"))], linktype=101
        )
    )
    merged = tmp_path / "merged.pcapng"
    subprocess.run([mergecap, "-w", str(merged), str(base), str(raw)], check=True, timeout=60)
    m = columns(merged)
    assert m.num_rows == want.num_rows + 1
    assert set(m.column("linktype").to_pylist()) == {1, 101}
    assert "172.16.0.1" in m.column("src").to_pylist()
    assert _compare(merged) > 1000
