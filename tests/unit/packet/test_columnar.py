"""wirekit.packet.columns: every column against the bytes the test crafted."""

from __future__ import annotations

import gzip
import struct

import pytest

pa = pytest.importorskip("pyarrow")

import columnar_frames as cf  # noqa: E402
from wirekit.errors import ConfigError, DecodeError  # noqa: E402
from wirekit.packet.columnar import FIELDS, CaptureTruncatedWarning, columns, iter_batches, schema  # noqa: E402

T0 = 1_700_000_000_123_456_000


def rows(data: bytes, **kw: object) -> list[dict[str, object]]:
    return columns(data, **kw).to_pylist()  # type: ignore[arg-type]


def one(frame: bytes, linktype: int = 1) -> dict[str, object]:
    (r,) = rows(cf.pcap([(T0, frame)], linktype=linktype))
    return {k: v for k, v in r.items() if v is not None}


def test_schema_matches_fields() -> None:
    assert [f.name for f in schema()] == [name for name, _, _ in FIELDS]
    t = columns(cf.pcap([(T0, cf.eth(b"", 0x0806))]))
    assert t.schema == schema()


def test_ipv4_tcp_every_field() -> None:
    f = cf.eth(
        cf.ipv4(
            cf.tcp(
                40000,
                443,
                seq=0xDEADBEEF,
                ack=7,
                flags=0x12,
                window=29200,
                payload=b"x" * 10,
                options=b"\x02\x04\x05\xb4",
            ),
            6,
            src="192.0.2.1",
            dst="198.51.100.7",
            ttl=57,
            ident=4242,
            df=True,
        ),
        0x0800,
        src="aa:bb:cc:dd:ee:01",
        dst="aa:bb:cc:dd:ee:02",
    )
    r = one(f)
    assert r["ts"].timestamp() == pytest.approx(T0 / 1e9)  # type: ignore[attr-defined]
    assert (r["frame"], r["linktype"], r["caplen"], r["length"], r["interface"]) == (
        1,
        1,
        len(f),
        len(f),
        0,
    )
    assert (r["eth_src"], r["eth_dst"], r["ethertype"]) == (
        "aa:bb:cc:dd:ee:01",
        "aa:bb:cc:dd:ee:02",
        0x0800,
    )
    assert (r["ip_version"], r["src"], r["dst"], r["proto"], r["ttl"], r["ip_id"]) == (
        4,
        "192.0.2.1",
        "198.51.100.7",
        6,
        57,
        4242,
    )
    assert (r["ip_flags"], r["frag_offset"]) == (2, 0)
    assert (r["sport"], r["dport"], r["tcp_flags"], r["seq"], r["ack"], r["window"]) == (
        40000,
        443,
        0x12,
        0xDEADBEEF,
        7,
        29200,
    )
    assert r["payload_len"] == 10
    assert "vlan" not in r and "dns_id" not in r and "icmp_type" not in r


def test_udp_dns_query_and_response() -> None:
    q = one(cf.eth(cf.ipv4(cf.udp(5353, 53, cf.dns(0xBEEF, "www.Example.org", 28)), 17), 0x0800))
    assert (q["dns_id"], q["dns_qr"], q["dns_rcode"], q["dns_qtype"], q["dns_qname"]) == (
        0xBEEF,
        False,
        0,
        28,
        "www.Example.org",
    )
    resp = cf.dns(
        1,
        "a.b",
        1,
        response=True,
        rcode=3,
        answers=b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04",
    )
    r = one(cf.eth(cf.ipv6(cf.udp(53, 3333, resp), 17), 0x86DD))
    assert (r["dns_qr"], r["dns_rcode"], r["dns_qname"], r["dns_qtype"]) == (True, 3, "a.b", 1)
    root = one(cf.eth(cf.ipv4(cf.udp(1, 53, cf.dns(2, ".", 2)), 17), 0x0800))
    assert root["dns_qname"] == "."


def test_dns_name_with_odd_bytes_and_pointer() -> None:
    odd = cf.dns(3, "a", 1)
    odd = odd[:12] + b"\x03a\x00\xff\x00" + odd[15:]  # label with NUL and 0xff
    r = one(cf.eth(cf.ipv4(cf.udp(1, 53, odd), 17), 0x0800))
    assert r["dns_qname"] == "a??"
    ptr = struct.pack("!HHHHHH", 4, 0, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01"
    r = one(cf.eth(cf.ipv4(cf.udp(1, 53, ptr), 17), 0x0800))
    assert r["dns_id"] == 4 and "dns_qname" not in r and "dns_qtype" not in r


def test_icmp_and_icmpv6() -> None:
    r = one(cf.eth(cf.ipv4(cf.icmp(8, 0, b"p" * 56), 1), 0x0800))
    assert (r["proto"], r["icmp_type"], r["icmp_code"], r["payload_len"]) == (1, 8, 0, 56)
    assert "sport" not in r
    r = one(cf.eth(cf.ipv6(cf.icmp(129, 0, b"p" * 8), 58), 0x86DD))
    assert (r["proto"], r["icmp_type"], r["payload_len"]) == (58, 129, 8)


def test_vlan_and_qinq() -> None:
    r = one(cf.eth(cf.ipv4(cf.udp(1, 2), 17, src="10.9.9.9"), 0x0800, vlans=(100,)))
    assert (r["vlan"], r["ethertype"], r["src"], r["sport"]) == (100, 0x0800, "10.9.9.9", 1)
    assert "vlan_inner" not in r
    r = one(cf.eth(cf.ipv6(cf.tcp(5, 6), 6), 0x86DD, vlans=(200, 4000)))
    assert (r["vlan"], r["vlan_inner"], r["ethertype"], r["proto"], r["sport"], r["dport"]) == (
        200,
        4000,
        0x86DD,
        6,
        5,
        6,
    )


def test_ipv4_options_move_the_l4_header() -> None:
    r = one(
        cf.eth(cf.ipv4(cf.udp(1000, 2000, b"abc"), 17, options=b"\x94\x04\x00\x00" * 10), 0x0800)
    )
    assert (r["sport"], r["dport"], r["payload_len"]) == (1000, 2000, 3)


def test_ipv4_fragments_have_ports_only_on_the_first() -> None:
    body = cf.udp(1111, 2222, b"q" * 100)
    first = one(cf.eth(cf.ipv4(body[:64], 17, mf=True, ident=9), 0x0800))
    second = one(cf.eth(cf.ipv4(body[64:], 17, frag=64, ident=9), 0x0800))
    assert (first["sport"], first["dport"], first["ip_flags"], first["frag_offset"]) == (
        1111,
        2222,
        1,
        0,
    )
    assert (second["proto"], second["ip_flags"], second["frag_offset"], second["ip_id"]) == (
        17,
        0,
        64,
        9,
    )
    assert "sport" not in second and "dport" not in second
    assert second["payload_len"] == len(body) - 64


def test_ipv6_extension_chain_and_fragments() -> None:
    chain = (
        (0, b"\x05\x02\x00\x00\x01\x00"),
        (60, b"\x01\x04\x00\x00\x00\x00"),
        (43, b"\x00\x00\x00\x00\x00\x00"),
    )
    r = one(cf.eth(cf.ipv6(cf.tcp(80, 8080, flags=0x10), 6, ext=chain), 0x86DD))
    assert (
        r["proto"],
        r["sport"],
        r["dport"],
        r["tcp_flags"],
        r["frag_offset"],
        r["ip_flags"],
    ) == (6, 80, 8080, 0x10, 0, 0)
    ah = ((51, b"\x00" * 14),)
    r = one(cf.eth(cf.ipv6(cf.udp(7, 9), 17, ext=ah), 0x86DD))
    assert (r["proto"], r["sport"], r["dport"]) == (17, 7, 9)
    body = cf.udp(5000, 53, b"z" * 80)
    first = one(cf.eth(cf.ipv6(body[:48], 17, ext=(cf.frag6(0, True, 77),)), 0x86DD))
    later = one(
        cf.eth(cf.ipv6(body[48:], 17, ext=((0, b"\x00" * 4), cf.frag6(48, False, 77))), 0x86DD)
    )
    assert (
        first["proto"],
        first["sport"],
        first["ip_flags"],
        first["frag_offset"],
        first["ip_id"],
    ) == (17, 5000, 1, 0, 77)
    assert (later["proto"], later["ip_flags"], later["frag_offset"], later["ip_id"]) == (
        17,
        0,
        48,
        77,
    )
    assert "sport" not in later and "dns_id" not in later


def test_other_link_types() -> None:
    ip4 = cf.ipv4(cf.tcp(1, 2), 6, src="1.2.3.4")
    ip6 = cf.ipv6(cf.udp(3, 4), 17, src="::1")
    for lt in (101, 228):
        assert one(ip4, lt)["src"] == "1.2.3.4"
    assert one(ip6, 229)["src"] == "::1"
    assert one(ip6, 101)["sport"] == 3
    sll = struct.pack("!HHH8sH", 0, 1, 6, bytes.fromhex("0a0b0c0d0e0f0000"), 0x0800) + ip4
    r = one(sll, 113)
    assert (r["ethertype"], r["src"], r["sport"], r["eth_src"]) == (
        0x0800,
        "1.2.3.4",
        1,
        "0a:0b:0c:0d:0e:0f",
    )
    sll2 = struct.pack("!HHIHBB8s", 0x86DD, 0, 2, 1, 0, 6, bytes.fromhex("0a0b0c0d0e0f0000")) + ip6
    r = one(sll2, 276)
    assert (r["ethertype"], r["src"], r["dport"], r["eth_src"]) == (
        0x86DD,
        "::1",
        4,
        "0a:0b:0c:0d:0e:0f",
    )
    assert one(struct.pack("<I", 2) + ip4, 0)["sport"] == 1  # NULL, little-endian host
    assert (
        one(struct.pack(">I", 30) + ip6, 0)["sport"] == 3
    )  # NULL, big-endian host, AF_INET6 (macOS)
    assert one(struct.pack(">I", 24) + ip6, 108)["dport"] == 4  # LOOP
    r = one(ip4, 147)  # a link type we do not decode
    assert "ethertype" not in r and r["linktype"] == 147


@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("nanosecond", [False, True])
def test_pcap_variants(byteorder: str, nanosecond: bool) -> None:
    f = cf.eth(cf.ipv4(cf.udp(1, 2), 17), 0x0800)
    data = cf.pcap([(T0, f), (T0 + 1_500, f, 1500)], byteorder=byteorder, nanosecond=nanosecond)
    t = columns(data)
    ts = t.column("ts").cast(pa.int64()).to_pylist()
    assert ts == (
        [T0, T0 + 1_500] if nanosecond else [T0, T0 + 1_000]
    )  # µs files lose the ns digits
    assert t.column("length").to_pylist() == [len(f), 1500]
    assert t.column("frame").to_pylist() == [1, 2]


def test_snaplen_truncated_frames_null_what_is_missing() -> None:
    f = cf.eth(cf.ipv4(cf.tcp(1, 2, seq=5, window=77, payload=b"x" * 100), 6), 0x0800)
    r = one(f[:38])  # Ethernet + IPv4 + 4 bytes of TCP
    assert (r["sport"], r["dport"], r["caplen"]) == (1, 2, 38)
    assert "seq" not in r and "window" not in r and "tcp_flags" not in r
    r = one(f[:20])  # IPv4 header cut short: no network fields at all
    assert r["ethertype"] == 0x0800 and "src" not in r and "proto" not in r


def test_pcapng_sections_interfaces_and_resolutions() -> None:
    f4 = cf.eth(cf.ipv4(cf.udp(10, 20), 17), 0x0800)
    f6 = cf.ipv6(cf.udp(30, 40), 17)
    data = cf.pcapng(
        [
            (
                "<",
                [(1, 6), (101, 9)],
                [(0, 1_700_000_000_000_001, f4), (1, 1_700_000_000_000_000_002, f6)],
            ),
            (">", [(1, 0x80 | 20)], [(0, 5 << 20, f4)]),
        ]
    )
    t = columns(data)
    assert t.column("interface").to_pylist() == [0, 1, 2]
    assert t.column("linktype").to_pylist() == [1, 101, 1]
    assert t.column("sport").to_pylist() == [10, 30, 10]
    assert t.column("ts").cast(pa.int64()).to_pylist() == [
        1_700_000_000_000_001_000,
        1_700_000_000_000_000_002,
        5_000_000_000,
    ]


def test_pcapng_from_part_a_writer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from wirekit.packet.pcapng import PcapNgWriter

    path = tmp_path / "w.pcapng"
    with PcapNgWriter(str(path)) as w:
        w.write(cf.eth(cf.ipv4(cf.tcp(1, 2), 6), 0x0800), T0)
        w.write(cf.ipv4(cf.udp(3, 4), 17), T0 + 5, linktype=101)
        w.write_simple(cf.eth(cf.ipv4(cf.udp(5, 6), 17), 0x0800))
    t = columns(path)
    assert t.column("sport").to_pylist() == [1, 3, 5]
    assert t.column("ts").cast(pa.int64()).to_pylist() == [T0, T0 + 5, None]


def test_gzip_and_paths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = cf.pcap([(T0, cf.eth(cf.ipv4(cf.udp(1, 2), 17), 0x0800))] * 3)
    (tmp_path / "a.pcap.gz").write_bytes(gzip.compress(data))
    (tmp_path / "a.pcap").write_bytes(data)
    assert columns(tmp_path / "a.pcap.gz").num_rows == 3
    assert columns(str(tmp_path / "a.pcap")).num_rows == 3
    with pytest.raises(ConfigError):
        columns(tmp_path / "missing.pcap")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DecodeError):
        columns(tmp_path / "bad.gz")


def test_not_a_capture() -> None:
    with pytest.raises(DecodeError):
        columns(b"hello world, not a capture")
    with pytest.raises(DecodeError):
        columns(b"")


def test_truncated_file_yields_whole_frames_then_warns() -> None:
    f = cf.eth(cf.ipv4(cf.udp(1, 2, b"x" * 50), 17), 0x0800)
    data = cf.pcap([(T0, f)] * 5)
    for cut in (len(data) - 10, len(data) - len(f) - 10):  # inside data, inside a record header
        with pytest.warns(CaptureTruncatedWarning):
            t = columns(data[:cut])
        assert t.num_rows == 4
        got = []
        with pytest.raises(DecodeError) as ei:
            for b in iter_batches(data[:cut], strict=True, batch_size=2):
                got.append(b.num_rows)
        assert sum(got) == 4 and ei.value.truncated


def test_corrupt_record_length() -> None:
    f = cf.eth(cf.ipv4(cf.udp(1, 2), 17), 0x0800)
    data = bytearray(cf.pcap([(T0, f)] * 3))
    second = 24 + 16 + len(f)
    data[second + 8 : second + 12] = struct.pack("<I", 0x7FFFFFFF)
    with pytest.warns(CaptureTruncatedWarning, match="corrupt"):
        assert columns(bytes(data)).num_rows == 1


def test_batches_and_progress() -> None:
    f = cf.eth(cf.ipv4(cf.udp(1, 2), 17), 0x0800)
    data = cf.pcap([(T0 + i, f) for i in range(10)])
    seen: list[tuple[int, int]] = []
    t = columns(data, batch_size=3, progress=lambda done, total: seen.append((done, total)))
    assert t.num_rows == 10 and t.column("frame").to_pylist() == list(range(1, 11))
    assert seen[-1] == (len(data), len(data)) and len(seen) == 5


def test_addresses_share_dictionary_and_mix_families() -> None:
    frames = [
        (T0, cf.eth(cf.ipv4(cf.udp(1, 2), 17, src="10.0.0.1", dst="10.0.0.2"), 0x0800)),
        (T0, cf.eth(cf.ipv6(cf.udp(1, 2), 17, src="fe80::1", dst="2001:db8::5"), 0x86DD)),
        (T0, cf.eth(cf.ipv4(cf.udp(1, 2), 17, src="10.0.0.2", dst="10.0.0.1"), 0x0800)),
        (T0, cf.eth(b"\x00" * 28, 0x0806)),
    ]
    t = columns(cf.pcap(frames))
    assert t.column("src").to_pylist() == ["10.0.0.1", "fe80::1", "10.0.0.2", None]
    assert t.column("dst").to_pylist() == ["10.0.0.2", "2001:db8::5", "10.0.0.1", None]
    assert t.column("ip_version").to_pylist() == [4, 6, 4, None]


def _varied_capture(n: int, byteorder: str = "<") -> bytes:
    frames = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            f = cf.eth(
                cf.ipv4(cf.tcp(i % 65536, 80, payload=b"p" * (i % 300)), 6, src=f"10.0.{i % 7}.1"),
                0x0800,
            )
        elif kind == 1:
            f = cf.eth(
                cf.ipv4(cf.udp(9, 53, cf.dns(i % 65536, f"h{i % 11}.example")), 17),
                0x0800,
                vlans=(i % 4000 + 1,),
            )
        elif kind == 2:
            f = cf.eth(
                cf.ipv6(
                    cf.udp(i % 65536, 7, b"x" * (i % 900)), 17, src=f"2001:db8::{i % 13 + 1:x}"
                ),
                0x86DD,
            )
        elif kind == 3:
            # payload that looks like pcap record headers, to mislead the lockstep sync
            fake = struct.pack("<IIII", (T0 // 10**9) & 0xFFFFFFFF, 5, 20, 20) * 8
            f = cf.eth(cf.ipv4(cf.udp(1, 2, fake * (1 + i % 4)), 17), 0x0800)
        else:
            f = cf.eth(b"\x00" * 28, 0x0806)
        frames.append((T0 + i * 1000, f))
    return cf.pcap(frames, byteorder=byteorder)


def test_sub_batches_merge_to_the_same_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from wirekit.packet import _coldecode

    data = _varied_capture(200)
    whole = columns(data)
    monkeypatch.setattr(_coldecode, "SUB", 7)
    assert columns(data, batch_size=50).to_pylist() == whole.to_pylist()


@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_lockstep_scan_finds_the_same_records(
    monkeypatch: pytest.MonkeyPatch, byteorder: str
) -> None:
    from wirekit.packet import _colscan

    data = _varied_capture(3000, byteorder)
    whole = columns(data).to_pylist()
    calls: list[bool] = []
    real = _colscan._lockstep

    def spy(*a: object) -> object:
        r = real(*a)  # type: ignore[arg-type]
        calls.append(r is not None)
        return r

    monkeypatch.setattr(_colscan, "_lockstep", spy)
    monkeypatch.setattr(_colscan, "WINDOW", 1 << 16)
    monkeypatch.setattr(_colscan, "SEGMENT", 1 << 11)
    monkeypatch.setattr(_colscan, "PROBE", 1024)
    assert columns(data).to_pylist() == whole
    assert any(calls)  # the vectorised scan ran (not only its Python fallback)
    cut = data[: len(data) - 10]
    with pytest.warns(CaptureTruncatedWarning):
        assert columns(cut).num_rows == len(whole) - 1


@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_lockstep_scan_of_pcapng_blocks(monkeypatch: pytest.MonkeyPatch, byteorder: str) -> None:
    from wirekit.packet import _colscan

    frames = [f for _, f in cf_frames(3000)]
    # two sections: the second (other byte order, two interfaces) makes the scan fall back
    data = cf.pcapng(
        [
            (byteorder, [(1, 9)], [(0, T0 + i, f) for i, f in enumerate(frames[:2000])]),
            (
                ">" if byteorder == "<" else "<",
                [(101, 6), (1, 6)],
                [(1, 7 + i, f) for i, f in enumerate(frames[2000:])],
            ),
        ]
    )

    def rows_of(t: object) -> list[dict[str, object]]:
        return t.to_pylist()  # type: ignore[attr-defined]

    monkeypatch.setattr(_colscan, "_lockstep", lambda *a, **k: None)
    want = rows_of(columns(data))
    monkeypatch.undo()
    calls: list[bool] = []
    real = _colscan._lockstep

    def spy(*a: object, **k: object) -> object:
        r = real(*a, **k)  # type: ignore[arg-type]
        calls.append(r is not None)
        return r

    monkeypatch.setattr(_colscan, "_lockstep", spy)
    monkeypatch.setattr(_colscan, "WINDOW", 1 << 16)
    monkeypatch.setattr(_colscan, "SEGMENT", 1 << 11)
    monkeypatch.setattr(_colscan, "PROBE", 1024)
    got = rows_of(columns(data, batch_size=700))
    assert got == want and len(got) == 3000
    assert any(calls)
    assert {r["interface"] for r in got} == {0, 2}


def cf_frames(n: int) -> list[tuple[int, bytes]]:
    """The frames of _varied_capture, without the pcap framing."""
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            f = cf.eth(cf.ipv4(cf.tcp(i % 65536, 80, payload=b"p" * (i % 300)), 6), 0x0800)
        elif kind == 1:
            f = cf.eth(
                cf.ipv4(cf.udp(9, 53, cf.dns(i % 65536, f"h{i % 11}.example")), 17),
                0x0800,
                vlans=(5,),
            )
        elif kind == 2:
            # payload that looks like EPB headers, to mislead the lockstep sync
            fake = struct.pack("<IIIIIII", 6, 64, 0, 0, 0, 32, 32) * 4
            f = cf.eth(cf.ipv4(cf.udp(1, 2, fake), 17), 0x0800)
        else:
            f = cf.eth(cf.ipv6(cf.udp(i % 65536, 7, b"x" * (i % 900)), 17), 0x86DD)
        out.append((i, f))
    return out


def test_mixed_layouts_in_one_batch_and_headers_past_the_first_bytes() -> None:
    # One batch mixing L3/L4 offsets: plain, VLAN, QinQ, IPv4 options, and QinQ + 40 bytes
    # of options, whose TCP header (offset 82..102) lies past the first-bytes block.
    opts = b"\x01" * 40
    frames = []
    for i in range(60):
        vlans = ((), (7,), (7, 8))[i % 3]
        o = opts if i % 2 else b""
        tcp = cf.tcp(1000 + i, 2000 + i, seq=i * 7919, window=100 + i, payload=b"p" * i)
        frames.append((T0 + i, cf.eth(cf.ipv4(tcp, 6, options=o), 0x0800, vlans=vlans)))
    got = rows(cf.pcap(frames))
    assert len(got) == 60
    for i, r in enumerate(got):
        assert (r["sport"], r["dport"], r["seq"], r["window"]) == (
            1000 + i,
            2000 + i,
            i * 7919,
            100 + i,
        ), i
        assert r["payload_len"] == i, i
        assert r["vlan"] == (None if i % 3 == 0 else 7)
