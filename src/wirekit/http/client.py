"""The sessions users hold: ``Client`` (blocking, urllib3) and ``AsyncClient`` (asyncio, aiohttp).

Both share configuration and policy (``_base.BaseClient``); the send loop is written once in
``_async_client.py`` and the blocking twin ``_sync_client.py`` is generated from it.
"""

from __future__ import annotations

from ._async_client import AsyncClient
from ._base import USE_CLIENT_DEFAULT, BaseClient
from ._sync_client import Client

__all__ = ["USE_CLIENT_DEFAULT", "AsyncClient", "BaseClient", "Client"]
