"""Which lab services exist: name -> "module:Class". One line per protocol; imported lazily."""

from __future__ import annotations

import importlib

from ..errors import ConfigError
from .service import LabService

#: Registered lab services, in tour order. Each protocol adds its own line.
SERVICES: dict[str, str] = {
    "echo": "wirekit.lab.echo:EchoService",
    "ssh": "wirekit.lab.ssh:SSHService",
    "http": "wirekit.lab.http:HTTPService",
    "smtp": "wirekit.lab.smtp:SMTPService",
    "snmp": "wirekit.lab.snmp:SNMPService",
    "ftp": "wirekit.lab.ftp:FTPService",
    "pkt": "wirekit.lab.pkt:PacketService",
}


def service_class(name: str) -> type[LabService]:
    """The LabService subclass registered as ``name``.

    Raises:
        ConfigError: no such service.
    """
    target = SERVICES.get(name)
    if target is None:
        raise ConfigError(f"unknown lab service {name!r}; known: {', '.join(SERVICES)}")
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, LabService)):  # pragma: no cover
        raise TypeError(f"{target} is not a LabService")
    return cls
