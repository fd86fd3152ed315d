"""``wirekit lab``: start local servers for every protocol (``up``), exercise them (``tour``)."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

import click

from .render import emit, emit_json, json_option


def _services_arg(services: tuple[str, ...]) -> list[str] | None:
    names: list[str] = []
    for item in services:
        names.extend(n for n in item.split(",") if n)
    return names or None


def _ports(values: tuple[str, ...]) -> dict[str, int]:
    ports = {}
    for v in values:
        name, sep, port = v.partition("=")
        if not sep or not port.isdigit():
            raise click.BadParameter(f"{v!r}: expected SERVICE=PORT", param_hint="--port")
        ports[name] = int(port)
    return ports


def _info_rows(infos: list[Any]) -> list[dict[str, str]]:
    rows = []
    for info in infos:
        creds = " ".join(f"{k}={v}" for k, v in info.credentials.items())
        for label, ep in info.endpoints.items():
            rows.append(
                {"service": info.name, "endpoint": label, "address": ep, "credentials": creds}
            )
            creds = ""
    return rows


@click.group()
def lab() -> None:
    """Local servers for every protocol on 127.0.0.1, and a tour that exercises them."""


@lab.command("list")
@json_option
def list_services(as_json: bool) -> None:
    """List the lab's services."""
    from ..lab.registry import SERVICES

    emit(
        [{"service": name, "implementation": target} for name, target in SERVICES.items()], as_json
    )


@lab.command()
@click.argument("services", nargs=-1)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Bind address (loopback by default)."
)
@click.option(
    "--port",
    "ports",
    multiple=True,
    metavar="SERVICE=PORT",
    help="Fixed port for a service (default: ephemeral).",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False),
    help="Write endpoints and credentials as JSON to this file.",
)
@json_option
def up(
    services: tuple[str, ...], host: str, ports: tuple[str, ...], state: str | None, as_json: bool
) -> None:
    """Start lab SERVICES (default: all) and run until Ctrl-C."""
    from ..lab.core import LabThread
    from .render import to_jsonable

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    lab_thread = LabThread(_services_arg(services), host=host, ports=_ports(ports))
    lab_thread.start()
    try:
        infos = lab_thread.info()
        payload = to_jsonable(infos)
        if state:
            with open(state, "w") as fh:
                json.dump(payload, fh, indent=2)
        if as_json:
            emit_json(payload)
        else:
            emit(_info_rows(infos), False, title="wirekit lab (Ctrl-C to stop)")
            click.echo(f"test CA certificate: {lab_thread.lab.workdir}/tls/ca.pem", err=True)
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        lab_thread.stop()


@lab.command()
@click.argument("services", nargs=-1)
@json_option
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of failed steps.")
def tour(services: tuple[str, ...], as_json: bool, verbose: bool) -> None:
    """Start the lab in-process, exercise every service with wirekit's clients, print a table.

    Exits non-zero if any step fails.
    """
    from ..lab.core import LabThread

    with LabThread(_services_arg(services)) as lab_thread:
        rows = lab_thread.tour()
    if as_json:
        emit_json(rows)
    else:
        emit(
            rows,
            False,
            title="wirekit lab tour",
            columns=["service", "operation", "ok", "seconds", "detail"],
        )
        if verbose:
            for row in rows:
                if not row.ok and "traceback" in row.__dict__:
                    click.echo(row.__dict__["traceback"], err=True)
        failed = sum(not r.ok for r in rows)
        click.echo(f"{len(rows) - failed}/{len(rows)} steps ok", err=True)
    if not rows or any(not r.ok for r in rows):
        raise SystemExit(1)
