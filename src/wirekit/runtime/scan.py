"""TCP connect scan: probe ports of one host with bounded concurrency and a connect-rate limit.

A port is ``open`` when the three-way handshake completes, ``closed`` when the host answers
with a RST (ECONNREFUSED), and ``filtered`` when nothing answers before the timeout or an
ICMP error (host/network unreachable) comes back, the same three states nmap's ``-sT`` uses.
Only scan hosts you are allowed to scan.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import ConfigError, ConnectError

__all__ = ["PortResult", "ScanReport", "atcp_scan", "parse_ports", "service_name", "tcp_scan"]

OPEN, CLOSED, FILTERED = "open", "closed", "filtered"

_MAX_PORT = 65535


@dataclass(frozen=True, slots=True)
class PortResult:
    """One probed port: its ``state`` (open, closed, filtered), service name and connect latency.

    ``service`` is looked up for open and filtered ports only (``None`` for closed ones).
    """

    port: int
    state: str
    service: str | None
    latency_ms: float | None
    reason: str


@dataclass(slots=True)
class ScanReport:
    """A whole scan: the target, every port's result (sorted by port) and the elapsed time."""

    host: str
    address: str
    results: list[PortResult] = field(default_factory=list)
    elapsed: float = 0.0

    def count(self, state: str) -> int:
        """How many ports ended in ``state``."""
        return sum(1 for r in self.results if r.state == state)

    @property
    def open_ports(self) -> list[int]:
        """The open port numbers, ascending."""
        return [r.port for r in self.results if r.state == OPEN]


def parse_ports(spec: str) -> list[int]:
    """Parse a ports list such as ``22,80,8000-8100`` (``-`` alone means 1-65535).

    Returns the distinct ports in ascending order.

    Raises:
        ConfigError: an empty list, a non-number, a reversed range or a port outside 1-65535.
    """
    text = spec.strip()
    if text == "-":
        return list(range(1, _MAX_PORT + 1))
    ports: set[int] = set()
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        lo_s, sep, hi_s = item.partition("-")
        try:
            lo = int(lo_s) if lo_s.strip() else 1
            hi = (int(hi_s) if hi_s.strip() else _MAX_PORT) if sep else lo
        except ValueError:
            raise ConfigError(
                f"bad port {item!r} in {spec!r}: expected N or N-M, comma-separated (e.g. 22,80,8000-8100)"
            ) from None
        if not (1 <= lo <= _MAX_PORT and 1 <= hi <= _MAX_PORT) or lo > hi:
            raise ConfigError(f"bad port range {item!r} in {spec!r}: ports are 1-65535, low-high")
        ports.update(range(lo, hi + 1))
    if not ports:
        raise ConfigError(f"no ports in {spec!r}: expected e.g. 22,80,8000-8100")
    return sorted(ports)


def service_name(port: int) -> str | None:
    """The registered TCP service name of ``port`` (from the system's services database)."""
    try:
        return socket.getservbyport(port, "tcp")
    except OSError:
        return None


async def _resolve(host: str) -> tuple[socket.AddressFamily, str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectError(f"cannot resolve {host!r}: {exc.strerror}", address=host) from exc
    except UnicodeError as exc:  # the IDNA codec refused the name (empty or over-long label)
        raise ConfigError(f"bad host name {host!r}: {exc}") from exc
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0])


async def _probe(
    loop: asyncio.AbstractEventLoop,
    family: socket.AddressFamily,
    address: str,
    port: int,
    timeout: float,
) -> tuple[str, float | None, str]:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
    began = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (address, port))
    except ConnectionRefusedError:
        return CLOSED, round((time.perf_counter() - began) * 1000, 3), "conn-refused"
    except TimeoutError:
        return FILTERED, None, "timeout"
    except OSError as exc:
        # ICMP unreachable and friends: something on the path refused to carry the SYN.
        return FILTERED, None, errno.errorcode.get(exc.errno or 0, "error").lower()
    finally:
        sock.close()
    return OPEN, round((time.perf_counter() - began) * 1000, 3), "syn-ack"


async def atcp_scan(
    host: str,
    ports: Iterable[int] | str,
    *,
    concurrency: int = 200,
    rate: float | None = None,
    timeout: float = 1.0,
    on_result: Callable[[PortResult], object] | None = None,
) -> ScanReport:
    """TCP connect scan of ``host``'s ``ports`` (a list or a spec like ``"1-1024"``).

    At most ``concurrency`` connects are in flight; with ``rate``, at most ``rate`` connects
    start per second. ``on_result`` is called as each port finishes (for progress bars).

    Raises:
        ConfigError: bad ports, concurrency, rate or host name.
        ConnectError: ``host`` does not resolve.
    """
    port_list: Sequence[int] = parse_ports(ports) if isinstance(ports, str) else sorted(set(ports))
    for p in port_list:
        if not 1 <= p <= _MAX_PORT:
            raise ConfigError(f"port {p} is outside 1-65535")
    if concurrency < 1:
        raise ConfigError(f"concurrency must be >= 1, got {concurrency}")
    if rate is not None and not rate > 0:
        raise ConfigError(f"rate must be > 0 connects per second, got {rate}")
    if not timeout > 0:
        raise ConfigError(f"timeout must be > 0, got {timeout}")
    loop = asyncio.get_running_loop()
    family, address = await _resolve(host)
    report = ScanReport(host=host, address=address)
    pending = iter(port_list)
    interval = 1.0 / rate if rate else 0.0
    next_slot = loop.time()

    async def worker() -> None:
        nonlocal next_slot
        for port in pending:
            if interval:
                # Token spacing: each connect takes the next free slot, so bursts never exceed the rate.
                now = loop.time()
                slot = max(now, next_slot)
                next_slot = slot + interval
                if slot > now:
                    await asyncio.sleep(slot - now)
            state, latency, reason = await _probe(loop, family, address, port, timeout)
            # The services lookup costs ~40 us (it reads /etc/services): skip it for closed ports.
            name = None if state == CLOSED else service_name(port)
            result = PortResult(port, state, name, latency, reason)
            report.results.append(result)
            if on_result is not None:
                on_result(result)

    began = loop.time()
    async with asyncio.TaskGroup() as tg:
        for _ in range(min(concurrency, len(port_list))):
            tg.create_task(worker())
    report.elapsed = loop.time() - began
    report.results.sort(key=lambda r: r.port)
    return report


def tcp_scan(
    host: str,
    ports: Iterable[int] | str,
    *,
    concurrency: int = 200,
    rate: float | None = None,
    timeout: float = 1.0,
    on_result: Callable[[PortResult], object] | None = None,
) -> ScanReport:
    """Blocking form of :func:`atcp_scan` (runs its own event loop).

    Raises:
        ConfigError: bad ports, concurrency, rate or host name.
        ConnectError: ``host`` does not resolve.
    """
    from .loop import run

    return run(
        atcp_scan(
            host, ports, concurrency=concurrency, rate=rate, timeout=timeout, on_result=on_result
        )
    )
