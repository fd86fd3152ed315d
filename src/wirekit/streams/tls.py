"""TLS contexts from endpoint options, and translation of ``ssl`` errors into TLSError.

Client contexts verify against the system CAs by default; ``verify=no`` turns verification
off for that connection only (a new context, never a shared one mutated).
"""

from __future__ import annotations

import ssl

from ..errors import ConfigError, TLSError
from .endpoint import Endpoint


def client_context(endpoint: Endpoint) -> ssl.SSLContext:
    """A client SSLContext for ``endpoint``'s options (verify, ca, cert, key, alpn).

    Raises:
        ConfigError: an option names a missing or unreadable file.
    """
    try:
        ctx = ssl.create_default_context(cafile=endpoint.options.get("ca"))
        if not endpoint.flag("verify", True):
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if "cert" in endpoint.options:
            ctx.load_cert_chain(endpoint.options["cert"], endpoint.options.get("key"))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"TLS options of {endpoint}: {exc}") from exc
    if "alpn" in endpoint.options:
        ctx.set_alpn_protocols(endpoint.options["alpn"].split(","))
    return ctx


def server_context(endpoint: Endpoint) -> ssl.SSLContext:
    """A server SSLContext from ``cert``/``key`` options.

    Raises:
        ConfigError: no ``cert`` option, or the files do not load.
    """
    cert = endpoint.options.get("cert")
    if not cert:
        raise ConfigError(
            f"TLS server endpoint {endpoint} needs ?cert=FILE&key=FILE (or ssl_context=)"
        )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(cert, endpoint.options.get("key"))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS certificate {cert}: {exc}") from exc
    if "alpn" in endpoint.options:
        ctx.set_alpn_protocols(endpoint.options["alpn"].split(","))
    return ctx


def server_hostname(endpoint: Endpoint) -> str:
    """The name sent in SNI and checked against the certificate."""
    return endpoint.options.get("sni") or endpoint.host


def tls_error(exc: ssl.SSLError | ssl.CertificateError, where: object) -> TLSError:
    """A TLSError for ``exc`` whose ``reason`` is the verification message when there is one."""
    reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
    return TLSError(f"TLS with {where} failed: {reason}", reason=str(reason))
