"""The lab's SMTP service: a mail sink (plain + STARTTLS, implicit TLS, AUTH) with a Maildir and the web inbox."""

from __future__ import annotations

import asyncio
from typing import Any

from .service import LabService, ServiceInfo, Tour


class SMTPService(LabService):
    """Mail sink on ``port`` (STARTTLS offered), implicit TLS on ``port + 1`` and the web inbox on
    ``port + 2`` (ephemeral ports when ``port`` is 0). Accepts every recipient (loopback only).

    Options: ``username``/``password`` for AUTH (offered only after TLS), ``store``
    (``maildir``, ``mbox`` or ``memory``), ``fsync`` (default true), ``web`` (default true).
    Tests read captured mail with :meth:`messages`.
    """

    name = "smtp"

    async def start(self) -> None:
        from ..smtp.inbox import Inbox
        from ..smtp.server import RecipientPolicy, SinkHandler, SMTPServer
        from ..smtp.store import open_store
        from ..smtp.web import WebInbox

        opts = self.options
        self.username = str(opts.get("username", "wirekit"))
        self.password = str(opts.get("password", "wirekit"))
        kind = str(opts.get("store", "maildir"))
        work = self.ctx.subdir("smtp")
        spec = {"maildir": work / "Maildir", "mbox": work / "mail.mbox", "memory": None}[kind]
        self.store = open_store(spec, kind, fsync=bool(opts.get("fsync", True)))
        self.inbox = Inbox(self.store)
        handler = SinkHandler(
            self.store,
            RecipientPolicy.of(accept_all=True),
            credentials={self.username: self.password},
        )
        host, p = self.ctx.host, self.port
        tls = self.ctx.tls.server_context()
        self.server = SMTPServer(
            handler, f"tcp:{host}:{p}", ssl_context=tls, hostname="wirekit-lab"
        )
        self.smtps = SMTPServer(
            handler, f"tls:{host}:{p + 1 if p else 0}", ssl_context=tls, hostname="wirekit-lab"
        )
        await self.server.start()
        await self.smtps.start()
        self.web: WebInbox | None = None
        if opts.get("web", True):
            self.web = WebInbox(self.inbox, host, p + 2 if p else 0)
            await self.web.start()

    async def stop(self) -> None:
        await asyncio.gather(self.server.stop(1.0), self.smtps.stop(1.0))
        if self.web is not None:
            await self.web.stop()

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    @property
    def info(self) -> ServiceInfo:
        eps = {"smtp": self.server.endpoint, "smtps": self.smtps.endpoint}
        if self.web is not None:
            eps["web"] = self.web.url
        return ServiceInfo(
            self.name,
            eps,
            credentials={"username": self.username, "password": self.password},
            extra={"ca": str(self.ctx.tls.ca_cert), "auth": "after STARTTLS or on smtps"},
        )

    def messages(self) -> list[Any]:
        """Every captured message, parsed (``MessageDetail``: envelope, headers, text, html, attachments)."""
        return [self.inbox.get(m.id) for m in self.store.list()]

    def purge(self) -> int:
        return self.store.purge()

    def tour(self, tour: Tour) -> None:
        from ..smtp import AsyncSMTPClient, SMTPClient, build_message

        eps = self.info.endpoints
        ctx = self.ctx.tls.client_context()
        before = len(self.store.list())
        with tour.step("send plain (sync)"), SMTPClient(eps["smtp"], timeout=10) as c:
            c.send_message(
                build_message(
                    sender="tour@wirekit.test",
                    to="inbox@wirekit.test",
                    subject="tour plain",
                    text="hello",
                )
            )
        with tour.step("STARTTLS + AUTH PLAIN (async)"):

            async def run() -> None:
                async with AsyncSMTPClient(
                    eps["smtp"],
                    starttls=True,
                    ssl_context=ctx,
                    username=self.username,
                    password=self.password,
                    timeout=10,
                ) as c:
                    await c.send_message(
                        build_message(
                            sender="tour@wirekit.test",
                            to="inbox@wirekit.test",
                            subject="tour tls",
                            text="secret",
                        )
                    )

            asyncio.run(run())
        with (
            tour.step("implicit TLS (smtps)"),
            SMTPClient(eps["smtps"], ssl_context=ctx, timeout=10) as c,
        ):
            c.sendmail(
                "tour@wirekit.test", ["inbox@wirekit.test"], b"Subject: tour smtps\r\n\r\nhi\r\n"
            )
        with tour.step("captured in the inbox"):
            got = len(self.store.list()) - before
            if got != 3:
                raise AssertionError(f"expected 3 new messages, found {got}")
        if "web" in eps:
            with tour.step("web inbox API"):
                import json
                import urllib.request

                with urllib.request.urlopen(eps["web"] + "api/messages", timeout=10) as resp:
                    items = json.load(resp)
                if not any(m["subject"] == "tour tls" for m in items):
                    raise AssertionError("web API does not list the captured message")
