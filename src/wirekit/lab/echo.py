"""The lab's echo service: RFC 862 echo over TCP, UDP and TLS (test CA)."""

from __future__ import annotations

import asyncio

from ..server.core import Server
from ..server.simple import echo, echo_datagram
from .service import LabService, ServiceInfo, Tour


class EchoService(LabService):
    """Echo on tcp, udp and tls. ``port`` applies to tcp; udp and tls take ``port + 1``/``+ 2`` when fixed."""

    name = "echo"

    async def start(self) -> None:
        host = self.ctx.host
        p = self.port
        self.servers = {
            "tcp": Server(echo, f"tcp:{host}:{p}", name="echo-tcp", idle_timeout=300),
            "udp": Server(echo_datagram, f"udp:{host}:{p + 1 if p else 0}", name="echo-udp"),
            "tls": Server(
                echo,
                f"tls:{host}:{p + 2 if p else 0}",
                name="echo-tls",
                idle_timeout=300,
                ssl_context=self.ctx.tls.server_context(),
            ),
        }
        for server in self.servers.values():
            await server.start()

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop(1.0) for s in self.servers.values()))

    @property
    def info(self) -> ServiceInfo:
        eps = {kind: s.endpoint for kind, s in self.servers.items()}
        return ServiceInfo(self.name, eps, extra={"ca": str(self.ctx.tls.ca_cert)})

    @property
    def endpoint(self) -> str:
        return self.servers["tcp"].endpoint

    def tour(self, tour: Tour) -> None:
        from ..streams import aconnect, connect, open_udp

        eps = self.info.endpoints
        with tour.step("tcp echo (sync)"), connect(eps["tcp"], timeout=5) as s:
            s.send_line(b"hello wirekit")
            if s.recv_line() != b"hello wirekit":
                raise AssertionError("echo mismatch")
        with tour.step("tcp echo (async)"):

            async def run() -> bytes:
                s = await aconnect(eps["tcp"], timeout=5)
                async with s:
                    await s.send_line(b"async hello")
                    return await s.recv_line()

            if asyncio.run(run()) != b"async hello":
                raise AssertionError("echo mismatch")
        with tour.step("udp echo"), open_udp(eps["udp"], timeout=5) as u:
            u.send(b"datagram")
            if u.recv() != b"datagram":
                raise AssertionError("echo mismatch")
        with (
            tour.step("tls echo (verified by test CA)"),
            connect(eps["tls"], timeout=5, ssl_context=self.ctx.tls.client_context()) as s,
        ):
            s.send_line(b"secret")
            if s.recv_line() != b"secret":
                raise AssertionError("echo mismatch")
