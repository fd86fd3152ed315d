"""The lab's ssh service: the pytest fixture, its credentials, and the tour rows."""

from __future__ import annotations

from wirekit.lab.service import Tour
from wirekit.ssh import SSHClient


def test_ssh_server_fixture_credentials(ssh_server):
    info = ssh_server.info
    assert info.endpoints["ssh"].startswith("ssh://wirekit@127.0.0.1:")
    creds = info.credentials
    with SSHClient(
        ssh_server.target,
        password=creds["password"],
        known_hosts=creds["known_hosts"],
        ssh_config=None,
        agent=False,
        key_files=[],
    ) as c:
        assert c.run("echo $USER").stdout == "wirekit\n"


def test_tour_rows_all_ok(ssh_server):
    tour = Tour("ssh")
    ssh_server.tour(tour)
    assert len(tour.rows) == 5
    assert all(r.ok for r in tour.rows), [(r.operation, r.detail) for r in tour.rows if not r.ok]
