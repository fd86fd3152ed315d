"""``wirekit serve``: run echo, discard, chargen or daytime, and (one line each) the protocol servers."""

from __future__ import annotations

import logging
from typing import Any

import click

from ._lazy import LazyGroup

#: Protocol servers: name -> "module:attr" of a click command. One line per protocol.
SERVE_COMMANDS: dict[str, str] = {
    "ftp": "wirekit.cli.ftp:serve_ftp",
    "ssh": "wirekit.cli.ssh:serve_ssh",
    "snmp": "wirekit.cli.snmp:serve_snmp",
    "http": "wirekit.cli.http:serve_http",
    "smtp": "wirekit.cli.smtp:serve_smtp",
}

SERVE_HELP: dict[str, str] = {
    "echo": "RFC 862 echo server.",
    "discard": "RFC 863 discard server.",
    "chargen": "RFC 864 character generator.",
    "daytime": "RFC 867 daytime server.",
    "http": "httpbin-like HTTP server.",
    "ssh": "Test SSH server.",
    "smtp": "SMTP mail sink.",
    "ftp": "FTP server with virtual users.",
    "snmp": "SNMP agent.",
}


@click.group(cls=LazyGroup, lazy_commands=SERVE_COMMANDS, lazy_help=SERVE_HELP)
def serve() -> None:
    """Run a server until Ctrl-C (SIGINT) or SIGTERM, then shut down gracefully."""


def _simple(name: str) -> click.Command:
    @click.command(name=name, help=SERVE_HELP[name])
    @click.argument("endpoint", default="tcp:127.0.0.1:7000")
    @click.option(
        "--max-connections",
        default=1024,
        show_default=True,
        help="Excess connections are closed at once.",
    )
    @click.option(
        "--idle-timeout",
        type=float,
        default=None,
        help="Close connections silent for this many seconds.",
    )
    @click.option("-v", "--verbose", is_flag=True, help="Log connections.")
    def command(
        endpoint: str, max_connections: int, idle_timeout: float | None, verbose: bool
    ) -> None:
        from ..runtime.loop import run
        from ..server.core import Server
        from ..server.simple import DATAGRAM_HANDLERS, HANDLERS
        from ..streams.endpoint import parse_endpoint

        logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s")
        ep = parse_endpoint(endpoint)
        handler: Any
        if ep.kind == "udp":
            if name not in DATAGRAM_HANDLERS:
                raise click.UsageError(f"{name} has no UDP form; use tcp:, tls: or unix:")
            handler = DATAGRAM_HANDLERS[name]
        else:
            handler = HANDLERS[name]
        server = Server(
            handler, ep, max_connections=max_connections, idle_timeout=idle_timeout, name=name
        )
        run(server.serve_forever())

    return command


for _name in ("echo", "discard", "chargen", "daytime"):
    serve.add_command(_simple(_name))
