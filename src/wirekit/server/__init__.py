"""The server framework: serve a handler (async, threaded or Protocol) on any endpoint, with limits and graceful shutdown."""

from .core import Server, ServerStats, serve

__all__ = ["Server", "ServerStats", "serve"]
