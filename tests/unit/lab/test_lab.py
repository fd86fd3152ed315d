"""The lab: services start on ephemeral ports, the tour passes, `lab up` writes its state, fixtures work."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

import wirekit
from wirekit.errors import ConfigError
from wirekit.lab import LabThread


def test_echo_tour_rows_all_ok() -> None:
    with LabThread(["echo"]) as lab:
        rows = lab.tour()
    assert [r.operation for r in rows] == [
        "tcp echo (sync)",
        "tcp echo (async)",
        "udp echo",
        "tls echo (verified by test CA)",
    ]
    assert all(r.ok for r in rows), rows


def test_tour_reports_a_failure_as_a_row() -> None:
    with LabThread(["echo"]) as lab:
        svc = lab.services["echo"]
        lab.call(svc.servers["tcp"].stop(0.1))  # break one service behind the tour's back
        rows = lab.tour()
    failed = [r for r in rows if not r.ok]
    assert (
        failed and failed[0].operation.startswith("tcp echo") and "ConnectError" in failed[0].detail
    )


def test_unknown_service_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="known: echo"):
        LabThread(["nope"])


def test_echo_server_fixture(echo_server) -> None:
    with wirekit.connect(echo_server.info.endpoints["tcp"], timeout=5) as s:
        s.send_line(b"fixture")
        assert s.recv_line() == b"fixture"


def test_lab_up_writes_state_and_stops_on_sigterm(tmp_path) -> None:
    state = tmp_path / "lab.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "wirekit", "lab", "up", "echo", "--state", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            if state.exists() and state.stat().st_size:
                break
            time.sleep(0.05)
        info = json.loads(state.read_text())
        assert info[0]["name"] == "echo"
        with wirekit.connect(info[0]["endpoints"]["tcp"], timeout=5) as s:
            s.send_line(b"up")
            assert s.recv_line() == b"up"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
