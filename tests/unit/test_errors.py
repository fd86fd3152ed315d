"""The error tree: the documented shape, exit codes from one table."""

from __future__ import annotations

import wirekit.errors as e


def test_tree_shape() -> None:
    assert issubclass(e.ConfigError, ValueError)
    assert issubclass(e.DecodeError, e.RemoteProtocolError) and issubclass(
        e.DecodeError, ValueError
    )
    assert issubclass(e.ConnectError, OSError) and issubclass(e.ConnectError, e.TransportError)
    assert issubclass(e.ReadTimeout, TimeoutError) and issubclass(e.ReadTimeout, e.Timeout)
    for cls in (
        e.HTTPStatusError,
        e.SMTPReplyError,
        e.FTPReplyError,
        e.SNMPErrorStatus,
        e.RemoteCommandFailed,
    ):
        assert issubclass(cls, e.ReplyError)
    for name in e.__all__:
        obj = getattr(e, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, e.WirekitError), name
            assert name in (e.__doc__ or ""), f"{name} missing from the tree drawing"


def test_exit_codes() -> None:
    assert e.exit_code_for(e.ConfigError("x")) == 2
    assert (
        e.exit_code_for(e.ConnectTimeout("x")) == 4
    )  # Timeout is nearer than ConnectError in the MRO
    assert e.exit_code_for(e.ReadTimeout("x")) == 4
    assert e.exit_code_for(e.SMTPReplyError(550, "no")) == 7
    assert e.exit_code_for(e.DecodeError("x", offset=3, layer="IPv4")) == 8
    assert e.exit_code_for(RuntimeError()) == 1


def test_decode_error_fields() -> None:
    err = e.DecodeError("bad header", offset=14, layer="IPv4", truncated=True)
    assert (err.offset, err.layer, err.truncated) == (14, "IPv4", True)
    assert "IPv4" in str(err) and "14" in str(err)
