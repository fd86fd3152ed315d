"""Result objects: one command's outcome, one fan-out row, and the fan-out's summary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import RemoteCommandFailed, WirekitError

__all__ = ["CommandResult", "FanoutResult", "HostResult", "OutputLine", "Summary"]


@dataclass
class CommandResult:
    """What a remote command did. ``exit_status`` is None when it died by a signal (``exit_signal``)."""

    command: str
    exit_status: int | None
    stdout: str | bytes
    stderr: str | bytes
    duration: float
    exit_signal: str | None = None
    host: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    def check(self) -> CommandResult:
        """Return self, or raise when the command failed.

        Raises:
            RemoteCommandFailed: non-zero exit status or killed by a signal.
        """
        if not self.ok:
            raise command_failed(self)
        return self


def _first_line(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text.strip().split("\n", 1)[0][:200] if text else ""


def command_failed(result: CommandResult) -> RemoteCommandFailed:
    """The RemoteCommandFailed for a failed ``result`` (``.result`` holds it)."""
    code: int | str = (
        result.exit_status if result.exit_status is not None else f"signal {result.exit_signal}"
    )
    where = f"{result.host}: " if result.host else ""
    err = RemoteCommandFailed(
        code,
        _first_line(result.stderr),
        f"{where}{result.command!r} exited {code}: {_first_line(result.stderr)}".rstrip(": "),
    )
    err.result = result  # type: ignore[attr-defined]
    return err


@dataclass
class OutputLine:
    """One line of streamed output (without its newline)."""

    stream: str  # "stdout" | "stderr"
    text: str | bytes


@dataclass
class HostResult:
    """One fan-out row. ``status``: ``ok``, ``failed`` (ran, non-zero) or ``unreachable``
    (connect/auth/host-key/timeout/drop); ``error`` holds the wirekit exception then."""

    index: int
    host: str
    status: str
    exit_status: int | None = None
    stdout: str | bytes = ""
    stderr: str | bytes = ""
    duration: float = 0.0
    attempts: int = 1
    error: WirekitError | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def first_line(self) -> str:
        """First line of stdout (or the error, or stderr): what the summary table shows."""
        if self.error is not None:
            return f"{type(self.error).__name__}: {self.error}"[:200]
        return _first_line(self.stdout) or _first_line(self.stderr)

    def to_json(self) -> dict[str, object]:
        def text(v: str | bytes) -> str:
            return v.decode("utf-8", "replace") if isinstance(v, bytes) else v

        return {
            "index": self.index,
            "host": self.host,
            "status": self.status,
            "exit_status": self.exit_status,
            "duration": round(self.duration, 4),
            "attempts": self.attempts,
            "stdout": text(self.stdout),
            "stderr": text(self.stderr),
            "error": None
            if self.error is None
            else {"type": type(self.error).__name__, "message": str(self.error)},
        }


@dataclass
class Summary:
    """Counts over a fan-out."""

    total: int
    ok: int
    failed: int
    unreachable: int
    wall: float


@dataclass
class FanoutResult:
    """Every host's row, in inventory order (index i is the i-th target; duplicates kept)."""

    results: list[HostResult]
    wall: float = 0.0
    _by_host: dict[str, list[HostResult]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.results.sort(key=lambda r: r.index)
        for r in self.results:
            self._by_host.setdefault(r.host, []).append(r)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Iterator[HostResult]:
        return iter(self.results)

    def __getitem__(self, index: int) -> HostResult:
        return self.results[index]

    def by_host(self, host: str) -> list[HostResult]:
        """Every row for ``host`` (a list: the same host may appear more than once)."""
        return list(self._by_host.get(host, []))

    @property
    def summary(self) -> Summary:
        c = {"ok": 0, "failed": 0, "unreachable": 0}
        for r in self.results:
            c[r.status] += 1
        return Summary(len(self.results), c["ok"], c["failed"], c["unreachable"], self.wall)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def errors(self) -> list[WirekitError]:
        """One exception per failed host (RemoteCommandFailed for non-zero exits)."""
        out: list[WirekitError] = []
        for r in self.results:
            if r.error is not None:
                out.append(r.error)
            elif r.status == "failed":
                out.append(
                    command_failed(
                        CommandResult(
                            "", r.exit_status, r.stdout, r.stderr, r.duration, host=r.host
                        )
                    )
                )
        return out

    def raise_for_failures(self) -> FanoutResult:
        """Return self, or raise an ExceptionGroup with one wirekit error per failed host.

        Raises:
            ExceptionGroup: at least one host failed or was unreachable.
        """
        errs = self.errors()
        if errs:
            s = self.summary
            raise ExceptionGroup(
                f"{len(errs)} of {s.total} hosts failed ({s.failed} failed, {s.unreachable} unreachable)",
                errs,
            )
        return self

    def to_json(self) -> dict[str, object]:
        s = self.summary
        return {
            "summary": {
                "total": s.total,
                "ok": s.ok,
                "failed": s.failed,
                "unreachable": s.unreachable,
                "wall": round(s.wall, 4),
            },
            "results": [r.to_json() for r in self.results],
        }
