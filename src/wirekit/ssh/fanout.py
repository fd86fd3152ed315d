"""Fan-out: one command on many hosts with bounded concurrency, a connection-rate limit and retries.

Every target yields exactly one :class:`HostResult`, in inventory order and keyed by index
(duplicates never collapse). Whatever goes wrong on a host (unreachable, auth refused,
host key, timeout, drop mid-command) becomes that row's ``error``: a fan-out never raises
for one host unless ``check=True``, which raises one ExceptionGroup at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import (
    AuthenticationError,
    BrokenStreamError,
    ConfigError,
    ConnectError,
    HostKeyError,
    Timeout,
    TransportError,
    WirekitError,
)
from .client import AsyncSSHClient
from .inventory import Target, targets
from .options import EngineOptions, SSHOptions
from .results import FanoutResult, HostResult

__all__ = ["OnLine", "OnResult", "arun_many", "run_many"]

#: ``on_line(index, host, stream, line)`` for each output line as it arrives.
OnLine = Callable[[int, str, str, "str | bytes"], None]
#: ``on_result(row)`` as each host finishes.
OnResult = Callable[[HostResult], None]


class _RateLimiter:
    """At most ``rate`` connection starts per second, evenly spaced (listen queues overflow otherwise)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


def _retryable(exc: WirekitError) -> bool:
    # Only transient transport failures while connecting; never auth or host-key refusals.
    return isinstance(exc, ConnectError | BrokenStreamError | Timeout) and not isinstance(
        exc, AuthenticationError | HostKeyError
    )


def _as_wirekit(exc: BaseException, label: str) -> WirekitError:
    if isinstance(exc, WirekitError):
        return exc
    return TransportError(f"{label}: unexpected {type(exc).__name__}: {exc}")


async def arun_many(
    hosts: Iterable[str | Target] | str,
    command: str,
    *,
    options: SSHOptions | None = None,
    prepared: EngineOptions | None = None,
    concurrency: int = 100,
    rate: float | None = None,
    connect_timeout: float | None = None,
    command_timeout: float | None = None,
    retries: int = 0,
    retry_delay: float = 0.5,
    check: bool = False,
    env: Mapping[str, str] | None = None,
    stdin: str | bytes | None = None,
    encoding: str | None = "utf-8",
    on_line: OnLine | None = None,
    on_result: OnResult | None = None,
    index_offset: int = 0,
    **option_fields: Any,
) -> FanoutResult:
    """Run ``command`` on every host; return one row per host (see module docstring).

    ``hosts``: strings (``user@host:port`` or ssh_config aliases), Targets, or a
    comma-separated string. ``concurrency``: hosts in flight. ``rate``: new connections per
    second (None: unlimited). ``retries``: extra connection attempts after a transient
    connect failure (backoff ``retry_delay * 2**n``). Other keywords are SSHOptions fields.

    Raises:
        ConfigError: bad hosts or options (before any connection).
        ExceptionGroup: ``check=True`` and some host failed (one wirekit error per host).
    """
    if concurrency < 1:
        raise ConfigError("concurrency must be >= 1")
    if prepared is None:
        opts = options or SSHOptions()
        if connect_timeout is not None:
            option_fields["connect_timeout"] = connect_timeout
        if option_fields:
            try:
                opts = opts.with_(**option_fields)
            except TypeError as exc:
                raise ConfigError(f"unknown SSH option: {exc}") from None
        prepared = opts.prepare()
    tlist = targets(hosts, config=prepared.config)
    sem = asyncio.Semaphore(concurrency)
    limiter = _RateLimiter(rate)
    start = time.perf_counter()

    async def one(i: int, target: Target) -> HostResult:
        index = i + index_offset
        label = target.label
        line_cb = None
        if on_line is not None:
            cb = on_line

            def line_cb(stream: str, line: str | bytes) -> None:
                cb(index, label, stream, line)

        async with sem:
            attempt = 0
            t0 = time.perf_counter()
            while True:
                attempt += 1
                await limiter.wait()
                client = AsyncSSHClient(target, prepared=prepared)
                try:
                    try:
                        await client.connect()
                    except Exception as exc:
                        err = _as_wirekit(exc, label)
                        if attempt <= retries and _retryable(err):
                            await asyncio.sleep(retry_delay * 2 ** (attempt - 1))
                            continue
                        return HostResult(
                            index,
                            label,
                            "unreachable",
                            duration=time.perf_counter() - t0,
                            attempts=attempt,
                            error=err,
                        )
                    try:
                        r = await client.run(
                            command,
                            timeout=command_timeout,
                            env=env,
                            stdin=stdin,
                            encoding=encoding,
                            on_line=line_cb,
                        )
                    except Exception as exc:
                        err = _as_wirekit(exc, label)
                        partial = getattr(err, "partial", b"")
                        if encoding and isinstance(partial, bytes):
                            partial = partial.decode(encoding, "replace")
                        return HostResult(
                            index,
                            label,
                            "failed",
                            stdout=partial,
                            duration=time.perf_counter() - t0,
                            attempts=attempt,
                            error=err,
                        )
                    return HostResult(
                        index,
                        label,
                        "ok" if r.ok else "failed",
                        r.exit_status,
                        r.stdout,
                        r.stderr,
                        time.perf_counter() - t0,
                        attempt,
                    )
                finally:
                    await client.aclose()

    async def guarded(i: int, target: Target) -> HostResult:
        try:
            row = await one(i, target)
        except Exception as exc:  # belt and braces: a row, never an unhandled exception
            row = HostResult(
                i + index_offset, target.label, "unreachable", error=_as_wirekit(exc, target.label)
            )
        if on_result is not None:
            on_result(row)
        return row

    rows = await asyncio.gather(*(guarded(i, t) for i, t in enumerate(tlist)))
    result = FanoutResult(list(rows), wall=time.perf_counter() - start)
    if check:
        result.raise_for_failures()
    return result


def run_many(
    hosts: Iterable[str | Target] | str,
    command: str,
    *,
    engine: str = "asyncio",
    scheduler: str | None = None,
    shards: int | None = None,
    **kwargs: Any,
) -> FanoutResult:
    """Blocking :func:`arun_many`. ``engine="dask"`` shards the hosts over the Dask workers of
    ``scheduler`` (an address, or a ``distributed.Client``), each running its own async fan-out.

    Raises:
        as :func:`arun_many`; MissingExtraError: dask requested but not installed.
    """
    if engine == "dask":
        from .dask import run_many_dask

        return run_many_dask(hosts, command, scheduler=scheduler, shards=shards, **kwargs)
    if engine != "asyncio":
        raise ConfigError(f"engine={engine!r}: expected 'asyncio' or 'dask'")
    from ..runtime.loop import run

    return run(arun_many(hosts, command, **kwargs))
