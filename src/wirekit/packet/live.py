"""Live traffic on Linux: send and sniff through AF_PACKET raw sockets (root or CAP_NET_RAW).

BPF filters are compiled by running ``tcpdump -ddd`` (libpcap's compiler, out of process)
and attached with ``SO_ATTACH_FILTER``, so the kernel drops unwanted packets before Python
sees them. Sockets are persistent (one per ``Sniffer``/``Sender``), unlike a socket per call.
``netns=`` opens the socket inside a named network namespace (``ip netns add NAME``): a
socket stays in the namespace it was created in, so only its creation runs in a helper
thread that has joined the namespace (``setns(2)`` acts per thread).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import select
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import ConfigError, ReadTimeout, TransportError
from . import linktype
from .layer import Layer
from .match import answers
from .record import Record

ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
CLONE_NEWNET = 0x40000000
PACKET_OUTGOING = 4

T = TypeVar("T")


def compile_bpf(expression: str, link: int = linktype.EN10MB) -> list[tuple[int, int, int, int]]:
    """Compile a tcpdump filter expression to classic BPF with ``tcpdump -ddd``.

    Raises:
        ConfigError: tcpdump is missing or rejects the expression.
    """
    tcpdump = shutil.which("tcpdump") or (
        "/usr/sbin/tcpdump" if os.path.exists("/usr/sbin/tcpdump") else None
    )
    if tcpdump is None:
        raise ConfigError("BPF filters are compiled with tcpdump -ddd; install tcpdump")
    lt = linktype.name(link)
    proc = subprocess.run(
        [tcpdump, "-ddd", "-y", lt, expression],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    if proc.returncode != 0:
        raise ConfigError(f"bad BPF filter {expression!r}: {proc.stderr.strip()}")
    lines = [ln for ln in proc.stdout.split("\n") if ln.strip()]
    n = int(lines[0])
    prog = [tuple(int(x) for x in ln.split()) for ln in lines[1 : 1 + n]]
    return prog  # type: ignore[return-value]


def attach_bpf(sock: socket.socket, program: list[tuple[int, int, int, int]]) -> None:
    """Attach a classic BPF program (from :func:`compile_bpf`) to ``sock``."""
    insns = b"".join(struct.pack("HBBI", code, jt, jf, k) for code, jt, jf, k in program)
    buf = ctypes.create_string_buffer(insns)
    fprog = struct.pack("HL", len(program), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def in_netns(netns: str | None, fn: Callable[[], T]) -> T:
    """Run ``fn`` in network namespace ``netns`` (a name under /var/run/netns or a path).

    Raises:
        ConfigError: no such namespace, or setns(2) refused.
    """
    if netns is None:
        return fn()
    path = netns if "/" in netns else f"/var/run/netns/{netns}"
    result: list[Any] = []

    def run() -> None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            fd = os.open(path, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise ConfigError(f"setns({path}) failed: {os.strerror(err)}")
            finally:
                os.close(fd)
            result.append((True, fn()))
        except BaseException as exc:  # handed to the caller's thread
            result.append((False, exc))

    t = threading.Thread(target=run, name=f"wirekit-netns-{netns}")
    t.start()
    t.join()
    ok, value = result[0]
    if not ok:
        if isinstance(value, FileNotFoundError):
            raise ConfigError(f"no network namespace {netns!r} ({path})") from value
        raise value
    return value  # type: ignore[no-any-return]


def _open(iface: str, netns: str | None, bpf: str | None, proto: int = ETH_P_ALL) -> socket.socket:
    program = compile_bpf(bpf) if bpf else None

    def make() -> socket.socket:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        try:
            if program is not None:
                attach_bpf(s, program)
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            s.bind((iface, proto))
        except OSError:
            s.close()
            raise
        return s

    try:
        return in_netns(netns, make)
    except PermissionError as exc:
        raise ConfigError("raw sockets need root or CAP_NET_RAW") from exc
    except OSError as exc:
        raise ConfigError(f"cannot open a raw socket on {iface!r}: {exc.strerror}") from exc


def _drain(sock: socket.socket) -> None:
    """Drop what arrived before the filter was attached (the kernel queues from socket())."""
    sock.setblocking(False)
    try:
        while True:
            sock.recv(65535)
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        sock.setblocking(True)


@dataclass
class Captured:
    """One sniffed frame: its record (Ethernet link type) and the direction it went."""

    record: Record
    outgoing: bool

    def packet(self) -> Layer:
        """The frame dissected as Ethernet."""
        return Layer.parse(self.record.data, linktype=self.record.linktype)


class Sniffer:
    """A persistent capture socket on ``iface``: ``recv(timeout=)`` one frame, or iterate.

    Raises:
        ConfigError: not root, no such interface/namespace, or a bad filter.
    """

    def __init__(
        self,
        iface: str,
        *,
        filter: str | None = None,
        netns: str | None = None,
        snaplen: int = 262144,
    ) -> None:
        self.iface = iface
        self.snaplen = snaplen
        self.sock = _open(iface, netns, filter)
        if filter:
            _drain(self.sock)

    def recv(self, timeout: float | None = None) -> Captured:
        """The next frame.

        Raises:
            ReadTimeout: nothing arrived in time.
        """
        if timeout is not None:
            r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
            if not r:
                raise ReadTimeout("no packet before the timeout")
        data, anc, _flags, addr = self.sock.recvmsg(self.snaplen, socket.CMSG_SPACE(16))
        return self._captured(data, anc, addr)

    def _captured(self, data: bytes, anc: list[tuple[int, int, bytes]], addr: Any) -> Captured:
        ts = 0
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(value) >= 16:
                sec, nsec = struct.unpack("qq", value[:16])
                ts = sec * 1_000_000_000 + nsec
        if not ts:
            ts = time.time_ns()
        return Captured(Record(ts, linktype.EN10MB, data, len(data), 0), addr[2] == PACKET_OUTGOING)

    def __iter__(self) -> Iterator[Captured]:
        while True:
            yield self.recv()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Sniffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bytes(p: Layer | bytes) -> bytes:
    return bytes(p) if not isinstance(p, bytes) else p


class Sender:
    """A persistent AF_PACKET socket to send whole frames (``sendp``) on ``iface``."""

    def __init__(self, iface: str, *, netns: str | None = None) -> None:
        self.sock = _open(iface, netns, None, proto=0)

    def send(self, frame: Layer | bytes) -> int:
        """Send one frame; returns its length.

        Raises:
            TransportError: the kernel refused it.
        """
        try:
            return self.sock.send(_bytes(frame))
        except OSError as exc:
            raise TransportError(f"send failed: {exc.strerror}") from exc

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sendp(
    frames: Layer | bytes | Iterable[Layer | bytes],
    iface: str,
    *,
    count: int = 1,
    netns: str | None = None,
) -> int:
    """Send link-layer frame(s) ``count`` times on ``iface`` through one socket; returns frames sent.

    Raises:
        ConfigError: not root or no such interface.
        TransportError: the kernel refused a frame.
    """
    items = [frames] if isinstance(frames, (Layer, bytes)) else list(frames)
    raw = [_bytes(f) for f in items]
    n = 0
    with Sender(iface, netns=netns) as s:
        for _ in range(count):
            for f in raw:
                s.send(f)
                n += 1
    return n


def send(
    packets: Layer | Iterable[Layer],
    *,
    iface: str | None = None,
    count: int = 1,
    netns: str | None = None,
) -> int:
    """Send IP packet(s) through the kernel's routing (raw IPPROTO_RAW sockets); returns sent.

    Raises:
        ConfigError: not root, or not an IP packet.
        TransportError: the kernel refused a packet.
    """
    from .layers.inet import IPv4
    from .layers.inet6 import IPv6

    items = [packets] if isinstance(packets, Layer) else list(packets)

    def make(family: int) -> socket.socket:
        s = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_RAW)
        if iface:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        return s

    socks: dict[int, socket.socket] = {}
    n = 0
    try:
        for _ in range(count):
            for p in items:
                ip = p.get(IPv4) or p.get(IPv6)
                if ip is None:
                    raise ConfigError("send() needs an IPv4 or IPv6 packet; use sendp() for frames")
                fam = socket.AF_INET if isinstance(ip, IPv4) else socket.AF_INET6
                if fam not in socks:
                    try:
                        socks[fam] = in_netns(netns, lambda f=fam: make(f))  # type: ignore[misc]
                    except PermissionError as exc:
                        raise ConfigError("raw sockets need root or CAP_NET_RAW") from exc
                try:
                    socks[fam].sendto(bytes(ip), (ip.dst, 0))
                except OSError as exc:
                    raise TransportError(f"send failed: {exc.strerror}") from exc
                n += 1
    finally:
        for s in socks.values():
            s.close()
    return n


def sniff(
    iface: str,
    *,
    count: int = 0,
    timeout: float | None = None,
    filter: str | None = None,
    netns: str | None = None,
    prn: Callable[[Captured], object] | None = None,
    lfilter: Callable[[Layer], bool] | None = None,
    writer: Any = None,
    store: bool = True,
    started: threading.Event | None = None,
) -> list[Captured]:
    """Capture on ``iface`` until ``count`` frames (0: no limit) or ``timeout`` seconds pass.

    ``filter`` is a BPF expression (compiled by ``tcpdump -ddd``); ``lfilter`` a Python
    predicate on the parsed packet; ``writer`` a PcapNgWriter/PcapWriter to record to;
    ``started`` is set once the socket is listening (so a test can send afterwards).

    Raises:
        ConfigError: not root, no such interface/namespace, or a bad filter.
    """
    out: list[Captured] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    n = 0
    with Sniffer(iface, filter=filter, netns=netns) as s:
        if started is not None:
            started.set()
        while not count or n < count:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            try:
                c = s.recv(timeout=left if left is not None else None)
            except ReadTimeout:
                break
            if lfilter is not None and not lfilter(c.packet()):
                continue
            n += 1
            if writer is not None:
                writer.write_record(c.record)
            if prn is not None:
                prn(c)
            if store:
                out.append(c)
    return out


async def asniff(
    iface: str,
    *,
    count: int = 0,
    timeout: float | None = None,
    filter: str | None = None,
    netns: str | None = None,
) -> AsyncIterator[Captured]:
    """Async twin of :func:`sniff`: yields frames as they arrive, on the running loop.

    Raises:
        ConfigError: not root, no such interface/namespace, or a bad filter.
    """
    loop = asyncio.get_running_loop()
    s = Sniffer(iface, filter=filter, netns=netns)
    s.sock.setblocking(False)
    queue: asyncio.Queue[Captured] = asyncio.Queue()

    def readable() -> None:
        while True:
            try:
                data, anc, _f, addr = s.sock.recvmsg(s.snaplen, socket.CMSG_SPACE(16))
            except (BlockingIOError, InterruptedError):
                return
            queue.put_nowait(s._captured(data, anc, addr))

    loop.add_reader(s.sock.fileno(), readable)
    deadline = None if timeout is None else loop.time() + timeout
    n = 0
    try:
        while not count or n < count:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return
            try:
                c = await asyncio.wait_for(queue.get(), left)
            except TimeoutError:
                return
            n += 1
            yield c
    finally:
        loop.remove_reader(s.sock.fileno())
        s.close()


def sr1(
    packet: Layer,
    iface: str,
    *,
    timeout: float = 2.0,
    netns: str | None = None,
    filter: str | None = None,
    retry: int = 0,
) -> Layer | None:
    """Send a frame on ``iface`` and return the first frame that answers it (ICMP echo, TCP SYN,
    DNS, UDP, ARP; see :func:`~wirekit.packet.match.answers`), or None after ``timeout``.

    Raises:
        ConfigError: not root, no such interface/namespace, or a bad filter.
    """
    frame = bytes(packet)
    req = Layer.parse(frame, linktype=linktype.EN10MB)
    with Sniffer(iface, filter=filter, netns=netns) as sn:
        sender = sn.sock  # the same AF_PACKET socket can send on its interface
        for _ in range(retry + 1):
            sender.send(frame)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    c = sn.recv(timeout=left)
                except ReadTimeout:
                    break
                if c.outgoing:
                    continue
                resp = c.packet()
                if answers(req, resp):
                    return resp
    return None
