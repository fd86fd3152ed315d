"""Data-connection modes: PASV when EPSV is refused, PORT when EPRT is refused, the passive range."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from wirekit.ftp.client import FTPClient
from wirekit.lab.service import LabService

sys.path.insert(0, str(Path(__file__).parents[2]))
from peerlib import free_port

DATA = os.urandom(300_001)


def test_pasv_fallback_path(ftp_server: LabService) -> None:
    e = ftp_server.info.extra
    with FTPClient(e["host"], e["port"], "wirekit", "wirekit", timeout=10) as c:
        c._epsv_ok = False  # as after a server answered 500 to EPSV: use PASV (227)
        c.write_bytes("pasv.bin", DATA)
        assert hashlib.sha256(c.read_bytes("pasv.bin")).digest() == hashlib.sha256(DATA).digest()
        assert "pasv.bin" in c.nlst("/")


def test_passive_port_range(wirekit_lab_factory: Callable[..., LabService]) -> None:
    lo = free_port()
    ports = range(lo, min(lo + 3, 65535) + 1)
    svc = wirekit_lab_factory("ftp", passive_ports=ports)
    e = svc.info.extra
    with socket.create_connection((e["host"], e["port"]), timeout=10) as s, s.makefile("rb") as f:
        f.readline()
        s.sendall(b"USER wirekit\r\nPASS wirekit\r\n")
        f.readline()
        f.readline()
        seen = set()
        for _ in range(3):
            s.sendall(b"EPSV\r\n")
            line = f.readline().decode()
            assert line.startswith("229 "), line
            seen.add(int(line.split("|")[3]))
        assert seen <= set(ports)
    with FTPClient(e["host"], e["port"], "wirekit", "wirekit", timeout=10) as c:
        c.write_bytes("r.bin", DATA)
        assert c.read_bytes("r.bin") == DATA


def test_port_fallback_path(ftp_server: LabService) -> None:
    e = ftp_server.info.extra
    with FTPClient(e["host"], e["port"], "wirekit", "wirekit", passive=False, timeout=10) as c:
        c._eprt_ok = False  # as after a server refused EPRT: PORT h1,h2,h3,h4,p1,p2
        c.write_bytes("port.bin", DATA)
        assert c.read_bytes("port.bin") == DATA


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback here")
def test_ipv6_epsv_eprt_and_tls() -> None:
    from wirekit.lab.core import LabThread

    with LabThread(["ftp"], host="::1") as lab:
        e = lab.services["ftp"].info.extra
        assert e["host"] == "::1"
        for passive in (True, False):  # EPSV, then EPRT |2|::1|port|
            with FTPClient(
                "::1", e["port"], "wirekit", "wirekit", passive=passive, timeout=10
            ) as c:
                c.write_bytes(f"v6-{passive}.bin", DATA)
                assert c.read_bytes(f"v6-{passive}.bin") == DATA
        with FTPClient(
            "::1", e["port"], "wirekit", "wirekit", tls="explicit", ca=e["ca"], timeout=10
        ) as c:
            assert c.read_bytes("v6-True.bin") == DATA
