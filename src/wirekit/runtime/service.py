"""Service lifecycle (start, ready, stop) and ServiceGroup, which starts many and stops them in reverse.

Rules of this module:

1. A service moves CREATED -> STARTING -> RUNNING -> STOPPING -> STOPPED (or FAILED). A
   stopped or failed service may be started again.
2. ``start()`` returns once the service is *ready*; ``stop()`` is idempotent and safe in any
   state. Both are serialised by one lock, so concurrent calls are safe.
3. A subclass overrides any of three hooks:

   * ``on_start()``: set up. If it raises, the service is FAILED and ``on_stop()`` is not
     called (``on_start`` cleans up after itself).
   * ``run()``: the long-running body, started as a task after ``on_start``. It calls
     ``self.set_ready()`` once it serves; ``start()`` waits for that (or for ``run`` to end).
     A service without ``run`` is ready when ``on_start`` returns. When ``run`` ends by
     itself (returning or raising), the service stops itself: ``on_stop`` runs and the state
     becomes STOPPED, or FAILED with the error kept in ``.error``.
   * ``on_stop()``: tear down. ``stop()`` first cancels ``run``, then calls ``on_stop``.

4. Errors aggregate: one error is raised as itself; several are raised together as an
   ``ExceptionGroup`` (``except*`` handles both shapes alike).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Iterable, Sequence
from types import TracebackType

__all__ = ["Service", "ServiceGroup", "ServiceState"]

log = logging.getLogger("wirekit.runtime.service")


class ServiceState(enum.Enum):
    """Where a :class:`Service` is in its lifecycle."""

    CREATED = "created"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


def aggregate(message: str, errors: Sequence[BaseException]) -> BaseException:
    """One error as itself (with ``message`` added as a note); several as an exception group."""
    if len(errors) == 1:
        errors[0].add_note(message)
        return errors[0]
    return BaseExceptionGroup(message, list(errors))


class Service:
    """A thing that starts, becomes ready, runs and stops, on an asyncio loop.

    Use it as ``await svc.start()`` / ``await svc.stop()`` or ``async with svc:``. See the
    module docstring for the hooks a subclass overrides.
    """

    def __init__(self, *, name: str | None = None) -> None:
        self.name = name or type(self).__name__
        self._state = ServiceState.CREATED
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._finisher: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._ready = asyncio.Event()
        self._stopped = asyncio.Event()

    # -- hooks ---------------------------------------------------------------------------

    async def on_start(self) -> None:
        """Set up; the default does nothing."""

    async def on_stop(self) -> None:
        """Tear down; the default does nothing."""

    async def run(self) -> None:
        """The long-running body (optional). Call :meth:`set_ready` once serving."""
        raise NotImplementedError  # never called unless a subclass overrides it

    # -- state -----------------------------------------------------------------------------

    @property
    def state(self) -> ServiceState:
        """The current :class:`ServiceState`."""
        return self._state

    @property
    def error(self) -> BaseException | None:
        """Why the service FAILED (``None`` otherwise)."""
        return self._error

    @property
    def ready(self) -> asyncio.Event:
        """Set once the service is ready (``await svc.ready.wait()``)."""
        return self._ready

    @property
    def running(self) -> bool:
        """True between a successful ``start()`` and the beginning of ``stop()``."""
        return self._state is ServiceState.RUNNING

    @property
    def stopping(self) -> bool:
        """True while ``stop()`` is in progress (a ``run`` loop may check it)."""
        return self._state is ServiceState.STOPPING

    def set_ready(self) -> None:
        """Mark the service ready (called by ``run``); ``start()`` then returns."""
        self._ready.set()

    def _has_run(self) -> bool:
        return type(self).run is not Service.run

    def _get_lock(self) -> asyncio.Lock:
        # One lock per event loop: a service may be started again under a new loop
        # (asyncio.run twice), and an asyncio.Lock stays bound to its first loop.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock = asyncio.Lock()
            self._lock_loop = loop
        return self._lock

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the service and wait until it is ready. A no-op when already running.

        Raises:
            Exception: whatever ``on_start`` or ``run`` raised before the service was ready
                (the service is then FAILED and has cleaned up).
        """
        async with self._get_lock():
            if self._state is ServiceState.RUNNING:
                return
            self._state = ServiceState.STARTING
            self._error = None
            self._ready = asyncio.Event()
            self._stopped = asyncio.Event()
            try:
                await self.on_start()
            except BaseException as exc:
                self._fail(exc)
                raise
            if not self._has_run():
                self._state = ServiceState.RUNNING
                self._ready.set()
                return
            self._task = asyncio.create_task(self._run_body(), name=f"service {self.name}")
            waiter = asyncio.create_task(self._ready.wait())
            try:
                await asyncio.wait({self._task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            except BaseException as exc:  # start() itself was cancelled: undo the start
                waiter.cancel()
                await self._teardown()
                self._fail(exc)
                raise
            waiter.cancel()
            if self._task.done() and not self._ready.is_set():
                errors = [] if self._error is None else [self._error]
                try:
                    await self._teardown()
                except Exception as exc:
                    errors.append(exc)
                if errors:
                    err = aggregate(f"service {self.name!r} failed to start", errors)
                    self._fail(err)
                    raise err
                self._finish(ServiceState.STOPPED)  # run() ended at once, cleanly
                return
            self._state = ServiceState.RUNNING

    async def stop(self) -> None:
        """Stop the service: cancel ``run``, then call ``on_stop``. Idempotent.

        Raises:
            Exception: what ``on_stop`` raised (the service is then FAILED).

        Called from inside ``run`` (which ``stop`` would cancel), it schedules the stop and
        returns; ``run`` is then cancelled at its next ``await``.
        """
        if self._task is not None and asyncio.current_task() is self._task:
            self._finisher = asyncio.get_running_loop().create_task(self._self_stop())
            return
        async with self._get_lock():
            if self._state in (ServiceState.CREATED, ServiceState.STOPPED, ServiceState.FAILED):
                return
            self._state = ServiceState.STOPPING
            try:
                await self._teardown()
            except Exception as exc:
                self._fail(exc)
                raise
            if self._error is not None:
                self._finish(ServiceState.FAILED)
            else:
                self._finish(ServiceState.STOPPED)

    async def wait(self) -> None:
        """Wait until the service has stopped.

        Raises:
            Exception: the error that made the service FAIL, if it did.
        """
        await self._stopped.wait()
        if self._error is not None:
            raise self._error

    async def wait_ready(self) -> None:
        """Wait until the service is ready.

        Raises:
            Exception: the error that made the service FAIL before it was ready.
        """
        ready = asyncio.ensure_future(self._ready.wait())
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            stopped.cancel()
        if not self._ready.is_set() and self._error is not None:
            raise self._error

    async def __aenter__(self) -> Service:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self._state.value}>"

    # -- internals ------------------------------------------------------------------------

    async def _run_body(self) -> None:
        try:
            await self.run()
        except asyncio.CancelledError:
            if self._state is not ServiceState.RUNNING:
                return  # cancelled by stop() or by a cancelled start(): not an error
            # cancelled by someone else while running: a clean end, so stop below
        except Exception as exc:
            log.error("service %s failed: %r", self.name, exc, exc_info=exc)
            self._error = exc
        if self._state is ServiceState.RUNNING:
            # run() ended by itself: stop in a separate task (stop() awaits this one).
            self._finisher = asyncio.get_running_loop().create_task(self._self_stop())

    async def _self_stop(self) -> None:
        try:
            await self.stop()
        except Exception as exc:
            log.error("service %s: on_stop failed after run() ended: %r", self.name, exc)

    async def _teardown(self) -> None:
        task = self._task
        self._task = None
        if task is not None:
            if not task.done():
                task.cancel()
            await asyncio.wait({task})
        await self.on_stop()

    def _fail(self, exc: BaseException) -> None:
        self._error = exc
        self._finish(ServiceState.FAILED)

    def _finish(self, state: ServiceState) -> None:
        self._state = state
        self._stopped.set()


class ServiceGroup(Service):
    """Starts its services in order and stops them in reverse order.

    If one fails to start, the ones already started are stopped (in reverse) and the start
    error is raised, grouped with any error from those stops. While running, the group
    watches its members: when one FAILS, the group stops the others (in reverse) and ends
    FAILED with that error (``await group.wait()`` raises it). A member that stops cleanly
    on its own is simply left stopped.
    """

    def __init__(self, services: Iterable[Service] = (), *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._services: list[Service] = list(services)
        self._started: list[Service] = []

    @property
    def services(self) -> tuple[Service, ...]:
        """The members, in start order."""
        return tuple(self._services)

    def add(self, service: Service) -> Service:
        """Append ``service``; it starts (and stops) with the group.

        Adding to a running group does not start the new member until the group's next start.
        """
        self._services.append(service)
        return service

    async def on_start(self) -> None:
        self._started = []
        for svc in self._services:
            try:
                await svc.start()
            except asyncio.CancelledError:
                await self._stop_started()
                raise
            except Exception as exc:
                failure = exc
            else:
                self._started.append(svc)
                continue
            errors = [failure, *await self._stop_started()]
            raise aggregate(f"starting {svc.name!r} in group {self.name!r} failed", errors)

    async def run(self) -> None:
        self.set_ready()
        watched = {asyncio.ensure_future(svc.wait()): svc for svc in self._started}
        try:
            while watched:
                done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    svc = watched.pop(fut)
                    exc = fut.exception()
                    if exc is not None:
                        exc.add_note(f"service {svc.name!r} of group {self.name!r} failed")
                        raise exc
            await asyncio.Event().wait()  # every member stopped cleanly: idle until stopped
        finally:
            for fut in watched:
                fut.cancel()

    async def on_stop(self) -> None:
        errors = await self._stop_started()
        if errors:
            raise aggregate(f"stopping group {self.name!r} failed", errors)

    async def _stop_started(self) -> list[BaseException]:
        errors: list[BaseException] = []
        while self._started:
            svc = self._started.pop()
            try:
                await svc.stop()
            except Exception as exc:
                errors.append(exc)
        return errors

    def __getitem__(self, index: int) -> Service:
        return self._services[index]
