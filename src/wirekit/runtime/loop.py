"""Event-loop selection: uvloop when installed, plain asyncio when ``WIREKIT_LOOP=asyncio``.

The choice is read from the environment when a loop is made, never at import, and is never
installed as a global policy: ``run`` and ``new_event_loop`` hand out loops explicitly.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from ..errors import ConfigError

T = TypeVar("T")

_CHOICES = ("auto", "uvloop", "asyncio")


def loop_name() -> str:
    """Which loop ``new_event_loop`` will make: ``"uvloop"`` or ``"asyncio"``.

    Raises:
        ConfigError: ``WIREKIT_LOOP`` is not auto, uvloop or asyncio; or uvloop was forced but is missing.
    """
    choice = os.environ.get("WIREKIT_LOOP", "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ConfigError(f"WIREKIT_LOOP={choice!r}: expected one of {', '.join(_CHOICES)}")
    if choice == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        if choice == "uvloop":
            raise ConfigError(
                "WIREKIT_LOOP=uvloop but uvloop is not installed: pip install 'wirekit[fast]'"
            ) from None
        return "asyncio"
    return "uvloop"


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop of the selected kind (see :func:`loop_name`)."""
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(main: Callable[[], Awaitable[T]] | Coroutine[Any, Any, T], *, debug: bool = False) -> T:
    """Run ``main`` (a coroutine, or an async function taking no arguments) on a fresh loop.

    Like :func:`asyncio.run`, but the loop is uvloop when available.
    """
    coro = main() if callable(main) else main
    with asyncio.Runner(debug=debug, loop_factory=new_event_loop) as runner:
        return runner.run(coro)  # type: ignore[arg-type]
