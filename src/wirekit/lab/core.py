"""Run a set of lab services on one event loop, in-process (``Lab``) or on a background thread (``LabThread``)."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from ..streams.certs import make_test_tls
from .registry import SERVICES, service_class
from .service import LabContext, LabService, ServiceInfo, Tour, TourRow


class Lab:
    """Start ``services`` (names from :data:`SERVICES`) on the running loop; stop them in reverse.

    ``ports`` maps a service name to a fixed port (0 or absent: ephemeral). ``options`` maps a
    service name to keyword options for that service.
    """

    def __init__(
        self,
        services: Iterable[str] | None = None,
        *,
        host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
        workdir: Path | None = None,
        options: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.names = list(services) if services is not None else list(SERVICES)
        for name in self.names:
            service_class(name)  # fail early, with the list of known services
        self.host = host
        self.ports = dict(ports or {})
        self.options = dict(options or {})
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.workdir = workdir
        self.services: dict[str, LabService] = {}

    async def __aenter__(self) -> Lab:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start every service in order. If one fails, stop those already started, then raise."""
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="wirekit-lab-")
            self.workdir = Path(self._tmp.name)
        tls = await asyncio.to_thread(make_test_tls, self.workdir / "tls")
        ctx = LabContext(host=self.host, workdir=self.workdir, tls=tls)
        try:
            for name in self.names:
                svc = service_class(name)(
                    ctx, self.ports.get(name, 0), **self.options.get(name, {})
                )
                await svc.start()
                self.services[name] = svc
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop services in reverse start order; errors in one never skip the others."""
        for name in reversed(list(self.services)):
            try:
                await self.services[name].stop()
            except Exception:  # stopping must continue for the rest
                pass
        self.services.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self.workdir = None

    def info(self) -> list[ServiceInfo]:
        """Endpoints and credentials of every running service."""
        return [svc.info for svc in self.services.values()]


class LabThread:
    """A :class:`Lab` on its own event loop in a daemon thread, for blocking code and pytest.

    ``with LabThread(["echo"]) as lab: lab.services["echo"].info``.
    """

    def __init__(self, services: Iterable[str] | None = None, **kwargs: Any) -> None:
        self.lab = Lab(services, **kwargs)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def services(self) -> dict[str, LabService]:
        return self.lab.services

    def info(self) -> list[ServiceInfo]:
        return self.lab.info()

    def start(self, timeout: float = 60.0) -> None:
        """Start the loop thread and the services; raise what starting raised."""
        from ..runtime.loop import new_event_loop

        self.loop = new_event_loop()
        ready = threading.Event()

        def runner() -> None:
            assert self.loop is not None
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(ready.set)
            self.loop.run_forever()

        self._thread = threading.Thread(target=runner, name="wirekit-lab", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self.call(self.lab.start(), timeout=timeout)
        except BaseException:
            self.stop()
            raise

    def call(self, coro: Any, timeout: float | None = 60.0) -> Any:
        """Run a coroutine on the lab's loop and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is None:
            return
        try:
            if self.loop.is_running():
                self.call(self.lab.stop(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            if self._thread is not None:
                self._thread.join(10)
            self.loop.close()
            self.loop = None

    def tour(self) -> list[TourRow]:
        """Run every service's tour steps from this (caller's) thread."""
        rows: list[TourRow] = []
        for name, svc in self.lab.services.items():
            tour = Tour(name, rows)
            try:
                svc.tour(tour)
            except Exception as exc:  # a broken tour method is itself a failed row
                rows.append(TourRow(name, "tour", False, 0.0, f"{type(exc).__name__}: {exc}"))
        return rows

    def __enter__(self) -> LabThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
