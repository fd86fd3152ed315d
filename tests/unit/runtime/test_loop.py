"""Loop selection: uvloop when installed, WIREKIT_LOOP=asyncio forces asyncio, bad values are ConfigErrors."""

from __future__ import annotations

import asyncio

import pytest

import wirekit
from wirekit.errors import ConfigError
from wirekit.runtime.loop import loop_name, new_event_loop


def test_uvloop_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop", reason="the [fast] extra is installed by make test")
    monkeypatch.delenv("WIREKIT_LOOP", raising=False)
    assert loop_name() == "uvloop"
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


def test_forced_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREKIT_LOOP", "asyncio")

    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert wirekit.run(which).startswith("asyncio")


def test_bad_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREKIT_LOOP", "trio")
    with pytest.raises(ConfigError, match="WIREKIT_LOOP"):
        loop_name()


def test_run_accepts_coroutine_or_function() -> None:
    async def answer() -> int:
        return 42

    assert wirekit.run(answer) == 42
    assert wirekit.run(answer()) == 42
