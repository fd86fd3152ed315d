"""USM: RFC 3414 A.3 key vectors, protect/unprotect for every auth x priv, and failed checks."""

from __future__ import annotations

import pytest

from wirekit.errors import AuthenticationError, ConfigError
from wirekit.snmp.message import FLAG_REPORTABLE, ScopedPDU, decode_v3_message
from wirekit.snmp.pdu import PDU, PDUType, VarBind
from wirekit.snmp.usm import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    SaltCounter,
    USMUser,
    localize_key,
    password_to_key,
    protect,
    unprotect,
)
from wirekit.snmp.values import ObjectIdentifier, OctetString

ENGINE = bytes.fromhex("000000000000000000000002")


# RFC 3414 Appendix A.3.1 (MD5) and A.3.2 (SHA): password "maplesyrup".
@pytest.mark.parametrize(
    ("hash_name", "ku", "kul"),
    [
        ("md5", "9faf3283884e92834ebc9847d8edd963", "526f5eed9fcce26f8964c2930787d82b"),
        (
            "sha1",
            "9fb5cc0381497b3793528939ff788d5d79145211",
            "6695febc9288e36282235fc7151f128497b38f3f",
        ),
    ],
)
def test_rfc3414_key_vectors(hash_name: str, ku: str, kul: str) -> None:
    master = password_to_key(b"maplesyrup", hash_name)
    assert master.hex() == ku
    assert localize_key(master, ENGINE, hash_name).hex() == kul


def test_keys_are_cached_per_engine() -> None:
    user = USMUser("u", "SHA", "maplesyrup", "AES", "maplesyrup")
    assert user.keys(ENGINE) is user.keys(ENGINE)
    assert user.keys(ENGINE).auth_key.hex() == "6695febc9288e36282235fc7151f128497b38f3f"
    assert user.keys(b"other-engine") is not user.keys(ENGINE)


def test_aes256_key_extension_variants_differ() -> None:
    blumenthal = USMUser("u", "SHA", "maplesyrup", "AES-256", "maplesyrup").keys(ENGINE).priv_key
    reeder = USMUser("u", "SHA", "maplesyrup", "AES-256-C", "maplesyrup").keys(ENGINE).priv_key
    assert len(blumenthal) == len(reeder) == 32
    # Both start with Kul (20 octets of SHA); they differ in how they extend it.
    assert (
        blumenthal[:20] == reeder[:20] == bytes.fromhex("6695febc9288e36282235fc7151f128497b38f3f")
    )
    assert blumenthal != reeder


def _message(user: USMUser, flags: int) -> bytes:
    pdu = PDU(
        PDUType.GET, 42, [VarBind(ObjectIdentifier("1.3.6.1.2.1.1.1.0"), OctetString(b"x" * 30))]
    )
    return protect(
        msg_id=42,
        max_size=65507,
        flags=flags | FLAG_REPORTABLE,
        user=user,
        engine_id=ENGINE,
        boots=3,
        etime=1000,
        scoped=ScopedPDU(ENGINE, b"", pdu),
        salt=SaltCounter(),
    )


@pytest.mark.parametrize("auth", list(AUTH_PROTOCOLS))
@pytest.mark.parametrize("priv", [None, *PRIV_PROTOCOLS])
def test_protect_unprotect_every_combination(auth: str, priv: str | None) -> None:
    user = USMUser("bob", auth, "authpassword", priv, "privpassword" if priv else None)
    data = _message(user, user.flags)
    msg = decode_v3_message(data)
    assert msg.encrypted == bool(priv)
    assert len(msg.usm.auth_params) == AUTH_PROTOCOLS[auth][1]
    scoped = unprotect(msg, user)
    assert scoped.pdu.varbinds[0].value == OctetString(b"x" * 30)


def test_wrong_auth_password_is_wrong_digest() -> None:
    sender = USMUser("bob", "SHA", "authpassword", "AES", "privpassword")
    receiver = USMUser("bob", "SHA", "another-pass", "AES", "privpassword")
    msg = decode_v3_message(_message(sender, sender.flags))
    with pytest.raises(AuthenticationError) as info:
        unprotect(msg, receiver)
    assert info.value.check == "wrongDigest"  # type: ignore[attr-defined]


def test_wrong_priv_password_is_decryption_error() -> None:
    sender = USMUser("bob", "SHA", "authpassword", "AES", "privpassword")
    receiver = USMUser("bob", "SHA", "authpassword", "AES", "another-priv")
    msg = decode_v3_message(_message(sender, sender.flags))
    with pytest.raises(AuthenticationError) as info:
        unprotect(msg, receiver)
    assert info.value.check == "decryptionError"  # type: ignore[attr-defined]


def test_unknown_user_and_level() -> None:
    sender = USMUser("bob", "SHA", "authpassword")
    msg = decode_v3_message(_message(sender, sender.flags))
    with pytest.raises(AuthenticationError) as info:
        unprotect(msg, None)
    assert info.value.check == "unknownUserName"  # type: ignore[attr-defined]
    with pytest.raises(AuthenticationError) as info:
        unprotect(msg, USMUser("bob"))
    assert info.value.check == "unsupportedSecLevel"  # type: ignore[attr-defined]


def test_tampered_message_fails_digest() -> None:
    user = USMUser("bob", "MD5", "authpassword")
    data = bytearray(_message(user, user.flags))
    data[-1] ^= 1
    with pytest.raises(AuthenticationError):
        unprotect(decode_v3_message(bytes(data)), user)


def test_bad_user_configs() -> None:
    with pytest.raises(ConfigError):
        USMUser("u", None, None, "AES", "privpassword")
    with pytest.raises(ConfigError):
        USMUser("u", "SHA", "short")
    with pytest.raises(ConfigError):
        USMUser("u", "WHIRLPOOL", "longenough")
    assert USMUser("u", "sha256", "longenough", "aes128", "longenough").priv_protocol == "AES"


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 64, 95, 96, 97, 200, 1400])
def test_aes_cfb_matches_cryptography(size: int) -> None:
    # wirekit builds CFB128 on an ECB context; it must equal cryptography's CFB byte for byte.
    import os

    from cryptography.hazmat.decrepit.ciphers.modes import CFB
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    from wirekit.snmp.usm import _Cipher

    key, data = os.urandom(16), os.urandom(size)
    cipher = _Cipher("aes", key)
    sealed, salt = cipher.encrypt(data, 7, 1234, 99)
    iv = (7).to_bytes(4, "big") + (1234).to_bytes(4, "big") + salt
    ref = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    assert sealed == ref.update(data) + ref.finalize()
    assert cipher.decrypt(sealed, 7, 1234, salt) == data
