"""Helpers for interop tests: find real peer binaries, pick ports, wait for servers.

A missing peer skips the test visibly; under ``CI=true`` it fails instead, so CI can never
go green by skipping the interop suite.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str) -> str:
    """Absolute path of ``name`` (PATH and sbin dirs), or skip (fail under CI)."""
    path = shutil.which(name) or next(
        (str(Path(d) / name) for d in SBIN if (Path(d) / name).exists()), None
    )
    if path is None:
        msg = f"real peer {name!r} is not installed (run `make peers` as root)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        msg = f"{what} needs root"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """An unused 127.0.0.1 port (of the given socket type) at the time of asking."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_tcp(
    port: int,
    host: str = "127.0.0.1",
    timeout: float = 15.0,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    """Wait until something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(
                f"peer exited with {proc.returncode} before listening: {out[-2000:]}"
            )
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
