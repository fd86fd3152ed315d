"""Stream conformance checks: certify that a stream pair behaves like every wirekit stream.

``check_stream_pair(a, b)`` (blocking) and ``await acheck_stream_pair(a, b)`` (async) run the
same contract over two connected ends: ordered bytes both ways, every receive method,
timeouts that raise with ``.partial`` and lose nothing, line limits, EOF semantics and
use-after-close. Use them for your own transports too.
"""

from __future__ import annotations

import re
import threading

from ..errors import ClosedStreamError, IncompleteReadError, LineTooLong, ReadTimeout
from ..streams.aio import AsyncStream
from ..streams.blocking import Stream


def _expect(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(f"stream conformance: {what}")


def check_stream_pair(a: Stream, b: Stream, *, half_close: bool = True) -> None:
    """Run the blocking contract on connected ends ``a`` and ``b``; closes both at the end."""
    a.send_all(b"hello\r\nworld\nrest")
    _expect(b.recv_line() == b"hello", "recv_line strips CRLF")
    _expect(b.recv_line(keep=True) == b"world\n", "recv_line keep=True keeps the newline")
    try:
        b.recv_line(timeout=0.2)
        raise AssertionError("stream conformance: recv_line without a newline must time out")
    except ReadTimeout as exc:
        _expect(
            exc.partial == b"rest",
            f"ReadTimeout.partial carries buffered bytes (got {exc.partial!r})",
        )
    a.send_all(b"-tail;")
    _expect(b.recv_until(b";") == b"rest-tail;", "recv_until keeps data after a timeout")
    a.send_all(b"0123456789")
    _expect(b.recv_exactly(4) == b"0123", "recv_exactly")
    _expect(b.recv_exactly(6) == b"456789", "recv_exactly rest")
    a.send_line("prompt> ok")
    m = b.expect(re.compile(rb"prompt> (\w+)"))
    _expect(m.group(1) == b"ok", "expect returns the match")
    _expect(b.recv_line() == b"", "expect consumed through the match only")
    # Big payload both ways (more than one socket buffer), in order.
    payload = bytes(range(256)) * 4096
    sender = threading.Thread(target=a.send_all, args=(payload,))
    sender.start()
    _expect(b.recv_exactly(len(payload)) == payload, "1 MiB arrives intact and in order")
    sender.join()
    b.send_all(b"pong")
    _expect(a.recv_exactly(4) == b"pong", "the other direction")
    # Line limit.
    a.send_all(b"x" * 200)
    try:
        b.recv_line(max_size=100, timeout=2)
        raise AssertionError("stream conformance: an over-long line must raise LineTooLong")
    except LineTooLong:
        pass
    b.recv_exactly(200)
    if half_close:
        a.send_all(b"last")
        a.send_eof()
        _expect(b.recv_exactly(4) == b"last", "bytes before EOF")
        _expect(b.recv() == b"", "recv returns b'' at EOF")
        b.send_all(b"after-eof")
        _expect(a.recv_exactly(9) == b"after-eof", "half-close keeps the other direction open")
        try:
            b.recv_exactly(1)
            raise AssertionError("stream conformance: recv_exactly after EOF must raise")
        except IncompleteReadError:
            pass
    a.close()
    b.close()
    try:
        a.send_all(b"x")
        raise AssertionError("stream conformance: use after close must raise ClosedStreamError")
    except ClosedStreamError:
        pass


async def acheck_stream_pair(a: AsyncStream, b: AsyncStream, *, half_close: bool = True) -> None:
    """Run the async contract on connected ends ``a`` and ``b``; closes both at the end."""
    await a.send_all(b"hello\r\nworld\nrest")
    _expect(await b.recv_line() == b"hello", "recv_line strips CRLF")
    _expect(await b.recv_line(keep=True) == b"world\n", "recv_line keep=True keeps the newline")
    try:
        await b.recv_line(timeout=0.2)
        raise AssertionError("stream conformance: recv_line without a newline must time out")
    except ReadTimeout as exc:
        _expect(
            exc.partial == b"rest",
            f"ReadTimeout.partial carries buffered bytes (got {exc.partial!r})",
        )
    await a.send_all(b"-tail;")
    _expect(await b.recv_until(b";") == b"rest-tail;", "recv_until keeps data after a timeout")
    await a.send_all(b"0123456789")
    _expect(await b.recv_exactly(4) == b"0123", "recv_exactly")
    _expect(await b.recv_exactly(6) == b"456789", "recv_exactly rest")
    await a.send_line("prompt> ok")
    m = await b.expect(rb"prompt> (\w+)")
    _expect(m.group(1) == b"ok", "expect returns the match")
    _expect(await b.recv_line() == b"", "expect consumed through the match only")
    payload = bytes(range(256)) * 4096
    import asyncio

    sender = asyncio.ensure_future(a.send_all(payload))
    _expect(await b.recv_exactly(len(payload)) == payload, "1 MiB arrives intact and in order")
    await sender
    await b.send_all(b"pong")
    _expect(await a.recv_exactly(4) == b"pong", "the other direction")
    await a.send_all(b"x" * 200)
    try:
        await b.recv_line(max_size=100, timeout=2)
        raise AssertionError("stream conformance: an over-long line must raise LineTooLong")
    except LineTooLong:
        pass
    await b.recv_exactly(200)
    if half_close:
        await a.send_all(b"last")
        await a.send_eof()
        _expect(await b.recv_exactly(4) == b"last", "bytes before EOF")
        _expect(await b.recv() == b"", "recv returns b'' at EOF")
        await b.send_all(b"after-eof")
        _expect(
            await a.recv_exactly(9) == b"after-eof", "half-close keeps the other direction open"
        )
        try:
            await b.recv_exactly(1)
            raise AssertionError("stream conformance: recv_exactly after EOF must raise")
        except IncompleteReadError:
            pass
    await a.aclose()
    await b.aclose()
    try:
        await a.send_all(b"x")
        raise AssertionError("stream conformance: use after close must raise ClosedStreamError")
    except ClosedStreamError:
        pass
