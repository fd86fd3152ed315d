"""The lab's pkt service: its tour crafts, writes, reads and queries a capture."""

from __future__ import annotations

import asyncio

from wirekit.lab.core import Lab
from wirekit.lab.service import Tour


def test_pkt_tour_rows_all_pass() -> None:
    async def main() -> Tour:
        async with Lab(["pkt"]) as lab:
            tour = Tour("pkt")
            await asyncio.to_thread(lab.services["pkt"].tour, tour)
            assert lab.services["pkt"].info.endpoints["captures"]
            return tour

    tour = asyncio.run(main())
    assert [r.operation for r in tour.rows] == [
        "craft 1,000 frames, write pcapng",
        "read back and dissect",
        "SQL over the capture (DuckDB)",
    ]
    assert tour.ok, [(r.operation, r.detail) for r in tour.rows]
    assert "996 SYN" in tour.rows[1].detail
