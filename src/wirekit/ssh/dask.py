"""Scale-out: shard a fan-out's inventory over Dask workers, each running its own async fan-out.

The driver parses the inventory (so a bad line fails before anything is sent), cuts it into
contiguous shards, submits one task per shard and reassembles the rows by their global
index. Rows travel as plain data (errors as type name + message + attributes) so nothing
depends on pickling exception classes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .. import errors as _errors
from .._util.extras import require
from ..errors import ConfigError, WirekitError
from .inventory import Target, targets
from .options import SSHOptions
from .results import FanoutResult, HostResult

__all__ = ["run_many_dask", "run_shard"]


def _pack(row: HostResult) -> dict[str, Any]:
    d = dict(row.__dict__)
    err = d.pop("error")
    if err is not None:
        attrs = {
            k: v
            for k, v in err.__dict__.items()
            if isinstance(v, (str, int, float, bytes, type(None)))
        }
        d["error"] = (type(err).__name__, str(err), attrs)
    else:
        d["error"] = None
    return d


def _unpack(d: dict[str, Any]) -> HostResult:
    err_spec = d.pop("error")
    err: WirekitError | None = None
    if err_spec is not None:
        name, message, attrs = err_spec
        cls = getattr(_errors, name, None)
        if not (isinstance(cls, type) and issubclass(cls, WirekitError)):
            cls = WirekitError
        err = cls.__new__(cls)
        Exception.__init__(err, message)
        err.__dict__.update(attrs)
    return HostResult(**d, error=err)


def run_shard(
    shard: list[Target], command: str, index_offset: int, kwargs: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run one shard on this worker (its own event loop) and return packed rows."""
    from ..runtime.loop import run
    from .fanout import arun_many

    result = run(arun_many(shard, command, index_offset=index_offset, **kwargs))
    return [_pack(r) for r in result.results]


def run_many_dask(
    hosts: Iterable[str | Target] | str,
    command: str,
    *,
    scheduler: Any = None,
    shards: int | None = None,
    options: SSHOptions | None = None,
    on_result: Any = None,
    check: bool = False,
    **kwargs: Any,
) -> FanoutResult:
    """Fan out over Dask. ``scheduler``: an address (``tcp://host:8786``) or a ``distributed.Client``.

    ``shards`` defaults to the cluster's total worker threads. ``on_result`` is called on the
    driver as each shard's rows arrive. Other keywords are as :func:`arun_many`.

    Raises:
        MissingExtraError: dask[distributed] is not installed.
        ConfigError: no scheduler, a bad inventory, or a callback that cannot run remotely.
        ExceptionGroup: ``check=True`` and some host failed.
    """
    distributed = require("distributed", "dask", "Dask scale-out")
    if scheduler is None:
        raise ConfigError("engine='dask' needs scheduler= (an address or a distributed.Client)")
    if kwargs.get("on_line") is not None or kwargs.get("prepared") is not None:
        raise ConfigError("on_line= and prepared= cannot travel to Dask workers; use on_result=")
    kwargs.pop("on_line", None)
    kwargs.pop("prepared", None)
    opts = options or SSHOptions()
    option_fields = {k: kwargs.pop(k) for k in list(kwargs) if k in SSHOptions.__dataclass_fields__}
    if option_fields:
        opts = opts.with_(**option_fields)
    # Resolve ssh_config aliases here, where the config file lives; workers get resolved
    # targets (and read the same config path, if they have it, for ProxyJump hop aliases).
    tlist = targets(hosts, config=opts.prepare().config)
    kwargs["options"] = opts

    own = not isinstance(scheduler, distributed.Client)
    client = distributed.Client(scheduler) if own else scheduler
    start = time.perf_counter()
    try:
        n = shards or max(1, sum(client.nthreads().values()))
        n = max(1, min(n, len(tlist) or 1))
        size = -(-len(tlist) // n) if tlist else 0
        futures = []
        for s in range(n):
            shard = tlist[s * size : (s + 1) * size]
            if shard:
                futures.append(
                    client.submit(run_shard, shard, command, s * size, kwargs, pure=False)
                )
        rows: list[HostResult] = []
        for fut in distributed.as_completed(futures):
            for d in fut.result():
                row = _unpack(d)
                rows.append(row)
                if on_result is not None:
                    on_result(row)
    finally:
        if own:
            client.close()
    result = FanoutResult(rows, wall=time.perf_counter() - start)
    if check:
        result.raise_for_failures()
    return result
