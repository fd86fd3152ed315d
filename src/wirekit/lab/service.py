"""The contract between the lab and each protocol's local server, and the tour's bookkeeping."""

from __future__ import annotations

import abc
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from ..streams.certs import TLSMaterial


@dataclass
class LabContext:
    """What every lab service gets: the bind host, a private work directory and test TLS material."""

    host: str
    workdir: Path
    tls: TLSMaterial

    def subdir(self, name: str) -> Path:
        """A fresh directory under the lab's workdir, for one service's files."""
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass
class ServiceInfo:
    """What a running service tells users: endpoints (label -> endpoint or URL) and credentials."""

    name: str
    endpoints: dict[str, str]
    credentials: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class TourRow:
    """One line of the tour table."""

    service: str
    operation: str
    ok: bool
    seconds: float
    detail: str = ""


class Tour:
    """Collects tour rows; ``with tour.step("op"):`` times a step and records any failure."""

    def __init__(self, service: str, rows: list[TourRow] | None = None) -> None:
        self.service = service
        self.rows: list[TourRow] = rows if rows is not None else []

    def for_service(self, service: str) -> Tour:
        """A Tour writing to the same rows under another service name."""
        return Tour(service, self.rows)

    @contextmanager
    def step(self, operation: str) -> Iterator[TourRow]:
        """Time one operation; an exception marks the row failed (and is not re-raised)."""
        row = TourRow(self.service, operation, ok=False, seconds=0.0)
        t0 = time.perf_counter()
        try:
            yield row
        except Exception as exc:  # the tour reports every failure as a row, never stops
            row.detail = f"{type(exc).__name__}: {exc}"
            row.ok = False
            row.seconds = time.perf_counter() - t0
            self.rows.append(row)
            row.__dict__["traceback"] = traceback.format_exc()
        else:
            row.ok = True
            row.seconds = time.perf_counter() - t0
            self.rows.append(row)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)


class LabService(abc.ABC):
    """A local server for one protocol.

    ``start``/``stop`` run on the lab's event loop. ``tour`` runs in another thread (the
    caller's), so it may use blocking clients freely, or ``asyncio.run`` for async ones.
    ``port=0`` picks an ephemeral port; ``info`` reports the one bound.
    """

    name: ClassVar[str]

    def __init__(self, ctx: LabContext, port: int = 0, **options: Any) -> None:
        self.ctx = ctx
        self.port = port
        self.options = options

    @abc.abstractmethod
    async def start(self) -> None:
        """Start serving; return once the service accepts connections."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop serving and release every resource."""

    @property
    @abc.abstractmethod
    def info(self) -> ServiceInfo:
        """Endpoints and credentials of the running service."""

    @abc.abstractmethod
    def tour(self, tour: Tour) -> None:
        """Exercise the service with wirekit's clients, one ``tour.step`` per operation."""
