"""Service lifecycle and ServiceGroup: states, ready, idempotent stop, ordering, error aggregation."""

from __future__ import annotations

import asyncio

import pytest

from wirekit.runtime.service import Service, ServiceGroup, ServiceState


class Recorder(Service):
    """Records its hooks in a shared log; can be told to fail in one of them."""

    def __init__(
        self, name: str, log: list[str], *, fail_start: bool = False, fail_stop: bool = False
    ) -> None:
        super().__init__(name=name)
        self.log = log
        self.fail_start = fail_start
        self.fail_stop = fail_stop

    async def on_start(self) -> None:
        await asyncio.sleep(0)
        if self.fail_start:
            raise OSError(f"{self.name} cannot bind")
        self.log.append(f"start {self.name}")

    async def on_stop(self) -> None:
        await asyncio.sleep(0)
        self.log.append(f"stop {self.name}")
        if self.fail_stop:
            raise RuntimeError(f"{self.name} stop failed")


class Runner(Service):
    """A run()-style service; behaviour picked by ``mode``."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.stopped_hook = False
        self.release = asyncio.Event()

    async def run(self) -> None:
        if self.mode == "fail-before-ready":
            raise ValueError("config broken")
        if self.mode == "return-before-ready":
            return
        self.set_ready()
        if self.mode == "serve":
            await asyncio.Event().wait()
        await self.release.wait()
        if self.mode == "fail-after-ready":
            raise ValueError("crashed")
        if self.mode == "stop-self":
            await self.stop()
            await asyncio.sleep(3600)  # cancelled by the scheduled stop

    async def on_stop(self) -> None:
        self.stopped_hook = True


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_hook_service_states_and_idempotence() -> None:
    async def main() -> None:
        log: list[str] = []
        svc = Recorder("a", log)
        assert svc.state is ServiceState.CREATED
        await svc.stop()  # stop before start: no-op
        assert svc.state is ServiceState.CREATED and log == []
        await svc.start()
        assert svc.state is ServiceState.RUNNING and svc.running and svc.ready.is_set()
        await svc.start()  # already running: no-op
        await svc.stop()
        await svc.stop()
        assert svc.state is ServiceState.STOPPED
        assert log == ["start a", "stop a"]
        await svc.wait()  # returns at once, no error

    run(main())


def test_restart_after_stop() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        svc = Recorder("a", log)
        for _ in range(2):
            async with svc:
                assert svc.running
        assert svc.state is ServiceState.STOPPED
        return log

    assert run(main()) == ["start a", "stop a", "start a", "stop a"]


def test_concurrent_starts_run_on_start_once() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        svc = Recorder("a", log)
        await asyncio.gather(svc.start(), svc.start(), svc.start())
        await asyncio.gather(svc.stop(), svc.stop())
        return log

    assert run(main()) == ["start a", "stop a"]


def test_on_start_failure_fails_without_on_stop() -> None:
    async def main() -> Recorder:
        svc = Recorder("a", [], fail_start=True)
        with pytest.raises(OSError, match="cannot bind"):
            await svc.start()
        with pytest.raises(OSError):
            await svc.wait()
        await svc.stop()  # stopping a failed service is a no-op
        return svc

    svc = run(main())
    assert svc.state is ServiceState.FAILED and isinstance(svc.error, OSError)
    assert svc.log == []


def test_run_service_is_ready_when_it_says_so() -> None:
    async def main() -> Runner:
        svc = Runner("serve")
        await svc.start()
        assert svc.running and svc.ready.is_set()
        await svc.wait_ready()
        await svc.stop()
        return svc

    svc = run(main())
    assert svc.state is ServiceState.STOPPED and svc.stopped_hook


def test_run_failing_before_ready_fails_start_and_cleans_up() -> None:
    async def main() -> Runner:
        svc = Runner("fail-before-ready")
        with pytest.raises(ValueError, match="config broken"):
            await svc.start()
        return svc

    svc = run(main())
    assert svc.state is ServiceState.FAILED and svc.stopped_hook


def test_run_returning_before_ready_is_a_clean_stop() -> None:
    async def main() -> Runner:
        svc = Runner("return-before-ready")
        await svc.start()
        return svc

    svc = run(main())
    assert svc.state is ServiceState.STOPPED and svc.stopped_hook


def test_run_crashing_after_ready_stops_the_service() -> None:
    async def main() -> Runner:
        svc = Runner("fail-after-ready")
        await svc.start()
        svc.release.set()
        with pytest.raises(ValueError, match="crashed"):
            await svc.wait()
        return svc

    svc = run(main())
    assert svc.state is ServiceState.FAILED and svc.stopped_hook


def test_stop_called_from_inside_run() -> None:
    async def main() -> Runner:
        svc = Runner("stop-self")
        await svc.start()
        svc.release.set()
        await asyncio.wait_for(svc.wait(), 10)
        return svc

    svc = run(main())
    assert svc.state is ServiceState.STOPPED and svc.stopped_hook


def test_cancelled_start_undoes_itself() -> None:
    class Slow(Service):
        stopped = False

        async def run(self) -> None:
            await asyncio.sleep(3600)  # never ready

        async def on_stop(self) -> None:
            self.stopped = True

    async def main() -> Slow:
        svc = Slow()
        task = asyncio.create_task(svc.start())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return svc

    svc = run(main())
    assert svc.state is ServiceState.FAILED and svc.stopped


def test_group_starts_in_order_and_stops_in_reverse() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        group = ServiceGroup([Recorder("a", log), Recorder("b", log)], name="g")
        group.add(Recorder("c", log))
        assert [s.name for s in group.services] == ["a", "b", "c"]
        assert group[2].name == "c"
        async with group:
            assert all(s.running for s in group.services)
        assert all(s.state is ServiceState.STOPPED for s in group.services)
        return log

    assert run(main()) == ["start a", "start b", "start c", "stop c", "stop b", "stop a"]


def test_group_start_failure_stops_the_started_in_reverse() -> None:
    async def main() -> tuple[list[str], ServiceGroup]:
        log: list[str] = []
        group = ServiceGroup(
            [
                Recorder("a", log),
                Recorder("b", log),
                Recorder("c", log, fail_start=True),
                Recorder("d", log),
            ]
        )
        with pytest.raises(OSError, match="c cannot bind") as info:
            await group.start()
        assert any("starting 'c'" in note for note in info.value.__notes__)
        return log, group

    log, group = run(main())
    assert log == ["start a", "start b", "stop b", "stop a"]
    assert group.state is ServiceState.FAILED
    assert group[3].state is ServiceState.CREATED  # never started


def test_group_start_failure_with_failing_cleanup_groups_the_errors() -> None:
    async def main() -> None:
        log: list[str] = []
        group = ServiceGroup(
            [Recorder("a", log, fail_stop=True), Recorder("b", log, fail_start=True)]
        )
        with pytest.raises(ExceptionGroup) as info:
            await group.start()
        kinds = sorted(type(e).__name__ for e in info.value.exceptions)
        assert kinds == ["OSError", "RuntimeError"]

    run(main())


def test_group_stop_continues_past_failures_and_aggregates() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        group = ServiceGroup(
            [
                Recorder("a", log, fail_stop=True),
                Recorder("b", log),
                Recorder("c", log, fail_stop=True),
            ]
        )
        await group.start()
        with pytest.raises(ExceptionGroup) as info:
            await group.stop()
        assert sorted(str(e) for e in info.value.exceptions) == ["a stop failed", "c stop failed"]
        assert group.state is ServiceState.FAILED
        await group.stop()  # idempotent even after a failed stop
        return log

    assert run(main()) == ["start a", "start b", "start c", "stop c", "stop b", "stop a"]


def test_group_single_stop_failure_is_raised_as_itself() -> None:
    async def main() -> None:
        group = ServiceGroup([Recorder("a", []), Recorder("b", [], fail_stop=True)])
        await group.start()
        with pytest.raises(RuntimeError, match="b stop failed"):
            await group.stop()

    run(main())


def test_nested_groups() -> None:
    async def main() -> list[str]:
        log: list[str] = []
        inner = ServiceGroup([Recorder("b", log), Recorder("c", log)], name="inner")
        outer = ServiceGroup([Recorder("a", log), inner, Recorder("d", log)], name="outer")
        async with outer:
            pass
        return log

    assert run(main()) == [
        "start a",
        "start b",
        "start c",
        "start d",
        "stop d",
        "stop c",
        "stop b",
        "stop a",
    ]


def test_service_survives_a_new_event_loop() -> None:
    log: list[str] = []
    svc = Recorder("a", log)

    async def cycle() -> None:
        # Contended start/stop makes the lock create futures on this loop.
        await asyncio.gather(svc.start(), svc.start())
        await asyncio.gather(svc.stop(), svc.stop())

    asyncio.run(cycle())
    asyncio.run(cycle())  # a second loop: no "bound to a different event loop" error
    assert log == ["start a", "stop a", "start a", "stop a"]


def test_group_fails_when_a_member_fails_and_stops_the_others() -> None:
    async def main() -> tuple[ServiceGroup, list[str], Runner]:
        log: list[str] = []
        crasher = Runner("fail-after-ready")
        group = ServiceGroup([Recorder("a", log), crasher, Recorder("c", log)], name="g")
        await group.start()
        assert group.running
        crasher.release.set()
        with pytest.raises(ValueError, match="crashed") as info:
            await asyncio.wait_for(group.wait(), 20)
        assert any("group 'g'" in note for note in info.value.__notes__)
        return group, log, crasher

    group, log, crasher = run(main())
    assert group.state is ServiceState.FAILED and isinstance(group.error, ValueError)
    assert crasher.state is ServiceState.FAILED
    assert log == ["start a", "start c", "stop c", "stop a"]


def test_group_ignores_a_member_that_stops_cleanly() -> None:
    async def main() -> tuple[ServiceGroup, list[str]]:
        log: list[str] = []
        quitter = Recorder("b", log)
        group = ServiceGroup([Recorder("a", log), quitter], name="g")
        await group.start()
        await quitter.stop()
        await asyncio.sleep(0.01)
        assert group.running  # still up
        await group.stop()
        return group, log

    group, log = run(main())
    assert group.state is ServiceState.STOPPED
    assert log == ["start a", "start b", "stop b", "stop a"]
