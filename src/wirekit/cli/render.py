"""One renderer for every command: a rich table for people, or JSON with ``--json``.

Commands return plain data (dataclasses, dicts, lists of them); they never print tables
themselves. ``json_option`` adds the ``--json`` flag consistently.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def json_option(f: F) -> F:
    """Add ``--json`` (stored as ``as_json``) to a click command."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(f)


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses, bytes, enums, paths, addresses and containers into JSON types."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "to_json") and callable(obj.to_json):
        return obj.to_json()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: to_jsonable(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if not f.name.startswith("_")
        }
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (bytes, bytearray, memoryview)):
        b = bytes(obj)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return {"hex": b.hex()}
    if isinstance(obj, enum.Enum):
        return obj.name
    if isinstance(obj, (Path, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(obj)
    if isinstance(obj, BaseException):
        return {"type": type(obj).__name__, "message": str(obj)}
    if isinstance(obj, Iterable):
        return [to_jsonable(v) for v in obj]
    return str(obj)


def emit_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout."""
    json.dump(to_jsonable(data), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ok" if value else "FAIL"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "backslashreplace")
    return str(value)


def rows_of(items: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    """Column names and string cells for a list of dataclasses or dicts."""
    if not items:
        return [], []
    first = to_jsonable(items[0]) if dataclasses.is_dataclass(items[0]) else items[0]
    columns = list(first.keys()) if isinstance(first, Mapping) else ["value"]
    rows = []
    for item in items:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            values = [getattr(item, c, None) for c in columns]
        elif isinstance(item, Mapping):
            values = [item.get(c) for c in columns]
        else:
            values = [item]
        rows.append([_cell(v) for v in values])
    return columns, rows


def emit_table(
    items: Sequence[Any], *, title: str | None = None, columns: Sequence[str] | None = None
) -> None:
    """Print ``items`` (dataclasses or dicts) as a rich table."""
    from rich.console import Console
    from rich.table import Table

    cols, rows = rows_of(items)
    if columns is not None:
        idx = [cols.index(c) for c in columns if c in cols]
        cols = [cols[i] for i in idx]
        rows = [[r[i] for i in idx] for r in rows]
    table = Table(title=title)
    for c in cols:
        table.add_column(c)
    for r in rows:
        table.add_row(*r)
    Console().print(table)


def emit(
    data: Any, as_json: bool, *, title: str | None = None, columns: Sequence[str] | None = None
) -> None:
    """Render ``data`` as JSON or as a table (lists) / key-value table (one object)."""
    if as_json:
        emit_json(data)
        return
    if isinstance(data, (list, tuple)):
        emit_table(list(data), title=title, columns=columns)
    elif dataclasses.is_dataclass(data) or isinstance(data, Mapping):
        obj = to_jsonable(data)
        emit_table(
            [
                {"field": k, "value": v if isinstance(v, str) else json.dumps(v)}
                for k, v in obj.items()
            ],
            title=title,
        )
    else:
        click.echo(_cell(data))
