"""Helpers for SNMP unit tests: an agent on a background event loop, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from wirekit.snmp.agent import SNMPAgent
from wirekit.snmp.demo import demo_tree
from wirekit.snmp.usm import USMUser


class LoopThread:
    """An asyncio loop on a daemon thread; ``call(coro)`` runs a coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.close()


V3_USER = USMUser("alice", "SHA", "authpassword", "AES", "privpassword")


@pytest.fixture
def start_agent(loop_thread: LoopThread) -> Iterator[Any]:
    """``start_agent(tree=None, **SNMPAgent options) -> SNMPAgent`` running on 127.0.0.1."""
    agents: list[SNMPAgent] = []

    def start(tree: Any = None, **kwargs: Any) -> SNMPAgent:
        kwargs.setdefault("communities", {"public": "ro", "private": "rw"})
        kwargs.setdefault("rw_users", [V3_USER])
        agent = SNMPAgent(tree if tree is not None else demo_tree(), "udp:127.0.0.1:0", **kwargs)
        loop_thread.call(agent.start())
        agents.append(agent)
        return agent

    yield start
    for agent in agents:
        loop_thread.call(agent.stop())
