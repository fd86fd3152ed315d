"""``wirekit http``: an HTTPie-style client command, and ``wirekit serve http`` (the httpbin-like server).

Grammar (HTTPie's): ``wirekit http [METHOD] URL [ITEM ...]`` where an ITEM is
``Header:value``, ``key==param`` (query), ``key=value`` (string field), ``key:=json``
(raw JSON field), ``key@path`` (file upload, multipart) or ``key=@path`` / ``key:=@path``
(field from a file). Fields go as a JSON object, or as a form with ``--form``.
Imports stay lazy so one GET starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError

# HTTPie's separators, longest first at any one position.
_SEPARATORS = (":=@", "=@", "==", ":=", "=", "@", ":")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}


def parse_item(arg: str) -> tuple[str, str, str]:
    """``"a:=1"`` -> ("a", ":=", "1"). A backslash escapes a separator character.

    Raises:
        ConfigError: no separator in ``arg``.
    """
    i = 0
    key_chars: list[str] = []
    while i < len(arg):
        ch = arg[i]
        if ch == "\\" and i + 1 < len(arg):
            key_chars.append(arg[i + 1])
            i += 2
            continue
        for sep in _SEPARATORS:
            if arg.startswith(sep, i):
                return "".join(key_chars), sep, arg[i + len(sep) :]
        key_chars.append(ch)
        i += 1
    raise ConfigError(
        f"{arg!r} is not a request item (Header:value, key==param, key=value, key:=json, key@file)"
    )


def _is_item(arg: str) -> bool:
    try:
        parse_item(arg)
    except ConfigError:
        return False
    return "://" not in arg.split("=", 1)[0] and not arg.startswith(":")


def normalise_url(url: str) -> str:
    """HTTPie shorthands: ``:8080/x`` -> ``http://localhost:8080/x``; no scheme -> ``http://``."""
    if url.startswith(":"):
        rest = url[1:]
        return "http://localhost" + (":" + rest if rest and rest[0].isdigit() else rest or "/")
    if "://" not in url:
        return "http://" + url
    return url


def split_args(args: tuple[str, ...]) -> tuple[str | None, str, list[str]]:
    """(method or None, url, items) from the positional arguments.

    Raises:
        ConfigError: no URL.
    """
    if not args:
        raise ConfigError("a URL is required: wirekit http [METHOD] URL [ITEM ...]")
    first = args[0]
    if (
        len(args) > 1
        and first.isalpha()
        and (first.isupper() or first.upper() in _METHODS)
        and not _is_item(args[1])
    ):
        return first.upper(), normalise_url(args[1]), list(args[2:])
    return None, normalise_url(first), list(args[1:])


def build_call(items: list[str], *, form: bool) -> dict[str, Any]:
    """Keyword arguments for ``Client.request`` from HTTPie items.

    Raises:
        ConfigError: a malformed item, unreadable file or invalid JSON.
    """
    headers: list[tuple[str, str]] = []
    params: list[tuple[str, str]] = []
    fields: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for arg in items:
        key, sep, value = parse_item(arg)
        if sep == ":":
            headers.append((key, value))
        elif sep == "==":
            params.append((key, value))
        elif sep == "=":
            fields[key] = value
        elif sep in (":=", ":=@"):
            text = _read_text(value) if sep == ":=@" else value
            try:
                fields[key] = json.loads(text)
            except ValueError as exc:
                raise ConfigError(f"{arg!r}: not valid JSON: {exc}") from None
        elif sep == "=@":
            fields[key] = _read_text(value)
        elif sep == "@":
            path = Path(value).expanduser()
            try:
                files[key] = (path.name, path.read_bytes())
            except OSError as exc:
                raise ConfigError(f"{arg!r}: cannot read {value}: {exc}") from None
    call: dict[str, Any] = {"headers": headers, "params": params}
    if files:
        call["data"] = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        call["files"] = files
    elif fields and form:
        call["data"] = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
    elif fields:
        call["json"] = fields
    return call


def _read_text(path: str) -> str:
    try:
        return Path(path).expanduser().read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


_RESET, _BOLD, _CYAN, _GREEN, _YELLOW, _RED, _DIM = (
    "\x1b[0m",
    "\x1b[1m",
    "\x1b[36m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[31m",
    "\x1b[2m",
)


def _status_colour(code: int) -> str:
    return _GREEN if code < 300 else _YELLOW if code < 400 else _RED


def format_head(
    first_line: str, headers: list[tuple[str, str]], colour: bool, code: int | None = None
) -> str:
    """A status or request line and headers, optionally with ANSI colours."""
    if not colour:
        return first_line + "\n" + "".join(f"{k}: {v}\n" for k, v in headers) + "\n"
    line = f"{_BOLD}{_status_colour(code) if code else _BOLD}{first_line}{_RESET}"
    return line + "\n" + "".join(f"{_CYAN}{k}{_RESET}: {v}\n" for k, v in headers) + "\n"


def _is_json(content_type: str) -> bool:
    ct = content_type.split(";", 1)[0].strip().lower()
    return ct == "application/json" or ct.endswith("+json")


def format_body(body: bytes, content_type: str, colour: bool, pretty: bool) -> bytes:
    """Pretty-print (and colour) a JSON body for a terminal; anything else as is."""
    if pretty and _is_json(content_type):
        try:
            text = json.dumps(json.loads(body), indent=4, ensure_ascii=False)
        except ValueError:
            return body
        if colour:
            import io

            from rich.console import Console
            from rich.syntax import Syntax

            buf = io.StringIO()
            console = Console(file=buf, force_terminal=True, color_system="standard", width=10_000)
            console.print(
                Syntax(text, "json", theme="ansi_dark", background_color="default", word_wrap=False)
            )
            return buf.getvalue().encode()
        return (text + "\n").encode()
    return body


def _auth(value: str | None, auth_type: str) -> Any:
    if value is None:
        return None
    from ..http import BasicAuth, BearerAuth, DigestAuth

    if auth_type == "bearer":
        return BearerAuth(value)
    user, sep, password = value.partition(":")
    if not sep:
        password = click.prompt(f"password for {user}", hide_input=True, err=True)
    return DigestAuth(user, password) if auth_type == "digest" else BasicAuth(user, password)


def _verify(value: str) -> Any:
    low = value.lower()
    if low in ("yes", "true", "1"):
        return True
    if low in ("no", "false", "0"):
        return False
    return value


@click.command("http", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("-v", "--verbose", is_flag=True, help="Show the request too.")
@click.option("-b", "--body", "body_only", is_flag=True, help="Print only the response body.")
@click.option("--headers", "headers_only", is_flag=True, help="Print only the response headers.")
@click.option(
    "-f", "--form", is_flag=True, help="Send fields as a form (multipart when files are given)."
)
@click.option("--raw", default=None, help="Send this text as the request body.")
@click.option("-a", "--auth", default=None, metavar="USER[:PASS]|TOKEN", help="Credentials.")
@click.option(
    "-A",
    "--auth-type",
    type=click.Choice(["basic", "digest", "bearer"]),
    default="basic",
    show_default=True,
)
@click.option("-F", "--follow", is_flag=True, help="Follow redirects.")
@click.option("--max-redirects", default=30, show_default=True)
@click.option(
    "--verify", default="yes", metavar="yes|no|CA.pem", show_default=True, help="TLS verification."
)
@click.option("--cert", default=None, help="Client certificate (PEM).")
@click.option("--cert-key", default=None, help="Client certificate key (PEM).")
@click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds for connect and each read.",
)
@click.option("--proxy", default=None, help="Proxy URL (http://host:port).")
@click.option("-d", "--download", is_flag=True, help="Save the body to a file, with progress.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="File for --download (default: from the URL).",
)
@click.option("--check-status", is_flag=True, help="Exit non-zero (7) on 4xx/5xx.")
@click.option(
    "--pretty",
    type=click.Choice(["all", "format", "colors", "none"]),
    default=None,
    help="Formatting (default: all on a terminal, none when piped).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the exchange as machine-readable JSON."
)
def http(
    args: tuple[str, ...],
    verbose: bool,
    body_only: bool,
    headers_only: bool,
    form: bool,
    raw: str | None,
    auth: str | None,
    auth_type: str,
    follow: bool,
    max_redirects: int,
    verify: str,
    cert: str | None,
    cert_key: str | None,
    timeout: float,
    proxy: str | None,
    download: bool,
    output: str | None,
    check_status: bool,
    pretty: str | None,
    as_json: bool,
) -> None:
    """HTTP client with HTTPie's grammar: wirekit http [METHOD] URL [ITEM ...].

    \b
    Items:  Header:value   key==query   key=string   key:=json   key@file   key=@file
    Examples:
      wirekit http :8080/get q==1
      wirekit http POST example.org/post name=wire count:=3 X-Token:abc
      wirekit http -d https://example.org/big.iso -o big.iso
    """
    from ..http import Client, Request

    method, url, items = split_args(args)
    call = build_call(items, form=form)
    if raw is not None:
        if "json" in call or "data" in call:
            raise ConfigError("--raw cannot be combined with data fields")
        call["content"] = raw.encode()
    if method is None:
        method = "POST" if any(k in call for k in ("json", "data", "content")) else "GET"
    tty = sys.stdout.isatty()
    style = pretty or ("all" if tty else "none")
    colour, fmt = style in ("all", "colors"), style in ("all", "format")
    client_cert = (cert, cert_key) if cert and cert_key else cert
    out = sys.stdout.buffer
    with Client(
        verify=_verify(verify),
        cert=client_cert,
        proxy=proxy,
        timeout=timeout,
        follow_redirects=follow,
        max_redirects=max_redirects,
        retries=0,
        headers={"User-Agent": f"wirekit-http/{_version()}"},
    ) as client:
        request: Request = client.build_request(method, url, **call)
        if download:
            _download(client, request, output, _auth(auth, auth_type))
            return
        response = client.send(request, auth=_auth(auth, auth_type))
        if as_json:
            _emit_json(response, verbose)
        else:
            if verbose:
                for hop in [*response.history, response]:
                    req = hop.request
                    if req is None:
                        continue
                    hdrs = [("Host", req.url.host_header), *req.headers.multi_items()]
                    out.write(
                        format_head(
                            f"{req.method} {req.url.target} HTTP/1.1", hdrs, colour
                        ).encode()
                    )
                    if isinstance(req.content, bytes) and req.content:
                        out.write(req.content + b"\n\n")
            show_head = headers_only or verbose or (tty and not body_only)
            if show_head:
                line = f"{response.http_version} {response.status_code} {response.reason}"
                out.write(
                    format_head(
                        line, response.headers.multi_items(), colour, response.status_code
                    ).encode()
                )
            if not headers_only:
                out.write(
                    format_body(
                        response.content, response.headers.get("content-type", ""), colour, fmt
                    )
                )
                if tty and response.content and not response.content.endswith(b"\n"):
                    out.write(b"\n")
            out.flush()
        if check_status:
            response.raise_for_status()


def _version() -> str:
    from .._version import __version__

    return __version__


def _emit_json(response: Any, verbose: bool) -> None:
    from .render import emit_json

    body: Any
    if _is_json(response.headers.get("content-type", "")):
        try:
            body = response.json()
        except ValueError:
            body = response.text
    else:
        body = response.content
    data: dict[str, Any] = {
        **response.to_json(),
        "body": body,
        "history": [h.to_json() for h in response.history],
    }
    if verbose and response.request is not None:
        req = response.request
        data["request"] = {
            "method": req.method,
            "url": str(req.url),
            "headers": req.headers.to_json(),
        }
    emit_json(data)


def _download(client: Any, request: Any, output: str | None, auth: Any) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    name = output or (Path(request.url.path).name or "index.html")
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=False,
        console=_stderr_console(),
    ) as bar:
        task = bar.add_task(name, total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        response = client.download(
            request.url, name, progress=progress, headers=request.headers, auth=auth
        )
    click.echo(
        f"saved {name} ({response.num_bytes_downloaded} bytes, {response.status_code} {response.reason})",
        err=True,
    )


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@click.command("http")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, help="Plain HTTP port (0: any).")
@click.option(
    "--tls-port",
    default=None,
    type=int,
    help="Also serve HTTPS here, with a test CA (path printed).",
)
def serve_http(host: str, port: int, tls_port: int | None) -> None:
    """httpbin-like HTTP server (routes: /get /post /status/N /redirect/N /cookies /delay/S ...)."""
    import asyncio
    import tempfile

    from aiohttp import web

    from ..http.server import make_app
    from ..runtime.loop import run

    async def main() -> None:
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        where = [f"http://{host}:{_bound_port(site)}"]
        if tls_port is not None:
            from ..streams.certs import make_test_tls

            tls = make_test_tls(Path(tempfile.mkdtemp(prefix="wirekit-http-tls-")))
            tls_site = web.TCPSite(runner, host, tls_port, ssl_context=tls.server_context())
            await tls_site.start()
            where.append(f"https://{host}:{_bound_port(tls_site)} (CA: {tls.ca_cert})")
        click.echo("serving " + " and ".join(where) + "; Ctrl-C stops", err=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        run(main())
    except KeyboardInterrupt:
        pass


def _bound_port(site: Any) -> int:
    """The port an aiohttp TCPSite actually bound (port 0 picks one)."""
    return int(site._server.sockets[0].getsockname()[1])
