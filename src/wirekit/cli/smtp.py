"""``wirekit smtp send|inbox`` and ``wirekit serve smtp``: a swaks-like sender, the captured inbox, the mail sink."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .render import emit, json_option

DEFAULT_STORE = "wirekit-mail"
STORE_HELP = "Maildir directory, mbox file (mbox:PATH) or 'memory'. [env WIREKIT_SMTP_STORE; default ./wirekit-mail]"


def _store_option(f: Any) -> Any:
    return click.option(
        "--store",
        "store_path",
        envvar="WIREKIT_SMTP_STORE",
        default=DEFAULT_STORE,
        show_default=True,
        help=STORE_HELP,
    )(f)


@click.group()
def smtp() -> None:
    """SMTP: send mail, inspect the captured inbox."""


def _dialogue(direction: str, data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for line in text.splitlines():
        if direction == "C" and line.upper().startswith("AUTH PLAIN "):
            line = "AUTH PLAIN ********"
        click.echo(f"{'->' if direction == 'C' else '<-'} {line}", err=True)


@smtp.command("send")
@click.option(
    "--server",
    "-s",
    required=True,
    help="tcp:HOST:PORT, tls:HOST:PORT (implicit TLS), HOST or HOST:PORT.",
)
@click.option("--from", "-f", "sender", required=True, help="Envelope sender and From header.")
@click.option(
    "--to", "-t", "to", multiple=True, required=True, help="Recipient (repeat, or comma-separated)."
)
@click.option("--cc", multiple=True, help="Cc recipient (repeat).")
@click.option("--bcc", multiple=True, help="Bcc recipient: envelope only (repeat).")
@click.option("--subject", default="wirekit test", show_default=True)
@click.option("--body", help="Message text.")
@click.option(
    "--body-file",
    type=click.File("r", encoding="utf-8"),
    help="Read the text from FILE ('-' for stdin).",
)
@click.option(
    "--html-file", type=click.File("r", encoding="utf-8"), help="An HTML alternative from FILE."
)
@click.option(
    "--attach",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Attach FILE (repeat).",
)
@click.option(
    "--header", "-H", "headers", multiple=True, help="Extra header 'Name: value' (repeat)."
)
@click.option("--starttls", is_flag=True, help="Upgrade with STARTTLS (default port 587).")
@click.option("--tls", is_flag=True, help="Implicit TLS (default port 465).")
@click.option("--insecure", "-k", is_flag=True, help="Do not verify the server certificate.")
@click.option(
    "--ca", type=click.Path(exists=True, dir_okay=False), help="Trust this CA file (PEM)."
)
@click.option(
    "--auth",
    "user",
    help="AUTH as USER (password from --password, $WIREKIT_SMTP_PASSWORD or a prompt).",
)
@click.option("--password", envvar="WIREKIT_SMTP_PASSWORD", help="AUTH password.")
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Seconds for every step."
)
@click.option("-v", "--verbose", is_flag=True, help="Show the SMTP dialogue on stderr.")
@json_option
def send_cmd(
    server: str,
    sender: str,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    bcc: tuple[str, ...],
    subject: str,
    body: str | None,
    body_file: Any,
    html_file: Any,
    attach: tuple[str, ...],
    headers: tuple[str, ...],
    starttls: bool,
    tls: bool,
    insecure: bool,
    ca: str | None,
    user: str | None,
    password: str | None,
    timeout: float,
    verbose: bool,
    as_json: bool,
) -> None:
    """Send one message (swaks-like): ``wirekit smtp send -s tcp:127.0.0.1:2525 -f a@x -t b@y --body hi``."""
    import ssl

    from ..smtp.client import SMTPClient
    from ..smtp.message import build_message

    def split(values: tuple[str, ...]) -> list[str]:
        return [a.strip() for v in values for a in v.split(",") if a.strip()]

    if body is not None and body_file is not None:
        raise click.UsageError("use --body or --body-file, not both")
    text = (
        body_file.read()
        if body_file is not None
        else (body if body is not None else "Sent by wirekit smtp send.\n")
    )
    extra = {}
    for h in headers:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            raise click.UsageError(f"--header wants 'Name: value', got {h!r}")
        extra[name.strip()] = value.strip()
    to_list, cc_list, bcc_list = split(to), split(cc), split(bcc)
    msg = build_message(
        sender=sender,
        to=to_list,
        cc=cc_list,
        subject=subject,
        text=text,
        html=html_file.read() if html_file is not None else None,
        attachments=attach,
        headers=extra,
    )
    ctx = None
    if tls or starttls or server.startswith("tls:"):
        ctx = ssl.create_default_context(cafile=ca)
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    if user is not None and password is None:
        password = click.prompt(f"password for {user}", hide_input=True, err=True)
    client = SMTPClient(
        server,
        tls=tls,
        starttls=starttls,
        ssl_context=ctx,
        timeout=timeout,
        username=user,
        password=password,
        dialogue=_dialogue if verbose else None,
    )
    with client:
        result = client.send_message(msg, sender, [*to_list, *cc_list, *bcc_list])
    emit(
        {
            "server": client.endpoint,
            "accepted": result.accepted,
            "refused": {k: str(v) for k, v in result.refused.items()},
            "reply": str(result.reply),
        },
        as_json,
        title="sent",
    )


@smtp.group()
def inbox() -> None:
    """The captured mail in a store (written by ``wirekit serve smtp``)."""


def _inbox(store_path: str) -> Any:
    from ..errors import ConfigError
    from ..smtp.inbox import Inbox
    from ..smtp.store import open_store

    if (
        store_path not in ("memory", "memory:")
        and not store_path.startswith("mbox:")
        and not Path(store_path).exists()
    ):
        raise ConfigError(
            f"no mail store at {store_path!r} (start `wirekit serve smtp --store {store_path}` first)"
        )
    return Inbox(open_store(store_path))


@inbox.command("list")
@_store_option
@json_option
def inbox_list(store_path: str, as_json: bool) -> None:
    """List captured messages, oldest first."""
    emit(
        _inbox(store_path).list(),
        as_json,
        title="inbox",
        columns=["id", "received", "sender", "to", "subject", "size", "attachments"],
    )


@inbox.command("search")
@click.argument("query")
@_store_option
@json_option
def inbox_search(query: str, store_path: str, as_json: bool) -> None:
    """Messages whose sender, recipients, subject or text contain QUERY."""
    emit(_inbox(store_path).search(query), as_json, title=f"matching {query!r}")


@inbox.command("show")
@click.argument("msg_id")
@click.option("--raw", is_flag=True, help="Print the stored message bytes.")
@_store_option
@json_option
def inbox_show(msg_id: str, raw: bool, store_path: str, as_json: bool) -> None:
    """Show one message: headers, text, HTML and attachments (MSG_ID from ``inbox list``; 'last' for the newest)."""
    from ..errors import ConfigError

    box = _inbox(store_path)
    if msg_id == "last":
        items = box.store.list()
        if not items:
            raise ConfigError("the inbox is empty")
        msg_id = items[-1].id
    try:
        if raw:
            sys.stdout.buffer.write(box.raw(msg_id))
            return
        detail = box.get(msg_id)
    except KeyError:
        raise ConfigError(f"no message {msg_id!r} in {store_path}") from None
    if as_json:
        emit(detail, True)
        return
    s = detail.summary
    click.echo(
        f"id:       {s.id}\nreceived: {s.received}\nenvelope: {detail.envelope_from or '<>'} -> {', '.join(detail.envelope_to)}"
    )
    for k, v in detail.headers:
        click.echo(f"{k}: {v}")
    if detail.text is not None:
        click.echo("\n" + detail.text)
    if detail.html is not None:
        click.echo(f"[HTML part, {len(detail.html)} characters]")
    for a in detail.attachments:
        click.echo(f"[attachment {a.index}: {a.filename} {a.content_type} {a.size} bytes]")


@inbox.command("purge")
@_store_option
@click.option("--yes", is_flag=True, help="Do not ask.")
@json_option
def inbox_purge(store_path: str, yes: bool, as_json: bool) -> None:
    """Delete every captured message."""
    box = _inbox(store_path)
    if not yes and not as_json:
        click.confirm(f"delete all {len(box)} message(s) in {store_path}?", abort=True)
    emit({"deleted": box.purge()}, as_json)


@click.command("smtp")
@click.argument("endpoint", default="tcp:127.0.0.1:2525")
@_store_option
@click.option(
    "--no-fsync", is_flag=True, help="Skip fsync (faster; not durable across power loss)."
)
@click.option("--domain", "domains", multiple=True, help="Accept mail for this domain (repeat).")
@click.option(
    "--recipient", "recipients", multiple=True, help="Accept mail for this address (repeat)."
)
@click.option(
    "--accept-all/--no-accept-all",
    default=None,
    help="Accept every recipient (loopback only). Default: on when no --domain/--recipient.",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM certificate: offers STARTTLS.",
)
@click.option(
    "--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM key for --tls-cert."
)
@click.option(
    "--smtps",
    "smtps_endpoint",
    help="Also serve implicit TLS on this endpoint (e.g. tcp:127.0.0.1:4650).",
)
@click.option("--user", "users", multiple=True, help="AUTH credentials USER:PASSWORD (repeat).")
@click.option(
    "--auth-without-tls",
    is_flag=True,
    help="Offer AUTH on cleartext too (default: only after TLS).",
)
@click.option("--require-auth", is_flag=True, help="Refuse MAIL until authenticated.")
@click.option(
    "--max-size", type=int, default=32 * 1024 * 1024, show_default=True, help="SIZE limit in bytes."
)
@click.option("--max-recipients", type=int, default=100, show_default=True)
@click.option("--max-connections", type=int, default=100, show_default=True)
@click.option("--hostname", default="localhost", show_default=True, help="Name in the greeting.")
@click.option(
    "--web", "web_endpoint", help="Serve the web inbox on HOST:PORT (e.g. 127.0.0.1:8025)."
)
@click.option("-v", "--verbose", is_flag=True, help="Print one line per stored message.")
def serve_smtp(
    endpoint: str,
    store_path: str,
    no_fsync: bool,
    domains: tuple[str, ...],
    recipients: tuple[str, ...],
    accept_all: bool | None,
    tls_cert: str | None,
    tls_key: str | None,
    smtps_endpoint: str | None,
    users: tuple[str, ...],
    auth_without_tls: bool,
    require_auth: bool,
    max_size: int,
    max_recipients: int,
    max_connections: int,
    hostname: str,
    web_endpoint: str | None,
    verbose: bool,
) -> None:
    """The SMTP mail sink: stores every accepted message (fsynced before 250) in --store."""
    import asyncio
    import signal
    import ssl

    from ..errors import ConfigError
    from ..runtime.loop import run
    from ..smtp.inbox import Inbox
    from ..smtp.server import RecipientPolicy, SinkHandler, SMTPServer
    from ..smtp.store import open_store
    from ..smtp.web import WebInbox

    creds = {}
    for u in users:
        name, sep, pw = u.partition(":")
        if not sep:
            raise click.UsageError("--user wants USER:PASSWORD")
        creds[name] = pw
    if accept_all is None:
        accept_all = not domains and not recipients
    ctx = None
    if tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(tls_cert, tls_key)
    elif smtps_endpoint:
        raise ConfigError("--smtps needs --tls-cert/--tls-key")
    store = open_store(store_path, fsync=not no_fsync)

    def on_message(msg_id: str, ev: Any) -> None:
        if verbose:
            click.echo(
                f"stored {msg_id}: {ev.mail_from or '<>'} -> {', '.join(ev.rcpt_tos)} ({len(ev.data)} bytes)",
                err=True,
            )

    handler = SinkHandler(
        store,
        RecipientPolicy.of(domains, recipients, accept_all),
        credentials=creds,
        on_message=on_message,
    )
    options = dict(
        hostname=hostname,
        max_connections=max_connections,
        max_message_size=max_size,
        max_recipients=max_recipients,
        auth_without_tls=auth_without_tls,
        require_auth=require_auth,
    )

    async def main() -> None:
        servers = [SMTPServer(handler, endpoint, ssl_context=ctx, **options)]  # type: ignore[arg-type]
        if smtps_endpoint:
            ep = (
                smtps_endpoint.replace("tcp:", "tls:", 1)
                if smtps_endpoint.startswith("tcp:")
                else smtps_endpoint
            )
            servers.append(SMTPServer(handler, ep, ssl_context=ctx, **options))  # type: ignore[arg-type]
        web = None
        for s in servers:
            await s.start()
            click.echo(f"smtp sink on {s.endpoint}, storing in {store_path}", err=True)
        if web_endpoint:
            host, _, port = web_endpoint.replace("http://", "").rstrip("/").rpartition(":")
            web = WebInbox(Inbox(store), host or "127.0.0.1", int(port))
            await web.start()
            click.echo(f"web inbox on {web.url}", err=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for s in servers:
                await s.stop(2.0)
            if web is not None:
                await web.stop()

    try:
        run(main())
    except KeyboardInterrupt:
        pass


__all__ = ["serve_smtp", "smtp"]
