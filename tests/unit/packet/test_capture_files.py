"""pcap and pcapng readers/writers: byte orders, resolutions, blocks, gzip, truncation."""

from __future__ import annotations

import gzip
import io
import struct
import warnings

import dpkt
import pytest

from wirekit.errors import ConfigError, DecodeError
from wirekit.packet import linktype
from wirekit.packet.capture import CaptureTruncatedWarning, open_capture, open_reader, open_writer
from wirekit.packet.pcap import PcapReader, PcapWriter
from wirekit.packet.pcapng import PcapNgReader, PcapNgWriter
from wirekit.packet.record import Record

FRAMES = [bytes([i]) * (60 + i) for i in range(5)]


@pytest.mark.parametrize("nanosecond", [False, True])
@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_pcap_round_trip(nanosecond: bool, byteorder: str) -> None:
    buf = io.BytesIO()
    w = PcapWriter(buf, nanosecond=nanosecond, byteorder=byteorder, linktype=linktype.RAW)
    for i, f in enumerate(FRAMES):
        w.write(f, ts_ns=1_700_000_000_123_456_789 + i, orig_len=len(f) + 3)
    w.flush()
    recs = list(open_capture(io.BytesIO(buf.getvalue())))
    assert [r.data for r in recs] == FRAMES
    assert all(
        r.linktype == linktype.RAW and r.orig_len == len(r.data) + 3 and r.truncated for r in recs
    )
    expect = 1_700_000_000_123_456_789 if nanosecond else 1_700_000_000_123_456_000
    assert recs[0].ts_ns == expect


def test_pcap_read_by_dpkt_and_dpkt_file_read_by_us() -> None:
    buf = io.BytesIO()
    with PcapWriter(buf) as w:
        for f in FRAMES:
            w.write(f, ts_ns=2_000_000_000)
        data = buf.getvalue()
    got = [(ts, bytes(b)) for ts, b in dpkt.pcap.Reader(io.BytesIO(data))]
    assert [b for _, b in got] == FRAMES and got[0][0] == 2.0
    out = io.BytesIO()
    dw = dpkt.pcap.Writer(out, nano=True)
    dw.writepkt(b"abc", ts=3.5)
    assert list(PcapReader(io.BytesIO(out.getvalue()))) == [Record(3_500_000_000, 1, b"abc", 3, 0)]


def test_pcapng_blocks_comments_interfaces_names() -> None:
    buf = io.BytesIO()
    w = PcapNgWriter(buf, comment="section note", os_name="Linux")
    eth = w.add_interface(linktype.EN10MB, name="eth0", snaplen=65535)
    raw = w.add_interface(linktype.RAW, name="tun0", tsresol=6)
    w.write(FRAMES[0], 1_000_000_001, interface=eth, comment="first")
    w.write(FRAMES[1], 2_000_000_000, interface=raw)
    w.write_names([(bytes([10, 0, 0, 1]), "gw.local")])
    w.write_simple(FRAMES[2])
    w.flush()
    r = PcapNgReader(io.BytesIO(buf.getvalue()))
    got = list(r.packets())
    assert [rec.data for rec, _ in got] == FRAMES[:3]
    assert got[0][1] == ["first"] and got[0][0].ts_ns == 1_000_000_001
    assert (
        got[1][0].linktype == linktype.RAW
        and got[1][0].interface == 1
        and got[1][0].ts_ns == 2_000_000_000
    )
    assert r.section["comment"] == "section note" and r.interfaces[0].name == "eth0"
    assert r.names[bytes([10, 0, 0, 1])] == ["gw.local"]


def test_pcapng_read_by_dpkt() -> None:
    buf = io.BytesIO()
    with PcapNgWriter(buf) as w:
        for f in FRAMES:
            w.write(f, 5_000_000_000)
        data = buf.getvalue()
    got = list(dpkt.pcapng.Reader(io.BytesIO(data)))
    assert [bytes(b) for _, b in got] == FRAMES and got[0][0] == 5.0


def test_big_endian_pcapng_section() -> None:
    def block(btype: int, body: bytes) -> bytes:
        n = 12 + len(body)
        return struct.pack(">II", btype, n) + body + struct.pack(">I", n)

    shb = block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack(">HHI", 1, 0, 0))
    epb = block(6, struct.pack(">IIIII", 0, 0, 7, 3, 3) + b"abc\x00")
    recs = list(open_capture(io.BytesIO(shb + idb + epb)))
    assert recs == [Record(7000, 1, b"abc", 3, 0)]


def test_gzip_transparent(tmp_path) -> None:
    path = tmp_path / "x.pcapng.gz"
    buf = io.BytesIO()
    with open_writer(buf, fmt="pcapng") as w:
        w.write(b"zz", 1)
        data = buf.getvalue()
    path.write_bytes(gzip.compress(data))
    assert [r.data for r in open_capture(path)] == [b"zz"]


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
@pytest.mark.parametrize("cut", [3, 9, 30])
def test_truncated_file_yields_whole_records_then_warns(fmt: str, cut: int) -> None:
    buf = io.BytesIO()
    w = open_writer(buf, fmt=fmt)
    for f in FRAMES:
        w.write(f, 1)
    w.flush()
    data = buf.getvalue()[:-cut]
    with pytest.warns(CaptureTruncatedWarning):
        got = [r.data for r in open_capture(io.BytesIO(data))]
    assert got == FRAMES[:-1]
    r = open_reader(io.BytesIO(data), strict=True)
    seen = []
    with pytest.raises(DecodeError) as ei:
        for rec in r:
            seen.append(rec.data)
    assert seen == FRAMES[:-1] and ei.value.truncated


def test_not_a_capture() -> None:
    with pytest.raises(DecodeError, match="not a pcap"):
        list(open_capture(io.BytesIO(b"hello world")))
    with pytest.raises(ConfigError):
        list(open_capture("/nonexistent/file.pcap"))


def test_corrupt_record_length_is_decode_error() -> None:
    buf = io.BytesIO()
    with PcapWriter(buf) as w:
        w.write(b"abc")
        data = bytearray(buf.getvalue())
    struct.pack_into("<I", data, 24 + 8, 1 << 30)
    with warnings.catch_warnings(), pytest.raises(DecodeError, match="plausible"):
        list(open_capture(io.BytesIO(bytes(data))))
