"""Lab service "http": the httpbin-like server on plain HTTP and on HTTPS with the lab's test CA."""

from __future__ import annotations

from typing import Any

from .service import LabService, ServiceInfo, Tour


class HTTPService(LabService):
    """httpbin-like routes (see ``wirekit.http.server``) on ``http://`` and ``https://``.

    Options: ``tls_port`` (0: ephemeral) for the HTTPS listener.
    """

    name = "http"

    def __init__(self, ctx: Any, port: int = 0, **options: Any) -> None:
        super().__init__(ctx, port, **options)
        self._runner: Any = None
        self.http_port = 0
        self.https_port = 0

    async def start(self) -> None:
        from aiohttp import web

        from ..http.server import make_app

        self._runner = web.AppRunner(make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        plain = web.TCPSite(self._runner, self.ctx.host, self.port, reuse_address=True)
        await plain.start()
        tls = web.TCPSite(
            self._runner,
            self.ctx.host,
            int(self.options.get("tls_port", 0)),
            ssl_context=self.ctx.tls.server_context(),
        )
        await tls.start()
        self.http_port = plain._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.https_port = tls._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Base URL of the plain HTTP listener."""
        return f"http://{self._host()}:{self.http_port}"

    @property
    def tls_url(self) -> str:
        """Base URL of the HTTPS listener (certificate signed by the lab CA: ``info.extra['ca']``)."""
        return f"https://{self._host()}:{self.https_port}"

    def _host(self) -> str:
        host = self.ctx.host
        return f"[{host}]" if ":" in host else host

    @property
    def info(self) -> ServiceInfo:
        ca = str(self.ctx.tls.ca_cert)
        return ServiceInfo(
            name=self.name,
            endpoints={"http": self.url, "https": self.tls_url},
            extra={
                "ca": ca,
                "try": f"wirekit http {self.url}/get  |  curl --cacert {ca} {self.tls_url}/get",
            },
        )

    def tour(self, tour: Tour) -> None:
        import asyncio

        from ..http import AsyncClient, Client

        ca = str(self.ctx.tls.ca_cert)
        with Client(base_url=self.url) as client:
            with tour.step("GET /get (JSON)"):
                client.get("/get", params={"a": 1}).raise_for_status().json()
            with tour.step("POST json"):
                assert client.post("/post", json={"x": 1}).json()["json"] == {"x": 1}
            with tour.step("redirect chain x3"):
                r = client.get("/redirect/3")
                assert r.status_code == 200 and len(r.history) == 3
            with tour.step("cookies persist"):
                assert client.get("/cookies/set", params={"k": "v"}).json()["cookies"] == {"k": "v"}
            with tour.step("basic auth"):
                client.get("/basic-auth/u/p", auth=("u", "p")).raise_for_status()
            with tour.step("gzip decoded"):
                assert client.get("/gzip").json()["gzipped"] is True
        with Client(verify=ca) as tls_client, tour.step("HTTPS with the lab CA"):
            tls_client.get(f"{self.tls_url}/get").raise_for_status()

        async def concurrent() -> None:
            async with AsyncClient(base_url=self.url) as aclient:
                results = await asyncio.gather(*(aclient.get("/get") for _ in range(20)))
                assert all(r.status_code == 200 for r in results)

        with tour.step("async x20 concurrent"):
            asyncio.run(concurrent())
