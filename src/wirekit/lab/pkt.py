"""The lab's packet service: no server, just a workspace; its tour crafts, writes, reads and
queries a capture."""

from __future__ import annotations

from pathlib import Path

from .service import LabService, ServiceInfo, Tour


class PacketService(LabService):
    """A scratch directory for captures; the tour row exercises the whole packet engine."""

    name = "pkt"

    async def start(self) -> None:
        self.dir: Path = self.ctx.subdir("pkt")

    async def stop(self) -> None:
        return None

    @property
    def info(self) -> ServiceInfo:
        return ServiceInfo(self.name, {"captures": str(self.dir)})

    def tour(self, tour: Tour) -> None:
        from ..packet.capture import open_capture
        from ..packet.layer import Packet
        from ..packet.layers import DNS, DNSQR, DNSRR, ICMP, TCP, UDP, Ether, IPv4, IPv6
        from ..packet.pcapng import PcapNgWriter
        from ..packet.template import Template

        path = self.dir / "tour.pcapng"
        with tour.step("craft 1,000 frames, write pcapng") as row:
            tmpl = Template(
                Ether() / IPv4(src="10.0.0.1", dst="10.0.0.2") / TCP(dport=443, flags="S"),
                ["TCP.sport", "TCP.seq"],
            )
            extra = [
                Ether()
                / IPv4(src="10.0.0.1", dst="10.0.0.53")
                / UDP(sport=5353, dport=53)
                / DNS(id=1, qd=[DNSQR("lab.wirekit.", "A")]),
                Ether()
                / IPv4(src="10.0.0.53", dst="10.0.0.1")
                / UDP(sport=53, dport=5353)
                / DNS(
                    id=1,
                    qr=1,
                    qd=[DNSQR("lab.wirekit.", "A")],
                    an=[DNSRR("lab.wirekit.", "A", ttl=5, rdata="192.0.2.1")],
                ),
                Ether()
                / IPv6(src="2001:db8::1", dst="2001:db8::2")
                / UDP(sport=1, dport=2)
                / b"v6",
                Ether() / IPv4(src="10.0.0.2", dst="10.0.0.1") / ICMP(type=0, id=1, seq=1),
            ]
            with PcapNgWriter(str(path), comment="wirekit lab tour") as w:
                for i in range(996):
                    w.write(tmpl.build(1024 + i, i), 1_700_000_000_000_000_000 + i * 1_000_000)
                for j, p in enumerate(extra):
                    w.write(bytes(p), 1_700_000_001_000_000_000 + j)
            row.detail = f"{path.stat().st_size:,} bytes"
        with tour.step("read back and dissect") as row:
            packets = [Packet.parse(r.data, linktype=r.linktype) for r in open_capture(path)]
            syns = sum(1 for p in packets if TCP in p and p[TCP].flags == "S")
            answer = next(p[DNS] for p in packets if DNS in p and p[DNS].qr)
            if len(packets) != 1000 or syns != 996 or answer.an[0].rdata != "192.0.2.1":
                raise AssertionError(f"read {len(packets)} packets, {syns} SYNs")
            row.detail = f"{len(packets)} packets, {syns} SYN, DNS answer {answer.an[0].rdata}"
        with tour.step("SQL over the capture (DuckDB)") as row:
            try:
                import duckdb  # noqa: F401
                import pyarrow  # noqa: F401

                from ..packet import query as q
            except ImportError:
                row.detail = "skipped: install wirekit[analysis]"
                return
            table = q.query(
                path,
                "SELECT dport, count(*) AS n FROM packets GROUP BY dport ORDER BY n DESC LIMIT 1",
            )
            top = table.to_pylist()[0]
            if top["n"] != 996:
                raise AssertionError(f"top destination port {top}")
            row.detail = f"top dport {top['dport']}: {top['n']} packets"
