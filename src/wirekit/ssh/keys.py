"""Key files: generate OpenSSH key pairs (Ed25519 by default) and read public keys."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ._adapter import asyncssh, translate

__all__ = ["KeyPair", "generate_keypair", "public_key_line"]


@dataclass(frozen=True)
class KeyPair:
    """A private key file, its ``.pub`` beside it, and the public line (``type base64 comment``)."""

    private_path: Path
    public_path: Path
    public_line: str


def generate_keypair(
    path: str | os.PathLike[str], *, kind: str = "ssh-ed25519", comment: str = "wirekit"
) -> KeyPair:
    """Write a new unencrypted private key to ``path`` (mode 0600) and ``path.pub``.

    Raises:
        ConfigError: unknown key kind or unwritable path.
    """
    p = Path(path)
    with translate(phase="key generation"):
        try:
            key = asyncssh.generate_private_key(kind, comment=comment)
        except (ValueError, asyncssh.KeyGenerationError) as exc:
            raise ConfigError(f"cannot generate a {kind} key: {exc}") from exc
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.export_private_key("openssh"))
        pub = key.export_public_key("openssh").decode().strip()
        pub_path = p.with_name(p.name + ".pub")
        pub_path.write_text(pub + "\n")
    except OSError as exc:
        raise ConfigError(f"cannot write key {p}: {exc.strerror}") from exc
    return KeyPair(p, pub_path, pub)


def public_key_line(key_or_path: str | os.PathLike[str]) -> str:
    """``type base64 [comment]`` for a public key line, a ``.pub`` file, or a private key file.

    Raises:
        ConfigError: not a key.
    """
    text = os.fspath(key_or_path)
    with translate(phase="key import"):
        try:
            if text.startswith(("ssh-", "ecdsa-", "sk-")):
                key = asyncssh.import_public_key(text)
            elif text.endswith(".pub"):
                key = asyncssh.read_public_key(text)
            else:
                key = asyncssh.read_private_key(text).convert_to_public()
        except (OSError, asyncssh.KeyImportError) as exc:
            raise ConfigError(f"not an SSH key: {text[:60]!r}: {exc}") from exc
    return str(key.export_public_key("openssh").decode().strip())
