"""``wirekit ftp ls|get|put|mirror|rm|mkdir URL`` and ``wirekit serve ftp``."""

from __future__ import annotations

import posixpath
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .render import emit, json_option

URL_HELP = "ftp://user:pass@host:port/path (ftpes:// = explicit TLS, ftps:// = implicit TLS)"


def _client_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--tls", is_flag=True, help="Explicit FTPS (AUTH TLS, PROT P) on an ftp:// URL."
    )(f)
    f = click.option(
        "--ca",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="CA file to verify the server.",
    )(f)
    f = click.option("-k", "--insecure", is_flag=True, help="Do not verify the TLS certificate.")(f)
    f = click.option("--active", is_flag=True, help="Active mode (EPRT/PORT) instead of passive.")(
        f
    )
    f = click.option(
        "--timeout", type=float, default=30.0, show_default=True, help="Seconds per operation."
    )(f)
    return f


def _open(url: str, o: dict[str, Any]) -> tuple[Any, str]:
    from ..ftp.client import FTPClient, parse_ftp_url

    u = parse_ftp_url(url)
    tls = u.tls or ("explicit" if o.get("tls") else None)
    client = FTPClient(
        u.host,
        u.port,
        u.user,
        u.password,
        tls=tls,
        ca=o.get("ca"),
        verify=not o.get("insecure"),
        passive=not o.get("active"),
        timeout=o.get("timeout", 30.0),
    )
    return client, u.path


@contextmanager
def _bar(enabled: bool) -> Iterator[Callable[[str, int, int | None], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    tasks: dict[str, Any] = {}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
    ) as bar:

        def update(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update


@click.group()
def ftp() -> None:
    """FTP/FTPS client. URLs look like ftp://user:pass@host:port/path."""


@ftp.command("ls")
@click.argument("url")
@click.option("--raw", is_flag=True, help="Print the server's LIST text as is.")
@_client_options
@json_option
def ls(url: str, raw: bool, as_json: bool, **o: Any) -> None:
    """List a directory (MLSD, or LIST parsed when the server has no MLSD)."""
    client, path = _open(url, o)
    with client:
        if raw:
            click.echo(client.list_raw(path), nl=False)
            return
        entries = client.list(path)
    rows = [
        {
            "name": e.name + ("/" if e.is_dir else ""),
            "type": e.type,
            "size": e.size,
            "modified": e.modified.isoformat() if e.modified else None,
        }
        for e in sorted(entries, key=lambda e: (not e.is_dir, e.name))
    ]
    emit(rows, as_json, title=f"{url}")


def _result(path: str, local: str, nbytes: int, t0: float) -> dict[str, Any]:
    dt = max(time.perf_counter() - t0, 1e-9)
    return {
        "remote": path,
        "local": local,
        "bytes": nbytes,
        "seconds": round(dt, 3),
        "MiB_per_s": round(nbytes / dt / 1048576, 1),
    }


@ftp.command("get")
@click.argument("url")
@click.option("-o", "--output", default=None, help="Local file (default: the remote name).")
@click.option(
    "-c", "--continue", "resume", is_flag=True, help="Resume a partial local file (REST)."
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_client_options
@json_option
def get(
    url: str, output: str | None, resume: bool, no_progress: bool, as_json: bool, **o: Any
) -> None:
    """Download a file."""
    client, path = _open(url, o)
    local = output or posixpath.basename(path) or "download"
    t0 = time.perf_counter()
    with client, _bar(not no_progress and not as_json) as bar:
        cb = (lambda d, t: bar(local, d, t)) if bar else None
        n = client.download(path, local, resume=resume, progress=cb)
    emit(_result(path, local, n, t0), as_json)


@ftp.command("put")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.argument("url")
@click.option(
    "-c",
    "--continue",
    "resume",
    is_flag=True,
    help="Resume: send only what the server lacks (SIZE + APPE).",
)
@click.option("--append", is_flag=True, help="Append to the remote file (APPE).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_client_options
@json_option
def put(
    file: str, url: str, resume: bool, append: bool, no_progress: bool, as_json: bool, **o: Any
) -> None:
    """Upload FILE to URL (a URL ending in / keeps the local name)."""
    client, path = _open(url, o)
    if path.endswith("/"):
        path = path + Path(file).name
    t0 = time.perf_counter()
    with client, _bar(not no_progress and not as_json) as bar:
        cb = (lambda d, t: bar(path, d, t)) if bar else None
        n = client.upload(file, path, resume=resume, append=append, progress=cb)
    emit(_result(path, file, n, t0), as_json)


@ftp.command("mirror")
@click.argument("url")
@click.argument("local", type=click.Path(file_okay=False))
@click.option("-R", "--up", "reverse", is_flag=True, help="Mirror LOCAL up to URL instead of down.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@_client_options
@json_option
def mirror(url: str, local: str, reverse: bool, no_progress: bool, as_json: bool, **o: Any) -> None:
    """Mirror a remote directory to LOCAL (or LOCAL up to the remote with -R); unchanged files are skipped."""
    from ..ftp.mirror import mirror_down, mirror_up

    client, path = _open(url, o)
    t0 = time.perf_counter()
    with client, _bar(not no_progress and not as_json) as bar:
        if reverse:
            result = mirror_up(client, local, path, progress=bar)
        else:
            result = mirror_down(client, path, local, progress=bar)
    summary: dict[str, Any] = {
        "direction": "up" if reverse else "down",
        "copied": len(result.copied),
        "skipped": len(result.skipped),
        "dirs": len(result.dirs),
        "bytes": result.bytes,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if as_json:
        summary["files"] = result.copied
    emit(summary, as_json)


@ftp.command("rm")
@click.argument("url")
@click.option("-d", "--dir", "is_dir", is_flag=True, help="Remove an (empty) directory (RMD).")
@_client_options
@json_option
def rm(url: str, is_dir: bool, as_json: bool, **o: Any) -> None:
    """Delete a file (DELE) or an empty directory (RMD with --dir)."""
    client, path = _open(url, o)
    with client:
        if is_dir:
            client.rmdir(path)
        else:
            client.delete(path)
    emit({"removed": path}, as_json)


@ftp.command("mkdir")
@click.argument("url")
@_client_options
@json_option
def mkdir(url: str, as_json: bool, **o: Any) -> None:
    """Create a directory (MKD)."""
    client, path = _open(url, o)
    with client:
        made = client.mkdir(path)
    emit({"created": made}, as_json)


def _port_range(spec: str | None) -> range | None:
    if not spec:
        return None
    from ..errors import ConfigError

    lo, sep, hi = spec.partition("-")
    if not sep or not lo.isdigit() or not hi.isdigit() or not 0 < int(lo) <= int(hi) < 65536:
        raise ConfigError(f"--passive-ports wants LOW-HIGH, got {spec!r}")
    return range(int(lo), int(hi) + 1)


@click.command(name="ftp")
@click.argument("endpoint", default="tcp:127.0.0.1:2121")
@click.option(
    "--root",
    "root_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="Directory users are confined to (home of every --user).",
)
@click.option(
    "--user",
    "users",
    multiple=True,
    help="NAME:PASS[:perms] (perms: letters of rwdmf or words; default all). Repeatable.",
)
@click.option("--anonymous", is_flag=True, help="Allow read-only anonymous login (off by default).")
@click.option("--passive-ports", default=None, help="Passive port range, e.g. 30000-30099.")
@click.option("--tls", is_flag=True, help="Offer explicit FTPS (AUTH TLS).")
@click.option("--implicit-tls", is_flag=True, help="Implicit FTPS: TLS from the first byte.")
@click.option("--require-tls", is_flag=True, help="Refuse logins and data connections without TLS.")
@click.option(
    "--require-ssl-reuse",
    is_flag=True,
    help="Refuse TLS data connections that do not resume the control session.",
)
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Server certificate (PEM); default: a generated test CA + cert.",
)
@click.option(
    "--key", type=click.Path(exists=True, dir_okay=False), default=None, help="Server key (PEM)."
)
@click.option("--max-per-user", type=int, default=None, help="Connections per user.")
@click.option(
    "--idle-timeout",
    type=float,
    default=300.0,
    show_default=True,
    help="Close idle control connections after this many seconds.",
)
def serve_ftp(
    endpoint: str,
    root_dir: str,
    users: tuple[str, ...],
    anonymous: bool,
    passive_ports: str | None,
    **o: Any,
) -> None:
    """FTP server with virtual users confined to --root, until Ctrl-C."""
    import asyncio
    import ssl
    import tempfile

    from ..errors import ConfigError
    from ..ftp.server import FTPServer
    from ..ftp.users import UserDB, parse_user_spec
    from ..runtime.loop import run
    from ..streams.endpoint import parse_endpoint

    ep = parse_endpoint(endpoint)
    if ep.kind not in ("tcp", "tls"):
        raise ConfigError(f"serve ftp listens on tcp:HOST:PORT, not {endpoint!r}")
    db = UserDB()
    for spec in users:
        name, password, perms = parse_user_spec(spec)
        db.add(name, password, root_dir, perms)
    if anonymous:
        db.add_anonymous(root_dir)
    if not len(db):
        raise ConfigError("no users: add --user NAME:PASS[:perms] (or --anonymous)")
    ctx = None
    tls_note = ""
    if (
        o["tls"]
        or o["implicit_tls"]
        or o["require_tls"]
        or o["require_ssl_reuse"]
        or ep.kind == "tls"
    ):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if o["cert"]:
            ctx.load_cert_chain(o["cert"], o["key"])
        else:
            from ..streams.certs import make_test_tls

            material = make_test_tls(Path(tempfile.mkdtemp(prefix="wirekit-ftp-tls-")))
            ctx.load_cert_chain(material.cert, material.key)
            tls_note = f" (test CA: {material.ca_cert})"
    server = FTPServer(
        db,
        ep.host,
        ep.port,
        passive_ports=_port_range(passive_ports),
        ssl_context=ctx,
        implicit_tls=o["implicit_tls"] or ep.kind == "tls",
        require_tls=o["require_tls"],
        require_ssl_reuse=o["require_ssl_reuse"],
        max_per_user=o["max_per_user"],
        idle_timeout=o["idle_timeout"],
    )

    async def main() -> None:
        await server.start()
        host, port = server.address
        click.echo(
            f"FTP server on {host}:{port}, root {root_dir}, users: {', '.join(u.split(':')[0] for u in users) or '-'}{' + anonymous' if anonymous else ''}{tls_note}; Ctrl-C stops",
            err=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    try:
        run(main)
    except KeyboardInterrupt:
        pass
