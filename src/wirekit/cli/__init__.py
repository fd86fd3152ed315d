"""The ``wirekit`` command: a root group whose subcommands load only when used.

Each area owns one module here (``net.py``, ``lab.py``, ``pkt.py``, ``snmp.py``, ...). To add
a subcommand, add one line to :data:`COMMANDS` (or to ``SERVE_COMMANDS`` in ``serve.py``).
"""

from __future__ import annotations

import sys

import click

from .._version import __version__
from ._lazy import LazyGroup

#: name -> "module:attribute" of a click command; imported only when invoked or listed in help.
COMMANDS: dict[str, str] = {
    "connect": "wirekit.cli.net:connect",
    "listen": "wirekit.cli.net:listen",
    "scan": "wirekit.cli.scan:scan",
    "serve": "wirekit.cli.serve:serve",
    "lab": "wirekit.cli.lab:lab",
    "ftp": "wirekit.cli.ftp:ftp",
    "ssh": "wirekit.cli.ssh:ssh",
    "http": "wirekit.cli.http:http",
    "snmp": "wirekit.cli.snmp:snmp",
    "pkt": "wirekit.cli.pkt:pkt",
    "smtp": "wirekit.cli.smtp:smtp",
}

#: short help shown by ``wirekit --help`` without importing the command modules.
HELP: dict[str, str] = {
    "connect": "Netcat client: stdin to ENDPOINT, ENDPOINT to stdout.",
    "listen": "Netcat server: accept on ENDPOINT, socket to stdout.",
    "scan": "TCP connect scan of a host's ports.",
    "serve": "Run a server (echo, discard, chargen, daytime, and protocol servers).",
    "lab": "Local servers for every protocol, and the tour.",
    "pkt": "Packets: read, show, craft, sniff, stats, SQL query, convert, plot.",
    "snmp": "SNMP manager, agent simulator and traps.",
    "ssh": "SSH: run on many hosts, SFTP, forwarding.",
    "smtp": "SMTP: send mail, inspect the captured inbox.",
    "ftp": "FTP client: ls, get, put, mirror, rm, mkdir.",
    "http": "HTTP client with HTTPie's grammar.",
}


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    lazy_help=HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="wirekit")
def cli() -> None:
    """wirekit: one network toolkit: streams, servers, HTTP, SSH, packets, SMTP, FTP, SNMP."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, mapping wirekit errors to exit codes."""
    from ._errors import run_cli

    sys.exit(run_cli(cli, argv))
