"""The lab's SNMP agent: the demo device over v1/v2c (community ``public``, write community
``private``) and a v3 authPriv user (SHA/AES), all credentials printed in ``info``."""

from __future__ import annotations

import asyncio
import secrets

from ..snmp.agent import SNMPAgent
from ..snmp.demo import demo_tree
from ..snmp.usm import USMUser
from .service import LabService, ServiceInfo, Tour


class SNMPService(LabService):
    """SNMP agent on udp (port 0: ephemeral). Options: ``community``, ``rw_community``, ``user``."""

    name = "snmp"

    async def start(self) -> None:
        o = self.options
        self.community = str(o.get("community", "public"))
        self.rw_community = str(o.get("rw_community", "private"))
        self.user_name = str(o.get("user", "wirekit"))
        self.auth_password = str(o.get("auth_password", "auth-" + secrets.token_hex(6)))
        self.priv_password = str(o.get("priv_password", "priv-" + secrets.token_hex(6)))
        user = USMUser(self.user_name, "SHA", self.auth_password, "AES", self.priv_password)
        self.agent = SNMPAgent(
            demo_tree(),
            f"udp:{self.ctx.host}:{self.port}",
            communities={self.community: "ro", self.rw_community: "rw"},
            rw_users=[user],
        )
        await self.agent.start()

    async def stop(self) -> None:
        await self.agent.stop()

    @property
    def endpoint(self) -> str:
        return self.agent.endpoint

    @property
    def info(self) -> ServiceInfo:
        return ServiceInfo(
            self.name,
            {"udp": self.agent.endpoint},
            credentials={
                "community": self.community,
                "rw_community": self.rw_community,
                "v3_user": self.user_name,
                "v3_auth": f"SHA {self.auth_password}",
                "v3_priv": f"AES {self.priv_password}",
            },
            extra={
                "try": f"wirekit snmp walk {self.agent.endpoint} -v3 -u {self.user_name} -l authPriv -a SHA -A {self.auth_password} -x AES -X {self.priv_password}",
            },
        )

    def tour(self, tour: Tour) -> None:
        from ..snmp.client import AsyncSNMPClient, SNMPClient

        ep = self.agent.endpoint
        with (
            tour.step("v2c get sysDescr.0"),
            SNMPClient(ep, community=self.community, timeout=2) as c,
        ):
            if "wirekit" not in str(c.get_value("sysDescr.0")):
                raise AssertionError("unexpected sysDescr")
        with (
            tour.step("v2c walk (GETBULK)") as row,
            SNMPClient(ep, community=self.community, timeout=2) as c,
        ):
            n = len(list(c.walk("1.3.6.1.2.1")))
            row.detail = f"{n} varbinds"
        with (
            tour.step("v1 walk (GETNEXT)"),
            SNMPClient(ep, community=self.community, version=1, timeout=2) as c,
        ):
            if not list(c.walk("system")):
                raise AssertionError("empty v1 walk")
        with (
            tour.step("v2c set sysLocation (write community)"),
            SNMPClient(ep, community=self.rw_community, timeout=2) as c,
        ):
            c.set({"sysLocation.0": b"the lab"})
            if bytes(c.get_value("sysLocation.0")) != b"the lab":  # type: ignore[call-overload]
                raise AssertionError("SET did not stick")
        with (
            tour.step("v3 authPriv get (SHA/AES)"),
            SNMPClient(
                ep,
                version=3,
                user=self.user_name,
                auth_protocol="SHA",
                auth_password=self.auth_password,
                priv_protocol="AES",
                priv_password=self.priv_password,
                timeout=2,
            ) as c,
        ):
            c.get("sysName.0")
        with (
            tour.step("v2c table ifTable") as row,
            SNMPClient(ep, community=self.community, timeout=2) as c,
        ):
            row.detail = f"{len(c.table('ifTable').rows)} rows"
        with tour.step("async get (AsyncSNMPClient)"):

            async def run() -> None:
                async with AsyncSNMPClient(ep, community=self.community, timeout=2) as c:
                    await c.get("sysUpTime.0")

            asyncio.run(run())
