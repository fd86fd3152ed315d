"""``wirekit connect`` and ``wirekit listen``: netcat, on wirekit streams."""

from __future__ import annotations

import os
import sys
import threading

import click

from .._util.hexdump import hexdump


def _pump_socket_to_stdout(stream: object, hex_output: bool) -> int:
    """Copy from the stream to stdout until EOF; return bytes copied."""
    from ..streams.blocking import Stream

    assert isinstance(stream, Stream)
    out = sys.stdout.buffer
    total = 0
    while True:
        data = stream.recv(65536, timeout=None)
        if not data:
            return total
        if hex_output:
            out.write(hexdump(data, offset=total).encode() + b"\n")
        else:
            out.write(data)
        out.flush()
        total += len(data)


def _pump_stdin_to_socket(stream: object, crlf: bool) -> None:
    from ..errors import WirekitError
    from ..streams.blocking import Stream

    assert isinstance(stream, Stream)
    fd = sys.stdin.fileno()
    try:
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            if crlf:
                data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            stream.send_all(data)
        stream.send_eof()
    except WirekitError:
        pass  # the peer went away; the reader side reports it


def _session(stream: object, hex_output: bool, crlf: bool, send_stdin: bool) -> int:
    pump = None
    if send_stdin:
        pump = threading.Thread(target=_pump_stdin_to_socket, args=(stream, crlf), daemon=True)
        pump.start()
    received = _pump_socket_to_stdout(stream, hex_output)
    # Like netcat: the peer's EOF is a half-close; piped stdin still goes out before we close.
    # An interactive terminal is not waited for (the user would have to press Ctrl-D).
    if pump is not None and not sys.stdin.isatty():
        pump.join()
    return received


@click.command()
@click.argument("endpoint")
@click.option(
    "-w",
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="Connect timeout in seconds.",
)
@click.option("--hex", "hex_output", is_flag=True, help="Show received bytes as a hexdump.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Trace every byte both ways as hexdump on stderr."
)
@click.option("--crlf", is_flag=True, help="Send line endings as CRLF.")
@click.option(
    "-z", "--zero", is_flag=True, help="Only check that a connection can be made (exit 0 if so)."
)
def connect(
    endpoint: str, timeout: float, hex_output: bool, verbose: bool, crlf: bool, zero: bool
) -> None:
    """Netcat client: stdin to ENDPOINT, ENDPOINT to stdout (tcp:, tls:, unix:, udp:)."""
    from ..streams import connect as open_stream
    from ..streams import open_udp
    from ..streams.endpoint import parse_endpoint

    ep = parse_endpoint(endpoint, default_kind="tcp")
    if ep.kind == "udp":
        sock = open_udp(ep, trace=verbose, timeout=None)
        with sock:
            for line in sys.stdin.buffer:
                sock.send(line)
        return
    with open_stream(ep, timeout=timeout, trace=verbose) as stream:
        if zero:
            click.echo(f"connected to {ep}", err=True)
            return
        stream.timeout = None
        _session(stream, hex_output, crlf, send_stdin=True)


@click.command()
@click.argument("endpoint")
@click.option("-k", "--keep-open", is_flag=True, help="After a client leaves, accept the next one.")
@click.option("--hex", "hex_output", is_flag=True, help="Show received bytes as a hexdump.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Trace every byte both ways as hexdump on stderr."
)
@click.option(
    "--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (for tls:)."
)
@click.option(
    "--key", type=click.Path(exists=True, dir_okay=False), help="TLS private key (for tls:)."
)
def listen(
    endpoint: str,
    keep_open: bool,
    hex_output: bool,
    verbose: bool,
    cert: str | None,
    key: str | None,
) -> None:
    """Netcat server: accept on ENDPOINT; socket to stdout, stdin to the (first) client."""
    from ..streams import listen as open_listener
    from ..streams.blocking import DatagramSocket
    from ..streams.endpoint import Endpoint, parse_endpoint

    ep = parse_endpoint(endpoint, default_kind="tcp")
    if ep.kind == "tls" and cert:
        opts = dict(ep.options, cert=cert)
        if key:
            opts["key"] = key
        ep = Endpoint(ep.kind, ep.host, ep.port, ep.path, opts)
    listener = open_listener(ep, trace=verbose)
    if isinstance(listener, DatagramSocket):
        with listener:
            click.echo(f"listening on udp {listener.address}", err=True)
            while True:
                data, _addr = listener.recvfrom(timeout=None)
                sys.stdout.buffer.write(hexdump(data).encode() + b"\n" if hex_output else data)
                sys.stdout.buffer.flush()
    with listener:
        click.echo(f"listening on {listener.bound_endpoint}", err=True)
        first = True
        while True:
            stream = listener.accept()
            click.echo(f"connection from {stream.peer_address}", err=True)
            with stream:
                _session(stream, hex_output, crlf=False, send_stdin=first)
            first = False
            if not keep_open:
                return
