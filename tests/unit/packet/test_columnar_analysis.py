"""SQL, stats, convert, plot, Parquet datasets and Dask over captures, and their CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from click.testing import CliRunner

import columnar_frames as cf
from wirekit.cli.pkt_analysis import convert, plot, query, stats
from wirekit.errors import ConfigError
from wirekit.packet.columnar import columns
from wirekit.packet.convert import convert as convert_file
from wirekit.packet.convert import format_of
from wirekit.packet.query import query as run_query
from wirekit.packet.stats import capture_stats

T0 = 1_700_000_000_000_000_000


def _traffic() -> list[tuple[int, bytes]]:
    """A: 10.0.0.1 talks most (3 TCP frames to .2), one DNS query to .3, one ARP, one IPv6 UDP."""
    return [
        (
            T0,
            cf.eth(
                cf.ipv4(cf.tcp(1000, 80, flags=0x02), 6, src="10.0.0.1", dst="10.0.0.2"), 0x0800
            ),
        ),
        (
            T0 + 10**9,
            cf.eth(
                cf.ipv4(cf.tcp(80, 1000, flags=0x12), 6, src="10.0.0.2", dst="10.0.0.1"), 0x0800
            ),
        ),
        (
            T0 + 2 * 10**9,
            cf.eth(
                cf.ipv4(
                    cf.tcp(1000, 80, flags=0x10, payload=b"x" * 100),
                    6,
                    src="10.0.0.1",
                    dst="10.0.0.2",
                ),
                0x0800,
            ),
        ),
        (
            T0 + 3 * 10**9,
            cf.eth(
                cf.ipv4(
                    cf.udp(5000, 53, cf.dns(7, "example.com")), 17, src="10.0.0.1", dst="10.0.0.3"
                ),
                0x0800,
            ),
        ),
        (T0 + 3 * 10**9, cf.eth(b"\x00" * 28, 0x0806)),
        (
            T0 + 4 * 10**9,
            cf.eth(cf.ipv6(cf.udp(1, 2, b"hi"), 17, src="fe80::1", dst="fe80::2"), 0x86DD),
        ),
    ]


@pytest.fixture
def cap(tmp_path: Path) -> Path:
    p = tmp_path / "t.pcap"
    p.write_bytes(cf.pcap(_traffic()))
    return p


def test_query_top_talkers(cap: Path) -> None:
    t = run_query(
        cap,
        "SELECT src, count(*) AS n FROM packets WHERE src IS NOT NULL GROUP BY src ORDER BY n DESC, src LIMIT 2",
    )
    assert t.to_pylist() == [{"src": "10.0.0.1", "n": 3}, {"src": "10.0.0.2", "n": 1}]
    t = run_query(
        cap,
        "SELECT dns_qname, proto_name(proto) AS p, tcp_flag_names(tcp_flags) AS f FROM packets WHERE frame IN (2, 4) ORDER BY frame",
    )
    assert t.to_pylist() == [
        {"dns_qname": None, "p": "tcp", "f": "SYN,ACK"},
        {"dns_qname": "example.com", "p": "udp", "f": ""},
    ]


def test_query_errors(cap: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SQL error"):
        run_query(cap, "SELECT nope FROM packets")
    with pytest.raises(ConfigError):
        run_query(tmp_path / "missing.pcap", "SELECT 1")


def test_stats_hierarchy_endpoints_conversations_flows(cap: Path) -> None:
    s = capture_stats(cap, top=5)
    assert s.frames == 6 and s.duration == pytest.approx(4.0)
    h = {n.protocol: n.frames for n in s.hierarchy}
    assert h == {
        "eth": 6,
        "eth:arp": 1,
        "eth:ipv4": 4,
        "eth:ipv4:tcp": 3,
        "eth:ipv4:udp": 1,
        "eth:ipv4:udp:dns": 1,
        "eth:ipv6": 1,
        "eth:ipv6:udp": 1,
    }
    top = s.endpoints[0]
    assert (top.address, top.packets, top.tx_packets, top.rx_packets) == ("10.0.0.1", 4, 3, 1)
    conv = s.conversations[0]
    assert (conv.a, conv.b, conv.packets, conv.a_to_b, conv.b_to_a) == (
        "10.0.0.1",
        "10.0.0.2",
        3,
        2,
        1,
    )
    assert conv.duration == pytest.approx(2.0)
    flow = s.flows[0]
    assert (flow.proto, flow.a, flow.a_port, flow.b, flow.b_port, flow.packets) == (
        "tcp",
        "10.0.0.1",
        1000,
        "10.0.0.2",
        80,
        3,
    )


def test_convert_round_trips(cap: Path, tmp_path: Path) -> None:
    base = columns(cap)
    ng = convert_file(cap, tmp_path / "t.pcapng")
    assert (ng.format, ng.frames) == ("pcapng", 6)
    assert (
        columns(tmp_path / "t.pcapng")
        .drop_columns(["interface"])
        .equals(base.drop_columns(["interface"]))
    )
    convert_file(tmp_path / "t.pcapng", tmp_path / "back.pcap")
    assert columns(tmp_path / "back.pcap").equals(base)
    pq = convert_file(cap, tmp_path / "t.parquet", with_data=True)
    assert pq.frames == 6
    assert run_query(tmp_path / "t.parquet", "SELECT count(*) AS n FROM packets").to_pylist() == [
        {"n": 6}
    ]
    convert_file(tmp_path / "t.parquet", tmp_path / "again.pcap")
    assert (tmp_path / "again.pcap").read_bytes() == cap.read_bytes()
    convert_file(cap, tmp_path / "nodata.parquet")
    with pytest.raises(ConfigError, match="with-data"):
        convert_file(tmp_path / "nodata.parquet", tmp_path / "x.pcap")


def test_convert_refuses_mixed_linktypes_into_pcap(tmp_path: Path) -> None:
    src = tmp_path / "mixed.pcapng"
    src.write_bytes(
        cf.pcapng(
            [("<", [(1, 9), (101, 9)], [(0, 1, cf.eth(b"", 0x0806)), (1, 2, cf.ipv4(b"", 17))])]
        )
    )
    with pytest.raises(ConfigError, match="link type"):
        convert_file(src, tmp_path / "out.pcap")


def test_format_of() -> None:
    assert [format_of(n) for n in ("a.pcap", "a.pcap.gz", "b.pcapng", "c.parquet", "d.cap")] == [
        "pcap",
        "pcap",
        "pcapng",
        "parquet",
        "pcap",
    ]
    with pytest.raises(ConfigError):
        format_of("x.txt")


def test_plot_writes_png(cap: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from wirekit.packet.plot import plot as run_plot

    out = tmp_path / "p.png"
    summary = run_plot(cap, out, buckets=10)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        summary["frames"] == 6
        and summary["protocols"]["tcp"] == 3
        and summary["protocols"]["dns"] == 1
    )


# dask 2026.8 calls a pandas 3.1-deprecated API inside read_parquet: not ours.
@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_dataset_and_dask_local_cluster(tmp_path: Path) -> None:
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    from wirekit.packet.dataset import build_dataset, dask_query

    caps = tmp_path / "caps"
    (caps / "sub").mkdir(parents=True)
    (caps / "one.pcap").write_bytes(cf.pcap(_traffic()))
    (caps / "sub" / "two.pcapng").write_bytes(
        cf.pcapng([("<", [(1, 9)], [(0, T0, f) for _, f in _traffic()[:3]])])
    )
    ds = build_dataset(caps, tmp_path / "ds")
    assert (ds.captures, ds.frames) == (2, 9)
    # DuckDB reads the dataset with its hive partition column
    t = run_query(
        tmp_path / "ds", "SELECT capture, count(*) AS n FROM packets GROUP BY 1 ORDER BY 1"
    )
    assert t.to_pylist() == [{"capture": "one", "n": 6}, {"capture": "two", "n": 3}]
    sql = "SELECT src, count(*) AS n FROM packets WHERE src IS NOT NULL GROUP BY src"
    reduce = (
        "SELECT src, CAST(sum(n) AS BIGINT) AS n FROM results GROUP BY src ORDER BY n DESC, src"
    )
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        got = dask_query(tmp_path / "ds", sql, address=client, reduce=reduce).to_pylist()
    assert got[0] == {"src": "10.0.0.1", "n": 5}
    assert {r["src"]: r["n"] for r in got} == {"10.0.0.1": 5, "10.0.0.2": 2, "fe80::1": 1}
    assert dask_query(tmp_path / "ds", sql, reduce=reduce).to_pylist() == got


def test_cli_commands(cap: Path, tmp_path: Path) -> None:
    r = CliRunner()
    res = r.invoke(
        query,
        [
            str(cap),
            "SELECT src, count(*) AS n FROM packets WHERE src IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0] == {"src": "10.0.0.1", "n": 3}
    res = r.invoke(query, [str(cap), "SELECT frame FROM packets", "--max-rows", "2"])
    assert res.exit_code == 0 and "4 more rows" in res.output
    res = r.invoke(
        query,
        [str(cap), "SELECT frame, ts FROM packets", "--json", "--out", str(tmp_path / "r.csv")],
    )
    assert res.exit_code == 0 and (tmp_path / "r.csv").read_text().count("\n") == 7
    res = r.invoke(stats, [str(cap), "--json", "--top", "1"])
    data = json.loads(res.output)
    assert (
        data["frames"] == 6
        and data["endpoints"][0]["address"] == "10.0.0.1"
        and len(data["flows"]) == 1
    )
    res = r.invoke(stats, [str(cap), "--section", "hierarchy"])
    assert (
        res.exit_code == 0 and "eth:ipv4:udp:dns" in res.output and "Top talkers" not in res.output
    )
    res = r.invoke(convert, [str(cap), str(tmp_path / "c.parquet"), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["frames"] == 6
    res = r.invoke(plot, [str(cap), "--out", str(tmp_path / "c.png"), "--json"])
    assert res.exit_code == 0 and (tmp_path / "c.png").exists()
    res = r.invoke(query, [str(cap), "SELEC"])
    assert isinstance(res.exception, ConfigError)


def test_cli_help() -> None:
    for cmd in (query, stats, convert, plot):
        res = CliRunner().invoke(cmd, ["--help"])
        assert res.exit_code == 0 and "--json" in res.output


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_cli_query_dask_local(cap: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    from wirekit.packet.dataset import build_dataset

    caps = tmp_path / "caps"
    caps.mkdir()
    (caps / "a.pcap").write_bytes(cap.read_bytes())
    (caps / "b.pcap").write_bytes(cap.read_bytes())
    build_dataset(caps, tmp_path / "ds")
    res = CliRunner().invoke(
        query,
        [
            str(tmp_path / "ds"),
            "--dask",
            "local",
            "SELECT dport FROM packets WHERE dport = 53",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == [{"dport": 53}, {"dport": 53}]
    res = CliRunner().invoke(convert, [str(caps), str(tmp_path / "ds2"), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["frames"] == 12


def test_dask_query_needs_parquet(cap: Path) -> None:
    pytest.importorskip("dask.dataframe")
    from wirekit.packet.dataset import dask_query

    with pytest.raises(ConfigError, match="not Parquet"):
        dask_query(cap, "SELECT 1")


def test_empty_capture_everywhere(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from wirekit.packet.plot import plot as run_plot

    empty = tmp_path / "empty.pcap"
    empty.write_bytes(cf.pcap([]))
    assert columns(empty).num_rows == 0
    s = capture_stats(empty)
    assert (s.frames, s.hierarchy, s.endpoints, s.start) == (0, [], [], None)
    assert run_plot(empty, tmp_path / "e.png")["frames"] == 0
    assert convert_file(empty, tmp_path / "e.parquet").frames == 0
    assert convert_file(empty, tmp_path / "e.pcapng").frames == 0
    assert run_query(tmp_path / "e.parquet", "SELECT count(*) AS n FROM packets").to_pylist() == [
        {"n": 0}
    ]


def test_query_folder_without_parquet_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "a.pcap").write_bytes(cf.pcap(_traffic()))
    with pytest.raises(ConfigError, match="pkt convert"):
        run_query(tmp_path, "SELECT 1")
