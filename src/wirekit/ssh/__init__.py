"""SSH on asyncssh: clients (sync and async), fan-out to many hosts, SFTP, forwarding, a test server.

Names load lazily, so ``import wirekit.ssh`` does not import asyncssh until one is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "SFTP",
    "AsyncSFTP",
    "AsyncSSHClient",
    "CommandResult",
    "ExecContext",
    "FanoutResult",
    "FileInfo",
    "Forward",
    "HostKeyPolicy",
    "HostResult",
    "SSHClient",
    "SSHConfig",
    "SSHOptions",
    "SSHServer",
    "Target",
    "TransferResult",
    "arun_many",
    "generate_keypair",
    "load_inventory",
    "run_many",
]

_WHERE = {
    "AsyncSFTP": "sftp",
    "AsyncSSHClient": "client",
    "CommandResult": "results",
    "ExecContext": "server",
    "FanoutResult": "results",
    "FileInfo": "sftp",
    "Forward": "forward",
    "HostKeyPolicy": "hostkeys",
    "HostResult": "results",
    "SFTP": "sync",
    "SSHClient": "sync",
    "SSHConfig": "config",
    "SSHOptions": "options",
    "SSHServer": "server",
    "Target": "inventory",
    "TransferResult": "sftp",
    "arun_many": "fanout",
    "generate_keypair": "keys",
    "load_inventory": "inventory",
    "run_many": "fanout",
}


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'wirekit.ssh' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
