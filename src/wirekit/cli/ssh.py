"""``wirekit ssh``: run on many hosts (progress + summary), put/get/ls over SFTP, forward; ``wirekit serve ssh``."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .render import emit, emit_json, json_option

F = TypeVar("F", bound=Callable[..., Any])


def _conn_options(f: F) -> F:
    """Options shared by every ``wirekit ssh`` subcommand (become SSHOptions fields)."""
    opts = [
        click.option("-l", "--user", default=None, help="Login user when a host names none."),
        click.option(
            "-P", "--port", type=int, default=None, help="Port when a host names none (default 22)."
        ),
        click.option(
            "-i",
            "--identity",
            "key_files",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="Private key file (repeatable).",
        ),
        click.option(
            "--password-env",
            default=None,
            metavar="VAR",
            help="Read the password from this environment variable.",
        ),
        click.option("--ask-password", is_flag=True, help="Prompt for the password."),
        click.option(
            "--known-hosts",
            default="~/.ssh/known_hosts",
            show_default=True,
            help="known_hosts file.",
        ),
        click.option(
            "--accept-new",
            is_flag=True,
            help="Trust and record unknown host keys (changed keys stay fatal).",
        ),
        click.option(
            "-F",
            "--ssh-config",
            default="~/.ssh/config",
            show_default=True,
            help="OpenSSH client config for aliases ('none' to skip).",
        ),
        click.option(
            "--connect-timeout",
            type=float,
            default=10.0,
            show_default=True,
            help="Seconds for TCP + handshake + auth.",
        ),
        click.option("--no-agent", is_flag=True, help="Do not use SSH_AUTH_SOCK."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _options(kw: dict[str, Any]) -> Any:
    from ..ssh.options import SSHOptions

    password = None
    env_var = kw.pop("password_env", None)
    if env_var:
        password = os.environ.get(env_var)
        if password is None:
            raise click.UsageError(f"--password-env {env_var}: the variable is not set")
    if kw.pop("ask_password", False):
        password = click.prompt("SSH password", hide_input=True, err=True)
    if password is None:
        password = os.environ.get("WIREKIT_SSH_PASSWORD")
    cfg = kw.pop("ssh_config")
    return SSHOptions(
        user=kw.pop("user"),
        port=kw.pop("port"),
        password=password,
        key_files=list(kw.pop("key_files")),
        known_hosts=kw.pop("known_hosts"),
        accept_new=kw.pop("accept_new"),
        ssh_config=None if cfg in ("none", "") else cfg,
        connect_timeout=kw.pop("connect_timeout"),
        agent=not kw.pop("no_agent"),
    )


@click.group(name="ssh")
def ssh() -> None:
    """SSH: run a command on many hosts, SFTP put/get/ls, port forwarding."""


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", name)[:100]


@ssh.command(context_settings={"ignore_unknown_options": False})
@click.option(
    "-H",
    "--hosts",
    "host_lists",
    multiple=True,
    help="Comma-separated hosts ([user@]host[:port] or ssh_config aliases).",
)
@click.option(
    "-f",
    "--file",
    "inventory",
    type=click.Path(dir_okay=False),
    default=None,
    help="Inventory file: one [user@]host[:port] a line.",
)
@click.option(
    "--config-hosts",
    default=None,
    metavar="GLOB",
    help="Every Host alias in the ssh_config matching GLOB.",
)
@click.option(
    "-p", "--parallel", type=int, default=100, show_default=True, help="Hosts in flight at once."
)
@click.option(
    "--rate", type=float, default=None, help="New connections per second (default: unlimited)."
)
@click.option(
    "-t", "--timeout", "command_timeout", type=float, default=None, help="Seconds per command."
)
@click.option(
    "--retries",
    type=int,
    default=0,
    show_default=True,
    help="Extra connection attempts after transient failures.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write INDEX-HOST.stdout/.stderr per host here.",
)
@click.option(
    "--dask",
    "dask_scheduler",
    default=None,
    metavar="ADDR",
    help="Shard the hosts over this Dask scheduler's workers.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option(
    "--stream",
    is_flag=True,
    help="Print output lines as they arrive, prefixed [HOST] (no progress bar).",
)
@_conn_options
@json_option
@click.argument("command", nargs=-1, required=True)
def run(
    host_lists: tuple[str, ...],
    inventory: str | None,
    config_hosts: str | None,
    parallel: int,
    rate: float | None,
    command_timeout: float | None,
    retries: int,
    out_dir: str | None,
    dask_scheduler: str | None,
    no_progress: bool,
    stream: bool,
    as_json: bool,
    command: tuple[str, ...],
    **conn: Any,
) -> None:
    """Run COMMAND on every host and print a summary table (host, exit, duration, first line).

    \b
    wirekit ssh run -H web1,web2 -- uptime
    wirekit ssh run -f hosts.txt -p 50 --rate 20 --json -- 'df -h /'
    wirekit ssh run -f hosts.txt --stream -- 'tail -n 5 /var/log/syslog'
    """
    from ..errors import ConfigError, ConnectError, RemoteCommandFailed
    from ..ssh.inventory import from_ssh_config, load_inventory, parse_target

    opts = _options(conn)
    hosts: list[Any] = []
    for hl in host_lists:
        hosts += [h.strip() for h in hl.split(",") if h.strip()]
    if inventory:
        hosts += load_inventory(inventory)
    if config_hosts:
        if not opts.ssh_config:
            raise ConfigError("--config-hosts needs an ssh_config (-F)")
        hosts += from_ssh_config(opts.ssh_config, config_hosts)
    if not hosts:
        raise click.UsageError("no hosts: give -H, -f or --config-hosts")
    for i, h in enumerate(hosts):
        if isinstance(h, str):
            try:
                parse_target(h)
            except ConfigError as exc:
                raise ConfigError(f"-H host #{i}: {exc}") from None
    cmd = " ".join(command)
    kwargs: dict[str, Any] = {
        "options": opts,
        "concurrency": parallel,
        "rate": rate,
        "command_timeout": command_timeout,
        "retries": retries,
    }
    if stream:
        if dask_scheduler:
            raise click.UsageError(
                "--stream cannot be combined with --dask (lines stay on the workers)"
            )

        def print_line(_index: int, host: str, name: str, line: str | bytes) -> None:
            text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
            click.echo(f"[{host}] {text}", err=(name == "stderr"))

        kwargs["on_line"] = print_line
    result = _run_with_progress(
        hosts, cmd, kwargs, dask_scheduler, show=not (no_progress or as_json or stream)
    )
    if out_dir:
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        for r in result:
            base = d / f"{r.index:05d}-{_safe(r.host)}"
            for ext, data in (("stdout", r.stdout), ("stderr", r.stderr)):
                Path(f"{base}.{ext}").write_bytes(data.encode() if isinstance(data, str) else data)
    if as_json:
        emit_json(result)
    else:
        rows = [
            {
                "#": r.index,
                "host": r.host,
                "status": r.status,
                "exit": r.exit_status,
                "duration": round(r.duration, 3),
                "first line": r.first_line,
            }
            for r in result
        ]
        emit(rows, False, title=f"ssh run: {cmd}")
        s = result.summary
        click.echo(
            f"{s.total} hosts: {s.ok} ok, {s.failed} failed, {s.unreachable} unreachable in {s.wall:.2f}s",
            err=True,
        )
    # The exit code comes from the error type (errors.EXIT_CODES): 3 unreachable, 7 failed.
    s = result.summary
    if s.unreachable:
        raise ConnectError(f"{s.unreachable} of {s.total} hosts unreachable ({s.failed} failed)")
    if s.failed:
        raise RemoteCommandFailed(
            "failed", f"{s.failed} of {s.total} hosts", f"{s.failed} of {s.total} hosts failed"
        )


def _run_with_progress(
    hosts: list[Any], cmd: str, kwargs: dict[str, Any], dask_scheduler: str | None, show: bool
) -> Any:
    from ..ssh.fanout import run_many

    if not show:
        if dask_scheduler:
            return run_many(hosts, cmd, engine="dask", scheduler=dask_scheduler, **kwargs)
        return run_many(hosts, cmd, **kwargs)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]ssh run"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeElapsedColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task("run", total=len(hosts), stats="")
        counts = {"ok": 0, "failed": 0, "unreachable": 0}

        def on_result(row: Any) -> None:
            counts[row.status] += 1
            # rich's Progress is thread-safe; the fan-out calls this on its loop thread
            progress.update(
                task,
                advance=1,
                stats=f"ok {counts['ok']} failed {counts['failed']} unreachable {counts['unreachable']}",
            )

        if dask_scheduler:
            return run_many(
                hosts, cmd, engine="dask", scheduler=dask_scheduler, on_result=on_result, **kwargs
            )
        return run_many(hosts, cmd, on_result=on_result, **kwargs)


def _client(host: str, conn: dict[str, Any]) -> Any:
    from ..ssh.sync import SSHClient

    return SSHClient(host, options=_options(conn))


@ssh.command()
@_conn_options
@click.option("-r", "--recursive", is_flag=True, help="Upload a directory tree.")
@click.option(
    "--resume", is_flag=True, help="Continue an interrupted upload (its .wirekit-part file)."
)
@click.option(
    "--checksum", is_flag=True, help="Verify SHA-256 on both ends before the final rename."
)
@json_option
@click.argument("host")
@click.argument("local", type=click.Path(exists=True))
@click.argument("remote")
def put(
    host: str,
    local: str,
    remote: str,
    recursive: bool,
    resume: bool,
    checksum: bool,
    as_json: bool,
    **conn: Any,
) -> None:
    """Upload LOCAL to REMOTE on HOST (written as REMOTE.wirekit-part, then renamed)."""
    with _client(host, conn) as c, c.sftp() as s:
        emit(
            s.put(local, remote, recursive=recursive, resume=resume, checksum=checksum),
            as_json,
            title=f"put to {host}",
        )


@ssh.command()
@_conn_options
@click.option("-r", "--recursive", is_flag=True, help="Download a directory tree.")
@click.option(
    "--resume", is_flag=True, help="Continue an interrupted download (its .wirekit-part file)."
)
@click.option(
    "--checksum", is_flag=True, help="Verify SHA-256 on both ends before the final rename."
)
@json_option
@click.argument("host")
@click.argument("remote")
@click.argument("local", type=click.Path())
def get(
    host: str,
    remote: str,
    local: str,
    recursive: bool,
    resume: bool,
    checksum: bool,
    as_json: bool,
    **conn: Any,
) -> None:
    """Download REMOTE from HOST to LOCAL (written as LOCAL.wirekit-part, then renamed)."""
    with _client(host, conn) as c, c.sftp() as s:
        emit(
            s.get(remote, local, recursive=recursive, resume=resume, checksum=checksum),
            as_json,
            title=f"get from {host}",
        )


@ssh.command(name="ls")
@_conn_options
@json_option
@click.argument("host")
@click.argument("path", default=".")
def ls_(host: str, path: str, as_json: bool, **conn: Any) -> None:
    """List PATH on HOST over SFTP."""
    with _client(host, conn) as c, c.sftp() as s:
        entries = s.ls(path)
        rows = [
            {
                "name": e.name,
                "kind": e.kind,
                "size": e.size,
                "mode": oct(e.mode & 0o7777),
                "mtime": e.mtime,
            }
            for e in entries
        ]
        emit(rows, as_json, title=f"{host}:{path}")


_FWD = re.compile(
    r"^(?:(?P<bind>[^:]+):)?(?P<port>\d+)(?::(?P<host>\[[^\]]+\]|[^:]+):(?P<hport>\d+))?$"
)


def _parse_forward(spec: str, dynamic: bool) -> tuple[str, int, str | None, int | None]:
    m = _FWD.match(spec)
    if not m or (dynamic and m.group("host")) or (not dynamic and not m.group("host")):
        form = "[bind:]port" if dynamic else "[bind:]port:host:hostport"
        raise click.BadParameter(f"{spec!r}: expected {form}")
    host = m.group("host")
    if host:
        host = host.strip("[]")
    hport = m.group("hport")
    return m.group("bind") or "127.0.0.1", int(m.group("port")), host, int(hport) if hport else None


@ssh.command()
@_conn_options
@click.option(
    "-L",
    "local_specs",
    multiple=True,
    metavar="[BIND:]PORT:HOST:HOSTPORT",
    help="Local forward (like ssh -L).",
)
@click.option(
    "-R",
    "remote_specs",
    multiple=True,
    metavar="[BIND:]PORT:HOST:HOSTPORT",
    help="Remote forward (like ssh -R).",
)
@click.option(
    "-D", "socks_specs", multiple=True, metavar="[BIND:]PORT", help="SOCKS proxy (like ssh -D)."
)
@click.argument("host")
def forward(
    host: str,
    local_specs: tuple[str, ...],
    remote_specs: tuple[str, ...],
    socks_specs: tuple[str, ...],
    **conn: Any,
) -> None:
    """Forward ports through HOST until Ctrl-C.

    \b
    wirekit ssh forward web1 -L 8080:localhost:80 -D 1080
    """
    if not (local_specs or remote_specs or socks_specs):
        raise click.UsageError("give at least one of -L, -R, -D")
    parsed = (
        [("L", *_parse_forward(s, False)) for s in local_specs]
        + [("R", *_parse_forward(s, False)) for s in remote_specs]
        + [("D", *_parse_forward(s, True)) for s in socks_specs]
    )
    opts = _options(conn)

    async def main() -> None:
        import asyncio
        import signal

        from ..ssh.client import AsyncSSHClient

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with AsyncSSHClient(host, options=opts) as c:
            forwards = []
            for kind, bind, port, dhost, dport in parsed:
                if kind == "L":
                    f = await c.forward_local(port, dhost or "", dport or 0, listen_host=bind)
                elif kind == "R":
                    f = await c.forward_remote(port, dhost or "", dport or 0, listen_host=bind)
                else:
                    f = await c.forward_socks(port, listen_host=bind)
                forwards.append(f)
                click.echo(f"-{kind} {bind}:{f.port} -> {f.dest} via {host}", err=True)
            closed = asyncio.ensure_future(c.connection.wait_closed())
            waiter = asyncio.ensure_future(stop.wait())
            await asyncio.wait({closed, waiter}, return_when=asyncio.FIRST_COMPLETED)
            for t in (closed, waiter):
                t.cancel()
            for f in forwards:
                await f.aclose()

    from ..runtime.loop import run as run_loop

    run_loop(main())


@click.command(name="ssh")
@click.argument("endpoint", default="tcp:127.0.0.1:2222")
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME[:PASSWORD]",
    help="Login (repeatable); no password: key only. Default: wirekit with a generated password.",
)
@click.option(
    "--authorized-key",
    "keys",
    multiple=True,
    help="Public key line or file accepted for every user (repeatable).",
)
@click.option(
    "--host-key",
    type=click.Path(dir_okay=False),
    default=None,
    help="Host private key (default: a generated Ed25519 key).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=None,
    help="Command cwd and SFTP root (default: a temporary directory).",
)
@click.option(
    "--allow-forwarding", is_flag=True, help="Allow -L/-R/-D forwarding through this server."
)
@click.option("--no-exec", is_flag=True, help="Refuse commands (SFTP only).")
def serve_ssh(
    endpoint: str,
    users: tuple[str, ...],
    keys: tuple[str, ...],
    host_key: str | None,
    root: str | None,
    allow_forwarding: bool,
    no_exec: bool,
) -> None:
    """Test SSH server: password/key auth, exec, SFTP confined to --root, optional forwarding."""
    import secrets

    from ..errors import ConfigError
    from ..ssh.server import SSHServer

    m = re.match(r"^(?:tcp:)?(?P<host>\[[^\]]+\]|[^:]+):(?P<port>\d+)$", endpoint)
    if not m:
        raise ConfigError(f"{endpoint!r}: expected tcp:HOST:PORT")
    host, port = m.group("host").strip("[]"), int(m.group("port"))
    logins: dict[str, str | None] = {}
    for u in users:
        name, sep, pw = u.partition(":")
        logins[name] = pw if sep else None
    if not logins:
        logins["wirekit"] = secrets.token_urlsafe(12)
    if not keys and all(v is None for v in logins.values()):
        raise ConfigError("key-only users need --authorized-key")
    if root:
        Path(root).mkdir(parents=True, exist_ok=True)

    async def main() -> None:
        import asyncio
        import signal

        server = SSHServer(
            host,
            port,
            users=logins,
            authorized_keys=list(keys),
            host_key=host_key,
            root=root,
            allow_forwarding=allow_forwarding,
            subprocess=not no_exec,
        )
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        click.echo(
            f"wirekit SSH server on {server.host}:{server.port}, root {server.root}", err=True
        )
        for name, pw in logins.items():
            click.echo(f"  user {name}" + (f" password {pw}" if pw else " (key only)"), err=True)
        click.echo(f"  known_hosts line: {server.known_hosts_line()}", err=True)
        try:
            await stop.wait()
        finally:
            await server.stop()

    from ..runtime.loop import run as run_loop

    run_loop(main())
