"""Connection settings (:class:`SSHOptions`) and their one-time translation into asyncssh options.

An :class:`SSHOptions` is plain, picklable data (it travels to Dask workers). ``prepare()``
turns it into an :class:`EngineOptions`: keys loaded once, known_hosts parsed once, cipher
and key-exchange order fixed, ready to open many connections cheaply.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ConfigError
from ._adapter import asyncssh, encryption_preference, kex_preference, translate
from .config import DEFAULT_CONFIG, SSHConfig
from .hostkeys import DEFAULT_KNOWN_HOSTS, HostKeyPolicy
from .inventory import Target

__all__ = ["EngineOptions", "SSHOptions"]


@dataclass
class SSHOptions:
    """How to connect and authenticate. Every field has a safe default.

    - ``user``/``port``: defaults when a target names none (else the local user, port 22).
    - ``password``; ``key_files`` (paths; empty: the default ``~/.ssh/id_*``);
      ``passphrase`` for encrypted keys; ``agent``: use ``SSH_AUTH_SOCK`` (or a socket path).
    - ``known_hosts`` path (None: trust only ``host_keys`` lines); ``accept_new``: TOFU,
      recorded in known_hosts; a changed key is always fatal. ``insecure_accept_any`` skips
      verification entirely (throwaway test servers only).
    - ``ssh_config``: path to an OpenSSH client config for aliases (None: do not read one).
    - ``connect_timeout`` covers TCP, key exchange and authentication.
    - ``ciphers``: explicit order (default: AES-GCM first on AES-NI CPUs, else ChaCha20).
    - ``post_quantum``: prefer hybrid ML-KEM/sntrup key exchange (costs CPU per connection).
    - ``keepalive_interval``: seconds between keepalives (0: off); a peer silent for
      ``keepalive_count`` intervals is declared lost instead of hanging.
    """

    user: str | None = None
    port: int | None = None
    password: str | None = None
    key_files: list[str] = field(default_factory=list)
    passphrase: str | None = None
    agent: bool | str = True
    known_hosts: str | None = DEFAULT_KNOWN_HOSTS
    host_keys: list[str] = field(default_factory=list)
    accept_new: bool = False
    insecure_accept_any: bool = False
    ssh_config: str | None = DEFAULT_CONFIG
    connect_timeout: float = 10.0
    ciphers: list[str] | None = None
    post_quantum: bool = False
    keepalive_interval: float = 15.0
    keepalive_count: int = 3
    compression: bool = False
    extra: dict[str, Any] = field(
        default_factory=dict
    )  # passed to asyncssh verbatim (escape hatch)

    def with_(self, **changes: Any) -> SSHOptions:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

    def prepare(self) -> EngineOptions:
        """Load keys, parse known_hosts and ssh_config once.

        Raises:
            ConfigError: unreadable/malformed key, known_hosts or ssh_config.
        """
        return EngineOptions(self)


class EngineOptions:
    """Prepared asyncssh options shared by every connection of a client or fan-out."""

    def __init__(self, opts: SSHOptions) -> None:
        self.opts = opts
        self.policy = HostKeyPolicy(
            opts.known_hosts,
            accept_new=opts.accept_new,
            insecure_accept_any=opts.insecure_accept_any,
            keys=list(opts.host_keys),
        )
        self.config = SSHConfig.load(opts.ssh_config) if opts.ssh_config else None
        self._keys_cache: dict[tuple[str, ...], Any] = {}
        kwargs: dict[str, Any] = {
            "config": None,  # wirekit reads ssh_config itself, once (config.py)
            "known_hosts": self.policy.engine_arg(),
            "encryption_algs": opts.ciphers or encryption_preference(),
            "kex_algs": kex_preference(opts.post_quantum),
            "connect_timeout": opts.connect_timeout,
            "keepalive_interval": opts.keepalive_interval,
            "keepalive_count_max": opts.keepalive_count,
            "compression_algs": ["zlib@openssh.com", "none"] if opts.compression else ["none"],
        }
        if opts.password is not None:
            kwargs["password"] = opts.password
        # asyncssh rebuilds its options for every connection; anything left to its defaults is
        # looked up again each time (~/.ssh/id_* read and parsed, X.509 paths stat'ed), about
        # 1 ms per connection. So resolve those once here and hand over explicit values.
        kwargs["x509_trusted_certs"] = None  # wirekit does not do X.509 host certificates
        agent_sock = None
        if isinstance(opts.agent, str):
            agent_sock = opts.agent
        elif opts.agent:
            agent_sock = os.environ.get("SSH_AUTH_SOCK") or None
        kwargs["agent_path"] = agent_sock
        if opts.key_files:
            kwargs["client_keys"] = self.keys(tuple(opts.key_files))
        else:
            with translate(phase="key load"):
                defaults = asyncssh.public_key.load_default_keypairs(opts.passphrase)
            if defaults:
                kwargs["client_keys"] = defaults
            elif agent_sock is None:
                kwargs["client_keys"] = None  # no keys, no agent: password (or nothing) only
            # else: no default key files but an agent: leave asyncssh's default (agent keys)
        kwargs.update(opts.extra)
        with translate(phase="options"):
            try:
                self.base = asyncssh.SSHClientConnectionOptions(**kwargs)
            except ValueError as exc:
                raise ConfigError(f"bad SSH option: {exc}") from exc

    def keys(self, paths: tuple[str, ...]) -> Any:
        """Load (once) the key pairs in ``paths``.

        Raises:
            ConfigError: a key file is missing or cannot be decoded.
        """
        cached = self._keys_cache.get(paths)
        if cached is None:
            expanded = [os.path.expanduser(p) for p in paths]
            for p in expanded:
                if not os.path.exists(p):
                    raise ConfigError(f"SSH key file {p} does not exist")
            with translate(phase="key load"):
                cached = asyncssh.load_keypairs(expanded, self.opts.passphrase)
            self._keys_cache[paths] = cached
        return cached

    def for_target(self, target: Target) -> dict[str, Any]:
        """Keyword arguments for ``asyncssh.connect`` to ``target`` (after ssh_config).

        Raises:
            ConfigError: an IdentityFile that cannot be loaded.
        """
        kw: dict[str, Any] = {
            "host": target.host,
            "port": target.port or self.opts.port or 22,
            "options": self.base,
        }
        user = target.user or self.opts.user
        if user:
            kw["username"] = user
        if target.identity_files and not self.opts.key_files:
            present = tuple(
                p for p in target.identity_files if os.path.exists(os.path.expanduser(p))
            )
            if present:
                kw["client_keys"] = self.keys(present)
        return kw
