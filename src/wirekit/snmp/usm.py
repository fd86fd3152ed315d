"""User-based Security Model (RFC 3414, RFC 7860, RFC 3826): keys, HMAC, DES/AES privacy and the
message security processing shared by manager, agent and trap receiver.

Rules:

1. Password-to-key (a hash over 1 MiB) runs once per user; localisation once per (user,
   engineID). Both are cached on the :class:`USMUser`, never per message.
2. Time is passed in; nothing here reads a clock.
3. A failed security check raises :class:`~wirekit.errors.AuthenticationError` whose ``check``
   attribute names it with the usmStats name: ``unknownUserName``, ``wrongDigest``,
   ``decryptionError``, ``unsupportedSecLevel``, ``notInTimeWindow``, ``unknownEngineID``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import AuthenticationError, ConfigError, DecodeError
from .ber import tlv
from .message import (
    FLAG_AUTH,
    FLAG_PRIV,
    ScopedPDU,
    USMParams,
    V3Message,
    decode_scoped_pdu,
    encode_scoped_pdu,
    encode_v3_message,
)

__all__ = [
    "AUTH_PROTOCOLS",
    "PRIV_PROTOCOLS",
    "USM_STATS",
    "LocalizedKeys",
    "USMUser",
    "auth_error",
    "localize_key",
    "password_to_key",
    "protect",
    "unprotect",
]

#: auth protocol -> (hashlib name, MAC length). RFC 3414 §6/§7 (MD5, SHA-1), RFC 7860 (SHA-2).
AUTH_PROTOCOLS: dict[str, tuple[str, int]] = {
    "MD5": ("md5", 12),
    "SHA": ("sha1", 12),
    "SHA-224": ("sha224", 16),
    "SHA-256": ("sha256", 24),
    "SHA-384": ("sha384", 32),
    "SHA-512": ("sha512", 48),
}

#: priv protocol -> (cipher, key length, key extension). Key extension for AES-192/256:
#: "blumenthal" (draft-blumenthal-aes-usm-04 §3.1.2.1, Net-SNMP's AES-192/AES-256) or
#: "reeder" (draft-reeder-snmpv3-usm-3desede §2.1, Cisco's; here AES-192-C/AES-256-C).
PRIV_PROTOCOLS: dict[str, tuple[str, int, str]] = {
    "DES": ("des", 16, ""),
    "AES": ("aes", 16, ""),
    "AES-192": ("aes", 24, "blumenthal"),
    "AES-256": ("aes", 32, "blumenthal"),
    "AES-192-C": ("aes", 24, "reeder"),
    "AES-256-C": ("aes", 32, "reeder"),
}

_AUTH_ALIASES = {
    "SHA1": "SHA",
    "SHA-1": "SHA",
    "SHA224": "SHA-224",
    "SHA256": "SHA-256",
    "SHA384": "SHA-384",
    "SHA512": "SHA-512",
}
_PRIV_ALIASES = {
    "AES128": "AES",
    "AES-128": "AES",
    "AES192": "AES-192",
    "AES256": "AES-256",
    "AES192C": "AES-192-C",
    "AES256C": "AES-256-C",
    "AES192-C": "AES-192-C",
    "AES256-C": "AES-256-C",
    "AES192BLMT": "AES-192",
    "AES256BLMT": "AES-256",
}

#: usmStats counters (RFC 3414 §5): check name -> OID of its instance.
USM_STATS: dict[str, tuple[int, ...]] = {
    "unsupportedSecLevel": (1, 3, 6, 1, 6, 3, 15, 1, 1, 1, 0),
    "notInTimeWindow": (1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0),
    "unknownUserName": (1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0),
    "unknownEngineID": (1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0),
    "wrongDigest": (1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0),
    "decryptionError": (1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0),
}
USM_STATS_BY_OID = {v: k for k, v in USM_STATS.items()}

#: RFC 3414 §3.2.7: messages more than 150 s off the authoritative clock are rejected.
TIME_WINDOW = 150

_ONE_MIB = 1048576


def auth_error(check: str, message: str) -> AuthenticationError:
    """An AuthenticationError whose ``check`` attribute names the failed usmStats check."""
    err = AuthenticationError(f"SNMPv3 {check}: {message}")
    err.check = check
    return err


def _canon(
    name: str | None, table: dict[str, Any], aliases: dict[str, str], what: str
) -> str | None:
    if name is None:
        return None
    key = name.strip().upper().replace("_", "-")
    key = aliases.get(key, aliases.get(key.replace("-", ""), key))
    if key not in table:
        raise ConfigError(f"unknown {what} protocol {name!r}; known: {', '.join(table)}")
    return key


def password_to_key(password: bytes, hash_name: str) -> bytes:
    """Ku: the hash of the password repeated to 1 MiB (RFC 3414 §A.2).

    Raises:
        ConfigError: empty password.
    """
    if not password:
        raise ConfigError("an SNMPv3 password must not be empty")
    stream = password * (_ONE_MIB // len(password) + 1)
    return hashlib.new(hash_name, stream[:_ONE_MIB]).digest()


def localize_key(ku: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """Kul = H(Ku || engineID || Ku) (RFC 3414 §2.6)."""
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


def _extend_key(kul: bytes, engine_id: bytes, hash_name: str, size: int, variant: str) -> bytes:
    key = kul
    while len(key) < size:
        if variant == "reeder":
            # Reeder: repeat password-to-key and localisation with the key as the password.
            key += localize_key(password_to_key(key, hash_name), engine_id, hash_name)
        else:
            # Blumenthal: append H(key so far).
            key += hashlib.new(hash_name, key).digest()
    return key[:size]


#: Up to this many AES blocks, CFB encryption runs block by block on a reused ECB context;
#: above it a CFB context is cheaper than the Python loop.
_SMALL_CFB_BLOCKS = 6


class _Cipher:
    """Encrypt/decrypt of the ScopedPDU with one localised privacy key.

    AES-CFB128 (RFC 3826) is built on one ECB context made per key, because creating a CFB
    context per message costs more than the cipher itself on SNMP-sized messages. CFB
    decryption needs E(IV), E(C0), E(C1)...: one ECB call over IV||ciphertext gives them all.
    """

    def __init__(self, kind: str, key: bytes) -> None:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
        from cryptography.hazmat.decrepit.ciphers.modes import CFB
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        self.kind = kind
        self._cipher: Any = Cipher
        if kind == "des":
            # RFC 3414 §8.1.1.1: DES key = first 8 octets, pre-IV = last 8. Single DES is 3DES
            # with three identical keys.
            self._algo: Any = TripleDES(key[:8] * 3)
            self._pre_iv = key[8:16]
            self._mode: Any = modes.CBC
        else:
            self._algo = algorithms.AES(key)
            self._mode = CFB
            self._ecb = Cipher(self._algo, modes.ECB()).encryptor()

    def encrypt(
        self, data: bytes, boots: int, etime: int, salt_counter: int
    ) -> tuple[bytes, bytes]:
        if self.kind == "des":
            salt = (boots & 0xFFFFFFFF).to_bytes(4, "big") + (salt_counter & 0xFFFFFFFF).to_bytes(
                4, "big"
            )
            iv = bytes(a ^ b for a, b in zip(salt, self._pre_iv, strict=True))
            data = data + b"\0" * ((-len(data)) % 8)
            enc = self._cipher(self._algo, self._mode(iv)).encryptor()
            return bytes(enc.update(data) + enc.finalize()), salt
        # RFC 3826 §3.1.2.1: IV = engineBoots || engineTime || 64-bit salt.
        salt = (salt_counter & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
        iv = (
            (boots & 0xFFFFFFFF).to_bytes(4, "big") + (etime & 0xFFFFFFFF).to_bytes(4, "big") + salt
        )
        n = len(data)
        if n > 16 * _SMALL_CFB_BLOCKS:
            enc = self._cipher(self._algo, self._mode(iv)).encryptor()
            return bytes(enc.update(data) + enc.finalize()), salt
        out = []
        prev = iv
        update = self._ecb.update
        for i in range(0, n, 16):
            chunk = data[i : i + 16]
            k = len(chunk)
            ks = update(prev)
            prev = (int.from_bytes(chunk, "big") ^ int.from_bytes(ks[:k], "big")).to_bytes(k, "big")
            out.append(prev)
        return b"".join(out), salt

    def decrypt(self, data: bytes, boots: int, etime: int, salt: bytes) -> bytes:
        if len(salt) != 8:
            raise auth_error(
                "decryptionError", f"privacy parameters of {len(salt)} octets, expected 8"
            )
        if self.kind == "des":
            if len(data) % 8:
                raise auth_error("decryptionError", "DES ciphertext is not a multiple of 8 octets")
            iv = bytes(a ^ b for a, b in zip(salt, self._pre_iv, strict=True))
            dec = self._cipher(self._algo, self._mode(iv)).decryptor()
            return bytes(dec.update(data) + dec.finalize())
        n = len(data)
        if not n:
            return b""
        iv = (
            (boots & 0xFFFFFFFF).to_bytes(4, "big") + (etime & 0xFFFFFFFF).to_bytes(4, "big") + salt
        )
        # Keystream block i is E(previous ciphertext block), E(IV) for the first.
        stream = self._ecb.update(iv + data[: ((n - 1) // 16) * 16])
        return (int.from_bytes(data, "big") ^ int.from_bytes(stream[:n], "big")).to_bytes(n, "big")


@dataclass
class LocalizedKeys:
    """A user's keys localised to one engine, with ready HMAC and cipher objects."""

    engine_id: bytes
    auth_key: bytes
    priv_key: bytes
    mac_len: int
    _hmac: Any = None
    _cipher: _Cipher | None = None

    def mac(self, message: bytes) -> bytes:
        """The truncated HMAC of ``message`` (whose auth params are zero-filled)."""
        h = self._hmac.copy()
        h.update(message)
        return bytes(h.digest()[: self.mac_len])


@dataclass
class USMUser:
    """An SNMPv3 user: name, auth and priv protocols and passwords.

    Protocol names follow Net-SNMP (``-a MD5|SHA|SHA-224|SHA-256|SHA-384|SHA-512``,
    ``-x DES|AES|AES-192|AES-256``; ``AES-192-C``/``AES-256-C`` select the Reeder key extension).
    Keys derived from the passwords are cached here per engineID.

    Raises:
        ConfigError: unknown protocol, priv without auth, or a missing password.
    """

    name: str | bytes
    auth_protocol: str | None = None
    auth_password: str | bytes | None = None
    priv_protocol: str | None = None
    priv_password: str | bytes | None = None
    _ku: tuple[bytes, bytes] | None = field(default=None, repr=False, compare=False)
    _local: dict[bytes, LocalizedKeys] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.auth_protocol = _canon(self.auth_protocol, AUTH_PROTOCOLS, _AUTH_ALIASES, "auth")
        self.priv_protocol = _canon(self.priv_protocol, PRIV_PROTOCOLS, _PRIV_ALIASES, "priv")
        if self.priv_protocol and not self.auth_protocol:
            raise ConfigError("SNMPv3 privacy needs an auth protocol too (authPriv)")
        if self.auth_protocol and not self.auth_password:
            raise ConfigError("SNMPv3 auth protocol given without an auth password (-A)")
        if self.priv_protocol and not self.priv_password:
            raise ConfigError("SNMPv3 priv protocol given without a priv password (-X)")
        for attr in ("auth_password", "priv_password"):
            v = getattr(self, attr)
            if isinstance(v, str) and len(v) < 8:
                raise ConfigError(
                    f"SNMPv3 {attr.replace('_', ' ')} must be at least 8 characters (RFC 3414 §11.2)"
                )

    @property
    def user_name(self) -> bytes:
        return self.name.encode() if isinstance(self.name, str) else self.name

    @property
    def level(self) -> str:
        """noAuthNoPriv, authNoPriv or authPriv."""
        if self.priv_protocol:
            return "authPriv"
        return "authNoPriv" if self.auth_protocol else "noAuthNoPriv"

    @property
    def flags(self) -> int:
        """msgFlags security bits for this user's level."""
        return (FLAG_AUTH if self.auth_protocol else 0) | (FLAG_PRIV if self.priv_protocol else 0)

    @property
    def mac_len(self) -> int:
        return AUTH_PROTOCOLS[self.auth_protocol][1] if self.auth_protocol else 0

    def _master_keys(self) -> tuple[bytes, bytes]:
        if self._ku is None:
            hash_name = AUTH_PROTOCOLS[self.auth_protocol][0] if self.auth_protocol else "sha1"

            def pw(v: str | bytes | None) -> bytes:
                return v.encode() if isinstance(v, str) else (v or b"")

            ku_auth = (
                password_to_key(pw(self.auth_password), hash_name) if self.auth_protocol else b""
            )
            ku_priv = (
                password_to_key(pw(self.priv_password), hash_name) if self.priv_protocol else b""
            )
            self._ku = (ku_auth, ku_priv)
        return self._ku

    def keys(self, engine_id: bytes) -> LocalizedKeys:
        """This user's keys localised to ``engine_id`` (derived once, then cached)."""
        cached = self._local.get(engine_id)
        if cached is not None:
            return cached
        keys = LocalizedKeys(engine_id, b"", b"", self.mac_len)
        if self.auth_protocol:
            hash_name = AUTH_PROTOCOLS[self.auth_protocol][0]
            ku_auth, ku_priv = self._master_keys()
            keys.auth_key = localize_key(ku_auth, engine_id, hash_name)
            keys._hmac = hmac.new(keys.auth_key, digestmod=hash_name)
            if self.priv_protocol:
                kind, size, variant = PRIV_PROTOCOLS[self.priv_protocol]
                kul = localize_key(ku_priv, engine_id, hash_name)
                keys.priv_key = _extend_key(kul, engine_id, hash_name, size, variant)
                keys._cipher = _Cipher(kind, keys.priv_key)
        self._local[engine_id] = keys
        return keys


class SaltCounter:
    """The per-engine local salt (RFC 3826 §3.1.2.1): random start, then incremented."""

    def __init__(self) -> None:
        self.value = int.from_bytes(os.urandom(8), "big")

    def next(self) -> int:
        self.value = (self.value + 1) & 0xFFFFFFFFFFFFFFFF
        return self.value


def protect(
    *,
    msg_id: int,
    max_size: int,
    flags: int,
    user: USMUser | None,
    engine_id: bytes,
    boots: int,
    etime: int,
    scoped: ScopedPDU | bytes,
    salt: SaltCounter,
    user_name: bytes | None = None,
) -> bytes:
    """Build a v3 message with USM outgoing processing (RFC 3414 §3.1): encrypt, then sign.

    ``flags`` carries the reportable bit; the auth/priv bits come from ``user`` and are only
    set when both the user has them and ``flags`` asks for them (discovery sends none).

    Raises:
        ValueError: the PDU cannot be encoded.
    """
    data = scoped if isinstance(scoped, bytes) else encode_scoped_pdu(scoped)
    name = user_name if user_name is not None else (user.user_name if user else b"")
    auth_params = b""
    priv_params = b""
    keys = None
    if user is not None and flags & FLAG_AUTH:
        keys = user.keys(engine_id)
        auth_params = b"\0" * keys.mac_len
        if flags & FLAG_PRIV:
            assert keys._cipher is not None
            cipher_text, priv_params = keys._cipher.encrypt(data, boots, etime, salt.next())
            data = tlv(0x04, cipher_text)
    params = USMParams(engine_id, boots, etime, name, auth_params, priv_params)
    msg, auth_offset = encode_v3_message(msg_id, max_size, flags, params, data)
    if keys is not None:
        mac = keys.mac(msg)
        msg = msg[:auth_offset] + mac + msg[auth_offset + len(mac) :]
    return msg


def unprotect(
    msg: V3Message, user: USMUser | None, cache: dict[bytes, tuple[int, ...]] | None = None
) -> ScopedPDU:
    """USM incoming processing (RFC 3414 §3.2) of ``msg`` for ``user``: check the security
    level, verify the HMAC, decrypt and decode the ScopedPDU. Timeliness is the caller's.

    ``user`` is the user named by the message (None when unknown).

    Raises:
        AuthenticationError: ``check`` is unknownUserName, unsupportedSecLevel, wrongDigest or
            decryptionError.
        DecodeError: the (decrypted) ScopedPDU does not parse.
    """
    flags = msg.flags
    if flags & FLAG_PRIV and not flags & FLAG_AUTH:
        raise DecodeError("msgFlags has privacy without authentication", layer="snmp-usm")
    if not flags & FLAG_AUTH:
        if msg.encrypted:
            raise DecodeError("encrypted msgData without privacy flag", layer="snmp-usm")
        return msg.scoped if msg.scoped is not None else decode_scoped_pdu(msg.data, cache=cache)
    if user is None:
        raise auth_error("unknownUserName", f"unknown user {msg.usm.user_name!r}")
    if (flags & FLAG_AUTH and not user.auth_protocol) or (
        flags & FLAG_PRIV and not user.priv_protocol
    ):
        raise auth_error(
            "unsupportedSecLevel",
            f"user {msg.usm.user_name!r} is not configured for this security level",
        )
    keys = user.keys(msg.usm.engine_id)
    mac = msg.usm.auth_params
    if len(mac) != keys.mac_len or msg.auth_offset < 0:
        raise auth_error("wrongDigest", "authentication parameters have the wrong length")
    # RFC 3414 §6.3.2: the HMAC covers the message with the auth parameters zeroed; fed in
    # three pieces from a memoryview instead of building a zeroed copy.
    raw = memoryview(msg.raw)
    off = msg.auth_offset
    h = keys._hmac.copy()
    h.update(raw[:off])
    h.update(bytes(len(mac)))
    h.update(raw[off + len(mac) :])
    if not hmac.compare_digest(h.digest()[: keys.mac_len], mac):
        raise auth_error("wrongDigest", "HMAC does not match (wrong auth password or protocol)")
    if flags & FLAG_PRIV:
        if not msg.encrypted or keys._cipher is None:
            raise auth_error("decryptionError", "privacy flag set but msgData is not encrypted")
        plain = keys._cipher.decrypt(
            msg.data, msg.usm.engine_boots, msg.usm.engine_time, msg.usm.priv_params
        )
        try:
            return decode_scoped_pdu(plain, cache=cache)
        except DecodeError:
            raise auth_error(
                "decryptionError",
                "decrypted ScopedPDU does not parse (wrong priv password or protocol)",
            ) from None
    if msg.encrypted:
        raise DecodeError("encrypted msgData without privacy flag", layer="snmp-usm")
    return msg.scoped if msg.scoped is not None else decode_scoped_pdu(msg.data, cache=cache)
