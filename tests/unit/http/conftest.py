"""Fixtures for HTTP unit tests: raw misbehaving servers, and ``both`` (Client and AsyncClient)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from http_helpers import Both, RawServer


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def make(handler: Callable[[socket.socket], None]) -> RawServer:
        srv = RawServer(handler)
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.close()


@pytest.fixture(params=["sync", "async"])
def both(request: pytest.FixtureRequest) -> Iterator[Callable[..., Both]]:
    """``make(**client_options) -> Both``: the test runs once with Client, once with AsyncClient."""
    made: list[Both] = []

    def make(**options: object) -> Both:
        b = Both(request.param, **options)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()
