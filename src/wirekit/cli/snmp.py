"""``wirekit snmp``: get, next, bulk, walk, set, table, record, simulate, trap and traps, with
Net-SNMP-like options (``-v -c -u -l -a -A -x -X -t -r``), tables or ``--json``; and
``wirekit serve snmp``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .render import emit, emit_json, json_option, to_jsonable

F = TypeVar("F", bound=Callable[..., Any])


def _credentials(f: F) -> F:
    """Net-SNMP's session options."""
    opts = [
        click.option(
            "-v",
            "--version",
            "version",
            default="2c",
            show_default=True,
            help="SNMP version: 1, 2c or 3.",
        ),
        click.option(
            "-c", "--community", default="public", show_default=True, help="Community (v1/v2c)."
        ),
        click.option("-u", "--user", default=None, help="v3 security name."),
        click.option(
            "-l",
            "--level",
            default=None,
            type=click.Choice(["noAuthNoPriv", "authNoPriv", "authPriv"], case_sensitive=False),
            help="v3 security level.",
        ),
        click.option(
            "-a",
            "--auth-protocol",
            default=None,
            help="v3 auth: MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512.",
        ),
        click.option("-A", "--auth-password", default=None, help="v3 auth pass phrase."),
        click.option(
            "-x",
            "--priv-protocol",
            default=None,
            help="v3 privacy: DES, AES, AES-192, AES-256 (-C: Reeder key extension).",
        ),
        click.option("-X", "--priv-password", default=None, help="v3 privacy pass phrase."),
        click.option("-n", "--context", default="", help="v3 context name."),
        click.option(
            "-t", "--timeout", type=float, default=1.0, show_default=True, help="Seconds per try."
        ),
        click.option(
            "-r",
            "--retries",
            type=int,
            default=2,
            show_default=True,
            help="Retries after the first try.",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _user_kwargs(o: dict[str, Any]) -> dict[str, Any]:
    """Client keyword arguments from the parsed session options."""
    from ..errors import ConfigError

    kw: dict[str, Any] = {
        "version": o["version"],
        "community": o["community"],
        "timeout": o["timeout"],
        "retries": o["retries"],
        "context": o["context"],
    }
    if str(o["version"]).lstrip("v") == "3":
        if not o["user"]:
            raise ConfigError("SNMPv3 needs -u USER")
        level = (
            o["level"]
            or (
                "authPriv"
                if o["priv_password"]
                else "authNoPriv"
                if o["auth_password"]
                else "noAuthNoPriv"
            )
        ).lower()
        kw["user"] = o["user"]
        if level in ("authnopriv", "authpriv"):
            kw["auth_protocol"] = o["auth_protocol"] or "MD5"
            kw["auth_password"] = o["auth_password"]
        if level == "authpriv":
            kw["priv_protocol"] = o["priv_protocol"] or "DES"
            kw["priv_password"] = o["priv_password"]
    return kw


def _usm_user(o: dict[str, Any]) -> Any:
    """The v3 user described by -u/-a/-A/-x/-X (agent, simulator, receiver), or None."""
    from ..snmp.usm import USMUser

    if not o.get("user"):
        return None
    auth = o.get("auth_protocol") if o.get("auth_password") else None
    priv = o.get("priv_protocol") if o.get("priv_password") and auth else None
    return USMUser(
        o["user"],
        auth,
        o.get("auth_password") if auth else None,
        priv,
        o.get("priv_password") if priv else None,
    )


def _rows(varbinds: list[Any], numeric: bool) -> list[dict[str, Any]]:
    from ..snmp.mib import format_oid

    return [
        {"oid": format_oid(vb.oid, numeric), "type": vb.value.type_name, "value": str(vb.value)}
        for vb in varbinds
    ]


def _show(varbinds: list[Any], as_json: bool, numeric: bool) -> None:
    if as_json:
        emit_json([vb.to_json() for vb in varbinds])
    else:
        emit(_rows(varbinds, numeric), False, columns=["oid", "type", "value"])


def _client(agent: str, o: dict[str, Any]) -> Any:
    from ..snmp.client import SNMPClient

    return SNMPClient(agent, **_user_kwargs(o))


@click.group()
def snmp() -> None:
    """SNMP manager, agent simulator and traps (v1, v2c, v3 USM)."""


_numeric = click.option(
    "-O",
    "--numeric/--names",
    "numeric",
    default=True,
    help="Numeric OIDs (default) or built-in MIB-2 names.",
)


@snmp.command()
@click.argument("agent")
@click.argument("oids", nargs=-1, required=True)
@_credentials
@_numeric
@json_option
def get(agent: str, oids: tuple[str, ...], as_json: bool, numeric: bool, **o: Any) -> None:
    """GET each OID from AGENT (HOST[:PORT] or udp:HOST:PORT)."""
    with _client(agent, o) as c:
        _show(c.get(*oids), as_json, numeric)


@snmp.command(name="next")
@click.argument("agent")
@click.argument("oids", nargs=-1, required=True)
@_credentials
@_numeric
@json_option
def next_(agent: str, oids: tuple[str, ...], as_json: bool, numeric: bool, **o: Any) -> None:
    """GETNEXT each OID."""
    with _client(agent, o) as c:
        _show(c.get_next(*oids), as_json, numeric)


@snmp.command()
@click.argument("agent")
@click.argument("oids", nargs=-1, required=True)
@click.option("-N", "--non-repeaters", type=int, default=0, show_default=True)
@click.option("-M", "--max-repetitions", type=int, default=10, show_default=True)
@_credentials
@_numeric
@json_option
def bulk(
    agent: str,
    oids: tuple[str, ...],
    non_repeaters: int,
    max_repetitions: int,
    as_json: bool,
    numeric: bool,
    **o: Any,
) -> None:
    """GETBULK (v2c/v3)."""
    with _client(agent, o) as c:
        _show(
            c.get_bulk(*oids, non_repeaters=non_repeaters, max_repetitions=max_repetitions),
            as_json,
            numeric,
        )


@snmp.command()
@click.argument("agent")
@click.argument("oid", default="1.3.6.1")
@click.option(
    "-M",
    "--max-repetitions",
    type=int,
    default=25,
    show_default=True,
    help="Starting GETBULK size (halves on tooBig/timeouts).",
)
@click.option("--next", "use_next", is_flag=True, help="Walk with GETNEXT instead of GETBULK.")
@_credentials
@_numeric
@json_option
def walk(
    agent: str,
    oid: str,
    max_repetitions: int,
    use_next: bool,
    as_json: bool,
    numeric: bool,
    **o: Any,
) -> None:
    """Walk the subtree under OID (GETBULK, adaptive; GETNEXT for v1)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    out: list[Any] = []
    with _client(agent, o) as c:
        console = Console(stderr=True)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("walking", total=None)
            for vb in c.walk(oid, bulk=not use_next, max_repetitions=max_repetitions):
                out.append(vb)
                if len(out) % 200 == 0:
                    progress.update(task, description=f"{len(out)} varbinds")
    if as_json:
        emit_json([vb.to_json() for vb in out])
    elif sys.stdout.isatty() and len(out) <= 2000:
        _show(out, False, numeric)
    else:
        # Long walks and pipes: one Net-SNMP-like line each, no table.
        from ..snmp.mib import format_oid

        write = sys.stdout.write
        for vb in out:
            write(f"{format_oid(vb.oid, numeric)} = {vb.value.type_name}: {vb.value}\n")


@snmp.command(name="set")
@click.argument("agent")
@click.argument("assignments", nargs=-1, required=True)
@_credentials
@_numeric
@json_option
def set_(agent: str, assignments: tuple[str, ...], as_json: bool, numeric: bool, **o: Any) -> None:
    """SET: OID TYPE VALUE triples, TYPE as in snmpset (i u c C t a o s x d n F)."""
    from ..errors import ConfigError
    from ..snmp.values import value_from_text

    if len(assignments) % 3:
        raise ConfigError("snmp set takes OID TYPE VALUE triples")
    pairs = []
    for i in range(0, len(assignments), 3):
        oid, code, text = assignments[i : i + 3]
        try:
            pairs.append((oid, value_from_text(code, text)))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    with _client(agent, o) as c:
        _show(c.set(pairs), as_json, numeric)


@snmp.command()
@click.argument("agent")
@click.argument("table_oid")
@_credentials
@json_option
def table(agent: str, table_oid: str, as_json: bool, **o: Any) -> None:
    """Walk a table (ifTable, or its OID) and show it by rows."""
    from ..snmp.mib import name_of

    with _client(agent, o) as c:
        t = c.table(table_oid)
    if as_json:
        emit_json(t)
        return
    names = {col: name_of((*t.entry, col)).split("::")[-1] for col in t.columns}
    rows = [
        {"index": idx, **{names[col]: str(row.get(col, "")) for col in t.columns}}
        for idx, row in t.rows.items()
    ]
    emit(rows, False, title=str(name_of(t.entry)))


@snmp.command()
@click.argument("agent")
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Output .snmprec file.",
)
@click.option("--root", default="1.3.6.1", show_default=True, help="Subtree to record.")
@_credentials
@json_option
def record(agent: str, out: str, root: str, as_json: bool, **o: Any) -> None:
    """Walk AGENT and save what it returns as an snmpsim-compatible .snmprec file."""
    from ..snmp.simulator import record as do_record

    n = do_record(agent, out, root=root, **_user_kwargs(o))
    emit({"agent": agent, "out": out, "records": n}, as_json)


def _run_until_interrupted(main: Callable[[], Any]) -> None:
    import asyncio

    from ..runtime.loop import new_event_loop

    loop = new_event_loop()
    try:
        loop.run_until_complete(main())
    except KeyboardInterrupt:
        pass
    finally:
        loop.close()
        del asyncio


@snmp.command()
@click.argument("recordings", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-e", "--endpoint", default="udp:127.0.0.1:1161", show_default=True, help="Where to answer."
)
@click.option(
    "--per-port", is_flag=True, help="Each recording on its own port (port, port+1, ...)."
)
@click.option(
    "-c",
    "--community",
    "communities",
    multiple=True,
    help="Community per recording (default: file stem).",
)
@click.option("-u", "--user", default=None, help="v3 user (sees the first recording).")
@click.option("-a", "--auth-protocol", default="SHA")
@click.option("-A", "--auth-password", default=None)
@click.option("-x", "--priv-protocol", default="AES")
@click.option("-X", "--priv-password", default=None)
@json_option
def simulate(
    recordings: tuple[str, ...],
    endpoint: str,
    per_port: bool,
    communities: tuple[str, ...],
    as_json: bool,
    **o: Any,
) -> None:
    """Replay .snmprec recordings as SNMP agents until Ctrl-C."""
    from ..snmp.simulator import Simulator

    user = _usm_user(o)
    sim = Simulator(
        recordings,
        endpoint,
        per_port=per_port,
        communities=list(communities) or None,
        users=[user] if user else None,
    )

    async def main() -> None:
        import asyncio

        await sim.start()
        emit(sim.devices, as_json, title="simulated devices")
        sys.stdout.flush()
        try:
            await asyncio.Event().wait()
        finally:
            await sim.stop()

    _run_until_interrupted(main)


@snmp.command()
@click.argument("agent")
@click.argument("trap_oid")
@click.argument("assignments", nargs=-1)
@click.option(
    "--inform", is_flag=True, help="Send an InformRequest and wait for the acknowledgement."
)
@click.option("--uptime", type=int, default=0, help="sysUpTime.0 of the notification (hundredths).")
@click.option(
    "-e",
    "--engine-id",
    default=None,
    help="Our engineID in hex, for v3 traps (the receiver must know it).",
)
@_credentials
@json_option
def trap(
    agent: str,
    trap_oid: str,
    assignments: tuple[str, ...],
    inform: bool,
    uptime: int,
    engine_id: str | None,
    as_json: bool,
    **o: Any,
) -> None:
    """Send a trap (or --inform) to AGENT (default port 162): TRAP_OID then OID TYPE VALUE triples."""
    from ..errors import ConfigError
    from ..snmp.client import SNMPClient, parse_agent
    from ..snmp.values import value_from_text

    if len(assignments) % 3:
        raise ConfigError("varbinds are OID TYPE VALUE triples")
    pairs = [
        (assignments[i], value_from_text(assignments[i + 1], assignments[i + 2]))
        for i in range(0, len(assignments), 3)
    ]
    host, port = parse_agent(agent, 162)
    eid = bytes.fromhex(engine_id.removeprefix("0x")) if engine_id else None
    with SNMPClient(f"{host}:{port}", engine_id=eid, **_user_kwargs(o)) as c:
        if inform:
            _show(c.inform(trap_oid, pairs, uptime=uptime), as_json, True)
        else:
            c.send_trap(trap_oid, pairs, uptime=uptime)
            emit({"sent": "trap", "to": c.agent, "trap_oid": trap_oid}, as_json)


@snmp.command()
@click.argument("endpoint", default="udp:127.0.0.1:162")
@click.option(
    "-c", "--community", "communities", multiple=True, help="Accepted communities (default: any)."
)
@click.option("-u", "--user", default=None, help="v3 user to accept.")
@click.option("-a", "--auth-protocol", default="SHA")
@click.option("-A", "--auth-password", default=None)
@click.option("-x", "--priv-protocol", default="AES")
@click.option("-X", "--priv-password", default=None)
@click.option("-e", "--engine-id", default=None, help="Our engineID in hex (for v3 informs).")
@click.option("--count", type=int, default=0, help="Exit after this many notifications.")
@json_option
def traps(
    endpoint: str,
    communities: tuple[str, ...],
    engine_id: str | None,
    count: int,
    as_json: bool,
    **o: Any,
) -> None:
    """Receive traps and informs on ENDPOINT and print each (a table row, or a JSON line)."""
    import json

    from ..snmp.trap import Notification, TrapReceiver

    user = _usm_user(o)
    eid = bytes.fromhex(engine_id.removeprefix("0x")) if engine_id else None

    def show(note: Notification) -> None:
        if as_json:
            sys.stdout.write(json.dumps(to_jsonable(note)) + "\n")
        else:
            vbs = ", ".join(f"{vb.oid}={vb.value}" for vb in note.varbinds)
            sys.stdout.write(
                f"{note.source} v{note.version} {note.kind} {note.trap_oid} uptime={note.uptime} [{note.security}] {vbs}\n"
            )
        sys.stdout.flush()

    receiver = TrapReceiver(
        endpoint,
        callback=show,
        communities=list(communities) or None,
        users=[user] if user else None,
        engine_id=eid,
    )

    async def main() -> None:
        import asyncio

        await receiver.start()
        click.echo(
            f"listening on udp:{receiver.address[0]}:{receiver.address[1]} engineID 0x{receiver.engine_id.hex()}",
            err=True,
        )
        try:
            if count:
                await receiver.wait_for(count, timeout=10**9)
            else:
                await asyncio.Event().wait()
        finally:
            await receiver.stop()

    _run_until_interrupted(main)


@click.command(name="snmp")
@click.argument("endpoint", default="udp:127.0.0.1:1161")
@click.option(
    "--recording",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Serve a .snmprec instead of the demo device.",
)
@click.option("-c", "--community", default="public", show_default=True, help="Read-only community.")
@click.option("--rw-community", default=None, help="Read-write community (SET allowed).")
@click.option("-u", "--user", default=None, help="v3 user (read-write).")
@click.option("-a", "--auth-protocol", default="SHA")
@click.option("-A", "--auth-password", default=None)
@click.option("-x", "--priv-protocol", default="AES")
@click.option("-X", "--priv-password", default=None)
def serve_snmp(
    endpoint: str, recording: str | None, community: str, rw_community: str | None, **o: Any
) -> None:
    """An SNMP agent serving the demo device (or a recording) until Ctrl-C."""
    from ..snmp.agent import SNMPAgent
    from ..snmp.demo import demo_tree
    from ..snmp.simulator import load_tree

    user = _usm_user(o)
    communities = {community: "ro"}
    if rw_community:
        communities[rw_community] = "rw"
    tree = load_tree(recording) if recording else demo_tree()
    agent = SNMPAgent(tree, endpoint, communities=communities, rw_users=[user] if user else None)

    async def main() -> None:
        import asyncio

        await agent.start()
        click.echo(
            f"SNMP agent on {agent.endpoint} ({len(agent.tree)} OIDs); Ctrl-C stops", err=True
        )
        try:
            await asyncio.Event().wait()
        finally:
            await agent.stop()

    _run_until_interrupted(main)
