"""The lab's ftp service: info and tour rows."""

from __future__ import annotations

from wirekit.lab.service import LabService, Tour


def test_lab_ftp_info_and_tour(ftp_server: LabService) -> None:
    info = ftp_server.info
    assert info.endpoints["ftp"].startswith("ftp://127.0.0.1:")
    assert info.credentials == {"wirekit": "wirekit", "reader": "reader"}
    tour = Tour("ftp")
    ftp_server.tour(tour)
    assert len(tour.rows) == 4
    assert all(r.ok for r in tour.rows), [(r.operation, r.detail) for r in tour.rows if not r.ok]


def test_lab_ftp_anonymous_option(wirekit_lab_factory) -> None:  # type: ignore[no-untyped-def]
    from wirekit.ftp.client import FTPClient

    svc = wirekit_lab_factory("ftp", anonymous=True)
    e = svc.info.extra
    with FTPClient(e["host"], e["port"], timeout=10) as c:  # anonymous / anonymous@
        assert "hello.txt" in {x.name for x in c.list("/")}
