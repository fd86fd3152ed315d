"""The captured-mail web inbox (like Mailpit): an HTTP JSON API and server-rendered pages on aiohttp.web.

Routes::

    GET    /                                   page: message list (``?q=`` searches)
    GET    /messages/{id}                      page: headers, text, HTML (sandboxed iframe), attachments
    GET    /api/messages[?q=]                  JSON list
    GET    /api/messages/{id}                  JSON detail
    GET    /api/messages/{id}/raw              message/rfc822
    GET    /api/messages/{id}/attachments/{n}  the attachment bytes
    DELETE /api/messages/{id}                  delete one;   DELETE /api/messages  purge all
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
from typing import Any
from urllib.parse import quote

from .inbox import Inbox, MessageSummary

__all__ = ["WebInbox", "make_app"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd}
tr:hover{background:#f4f7ff}a{color:#1a55c4;text-decoration:none}pre{background:#f6f6f6;padding:1rem;white-space:pre-wrap}
iframe{width:100%;height:24rem;border:1px solid #ccc}.muted{color:#777}
"""


# Live list: poll the JSON API and re-render rows with textContent (never innerHTML of mail data).
# The page works without it; this only saves pressing reload, as Mailpit does.
_LIVE_JS = """
<script>
(function () {
  const q = new URLSearchParams(location.search).get("q") || "";
  let known = document.querySelectorAll("#messages tr.message").length;
  function cell(tr, text) { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td; }
  function render(items) {
    const body = document.querySelector("#messages tbody");
    body.textContent = "";
    for (const m of items.slice().reverse()) {
      const tr = document.createElement("tr");
      tr.className = "message"; tr.dataset.id = m.id;
      cell(tr, m.received); cell(tr, m.sender); cell(tr, m.to);
      const a = document.createElement("a");
      a.className = "subject"; a.href = "/messages/" + encodeURIComponent(m.id); a.textContent = m.subject || "(no subject)";
      cell(tr, "").appendChild(a);
      cell(tr, String(m.size)); cell(tr, m.attachments ? String(m.attachments) : "");
      body.appendChild(tr);
    }
    document.getElementById("count").textContent = items.length + " message(s)";
  }
  async function poll() {
    try {
      const r = await fetch("/api/messages" + (q ? "?q=" + encodeURIComponent(q) : ""), {cache: "no-store"});
      const items = await r.json();
      if (items.length !== known) { known = items.length; render(items); }
    } catch (e) { /* the server went away: keep the page as it is */ }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
})();
</script>
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1><a href='/'>wirekit inbox</a></h1>{body}</body></html>"
    )


def _list_page(items: list[MessageSummary], query: str) -> str:
    rows = "".join(
        f"<tr class='message' data-id='{html.escape(m.id)}'><td>{html.escape(m.received)}</td>"
        f"<td>{html.escape(m.sender)}</td><td>{html.escape(m.to)}</td>"
        f"<td><a class='subject' href='/messages/{quote(m.id)}'>{html.escape(m.subject) or '(no subject)'}</a></td>"
        f"<td>{m.size}</td><td>{m.attachments or ''}</td></tr>"
        for m in reversed(items)
    )
    form = f"<form method='get' action='/'><input name='q' value='{html.escape(query)}' placeholder='search'> <button>Search</button></form>"
    table = (
        "<table id='messages'><thead><tr><th>received</th><th>from</th><th>to</th><th>subject</th><th>size</th>"
        f"<th>att.</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    count = f"<p class='muted' id='count'>{len(items)} message(s)</p>"
    return _page("wirekit inbox", form + count + table + _LIVE_JS)


def _detail_page(detail: Any) -> str:
    s = detail.summary
    heads = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in detail.headers
    )
    parts = [
        f"<h2 id='subject'>{html.escape(s.subject) or '(no subject)'}</h2>",
        f"<p class='muted'>envelope: {html.escape(detail.envelope_from or '<>')} &rarr; {html.escape(', '.join(detail.envelope_to))}</p>",
        f"<table id='headers'>{heads}</table>",
    ]
    if detail.text is not None:
        parts.append(f"<h3>Text</h3><pre id='text'>{html.escape(detail.text)}</pre>")
    if detail.html is not None:
        # sandboxed: captured HTML never runs scripts or reaches this origin
        parts.append(
            f"<h3>HTML</h3><iframe id='html' sandbox srcdoc='{html.escape(detail.html, quote=True)}'></iframe>"
        )
    if detail.attachments:
        links = "".join(
            f"<li><a href='/api/messages/{quote(s.id)}/attachments/{a.index}'>{html.escape(a.filename)}</a> "
            f"<span class='muted'>{html.escape(a.content_type)}, {a.size} bytes</span></li>"
            for a in detail.attachments
        )
        parts.append(f"<h3>Attachments</h3><ul id='attachments'>{links}</ul>")
    parts.append(f"<p><a href='/api/messages/{quote(s.id)}/raw'>raw message</a></p>")
    return _page(s.subject or "message", "".join(parts))


def make_app(inbox: Inbox) -> Any:
    """The aiohttp ``web.Application`` serving ``inbox``."""
    from aiohttp import web

    async def run(fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    async def index(request: web.Request) -> web.Response:
        q = request.query.get("q", "")
        items = await run(inbox.search, q) if q else await run(inbox.list)
        return web.Response(text=_list_page(items, q), content_type="text/html")

    async def detail_page(request: web.Request) -> web.Response:
        try:
            detail = await run(inbox.get, request.match_info["id"])
        except KeyError:
            raise web.HTTPNotFound(text="no such message") from None
        return web.Response(text=_detail_page(detail), content_type="text/html")

    async def api_list(request: web.Request) -> web.Response:
        q = request.query.get("q", "")
        items = await run(inbox.search, q) if q else await run(inbox.list)
        return web.json_response([dataclasses.asdict(m) for m in items])

    async def api_get(request: web.Request) -> web.Response:
        try:
            detail = await run(inbox.get, request.match_info["id"])
        except KeyError:
            raise web.HTTPNotFound(text="no such message") from None
        return web.json_response(dataclasses.asdict(detail))

    async def api_raw(request: web.Request) -> web.Response:
        try:
            raw = await run(inbox.raw, request.match_info["id"])
        except KeyError:
            raise web.HTTPNotFound(text="no such message") from None
        return web.Response(body=raw, content_type="message/rfc822")

    async def api_attachment(request: web.Request) -> web.Response:
        try:
            att, data = await run(
                inbox.attachment, request.match_info["id"], int(request.match_info["n"])
            )
        except (KeyError, ValueError):
            raise web.HTTPNotFound(text="no such attachment") from None
        headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(att.filename)}"}
        return web.Response(body=data, content_type=att.content_type, headers=headers)

    async def api_delete(request: web.Request) -> web.Response:
        await run(inbox.delete, request.match_info["id"])
        return web.json_response({"deleted": 1})

    async def api_purge(request: web.Request) -> web.Response:
        n = await run(inbox.purge)
        return web.json_response({"deleted": n})

    app = web.Application()
    app.add_routes(
        [
            web.get("/", index),
            web.get("/messages/{id}", detail_page),
            web.get("/api/messages", api_list),
            web.delete("/api/messages", api_purge),
            web.get("/api/messages/{id}", api_get),
            web.get("/api/messages/{id}/raw", api_raw),
            web.get("/api/messages/{id}/attachments/{n}", api_attachment),
            web.delete("/api/messages/{id}", api_delete),
        ]
    )
    return app


class WebInbox:
    """Serve the web inbox on ``host:port`` (port 0: ephemeral). ``await start()``, ``url``, ``await stop()``."""

    def __init__(self, inbox: Inbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.inbox = inbox
        self.host = host
        self.port = port
        self._runner: Any = None
        self._site: Any = None

    async def start(self) -> None:
        from aiohttp import web

        self._runner = web.AppRunner(make_app(self.inbox), access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        server = self._site._server
        self.port = server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
