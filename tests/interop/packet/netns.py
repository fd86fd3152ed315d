"""Two network namespaces joined by a veth pair, created by a test and removed after it."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field

from peerlib import require_root, require_tool

PYTHON = sys.executable


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30, check=check)


@dataclass
class VethPair:
    """Namespaces ``a``/``b`` with interfaces ``if_a``/``if_b`` (10.200.0.1, 10.200.0.2; fd00:200::1/2)."""

    a: str
    b: str
    if_a: str
    if_b: str
    ip_a: str = "10.200.0.1"
    ip_b: str = "10.200.0.2"
    ip6_a: str = "fd00:200::1"
    ip6_b: str = "fd00:200::2"
    mac_a: str = ""
    mac_b: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, ns: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return sh("ip", "netns", "exec", ns, *args, check=check)

    def spawn(
        self, ns: str, *args: str, stderr: int | None = subprocess.PIPE
    ) -> subprocess.Popen[bytes]:
        p = subprocess.Popen(
            ["ip", "netns", "exec", ns, *args], stdout=subprocess.PIPE, stderr=stderr
        )
        self.procs.append(p)
        return p

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
            for s in (p.stdout, p.stderr):
                if s is not None:
                    s.close()
        sh("ip", "netns", "del", self.a, check=False)
        sh("ip", "netns", "del", self.b, check=False)


def make_pair() -> VethPair:
    require_root("network namespaces")
    require_tool("ip")
    tag = secrets.token_hex(3)
    pair = VethPair(a=f"wkp{tag}a", b=f"wkp{tag}b", if_a=f"wk{tag}a", if_b=f"wk{tag}b")
    try:
        sh("ip", "netns", "add", pair.a)
        sh("ip", "netns", "add", pair.b)
        sh(
            "ip",
            "link",
            "add",
            pair.if_a,
            "netns",
            pair.a,
            "type",
            "veth",
            "peer",
            "name",
            pair.if_b,
            "netns",
            pair.b,
        )
        for ns, ifname, ip4, ip6 in (
            (pair.a, pair.if_a, pair.ip_a, pair.ip6_a),
            (pair.b, pair.if_b, pair.ip_b, pair.ip6_b),
        ):
            sh("ip", "-n", ns, "addr", "add", f"{ip4}/24", "dev", ifname)
            sh("ip", "-n", ns, "addr", "add", f"{ip6}/64", "dev", ifname, "nodad")
            sh("ip", "-n", ns, "link", "set", ifname, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        pair.mac_a = _mac(pair.a, pair.if_a)
        pair.mac_b = _mac(pair.b, pair.if_b)
        # the link is up when a ping gets through (it also fills both neighbour caches)
        deadline = time.monotonic() + 10
        while pair.run(pair.a, "ping", "-c1", "-W1", pair.ip_b, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("veth pair did not come up")
    except BaseException:
        pair.close()
        raise
    return pair


def _mac(ns: str, ifname: str) -> str:
    out = sh("ip", "-n", ns, "-br", "link", "show", ifname).stdout.split()
    return out[2]
