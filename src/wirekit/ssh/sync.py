"""SSHClient and SFTP: blocking facades over the async client, on ONE private event-loop thread.

asyncssh is async-only, so this is the one place wirekit runs a sync API as a thread portal
(DESIGN.md allows it for async-only engines). Each :class:`SSHClient` owns a daemon thread
running its loop; no gevent, no monkey-patching, no global loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine, Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

from ..errors import ClosedStreamError, Timeout
from .client import AsyncSSHClient, LineCallback
from .inventory import Target
from .options import EngineOptions, SSHOptions
from .results import CommandResult, OutputLine

__all__ = ["SFTP", "Portal", "SSHClient"]

T = TypeVar("T")


class Portal:
    """An event loop on a private daemon thread; ``call(coro)`` runs a coroutine there and waits."""

    def __init__(self, name: str = "wirekit-ssh") -> None:
        from ..runtime.loop import new_event_loop

        self.loop = new_event_loop()
        ready = threading.Event()

        def runner() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(ready.set)
            self.loop.run_forever()

        self._thread = threading.Thread(target=runner, name=name, daemon=True)
        self._thread.start()
        ready.wait()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the portal loop; block until done.

        Raises:
            whatever the coroutine raised; Timeout if ``timeout`` (a backstop) passes.
            ClosedStreamError: the portal was closed.
        """
        if self.loop.is_closed():
            coro.close()
            raise ClosedStreamError("the SSH client's event loop is closed")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(
                "blocking SSHClient call from its own loop thread; use AsyncSSHClient there"
            )
        fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            if fut.done():
                raise  # the coroutine itself raised a TimeoutError (e.g. ReadTimeout)
            fut.cancel()
            raise Timeout(f"no answer within {timeout}s") from None

    def close(self) -> None:
        """Cancel what still runs on the loop, stop it and join the thread (idempotent)."""
        if self.loop.is_closed():
            return

        async def shutdown() -> None:
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=2)
            await asyncio.sleep(0)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        except (concurrent.futures.TimeoutError, RuntimeError):
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            try:
                self.loop.close()
            except (
                OSError
            ):  # uvloop refuses while child-process handles linger; the thread is gone anyway
                pass


class SSHClient:
    """Blocking twin of :class:`AsyncSSHClient` (same arguments, same results).

    ``with SSHClient("host", password="pw") as c: print(c.run("uname -a").stdout)``.
    """

    def __init__(
        self,
        host: str | Target,
        *,
        options: SSHOptions | None = None,
        prepared: EngineOptions | None = None,
        portal: Portal | None = None,
        **option_fields: Any,
    ) -> None:
        self._async = AsyncSSHClient(host, options=options, prepared=prepared, **option_fields)
        self._own_portal = portal is None
        self._portal = portal or Portal(f"wirekit-ssh-{self._async.host}")

    @property
    def host(self) -> str:
        return self._async.host

    @property
    def aclient(self) -> AsyncSSHClient:
        """The async client underneath (use it only from :attr:`portal`'s loop)."""
        return self._async

    @property
    def portal(self) -> Portal:
        return self._portal

    def connect(self) -> SSHClient:
        """Connect and authenticate. Raises as :meth:`AsyncSSHClient.connect`."""
        self._portal.call(self._async.connect())
        return self

    def __enter__(self) -> SSHClient:
        try:
            return self.connect()
        except BaseException:
            self.close()  # no loop thread left behind by a failed ``with``
            raise

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection and (if owned) the loop thread."""
        if not self._portal.loop.is_closed():
            try:
                self._portal.call(self._async.aclose(), timeout=10)
            except Timeout:
                pass
        if self._own_portal:
            self._portal.close()

    def run(
        self,
        command: str,
        *,
        timeout: float | None = None,
        check: bool = False,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        encoding: str | None = "utf-8",
        on_line: LineCallback | None = None,
    ) -> CommandResult:
        """Run a command; see :meth:`AsyncSSHClient.run` (same Raises).

        ``on_line`` is called on the client's loop thread.
        """
        return self._portal.call(
            self._async.run(
                command,
                timeout=timeout,
                check=check,
                env=env,
                stdin=stdin,
                encoding=encoding,
                on_line=on_line,
            )
        )

    def stream(
        self,
        command: str,
        *,
        timeout: float | None = None,
        check: bool = False,
        env: Mapping[str, str] | None = None,
        encoding: str | None = "utf-8",
    ) -> Iterator[OutputLine]:
        """Yield output lines as they arrive (blocking iterator). Raises as :meth:`run`."""
        import queue

        q: queue.SimpleQueue[OutputLine | None] = queue.SimpleQueue()
        fut = asyncio.run_coroutine_threadsafe(
            self._async.run(
                command,
                timeout=timeout,
                check=check,
                env=env,
                encoding=encoding,
                on_line=lambda s, t: q.put(OutputLine(s, t)),
            ),
            self._portal.loop,
        )
        fut.add_done_callback(lambda _f: q.put(None))
        try:
            while (item := q.get()) is not None:
                yield item
            fut.result()
        finally:
            if not fut.done():
                fut.cancel()

    def run_many(
        self, commands: list[str], *, timeout: float | None = None, check: bool = False
    ) -> list[CommandResult]:
        """Run several commands at once, each on its own channel of this one connection."""

        async def all_() -> list[CommandResult]:
            return list(
                await asyncio.gather(
                    *(self._async.run(c, timeout=timeout, check=check) for c in commands)
                )
            )

        return self._portal.call(all_())

    def sftp(self) -> SFTP:
        """A blocking SFTP session. Raises as :meth:`AsyncSSHClient.sftp`."""
        return SFTP(self._portal.call(self._async.sftp()), self._portal)

    def forward_local(
        self, listen_port: int, dest_host: str, dest_port: int, *, listen_host: str = "127.0.0.1"
    ) -> Any:
        """``ssh -L`` (runs on the client's loop until closed); returns a Forward."""
        return _SyncForward(
            self._portal.call(
                self._async.forward_local(
                    listen_port, dest_host, dest_port, listen_host=listen_host
                )
            ),
            self._portal,
        )

    def forward_remote(
        self, listen_port: int, dest_host: str, dest_port: int, *, listen_host: str = "127.0.0.1"
    ) -> Any:
        """``ssh -R``; returns a Forward."""
        return _SyncForward(
            self._portal.call(
                self._async.forward_remote(
                    listen_port, dest_host, dest_port, listen_host=listen_host
                )
            ),
            self._portal,
        )

    def forward_socks(self, listen_port: int, *, listen_host: str = "127.0.0.1") -> Any:
        """``ssh -D``; returns a Forward."""
        return _SyncForward(
            self._portal.call(self._async.forward_socks(listen_port, listen_host=listen_host)),
            self._portal,
        )


class _SyncForward:
    def __init__(self, fwd: Any, portal: Portal) -> None:
        self._fwd = fwd
        self._portal = portal

    @property
    def port(self) -> int:
        return int(self._fwd.port)

    def close(self) -> None:
        self._portal.call(self._fwd.aclose())

    def __enter__(self) -> _SyncForward:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SFTP:
    """Blocking twin of :class:`~wirekit.ssh.sftp.AsyncSFTP`: every method has the same name."""

    def __init__(self, asftp: Any, portal: Portal) -> None:
        self._a = asftp
        self._portal = portal

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._a, name)
        if not callable(attr) or not asyncio.iscoroutinefunction(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._portal.call(attr(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = attr.__doc__
        return call

    def close(self) -> None:
        self._portal.call(self._a.aclose())

    def __enter__(self) -> SFTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
