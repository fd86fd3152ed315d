"""Helpers for HTTP unit tests: raw misbehaving servers and a driver that runs Client and AsyncClient alike."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class RawServer:
    """A TCP server on 127.0.0.1 that answers every connection with ``handler(conn)``.

    Used to play a broken HTTP server (garbage, truncation, silence) that no real server would be.
    """

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.handler = handler
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            self.handler(conn)
        except OSError:
            pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.thread.join(2)


def reply(data: bytes, *, hold: float = 0.0) -> Callable[[socket.socket], None]:
    """A handler that sends ``data`` then (optionally) keeps the socket open ``hold`` seconds."""

    def handler(conn: socket.socket) -> None:
        conn.sendall(data)
        if hold:
            threading.Event().wait(hold)
        conn.close()

    return handler


class Both:
    """Drive a Client or an AsyncClient with the same blocking calls, so one test covers both twins."""

    def __init__(self, kind: str, **options: object) -> None:
        import asyncio

        from wirekit.http import AsyncClient, Client

        self.kind = kind
        if kind == "sync":
            self.client: object = Client(**options)  # type: ignore[arg-type]
            self.loop = None
        else:
            self.loop = asyncio.new_event_loop()
            self.client = AsyncClient(**options)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Callable[..., object]:
        method = getattr(self.client, name)
        if self.loop is None or name in ("build_request", "cookies"):
            return method  # type: ignore[no-any-return]

        def call(*args: object, **kwargs: object) -> object:
            assert self.loop is not None
            return self.loop.run_until_complete(method(*args, **kwargs))

        return call

    def stream_lines(self, url: str, **kwargs: object) -> list[str]:
        if self.loop is None:
            with self.client.stream("GET", url, **kwargs) as r:  # type: ignore[attr-defined]
                return list(r.iter_lines())

        async def go() -> list[str]:
            async with self.client.stream("GET", url, **kwargs) as r:  # type: ignore[attr-defined]
                return [line async for line in r.aiter_lines()]

        assert self.loop is not None
        return self.loop.run_until_complete(go())

    def stream_bytes(
        self, url: str, chunk_size: int | None = None, **kwargs: object
    ) -> list[bytes]:
        if self.loop is None:
            with self.client.stream("GET", url, **kwargs) as r:  # type: ignore[attr-defined]
                return list(r.iter_bytes(chunk_size))

        async def go() -> list[bytes]:
            async with self.client.stream("GET", url, **kwargs) as r:  # type: ignore[attr-defined]
                return [c async for c in r.aiter_bytes(chunk_size)]

        assert self.loop is not None
        return self.loop.run_until_complete(go())

    def close(self) -> None:
        if self.loop is None:
            self.client.close()  # type: ignore[attr-defined]
        else:
            self.loop.run_until_complete(self.client.aclose())  # type: ignore[attr-defined]
            self.loop.close()
